"""Backtests, law selection and risk, on runs simulated from a known Chinchilla law and on Epoch's 240 runs."""

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.backtest import backtest, compare_laws, default_cuts, rolling_backtest
from scalinglaws.cli import main
from scalinglaws.risk import compute_for_probability, probability_of_target

TRUE = {"E": 1.7, "A": 400.0, "B": 1500.0, "alpha": 0.34, "beta": 0.28}
NOISE = 0.01  # lognormal scatter of each run's final loss


def simulated(seed=0):
    rng = np.random.default_rng(seed)
    n, d = np.meshgrid(np.geomspace(2e7, 2e9, 6), np.geomspace(4e8, 4e10, 6))
    n, d = n.ravel(), d.ravel()
    loss = TRUE["E"] + TRUE["A"] * n ** -TRUE["alpha"] + TRUE["B"] * d ** -TRUE["beta"]
    return sl.table_from_columns({"N": n, "D": d, "loss": loss * np.exp(NOISE * rng.standard_normal(len(n)))})


@pytest.fixture(scope="module")
def table():
    return simulated()


@pytest.mark.slow  # over 1.2 s warm: 3.1 s warm, 19.9 s on an empty cache (2026-12-03)
def test_backtest_of_the_true_law_scores_at_the_noise_and_its_run_band_covers(table):
    cut = float(np.quantile(table["C"], 0.7))
    b = backtest("chinchilla", table, cut=cut, n_boot=100)
    assert b.n_train + b.n_test == len(table) and b.n_test == int(np.sum(table["C"] > cut))
    assert b.converged and b.n_draws == 100
    # the true law forecasts to the scatter of the runs (1%): an RMS log error within twice it
    assert b.rmse_log < 2 * NOISE
    # a new run's band (the law's draws plus the fit's residual scatter) should hold about 90% of held-out runs;
    # with 11 held-out runs one miss is 9%: at least 70%; the law's own band (no scatter) holds fewer
    assert b.run_coverage >= 0.7 and b.coverage <= b.run_coverage
    for row in b.rows:
        assert row["lower"] <= row["predicted"] <= row["upper"]
    width = lambda lo, hi: np.mean([r[hi] - r[lo] for r in b.rows])  # noqa: E731
    assert width("run_lower", "run_upper") > width("lower", "upper")  # a run scatters about the law


def test_rolling_backtest_and_default_cuts(table):
    cuts = default_cuts(table, "C")
    assert len(cuts) >= 3 and all(c < table["C"].max() for c in cuts)
    rolling = rolling_backtest("chinchilla", table, n_boot=0)
    assert [b.cut for b in rolling.backtests] == cuts
    assert rolling.rmse_log == pytest.approx(np.mean([b.rmse_log for b in rolling.backtests]))
    assert np.isnan(rolling.coverage)  # no bootstrap, no band: said, not made up


def test_compare_ranks_the_true_law_ahead_of_a_one_variable_law(table):
    ranking = compare_laws(table, ["power_N", "chinchilla"], cut=float(np.quantile(table["C"], 0.7)),
                           target_compute=1e22, n_boot=0)
    order = [r["law"] for r in ranking.rows]
    assert order == ["chinchilla", "power_N"]  # the runs vary N and D apart: a law in N alone cannot follow them
    chinchilla, power_n = ranking.rows
    assert chinchilla["rmse_log"] < 2 * NOISE < power_n["rmse_log"]
    # the forecast at the target is the full fit's compute-optimal loss (no band without a bootstrap)
    full = sl.compute_optimal(sl.fit("chinchilla", table), 1e22).loss.value
    assert chinchilla["forecast"]["value"] == pytest.approx(float(full), rel=1e-12)
    assert np.isnan(chinchilla["forecast"]["lower"]) and power_n["forecast"] is None  # power_N cannot allocate
    assert "Laws ranked by backtest error" in ranking.summary()


def test_a_law_that_cannot_be_backtested_is_listed_with_why(table):
    ranking = compare_laws(table, ["chinchilla", "data_constrained"], cut=float(np.quantile(table["C"], 0.7)),
                           n_boot=0)
    failed = ranking.rows[-1]
    assert failed["law"] == "data_constrained" and "U" in failed["failed"]


def test_cuts_that_leave_a_side_empty_are_refused(table):
    with pytest.raises(sl.InputError, match="leaves nothing to forecast"):
        backtest("chinchilla", table, cut=1e40)
    with pytest.raises(sl.InputError, match="leaves nothing to fit"):
        backtest("chinchilla", table, cut=1.0)


