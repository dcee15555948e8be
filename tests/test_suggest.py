"""Run suggestions: the design criterion, the choice within the cap, and loud refusals."""

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import suggest
from scalinglaws._suggest_reproduce import initial_runs
from scalinglaws.simulate import simulate_runs

TRUTH = {"A": 482.01, "B": 2085.43, "E": 1.8172, "alpha": 0.3478, "beta": 0.3658}
START = {"compute": [1e17, 4e17, 1.6e18, 6.4e18], "sizes": 5, "spread": [60, 4]}


@pytest.fixture(scope="module")
def simulated():
    table = simulate_runs("chinchilla", TRUTH, initial_runs(START), noise=0.02, seed=3)
    result = sl.bootstrap(sl.fit("chinchilla", table), table, 100, seed=0)
    return table, result


def test_simulated_runs_follow_the_law():
    cols = initial_runs(START)
    table = simulate_runs("chinchilla", TRUTH, cols, noise=0.0)
    n, d = cols["N"], cols["D"]
    expected = TRUTH["E"] + TRUTH["A"] / n ** TRUTH["alpha"] + TRUTH["B"] / d ** TRUTH["beta"]
    assert np.allclose(table["loss"], expected, rtol=1e-12)  # no scatter: the formula itself, to rounding
    noisy = simulate_runs("chinchilla", TRUTH, cols, noise=0.02, seed=0)
    log_scatter = np.log(noisy["loss"] / expected)
    assert 0.01 < np.std(log_scatter) < 0.03  # 20 draws of N(0, 0.02^2): their sd lies within 50% of 0.02


@pytest.mark.slow  # over 1.2 s warm: 1.7 s warm, 16.8 s on an empty cache (2026-12-03)
def test_suggestions_fit_the_cap_and_narrow_the_band(simulated):
    table, result = simulated
    s = suggest.suggest_runs(result, table, k=4, cap=1e20, budget=1e22)
    assert len(s.runs) == 4
    assert s.cost <= 1e20 * (1 + 1e-9)
    n_min, d_min = table["N"].min(), table["D"].min()
    for r in s.runs:
        assert r["N"] >= n_min * (1 - 1e-9) and r["D"] >= d_min * (1 - 1e-9)  # never below the fitted range
        assert r["cost"] == pytest.approx(6 * r["N"] * r["D"], rel=1e-12)
    widths = [r["expected_width"] for r in s.runs]
    # information only adds: each run made narrows the expected band (or leaves it), never widens it
    assert all(b <= a * (1 + 1e-9) for a, b in zip([s.width, *widths], widths))
    assert s.expected_width == pytest.approx(widths[-1], rel=1e-9)
    # the designed runs beat the compute ladder of the same cost under the criterion they were chosen by
    assert s.variance_ratio < s.ladder_variance_ratio
    assert sum(r["cost"] for r in s.ladder) == pytest.approx(s.cost, rel=1e-9)
    lo, hi = s.band[1], s.band[2]
    band = sl.compute_optimal(result, 1e22).loss
    assert (lo, hi) == (float(band.lower), float(band.upper))
    assert "narrower" in s.summary() and s.to_dict()["runs"][0]["cost"] == s.runs[0]["cost"]


def test_the_criterion_is_the_direct_solve(simulated):
    table, result = simulated
    runs = {"N": np.array([3e8, 1e9]), "D": np.array([6e9, 1.5e10])}
    ratio = suggest.design_variance(result, table, runs, budget=1e22)
    design, _, _ = suggest._design_for(result, table, runs, 1e22, None, {})
    # Sherman-Morrison scores of one more run equal the direct solve with that run added
    for i in range(2):
        assert design.scores([1 - i])[i] == pytest.approx(design.variance([0, 1]), rel=1e-8)
    assert ratio == pytest.approx(design.variance([0, 1]) / design.variance([]), rel=1e-12)
    assert 0 < ratio < 1


def test_a_target_given_as_inputs(simulated):
    table, result = simulated
    s = suggest.suggest_runs(result, table, k=2, cap=1e19, at={"N": 1e10, "D": 2e11})
    fc = sl.forecast(result, {"N": [1e10], "D": [2e11]}).prediction
    assert s.band == (float(fc.value[0]), float(fc.lower[0]), float(fc.upper[0]))
    assert s.variance_ratio < 1 and len(s.runs) == 2


def test_refusals_name_the_problem(simulated):
    table, result = simulated
    with pytest.raises(sl.InputError, match="bootstrap draws"):
        suggest.suggest_runs(result.without_draws(), table, k=4, cap=1e20, budget=1e22)
    with pytest.raises(sl.InputError, match="raise the cap"):
        suggest.suggest_runs(result, table, k=4, cap=1e12, budget=1e22)
    with pytest.raises(sl.InputError, match="a budget .* or a run's inputs"):
        suggest.suggest_runs(result, table, k=4, cap=1e20)
    with pytest.raises(sl.InputError, match="positive whole number"):
        suggest.suggest_runs(result, table, k=0, cap=1e20, budget=1e22)


def test_cli_suggest(tmp_path, capsys, simulated):
    from scalinglaws.cli import main

    table, _ = simulated
    csv, fit_json, out = tmp_path / "runs.csv", tmp_path / "fit.json", tmp_path / "next.csv"
    sl.write_runs(table, csv)
    assert main(["fit", str(csv), "--law", "chinchilla", "--bootstrap", "100", "--out", str(fit_json)]) == 0
    capsys.readouterr()
    assert main(["suggest", str(csv), "--result", str(fit_json), "--budget", "1e22", "--cap", "1e20", "-k", "3",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 runs within a cap of 1e+20 FLOP" in text and "a compute ladder of 3" in text
    written = sl.read_runs(out)
    assert written.n_runs == 3 and np.all(6 * written["N"] * written["D"] <= 1e20)
    # no target, or both ways of giving one: exit 2 with the reason
    assert main(["suggest", str(csv), "--result", str(fit_json), "--cap", "1e20"]) == 2
    assert "a budget" in capsys.readouterr().err
    assert main(["suggest", str(csv), "--cap", "1e20", "--budget", "1e22"]) == 2
    assert "--law LAW" in capsys.readouterr().err
