r"""COD, clustering on difficulty: forecast a benchmark's accuracy at a larger compute from its items.

Xu et al. 2025, "Unveiling Downstream Performance Scaling of LLMs: A Clustering-Based Perspective",
arXiv:2502.17262. No code was published; what follows is the paper's pipeline with our reading of its details.

1. **Difficulty features** (paper): each item is the vector of its pass rates on the training (small) models.
2. **Clustering** (paper: an improved MeanShift with a capped cluster radius and a minimum cluster size, outliers
   dropped). Ours: scikit-learn's MeanShift with bandwidth ``radius`` on features divided by sqrt(models) (so the
   radius is a root-mean-square difference of pass rates), orphans left out; then every member farther than
   ``radius`` from its cluster's centre is dropped, and clusters of fewer than ``min_size`` items are dropped.
3. **Per-cluster law** (form: our reading, REFERENCE section 4): :math:`\mathrm{acc}(C) = g + (1 - g)
   \exp(-a C^{-b} - c)`, :func:`~scalinglaws.laws.downstream.cod_law`, with :math:`g` the mean guess rate of
   the cluster's items; fitted to the cluster's mean accuracy on the training models, by least squares, all
   clusters at once (one vmapped multi-start screen, then a batched damped-Newton polish).
4. **Classes** (paper: extrapolatable, non-extrapolatable, non-emergent; the rule is ours):
   non-emergent when the cluster rises more than ``flat`` above its guess rate on fewer than ``min_risen`` (3)
   training models (flat, or only starting to rise);
   otherwise non-extrapolatable when the fit misses its points (RMS error above ``fit_tol``) or when the law
   refitted without the largest training model misses that model by more than ``holdout_tol``; otherwise
   extrapolatable.
5. **Subset forecast** (paper): the item-weighted mean of the extrapolatable clusters' laws at the target compute.
6. **Subset-to-full mapping** (paper: a smooth monotone map fitted on the small models; form ours):
   :math:`\mathrm{logit}(\mathrm{full}) = \alpha + \beta\, \mathrm{logit}(\mathrm{subset})`, least squares over
   the training models.
7. **Band** (ours): a bootstrap over items and models at once (multinomial counts of each), clusters and classes
   held at the point fit's, each draw refitted (warm-started) and mapped; percentile interval.

The one-curve baseline fits the same law to the whole set's mean accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _solve
from ._errors import InputError
from ._forecast import Band
from ._law import DataScale
from ._result import percentile_interval
from .laws.downstream import cod_law

__all__ = ["Benchmark", "CODResult", "cod", "CLASSES"]

CLASSES = ("extrapolatable", "non-extrapolatable", "non-emergent")
_LAW = cod_law(0.0)  # the guess rate enters as data below (one per cluster), so one compiled program serves all


@dataclass(frozen=True, eq=False)
class Benchmark:
    """Per-item pass rates of a ladder of models: ``pass_rates`` (items, models) in [0, 1], each model's training
    ``compute`` (FLOP), each item's random-guess rate ``guess``. A simulated benchmark also carries the items'
    ``kinds`` and its ``truth``: the expected full-set accuracy at any compute."""

    pass_rates: np.ndarray
    compute: np.ndarray
    items: tuple[str, ...]
    models: tuple[str, ...]
    guess: np.ndarray
    kinds: tuple[str, ...] | None = None
    truth: object = field(default=None, repr=False)

    def __post_init__(self):
        p = np.asarray(self.pass_rates, dtype=float)
        c = np.asarray(self.compute, dtype=float)
        g = np.broadcast_to(np.asarray(self.guess, dtype=float), (p.shape[0],)).copy() if p.ndim == 2 else None
        problems = []
        if p.ndim != 2:
            problems.append(f"pass rates must be a matrix (items x models), not of shape {p.shape}")
        else:
            if not np.all(np.isfinite(p)):
                problems.append(f"{int(np.sum(~np.isfinite(p)))} pass rates are missing or not finite")
            elif np.any((p < 0) | (p > 1)):
                problems.append("pass rates must be in [0, 1]")
            if c.shape != (p.shape[1],):
                problems.append(f"give one compute per model ({p.shape[1]}), not {c.size}")
            elif not np.all(np.isfinite(c) & (c > 0)):
                problems.append("every model's compute must be positive and finite")
            if len(self.items) != p.shape[0] or len(self.models) != p.shape[1]:
                problems.append("give one name per item and per model")
            if g is not None and np.any((g < 0) | (g >= 1)):
                problems.append("guess rates must be in [0, 1)")
        if problems:
            raise InputError("; ".join(problems))
        object.__setattr__(self, "pass_rates", p)
        object.__setattr__(self, "compute", c)
        object.__setattr__(self, "guess", g)
        object.__setattr__(self, "items", tuple(map(str, self.items)))
        object.__setattr__(self, "models", tuple(map(str, self.models)))

    @classmethod
    def from_table(cls, table, items: Sequence[str], *, compute: str = "C", invert: bool = False,
                   guess: Mapping[str, float] | float = 0.0) -> "Benchmark":
        """Items from columns of a run table (one row per model): ``items`` name the per-item score columns (pass
        rates, or errors with ``invert=True``), ``compute`` the column of training compute; ``guess`` a rate for
        every item or per item (by column name)."""
        missing = [c for c in (*items, compute) if c not in table]
        if missing:
            raise InputError(f"the table has no columns {missing}")
        rates = np.stack([np.asarray(table[c], dtype=float) for c in items])
        g = [float(guess.get(c, 0.0)) for c in items] if isinstance(guess, Mapping) else float(guess)
        return cls(1.0 - rates if invert else rates, np.asarray(table[compute], dtype=float), tuple(items),
                   tuple(map(str, table.run_ids)), np.asarray(g))

    @classmethod
    def from_matrix(cls, matrix: Mapping, compute: Mapping[str, float], *, guess=0.0) -> "Benchmark":
        """From :func:`scalinglaws.read_matrix`'s result (``rows``, ``columns``, ``values``: items x models) and
        each model's compute by column name."""
        missing = [m for m in matrix["columns"] if m not in compute]
        if missing:
            raise InputError(f"give the training compute of models {missing}")
        return cls(matrix["values"], np.array([float(compute[m]) for m in matrix["columns"]]), matrix["rows"],
                   matrix["columns"], np.broadcast_to(np.asarray(guess, dtype=float), (len(matrix["rows"]),)))

    @property
    def accuracy(self) -> np.ndarray:
        """The full set's accuracy on each model (the mean over items)."""
        return self.pass_rates.mean(axis=0)

    def models_below(self, compute: float) -> np.ndarray:
        """Indices of the models trained with at most ``compute``."""
        return np.flatnonzero(self.compute <= compute)


