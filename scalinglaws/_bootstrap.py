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
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from . import _solve
from ._fit import prepare
from ._objective import Objective
from ._result import FitResult

__all__ = ["bootstrap", "resample_weights"]

# (method, iterations) per round; each later round takes only the lanes still unconverged.
_ROUNDS = (("newton", 12), ("newton", 50), ("lbfgs", 1000))
MIN_CURVES = 5


def resample_weights(key, n_runs: int, n: int) -> jnp.ndarray:
    """``n`` multinomial resamples of ``n_runs`` runs, as integer counts, shape (n, n_runs)."""

    def one(k):
        picks = jax.random.randint(k, (n_runs,), 0, n_runs)
        return jnp.bincount(picks, length=n_runs)

    return jax.vmap(one)(jax.random.split(key, n))


@partial(jax.jit, static_argnames=("law", "objective", "method", "maxiter", "gtol", "atol"))
def _refit(u_start, run_weights, x, y, w, codes, *, law, objective, method, maxiter, gtol, atol):
    fun = partial(objective.value, law)
    solve = getattr(_solve, method)

    def one(u0, counts):
        out = solve(fun, u0[None], (x, y, w * counts[codes]), maxiter=maxiter, gtol=gtol, atol=atol)
        return jax.tree.map(lambda a: a[0], out)

    return jax.vmap(one)(u_start, run_weights.astype(y.dtype))


def _block_codes(table, blocks: int):
    """Each run's rows, in step order, cut into ``blocks`` contiguous blocks; one code per (run, block)."""
    codes = np.empty(len(table), dtype=np.int32)
    for r, run in enumerate(table.run_ids):
        rows = np.flatnonzero(table.runs == run)
        rows = rows[np.argsort(table["step"][rows], kind="stable")]
        for b, chunk in enumerate(np.array_split(rows, blocks)):
            codes[chunk] = r * blocks + b
    return codes, table.n_runs * blocks


def bootstrap(result: FitResult, data, n: int = 1000, *, seed: int = 0, weights=None, resample: str = "auto",
              blocks: int = 10, gtol: float = 1e-6, atol: float = 1e-12) -> FitResult:
    """Refit ``result``'s law on ``n`` run-level resamples of ``data``; return the result with ``draws`` attached.

    Args:
      result: a converged :class:`FitResult` from :func:`fit` on ``data``.
      data: the same run table (its fingerprint is checked).
      n: number of resamples.
      seed: the resampling key; the same seed gives the same draws.
      resample: ``"runs"``, ``"blocks"`` (``blocks`` blocks of consecutive steps per curve) or ``"auto"``: blocks
        for fewer than ``MIN_CURVES`` loss curves, runs otherwise.
      weights: the per-run weights the fit used, if any.
      gtol, atol: gradient test for each refit (looser than the fit's: the sampling spread of the parameters is
        orders of magnitude larger than the optimisation error this admits).

    Draws of refits that did not converge are kept (dropping them would bias the intervals); the count is in
    ``bootstrap_info["n_converged"]`` and a warning is added when any failed.
    """
    if result.source != "fit":
        raise ValueError("bootstrap needs a fitted result, not a preset")
    if n < 2:
        raise ValueError(f"n must be at least 2, not {n}")
    law = result.law_obj
    prep = prepare(law, data, weights)
    if prep.fingerprint != result.fingerprint:
        raise ValueError("data differ from the data this result was fitted on (fingerprints "
                         f"{prep.fingerprint} != {result.fingerprint})")
    s = result.settings
    objective = Objective(loss=s["loss"], delta=s["delta"], residuals=s["residuals"])
    curves = "step" in prep.table
    if resample == "auto":
        resample = "blocks" if curves and prep.n_runs < MIN_CURVES else "runs"
    if resample == "blocks":
        if not curves:
            raise ValueError("block resampling needs loss curves (a 'step' column)")
        codes_np, n_units = _block_codes(prep.table, blocks)
        how = (f"blocks: each of the {prep.n_runs} curve(s) cut into {blocks} blocks of consecutive steps"
               + (f" (fewer than {MIN_CURVES} curves)" if prep.n_runs < MIN_CURVES else ""))
    elif resample == "runs":
        codes_np, n_units, how = prep.run_codes, prep.n_runs, "runs"
    else:
        raise ValueError(f"resample must be 'auto', 'runs' or 'blocks', not {resample!r}")
    counts = resample_weights(jax.random.key(seed), n_units, n)
    static = dict(law=law, objective=objective, gtol=float(gtol), atol=float(atol))
    codes = jnp.asarray(codes_np)
    u, conv = np.tile(law.pack(result.params), (n, 1)), np.zeros(n, dtype=bool)  # warm start at the fit
    for method, maxiter in _ROUNDS:
        todo = np.flatnonzero(~conv)
        if not len(todo):
            break
        # later rounds are padded to a power of two (at least 16) so that few distinct shapes are ever compiled
        pick = todo if len(todo) == n else np.resize(todo, max(16, 1 << int(np.ceil(np.log2(len(todo))))))
        out = _refit(jnp.asarray(u[pick]), counts[pick], prep.x, prep.y, prep.w, codes, method=method,
                     maxiter=maxiter, **static)
        u[todo] = np.asarray(out.u)[: len(todo)]
        conv[todo] = np.asarray(out.converged)[: len(todo)]
    n_conv = int(conv.sum())
    warnings = list(result.warnings)
    if n_conv < n:
        warnings.append(f"bootstrap: {n - n_conv} of {n} refits did not converge (kept in the draws)")
    info = {"n": int(n), "seed": int(seed), "resample": how, "n_converged": n_conv, "gtol": float(gtol)}
    values = law.unpack(jnp.asarray(u))  # draws are kept as parameter values, not the solver's unconstrained u
    draws = np.stack([np.asarray(values[name]) for name in law.param_names], axis=-1)
    return dataclasses.replace(result, draws=draws, bootstrap_info=info, warnings=tuple(warnings))
