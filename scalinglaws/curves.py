"""Loss curves under LR schedules: predict a whole curve for any schedule, score predictions against observed
curves, compare schedules by predicted final loss, and find the best WSD decay length.

Works with any law that declares ``"curve"`` forecasts and reads a per-run ``"lr"`` series (``tissue``,
``multipower``, ...). Every forecast returns a typed result with ``summary()`` and ``to_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from . import schedules as sched
from ._errors import InputError
from ._forecast import Band, csv_text, extrapolation_warnings, predict_band, predict_samples
from ._result import FitResult, percentile_interval
from ._schema import RunTable, table_from_columns

__all__ = ["schedules_from_lr", "schedule_defaults", "predict_curve", "curve_metrics", "evaluate_curves", "compare_schedules",
           "best_wsd_decay", "CurveForecast", "ScheduleRanking", "RankedSchedule", "WSDDecay"]


def schedules_from_lr(table: RunTable, *, warmup: int = 0, total: int | None = None) -> RunTable:
    """Attach to each run the per-step schedule read from its logged ``lr`` column (interpolated between logged
    steps; ``warmup`` steps of linear warmup from 0 before the first logged step, if given)."""
    if "lr" not in table or "step" not in table:
        raise InputError("schedules_from_lr needs 'step' and 'lr' columns")
    rows_of = table.rows_of_runs()
    first = {run: float(np.min(table["step"][rows])) for run, rows in rows_of.items()}
    late = [f"{run!r} ({step:g})" for run, step in first.items() if warmup > step]
    if late:
        raise InputError(f"a warmup of {warmup} steps runs past the first logged step of run(s) "
                         f"{', '.join(late[:6])}{' ...' if len(late) > 6 else ''}: the warmup fills in the steps before "
                         "the logs start (0 when they start at the start)")
    out = {}
    for run, rows in rows_of.items():
        out[run] = sched.from_logged(table["step"][rows], table["lr"][rows], warmup=warmup,
                                     total=total or int(table["step"][rows].max()) + 1)
    return table.with_schedules(out)


def schedule_defaults(table: RunTable) -> dict:
    """A schedule's length and LR range read from logged curves: ``total`` one past the last logged step, ``peak``
    the largest logged LR, ``floor`` a tenth of it (a common final LR)."""
    peak = float(np.max(table["lr"]))
    return {"total": int(np.max(table["step"])) + 1, "peak": peak, "floor": peak / 10}


_DEFAULT_POINTS = 400


def _curve_table(schedule: np.ndarray, steps: np.ndarray | None, run: str = "forecast") -> RunTable:
    schedule = np.asarray(schedule, dtype=float)
    if steps is None:  # an even grid ending at the last step: a per-step Multi-Power sum is quadratic in steps
        steps = np.unique(np.linspace(1, len(schedule) - 1, _DEFAULT_POINTS).round().astype(np.int64))
    steps = np.asarray(steps, dtype=np.int64)
    table = table_from_columns({"run": np.full(len(steps), run), "step": steps})
    return table.with_schedules({run: schedule})


def _require_curve(result: FitResult):
    if not result.law.can("curve"):
        raise InputError(f"law {result.law.name} does not forecast loss curves; it declares: "
                         f"{', '.join(result.law.forecasts)}")


def _predict(result: FitResult, table: RunTable, level: float) -> Band:
    """The law on every row of ``table`` with its band, one call per run (one compilation per curve shape)."""
    _require_curve(result)
    law = result.law
    value = np.empty(len(table))
    lower, upper = np.full(len(table), np.nan), np.full(len(table), np.nan)
    for run in table.run_ids:
        rows = table.runs == run
        band = predict_band(result, law.features(table.select(rows)), level)
        value[rows], lower[rows], upper[rows] = band.value, band.lower, band.upper
    return Band(value, lower, upper)


def _final_samples(result: FitResult, schedule: np.ndarray):
    """Predicted loss at a schedule's last step: the value and, with draws, one per draw."""
    _require_curve(result)
    x = result.law.features(_curve_table(schedule, [len(schedule) - 1]))
    value, samples = predict_samples(result, x)
    return float(value[0]), (None if samples is None else samples[:, 0])