@dataclass(frozen=True)
class CODResult:
    """What :func:`cod` found: clusters, their classes and laws, and the forecasts with bands."""

    target_compute: np.ndarray
    forecast: Band  # full-set accuracy at each target compute
    subset: Band  # the extrapolatable subset's accuracy there
    baseline: Band  # one curve fitted to the whole set's accuracy
    labels: np.ndarray  # (items,) cluster of each item, -1 for dropped
    clusters: tuple[dict, ...]  # per cluster: size, guess, class, params, rms, holdout error
    mapping: Mapping[str, float]  # logit(full) = alpha + beta logit(subset)
    train_models: tuple[str, ...]
    settings: Mapping[str, object]
    level: float
    warnings: tuple[str, ...] = ()
    predictable: bool = True  # False: no cluster is extrapolatable, and ``forecast`` is NaN (``warnings`` say why)

    def n_in(self, cls: str) -> int:
        return sum(c["size"] for c in self.clusters if c["class"] == cls)

    def summary(self) -> str:
        n_items = len(self.labels)
        lines = [f"COD on {n_items} items, {len(self.train_models)} training models "
                 f"(up to {self.settings['train_compute']:.3g} FLOP)",
                 f"  clusters: {len(self.clusters)}; items dropped as outliers or in small clusters: "
                 f"{int(np.sum(self.labels < 0))}"]
        for cls in CLASSES:
            k = [c for c in self.clusters if c["class"] == cls]
            lines.append(f"  {cls:<20} {len(k):>3} clusters, {sum(c['size'] for c in k):>5} items")
        lines.append(f"  mapping: logit(full) = {self.mapping['alpha']:.3f} + {self.mapping['beta']:.3f} "
                     "logit(subset)")
        lines.append(f"  {'compute':>10} {'COD full-set':>13} {f'{100 * self.level:g}% interval':>20} "
                     f"{'one curve':>10} {'subset':>8}")
        for i, c in enumerate(np.atleast_1d(self.target_compute)):
            f, lo, hi = (float(np.atleast_1d(a)[i]) for a in (self.forecast.value, self.forecast.lower,
                                                               self.forecast.upper))
            interval = f"({lo:.4f}, {hi:.4f})" if np.isfinite(lo) else ""
            lines.append(f"  {c:>10.3g} {f:>13.4f} {interval:>20} {float(np.atleast_1d(self.baseline.value)[i]):>10.4f}"
                         f" {float(np.atleast_1d(self.subset.value)[i]):>8.4f}")
        return "\n".join(lines + [f"  warning: {w}" for w in self.warnings])

    def to_dict(self) -> dict:
        return {"target_compute": np.asarray(self.target_compute).tolist(), "forecast": self.forecast.to_dict(),
                "subset": self.subset.to_dict(), "baseline": self.baseline.to_dict(),
                "labels": np.asarray(self.labels).tolist(), "clusters": [dict(c) for c in self.clusters],
                "mapping": dict(self.mapping), "train_models": list(self.train_models),
                "settings": dict(self.settings), "level": self.level, "warnings": list(self.warnings),
                "predictable": self.predictable}


