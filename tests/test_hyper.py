"""Step Law: optimal LR and batch size from LR x batch-size grids, recovered from synthetic grids of known optima."""

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.hyper import near_optimal, step_law

TRUE = {"a": 1.8, "p": -0.71, "q": 0.31, "b": 0.58, "r": 0.57}
H = np.array([[0.30, 0.05], [0.05, 0.10]])  # curvature of ln L in (ln lr, ln bs), a known bowl


def grid_runs(seed=0, noise=5e-4):
    """A 3 x 3 (N, D) ladder; per group a 13 x 9 LR x batch-size grid near the true optimum (randomly offset);
    runs at more than 4x the optimal LR diverge (loss x 3)."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in (2e8, 5e8, 1.2e9):
        for d in (5e9, 2e10, 8e10):
            lr_opt = TRUE["a"] * n ** TRUE["p"] * d ** TRUE["q"]
            bs_opt = TRUE["b"] * d ** TRUE["r"]
            base = 1.7 + 400 / n ** 0.34 + 2000 / d ** 0.28
            shift = rng.uniform(-0.5, 0.5, 2)  # the grid does not sit on the optimum: off by up to half a step
            for x in np.log(lr_opt) + np.log(2) * (np.linspace(-2.1, 2.9, 13) + 0.42 * shift[0]):
                for y in np.log(bs_opt) + np.log(2) * (np.linspace(-2.2, 2.3, 9) + 0.56 * shift[1]):
                    dz = np.array([x - np.log(lr_opt), y - np.log(bs_opt)])
                    loss = base * np.exp(0.5 * dz @ H @ dz + noise * rng.normal())
                    if x - np.log(lr_opt) > np.log(4):
                        loss *= 3.0
                    rows.append({"run": f"n{n:g}_d{d:g}_{len(rows)}", "N": n, "D": d, "lr": np.exp(x),
                                 "bs_tokens": np.exp(y), "loss": loss})
    return sl.table_from_columns({k: [r[k] for r in rows] for k in rows[0]})


@pytest.fixture(scope="module")
def fitted():
    return step_law(grid_runs(), n_boot=200, seed=0)


def test_both_estimates_recover_the_known_laws(fitted):
    lr, bs, lr_all, bs_all = (r.natural for r in (fitted.lr, fitted.bs, fitted.lr_all, fitted.bs_all))
    print(f"\nrecipe p {lr['p']:.4f} q {lr['q']:.4f} r {bs['r']:.4f}; all runs p {lr_all['p']:.4f} "
          f"q {lr_all['q']:.4f} r {bs_all['r']:.4f}")
    # the recipe averages the few grid points near each optimum (grid steps 2^0.42 in lr, 2^0.56 in bs): its
    # exponents carry the grid's discreteness (the grid sits off the optimum): measured within 0.015; 0.05
    # leaves margin
    for name, k in (("p", lr), ("q", lr), ("r", bs)):
        assert k[name] == pytest.approx(TRUE[name], abs=0.05), name
    # the bowls see every run, and the truth is a bowl: 0.05% noise gives exponents within 0.001 (measured);
    # 0.005 leaves margin
    for name, k in (("p", lr_all), ("q", lr_all), ("r", bs_all)):
        assert k[name] == pytest.approx(TRUE[name], abs=0.005), name
    # ... and the pooled curvature is the true one to 2% (the diverged runs weigh next to nothing)
    np.testing.assert_allclose(fitted.curvature, H, rtol=0.02, atol=0.002)
    assert all(g["convex"] for g in fitted.groups)


def test_forecast_has_intervals_and_converts_batch_size(fitted):
    f = fitted.forecast([7e9], [1.4e12], seq_len=2048)
    truth_lr = TRUE["a"] * 7e9 ** TRUE["p"] * 1.4e12 ** TRUE["q"]
    lr, lo, hi = (float(v[0]) for v in f.lr)
    assert lo < lr < hi
    assert lr == pytest.approx(truth_lr, rel=0.5)  # 1.5 decades beyond the ladder: the recipe's exponents' error
    assert f.bs_sequences[0][0] == pytest.approx(f.bs_tokens[0][0] / 2048, rel=1e-12)
    assert "batch size, seqs" in f.summary()


def test_penalty_is_zero_at_the_optimum_and_grows_off_it(fitted):
    f = fitted.forecast(5e8, 2e10, method="all runs")
    at, off = fitted.penalty(5e8, 2e10, [f.lr[0][0], 2 * f.lr[0][0]], [f.bs_tokens[0][0]] * 2, method="all runs")
    # at the forecast optimum the penalty is exp(0) - 1: zero up to rounding
    assert at == pytest.approx(0.0, abs=1e-12)
    # doubling the LR: exp(0.5 * 0.30 * ln(2)^2) - 1 = 7.5% under the true bowl; the pooled one within 2%
    assert off == pytest.approx(np.expm1(0.5 * 0.30 * np.log(2) ** 2), rel=0.02)


def test_near_optimal_selection():
    loss = np.array([2.0, 2.004, 2.006, 3.0, 1.0, 1.002, 1.003])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b"])
    assert near_optimal(loss, groups, 0.0025).tolist() == [True, True, False, False, True, True, False]


def test_bad_grids_are_refused_with_every_problem():
    table = sl.table_from_columns({"N": [1e8, 1e8], "D": [1e9, 1e9], "loss": [3.0, 3.1]})
    with pytest.raises(sl.InputError) as err:
        step_law(table, threshold=2.0)
    message = str(err.value)
    assert "missing column 'lr'" in message and "batch size in tokens" in message and "threshold" in message
    runs = grid_runs()
    two = runs["D"] <= 2e10
    small = sl.table_from_columns({k: runs[k][two & (runs["N"] == 2e8)] for k in ("N", "D", "lr", "bs_tokens", "loss")})
    with pytest.raises(sl.InputError, match="at least 3 \\(N, D\\) groups; got 2"):
        step_law(small, n_boot=0)


def test_the_published_preset():
    lr = sl.preset("steplaw_lr", "steplaw").predict({"N": [7e9], "D": [1.4e12]})[0]
    bs = sl.preset("steplaw_bs", "steplaw").predict({"D": [1.4e12]})[0]
    # REFERENCE.md: 'lr about 9.35e-4 and bs about 5.0e6 tokens' (3 and 2 digits)
    assert lr == pytest.approx(9.35e-4, rel=5e-3) and bs == pytest.approx(5.0e6, rel=1e-2)


@pytest.mark.slow  # through the CLI: 1.3 s warm, 13.9 s on an empty cache (2026-12-03)
def test_cli_hyper(tmp_path, capsys):
    from scalinglaws.cli import main

    runs = grid_runs()
    path = tmp_path / "grid.csv"
    columns = ("N", "D", "lr", "bs_tokens", "loss")
    rows = ["run," + ",".join(columns)] + [f"{r}," + ",".join(repr(float(runs[c][i])) for c in columns)
                                           for i, r in enumerate(runs.run_ids)]
    path.write_text("\n".join(rows) + "\n")
    assert main(["hyper", str(path), "--at", "N=7e9,D=1.4e12", "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "authors' recipe" in out and "N = 7e+09, D = 1.4e+12" in out and "learning rate" in out
    assert main(["hyper", str(path), "--at", "N=7e9"]) == 2
    assert "--at needs N and D" in capsys.readouterr().err


def test_the_step_law_plot_renders(fitted):
    from scalinglaws import plots

    fig = plots.plot_step_law(fitted)
    assert len(fig.axes) == 2 and all(ax.has_data() for ax in fig.axes)
    assert "lr* = " in fig.axes[0].get_title()
    plots.close(fig)
