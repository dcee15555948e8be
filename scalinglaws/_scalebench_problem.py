"""One ScaleBench law on one group (see :mod:`scalinglaws.scalebench`): its pool padded for the fitter, batches of
fits on chosen runs (``LANES`` per compiled call), and the design criterion of V-opt and ours over the fit's
plausible optima and draws from their local posteriors (``_selection``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from . import _selection
from ._fit import _fit_core, prepare
from ._law import DataScale, Law, on_device
from ._objective import Objective

LANES = 4  # fits per compiled call (one program per law and pool size)
MODE_RATIO = 1.5  # optima within this factor of the best objective count as plausible (the protocol's MSPE modes)
MAX_MODES = 8
DRAWS = 8  # parameter draws from each optimum's local posterior that ours averages its criterion over
REFINE, MAXITER = 16, 300  # per fit: the 16 best of the start grid refined, 300 L-BFGS steps then 20 of Newton at most


@partial(jax.jit, static_argnames=("law", "objective", "refine", "maxiter", "gtol", "atol"))
def _fit_lanes(grids, x, y, w, *, law, objective, refine, maxiter, gtol, atol):
    def one(grid, wi):
        out, _ = _fit_core(grid, x, y, wi, None, law=law, search=None, objective=objective, refine=refine,
                           maxiter=maxiter, gtol=gtol, atol=atol)
        return out.u, out.value

    return jax.vmap(one)(grids, w)


@partial(jax.jit, static_argnames=("law",))
def _predict_u(u, x, *, law):
    return jax.vmap(lambda ui: law.predict(law.unpack(ui), x))(u)


@dataclass
class _Fit:
    u: np.ndarray  # (refine, P): every refined start's optimum
    value: np.ndarray  # (refine,)

    @property
    def best(self) -> np.ndarray:
        return self.u[int(np.nanargmin(np.where(np.isfinite(self.value), self.value, np.inf)))]


class _Problem:
    """One law on one group: the padded pool, its costs and the target rows."""

    def __init__(self, law: Law, pool, target, cost: np.ndarray):
        prep = prepare(law, pool)
        self.law, self.n = law, len(pool)
        self.x, self.y, _, _ = prep.padded()
        self.rows = len(self.y)
        self.y_pool = np.asarray(prep.y)
        self.cost, self.total = cost, float(cost.sum())
        self.x_pool = law.features(pool)
        self.x_target = law.features(target)
        self.y_target = np.asarray(target[law.target], dtype=float)
        scale = DataScale.of({c: pool[c] for c in law.inputs}, self.y_pool)
        self.grid = law.start_grid(scale)
        self.objective = Objective(**law.objective)
        self.refine = int(min(REFINE, law.refine, len(self.grid)))
        self.prec = _selection.prior_precision(law)

    def fit(self, requests) -> list[_Fit]:
        """Fit each ``(mask over the pool, warm start or None)``, ``LANES`` at a time."""
        out = []
        for i in range(0, len(requests), LANES):
            chunk = list(requests[i:i + LANES])
            chunk += [chunk[-1]] * (LANES - len(chunk))
            grids = np.repeat(self.grid[None], LANES, axis=0)
            w = np.zeros((LANES, self.rows))
            for lane, (mask, warm) in enumerate(chunk):
                w[lane, : self.n] = mask
                if warm is not None:
                    grids[lane, -1] = warm  # the last optimum joins the grid's screening
            u, value = _fit_lanes(on_device(grids), self.x, self.y, on_device(w), law=self.law,
                                  objective=self.objective, refine=self.refine, maxiter=MAXITER, gtol=1e-8,
                                  atol=1e-12)
            u, value = np.asarray(u), np.asarray(value)
            out += [_Fit(u[k], value[k]) for k in range(min(LANES, len(requests) - i))]
        return out

    def share(self, chosen) -> float:
        """The share of the group's budget that runs ``chosen`` cost."""
        return float(self.cost[list(chosen)].sum() / self.total)

    def predict(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(_predict_u(on_device(np.atleast_2d(u)), self.x_target, law=self.law))

    def criterion(self, fit: _Fit, chosen: list[int], *, kind: str, modes: bool, b0: float
                  ) -> _selection.Criterion | None:
        """The design criterion at the fit: its best optimum alone, or (``modes``) its plausible optima (objective
        within MODE_RATIO of the best) weighted by exp(-BIC/2), so by (MSE_best / MSE_k)^(n/2) (the same parameter
        count), those under 1e-3 dropped."""
        law = self.law
        values = np.where(np.isfinite(fit.value), fit.value, np.inf)
        if modes:
            keep = np.flatnonzero(values <= MODE_RATIO * values.min() + 1e-300)
            keep = keep[np.argsort(values[keep])]
            _, first = np.unique(np.round(fit.u[keep], 6), axis=0, return_index=True)
            keep = keep[np.sort(first)][:MAX_MODES]
        else:
            keep = np.array([int(np.argmin(values))])
        sets = fit.u[keep]
        theta = np.stack([np.asarray(v) for v in law.unpack(jnp.asarray(sets)).values()], axis=-1)
        jc = _selection.jacobians(law, theta, self.x_pool)
        g = _selection.jacobians(law, theta, self.x_target)
        fc, ft = self._pool_predictions(sets), self.predict(sets)
        ok = [k for k in range(len(sets)) if np.all(np.isfinite(jc[k])) and np.all(np.isfinite(g[k]))
              and np.all(np.isfinite(fc[k])) and np.all(np.isfinite(ft[k]))]
        if not ok:
            return None
        n = len(chosen)
        mse = np.array([np.mean(np.square(fc[k, chosen] - self.y_pool[chosen])) for k in ok])
        w = np.exp(-0.5 * n * (np.log(np.maximum(mse, 1e-300)) - np.log(max(mse.min(), 1e-300))))
        w = w / w.sum()
        ok = [k for k, wk in zip(ok, w) if wk >= 1e-3]
        w = w[w >= 1e-3]
        posts = []
        for k, wk in zip(ok, w):
            resid = fc[k, chosen] - self.y_pool[chosen]
            post = _selection.posterior(jc[k, chosen], resid, jc[k], g[k], self.prec, b0)
            if _selection.usable(post):
                posts += self._with_draws(post, wk, theta[k], chosen, resid, b0) if modes and DRAWS else [(post, wk)]
        if not posts:
            return None
        w = np.array([wk for _, wk in posts])
        return _selection.Criterion([p for p, _ in posts], kind, w / w.sum())

    def _with_draws(self, post, weight, theta, chosen, resid, b0):
        """The optimum's posterior beside DRAWS others, linearised at parameter sets drawn from it (its Laplace
        approximation, in the log coordinates of positive parameters, clipped to the bounds), each with an equal
        share of its weight: the criterion averaged over the parameters' uncertainty, not taken at a point estimate
        that a few runs fix badly (pseudo-Bayesian design: Chaloner and Verdinelli 1995, Statistical Science 10(3)).
        Each keeps the optimum's residuals (so its noise variance); the draws are seeded by the number of runs
        chosen, so the method stays deterministic."""
        law = self.law
        positive = np.array([p.lower > 0 for p in law.params])
        lo = np.array([p.lower for p in law.params])
        hi = np.array([p.upper for p in law.params])
        vals, vecs = np.linalg.eigh(0.5 * (post.cov + post.cov.T))
        z = np.random.default_rng(len(chosen)).standard_normal((DRAWS, len(theta)))
        step = z @ (vecs * np.sqrt(np.maximum(vals, 0.0))).T
        with np.errstate(all="ignore"):
            draws = np.clip(np.where(positive, theta * np.exp(step), theta + step), lo, hi)
        jc = _selection.jacobians(law, draws, self.x_pool)
        g = _selection.jacobians(law, draws, self.x_target)
        share = weight / (DRAWS + 1)
        out = [(post, share)]
        for d in range(DRAWS):
            if np.all(np.isfinite(jc[d])) and np.all(np.isfinite(g[d])):
                q = _selection.posterior(jc[d, chosen], resid, jc[d], g[d], self.prec, b0)
                if _selection.usable(q):
                    out.append((q, share))
        return out

    def _pool_predictions(self, u):
        return np.asarray(_predict_u(on_device(u), self.x_pool, law=self.law))
