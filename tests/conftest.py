from pathlib import Path

import pytest

import scalinglaws as sl

ROOT = Path(__file__).resolve().parents[1]
CHINCHILLA_CSV = ROOT / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def chinchilla_table():
    """Epoch's 240 points: the 5 highest losses dropped, as Besiroglu et al. did."""
    return sl.read_runs(CHINCHILLA_CSV).drop_largest("loss", 5)


@pytest.fixture(scope="session")
def chinchilla_fit(chinchilla_table):
    """Besiroglu et al.'s fit: Huber sum over Hoffmann's (published) grid."""
    return sl.fit("chinchilla", chinchilla_table, grid="published")
