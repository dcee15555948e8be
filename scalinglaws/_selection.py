"""Choosing the next runs from a finite pool under a cost budget, for a target region: the criteria the ScaleBench
protocol compares (see :mod:`scalinglaws.scalebench`), each from one local Gaussian posterior per parameter set.

The posterior (ScaleBench's, PROTOCOL.md section 3.4): with ``J`` the Jacobian of the predictions with respect to the
parameters (a parameter with a positive lower bound is taken on its log: its column times its value), a prior
precision ``diag(1/s_j^2)`` with ``s_j`` a quarter of the parameter's range (of its log where the lower bound is
positive), and the noise variance ``sigma^2 = (b0 + SSE/2) / (a0 + n/2 - 1)`` (``a0 = 2``, ``b0 = 2 Var(y)``)::

    Sigma = (J^T J / sigma^2 + diag(1/s^2))^-1          (eigenvalues floored at 1e-10 of the largest)

A candidate x (Jacobian row ``j``) observed at fixed parameters updates ``Sigma`` by one rank
(``Sigma - Sigma j j^T Sigma / (sigma^2 + j^T Sigma j)``), which is what lets a batch be chosen greedily between refits.

- D-optimal: information gain ``log(1 + j^T Sigma j / sigma^2)``;
- V-optimal: the drop in the summed predictive variance over the target rows (Jacobians ``G``),
  ``sum_t (g_t^T Sigma j)^2 / (sigma^2 + j^T Sigma j)``;
- ours: the V-optimal drop averaged over several parameter sets (the distinct multi-start optima whose objective is
  within a factor of the best, weighted by exp(-BIC/2): the same averaging over plausible parameters as
  ``suggest_runs`` does over bootstrap draws).

Each is maximised greedily, one candidate at a time, per unit of relative cost to a power ``gamma``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Posterior", "posterior", "usable", "Criterion", "greedy", "jacobians", "parameter_jacobians",
           "prior_precision"]

A0 = 2.0
EIG_FLOOR = 1e-10


@partial(jax.jit, static_argnames=("law", "log"))
def parameter_jacobians(params, x, *, law, log=False):
    """Gradient of each row's prediction (its log with ``log``) with respect to the parameter vector, per parameter
    set: (sets, rows, P)."""

    def row_values(theta, x):
        p = {name: theta[i] for i, name in enumerate(law.param_names)}
        return law.log_prediction(p, x) if log else law.predict(p, x)

    return jax.vmap(lambda theta: jax.jacfwd(row_values)(theta, x))(params)


def jacobians(law, theta: np.ndarray, x) -> np.ndarray:
    """d prediction / d parameter at each parameter set, (sets, rows, P), with a positive-bounded parameter on its log
    (its column times its value)."""
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    j = np.asarray(parameter_jacobians(jnp.asarray(theta), x, law=law))
    positive = np.array([p.lower > 0 for p in law.params])
    return np.where(positive, j * theta[:, None, :], j)


def prior_precision(law) -> np.ndarray:
    s = []
    for p in law.params:
        lo, hi = p.lower, p.upper
        if math.isfinite(lo) and math.isfinite(hi):
            s.append((math.log(hi) - math.log(lo)) / 4 if lo > 0 else (hi - lo) / 4)
        else:
            s.append(10.0)  # an unbounded parameter: a wide prior (ScaleBench's laws are all bounded)
    return 1.0 / np.square(np.asarray(s))


@dataclass
class Posterior:
    """One parameter set's local posterior: ``cov`` (P, P), noise ``sigma2``, candidate Jacobians ``jc`` (n, P) and
    target Jacobians ``g`` (m, P)."""

    cov: np.ndarray
    sigma2: float
    jc: np.ndarray
    g: np.ndarray

    def observe(self, i: int) -> None:
        j = self.jc[i]
        sj = self.cov @ j
        self.cov = self.cov - np.outer(sj, sj) / (self.sigma2 + j @ sj)

    def target_variance(self) -> float:
        return float(np.einsum("tp,pq,tq->", self.g, self.cov, self.g))

    def info_gain(self) -> np.ndarray:
        return np.log1p(np.einsum("np,pq,nq->n", self.jc, self.cov, self.jc) / self.sigma2)

    def variance_drop(self) -> np.ndarray:
        sj = self.jc @ self.cov  # (n, P)
        num = np.square(self.g @ sj.T).sum(axis=0)  # (n,)
        return num / (self.sigma2 + np.einsum("np,np->n", sj, self.jc))


def posterior(jd: np.ndarray, resid: np.ndarray, jc: np.ndarray, g: np.ndarray, prec: np.ndarray, b0: float
              ) -> Posterior:
    """The posterior from the Jacobian ``jd`` (n_obs, P) and residuals at the observed runs."""
    n = len(resid)
    sigma2 = (b0 + 0.5 * float(np.sum(np.square(resid)))) / (A0 + n / 2 - 1)
    sigma2 = max(sigma2, 1e-300)
    # in the prior's whitened coordinates (theta / s) the precision is J'^T J' / sigma^2 + I, whose eigenvalues are
    # at least 1: inverting it loses nothing to rounding, where a prior of 1e-12 beside data of 1e4 would
    scale = 1.0 / np.sqrt(prec)
    jw = jd * scale
    h = jw.T @ jw / sigma2 + np.eye(len(prec))
    if not np.all(np.isfinite(h)):
        return Posterior(np.full_like(h, np.nan), sigma2, jc, g)
    vals, vecs = np.linalg.eigh(0.5 * (h + h.T))
    inv = 1.0 / np.maximum(vals, 1.0)
    cov_w = (vecs * inv) @ vecs.T
    cov = cov_w * np.outer(scale, scale)
    # floor the covariance's eigenvalues at EIG_FLOOR of the largest (the protocol's guard)
    vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
    cov_vals = np.maximum(vals, EIG_FLOOR * vals.max())
    return Posterior((vecs * cov_vals) @ vecs.T, sigma2, jc, g)


def usable(post: Posterior) -> bool:
    """Whether a posterior can rank candidates: a finite covariance and noise variance."""
    return bool(np.isfinite(post.sigma2) and np.all(np.isfinite(post.cov)))


class Criterion:
    """A design criterion over the candidates, from one or several weighted posteriors: ``gain()`` per candidate
    (``kind`` ``"dopt"``: information gain; ``"vopt"``: target variance drop; each the weighted mean over the
    posteriors), ``observe(i)``, ``value()`` (the weighted target variance left: lower is better) and ``copy()``."""

    def __init__(self, posts: list[Posterior], kind: str, weights=None):
        if kind not in ("dopt", "vopt"):
            raise ValueError(f"kind must be 'dopt' or 'vopt', not {kind!r}")
        self.posts, self.kind = posts, kind
        self.w = np.full(len(posts), 1.0 / len(posts)) if weights is None else np.asarray(weights, dtype=float)

    def copy(self) -> "Criterion":
        return Criterion([Posterior(p.cov.copy(), p.sigma2, p.jc, p.g) for p in self.posts], self.kind, self.w)

    def gain(self) -> np.ndarray:
        each = [p.info_gain() if self.kind == "dopt" else p.variance_drop() for p in self.posts]
        return np.einsum("k,kn->n", self.w, np.array(each))

    def observe(self, i: int) -> None:
        with np.errstate(all="ignore"):
            for p in self.posts:
                p.observe(i)

    def value(self) -> float:
        return float(np.dot(self.w, [p.target_variance() for p in self.posts]))


def greedy(crit: Criterion, cost: np.ndarray, free: np.ndarray, room: float, *, gamma: float, total: float,
           count: int) -> list[int]:
    """Up to ``count`` candidates (of those ``free``) costing at most ``room`` together, one at a time by
    ``gain / (cost/total)^gamma``, each pick observed before the next."""
    free, chosen = free.copy(), []
    for _ in range(count):
        ok = free & (cost <= room * (1 + 1e-12))
        if not ok.any():
            break
        with np.errstate(all="ignore"):
            value = crit.gain() / (cost / total) ** gamma
        value = np.where(ok & np.isfinite(value), value, -np.inf)
        if not np.isfinite(value.max()):
            break  # no candidate's gain is finite here: choose nothing rather than an arbitrary run
        i = int(np.argmax(value))
        chosen.append(i)
        free[i], room = False, room - cost[i]
        crit.observe(i)
    return chosen
