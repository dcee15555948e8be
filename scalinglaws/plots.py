"""Matplotlib figures from results. No Streamlit here: the app and notebooks both call these."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np

from .curves import CurveForecast, predict_curve
from ._forecast import compute_optimal, forecast
from ._isoflop import IsoflopResult
from ._result import FitResult
from ._schema import RunTable
from .laws.downstream import cod_law

__all__ = ["plot_parity", "plot_residuals", "plot_frontier", "plot_isoflop", "plot_curves", "plot_curve_forecast",
           "plot_backtest", "plot_suggestions", "to_png", "close"]


def _with_band(ax, x, value, lower, upper, colour, *, label=None, band_label=None, lw=1.5, alpha=0.2):
    """A line and, when the interval is finite (the result has draws), its band."""
    ax.plot(x, value, "-", color=colour, lw=lw, label=label)
    if np.isfinite(lower).all():
        ax.fill_between(x, lower, upper, color=colour, alpha=alpha, label=band_label)


def _curve_axes(height: float):
    """Loss above, learning rate beneath, sharing the step axis."""
    return plt.subplots(2, 1, sharex=True, figsize=(8, height), gridspec_kw={"height_ratios": [3, 1]})


def _observed(ax, table: RunTable, run, **style):
    """A run's logged loss against step, in step order."""
    rows = table.runs == run
    order = np.argsort(table["step"][rows])
    ax.plot(table["step"][rows][order], table["loss"][rows][order], ".", ms=2, **style)


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    return ax


def plot_parity(result: FitResult, table: RunTable, ax=None):
    """Observed against predicted target, with the identity line."""
    ax = _axes(ax)
    law = result.law
    pred = result.predict(table)
    obs = table[law.target]
    ax.scatter(pred, obs, s=12, alpha=0.7)
    lo, hi = float(min(pred.min(), obs.min())), float(max(pred.max(), obs.max()))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set(xlabel=f"predicted {law.target}", ylabel=f"observed {law.target}", title=f"{law.name}: fit")
    return ax.figure


def plot_residuals(result: FitResult, table: RunTable):
    """Residuals (log observed - log predicted) against each input the law reads, on a log axis: a trend left in
    them is what the law does not capture; the dashed lines are the fit's 2-sigma spread."""
    law = result.law
    inputs = [c for c in law.inputs if c in table]
    fig, axes = plt.subplots(1, len(inputs), figsize=(4.2 * len(inputs), 3.6), squeeze=False)
    resid = np.log(table[law.target]) - np.log(result.predict(table))
    spread = 2 * float(np.std(resid))
    for ax, col in zip(axes[0], inputs):
        ax.scatter(table[col], resid, s=10, alpha=0.7)
        ax.axhline(0.0, color="k", lw=1)
        for sign in (-1, 1):
            ax.axhline(sign * spread, color="k", lw=0.8, ls="--")
        ax.set(xscale="log" if np.all(table[col] > 0) else "linear", xlabel=col,
               ylabel=f"log residual of {law.target}")
    fig.suptitle(f"{law.name}: residuals")
    fig.tight_layout()
    return fig


def plot_frontier(result: FitResult, table: RunTable | None = None, *, compute=None, fixed=None, level: float = 0.9,
                  ax=None):
    """Compute-optimal loss L*(C) with its bootstrap band, over the runs' (C, loss); beyond the data shaded.

    A law with inputs held fixed in an allocation (unique tokens U) takes them from ``fixed``, else the table's
    largest value of each (the most the runs had)."""
    ax = _axes(ax)
    model = result.law.compute
    # the runs' compute under the law's own compute model (a sparse run costs 6 N_avg D, not 6 N D)
    c_runs = None
    if table is not None:
        c_runs = np.asarray(model.flops({k: np.asarray(table[k]) for k in result.law.inputs if k in table}))
    if compute is None:
        c_lo, c_hi = (c_runs.min(), c_runs.max() * 1e3) if table is not None else (1e18, 1e25)
        compute = np.logspace(np.log10(c_lo), np.log10(c_hi), 40)
    fixed = dict(fixed or {})
    for k in result.law.fixed_inputs:
        if k not in fixed and table is not None and k in table:
            fixed[k] = float(np.max(table[k]))
    allocations = [compute_optimal(result, float(c), fixed=fixed, level=level) for c in compute]
    loss = np.array([float(a.loss.value) for a in allocations])
    lower = np.array([float(a.loss.lower) for a in allocations])
    upper = np.array([float(a.loss.upper) for a in allocations])
    if table is not None:
        target = result.law.target
        sc = ax.scatter(c_runs, table[target], c=np.log10(table[model.size]), s=10, cmap="viridis", alpha=0.8)
        ax.figure.colorbar(sc, ax=ax, label=f"log10 {model.size}")
        ax.axvspan(c_runs.max(), compute[-1], color="0.9", zorder=0, label="extrapolation")
    _with_band(ax, compute, loss, lower, upper, "C3", label="compute-optimal L*(C)",
               band_label=f"{100 * level:g}% bootstrap band", lw=2, alpha=0.25)
    held = "".join(f", {k} = {v:.3g}" for k, v in fixed.items())
    ax.set(xscale="log", xlabel="compute C (FLOP)", ylabel="loss",
           title=f"{result.law.name}: compute-optimal frontier{held}")
    ax.legend(loc="upper right", fontsize=8)
    return ax.figure


