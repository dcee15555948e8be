import dataclasses

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import compute_for_target, compute_optimal, forecast


@pytest.fixture
def numerical():
    """A copy of Chinchilla without its closed form, registered for the test only: it exercises the numerical
    path that serves any law declaring allocation."""
    law = sl.register(dataclasses.replace(sl.get_law("chinchilla"), name="chinchilla_numerical_test",
                                          compute_optimal=None))
    yield law
    sl.unregister(law.name)


def test_epoch_main_allocation_at_chinchilla_compute():
    a = compute_optimal(sl.preset("chinchilla", "epoch-main"), 5.88e23)
    # published to 3 significant digits (Besiroglu et al. 2024 parameters, closed form)
    assert float(a.N.value) == pytest.approx(7.31e10, rel=5e-3)
    assert float(a.D.value) == pytest.approx(1.34e12, rel=5e-3)
    assert round(float(a.tokens_per_param.value), 1) == 18.3
    assert a.method == "closed form" and np.isnan(a.N.lower)


@pytest.mark.parametrize("compute", [1e20, 5.88e23, 1e26])
def test_numerical_allocation_matches_closed_form(compute, numerical):
    p = sl.preset("chinchilla", "epoch-main")
    closed = compute_optimal(p, compute)
    numerical = compute_optimal(p.with_law(numerical), compute)
    assert numerical.method.startswith("numerical")
    # Newton on log N from a 513-point grid converges to machine precision on this smooth 1-D problem
    assert float(numerical.N.value) == pytest.approx(float(closed.N.value), rel=1e-8)
    assert float(numerical.loss.value) == pytest.approx(float(closed.loss.value), rel=1e-12)


def test_allocation_bands_from_bootstrap(chinchilla_table, chinchilla_fit):
    b = sl.bootstrap(chinchilla_fit, chinchilla_table, 300, seed=0)
    a = compute_optimal(b, 5.88e23, level=0.9)
    for band in (a.N, a.D, a.tokens_per_param, a.loss):
        assert band.lower < band.value < band.upper
    assert any("orders of magnitude above the fitted range" in w for w in a.warnings)
    assert "tokens/param" in a.summary()


def test_target_loss_inverts_the_optimal_loss():
    p = sl.preset("chinchilla", "epoch-main")
    a = compute_optimal(p, 1e24)
    back = compute_for_target(p, float(a.loss.value))
    # bisection in log C for 80 halvings of a 78-nat bracket: far below 1e-9 relative
    assert float(back.compute.value) == pytest.approx(1e24, rel=1e-9)
    assert float(back.N.value) == pytest.approx(float(a.N.value), rel=1e-8)


def test_unreachable_target_raises():
    with pytest.raises(sl.UnreachableTargetError, match="a loss of 1.5 is not reached"):
        compute_for_target(sl.preset("chinchilla", "epoch-main"), 1.5)  # below E = 1.817


def test_a_forecast_at_impossible_inputs_names_them():
    epoch = sl.preset("chinchilla", "epoch-main")
    with pytest.raises(sl.InputError) as err:
        forecast(epoch, {"N": [7e10, 7e10], "D": [1.4e12, -5.0]})
    assert str(err.value) == "input 'D' (positive) must be positive, not at position 2 (e.g. -5)"
    with pytest.raises(sl.InputError, match="input 'N' \\(positive\\) is NaN or inf"):
        forecast(epoch, {"N": np.nan, "D": 1.4e12})
    for bad in (0.0, 1.0, 90):  # a level is a share: 90 is read as a mistake for 0.9, not as 90%
        with pytest.raises(sl.InputError, match=f"level must be between 0 and 1 \\(0.9 for a 90% band\\), not {bad}"):
            forecast(epoch, {"N": 7e10, "D": 1.4e12}, level=bad)
    with pytest.raises(sl.InputError, match="level must be between 0 and 1"):
        compute_optimal(epoch, 5.88e23, level=1.5)


@pytest.mark.slow  # over 1.2 s warm: 1.7 s warm, 7.8 s on an empty cache (2026-12-03)
def test_a_target_some_draws_cannot_reach(chinchilla_table, chinchilla_fit):
    b = sl.bootstrap(chinchilla_fit, chinchilla_table, 200, seed=2)
    e_lo, e_hi = b.interval("E", 0.95)
    # a target inside E's interval: reached at the fit (E = 1.8172 < 1.83) but not by the draws whose E exceeds it
    a = compute_for_target(b, 1.83)
    assert np.isfinite(a.compute.value) and 0.2 < a.draws_reaching < 0.95, a.draws_reaching
    assert "of the bootstrap draws reach the target" in a.summary()


def test_forecast_bands_and_extrapolation(chinchilla_table, chinchilla_fit):
    b = sl.bootstrap(chinchilla_fit, chinchilla_table, 200, seed=1)
    f = forecast(b, {"N": [1e9, 1e12], "D": [2e10, 2e13]})
    assert np.all(f.prediction.lower <= f.prediction.value) and np.all(f.prediction.value <= f.prediction.upper)
    # the band widens away from the data
    width = f.prediction.upper - f.prediction.lower
    assert width[1] > 3 * width[0]
    (w_n, w_d) = f.warnings
    assert "N up to 1e+12 is 1.79 orders of magnitude above" in w_n and "D up to 2e+13" in w_d
    with pytest.raises(ValueError, match="missing"):
        forecast(b, {"N": [1e9]})


def test_allocation_is_asked_of_the_law():
    r = sl.fit("power_N", {"N": np.logspace(7, 10, 10), "loss": 1.7 + 400 * np.logspace(7, 10, 10) ** -0.3})
    assert not r.law.can("allocation")
    with pytest.raises(sl.InputError, match="power_N does not declare 'allocation' forecasts"):
        compute_optimal(r, 1e22)


def test_a_law_with_its_own_compute_model_and_a_fixed_input():
    # a law of (N, D, U) that charges 6 N D + 2 N U FLOP (a made-up cost, to test the engine, not a paper's law):
    # the allocation searches along this compute model, holding U at the given value
    base = sl.get_law("chinchilla")
    model = sl.ComputeModel("C = 6 N D + 2 N U", lambda x: 6 * x["N"] * x["D"] + 2 * x["N"] * x["U"],
                            lambda n, c, fixed: (c - 2 * n * fixed["U"]) / (6 * n))
    law = dataclasses.replace(base, name="chinchilla_u_test", inputs=("N", "D", "U"), compute_optimal=None,
                              compute=model, fixed_inputs=("U",), spec=None)
    p = sl.FitResult(law=law, params=sl.preset("chinchilla", "epoch-main").params)
    a = compute_optimal(p, 1e23, fixed={"U": 1e11})
    n, d = float(a.N.value), float(a.D.value)
    assert 6 * n * d + 2 * n * 1e11 == pytest.approx(1e23, rel=1e-9)  # the allocation spends exactly C
    assert a.fixed == {"U": 1e11} and "6 N D + 2 N U" in a.method
    with pytest.raises(sl.InputError, match="give \\['U'\\]"):
        compute_optimal(p, 1e23)