def _cluster(features: np.ndarray, radius: float, min_size: int) -> np.ndarray:
    from sklearn.cluster import MeanShift

    x = features / np.sqrt(features.shape[1])  # distances become root-mean-square differences of pass rates
    labels = MeanShift(bandwidth=radius, bin_seeding=True, cluster_all=False).fit(x).labels_.copy()
    for k in np.unique(labels[labels >= 0]):
        members = labels == k
        centre = x[members].mean(axis=0)
        far = members & (np.linalg.norm(x - centre, axis=1) > radius)
        labels[far] = -1
    keep = [k for k in np.unique(labels[labels >= 0]) if np.sum(labels == k) >= min_size]
    out = np.full_like(labels, -1)
    for new, k in enumerate(sorted(keep, key=lambda k: -features[labels == k].mean())):  # easiest first
        out[labels == k] = new
    return out


def _objective(u, c, y, w, g):
    p = _LAW.unpack(u)
    pred = g + (1.0 - g) * (_LAW.predict(p, {"C": c}))  # the law at g = 0, rescaled to guess rate g
    return 0.5 * jnp.sum(w * (pred - y) ** 2)


@partial(jax.jit, static_argnames=("maxiter",))
def _fit_lanes(grid, c, y, w, g, *, maxiter):
    """Fit every lane (a cluster, a bootstrap draw of one): screen the grid on each, then damped Newton."""
    screen = jax.vmap(lambda yl, wl, gl: jax.vmap(lambda u: _objective(u, c, yl, wl, gl))(grid))(y, w, g)
    u0 = grid[jnp.argmin(jnp.where(jnp.isfinite(screen), screen, jnp.inf), axis=1)]
    # gtol 1e-6 of the objective: a saturating cluster (c near its bound, log a ~ 20) has a gradient floor of
    # rounding that depends on the processor: 6e-13 at objective 5.5e-5 on one (1e-8 relative), 3.7e-12 at 2.4e-5
    # on another (1.5e-7 relative). A tighter test turns that floor into a spurious "not converged", hence
    # "non-extrapolatable"; at 1e-6 the objective left to gain is of order g^2 / H, far below anything measured.
    return _solve.newton(lambda u, yl, wl, gl: _objective(u, c, yl, wl, gl), u0, (y, w, g), maxiter=maxiter,
                         gtol=1e-6, atol=1e-14, data_axes=(0, 0, 0))