def plot_isoflop(table: RunTable, result: IsoflopResult, ax=None):
    """IsoFLOP profiles (loss against N per budget) with each budget's located optimum."""
    ax = _axes(ax)
    colours = plt.cm.plasma(np.linspace(0, 0.9, len(np.unique(table["C"]))))
    for colour, c in zip(colours, np.unique(table["C"])):
        rows = table["C"] == c
        order = np.argsort(table["N"][rows])
        ax.plot(table["N"][rows][order], table["loss"][rows][order], "o-", ms=3, lw=1, color=colour)
    ax.plot(result.n_opt, result.loss_opt, "k*", ms=9, label=f"N* ~ C^{result.n_exponent:.3f}")
    ax.set(xscale="log", xlabel="parameters N", ylabel="loss", title="IsoFLOP profiles (approach 2)")
    ax.legend()
    return ax.figure


def plot_curves(result: FitResult, table: RunTable, *, runs=None, level: float = 0.9):
    """Observed loss curves (dots) and the law's predicted curves (lines, with a bootstrap band when the result
    has draws), with each run's LR schedule beneath. ``table`` must carry its schedules."""
    fig, (ax, ax_lr) = _curve_axes(6)
    runs = list(runs if runs is not None else table.run_ids)
    colours = plt.cm.tab10(np.arange(len(runs)) % 10)
    for colour, run in zip(colours, runs):
        _observed(ax, table, run, color=colour, alpha=0.5)
        eta = table.schedules[run]
        curve = predict_curve(result, eta, level=level)
        _with_band(ax, curve.steps, curve.loss.value, curve.loss.lower, curve.loss.upper, colour, label=str(run))
        ax_lr.plot(np.arange(len(eta)), eta, color=colour, lw=1)
    low = np.nanpercentile(table["loss"], 1)
    ax.set(ylabel="loss", title=f"{result.law.name}: observed (dots) and predicted (lines)",
           ylim=(low - 0.05 * abs(low), np.nanpercentile(table["loss"], 99)))
    ax.legend(fontsize=7, ncol=2)
    ax_lr.set(xlabel="step", ylabel="learning rate")
    return fig


def plot_curve_forecast(forecast: CurveForecast, table: RunTable | None = None, *, label: str = "forecast"):
    """A predicted loss curve (with its band) for a schedule, over observed curves if given, and the schedule."""
    fig, (ax, ax_lr) = _curve_axes(5.5)
    if table is not None:
        for run in table.run_ids:
            _observed(ax, table, run, alpha=0.4, label=f"observed: {run}")
    _with_band(ax, forecast.steps, forecast.loss.value, forecast.loss.lower, forecast.loss.upper, "C3", label=label,
               band_label=f"{100 * forecast.level:g}% bootstrap band", lw=2, alpha=0.25)
    values = forecast.loss.value
    ax.set(ylabel="loss", title="predicted loss curve",
           ylim=(float(np.min(values)) * 0.97, float(np.percentile(values, 95)) * 1.1))
    ax.legend(fontsize=7)
    ax_lr.plot(forecast.steps, forecast.lr, "C3-")
    ax_lr.set(xlabel="step", ylabel="learning rate")
    return fig


def plot_chain(chain, table: RunTable | None = None, *, compute=None, level: float = 0.9, ax=None):
    """The chain's last stage (a metric) vs compute along the first stage's compute-optimal allocation, with the
    joint bootstrap band, over the runs' observed (C, metric)."""
    ax = _axes(ax)
    first = chain.stages[0]
    if compute is None:
        c_lo, c_hi = (table["C"].min(), table["C"].max() * 1e3) if table is not None else (1e18, 1e25)
        compute = np.logspace(np.log10(c_lo), np.log10(c_hi), 30)
    allocations = [compute_optimal(first, float(c)) for c in compute]
    inputs = {"N": np.array([float(a.N.value) for a in allocations]),
              "D": np.array([float(a.D.value) for a in allocations])}
    out = chain.forecast(inputs, level=level)
    metric = chain.stages[-1].law.target
    if table is not None and metric in table:
        sc = ax.scatter(table["C"], table[metric], c=np.log10(table["N"]), s=12, cmap="viridis", alpha=0.8)
        ax.figure.colorbar(sc, ax=ax, label="log10 N")
        ax.axvspan(table["C"].max(), compute[-1], color="0.9", zorder=0, label="extrapolation")
    band = out.prediction
    _with_band(ax, compute, band.value, band.lower, band.upper, "C3", label=f"{metric} at the compute-optimal run",
               band_label=f"{100 * level:g}% joint band (both stages)", lw=2, alpha=0.25)
    ax.set(xscale="log", xlabel="compute C (FLOP)", ylabel=metric,
           title=" -> ".join(s.law.name for s in chain.stages))
    ax.legend(fontsize=8)
    return ax.figure


