"""Loss curves under LR schedules: predict a whole curve for any schedule, score predictions against observed
curves, compare schedules by predicted final loss, and find the best WSD decay length.

Works with any law whose input is ``step`` and which reads per-run schedules (``tissue``, ``multipower``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import schedules as sched
from ._forecast import Band, extrapolation_warnings
from ._result import FitResult, _percentile
from ._schema import RunTable, table_from_columns

__all__ = ["schedules_from_lr", "predict_curve", "curve_metrics", "evaluate_curves", "compare_schedules",
           "best_wsd_decay", "CurveForecast"]

_BATCH_ELEMENTS = 20_000_000  # draws evaluated together: at most this many elements in their largest input


def schedules_from_lr(table: RunTable, *, warmup: int = 0, total: int | None = None) -> RunTable:
    """Attach to each run the per-step schedule read from its logged ``lr`` column (interpolated between logged
    steps; ``warmup`` steps of linear warmup from 0 before the first logged step, if given)."""
    if "lr" not in table or "step" not in table:
        raise ValueError("schedules_from_lr needs 'step' and 'lr' columns")
    out = {}
    for run in table.run_ids:
        rows = table.runs == run
        out[run] = sched.from_logged(table["step"][rows], table["lr"][rows], warmup=warmup,
                                     total=total or int(table["step"][rows].max()) + 1)
    return table.with_schedules(out)


_DEFAULT_POINTS = 400


def _curve_table(schedule: np.ndarray, steps: np.ndarray | None, run: str = "forecast") -> RunTable:
    schedule = np.asarray(schedule, dtype=float)
    if steps is None:  # an even grid ending at the last step: a per-step Multi-Power sum is quadratic in steps
        steps = np.unique(np.linspace(1, len(schedule) - 1, _DEFAULT_POINTS).round().astype(np.int64))
    steps = np.asarray(steps, dtype=np.int64)
    table = table_from_columns({"run": np.full(len(steps), run), "step": steps})
    return table.with_schedules({run: schedule})


@partial(jax.jit, static_argnames=("law",))
def _predict_at(params, x, *, law):
    return law.predict(params, x)


@partial(jax.jit, static_argnames=("law",))
def _predict_draws(draws, x, *, law):
    return jax.vmap(lambda p: law.predict(p, x))(draws)


def _predict(result: FitResult, table: RunTable, draws: bool, level: float) -> Band:
    """The law on every row of ``table``, one jitted call per run (one compilation per curve shape), and its
    percentile band over the draws, evaluated a few draws at a time to bound memory."""
    law = result.law_obj
    value = np.empty(len(table))
    lower, upper = np.full(len(table), np.nan), np.full(len(table), np.nan)
    params = {k: jnp.asarray(v) for k, v in result.params.items()}
    for run in table.run_ids:
        rows = np.flatnonzero(table.runs == run)
        x = {k: jnp.asarray(v) for k, v in law.features(table.select(table.runs == run)).items()}
        value[rows] = np.asarray(_predict_at(params, x, law=law))
        if draws and result.draws is not None:
            size = max(int(v.size) for v in x.values())
            per_batch = max(1, _BATCH_ELEMENTS // size)
            samples = []
            all_draws = result.fitted_draws()
            for start in range(0, len(result.draws), per_batch):
                d = {k: jnp.asarray(v[start : start + per_batch]) for k, v in all_draws.items()}
                samples.append(np.asarray(_predict_draws(d, x, law=law)))
            tail = 50 * (1 - level)
            lower[rows], upper[rows] = np.nanpercentile(np.concatenate(samples), [tail, 100 - tail], axis=0)
    return Band(value, lower, upper)


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


def predict_curve(result: FitResult, schedule: Sequence[float], *, steps: Sequence[int] | None = None,
                  level: float = 0.9) -> CurveForecast:
    """The loss along a per-step ``schedule`` (at ``steps``, default 400 evenly spaced steps ending at the last),
    with a bootstrap band if the result carries draws."""
    table = _curve_table(schedule, steps)
    band = _predict(result, table, draws=True, level=level)
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
    predicted = _predict(result, table, draws=False, level=0.9).value
    out = {}
    for run in table.run_ids:
        rows = np.flatnonzero(table.runs == run)
        rows = rows[np.argsort(table["step"][rows])]
        out[str(run)] = curve_metrics(table["loss"][rows], predicted[rows])
    return out


def compare_schedules(result: FitResult, candidates: Mapping[str, Sequence[float]], *, level: float = 0.9
                      ) -> list[tuple[str, float, float, float]]:
    """Predicted final loss (value, lower, upper) of each candidate schedule, best first."""
    rows = []
    for name, schedule in candidates.items():
        schedule = np.asarray(schedule, dtype=float)
        final = predict_curve(result, schedule, steps=[len(schedule) - 1], level=level).final
        rows.append((name, *final))
    return sorted(rows, key=lambda r: r[1])


def best_wsd_decay(result: FitResult, total: int, peak: float, floor: float, *, warmup: int = 0,
                   shape: str = "linear", fractions: Sequence[float] = tuple(np.linspace(0.05, 0.6, 12)),
                   level: float = 0.9) -> dict:
    """The WSD decay fraction (of ``total`` steps) with the lowest predicted final loss, and the whole scan."""
    candidates = {}
    for f in fractions:
        decay = int(round(f * total))
        if 1 <= decay <= total - warmup - 1:
            candidates[float(f)] = sched.wsd(total, peak, floor, decay, shape=shape, warmup=warmup)
    scan = compare_schedules(result, candidates, level=level)
    best = scan[0]
    fraction_draws = None
    if result.draws is not None:
        # the best fraction under each bootstrap draw gives the interval of the optimum itself
        law = result.law_obj
        finals = []
        for f, schedule in candidates.items():
            x = {k: jnp.asarray(v) for k, v in law.features(_curve_table(schedule, [total - 1])).items()}
            d = {k: jnp.asarray(v) for k, v in result.fitted_draws().items()}
            finals.append(np.asarray(_predict_draws(d, x, law=law))[:, 0])
        fraction_draws = np.array(list(candidates))[np.argmin(np.array(finals), axis=0)]
    interval = _percentile(fraction_draws, level) if fraction_draws is not None else (float("nan"),) * 2
    return {"best_fraction": best[0], "final_loss": best[1:], "fraction_interval": interval,
            "scan": [(f, v, lo, hi) for f, v, lo, hi in sorted(scan)]}