@jax.jit
def _polish(u0, c, y, w, g):
    """Warm-started refits of bootstrap lanes (no screen: each starts at the point fit)."""
    return _solve.newton(lambda u, yl, wl, gl: _objective(u, c, yl, wl, gl), u0, (y, w, g), maxiter=100,
                         gtol=1e-6, atol=1e-14, data_axes=(0, 0, 0))


@jax.jit
def _predict_lanes(u, c, g):
    return jax.vmap(lambda ul, gl: gl + (1.0 - gl) * _LAW.predict(_LAW.unpack(ul), {"C": c}))(u, g)


def _logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p) - np.log1p(-p)


def _mapping(subset, full, weights):
    """Weighted least squares of logit(full) on logit(subset) over models; (alpha, beta) per row of inputs."""
    xs, ys, w = _logit(subset), _logit(full), weights
    sw = w.sum(-1, keepdims=True)
    mx, my = (w * xs).sum(-1, keepdims=True) / sw, (w * ys).sum(-1, keepdims=True) / sw
    var = (w * (xs - mx) ** 2).sum(-1)
    beta = np.where(var > 1e-12, (w * (xs - mx) * (ys - my)).sum(-1) / np.where(var > 1e-12, var, 1.0), 0.0)
    return my[..., 0] - beta * mx[..., 0], beta


