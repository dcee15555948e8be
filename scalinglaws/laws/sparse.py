r"""Sparse pre-training: Chinchilla's law with the average parameter count (Jin et al. 2025, "The Journey
Matters", arXiv:2501.12486, ICLR 2025).

A run that starts dense with :math:`N_0` parameters and is pruned along a sparsity schedule :math:`s(t)`
(:math:`t` the fraction of training, in steps or equivalently in compute at a fixed batch) has the average
parameter count

.. math::  N_{avg} = N_0 \int_0^1 (1 - s(t))\, dt,

and its final loss follows Chinchilla's law with :math:`N_{avg}` in place of :math:`N`:

.. math::  L(N_{avg}, D) = E + \frac{A}{N_{avg}^{\alpha}} + \frac{B}{D^{\beta}}.

Its own compute model: a step costs in proportion to the parameters still present, so :math:`C = 6 N_{avg} D`,
and the compute-optimal allocation is Chinchilla's closed form in :math:`N_{avg}`. A planned sparse run at a
budget (:func:`plan_sparse`) then has the dense size :math:`N_0 = N_{avg}^* / \int (1 - s)` and the final
(inference) size :math:`N_0 (1 - s(1))`. Jin et al. find pruning from 25% to 75% of training compute near-optimal.
A dense run (:math:`s = 0`) is Chinchilla exactly. The paper's fitted constants were not retrieved and no data
were published; the law's ``example`` recovers known parameters from synthetic sparse runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .._errors import InputError
from .._law import ComputeModel, Law
from .chinchilla import CHINCHILLA

__all__ = ["SPARSE", "pruning_schedule", "average_fraction", "with_average_size", "plan_sparse", "SparsePlan"]

SIX_NAVG_D = ComputeModel("C = 6 N_avg D", lambda x: 6.0 * x["N_avg"] * x["D"], lambda n, c, fixed: c / (6.0 * n),
                          size="N_avg")


def pruning_schedule(final: float, *, start: float = 0.25, end: float = 0.75, shape: str = "cubic",
                     points: int = 65) -> tuple[np.ndarray, np.ndarray]:
    """A sparsity schedule as (fraction of training, sparsity) points: dense until ``start``, pruned to ``final``
    by ``end``, then held. ``shape``: ``"linear"``, or ``"cubic"`` (Zhu & Gupta's gradual pruning,
    :math:`s = s_f (1 - (1 - \\tau)^3)` over the ramp, fast first); ``points`` samples the cubic ramp."""
    problems = []
    if not 0.0 <= final < 1.0:
        problems.append(f"final sparsity must be in [0, 1), not {final}")
    if not 0.0 <= start <= end <= 1.0:
        problems.append(f"need 0 <= start <= end <= 1, not start {start}, end {end}")
    if shape not in ("linear", "cubic"):
        problems.append(f"shape must be 'linear' or 'cubic', not {shape!r}")
    if problems:
        raise InputError("; ".join(problems))
    tau = np.linspace(0.0, 1.0, 2 if shape == "linear" else points)
    ramp = tau if shape == "linear" else 1.0 - (1.0 - tau) ** 3
    t = np.concatenate([[0.0], start + (end - start) * tau, [1.0]])
    s = np.concatenate([[0.0], final * ramp, [final]])
    return t, s


def average_fraction(t: Sequence[float], s: Sequence[float]) -> float:
    """:math:`\\int_0^1 (1 - s(t)) dt` of a piecewise-linear schedule through points (t, s) (exact: trapezoids);
    ``t`` must run from 0 to 1, non-decreasing, and ``s`` lie in [0, 1)."""
    t, s = np.asarray(t, float), np.asarray(s, float)
    problems = []
    if t.shape != s.shape or t.ndim != 1 or len(t) < 2:
        problems.append("give the schedule as two equal-length sequences of at least 2 points")
    else:
        if not (t[0] == 0.0 and t[-1] == 1.0 and np.all(np.diff(t) >= 0)):
            problems.append("the schedule's fractions of training must run from 0 to 1, non-decreasing")
        if not np.all((s >= 0) & (s < 1)):
            problems.append("sparsities must be in [0, 1)")
    if problems:
        raise InputError("; ".join(problems))
    kept = 1.0 - s
    return float(np.sum(np.diff(t) * 0.5 * (kept[1:] + kept[:-1])))


def with_average_size(table, *, start: float = 0.25, end: float = 0.75, shape: str = "cubic"):
    r"""``table`` (one row per run, its dense size ``N``) with the column ``N_avg`` the sparse law reads.

    From each run's per-step sparsity series when one is attached (``table.with_series("sparsity", ...)``, the
    row's ``step`` its last step): :math:`N_{avg} = N \cdot \frac{1}{T}\sum_{t<T} (1 - s_t)` over its
    :math:`T = step + 1` steps, each step costing in proportion to the parameters it still has. Otherwise from a
    ``final_sparsity`` column, each run pruned along :func:`pruning_schedule` (``start``, ``end``, ``shape``; or
    per-run ``prune_start`` and ``prune_end`` columns, as fractions of training). A table that already has
    ``N_avg`` is returned as it is.

    Raises:
      InputError: no N, or neither a sparsity series nor a final_sparsity column (every problem named).
    """
    if "N_avg" in table:
        return table
    series = table.series.get("sparsity")
    problems = [] if "N" in table else ["the dense size N of each run is needed to compute N_avg"]
    if not series and "final_sparsity" not in table:
        problems.append("give each run's sparsity: a per-step series (table.with_series('sparsity', ...)) or a "
                        "final_sparsity column (pruned along the schedule start..end), or give N_avg itself")
    if series and "step" not in table:
        problems.append("a sparsity series needs each run's last step in a 'step' column")
    if problems:
        raise InputError("; ".join(problems))
    if series:
        steps = np.asarray(table["step"]).astype(int)
        kept = np.array([np.mean(1.0 - series[run][: last + 1]) for run, last in zip(table.runs, steps)])
    else:
        starts = table["prune_start"] if "prune_start" in table else np.full(len(table), start)
        ends = table["prune_end"] if "prune_end" in table else np.full(len(table), end)
        kept = np.array([average_fraction(*pruning_schedule(float(f), start=float(a), end=float(b), shape=shape))
                         for f, a, b in zip(table["final_sparsity"], starts, ends)])
    return table.with_column("N_avg", np.asarray(table["N"], float) * kept)


def _example():
    rng = np.random.default_rng(0)
    n0, d = np.meshgrid(np.logspace(7.5, 9.5, 8), np.logspace(9, 11.5, 8))
    finals = rng.choice([0.0, 0.5, 0.75, 0.9], n0.size)  # dense runs beside pruned ones, several schedules
    fraction = np.array([average_fraction(*pruning_schedule(f, shape="cubic" if i % 2 else "linear"))
                         for i, f in enumerate(finals)])
    return {"N_avg": n0.ravel() * fraction, "D": d.ravel()}, {"A": 400.0, "B": 1500.0, "E": 1.8, "alpha": 0.34,
                                                              "beta": 0.28}


def _log_predict(p, x):
    return CHINCHILLA.log_predict(p, {"N": x["N_avg"], "D": x["D"]})


def _compute_optimal(p, compute):
    return CHINCHILLA.compute_optimal(p, compute)  # the same closed form, in N_avg under C = 6 N_avg D


def _anchor(v, scale):
    return CHINCHILLA.anchor(v, scale.as_inputs(N="N_avg"))


SPARSE = Law(
    name="sparse_chinchilla",
    title="Sparse pre-training L(N_avg, D) = E + A/N_avg^alpha + B/D^beta (Jin et al. 2025)",
    citation="Jin et al. 2025, 'The Journey Matters: Average Parameter Count over Pre-training Unifies Sparse and "
             "Dense Scaling Laws', arXiv:2501.12486",
    formula="L(N_avg, D) = E + A / N_avg^alpha + B / D^beta,  N_avg = N_0 * mean over training of (1 - sparsity)",
    params=CHINCHILLA.params,
    inputs=("N_avg", "D"),
    predict=lambda p, x: CHINCHILLA.predict(p, {"N": x["N_avg"], "D": x["D"]}),
    log_predict=_log_predict,
    compute_optimal=_compute_optimal,
    forecasts=("allocation", "target"),
    compute=SIX_NAVG_D,
    anchor=_anchor,
    example=_example,
)


@dataclass(frozen=True)
class SparsePlan:
    """A sparse run planned at a budget: the compute-optimal average size and tokens, the dense size to start from,
    the final (inference) size and the loss; each ``(value, lower, upper)`` over the fit's bootstrap draws."""

    compute: float
    schedule_fraction: float  # the integral of (1 - s)
    final_sparsity: float
    N_avg: tuple
    D: tuple
    N_dense: tuple
    N_final: tuple
    loss: tuple
    level: float
    warnings: tuple[str, ...] = ()  # the allocation's extrapolation warnings

    def to_dict(self) -> dict:
        bands = {k: dict(zip(("value", "lower", "upper"), map(float, getattr(self, k))))
                 for k in ("N_avg", "D", "N_dense", "N_final", "loss")}
        return {"compute": self.compute, "schedule_fraction": self.schedule_fraction,
                "final_sparsity": self.final_sparsity, **bands, "level": self.level, "warnings": list(self.warnings)}

    def summary(self) -> str:
        def row(name, b):
            if not np.isfinite(b[1]):
                return f"  {name:<24} {b[0]:>10.4g}"
            return f"  {name:<24} {b[0]:>10.4g}  ({b[1]:.4g} .. {b[2]:.4g})"
        return "\n".join([f"Sparse run at C = {self.compute:.3g} FLOP (C = 6 N_avg D; final sparsity "
                          f"{self.final_sparsity:g}, mean kept fraction {self.schedule_fraction:.4g}; "
                          f"{100 * self.level:g}% interval)",
                          row("average parameters", self.N_avg), row("tokens D", self.D),
                          row("dense size to start", self.N_dense), row("final (inference) size", self.N_final),
                          row("loss", self.loss), *(f"  warning: {w}" for w in self.warnings)])


def plan_sparse(result, compute: float, schedule: tuple, *, level: float = 0.9) -> SparsePlan:
    """The compute-optimal sparse run at ``compute`` for a fitted (or preset) ``sparse_chinchilla`` ``result`` and a
    ``schedule`` of (fractions of training, sparsities), e.g. :func:`pruning_schedule`."""
    from .._forecast import compute_optimal

    law = result.law
    if not (law.can("allocation") and law.compute.size == "N_avg"):
        raise InputError(f"plan_sparse needs a result of a law allocated in the average parameter count N_avg (such "
                         f"as {SPARSE.name}), not {law.name}")
    kept = average_fraction(*schedule)
    final = float(np.asarray(schedule[1], float)[-1])
    a = compute_optimal(result, compute, level=level)

    def band(b, factor=1.0):
        return float(b.value) * factor, float(b.lower) * factor, float(b.upper) * factor

    return SparsePlan(float(compute), kept, final, band(a.N), band(a.D), band(a.N, 1.0 / kept),
                      band(a.N, (1.0 - final) / kept), band(a.loss), level, a.warnings)
