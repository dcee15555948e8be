import jax
import numpy as np
import pytest
from scipy.optimize import curve_fit

import scalinglaws as sl


def test_epoch_huber_fit(chinchilla_fit):
    r = chinchilla_fit
    # Besiroglu et al.'s L-BFGS over Hoffmann's grid: alpha 0.347313, beta 0.367183, E 1.817236, objective ~1.0183e-3;
    # they print 6 digits, so agreement to a few 1e-5 is the same optimum
    assert r.natural["alpha"] == pytest.approx(0.347313, abs=5e-5)
    assert r.natural["beta"] == pytest.approx(0.367183, abs=5e-5)
    assert r.natural["E"] == pytest.approx(1.817236, abs=5e-5)
    assert r.objective <= 1.0183e-3 + 1e-8
    assert r.converged and r.grad_norm <= r.grad_tol
    assert r.n_at_best >= 8  # the optimum is reached from many of the 16 refined starts, not by luck
    assert r.n_points == 240 and r.n_runs == 240 and r.settings["grid_size"] == 4500


def test_mean_instead_of_sum_reaches_the_same_optimum(chinchilla_table, chinchilla_fit):
    # Hoffmann's pitfall: averaging shrinks the gradient 240-fold; a relative gradient test must not stop early
    r = sl.fit("chinchilla", chinchilla_table, weights=np.full(240, 1 / 240))
    assert r.objective == pytest.approx(chinchilla_fit.objective / 240, rel=1e-8)
    for k in ("alpha", "beta", "E"):
        assert r.natural[k] == pytest.approx(chinchilla_fit.natural[k], rel=1e-5)


def test_agrees_with_scipy_curve_fit():
    rng = np.random.default_rng(0)
    n = np.logspace(7, 10, 25)
    y = 1.7 + 400 * n**-0.3 + rng.normal(0, 0.01, n.size)
    ours = sl.fit("power_N", {"N": n, "loss": y}, loss="squared", residuals="raw")
    popt, _ = curve_fit(lambda x, e, a, alpha: e + a * x**-alpha, n, y, p0=(1.5, 300, 0.25), maxfev=20000)
    # the same least-squares optimum: both solvers converge far below this relative tolerance
    assert [ours.natural[k] for k in ("E", "A", "alpha")] == pytest.approx(list(popt), rel=1e-5)


def test_row_order_does_not_matter(chinchilla_table, chinchilla_fit):
    perm = np.random.default_rng(1).permutation(len(chinchilla_table))
    shuffled = sl.table_from_columns({k: chinchilla_table[k][perm] for k in ("N", "D", "loss")})
    r = sl.fit("chinchilla", shuffled)
    # the same optimum: the objective to summation order (1e-9); alpha, on a flat valley (C(a, alpha) = 0.999), to
    # the solver's tolerance (1e-5)
    assert r.objective == pytest.approx(chinchilla_fit.objective, rel=1e-9)
    assert r.natural["alpha"] == pytest.approx(chinchilla_fit.natural["alpha"], rel=1e-5)


def test_a_data_frame_fits_as_its_columns_do(chinchilla_table, chinchilla_fit):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({k: chinchilla_table[k] for k in ("N", "D", "loss")})
    r = sl.fit("chinchilla", frame, grid="published")
    # the same rows as the fixture's table, so the same fit: equal to rounding
    assert r.objective == pytest.approx(chinchilla_fit.objective, rel=1e-12)
    assert r.natural == pytest.approx(chinchilla_fit.natural, rel=1e-9)
    with pytest.raises(sl.InputError, match="a RunTable, a mapping of columns or a data frame, not list"):
        sl.fit("chinchilla", [1.0, 2.0])


def test_duplicated_runs_with_half_weight_give_the_same_fit(chinchilla_table, chinchilla_fit):
    cols = {k: np.concatenate([chinchilla_table[k]] * 2) for k in ("N", "D", "loss")}
    r = sl.fit("chinchilla", cols, weights=np.full(480, 0.5))
    # the same optimum, as above: the objective to summation order, beta (C(b, beta) = 1.000) to the solver's tolerance
    assert r.objective == pytest.approx(chinchilla_fit.objective, rel=1e-9)
    assert r.natural["beta"] == pytest.approx(chinchilla_fit.natural["beta"], rel=1e-5)


