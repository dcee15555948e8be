"""``bootstrap``: resample runs, refit every resample, attach the draws to the result.

Runs, not rows, are resampled (the rows of one loss curve stay together), as integer multiplicity weights so that
every resample has the same shape and all refits run in one vmapped, jitted pass. With fewer than
``MIN_CURVES`` loss curves (a ``step`` column), resampling whole curves would give only a handful of distinct
resamples, so each curve is cut into ``blocks`` runs of consecutive steps and those blocks are resampled instead
(a block bootstrap, which keeps the serial correlation within a block); the result says which was done. Each refit is warm-started at the
fit's optimum and solved by damped Newton (see ``_solve.newton``), which converges in a handful of steps from
there. Because a vmapped loop runs until its slowest lane stops, the refits go in rounds (``_ROUNDS``): a short Newton
round for all, a longer one for the few that had not converged, then L-BFGS for the handful left, each in a small
padded batch: a resample whose optimum puts a residual on Huber's kink defeats Newton's quadratic model, while
L-BFGS's line search handles it.

Which runs each draw counts is a :class:`~scalinglaws.ResamplePlan` (see ``_resample``): made here from the
table and the seed, or given, so that several fits (a chain, a law per cluster) share their draws.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from . import _export, _solve
from ._errors import InputError
from ._fit import prepare
from ._resample import MIN_CURVES, ResamplePlan, resample_plan
from ._result import FitResult

__all__ = ["bootstrap"]

# (method, iterations) per round; each later round takes only the lanes still unconverged.
_ROUNDS = (("newton", 12), ("newton", 50), ("lbfgs", 1000))
_BATCH = 500  # refits per compiled batch in the first round
_LATER = {"newton": 64, "lbfgs": 16}  # and in the later rounds, which take only the lanes left unconverged


@partial(jax.jit, static_argnames=("law", "objective", "method", "gtol", "atol"))
def _refit(u_start, run_weights, x, y, w, codes, maxiter, *, law, objective, method, gtol, atol):
    fun = partial(objective.value, law)
    lane_w = w * run_weights.astype(y.dtype)[:, codes]  # (lanes, rows): each resample's row weights
    if method == "newton":
        return _solve.newton(fun, u_start, (x, y, lane_w), data_axes=(None, None, 0), maxiter=maxiter, gtol=gtol,
                             atol=atol)

    def one(u0, wi):
        out = _solve.lbfgs(fun, u0[None], (x, y, wi), maxiter=maxiter, gtol=gtol, atol=atol)
        return jax.tree.map(lambda a: a[0], out)

    return jax.vmap(one)(u_start, lane_w)


def bootstrap(result: FitResult, data, n: int | None = None, *, seed: int = 0, plan: ResamplePlan | None = None,
              weights=None, resample: str = "auto", blocks: int = 10, gtol: float = 1e-6, atol: float = 1e-12,
              progress=None) -> FitResult:
    """Refit ``result``'s law on resamples of ``data``'s runs; return the result with ``draws`` attached.

    The refits minimise the fit's own objective with the fit's own per-run weights (both kept in the result).

    Args:
      result: a converged :class:`FitResult` from :func:`fit` on ``data``.
      data: the same run table (its fingerprint is checked).
      n: number of resamples (not needed with ``plan``).
      seed: the resampling key; the same seed gives the same draws.
      plan: a :class:`ResamplePlan` shared with other fits (see :func:`resample_plan`): draw i of every fit that
        uses it resamples the same runs, so their predictions pair up (chains, a law per cluster).
      weights: the per-run weights the fit used, if you pass them again: they must equal the result's.
      resample: without a plan, ``"runs"``, ``"blocks"`` (``blocks`` blocks of consecutive steps per curve) or
        ``"auto"``: blocks for fewer than ``MIN_CURVES`` loss curves, runs otherwise.
      gtol, atol: gradient test for each refit (looser than the fit's: the sampling spread of the parameters is
        orders of magnitude larger than the optimisation error this admits).
      progress: ``progress(done, n)``, called as batches of refits finish (the first round runs in batches of
        ``_BATCH``, each the same compiled program), e.g. to draw a progress bar.

    Draws of refits that did not converge are kept (dropping them would bias the intervals); the count is in
    ``bootstrap_info["n_converged"]`` and a warning is added when any failed.
    """
    if result.source != "fit":
        raise InputError("bootstrap needs a fitted result, not a preset")
    fit_weights = result.weights
    if weights is not None:
        given = np.asarray(weights, dtype=float)
        same = fit_weights is not None and given.shape == fit_weights.shape and np.array_equal(given, fit_weights)
        if not same and not (fit_weights is None and np.all(given == 1.0)):
            raise InputError("weights differ from the weights the fit used: a bootstrap must refit the fitted "
                             "objective; fit again with these weights instead")
    law = result.law
    prep = prepare(law, data, fit_weights)
    if prep.fingerprint != result.fingerprint:
        raise InputError("data differ from the data this result was fitted on (fingerprints "
                         f"{prep.fingerprint} != {result.fingerprint})")
    if plan is None:
        if n is None or n < 2:
            raise InputError(f"n must be at least 2, not {n}")
        curves = "step" in prep.table
        if resample == "auto":
            resample = "blocks" if curves and prep.n_runs < MIN_CURVES else "runs"
        if resample not in ("runs", "blocks"):
            raise InputError(f"resample must be 'auto', 'runs' or 'blocks', not {resample!r}")
        if resample == "blocks" and not curves:
            raise InputError("block resampling needs loss curves (a 'step' column)")
        plan = resample_plan(prep.table, n=n, seed=seed, blocks=blocks if resample == "blocks" else None)
    elif n is not None and n != plan.n:
        raise InputError(f"n = {n} differs from the plan's {plan.n} draws; leave n out with a plan")
    codes_np, counts_np = plan.for_table(prep.table)
    n = plan.n
    counts = jnp.asarray(counts_np)
    static = dict(law=law, objective=result.objective_spec, gtol=float(gtol), atol=float(atol))
    x, y, w, codes = prep.padded(codes_np)
    u, conv = np.tile(law.pack(result.params), (n, 1)), np.zeros(n, dtype=bool)  # warm start at the fit
    for round_, (method, maxiter) in enumerate(_ROUNDS):
        todo = np.flatnonzero(~conv)
        if not len(todo):
            break
        # every round in batches of a fixed size (the first: _BATCH, or all n if fewer; later ones, a few lanes:
        # _LATER), padded by repeating lanes, so that a law compiles at most three bootstrap programs per data shape
        size = min(len(todo), _BATCH) if round_ == 0 else _LATER[method]
        batches = [todo[i:i + size] for i in range(0, len(todo), size)]
        for batch in batches:
            pick = np.resize(batch, size)
            out = _export.call(_refit, jnp.asarray(u[pick]), counts[pick], x, y, w, codes, jnp.asarray(maxiter),
                               method=method, **static)
            u[batch] = np.asarray(out.u)[: len(batch)]
            conv[batch] = np.asarray(out.converged)[: len(batch)]
            if progress is not None and round_ == 0:
                progress(int(batch[-1]) + 1, int(n))
    n_conv = int(conv.sum())
    warnings = [w for w in result.warnings if not w.startswith("bootstrap:")]
    if n_conv < n:
        warnings.append(f"bootstrap: {n - n_conv} of {n} refits did not converge (kept in the draws)")
    info = {"n": int(n), "seed": int(plan.seed), "resample": plan.describe(), "plan": plan.id,
            "n_converged": n_conv, "gtol": float(gtol)}
    values = law.unpack(u)  # draws are kept as parameter values, not the solver's unconstrained u
    draws = np.stack([np.asarray(values[name]) for name in law.param_names], axis=-1)
    return dataclasses.replace(result, draws=draws, bootstrap_info=info, warnings=tuple(warnings))