_CLASS_COLOURS = {"extrapolatable": "C2", "non-extrapolatable": "C3", "non-emergent": "0.5"}


def plot_cod(result, bench, ax=None):
    """COD's clusters: each cluster's mean accuracy on the training models (points) and its fitted law (line),
    coloured by class; the forecast of the full set at the target compute with its band."""
    ax = _axes(ax)
    train = [bench.models.index(m) for m in result.train_models]
    c_train = bench.compute[train]
    grid = np.logspace(np.log10(c_train.min()), np.log10(max(np.max(result.target_compute), c_train.max())), 60)
    for cl in result.clusters:
        colour = _CLASS_COLOURS[cl["class"]]
        ax.plot(c_train, cl["accuracy"], "o", color=colour, ms=3 + 3 * np.sqrt(cl["size"] / len(result.labels)))
        law = cod_law(0.0)  # the law at guess 0, rescaled to the cluster's guess rate as COD fits it
        rise = FitResult(law=law, params=law.from_natural(cl["params"])).predict({"C": grid})
        curve = cl["guess"] + (1 - cl["guess"]) * rise
        ax.plot(grid, curve, "-", color=colour, lw=1, alpha=0.8)
    for cls, colour in _CLASS_COLOURS.items():
        ax.plot([], [], "-o", color=colour, label=f"{cls} ({result.n_in(cls)} items)")
    ax.plot(c_train, bench.accuracy[train], "k^", label="full set (training models)")
    others = [i for i in range(len(bench.models)) if i not in train]
    if others:
        ax.plot(bench.compute[others], bench.accuracy[others], "kx", ms=8, label="full set (held out)")
    if result.predictable:
        f = result.forecast
        err = np.abs(np.vstack([f.value - f.lower, f.upper - f.value]))
        ax.errorbar(result.target_compute, f.value, yerr=None if np.isnan(err).any() else err, fmt="s", color="C1",
                    capsize=4, label="COD forecast")
    ax.set(xscale="log", xlabel="compute C (FLOP)", ylabel="accuracy", ylim=(-0.02, 1.02), title="COD clusters")
    ax.legend(fontsize=7)
    return ax.figure


def plot_step_law(result, *, method: str = "recipe"):
    """Step Law: each (N, D) group's optimal LR against N and optimal batch size against D (the best run, and the
    bowl's optimum that keeps every run), with the fitted power laws of ``method``; one line per D in the LR panel."""
    lr_fit, bs_fit = (result.lr, result.bs) if method == "recipe" else (result.lr_all, result.bs_all)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    groups = result.groups
    ds = sorted({g["D"] for g in groups})
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(ds)))
    n_grid = np.logspace(np.log10(min(g["N"] for g in groups)), np.log10(max(g["N"] for g in groups)), 30)
    for colour, d in zip(colours, ds):
        mine = [g for g in groups if g["D"] == d]
        left.plot([g["N"] for g in mine], [g["best_lr"] for g in mine], "o", color=colour, ms=4)
        left.plot([g["N"] for g in mine], [g["lr_opt"] for g in mine], "x", color=colour, ms=5)
        left.plot(n_grid, lr_fit.predict({"N": n_grid, "D": np.full_like(n_grid, d)}), "-", color=colour, lw=1,
                  label=f"D = {d:.2g}")
    left.plot([], [], "ko", ms=4, label="best run")
    left.plot([], [], "kx", ms=5, label="bowl optimum")
    left.set(xscale="log", yscale="log", xlabel="parameters N", ylabel="optimal learning rate",
             title=f"lr* = {lr_fit.natural['a']:.3g} N^{lr_fit.natural['p']:.3f} D^{lr_fit.natural['q']:.3f}")
    left.legend(fontsize=7)
    d_grid = np.logspace(np.log10(ds[0]), np.log10(ds[-1]), 30)
    band = forecast(bs_fit, {"D": d_grid}).prediction
    right.plot([g["D"] for g in groups], [g["best_bs_tokens"] for g in groups], "ko", ms=4, label="best run")
    right.plot([g["D"] for g in groups], [g["bs_tokens_opt"] for g in groups], "kx", ms=5, label="bowl optimum")
    _with_band(right, d_grid, band.value, band.lower, band.upper, "C3", label="fitted law", band_label="90% band")
    right.set(xscale="log", yscale="log", xlabel="tokens D", ylabel="optimal batch size (tokens)",
              title=f"B* = {bs_fit.natural['b']:.3g} D^{bs_fit.natural['r']:.3f} ({method})")
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_epochs(result: FitResult, N: float, U: float, *, epochs=None, level: float = 0.9, ax=None):
    """Loss against epochs over ``U`` unique tokens at ``N`` parameters (a law of N, D and U, e.g.
    ``data_constrained``), with its band, beside the same tokens all fresh."""
    ax = _axes(ax)
    epochs = np.logspace(0, 2, 40) if epochs is None else np.asarray(epochs, dtype=float)
    d = U * epochs
    rep = forecast(result, {"N": np.full_like(d, N), "D": d, "U": np.full_like(d, U)}, level=level).prediction
    fresh = forecast(result, {"N": np.full_like(d, N), "D": d, "U": d}, level=level).prediction
    _with_band(ax, epochs, rep.value, rep.lower, rep.upper, "C3", label=f"{U:.3g} unique tokens repeated",
               band_label=f"{100 * level:g}% band")
    ax.plot(epochs, fresh.value, "--", color="0.4", label="the same tokens, all unique")
    ax.set(xscale="log", xlabel="epochs D / U", ylabel="loss", title=f"{result.law.name}: N = {N:.3g}")
    ax.legend(fontsize=8)
    return ax.figure


