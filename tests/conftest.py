import os
from collections import Counter
from pathlib import Path

# XLA compiles the suite's programs at its lowest backend optimisation level. Compiling is most of the suite's time
# (a fresh clone has an empty cache); the level changes how the machine code is optimised, so how fast it runs, and
# results at most in their last bits: the reproductions, run this way, agree with the committed results (computed
# at the default level) to 1e-6, and the notebooks print their stored digits. fits/backtest_epoch on an empty cache,
# 2 cores, 2026-12-04: 55 s -> 43 s; fits/lr_schedules_100M 32 s -> 27 s. Users' programs, the benchmarks and
# `scalinglaws reproduce` keep the default. Set before JAX starts; subprocesses (the CLI, a notebook's kernel) inherit it.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()

import pytest  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws import enable_compilation_cache  # noqa: E402

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
