"""Is this forecast any good, and which law to believe: backtests and law selection.

A fit that matches its own points says little about the run ten times larger. A **backtest** fits a law on the rows
at or below a cut (by default in compute C: the small runs) and forecasts the rows above it, as the fit would be
used: it scores the point forecasts (the RMS of log(predicted / actual), the mean |relative error|, the mean log
error as a bias) and, with bootstrap draws, whether each held-out row fell inside its band (the coverage, beside
the nominal level). A **rolling** backtest repeats this over several cuts. For loss-curve laws the cut is in steps:
fit on the early part of every curve, forecast the rest.

A chain ((N, D) -> loss -> metric; :func:`backtest_chain`) is backtested the same way: every stage fitted on the
rows below the cut and bootstrapped with one resample plan, the last stage's target forecast through the chain
with its joint band.

**Law selection** (:func:`compare_laws`) backtests every law the table's columns allow and ranks them by backtest
error, not by training fit, with each law's forecast at a target compute side by side, so that one sees how much
the choice of law matters where the forecast is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ._bootstrap import bootstrap
from ._errors import InputError
from ._fit import FitError, fit
from ._forecast import compute_optimal, predict_samples
from ._result import FitResult, percentile_interval
from ._schema import RunTable, SchemaError
from .laws import applicable_laws, get_law

__all__ = ["backtest", "backtest_chain", "rolling_backtest", "compare_laws", "Backtest", "RollingBacktest",
           "LawRanking", "default_cuts"]


@dataclass(frozen=True)
class Backtest:
    """One cut: the law fitted on rows with ``by <= cut``, scored on the rows above it."""

    law: str
    by: str
    cut: float
    level: float
    n_train: int  # rows
    n_test: int
    runs_train: int
    runs_test: int
    rmse_log: float  # sqrt(mean(log(predicted / actual)^2))
    mean_abs_rel: float  # mean |predicted / actual - 1|
    bias_log: float  # mean log(predicted / actual): > 0 forecasts too high
    coverage: float  # fraction of held-out rows inside the law's band (parameter uncertainty; NaN without draws)
    run_coverage: float  # ... inside the band of a single run: the law's draws plus the fit's residual scatter
    converged: bool
    n_draws: int
    rows: tuple[Mapping[str, object], ...] = ()
    warnings: tuple[str, ...] = ()
    result: FitResult | None = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        cover = (f"; inside the {100 * self.level:g}% band of the law {100 * self.coverage:.0f}%"
                 if np.isfinite(self.coverage) else "; no band (no bootstrap)")
        if np.isfinite(self.run_coverage):
            cover += f", of a run (with the fit's scatter) {100 * self.run_coverage:.0f}%"
        lines = [f"Backtest of {self.law}: fitted on {self.by} <= {self.cut:.4g} ({self.n_train} rows, {self.runs_train}"
                 f" runs), forecast {self.n_test} rows above ({self.runs_test} runs)",
                 f"  error: RMS log {100 * self.rmse_log:.2f}%, mean |relative| {100 * self.mean_abs_rel:.2f}%, bias "
                 f"{100 * self.bias_log:+.2f}%{cover}"]
        if not self.converged:
            lines.append("  warning: the fit on the rows below the cut did not converge")
        return "\n".join(lines + [f"  warning: {w}" for w in self.warnings])

    def to_dict(self) -> dict:
        keys = ("law", "by", "cut", "level", "n_train", "n_test", "runs_train", "runs_test", "rmse_log",
                "mean_abs_rel", "bias_log", "coverage", "run_coverage", "converged", "n_draws")
        return {**{k: getattr(self, k) for k in keys}, "rows": [dict(r) for r in self.rows],
                "warnings": list(self.warnings)}


@dataclass(frozen=True)
class RollingBacktest:
    """Backtests over several cuts, and their mean scores."""

    law: str
    backtests: tuple[Backtest, ...]

    @property
    def rmse_log(self) -> float:
        return float(np.mean([b.rmse_log for b in self.backtests]))

    @property
    def coverage(self) -> float:
        values = [b.coverage for b in self.backtests if np.isfinite(b.coverage)]
        return float(np.mean(values)) if values else float("nan")

    @property
    def run_coverage(self) -> float:
        values = [b.run_coverage for b in self.backtests if np.isfinite(b.run_coverage)]
        return float(np.mean(values)) if values else float("nan")

    def summary(self) -> str:
        head = (f"Rolling backtest of {self.law} over {len(self.backtests)} cuts: mean RMS log error "
                f"{100 * self.rmse_log:.2f}%" + (f", mean coverage {100 * self.coverage:.0f}%"
                                                 if np.isfinite(self.coverage) else ""))
        return "\n".join([head, *(b.summary() for b in self.backtests)])

    def to_dict(self) -> dict:
        return {"law": self.law, "rmse_log": self.rmse_log, "coverage": self.coverage, "run_coverage": self.run_coverage,
                "backtests": [b.to_dict() for b in self.backtests]}


def _default_by(law, table: RunTable) -> str:
    if "C" in table and law.compute is not None and "C" not in law.inputs and law.can("allocation"):
        return "C"
    if "C" in table and set(law.inputs) <= {"N", "D", "C", "U", "N_avg"}:
        return "C"
    return law.inputs[0]


def default_cuts(table: RunTable, by: str, count: int = 4) -> list[float]:
    """``count`` cuts at the 50%, 60%, ... quantiles of the distinct values of ``by``: every cut keeps at least
    half the values for the fit and leaves the largest to forecast."""
    values = np.unique(np.asarray(table[by], dtype=float))
    if len(values) < 3:
        raise InputError(f"a backtest needs at least 3 distinct values of {by!r}; the table has {len(values)}")
    qs = np.linspace(0.5, 0.8, count)
    return sorted({float(values[min(len(values) - 2, int(np.floor(q * (len(values) - 1))))]) for q in qs})


def _prepared(law, table: RunTable, warmup: int) -> RunTable:
    if "lr" in law.series and not table.series.get("lr"):
        from .curves import schedules_from_lr

        return schedules_from_lr(table, warmup=warmup)
    return table


def _split(table: RunTable, by: str, cut: float) -> tuple[RunTable, RunTable]:
    """(rows with ``by <= cut``, rows above); InputError when either side is empty."""
    values = np.asarray(table[by], dtype=float)
    below = values <= cut
    if below.all() or not below.any():
        raise InputError(f"a cut at {by} = {cut:.4g} leaves {'nothing to forecast' if below.all() else 'nothing to fit'}"
                         f" ({by} runs from {values.min():.4g} to {values.max():.4g})")
    return table.select(below), table.select(~below)


def backtest(law, table: RunTable, *, cut: float, by: str | None = None, n_boot: int = 200, level: float = 0.9,
             seed: int = 0, warmup: int = 0, **fit_options) -> Backtest:
    """Fit ``law`` on the rows with ``by <= cut`` (default ``by``: compute C for laws of N and D, else the law's
    first input, e.g. the step of a loss curve), forecast the rest, and score the forecasts.

    ``n_boot`` bootstrap refits of the fit give each forecast a ``level`` band (0: no bands, no coverage);
    ``fit_options`` go to :func:`scalinglaws.fit`. Raises InputError when either side of the cut is empty."""
    law = get_law(law)
    by = by or _default_by(law, table)
    if by not in table:
        raise InputError(f"cannot cut on {by!r}: the table has no such column (columns: {', '.join(table.columns)})")
    table = _prepared(law, table, warmup)
    train, test = _split(table, by, cut)
    result = fit(law, train, throw=False, **fit_options)
    if n_boot and result.converged:
        result = bootstrap(result, train, n_boot, seed=seed)
    value, samples = predict_samples(result, law.features(test))
    actual = np.asarray(test[law.target], dtype=float)
    log_error = np.log(value / actual)
    nan = np.full(len(actual), np.nan)
    lower, upper, p_lower, p_upper = nan, nan, nan, nan
    if samples is not None:
        lower, upper = percentile_interval(samples, level, axis=0)
        # a run's own scatter about the law, resampled from the fit's residuals: the band a new run falls in
        residuals = _residuals(result, train)
        picks = np.random.default_rng(seed).integers(0, len(residuals), samples.shape)
        spread = (samples * np.exp(residuals[picks]) if result.settings.get("residuals", "log") == "log"
                  else samples + residuals[picks])
        p_lower, p_upper = percentile_interval(spread, level, axis=0)
    inside = (lower <= actual) & (actual <= upper)
    p_inside = (p_lower <= actual) & (actual <= p_upper)
    coverage = float(np.mean(inside)) if samples is not None else float("nan")
    p_coverage = float(np.mean(p_inside)) if samples is not None else float("nan")
    rows = tuple({"run": str(r), by: float(v), "actual": float(a), "predicted": float(p), "lower": float(lo),
                  "upper": float(hi), "inside": bool(i), "run_lower": float(pl), "run_upper": float(pu),
                  "inside_run_band": bool(pi)}
                 for r, v, a, p, lo, hi, i, pl, pu, pi in zip(test.runs, test[by], actual, value, lower, upper, inside,
                                                              p_lower, p_upper, p_inside))
    return Backtest(law.name, by, float(cut), level, len(train), len(test), train.n_runs, test.n_runs,
                    float(np.sqrt(np.mean(log_error**2))), float(np.mean(np.abs(value / actual - 1))),
                    float(np.mean(log_error)), coverage, p_coverage, bool(result.converged),
                    0 if result.draws is None else len(result.draws), rows, tuple(result.warnings), result)


def backtest_chain(laws: Sequence, table: RunTable, *, cut: float, by: str = "C", n_boot: int = 200,
                   level: float = 0.9, seed: int = 0) -> Backtest:
    """Fit every stage of the chain ``laws`` (stage k+1 reading stage k's prediction) on the rows of ``table``
    with ``by <= cut``, forecast the last stage's target on the rows above through the chain, and score it as
    :func:`backtest` does; the band is the chain's joint band over ``n_boot`` paired draws (one resample plan for
    every stage). Each row also carries the first stage's forecast of its own target (``first_stage``)."""
    from ._chain import chain
    from ._resample import resample_plan

    laws = [get_law(law) for law in laws]
    if len(laws) < 2:
        raise InputError("a chain backtest needs at least two laws")
    missing = sorted({c for law in laws for c in law.columns if c not in table} | ({by} - set(table.columns)))
    if missing:
        raise InputError(f"the chain's laws need columns {missing}, which the table lacks")
    train, test = _split(table, by, cut)
    stages = [fit(law, train, throw=False) for law in laws]
    warnings = [f"stage {law.name} did not converge" for law, s in zip(laws, stages) if not s.converged]
    if n_boot and not warnings:
        plan = resample_plan(train, n=n_boot, seed=seed)
        stages = [bootstrap(s, train, plan=plan) for s in stages]
    chained = chain(*stages)
    inputs = {c: test[c] for k, law in enumerate(laws) for c in law.inputs if k == 0 or c != chained.links[k - 1]}
    fc = chained.forecast(inputs, level=level)
    value, lower, upper = (np.asarray(getattr(fc.prediction, k), dtype=float) for k in ("value", "lower", "upper"))
    actual = np.asarray(test[laws[-1].target], dtype=float)
    log_error = np.log(value / actual)
    drawn = stages[0].draws is not None
    inside = (lower <= actual) & (actual <= upper)
    first = np.asarray(fc.stages[0].value, dtype=float)
    rows = tuple({"run": str(r), by: float(v), "actual": float(a), "predicted": float(p), "lower": float(lo),
                  "upper": float(hi), "inside": bool(i), "first_stage": float(f)}
                 for r, v, a, p, lo, hi, i, f in zip(test.runs, test[by], actual, value, lower, upper, inside, first))
    name = " -> ".join(law.name for law in laws)
    return Backtest(name, by, float(cut), level, len(train), len(test), train.n_runs, test.n_runs,
                    float(np.sqrt(np.mean(log_error**2))), float(np.mean(np.abs(value / actual - 1))),
                    float(np.mean(log_error)), float(np.mean(inside)) if drawn else float("nan"), float("nan"),
                    not warnings, len(stages[0].draws) if drawn else 0, rows, tuple(warnings + list(fc.warnings)),
                    None)