def plot_backtest(bt, ax=None):
    """A backtest's held-out runs: each run's measured value against the cut column, beside its forecast with the
    law's band (thick) and a new run's band (thin); the cut as a vertical line."""
    ax = _axes(ax)
    rows = bt.rows
    x = np.array([r[bt.by] for r in rows])
    actual, predicted = np.array([r["actual"] for r in rows]), np.array([r["predicted"] for r in rows])
    for lo_key, hi_key, lw, label in (("run_lower", "run_upper", 1, "band of a new run"),
                                      ("lower", "upper", 3, "band of the law")):
        lo, hi = np.array([r[lo_key] for r in rows]), np.array([r[hi_key] for r in rows])
        if np.isfinite(lo).all():
            ax.vlines(x, lo, hi, color="tab:blue", lw=lw, alpha=0.45, label=f"{100 * bt.level:g}% {label}")
    ax.plot(x, predicted, "_", color="tab:blue", ms=10, mew=2, label="forecast")
    ax.plot(x, actual, "o", color="black", ms=4, label="measured")
    ax.axvline(bt.cut, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    target = bt.result.law.target if bt.result is not None else "target"
    ax.set(xlabel=bt.by, ylabel=f"held-out {target}",
           title=f"{bt.law}: fitted on {bt.by} <= {bt.cut:.3g}, forecast above")
    ax.legend(fontsize=8)
    return ax.figure


def plot_suggestions(suggestions, table: RunTable, *, size: str = "N", data: str = "D", ax=None):
    """The runs made (dots), the suggested next runs (stars, numbered) and the compute ladder of the same cost
    (triangles) in the plane of ``size`` and ``data``, with the target (a cross) where it has both."""
    ax = _axes(ax)
    ax.scatter(table[size], table[data], s=10, color="grey", alpha=0.6, label="runs made")
    runs = suggestions.runs
    ax.scatter([r[size] for r in runs], [r[data] for r in runs], marker="*", s=160, color="tab:red",
               label="suggested", zorder=3)
    at: dict = {}  # a run suggested twice (a replicate) is one star with both numbers
    for i, r in enumerate(runs, 1):
        at.setdefault((r[size], r[data]), []).append(str(i))
    for where, numbers in at.items():
        ax.annotate(",".join(numbers), where, textcoords="offset points", xytext=(6, 4), fontsize=8)
    if suggestions.ladder:
        ax.scatter([r[size] for r in suggestions.ladder], [r[data] for r in suggestions.ladder], marker="^", s=50,
                   color="tab:blue", label="ladder of the same cost", zorder=2)
    if size in suggestions.target and data in suggestions.target:
        ax.scatter([suggestions.target[size]], [suggestions.target[data]], marker="x", s=80, color="black",
                   label="target")
    ax.set(xscale="log", yscale="log", xlabel=size, ylabel=data,
           title=f"next runs: band {suggestions.width:.3g} now, {suggestions.expected_width:.3g} expected")
    ax.legend(fontsize=8)
    return ax.figure


def close(fig) -> None:
    """Release a figure (pyplot keeps every figure it made until closed)."""
    plt.close(fig)


def to_png(fig, dpi: int = 120) -> bytes:
    """A figure as PNG bytes (for downloads)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
