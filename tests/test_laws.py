"""Conformance over every registered law, and recovery of known parameters from synthetic data."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import _fit

TRUE = {
    "chinchilla": {"A": 400.0, "B": 1500.0, "E": 1.8, "alpha": 0.34, "beta": 0.28},
    "kaplan": {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103},
    "power_N": {"A": 400.0, "E": 1.7, "alpha": 0.3},
    "power_D": {"A": 2000.0, "E": 1.7, "alpha": 0.3},
    "power_C": {"A": 2000.0, "E": 1.7, "alpha": 0.15},
}
EXPONENTS = {"chinchilla": ("alpha", "beta"), "kaplan": ("alpha_N", "alpha_D"), "power_N": ("alpha",),
             "power_D": ("alpha",), "power_C": ("alpha",)}
SPANS = {"N": (7, 10), "D": (9, 12), "C": (17, 22)}
NOISE = 0.005  # multiplicative log-normal noise: 0.5%, about the scatter of real final losses


def synthetic(name, key, noise=NOISE):
    law = sl.get_law(name)
    if law.inputs == ("N", "D"):
        n, d = np.meshgrid(np.logspace(*SPANS["N"], 8), np.logspace(*SPANS["D"], 8))
        columns = {"N": n.ravel(), "D": d.ravel()}
    else:
        (var,) = law.inputs
        columns = {var: np.logspace(*SPANS[var], 30)}
    truth = sl.FitResult(law=name, params=law.from_natural(TRUE[name]))
    clean = truth.predict(columns)
    return {**columns, "loss": clean * np.exp(noise * np.asarray(jax.random.normal(key, clean.shape)))}, truth


def test_every_law_is_tested():
    # laws of (N, D), N, D or C are tested here; the LR-schedule laws in test_lr_laws.py; tests may register
    # helper laws of their own (named *_test)
    lr_laws = {"tissue", "tissue_lambda", "multipower", "multipower_exact"}
    assert {n for n in sl.available_laws() if not n.endswith("_test")} == set(TRUE) | lr_laws


@pytest.mark.parametrize("name", sorted(TRUE))
def test_conformance(name):
    law = sl.get_law(name)
    assert law.citation and law.formula and law.params
    grid = law.start_grid()
    assert grid.shape[1] == len(law.params) and np.all(np.isfinite(grid))
    # natural <-> fitted parameterisation round trip
    fitted = law.from_natural(TRUE[name])
    back = {k: float(v) for k, v in law.natural({k: jnp.asarray(v) for k, v in fitted.items()}).items()}
    assert back == pytest.approx(TRUE[name], rel=1e-12)
    # predictions finite and positive over a wide grid; log_predict agrees with log(predict)
    columns, truth = synthetic(name, jax.random.key(0), noise=0.0)
    p = {k: jnp.asarray(v) for k, v in truth.params.items()}
    x = {k: jnp.asarray(v) for k, v in law.features(columns).items()}
    pred = np.asarray(law.predict(p, x))
    assert np.all(np.isfinite(pred)) and np.all(pred > 0)
    np.testing.assert_allclose(np.asarray(law.log_prediction(p, x)), np.log(pred), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(TRUE))
def test_recovers_known_parameters(name):
    data, truth = synthetic(name, jax.random.key(42))
    result = sl.fit(name, data)
    assert result.converged and result.n_at_best >= 2
    for k in EXPONENTS[name]:
        # over 5 keys at 0.5% noise the worst exponent error was 0.012 (chinchilla alpha); 0.02 leaves margin
        assert result.natural[k] == pytest.approx(TRUE[name][k], abs=0.02), k
    # predictions are recovered to the noise level (0.5%) over the fitted range
    columns = {k: v for k, v in data.items() if k != "loss"}
    np.testing.assert_allclose(result.predict(columns), truth.predict(columns), rtol=0.005)


def test_same_shaped_data_does_not_recompile():
    data1, _ = synthetic("power_N", jax.random.key(1))
    data2, _ = synthetic("power_N", jax.random.key(2))
    sl.fit("power_N", data1)
    before = _fit._fit_core._cache_size()
    r2 = sl.fit("power_N", data2)
    assert _fit._fit_core._cache_size() == before
    assert r2.converged


def test_unknown_law_names_the_known_ones():
    with pytest.raises(sl.UnknownLawError, match="unknown law 'chinchila'; known laws: chinchilla"):
        sl.get_law("chinchila")
