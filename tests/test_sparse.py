"""Sparse pre-training (Jin et al. 2025): average parameter counts, the law in N_avg, planned sparse runs."""

import dataclasses
import json

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.laws.sparse import SPARSE, average_fraction, plan_sparse, pruning_schedule, with_average_size

TRUTH = {"A": 400.0, "B": 1500.0, "E": 1.8, "alpha": 0.34, "beta": 0.28}


def test_average_parameters_of_piecewise_linear_schedules_by_hand():
    # dense for 25%, linear to 80% sparse by 75%, held: 0.25 * 1 + 0.5 * (1 + 0.2) / 2 + 0.25 * 0.2 = 0.6
    assert average_fraction(*pruning_schedule(0.8, shape="linear")) == pytest.approx(0.6, abs=1e-15)
    # a ramp over all of training to 50%: 0.75
    assert average_fraction([0.0, 1.0], [0.0, 0.5]) == pytest.approx(0.75, abs=1e-15)
    # steps: 40% sparse from the middle on: 0.5 + 0.5 * 0.6 = 0.8
    assert average_fraction([0.0, 0.5, 0.5, 1.0], [0.0, 0.0, 0.4, 0.4]) == pytest.approx(0.8, abs=1e-15)
    # the cubic ramp keeps 1 - 3/4 s_f on average over the ramp: 0.25 + 0.5 * 0.4 + 0.25 * 0.2 = 0.5; the 65
    # sampled points of the ramp are trapezoids, within 1e-4 of the integral
    assert average_fraction(*pruning_schedule(0.8, shape="cubic")) == pytest.approx(0.5, abs=1e-4)


def test_bad_schedules_are_refused():
    with pytest.raises(sl.InputError, match="final sparsity.*start <= end.*shape"):
        pruning_schedule(1.2, start=0.8, end=0.2, shape="exponential")
    with pytest.raises(sl.InputError, match="from 0 to 1"):
        average_fraction([0.0, 0.5], [0.0, 0.1])


def sparse_runs(key=0, noise=0.001):
    """Dense and pruned runs (linear and cubic schedules, final sparsity 0 to 90%) from the law with TRUTH."""
    rng = np.random.default_rng(key)
    n0, d = np.meshgrid(np.logspace(7.5, 9.5, 8), np.logspace(9, 11.5, 8))
    finals = rng.choice([0.0, 0.5, 0.75, 0.9], n0.size)
    kept = np.array([average_fraction(*pruning_schedule(f, shape=("cubic", "linear")[i % 2]))
                     for i, f in enumerate(finals)])
    truth = sl.FitResult(law=SPARSE, params=SPARSE.from_natural(TRUTH))
    n_avg = n0.ravel() * kept
    loss = truth.predict({"N_avg": n_avg, "D": d.ravel()}) * np.exp(noise * rng.normal(size=n_avg.size))
    return {"N_avg": n_avg, "N": n0.ravel(), "D": d.ravel(), "loss": loss}


def test_the_law_in_average_parameters_is_recovered_and_the_dense_count_is_not():
    runs = sparse_runs()
    ours = sl.fit(SPARSE, runs)
    # 64 runs at 0.1% noise: exponents within 0.02 (measured 0.007 and 0.001 over keys 0-2; at 0.5% noise alpha
    # wanders by 0.04 on this ladder, beta by 0.003)
    assert ours.natural["alpha"] == pytest.approx(TRUTH["alpha"], abs=0.02)
    assert ours.natural["beta"] == pytest.approx(TRUTH["beta"], abs=0.02)
    # Chinchilla on the dense (starting) size fits these runs far worse (measured 23x the objective): the loss
    # follows N_avg
    dense = sl.fit("chinchilla", {"N": runs["N"], "D": runs["D"], "loss": runs["loss"]})
    assert dense.objective > 5 * ours.objective


def test_a_dense_schedule_gives_chinchillas_allocation():
    result = sl.FitResult(law=SPARSE, params=SPARSE.from_natural(TRUTH))
    chinchilla = sl.FitResult(law=sl.get_law("chinchilla"), params=sl.get_law("chinchilla").from_natural(TRUTH))
    plan = plan_sparse(result, 1e21, ([0.0, 1.0], [0.0, 0.0]))
    ref = sl.compute_optimal(chinchilla, 1e21)
    # a dense schedule makes N_avg = N, so the plan is Chinchilla's closed form: equal to rounding
    assert plan.N_dense[0] == plan.N_final[0] == plan.N_avg[0] == pytest.approx(float(ref.N.value), rel=1e-12)
    assert plan.loss[0] == pytest.approx(float(ref.loss.value), rel=1e-12)


