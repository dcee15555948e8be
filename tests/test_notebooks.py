"""Every notebook's code cells run, in order, from the repository root (without Jupyter)."""

import json

import matplotlib
import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # the long tier: left out by `make test-fast`
matplotlib.use("Agg")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)  # noqa: S102
    assert namespace["result"].converged