@dataclass(frozen=True)
class CurveForecast:
    steps: np.ndarray
    lr: np.ndarray
    loss: Band
    level: float
    warnings: tuple[str, ...] = ()

    @property
    def final(self) -> tuple[float, float, float]:
        return float(self.loss.value[-1]), float(self.loss.lower[-1]), float(self.loss.upper[-1])

    def to_dict(self) -> dict:
        return {"steps": self.steps.tolist(), "lr": self.lr.tolist(), "loss": self.loss.to_dict(),
                "level": self.level, "warnings": list(self.warnings)}

    def to_csv(self) -> str:
        """step, lr, loss and its interval, one line per step."""
        return csv_text([{"step": int(s), "lr": lr, "loss": v, "lower": lo, "upper": hi} for s, lr, v, lo, hi in
                         zip(self.steps, self.lr, self.loss.value, self.loss.lower, self.loss.upper)])

    def summary(self) -> str:
        value, lo, hi = self.final
        band = f" ({lo:.5f}, {hi:.5f}, {100 * self.level:g}% interval)" if np.isfinite(lo) else ""
        return "\n".join([f"loss at step {int(self.steps[-1])}: {value:.5f}{band}",
                          *[f"warning: {w}" for w in self.warnings]])


@dataclass(frozen=True)
class RankedSchedule:
    name: str
    final_loss: float
    lower: float
    upper: float


@dataclass(frozen=True)
class ScheduleRanking:
    """Candidate schedules by predicted final loss, best first (``rows``), with the interval of each."""

    rows: tuple[RankedSchedule, ...]
    level: float

    @property
    def best(self) -> RankedSchedule:
        return self.rows[0]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self) -> dict:
        return {"level": self.level, "rows": [r.__dict__ for r in self.rows]}

    def summary(self) -> str:
        width = max([len(r.name) for r in self.rows] + [8])
        lines = [f"{'schedule':<{width}}  {'final loss':>10}  {100 * self.level:g}% interval"]
        for r in self.rows:
            band = f"  ({r.lower:.5f}, {r.upper:.5f})" if np.isfinite(r.lower) else ""
            lines.append(f"{r.name:<{width}}  {r.final_loss:>10.5f}{band}")
        return "\n".join(lines)


@dataclass(frozen=True)
class WSDDecay:
    """The best WSD decay fraction, its predicted final loss, the interval of the best fraction over the draws,
    and the whole scan (by fraction)."""

    best_fraction: float
    final_loss: RankedSchedule
    fraction_interval: tuple[float, float]
    scan: tuple[RankedSchedule, ...]
    level: float
    settings: Mapping = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"best_fraction": self.best_fraction, "final_loss": self.final_loss.__dict__,
                "fraction_interval": list(self.fraction_interval), "scan": [r.__dict__ for r in self.scan],
                "level": self.level, "settings": dict(self.settings)}

    def summary(self) -> str:
        lo, hi = self.fraction_interval
        band = f" ({100 * lo:.0f}%-{100 * hi:.0f}% over the draws)" if np.isfinite(lo) else ""
        lines = [f"best WSD decay: {100 * self.best_fraction:.1f}% of the steps{band}, final loss "
                 f"{self.final_loss.final_loss:.5f}", f"  {'decay':>6}  {'final loss':>10}"]
        lines += [f"  {100 * float(r.name):>5.1f}%  {r.final_loss:>10.5f}" for r in self.scan]
        return "\n".join(lines)


