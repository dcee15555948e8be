import os
from collections import Counter
from pathlib import Path

import pytest

import scalinglaws as sl
from scalinglaws import enable_compilation_cache

ROOT = Path(__file__).resolve().parents[1]
CHINCHILLA_CSV = ROOT / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"

# XLA's compiled programs, and the compiled solvers of registered laws (scalinglaws._export, as the CLI keeps them),
# persist between test runs: a second `make test-fast` neither traces nor compiles most fits again. They are the
# same programs, so nothing a test checks depends on it; laws made at run time still go through jit.
CACHE = ROOT / ".pytest_cache" / "jax"
enable_compilation_cache(CACHE, export=True)
# subprocesses (the CLI, a notebook's kernel) share it: JAX reads these from the environment, the CLI the last
for _name, _value in (("JAX_COMPILATION_CACHE_DIR", str(CACHE)), ("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0"),
                      ("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0"), ("SCALINGLAWS_CACHE", str(CACHE))):
    os.environ.setdefault(_name, _value)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long reproductions, notebooks, subprocesses, app pages, long fits "
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


def pytest_collection_modifyitems(config, items):
    # modules with the most slow tests first, each module kept together (its module-scoped fixtures are built once):
    # with two workers, a long test collected last (a reproduction) would run alone at the end while the other
    # worker idles; run first, the short tests fill in around it. The notebooks go last: a notebook's kernel
    # compiles nothing that the tests before it compiled for the same laws and shapes (it reads the shared cache;
    # before_a_big_run takes 49 s on a cold cache, 18 s on a warm one)
    slow = Counter(item.module.__name__ for item in items if item.get_closest_marker("slow"))
    order = {id(item): i for i, item in enumerate(items)}

    def place(item):
        name = item.module.__name__
        return name == "test_notebooks", -slow[name], order[id(item)]

    items.sort(key=place)