@pytest.mark.slow  # over 1.2 s warm: 2.8 s warm, 13.1 s on an empty cache (2026-12-03)
def test_a_planned_sparse_run_starts_larger_and_ends_smaller():
    runs = sparse_runs()
    result = sl.bootstrap(sl.fit(SPARSE, runs), sl.table_from_columns(runs), 100, seed=0)
    plan = plan_sparse(result, 1e21, pruning_schedule(0.75))
    kept = average_fraction(*pruning_schedule(0.75))
    # the plan's sizes are these ratios by construction: equal to rounding
    assert plan.N_dense[0] == pytest.approx(plan.N_avg[0] / kept, rel=1e-12)
    assert plan.N_final[0] == pytest.approx(plan.N_dense[0] * 0.25, rel=1e-12)
    assert plan.N_avg[1] < plan.N_avg[0] < plan.N_avg[2]  # a band from the bootstrap
    assert "final (inference) size" in plan.summary()
    with pytest.raises(sl.InputError, match="needs a result of a law allocated in the average parameter count"):
        plan_sparse(sl.preset("chinchilla", "epoch-main"), 1e21, pruning_schedule(0.5))


def test_the_sparse_law_allocates_in_average_parameters():
    result = sl.FitResult(law=SPARSE, params=SPARSE.from_natural(TRUTH))
    chinchilla = sl.FitResult(law=sl.get_law("chinchilla"), params=sl.get_law("chinchilla").from_natural(TRUTH))
    a, ref = sl.compute_optimal(result, 1e21), sl.compute_optimal(chinchilla, 1e21)
    # the same closed form, read in N_avg: equal to rounding
    assert float(a.N.value) == pytest.approx(float(ref.N.value), rel=1e-12)
    assert a.size == "N_avg" and "parameters N_avg*" in a.summary()
    # the numerical minimum along C = 6 N_avg D (the law without its closed form) agrees to 1e-6, the precision
    # of 30 Newton steps on log N from a 513-point grid
    numerical = dataclasses.replace(SPARSE, name="sparse_numerical", compute_optimal=None)
    numeric = sl.compute_optimal(sl.FitResult(law=numerical, params=SPARSE.from_natural(TRUTH)), 1e21)
    assert numeric.method.startswith("numerical") and "N_avg" in numeric.method
    assert float(numeric.N.value) == pytest.approx(float(ref.N.value), rel=1e-6)
    # the compute for a target loss inverts the same frontier
    back = sl.compute_for_target(result, float(a.loss.value))
    assert float(back.compute.value) == pytest.approx(1e21, rel=1e-6)


def test_average_size_from_a_per_step_series_or_a_final_sparsity_column():
    # per step: run a dense for 4 steps; run b 0% for 2 steps then 50% for 2: kept 1 and 0.75 of N
    table = sl.table_from_columns({"run": ["a", "b"], "N": [1e8, 2e8], "D": [1e9, 1e9], "step": [3, 3],
                                   "loss": [3.0, 3.1]})
    with_s = table.with_series("sparsity", {"a": [0, 0, 0, 0], "b": [0, 0, 0.5, 0.5, 0.9]})
    out = with_average_size(with_s)
    assert out["N_avg"] == pytest.approx([1e8, 2e8 * 0.75], rel=1e-15)  # the series' 5th step is past the run's end
    # a final_sparsity column, pruned linearly from 25% to 75% of training: 0.6 of N for 80% (by hand above)
    cols = sl.table_from_columns({"N": [1e8, 1e8], "D": [1e9, 1e9], "loss": [3.0, 3.1],
                                  "final_sparsity": [0.0, 0.8]})
    assert with_average_size(cols, shape="linear")["N_avg"] == pytest.approx([1e8, 6e7], rel=1e-15)
    with pytest.raises(sl.InputError, match="give each run's sparsity"):
        with_average_size(sl.table_from_columns({"N": [1e8], "D": [1e9], "loss": [3.0]}))


def test_cli_sparse_fits_runs_and_plans_a_budget(tmp_path, capsys):
    from scalinglaws.cli import main

    runs = sparse_runs()
    path = tmp_path / "runs.csv"
    rows = ["run,N_avg,D,loss"] + [f"r{i},{float(a)!r},{float(b)!r},{float(c)!r}" for i, (a, b, c) in
                                   enumerate(zip(runs["N_avg"], runs["D"], runs["loss"]))]
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "fit.json"
    assert main(["sparse", str(path), "--compute", "1e21", "--final-sparsity", "0.75", "--bootstrap", "0",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "final (inference) size" in text and "sparse_chinchilla" in text
    # the written fit plans the same run again, as JSON
    assert main(["sparse", str(out), "--compute", "1e21", "--final-sparsity", "0.75", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plans"][0]
    assert plan["N_final"]["value"] == pytest.approx(0.25 * plan["N_dense"]["value"], rel=1e-12)
    assert main(["sparse", str(path), "--compute", "1e21", "--final-sparsity", "1.5"]) == 2
    assert "final sparsity must be in [0, 1)" in capsys.readouterr().err
