import os
from pathlib import Path

import pytest

import scalinglaws as sl
from scalinglaws import enable_compilation_cache

ROOT = Path(__file__).resolve().parents[1]
CHINCHILLA_CSV = ROOT / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"

# The CLI keeps compiled solvers on disk (scalinglaws._export); in-process CLI tests must not switch that on for
# the tests after them (a fit through a kept executable never touches the jit cache the conformance suite checks).
# tests/test_cli.py::test_compiled_solvers_kept_on_disk turns it on in a subprocess of its own.
os.environ["SCALINGLAWS_EXPORT"] = "0"

# XLA's compiled programs persist between test runs (a second `make test-fast` skips most compiling); the results
# are the same programs' results, so nothing a test checks depends on it
enable_compilation_cache(ROOT / ".pytest_cache" / "jax", export=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long reproductions, notebooks, subprocesses, long fits "
                                       "(left out by `make test-fast`)")


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