def cod(bench: Benchmark, target_compute, *, train: Sequence[int] | None = None, train_compute: float | None = None,
        radius: float = 0.1, min_size: int = 5, flat: float = 0.03, min_risen: int = 3, fit_tol: float = 0.05,
        holdout_tol: float = 0.1, n_boot: int = 200, seed: int = 0, level: float = 0.9) -> CODResult:
    """COD's forecast of ``bench``'s full-set accuracy at ``target_compute`` (a number or several).

    Args:
      bench: the items' pass rates on a ladder of models (:class:`Benchmark`).
      target_compute: training compute (FLOP) to forecast at.
      train: indices of the models to fit on; or ``train_compute``: every model trained with at most that much
        (default: all models).
      radius: the cluster radius cap, as a root-mean-square difference of pass rates over the training models.
      min_size: clusters with fewer items are dropped.
      flat, min_risen: a cluster whose accuracy rises more than ``flat`` above its guess rate on fewer than
        ``min_risen`` training models is non-emergent (flat, or only starting to rise: too few points on the rise
        to fit a 3-parameter law).
      fit_tol, holdout_tol: the largest RMS fit error, and the largest error on the largest training model when
        it is held out, of an extrapolatable cluster.
      n_boot: bootstrap draws over items and models (0: no band); ``seed`` fixes them; ``level``: the band's.

    Returns:
      A :class:`CODResult`; when no cluster is extrapolatable, ``predictable`` is False, the forecast is NaN and
      the warning says how the items fell (the one-curve baseline is still given, for what it is worth).

    Raises:
      InputError: fewer than 4 training models.
    """
    if train is None:
        train = bench.models_below(train_compute) if train_compute is not None else np.arange(len(bench.models))
    train = np.asarray(sorted(set(int(i) for i in train)))
    if len(train) < 4:
        raise InputError(f"COD needs at least 4 training models to fit a 3-parameter law per cluster and hold one "
                         f"out; got {len(train)}")
    targets = np.atleast_1d(np.asarray(target_compute, dtype=float))
    c = jnp.asarray(bench.compute[train])
    rates = bench.pass_rates[:, train]
    labels = _cluster(rates, radius, min_size)
    k = int(labels.max()) + 1 if np.any(labels >= 0) else 0
    member = np.stack([labels == j for j in range(k)]) if k else np.zeros((0, len(labels)), bool)  # (K, items)
    all_items = np.ones((1, len(labels)), bool)
    groups = np.concatenate([member, all_items])  # the clusters, then the whole set (the baseline)
    guess = (groups @ bench.guess) / groups.sum(1)
    y = (groups @ rates) / groups.sum(1, keepdims=True)
    m = len(train)
    scale = DataScale.of({"C": np.asarray(c)}, np.ones(1))
    grid = jnp.asarray(_LAW.start_grid(scale))
    ones = np.ones_like(y)
    held = ones.copy()
    held[:, -1] = 0.0  # the largest training model held out
    lanes_y = np.concatenate([y, y[:k]])
    lanes_w = np.concatenate([ones, held[:k]])
    lanes_g = np.concatenate([guess, guess[:k]])
    out = _fit_lanes(grid, c, jnp.asarray(lanes_y), jnp.asarray(lanes_w), jnp.asarray(lanes_g), maxiter=200)
    u = np.asarray(out.u)
    fitted = np.asarray(_predict_lanes(jnp.asarray(u), c, jnp.asarray(lanes_g)))
    clusters, warnings = [], []
    for j in range(k):
        rms = float(np.sqrt(np.mean((fitted[j] - y[j]) ** 2)))
        holdout = float(abs(fitted[k + 1 + j, -1] - y[j, -1]))
        if np.sum(y[j] - guess[j] > flat) < min_risen:
            cls = "non-emergent"
        elif not bool(out.converged[j]) or rms > fit_tol or holdout > holdout_tol:
            cls = "non-extrapolatable"
        else:
            cls = "extrapolatable"
        clusters.append({"cluster": j, "size": int(member[j].sum()), "guess": float(guess[j]), "class": cls,
                         "params": {q: float(v) for q, v in _LAW.natural(_LAW.unpack(jnp.asarray(u[j]))).items()},
                         "rms": rms, "holdout_error": holdout, "accuracy": y[j].tolist()})
    usable = np.array([cl["class"] == "extrapolatable" for cl in clusters], bool)
    top = float(bench.compute[train].max())
    settings = {"radius": radius, "min_size": min_size, "flat": flat, "min_risen": min_risen, "fit_tol": fit_tol,
                "holdout_tol": holdout_tol, "n_boot": n_boot, "seed": seed, "train_compute": top}
    train_models = tuple(bench.models[i] for i in train)
    if not usable.any():
        counts = {cls: sum(cl["size"] for cl in clusters if cl["class"] == cls) for cls in CLASSES}
        why = (f"no cluster is extrapolatable, so this benchmark is not predictable from these models yet: {k} "
               f"clusters ({', '.join(f'{v} items {n}' for n, v in counts.items())}), "
               f"{int(np.sum(labels < 0))} items dropped")
        base = np.asarray(_predict_lanes(jnp.asarray(u[k:k + 1]), jnp.asarray(targets), jnp.asarray(guess[k:k + 1])))[0]
        nan = np.full_like(base, np.nan)
        return CODResult(targets, Band(nan, nan, nan), Band(nan, nan, nan), Band(base, nan, nan), labels,
                         tuple(clusters), {"alpha": float("nan"), "beta": float("nan")}, train_models, settings,
                         level, (why,), predictable=False)
    sizes = member.sum(1).astype(float)

    def forecast_of(u_clusters, u_base, sizes, y_sub_obs, full_obs, wm, g):
        """Subset and full-set forecasts at the targets, and the baseline, from fitted lanes."""
        at = np.asarray(_predict_lanes(jnp.asarray(u_clusters), jnp.asarray(targets), jnp.asarray(g[:k])))
        sub = (sizes[usable] @ at[usable]) / sizes[usable].sum()
        alpha, beta = _mapping(y_sub_obs, full_obs, wm)
        full = 1.0 / (1.0 + np.exp(-(alpha + beta * _logit(sub))))
        base = np.asarray(_predict_lanes(jnp.asarray(u_base[None]), jnp.asarray(targets), jnp.asarray(g[k:k + 1])))[0]
        return sub, full, base, (float(alpha), float(beta))

    sub_obs = (sizes[usable] @ y[:k][usable]) / sizes[usable].sum()
    sub, full, base, (alpha, beta) = forecast_of(u[:k], u[k], sizes, sub_obs, y[k], np.ones(m), guess)
    if beta <= 0:
        warnings.append(f"the subset-to-full mapping is not increasing (beta {beta:.3g}): the subset does not track "
                        "the full set on the training models")
    if np.any(targets > 100 * top):
        warnings.append(f"forecasting {float(targets.max() / top):.0f}x beyond the largest training compute")
    nan = np.full_like(full, np.nan)
    bands = [Band(sub, nan, nan), Band(full, nan, nan), Band(base, nan, nan)]
    if n_boot:
        bands = _bootstrap(bench, rates, member, guess, u, sub, full, base, usable, train, c, targets, grid,
                           n_boot, seed, level, k)
    return CODResult(targets, bands[1], bands[0], bands[2], labels, tuple(clusters), {"alpha": alpha, "beta": beta},
                     train_models, settings, level, tuple(warnings))