@pytest.mark.slow  # over 1.2 s warm: 3.1 s warm, 20.3 s on an empty cache (2026-12-03)
def test_risk_is_the_draws_share_and_the_budget_inverts_it(table):
    result = sl.bootstrap(sl.fit("chinchilla", table), table, 200, seed=1)
    target = 2.2
    budget = compute_for_probability(result, target, 0.9)
    risk = probability_of_target(result, target, compute=budget.compute)
    # the budget is the draws' 90% quantile of compute-for-target: at it, 90% of the draws reach the target, to
    # one draw in 200 (and the bisection's 1e-9 relative resolution in C)
    assert risk.probability == pytest.approx(0.9, abs=1.5 / 200)
    assert probability_of_target(result, target, compute=budget.compute * 0.5).probability < 0.9
    median = compute_for_probability(result, target, 0.5)
    assert median.compute == pytest.approx(budget.fitted_compute, rel=0.5)  # near the fitted law's own budget
    with pytest.raises(sl.UnreachableTargetError, match="draws reach"):
        compute_for_probability(result, TRUE["E"] * 0.9, 0.9)
    with pytest.raises(sl.InputError, match="bootstrap"):
        probability_of_target(sl.fit("chinchilla", table), target, compute=1e22)


@pytest.mark.slow  # through the CLI: 3.7 s warm, 20.8 s on an empty cache (2026-12-03)
def test_cli_backtest_compare_and_risk(tmp_path, capsys, root):
    csv = tmp_path / "runs.csv"
    sl.write_runs(simulated(), csv)
    assert main(["backtest", str(csv), "--law", "chinchilla", "--cut", "1e19", "--bootstrap", "0"]) == 0
    assert "Backtest of chinchilla: fitted on C <= 1e+19" in capsys.readouterr().out
    assert main(["compare", str(csv), "--law", "chinchilla", "--law", "power_C", "--cut", "1e19", "--bootstrap", "0",
                 "--json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)[0]["rows"]
    assert [r["law"] for r in rows][0] == "chinchilla"
    fit_json = tmp_path / "fit.json"
    assert main(["fit", str(csv), "--law", "chinchilla", "--bootstrap", "100", "--out", str(fit_json)]) == 0
    capsys.readouterr()
    assert main(["risk", str(fit_json), "--target", "2.2", "--compute", "1e22", "--probability", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "Probability of reaching 2.2" in out and "Compute for a 90% chance" in out
    assert main(["risk", str(fit_json), "--target", "2.2"]) == 2


@pytest.mark.slow  # over 1.2 s warm: 3.6 s warm, 13.0 s on an empty cache (2026-12-03)
def test_a_chain_backtest_scores_the_last_stage_through_the_chain(tmp_path, capsys):
    """Runs of a known two-stage truth (Besiroglu et al.'s Chinchilla, then Gadre et al.'s error law with eps 0.85,
    k 1.5, gamma 0.6): fitted below C = 1e20, the error of the runs above forecast through the chain."""
    from scalinglaws.simulate import simulate_runs

    rng = np.random.default_rng(0)
    c = np.repeat(np.geomspace(1e17, 1e21, 9), 5)
    n = np.sqrt(c / 6) * np.tile(np.geomspace(0.3, 3, 5), 9)
    runs = simulate_runs("chinchilla", {"A": 482.01, "B": 2085.43, "E": 1.8172, "alpha": 0.3478, "beta": 0.3658},
                         {"N": n, "D": c / (6 * n)}, noise=0.01, seed=0)
    error = 0.85 - 1.5 * np.exp(-0.6 * runs["loss"]) + 0.005 * rng.normal(size=len(c))
    table = sl.table_from_columns({"run": runs.runs, "N": runs["N"], "D": runs["D"], "loss": runs["loss"],
                                   "error": error})
    bt = sl.backtest.backtest_chain(["chinchilla", "gadre_error"], table, cut=1e20, n_boot=100)
    assert bt.law == "chinchilla -> gadre_error" and bt.n_test == 10 and bt.n_draws == 100
    # the truth is the fitted form: the forecast is off by about the scatter (0.005 on an error near 0.5: 1%)
    assert bt.rmse_log < 0.03
    assert 0 <= bt.coverage <= 1 and np.isnan(bt.run_coverage)
    # each row's first stage is the loss forecast, close to the measured loss (1% scatter, 3% allowed)
    assert all(abs(r["first_stage"] / l - 1) < 0.03 for r, l in zip(bt.rows, table.select(table["C"] > 1e20)["loss"]))
    assert "Backtest of chinchilla -> gadre_error" in bt.summary() and "of a run" not in bt.summary()
    csv = tmp_path / "chain.csv"
    sl.write_runs(table, csv)
    assert main(["backtest", str(csv), "--law", "chinchilla", "--then", "gadre_error", "--cut", "1e20",
                 "--bootstrap", "0"]) == 0
    assert "Backtest of chinchilla -> gadre_error: fitted on C <= 1e+20" in capsys.readouterr().out
    with pytest.raises(sl.InputError, match="at least two laws"):
        sl.backtest.backtest_chain(["chinchilla"], table, cut=1e20)
    with pytest.raises(sl.InputError, match="columns \\['accuracy'\\]"):
        sl.backtest.backtest_chain(["chinchilla", "loss_sigmoid"], table, cut=1e20)
