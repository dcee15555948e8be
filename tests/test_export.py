"""Compiled solvers kept on disk (scalinglaws._export): the same numbers as jit, and never a program that could
crash a new process."""

import jax.numpy as jnp
import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import Law, Param, _export


@pytest.fixture
def kept_in(tmp_path):
    """Keep executables in a fresh folder for one test, then restore the suite's folder."""
    before = _export._DIR
    _export.enable(tmp_path)
    yield tmp_path
    _export.disable()
    if before is not None:
        _export.enable(before)


@pytest.fixture
def lapack_law():
    """A registered law whose prediction solves a 2x2 system with jnp.linalg (a LAPACK call on CPU)."""

    def predict(p, x):
        m = jnp.stack([jnp.stack([p["a"], jnp.zeros_like(p["a"])]), jnp.stack([jnp.zeros_like(p["a"]), 1.0 + 0 * p["a"]])])
        scale = jnp.linalg.solve(m, jnp.ones(2))[0]  # = 1 / a
        return scale * x["x"] ** -p["b"]

    law = sl.register(Law(name="lapack_test", title="y = x^-b / a (through a linear solve)", citation="none (a test)",
                          formula="y", params=(Param("a", lower=0.0, grid=(0.5, 2.0), role="scale"),
                                               Param("b", grid=(0.2, 0.5), role="exponent")),
                          inputs=("x",), target="y", predict=predict))
    yield law
    sl.unregister(law.name)


@pytest.mark.slow  # over 1.2 s warm: 5.9 s warm, 8.2 s on an empty cache (2026-12-03)
def test_kept_executables_give_the_fit_jit_gives(kept_in):
    x = np.logspace(6, 9, 12)
    data = {"N": x, "loss": 2.0 + 300.0 * x**-0.3 * np.exp(0.003 * np.sin(np.arange(12)))}
    _export.disable()
    plain = sl.fit("power_N", data)
    _export.enable(kept_in)
    kept = sl.fit("power_N", data)
    assert list(kept_in.glob("*.xla"))  # the fit went through a kept executable
    _export._LOADED.clear()  # as a new process would: load the kept file
    again = sl.fit("power_N", data)
    # same program, same inputs: identical to the last bit, not merely close
    assert plain.params == kept.params == again.params


@pytest.mark.slow  # over 1.2 s warm: 2.0 s warm, 8.3 s on an empty cache (2026-12-03)
def test_a_program_that_calls_lapack_is_not_kept(kept_in, lapack_law):
    x = np.logspace(0, 2, 10)
    result = sl.fit(lapack_law, {"x": x, "y": x**-0.4 / 1.5})
    assert result.natural["b"] == pytest.approx(0.4, rel=1e-6)  # exact data: recovered to the solver's tolerance
    assert not list(kept_in.glob("*.xla"))  # fit, curvature and residuals all call LAPACK: none kept


@pytest.mark.slow  # over 1.2 s warm: 3.4 s warm, 4.6 s on an empty cache (2026-12-03)
def test_a_kept_program_that_loads_but_cannot_run_is_refused_for_good(kept_in, monkeypatch):
    from jax.experimental import serialize_executable

    x = np.logspace(6, 9, 12)
    data = {"N": x, "loss": 2.0 + 300.0 * x**-0.3}
    first = sl.fit("power_N", data)
    kept = list(kept_in.glob("*.xla"))
    assert kept

    def unrunnable(*args, **kwargs):  # as XLA:CPU's program missing a kernel it compiled for another program
        def run(*a):
            raise RuntimeError("NOT_FOUND: Function fusion.2 not found")
        return run

    monkeypatch.setattr(serialize_executable, "deserialize_and_load", unrunnable)
    _export._LOADED.clear()
    again = sl.fit("power_N", data)
    assert again.params == first.params  # through jit instead, the same numbers
    assert not list(kept_in.glob("*.xla")) and len(list(kept_in.glob("*.refused"))) == len(kept)
    _export._LOADED.clear()
    assert sl.fit("power_N", data).params == first.params  # refused ones are not loaded again
