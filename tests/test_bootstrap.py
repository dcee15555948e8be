import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws._bootstrap import resample_weights
import jax


def test_same_seed_same_draws(chinchilla_table, chinchilla_fit):
    a = sl.bootstrap(chinchilla_fit, chinchilla_table, 64, seed=7)
    b = sl.bootstrap(chinchilla_fit, chinchilla_table, 64, seed=7)
    c = sl.bootstrap(chinchilla_fit, chinchilla_table, 64, seed=8)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, c.draws)
    assert a.bootstrap_info["n_converged"] == 64


def test_resampling_is_of_runs():
    counts = np.asarray(resample_weights(jax.random.key(0), 5, 1000))
    assert counts.shape == (1000, 5) and np.all(counts.sum(axis=1) == 5)
    # each run is drawn 5 * 1/5 = 1 time on average; 1000 resamples pin the mean to about +-0.06 (3 sigma)
    np.testing.assert_allclose(counts.mean(axis=0), 1.0, atol=0.1)


def test_rows_of_a_run_move_together():
    # two runs of a loss curve each: if rows were resampled, the fits would scatter; with runs, each resample
    # holds whole curves, and a resample of one run twice reproduces that run's own fit
    steps = np.arange(1, 41, dtype=float)
    data = {"run": np.repeat(["a", "b"], 40), "step": np.tile(steps, 2), "N": np.tile(steps * 1e7, 2),
            "loss": np.concatenate([1.7 + 400 * (steps * 1e7) ** -0.3, 1.75 + 400 * (steps * 1e7) ** -0.3])}
    table = sl.table_from_columns(data)
    r = sl.fit("power_N", table)
    b = sl.bootstrap(r, table, 200, seed=0, resample="runs")  # auto would cut 2 curves into blocks of steps
    e = b.draws_dict()["E"]
    solo = {run: sl.fit("power_N", table.where(run=run)).natural["E"] for run in ("a", "b")}
    near = lambda v: min(abs(v - solo["a"]), abs(v - solo["b"]), abs(v - r.natural["E"]))  # noqa: E731
    # every draw is one of three fits (both runs, a twice, b twice), up to optimisation error
    assert max(near(v) for v in e) < 1e-6


def test_intervals_and_derived(chinchilla_table, chinchilla_fit):
    b = sl.bootstrap(chinchilla_fit, chinchilla_table, 400, seed=0)
    lo, hi = b.interval("alpha", 0.95)
    assert lo < b.natural["alpha"] < hi
    value, lo, hi = b.derived(lambda p: p["beta"] / (p["alpha"] + p["beta"]))
    assert lo < value < hi and value == pytest.approx(0.5138, abs=1e-3)


def test_bootstrap_refuses_other_data(chinchilla_table, chinchilla_fit):
    other = chinchilla_table.drop_largest("loss", 1)
    with pytest.raises(ValueError, match="fingerprints"):
        sl.bootstrap(chinchilla_fit, other, 10)
    with pytest.raises(ValueError, match="no bootstrap draws"):
        chinchilla_fit.stderr("alpha")