def test_non_convergence_is_loud(chinchilla_table):
    with pytest.raises(sl.FitError, match="did not converge") as err:
        sl.fit("chinchilla", chinchilla_table, maxiter=3, refine=2)
    assert not err.value.result.converged
    r = sl.fit("chinchilla", chinchilla_table, maxiter=3, refine=2, throw=False)
    assert not r.converged and any("did not converge" in w for w in r.warnings)
    assert "converged          NO" in r.report()


def test_single_start_from_init(chinchilla_table, chinchilla_fit):
    r = sl.fit("chinchilla", chinchilla_table, init={"a": 6, "b": 7, "e": 0.5, "alpha": 0.3, "beta": 0.3})
    # one start from init reaches the grid's optimum: the objective agrees to summation order
    assert r.n_refined == 1 and r.objective == pytest.approx(chinchilla_fit.objective, rel=1e-9)
    with pytest.raises(sl.InputError, match="mismatched"):
        sl.fit("chinchilla", chinchilla_table, init={"a": 6})


def test_bad_data_is_reported_before_any_jax():
    with pytest.raises(sl.SchemaError) as err:
        sl.fit("chinchilla", {"N": [1e8, -1], "loss": [3.0, np.nan]})
    text = str(err.value)
    assert "missing column 'D'" in text and "'N': must be positive" in text and "'loss': NaN" in text
    with pytest.raises(sl.SchemaError, match="needs column 'D'"):
        sl.fit("chinchilla", sl.table_from_columns({"N": [1e8, 2e8], "loss": [3.0, 2.9]}))


def test_the_data_grid_reaches_the_published_grids_optimum(chinchilla_table, chinchilla_fit):
    r = sl.fit("chinchilla", chinchilla_table)
    assert r.settings["grid"] == "data" and r.settings["grid_size"] == 3125
    # the same optimum from another grid: both converge to max|g| <= 1e-8 |f|, far below these tolerances
    assert r.objective == pytest.approx(chinchilla_fit.objective, rel=1e-9)
    for k in ("alpha", "beta", "E"):
        assert r.natural[k] == pytest.approx(chinchilla_fit.natural[k], rel=1e-6)


def test_bad_options_are_reported():
    with pytest.raises(sl.InputError, match="loss must be one of"):
        sl.fit("power_N", {"N": [1, 2, 3], "loss": [3, 2, 1]}, loss="l1")
    with pytest.raises(sl.InputError, match="one per run"):
        sl.fit("power_N", {"N": [1, 2, 3], "loss": [3, 2, 1]}, weights=[1, 2])


def test_result_round_trips_through_json(chinchilla_table, chinchilla_fit):
    import json

    b = sl.bootstrap(chinchilla_fit, chinchilla_table, 50, seed=3)
    back = sl.FitResult.from_dict(json.loads(b.to_json()))
    assert back.params == b.params and back.fingerprint == b.fingerprint
    np.testing.assert_array_equal(back.draws, b.draws)
    assert back.report() == b.report()
    with pytest.raises(ValueError, match="not a FitResult"):
        sl.FitResult.from_dict({"hello": 1})


def test_a_result_written_by_the_previous_version_loads(chinchilla_fit):
    # scalinglaws 0.1 kept the diagnostics at the top level and mixed settings with them
    old = {"law": "chinchilla", "params": dict(chinchilla_fit.params), "objective": 1.0182740178e-3,
           "converged": True, "grad_norm": 1e-12, "grad_tol": 1.1e-11, "n_refined": 16, "n_at_best": 13,
           "at_bound": [], "settings": {"loss": "huber", "delta": 0.001, "residuals": "log", "iterations": 83,
                                        "weighted": False, "grid_size": 4500}, "fingerprint": "78df26c2d7254303",
           "n_points": 240, "n_runs": 240, "input_ranges": {}, "warnings": [], "draws": None,
           "bootstrap_info": None, "source": "fit", "natural": {}}
    r = sl.FitResult.from_dict(old)
    assert r.converged and r.objective == 1.0182740178e-3 and r.diagnostics["iterations"] == 83
    assert r.objective_spec == sl.Objective() and "13 reached the best optimum" in r.report()


def test_results_are_immutable(chinchilla_fit):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        chinchilla_fit.objective = 0.0
    assert jax.config.jax_enable_x64
