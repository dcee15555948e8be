"""Risk from the bootstrap draws: the probability that a planned run reaches a target, and the budget that reaches
it with a chosen probability.

Each bootstrap draw is one plausible law. For a planned run (a compute-optimal run at compute C, or a run at given
inputs) the draws give a distribution of its loss; the probability of reaching a target is the fraction of draws
whose prediction reaches it (at or below a loss or an error rate; at or above a score such as accuracy). The compute
needed to reach a target falls with C for every draw (the compute-optimal loss falls monotonically), so the budget
reaching the target with probability p is the p-quantile of the draws' compute-for-target: the smallest C that
at least a fraction p of the draws reach by.

These are probabilities *under the fitted law and the run-level bootstrap*: they carry the sampling uncertainty of
the runs, not the risk that the law's form is wrong far beyond the data (see :mod:`scalinglaws.backtest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import InputError, UnreachableTargetError
from ._forecast import _allocation, _param_sets, _require, extrapolation_warnings, log_compute_for_target, \
    predict_samples
from ._result import FitResult, _broadcast

__all__ = ["probability_of_target", "compute_for_probability", "TargetRisk", "BudgetForProbability"]

HIGHER_IS_BETTER = ("accuracy", "pass_rate", "bleu")


def _direction(result: FitResult, direction: str | None) -> str:
    if direction is None:
        return "above" if result.law.target in HIGHER_IS_BETTER else "below"
    if direction not in ("below", "above"):
        raise InputError(f"direction must be 'below' or 'above', not {direction!r}")
    return direction


def _need_draws(result: FitResult, what: str):
    if result.draws is None:
        raise InputError(f"{what} needs bootstrap draws: bootstrap the fit first (scalinglaws.bootstrap, or "
                         "--bootstrap N on the command line)")


@dataclass(frozen=True)
class TargetRisk:
    """The probability that a planned run reaches ``target``, from ``n_draws`` bootstrap draws."""

    target: float
    direction: str
    probability: float
    n_draws: int
    predicted: float  # at the fitted parameters
    run: Mapping[str, float]  # the planned run: compute, and the inputs it is planned at
    quantiles: Mapping[str, float]  # the draws' 5%, 50%, 95% predictions
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        where = ", ".join(f"{k} = {v:.4g}" for k, v in self.run.items())
        q = self.quantiles
        lines = [f"Probability of reaching {self.target:g} ({self.direction}) for the run at {where}: "
                 f"{100 * self.probability:.1f}% of {self.n_draws} bootstrap draws",
                 f"  predicted {self.predicted:.5g}; draws' 5% / 50% / 95%: {q['5%']:.5g} / {q['50%']:.5g} / "
                 f"{q['95%']:.5g}"]
        return "\n".join(lines + [f"  warning: {w}" for w in self.warnings])

    def to_dict(self) -> dict:
        return {"target": self.target, "direction": self.direction, "probability": self.probability,
                "n_draws": self.n_draws, "predicted": self.predicted, "run": dict(self.run),
                "quantiles": dict(self.quantiles), "warnings": list(self.warnings)}


@dataclass(frozen=True)
class BudgetForProbability:
    """The least compute whose compute-optimal run reaches ``target`` with ``probability`` (over the draws)."""

    target: float
    probability: float
    compute: float
    fitted_compute: float  # the compute the fitted parameters need (a probability of about one half)
    reaching: float  # the fraction of draws that reach the target at any compute below 1e40 FLOP
    n_draws: int

    def summary(self) -> str:
        return (f"Compute for a {100 * self.probability:g}% chance of reaching {self.target:g}: "
                f"C = {self.compute:.4g} FLOP (the fitted law alone needs {self.fitted_compute:.4g}; "
                f"{100 * self.reaching:.1f}% of {self.n_draws} draws reach it at all)")

    def to_dict(self) -> dict:
        return {"target": self.target, "probability": self.probability, "compute": self.compute,
                "fitted_compute": self.fitted_compute, "reaching": self.reaching, "n_draws": self.n_draws}


def probability_of_target(result: FitResult, target: float, *, compute: float | None = None,
                          at: Mapping[str, float] | None = None, fixed: Mapping[str, float] | None = None,
                          direction: str | None = None) -> TargetRisk:
    """The probability that a planned run reaches ``target``: the compute-optimal run at ``compute`` (a law that
    declares allocation), or the run at inputs ``at`` (e.g. ``{"N": 7e10, "D": 1.4e12}``). ``direction``:
    ``"below"`` (a loss, an error; the default) or ``"above"`` (accuracy, pass rate, BLEU: their default)."""
    _need_draws(result, "a probability of reaching a target")
    direction = _direction(result, direction)
    law, fitted, draws = _param_sets(result)
    if (compute is None) == (at is None):
        raise InputError("give the planned run as compute= (its compute-optimal allocation) or at= (its inputs)")
    if compute is not None:
        fixed = dict(fixed or {})
        _require(law, "allocation", fixed)
        if not compute > 0:
            raise InputError(f"compute must be positive, not {compute}")
        fixed_j = {k: jnp.asarray(float(v)) for k, v in fixed.items()}
        log_c = jnp.asarray(float(np.log(compute)))
        quantities = partial(_allocation, log_c=log_c, fixed=fixed_j, law=law)
        point = {k: float(v) for k, v in quantities(fitted).items()}
        samples = np.asarray(jax.vmap(lambda p: quantities(p)["loss"])(draws))
        predicted = point["loss"]
        size, data = law.compute.size, law.compute.data
        run = {"C": float(compute), size: point["N"], data: point["D"], **fixed}
        warnings = extrapolation_warnings(result, {size: np.atleast_1d(point["N"]), data: np.atleast_1d(point["D"])})
    else:
        missing = [c for c in law.inputs if c not in at]
        if missing:
            raise InputError(f"law {law.name} needs inputs {list(law.inputs)}; missing: {missing}")
        columns = _broadcast({k: at[k] for k in law.inputs})
        if len(next(iter(columns.values()))) != 1:
            raise InputError("at= gives one planned run (one value per input)")
        value, all_samples = predict_samples(result, law.features(columns))
        predicted, samples = float(value[0]), np.asarray(all_samples)[:, 0]
        run = {k: float(v[0]) for k, v in columns.items()}
        warnings = extrapolation_warnings(result, columns)
    finite = np.isfinite(samples)
    reached = samples <= target if direction == "below" else samples >= target
    q = np.percentile(samples[finite], [5, 50, 95]) if finite.any() else [np.nan] * 3
    return TargetRisk(float(target), direction, float(np.mean(reached & finite)), int(len(samples)), predicted, run,
                      {"5%": float(q[0]), "50%": float(q[1]), "95%": float(q[2])}, tuple(warnings))


def compute_for_probability(result: FitResult, target: float, probability: float = 0.9, *,
                            fixed: Mapping[str, float] | None = None) -> BudgetForProbability:
    """The least compute at which the compute-optimal run reaches the loss ``target`` in a fraction
    ``probability`` of the bootstrap draws. Raises :class:`UnreachableTargetError` when fewer draws than that reach
    it at any compute (below 1e40 FLOP)."""
    _need_draws(result, "a budget for a probability")
    if not 0 < probability < 1:
        raise InputError(f"probability must be in (0, 1), not {probability}")
    if not target > 0:
        raise InputError(f"target must be positive, not {target}")
    fixed = dict(fixed or {})
    law, fitted, draws = _param_sets(result)
    _require(law, "target", fixed)
    fixed_j = {k: jnp.asarray(float(v)) for k, v in fixed.items()}
    log_c = partial(log_compute_for_target, law, log_target=float(np.log(target)), fixed=fixed_j)
    per_draw = np.exp(np.asarray(jax.vmap(log_c)(draws)))
    per_draw = np.where(np.isfinite(per_draw), per_draw, np.inf)  # a draw that never reaches it needs infinite C
    reaching = float(np.mean(np.isfinite(per_draw)))
    if reaching < probability:
        raise UnreachableTargetError(
            f"only {100 * reaching:.1f}% of the {len(per_draw)} draws reach a {law.target} of {target:g} below "
            f"1e40 FLOP, fewer than the {100 * probability:g}% asked for: choose a higher target or a lower probability")
    compute = float(np.quantile(per_draw, probability, method="inverted_cdf"))
    return BudgetForProbability(float(target), float(probability), compute,
                                float(np.exp(log_c(fitted))), reaching, int(len(per_draw)))
