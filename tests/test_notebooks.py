"""Every notebook runs top to bottom through a Jupyter kernel (nbclient), from the notebooks folder, as a reader
would run it; and every notebook is stored with the outputs of its last run (`make notebooks`)."""

import nbformat
import pytest
from conftest import ROOT

nbclient = pytest.importorskip("nbclient")
pytestmark = pytest.mark.slow  # the long tier: left out by `make test-fast`
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_four_workflows_are_there():
    assert {p.stem for p in NOTEBOOKS} >= {"quickstart", "chinchilla", "planning_a_budget", "lr_schedules", "downstream",
                                           "before_a_big_run", "forecast_quality"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_through_a_kernel(path, monkeypatch):
    # the kernel shares the suite's compilation cache (JAX reads these from its environment), so a notebook's
    # fits reuse the programs the suite compiled for the same laws and shapes instead of compiling them again
    cache = str(ROOT / ".pytest_cache" / "jax")
    for name, value in (("JAX_COMPILATION_CACHE_DIR", cache), ("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0"),
                        ("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0"), ("SCALINGLAWS_CACHE", cache)):
        monkeypatch.setenv(name, value)
    stored = nbformat.read(path, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    # stored with its outputs, so that a reader sees the numbers and figures without running it
    assert all(c.outputs for c in code), f"{path.name}: run `make notebooks` to store its outputs"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), f"{path.name}: no figure stored"
    ran = nbclient.NotebookClient(stored, timeout=600, kernel_name="python3",
                                  resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
