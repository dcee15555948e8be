"""Every notebook runs top to bottom through a Jupyter kernel (nbclient), from the notebooks folder, as a reader
would run it; every notebook is stored with the outputs of its last run (`make notebooks`), and the rerun prints
what is stored: the numbers a reader sees are the ones the code gives."""

import re

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
    # stored with its outputs, so that a reader sees the numbers and figures without running it (a cell whose
    # output is not stored prints lines the stored cell lacks: the comparison below names it)
    assert any(c.outputs for c in code), f"{path.name}: run `make notebooks` to store its outputs"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), f"{path.name}: no figure stored"
    ran = nbclient.NotebookClient(stored, timeout=600, kernel_name="python3",
                                  resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    for i, (before, after) in enumerate(zip(code, (c for c in ran.cells if c.cell_type == "code"))):
        mismatch = _differs(_text(before), _text(after))
        assert not mismatch, f"{path.name}, code cell {i + 1}: {mismatch}; run `make notebooks` if the change is meant"


# a number as printed: 1.9733, -0.36, 5.88e+23, 3125
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?")


def _text(cell) -> list[str]:
    """The cell's printed lines (stdout and the plain-text form of its results and figures), but the line of each
    fit report that gives the gradient norm and the iteration count: at a converged optimum these are rounding
    noise, and they move with the CPU's floating point (the parameters and the objective are held below)."""
    parts = [o.text if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
             for o in cell.outputs if o.output_type != "error"]
    return [line for line in "".join(parts).splitlines() if "max|grad|" not in line]


def _differs(stored: list[str], rerun: list[str]) -> str:
    """'' when each line has the same words and the same numbers, a number allowed one unit of its last printed
    digit (a value that moves by 1e-15 across CPUs can round either way at a boundary); else the first difference."""
    if len(stored) != len(rerun):
        return f"{len(rerun)} lines printed, {len(stored)} stored"
    for old, new in zip(stored, rerun):
        if NUMBER.split(old) != NUMBER.split(new) or len(NUMBER.findall(old)) != len(NUMBER.findall(new)):
            return f"printed {new!r}, stored {old!r}"
        for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)):
            if a == b:
                continue
            if not re.search(r"[.e]", a):  # counts (runs, starts, draws) are exact
                return f"printed {b} where {a} is stored, in {new!r}"
            if abs(float(a) - float(b)) > _last_digit(a) * (1 + 1e-9):
                return f"printed {b} where {a} is stored, in {new!r}"
    return ""


def _last_digit(printed: str) -> float:
    """One unit of a printed number's last digit: 0.0001 for 1.9733, 1e+21 for 5.88e+23."""
    mantissa, _, exponent = printed.partition("e")
    places = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - places)
