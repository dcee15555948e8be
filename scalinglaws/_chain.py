r"""Chains of fitted laws: (N, D) -> loss -> metric as one object with one joint band.

A :class:`Chain` holds fitted stages in order; stage k+1 reads stage k's prediction as one of its inputs (its
``link``, by default stage k's target column). When every stage was bootstrapped with one
:class:`~scalinglaws.ResamplePlan`, draw i of every stage was refitted on the same resample of runs, so pushing
draw i through every stage gives draw i of the chained prediction: its percentile band carries the uncertainty of
all stages and their correlation through the shared runs.

How much of the band each stage contributes is measured by letting only that stage's draws vary (the others at
their fitted parameters): the variance of the final prediction so obtained, as a share of the sum over stages
(:meth:`Chain.contributions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import InputError, UnreachableTargetError
from ._forecast import _LOG_C_RANGE, Band, _optimum, extrapolation_warnings
from ._result import FitResult, _broadcast, percentile_interval

__all__ = ["Chain", "ChainForecast", "ChainTarget", "chain"]


@partial(jax.jit, static_argnames=("law",))
def _paired(draws, x, *, law):
    """Draw i of the parameters on draw i of the inputs (leaves of ``x`` with a leading draw axis)."""
    return jax.vmap(law.predict)(draws, x)


@partial(jax.jit, static_argnames=("law",))
def _shared(draws, x, *, law):
    return jax.vmap(lambda p: law.predict(p, x))(draws)


@dataclass(frozen=True)
class ChainForecast:
    """The chained prediction (and each stage's) with its joint band, and each stage's share of the band."""

    inputs: Mapping[str, np.ndarray]
    prediction: Band
    stages: tuple[Band, ...]
    names: tuple[str, ...]
    contributions: Mapping[str, float]
    level: float
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {"inputs": {k: np.asarray(v).tolist() for k, v in self.inputs.items()},
                "prediction": self.prediction.to_dict(), "stages": [b.to_dict() for b in self.stages],
                "names": list(self.names), "contributions": dict(self.contributions), "level": self.level,
                "warnings": list(self.warnings)}

    def summary(self) -> str:
        lines = [f"Chained forecast ({' -> '.join(self.names)}; {100 * self.level:g}% joint bootstrap interval)"]
        for name, band in zip(self.names, self.stages):
            for i in range(len(np.atleast_1d(band.value))):
                v, lo, hi = (float(np.atleast_1d(a)[i]) for a in (band.value, band.lower, band.upper))
                lines.append(f"  {name:<24}{v:>12.5g}" + (f"   ({lo:.5g}, {hi:.5g})" if np.isfinite(lo) else ""))
        if self.contributions:
            lines.append("  share of the final band's variance: "
                         + ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.contributions.items()))
        return "\n".join(lines + [f"  warning: {w}" for w in self.warnings])


@dataclass(frozen=True)
class ChainTarget:
    """The least compute whose compute-optimal run reaches a target of the chain's last stage, with N*, D* there."""

    target: float
    compute: Band
    N: Band
    D: Band
    level: float
    names: tuple[str, ...]
    draws_reaching: float = float("nan")

    def to_dict(self) -> dict:
        return {"target": self.target, "compute": self.compute.to_dict(), "N": self.N.to_dict(),
                "D": self.D.to_dict(), "level": self.level, "names": list(self.names),
                "draws_reaching": self.draws_reaching}

    def summary(self) -> str:
        lines = [f"Compute to reach {self.names[-1]} = {self.target:g} along the compute-optimal frontier "
                 f"({100 * self.level:g}% joint bootstrap interval)"]
        for name, band in (("compute C", self.compute), ("parameters N*", self.N), ("tokens D*", self.D)):
            row = f"  {name:<16}{float(band.value):>12.4g}"
            if np.isfinite(band.lower):
                row += f"   ({float(band.lower):.4g}, {float(band.upper):.4g})"
            lines.append(row)
        if np.isfinite(self.draws_reaching) and self.draws_reaching < 1:
            lines.append(f"  {100 * self.draws_reaching:.1f}% of the draws reach the target; the interval is over those")
        return "\n".join(lines)


@partial(jax.jit, static_argnames=("laws", "links"))
def _log_c_for_target(params, target, *, laws, links):
    """log C at which the chain's compute-optimal prediction crosses ``target`` (NaN if it never does in range)."""

    def metric(log_c):
        n, d, value = _optimum(laws[0], params[0], log_c, {})
        for law, link, p in zip(laws[1:], links, params[1:]):
            value = law.predict(p, {link: value})
        return value, n, d

    lo, hi = jnp.asarray(_LOG_C_RANGE[0]), jnp.asarray(_LOG_C_RANGE[1])
    rising = metric(hi)[0] > metric(lo)[0]

    def short(log_c):  # the target is not reached yet at this compute
        v = metric(log_c)[0]
        return jnp.where(rising, v < target, v > target)

    def bisect(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        s = short(mid)
        return jnp.where(s, mid, a), jnp.where(s, b, mid)

    a, b = jax.lax.fori_loop(0, 80, bisect, (lo, hi))
    log_c = jnp.where(short(hi), jnp.nan, b)
    _, n, d = metric(log_c)
    return log_c, n, d


@dataclass(frozen=True)
class Chain:
    """Fitted stages, stage k+1 reading stage k's prediction as its input ``links[k]``."""

    stages: tuple[FitResult, ...]
    links: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"{s.law.target} ({s.law.name})" for s in self.stages)

    @property
    def has_draws(self) -> bool:
        return self.stages[0].draws is not None

    def _stage_inputs(self, k: int, inputs: Mapping[str, np.ndarray], fed):
        law = self.stages[k].law
        x = {c: jnp.asarray(inputs[c]) for c in law.inputs if k == 0 or c != self.links[k - 1]}
        if k > 0:
            x[self.links[k - 1]] = jnp.asarray(fed)
        return x

    def _run(self, columns, vary: Sequence[bool]):
        """The final prediction with stage k at its draws where ``vary[k]`` (else at its fitted parameters):
        an array (rows,) when nothing varies, else (B, rows)."""
        fed, batched = None, False
        outs = []
        for k, stage in enumerate(self.stages):
            law = stage.law
            x = self._stage_inputs(k, columns, fed)
            if batched:  # the fed input has a draw axis; give the stage's own inputs one too
                x = {c: jnp.broadcast_to(v, fed.shape) for c, v in x.items()}
            if vary[k]:
                draws = {n: jnp.asarray(v) for n, v in stage.fitted_draws().items()}
                fed = _paired(draws, x, law=law) if batched else _shared(draws, x, law=law)
                batched = True
            else:
                p = {n: jnp.asarray(v) for n, v in stage.params.items()}
                fed = jax.vmap(lambda xi: law.predict(p, xi))(x) if batched else law.predict(p, x)
            outs.append(np.asarray(fed))
        return outs

    def forecast(self, inputs: Mapping[str, object], *, level: float = 0.9) -> ChainForecast:
        """The chained prediction at ``inputs`` (the first stage's inputs and any other stage's own inputs), with
        the joint band and each stage's contribution to it."""
        need = [c for k, s in enumerate(self.stages) for c in s.law.inputs if k == 0 or c != self.links[k - 1]]
        missing = [c for c in dict.fromkeys(need) if c not in inputs]
        if missing:
            raise InputError(f"the chain needs inputs {list(dict.fromkeys(need))}; missing: {missing}")
        columns = _broadcast({k: inputs[k] for k in inputs})
        point = self._run(columns, [False] * len(self.stages))
        warnings = extrapolation_warnings(self.stages[0], columns)
        if not self.has_draws:
            nan = np.full_like(point[-1], np.nan, dtype=float)
            bands = tuple(Band(v, nan, nan) for v in point)
            return ChainForecast(columns, bands[-1], bands, self.names, {}, level, warnings)
        joint = self._run(columns, [True] * len(self.stages))
        bands = tuple(Band(v, *percentile_interval(s, level, axis=0)) for v, s in zip(point, joint))
        return ChainForecast(columns, bands[-1], bands, self.names, self.contributions(columns), level, warnings)

    def compute_for_target(self, target: float, *, level: float = 0.9) -> ChainTarget:
        """The least compute whose compute-optimal run (by the first stage's allocation) brings the last stage to
        ``target`` (an error falling to it, or an accuracy rising to it), with N* and D* there: a band over the
        paired draws of every stage. Needs a first stage that declares ``allocation`` and later stages that read
        only the previous stage's prediction.

        Raises UnreachableTargetError when the fitted chain never reaches the target below 1e40 FLOP."""
        first = self.stages[0].law
        if not first.can("allocation"):
            raise InputError(f"the first stage ({first.name}) does not declare allocation forecasts, so the chain "
                             "has no compute-optimal frontier to follow")
        own = [c for s, link in zip(self.stages[1:], self.links) for c in s.law.inputs if c != link]
        if own:
            raise InputError(f"later stages read inputs of their own ({own}): give them with forecast() instead")
        laws = tuple(s.law for s in self.stages)
        point = tuple({k: jnp.asarray(v) for k, v in s.params.items()} for s in self.stages)
        log_c, n, d = (np.asarray(v) for v in _log_c_for_target(point, float(target), laws=laws, links=self.links))
        if not np.isfinite(log_c):
            raise UnreachableTargetError(f"{self.names[-1]} = {target:g} is not reached below 1e40 FLOP at the fitted "
                                         "parameters: choose a target between the chain's floor and ceiling")
        value = {"compute": np.exp(log_c), "N": n, "D": d}
        bands = {k: Band(v, np.nan, np.nan) for k, v in value.items()}
        reaching = float("nan")
        if self.has_draws:
            draws = tuple({k: jnp.asarray(v) for k, v in s.fitted_draws().items()} for s in self.stages)
            lc, nd, dd = (np.asarray(v) for v in jax.vmap(
                lambda ps: _log_c_for_target(ps, float(target), laws=laws, links=self.links))(draws))
            samples = {"compute": np.exp(lc), "N": nd, "D": dd}
            bands = {k: Band(value[k], *percentile_interval(samples[k], level)) for k in value}
            reaching = float(np.mean(np.isfinite(lc)))
        return ChainTarget(float(target), bands["compute"], bands["N"], bands["D"], level, self.names, reaching)

    def contributions(self, inputs: Mapping[str, object]) -> dict[str, float]:
        """Each stage's share of the final prediction's variance over the draws (only that stage varying),
        averaged over the rows of ``inputs``."""
        if not self.has_draws:
            raise InputError("the chain's stages have no bootstrap draws")
        columns = _broadcast({k: inputs[k] for k in inputs})
        var = []
        for k in range(len(self.stages)):
            vary = [j == k for j in range(len(self.stages))]
            final = self._run(columns, vary)[-1]
            var.append(float(np.mean(np.nanvar(final, axis=0))))
        total = sum(var)
        return {name: (v / total if total > 0 else float("nan")) for name, v in zip(self.names, var)}


def chain(*stages: FitResult, links: Sequence[str] | None = None) -> Chain:
    """Chain fitted stages: stage k+1 reads stage k's prediction as input ``links[k]`` (default: stage k's target
    column, e.g. ``loss``). Stages with draws must all have them, from one resample plan (paired draws)."""
    if len(stages) < 2:
        raise InputError("a chain needs at least two stages")
    links = tuple(links) if links is not None else tuple(s.law.target for s in stages[:-1])
    problems = []
    if len(links) != len(stages) - 1:
        problems.append(f"give one link per pair of stages ({len(stages) - 1}), not {len(links)}")
    for k, (link, nxt) in enumerate(zip(links, stages[1:])):
        if link not in nxt.law.inputs:
            problems.append(f"stage {k + 2} ({nxt.law.name}) has no input {link!r} to read stage {k + 1}'s "
                            f"prediction; its inputs: {list(nxt.law.inputs)}")
        if nxt.law.featurize is not None:
            problems.append(f"stage {k + 2} ({nxt.law.name}) derives features from a table and cannot read another "
                            "law's prediction")
    with_draws = [s.draws is not None for s in stages]
    if any(with_draws) and not all(with_draws):
        problems.append("bootstrap every stage (with one resample plan), or none")
    if all(with_draws):
        plans = {(s.bootstrap_info or {}).get("plan") for s in stages}
        if len(plans) != 1 or None in plans:
            problems.append("the stages were bootstrapped with different resample plans, so their draws do not "
                            "pair up: bootstrap each with plan=resample_plan(...) made once for all of them")
    if problems:
        raise InputError("; ".join(problems))
    return Chain(tuple(stages), links)