def _bootstrap(bench, rates, member, guess, u, sub, full, base, usable, train, c, targets, grid, n, seed, level, k):
    """Resample items and models together; refit every cluster (and the baseline) per draw, warm-started."""
    rng = np.random.default_rng(seed)
    n_items, m = rates.shape
    item_w = rng.multinomial(n_items, np.full(n_items, 1 / n_items), size=n).astype(float)  # (B, items)
    model_w = rng.multinomial(m, np.full(m, 1 / m), size=n).astype(float)  # (B, models)
    groups = np.concatenate([member, np.ones((1, n_items), bool)])  # (K+1, items)
    gw = item_w[:, None, :] * groups[None]  # (B, K+1, items)
    size = gw.sum(-1)
    y = np.einsum("bki,im->bkm", gw, rates) / np.maximum(size, 1e-12)[..., None]
    w = np.broadcast_to(model_w[:, None, :], y.shape)
    g = np.einsum("bki,i->bk", gw, bench.guess) / np.maximum(size, 1e-12)
    lanes = (k + 1) * n
    out = _polish(jnp.asarray(np.tile(u[: k + 1], (n, 1))), c, jnp.asarray(y.reshape(lanes, m)),
                  jnp.asarray(w.reshape(lanes, m)), jnp.asarray(g.reshape(lanes)))
    ub = np.asarray(out.u).reshape(n, k + 1, -1)
    at = np.asarray(_predict_lanes(jnp.asarray(ub.reshape(lanes, -1)), jnp.asarray(targets),
                                   jnp.asarray(g.reshape(lanes)))).reshape(n, k + 1, len(targets))
    sz = size[:, :k][:, usable]
    subs = np.einsum("bk,bkt->bt", sz, at[:, :k][:, usable]) / np.maximum(sz.sum(1, keepdims=True), 1e-12)
    sub_obs = np.einsum("bk,bkm->bm", sz, y[:, :k][:, usable]) / np.maximum(sz.sum(1, keepdims=True), 1e-12)
    alpha, beta = _mapping(sub_obs, y[:, k], model_w)
    fulls = 1.0 / (1.0 + np.exp(-(alpha[:, None] + beta[:, None] * _logit(subs))))
    bases = at[:, k]
    return [Band(v, *percentile_interval(s, level, axis=0)) for v, s in ((sub, subs), (full, fulls), (base, bases))]