def predict_curve(result: FitResult, schedule: Sequence[float], *, steps: Sequence[int] | None = None,
                  level: float = 0.9) -> CurveForecast:
    """The loss along a per-step ``schedule`` (at ``steps``, default 400 evenly spaced steps ending at the last),
    with a bootstrap band if the result carries draws."""
    table = _curve_table(schedule, steps)
    band = _predict(result, table, level)
    schedule = np.asarray(schedule, dtype=float)
    return CurveForecast(table["step"].astype(np.int64), schedule[table["step"].astype(np.int64)], band, level,
                         # only running longer than the fitted curves is extrapolation that matters for a forecast
                         extrapolation_warnings(result, {"step": [table["step"].max()]}))


def curve_metrics(observed: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """R^2 (1 - SSE/SST), MAE, RMSE, mean relative error and the final point's relative error, on raw loss."""
    observed, predicted = np.asarray(observed, float), np.asarray(predicted, float)
    err = predicted - observed
    sst = np.sum((observed - observed.mean()) ** 2)
    return {"r2": float(1 - np.sum(err**2) / sst) if sst > 0 else float("nan"),
            "mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err**2))),
            "mre": float(np.mean(np.abs(err) / observed)), "final_rel_error": float(err[-1] / observed[-1])}


def evaluate_curves(result: FitResult, table: RunTable) -> dict[str, dict[str, float]]:
    """:func:`curve_metrics` of the law's prediction for each run of ``table`` (which carries its schedules)."""
    predicted = _predict(result.without_draws(), table, 0.9).value
    out = {}
    for run in table.run_ids:
        rows = np.flatnonzero(table.runs == run)
        rows = rows[np.argsort(table["step"][rows])]
        out[str(run)] = curve_metrics(table["loss"][rows], predicted[rows])
    return out


def compare_schedules(result: FitResult, candidates: Mapping[str, Sequence[float]], *, level: float = 0.9
                      ) -> ScheduleRanking:
    """Predicted final loss (with its interval) of each candidate schedule, best first."""
    if not candidates:
        raise InputError("compare_schedules needs at least one candidate schedule")
    finals = {name: _final_samples(result, np.asarray(s, dtype=float)) for name, s in candidates.items()}
    return ScheduleRanking(tuple(_rank(finals, level)), level)


def _rank(finals: Mapping, level: float) -> list[RankedSchedule]:
    rows = []
    for name, (value, samples) in finals.items():
        lo, hi = (np.nan, np.nan) if samples is None else percentile_interval(samples, level)
        rows.append(RankedSchedule(str(name), float(value), float(lo), float(hi)))
    return sorted(rows, key=lambda r: r.final_loss)


def best_wsd_decay(result: FitResult, total: int, peak: float, floor: float, *, warmup: int = 0,
                   shape: str = "linear", fractions: Sequence[float] = tuple(np.linspace(0.05, 0.6, 12)),
                   level: float = 0.9) -> WSDDecay:
    """The WSD decay fraction (of ``total`` steps) with the lowest predicted final loss, and the whole scan.

    With draws, the best fraction under each draw gives the interval of the optimum itself."""
    finals = {}
    for f in fractions:
        decay = int(round(f * total))
        if 1 <= decay <= total - warmup - 1:
            finals[f"{float(f):.6g}"] = _final_samples(result, sched.wsd(total, peak, floor, decay, shape=shape,
                                                                warmup=warmup))
    if not finals:
        raise InputError(f"no decay fraction in {list(fractions)} fits {total} steps after {warmup} of warmup")
    scan = _rank(finals, level)
    interval = (float("nan"),) * 2
    if result.draws is not None:
        per_draw = np.array([samples for _, samples in finals.values()])  # (fractions, draws)
        interval = percentile_interval(np.array(list(finals), dtype=float)[np.argmin(per_draw, axis=0)], level)
    best = scan[0]
    return WSDDecay(float(best.name), best, tuple(interval), tuple(sorted(scan, key=lambda r: float(r.name))), level,
                    {"total": total, "peak": peak, "floor": floor, "warmup": warmup, "shape": shape})