def _residuals(result: FitResult, train: RunTable) -> np.ndarray:
    """The fit's residuals on its own rows, on its residual scale (log(actual / predicted) for log residuals)."""
    value, _ = predict_samples(result, result.law.features(train))
    actual = np.asarray(train[result.law.target], dtype=float)
    r = np.log(actual / value) if result.settings.get("residuals", "log") == "log" else actual - value
    return r[np.isfinite(r)]


def rolling_backtest(law, table: RunTable, *, cuts: Sequence[float] | None = None, by: str | None = None,
                     **options) -> RollingBacktest:
    """:func:`backtest` at each of ``cuts`` (default :func:`default_cuts`)."""
    law = get_law(law)
    by = by or _default_by(law, table)
    cuts = list(cuts) if cuts is not None else default_cuts(table, by)
    return RollingBacktest(law.name, tuple(backtest(law, table, cut=c, by=by, **options) for c in cuts))


@dataclass(frozen=True)
class LawRanking:
    """Laws ranked by backtest error (best first); a law that could not be backtested is listed last, with why."""

    rows: tuple[Mapping[str, object], ...]
    by: str
    cuts: tuple[float, ...]
    target_compute: float | None
    level: float

    def summary(self) -> str:
        cuts = ", ".join(f"{c:.3g}" for c in self.cuts)
        head = (f"Laws ranked by backtest error (fitted on {self.by} <= {cuts}, forecast above; share of held-out "
                f"runs inside the {100 * self.level:g}% band of the law and of a single run)")
        at = f"loss at C = {self.target_compute:.3g}" if self.target_compute else ""
        lines = [head, f"  {'rank':<5}{'law':<18}{'params':>7}{'RMS log err':>13}{'mean |rel|':>12}"
                       f"{'in band':>9}{'in run band':>13}  {at}"]
        for i, r in enumerate(self.rows, 1):
            if r.get("failed"):
                lines.append(f"  {'-':<5}{r['law']:<18}{'':>7}  could not be backtested: {r['failed']}")
                continue
            cover = f"{100 * r['coverage']:.0f}%" if np.isfinite(r["coverage"]) else "-"
            run_cover = f"{100 * r['run_coverage']:.0f}%" if np.isfinite(r["run_coverage"]) else "-"
            fc = r.get("forecast")
            text = "" if not fc else (f"{fc['value']:.4f}" + (f" ({fc['lower']:.4f}, {fc['upper']:.4f})"
                                                               if np.isfinite(fc["lower"]) else ""))
            if fc is None and self.target_compute:
                text = "(no allocation)"
            lines.append(f"  {i:<5}{r['law']:<18}{r['params']:>7}{100 * r['rmse_log']:>12.2f}%"
                         f"{100 * r['mean_abs_rel']:>11.2f}%{cover:>9}{run_cover:>13}  {text}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"by": self.by, "cuts": list(self.cuts), "target_compute": self.target_compute, "level": self.level,
                "rows": [dict(r) for r in self.rows]}


