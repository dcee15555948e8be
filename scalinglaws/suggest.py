r"""Run suggestions: which k new runs, within a compute cap, most narrow the forecast band at a target.

The forecast at the target (the compute-optimal run at a budget, or a run at given inputs) has a sampling variance
that new runs reduce. To first order (Gauss-Newton, the delta method), a fit to rows :math:`x_i` with weights
:math:`w_i` and residual scale :math:`\sigma` has

.. math::  \operatorname{Var} f(x_*) \approx \sigma^2\, g^\top H^{-1} g, \qquad
           H = \textstyle\sum_i w_i\, j(x_i)\, j(x_i)^\top,

with :math:`j(x) = \partial r(x; \theta) / \partial \theta` the gradient of the fit's residual scale (log
prediction for log residuals) and :math:`g` that of the target's prediction (for a compute-optimal target, the
loss at the fitted optimum: the envelope theorem makes the optimum's own shift second order). A new run at
:math:`x` adds :math:`w\, j(x) j(x)^\top` to :math:`H`, whatever loss it turns out to reach, so the variance after a
set of runs is known before they are made. Because :math:`j` and :math:`g` depend on the parameters, which are
uncertain, the criterion is averaged over the bootstrap draws: :math:`V(S) = \operatorname{mean}_b\, g_b^\top
(H_b + \sum_{x \in S} w\, j_b(x) j_b(x)^\top)^{-1} g_b` (a Bayesian V-optimal design; Chaloner & Verdinelli 1995,
Statistical Science 10(3)). Runs are chosen greedily from a candidate grid within the cap (Sherman-Morrison
updates), then improved by exchanging one run at a time (Fedorov 1972) while the total cost stays within the cap.

The expected band after the runs is the present bootstrap band scaled by :math:`\sqrt{V(S)/V(\emptyset)}`; it
carries the sampling uncertainty only, like the band itself (a law wrong far beyond the data is a backtest's
question, :mod:`scalinglaws.backtest`). :func:`ladder` gives the default a person would make instead (runs at the
fitted compute-optimal allocation, compute doubling), for comparison at the same cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from ._errors import InputError
from ._fit import prepare
from ._forecast import _param_sets, compute_optimal, csv_text, forecast
from ._law import Law
from ._selection import parameter_jacobians
from ._result import FitResult

__all__ = ["suggest_runs", "ladder", "design_variance", "RunSuggestions"]

MAX_DRAWS = 400  # draws the criterion averages over: its Monte-Carlo error is far below the choice's granularity


@dataclass(frozen=True)
class RunSuggestions:
    """Suggested runs, in the order chosen, each with its cost and the band expected once it and those before it
    are made; ``ladder`` is the same for the default compute ladder of the same total cost."""

    target: Mapping[str, float]  # what is forecast: the compute-optimal run at a budget, or the given inputs
    quantity: str  # the target's column (loss)
    level: float
    band: tuple[float, float, float]  # the forecast now: value, lower, upper
    runs: tuple[Mapping[str, float], ...]
    cap: float
    variance_ratio: float  # V(S) / V(empty): the expected band's width is the present one times its square root
    ladder: tuple[Mapping[str, float], ...] = ()
    ladder_variance_ratio: float = float("nan")
    n_candidates: int = 0
    n_draws: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def width(self) -> float:
        return self.band[2] - self.band[1]

    @property
    def expected_width(self) -> float:
        return self.width * float(np.sqrt(self.variance_ratio))

    @property
    def cost(self) -> float:
        return float(sum(r["cost"] for r in self.runs))

    def rows(self) -> list[dict]:
        return [{"run": f"suggested{i + 1}", **r} for i, r in enumerate(self.runs)]

    def to_csv(self) -> str:
        return csv_text(self.rows())

    def summary(self) -> str:
        where = ", ".join(f"{k} = {v:.4g}" for k, v in self.target.items())
        value, lo, hi = self.band
        pct = f"{100 * self.level:g}%"
        lines = [f"Runs that most narrow the {pct} band of the {self.quantity} at {where}",
                 f"  now: {value:.5g} ({lo:.5g}, {hi:.5g}), width {self.width:.4g}",
                 f"  {len(self.runs)} runs within a cap of {self.cap:.4g} FLOP (chosen from {self.n_candidates} "
                 f"candidates, averaged over {self.n_draws} bootstrap draws):"]
        names = [k for k in self.runs[0] if k not in ("cost", "expected_width")] if self.runs else []
        lines.append("  " + "".join(f"{n:>12}" for n in [*names, "cost", "band after"]))
        for r in self.runs:
            lines.append("  " + "".join(f"{r[n]:>12.4g}" for n in [*names, "cost"]) + f"{r['expected_width']:>12.4g}")
        lines.append(f"  expected width after all {len(self.runs)}: {self.expected_width:.4g} "
                     f"({100 * (1 - np.sqrt(self.variance_ratio)):.1f}% narrower), total cost {self.cost:.4g} FLOP")
        if self.ladder:
            lw = self.width * float(np.sqrt(self.ladder_variance_ratio))
            lines.append(f"  a compute ladder of {len(self.ladder)} compute-optimal runs at the same cost: expected "
                         f"width {lw:.4g} ({100 * (1 - np.sqrt(self.ladder_variance_ratio)):.1f}% narrower)")
        return "\n".join(lines + [f"  warning: {w}" for w in self.warnings])

    def to_dict(self) -> dict:
        return {"target": dict(self.target), "quantity": self.quantity, "level": self.level, "band": list(self.band),
                "runs": [dict(r) for r in self.runs], "cap": self.cap, "variance_ratio": self.variance_ratio,
                "expected_width": self.expected_width, "ladder": [dict(r) for r in self.ladder],
                "ladder_variance_ratio": self.ladder_variance_ratio, "n_candidates": self.n_candidates,
                "n_draws": self.n_draws, "warnings": list(self.warnings)}


# -- the design's pieces -----------------------------------------------------------------------------------------

def _cost_model(law: Law, cost: Callable | None) -> Callable:
    if cost is not None:
        return cost
    if law.compute is not None:
        return lambda x: np.asarray(law.compute.flops({k: jnp.asarray(v) for k, v in x.items()}))
    if law.inputs == ("C",):
        return lambda x: np.asarray(x["C"], dtype=float)
    raise InputError(f"law {law.name} declares no compute model, so a run's cost is unknown: give cost= (a function "
                     "of the run's inputs, in FLOP)")


def _target(result: FitResult, budget, at, fixed) -> tuple[dict, dict]:
    """(the target's inputs for the law, the target as reported)."""
    law = result.law
    if (budget is None) == (at is None):
        raise InputError("give the target, one of: a budget (budget=, --budget: the compute-optimal run at that "
                         "compute) or a run's inputs (at=, --at NAME=VALUE)")
    if at is not None:
        missing = [c for c in law.inputs if c not in at]
        if missing:
            raise InputError(f"law {law.name} needs inputs {list(law.inputs)}; missing: {missing}")
        x = {k: float(at[k]) for k in law.inputs}
        return x, dict(x)
    if not budget > 0:
        raise InputError(f"budget must be positive, not {budget}")
    if law.can("allocation"):
        alloc = compute_optimal(result.without_draws(), budget, fixed=fixed)
        size, data = law.compute.size, law.compute.data
        x = {size: float(alloc.N.value), data: float(alloc.D.value), **{k: float(v) for k, v in fixed.items()}}
        return x, {"C": float(budget), size: x[size], data: x[data]}
    if law.inputs == ("C",):
        return {"C": float(budget)}, {"C": float(budget)}
    raise InputError(f"law {law.name} does not declare allocation: give the target run's inputs (at=...)")


def candidates(result: FitResult, cap: float, *, fixed: Mapping[str, float] | None = None, cost=None,
               ratios: tuple[float, float] = (1.0, 1000.0), count: int = 48) -> dict:
    """A grid of candidate runs costing at most ``cap`` each: sizes and data no smaller than the smallest fitted
    (below them a law is not known to hold: a tiny model's loss is bounded by the vocabulary's entropy), tokens per
    parameter within ``ratios`` (a law of N and D); compute from the smallest fitted up to ``cap`` (a law of C)."""
    law, fixed = result.law, dict(fixed or {})
    ranges = result.input_ranges
    if law.compute is not None:
        size, data = law.compute.size, law.compute.data
        flops = _cost_model(law, cost)
        n_lo = ranges[size][0]
        n_hi = np.sqrt(cap / 6.0 / ratios[0])  # the largest model that a run at the lowest ratio affords under 6ND
        if not n_hi > n_lo:
            raise InputError(f"a cap of {cap:.3g} FLOP affords no run above the smallest fitted {size} "
                             f"({n_lo:.3g}); raise the cap")
        n = np.geomspace(n_lo, n_hi, count)
        r = np.geomspace(ratios[0], ratios[1], count)
        nn, rr = (a.ravel() for a in np.meshgrid(n, r))
        x = {size: nn, data: nn * rr, **{k: np.full(nn.shape, float(v)) for k, v in fixed.items()}}
        c = np.broadcast_to(flops(x), nn.shape)
        keep = (c <= cap * (1 + 1e-12)) & (x[data] >= ranges[data][0] * (1 - 1e-12))
        return {**{k: v[keep] for k, v in x.items()}, "cost": np.asarray(c)[keep]}
    if law.inputs == ("C",):
        if not cap > ranges["C"][0]:
            raise InputError(f"a cap of {cap:.3g} FLOP affords no run above the smallest fitted C "
                             f"({ranges['C'][0]:.3g}); raise the cap")
        c = np.geomspace(ranges["C"][0], cap, count * 4)
        return {"C": c, "cost": c}
    raise InputError(f"law {law.name} has neither a compute model nor a single compute input: suggestions need one")


def _stack(result: FitResult) -> np.ndarray:
    law, fitted, draws = _param_sets(result)
    if draws is None:
        return np.asarray([[float(fitted[k]) for k in law.param_names]])
    theta = np.stack([np.asarray(draws[k]) for k in law.param_names], axis=-1)
    if len(theta) > MAX_DRAWS:
        theta = theta[np.linspace(0, len(theta) - 1, MAX_DRAWS).astype(int)]
    return theta


def _rows_jacobian(law: Law, theta, columns, log: bool) -> np.ndarray:
    x = law.features({k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in columns.items()})
    return np.asarray(parameter_jacobians(jnp.asarray(theta), x, law=law, log=log))


class _Design:
    """The criterion V over the draws, with the present information H_b of each draw."""

    def __init__(self, h: np.ndarray, g: np.ndarray, jc: np.ndarray, weight: float):
        p = h.shape[-1]
        ridge = 1e-10 * np.maximum(np.trace(h, axis1=1, axis2=2) / p, 1e-300)
        self.h = h + ridge[:, None, None] * np.eye(p)
        self.g, self.jc, self.weight = g, jc * np.sqrt(weight), weight

    def variance(self, chosen: Sequence[int]) -> float:
        h = self.h + sum((np.einsum("bp,bq->bpq", self.jc[:, i], self.jc[:, i]) for i in chosen), 0.0)
        return float(np.mean(np.einsum("bp,bp->b", self.g, np.linalg.solve(h, self.g[..., None])[..., 0])))

    def scores(self, chosen: Sequence[int]) -> np.ndarray:
        """V after adding each candidate to ``chosen`` (Sherman-Morrison), shape (candidates,)."""
        h = self.h + sum((np.einsum("bp,bq->bpq", self.jc[:, i], self.jc[:, i]) for i in chosen), 0.0)
        hinv = np.linalg.inv(h)
        hg = np.einsum("bpq,bq->bp", hinv, self.g)
        v = np.einsum("bp,bp->b", self.g, hg)
        a = np.einsum("bpq,bmq->bmp", hinv, self.jc)
        num = np.einsum("bmp,bp->bm", self.jc, hg) ** 2
        den = 1.0 + np.einsum("bmp,bmp->bm", self.jc, a)
        return np.mean(v[:, None] - num / den, axis=0)


def _choose(design: _Design, cost: np.ndarray, k: int, cap: float, passes: int = 6) -> list[int]:
    cheapest = float(cost.min())
    chosen: list[int] = []
    for t in range(k):
        room = cap - sum(cost[i] for i in chosen) - (k - t - 1) * cheapest
        scores = np.where(cost <= room * (1 + 1e-12), design.scores(chosen), np.inf)
        chosen.append(int(np.argmin(scores)))
    best = design.variance(chosen)
    for _ in range(passes):  # exchange: replace one run at a time by the best candidate the cap still allows
        improved = False
        for pos in range(k):
            rest = chosen[:pos] + chosen[pos + 1:]
            room = cap - sum(cost[i] for i in rest)
            scores = np.where(cost <= room * (1 + 1e-12), design.scores(rest), np.inf)
            i = int(np.argmin(scores))
            if scores[i] < best * (1 - 1e-9):
                chosen[pos], best, improved = i, float(scores[i]), True
        if not improved:
            break
    # report in order of cost, cheapest first: the order to run them in if they go one at a time
    return sorted(chosen, key=lambda i: cost[i])


def ladder(result: FitResult, k: int, total: float, *, ratio: float = 2.0, fixed: Mapping[str, float] | None = None
           ) -> dict:
    """``k`` runs at the fitted compute-optimal allocation, each ``ratio`` times the compute of the one before,
    costing ``total`` FLOP together: the default a person makes without a design (a law of C: the computes)."""
    law, fixed = result.law, dict(fixed or {})
    steps = ratio ** np.arange(k)
    computes = total * steps / steps.sum()
    if law.can("allocation"):
        size, data = law.compute.size, law.compute.data
        allocs = [compute_optimal(result.without_draws(), float(c), fixed=fixed) for c in computes]
        x = {size: np.array([float(a.N.value) for a in allocs]), data: np.array([float(a.D.value) for a in allocs]),
             **{k2: np.full(k, float(v)) for k2, v in fixed.items()}}
        return {**x, "cost": computes}
    if law.inputs == ("C",):
        return {"C": computes, "cost": computes}
    raise InputError(f"law {law.name} does not declare allocation: no compute-optimal ladder")


def design_variance(result: FitResult, data, runs: Mapping[str, Sequence[float]], *, budget: float | None = None,
                    at: Mapping[str, float] | None = None, fixed: Mapping[str, float] | None = None) -> float:
    """V(runs) / V(empty): the factor by which making ``runs`` (columns of the law's inputs) is expected to scale the
    variance of the forecast at the target (its band's width scales by the square root)."""
    fixed = dict(fixed or {})
    law = result.law
    design, _, _ = _design_for(result, data, {k: np.asarray(runs[k], dtype=float) for k in law.inputs}, budget, at,
                               fixed)
    return design.variance(list(range(design.jc.shape[1]))) / design.variance([])


def _design_for(result, data, cand, budget, at, fixed):
    law = result.law
    if law.series:
        raise InputError(f"law {law.name} fits loss curves under a per-run series; run suggestions are for laws of "
                         "a run's final value")
    prep = prepare(law, data, result.weights)
    if prep.fingerprint != result.fingerprint:
        raise InputError("data differ from the data this result was fitted on")
    x_target, shown = _target(result, budget, at, fixed)
    log = result.settings.get("residuals", "log") == "log"
    theta = _stack(result)
    table = prep.table
    w = np.asarray(prep.w)
    jd = _rows_jacobian(law, theta, {k: table[k] for k in law.inputs}, log)
    h = np.einsum("brp,r,brq->bpq", jd, w, jd)
    g = _rows_jacobian(law, theta, x_target, log)[:, 0, :]
    jc = _rows_jacobian(law, theta, {k: cand[k] for k in law.inputs}, log)
    finite = np.all(np.isfinite(h), axis=(1, 2)) & np.all(np.isfinite(g), axis=1) & np.all(np.isfinite(jc), axis=(1, 2))
    if not finite.any():
        raise InputError("the law's gradients are not finite at any draw; the fit cannot rank new runs")
    w_new = float(np.mean(w[w > 0]))  # a new run counts as much as an average row of the data
    return _Design(h[finite], g[finite], jc[finite], w_new), x_target, shown


def suggest_runs(result: FitResult, data, *, k: int = 4, cap: float, budget: float | None = None,
                 at: Mapping[str, float] | None = None, fixed: Mapping[str, float] | None = None, cost=None,
                 ratios: tuple[float, float] = (1.0, 1000.0), level: float = 0.9, compare_ladder: bool = True
                 ) -> RunSuggestions:
    """The ``k`` new runs, costing at most ``cap`` FLOP together, expected to narrow the band of the forecast at
    the target most: the compute-optimal run at ``budget``, or the run at inputs ``at``.

    ``result`` is a bootstrapped fit of ``data`` (its draws give the present band and the parameters the
    criterion is averaged over); ``fixed``: inputs held at given values (unique tokens U); ``cost``: a run's cost
    from its inputs when the law has no compute model; ``ratios``: the tokens per parameter candidates may use."""
    if result.draws is None:
        raise InputError("run suggestions need bootstrap draws: bootstrap the fit first (scalinglaws.bootstrap, or "
                         "--bootstrap N on the command line)")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise InputError(f"k must be a positive whole number of runs, not {k!r}")
    if not cap > 0:
        raise InputError(f"cap must be a positive compute (FLOP), not {cap}")
    fixed = dict(fixed or {})
    law = result.law
    cand = candidates(result, cap, fixed=fixed, cost=cost, ratios=ratios)
    if len(cand["cost"]) == 0 or k * float(cand["cost"].min()) > cap:
        raise InputError(f"a cap of {cap:.3g} FLOP cannot pay for {k} runs of the candidate grid (the cheapest costs "
                         f"{float(cand['cost'].min()) if len(cand['cost']) else float('nan'):.3g}); raise the cap or "
                         "ask for fewer runs")
    design, x_target, shown = _design_for(result, data, cand, budget, at, fixed)
    chosen = _choose(design, cand["cost"], int(k), float(cap))
    base = design.variance([])
    names = [c for c in law.inputs if c in cand]
    runs = []
    for t in range(len(chosen)):
        ratio = design.variance(chosen[: t + 1]) / base
        runs.append({**{n: float(cand[n][chosen[t]]) for n in names}, "cost": float(cand["cost"][chosen[t]]),
                     "expected_width": float("nan"), "_ratio": ratio})
    if law.can("allocation") and budget is not None:
        band = compute_optimal(result, budget, fixed=fixed, level=level).loss
        value, lo, hi = float(band.value), float(band.lower), float(band.upper)
    else:
        fc = forecast(result, {k2: [v] for k2, v in x_target.items()}, level=level).prediction
        value, lo, hi = float(fc.value[0]), float(fc.lower[0]), float(fc.upper[0])
    width = hi - lo
    for r in runs:
        r["expected_width"] = width * float(np.sqrt(r.pop("_ratio")))
    ratio = design.variance(chosen) / base
    lad, lad_ratio = (), float("nan")
    if compare_ladder and (law.can("allocation") or law.inputs == ("C",)):
        total = float(sum(r["cost"] for r in runs))
        lad_cols = ladder(result, int(k), total, fixed=fixed)
        lad_ratio = design_variance(result, data, lad_cols, budget=budget, at=at, fixed=fixed)
        lad = tuple({n: float(lad_cols[n][i]) for n in [*names, "cost"]} for i in range(int(k)))
    warnings = []
    if not result.converged:
        warnings.append("the fit did not converge: the suggestions rest on an unconverged optimum")
    return RunSuggestions(shown, law.target, float(level), (value, lo, hi), tuple(runs), float(cap), float(ratio),
                          lad, float(lad_ratio), int(len(cand["cost"])), int(design.g.shape[0]), tuple(warnings))