def compare_laws(table: RunTable, laws: Sequence[str] | None = None, *, cut: float | None = None,
                 cuts: Sequence[float] | None = None, by: str = "C", target_compute: float | None = None,
                 fixed: Mapping[str, float] | None = None, n_boot: int = 200, level: float = 0.9, seed: int = 0,
                 **fit_options) -> LawRanking:
    """Backtest each law (default: every law :func:`applicable_laws` allows on the table) at ``cut`` (or over
    ``cuts``; default :func:`default_cuts`) on ``by``, and rank them by RMS log error. With ``target_compute``, each
    law that declares allocation is also fitted on all rows, bootstrapped, and its compute-optimal loss there given
    with its band."""
    names = list(laws) if laws is not None else [n for n, law in applicable_laws(table).items()
                                                  if not law.series and (by in table)]
    if not names:
        raise InputError("no law applies to this table's columns")
    chosen = [cut] if cut is not None else (list(cuts) if cuts is not None else default_cuts(table, by))
    rows = []
    for name in names:
        law = get_law(name)
        try:
            tests = [backtest(law, table, cut=c, by=by, n_boot=n_boot, level=level, seed=seed, **fit_options)
                     for c in chosen]
        except (InputError, SchemaError, FitError) as exc:
            rows.append({"law": name, "failed": _why(exc)})
            continue
        row = {"law": name, "params": len(law.params),
               "rmse_log": float(np.mean([t.rmse_log for t in tests])),
               "mean_abs_rel": float(np.mean([t.mean_abs_rel for t in tests])),
               "coverage": float(np.nanmean([t.coverage for t in tests])) if n_boot else float("nan"),
               "run_coverage": float(np.nanmean([t.run_coverage for t in tests])) if n_boot else float("nan"),
               "converged": all(t.converged for t in tests), "forecast": None}
        if target_compute and law.can("allocation"):
            try:
                full = fit(law, table, throw=False, **fit_options)
                if n_boot and full.converged:
                    full = bootstrap(full, table, n_boot, seed=seed)
                loss = compute_optimal(full, target_compute, fixed=fixed, level=level).loss
                row["forecast"] = {"value": float(loss.value), "lower": float(loss.lower),
                                   "upper": float(loss.upper)}
            except (InputError, SchemaError, FitError) as exc:
                row["forecast_failed"] = _why(exc)
        rows.append(row)
    ranked = sorted([r for r in rows if not r.get("failed")], key=lambda r: (not np.isfinite(r["rmse_log"]),
                                                                              r["rmse_log"]))
    return LawRanking(tuple(ranked + [r for r in rows if r.get("failed")]), by, tuple(float(c) for c in chosen),
                      target_compute, level)


def _why(exc: Exception) -> str:
    return "; ".join(exc.problems) if isinstance(exc, SchemaError) else str(exc).splitlines()[0]
