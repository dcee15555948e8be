r"""Optimal learning rate and batch size from LR x batch-size grids (Step Law; Li et al. 2025, arXiv:2503.04715).

Input: a run table with one row per run of a grid: ``N``, ``D``, ``lr`` (peak), a batch size (``bs_tokens``, or
``bs`` in sequences with ``seq_len``) and the final loss (``loss=`` names the column, e.g. the authors' smoothed
``"smooth loss"``). Runs are grouped by (N, D).

Two estimates of the optima, each followed by the power laws of :mod:`scalinglaws.laws.hyper`:

- **The authors' recipe** (paper and ``code/fit_tool.py``): in each group keep the runs whose loss is within
  ``threshold`` (relative, 0.25% by default) of the group's best; fit :math:`\ln \eta = \ln a + p \ln N + q \ln D`
  and :math:`\ln B = \ln b + r \ln D` by least squares over every kept run; bootstrap over the kept runs.
- **An estimate that throws no run away** (ours): in each group fit a quadratic bowl of :math:`\ln L` over
  :math:`(\ln \eta, \ln B)` to every run by weighted least squares, a run's weight falling smoothly with its
  loss above the group's best (:math:`e^{-\Delta \ln L / w}`, ``width`` :math:`w`), so that runs far up the
  walls (diverged at a too-high LR; the bowl is not symmetric there) bend it little without a cut-off; its
  minimum is the group's optimum; the power laws are fitted to the per-group optima and
  bootstrapped over groups.

The pooled curvature of those bowls (the mean Hessian of :math:`\ln L` in :math:`(\ln \eta, \ln B)` over groups
whose bowl is convex at an interior minimum) prices a choice off the optimum: :meth:`StepLaw.penalty` gives
:math:`\exp(\tfrac12 \delta^\top H \delta) - 1`, the relative loss increase, with :math:`\delta` the log distance
from the forecast optimum. It is a local, quadratic estimate: trust it within the ranges the grids covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ._bootstrap import bootstrap
from ._errors import InputError
from ._fit import fit
from ._forecast import forecast
from ._result import FitResult
from ._schema import table_from_columns
from .laws.hyper import STEP_BS, STEP_LR

__all__ = ["StepLaw", "HyperForecast", "step_law", "near_optimal"]


@dataclass(frozen=True)
class HyperForecast:
    """Forecast optimal LR and batch size at planned (N, D): values and ``level`` intervals (percentile, over the
    bootstrap draws of each law)."""

    N: np.ndarray
    D: np.ndarray
    lr: tuple  # (value, lower, upper), arrays over the planned runs
    bs_tokens: tuple
    bs_sequences: tuple | None
    level: float
    method: str

    def summary(self) -> str:
        pct = f"{100 * self.level:g}%"
        lines = [f"Optimal hyperparameters ({self.method}; {pct} bootstrap interval)"]
        for i in range(len(self.N)):
            lines.append(f"  N = {self.N[i]:.4g}, D = {self.D[i]:.4g}")
            lines.append(f"    learning rate        {self.lr[0][i]:.4g}  ({self.lr[1][i]:.4g} .. {self.lr[2][i]:.4g})")
            lines.append(f"    batch size, tokens   {self.bs_tokens[0][i]:.4g}  ({self.bs_tokens[1][i]:.4g} .. "
                         f"{self.bs_tokens[2][i]:.4g})")
            if self.bs_sequences is not None:
                lines.append(f"    batch size, seqs     {self.bs_sequences[0][i]:.4g}  ({self.bs_sequences[1][i]:.4g}"
                             f" .. {self.bs_sequences[2][i]:.4g})")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        def band(b):
            return None if b is None else {k: np.asarray(v).tolist() for k, v in zip(("value", "lower", "upper"), b)}
        return {"N": self.N.tolist(), "D": self.D.tolist(), "lr": band(self.lr), "bs_tokens": band(self.bs_tokens),
                "bs_sequences": band(self.bs_sequences), "level": self.level, "method": self.method}


@dataclass(frozen=True)
class StepLaw:
    """Both estimates of the LR and batch-size laws (see the module docstring), the per-group optima and the
    pooled curvature of the loss bowl."""

    lr: FitResult  # the authors' recipe (kept runs), bootstrapped over kept runs
    bs: FitResult
    lr_all: FitResult  # the estimate that keeps every run, bootstrapped over groups
    bs_all: FitResult
    groups: tuple[dict, ...]  # per (N, D): runs, kept, best run's lr and bs, the bowl's optimum
    curvature: np.ndarray  # pooled Hessian of ln L in (ln lr, ln bs_tokens)
    settings: Mapping = field(default_factory=dict)

    def forecast(self, N, D, *, seq_len: float | None = None, level: float = 0.9,
                 method: str = "recipe") -> HyperForecast:
        """Optimal LR and batch size (tokens; and sequences of ``seq_len`` tokens) at planned (N, D), by the
        authors' recipe (``method="recipe"``) or the estimate that keeps every run (``"all runs"``)."""
        if method not in ("recipe", "all runs"):
            raise InputError(f"method must be 'recipe' or 'all runs', not {method!r}")
        lr_fit, bs_fit = (self.lr, self.bs) if method == "recipe" else (self.lr_all, self.bs_all)
        n, d = np.broadcast_arrays(np.atleast_1d(np.asarray(N, float)), np.atleast_1d(np.asarray(D, float)))
        lr = forecast(lr_fit, {"N": n, "D": d}, level=level).prediction
        bs = forecast(bs_fit, {"D": d}, level=level).prediction
        lr_t = (lr.value, lr.lower, lr.upper)
        bs_t = (bs.value, bs.lower, bs.upper)
        seqs = None if seq_len is None else tuple(np.asarray(v) / seq_len for v in bs_t)
        return HyperForecast(n, d, lr_t, bs_t, seqs, level, method)

    def penalty(self, N, D, lr, bs_tokens, *, method: str = "recipe") -> np.ndarray:
        """The relative loss increase of training at (``lr``, ``bs_tokens``) instead of the forecast optimum, from
        the pooled quadratic bowl: ``exp(0.5 d' H d) - 1`` with ``d`` the log distance to the optimum."""
        f = self.forecast(N, D, method=method)
        delta = np.stack([np.log(np.asarray(lr, float)) - np.log(f.lr[0]),
                          np.log(np.asarray(bs_tokens, float)) - np.log(f.bs_tokens[0])], axis=-1)
        return np.expm1(0.5 * np.einsum("...i,ij,...j->...", delta, self.curvature, delta))

    def summary(self) -> str:
        def law(r, fmt):
            return fmt.format(**r.natural)
        lines = ["Step Law: optimal learning rate and batch size",
                 f"  authors' recipe (runs within {100 * self.settings['threshold']:g}% of each group's best, "
                 f"{sum(g['kept'] for g in self.groups)} of {sum(g['runs'] for g in self.groups)} runs):",
                 "    " + law(self.lr, "lr* = {a:.4g} N^{p:.4f} D^{q:.4f}"),
                 "    " + law(self.bs, "bs* = {b:.4g} D^{r:.4f}  (tokens)"),
                 f"  every run kept (the optimum of a weighted quadratic bowl per group, {len(self.groups)} "
                 "groups):",
                 "    " + law(self.lr_all, "lr* = {a:.4g} N^{p:.4f} D^{q:.4f}"),
                 "    " + law(self.bs_all, "bs* = {b:.4g} D^{r:.4f}  (tokens)")]
        if self.lr.draws is not None:
            lo_p, hi_p = self.lr.interval("p")
            lo_q, hi_q = self.lr.interval("q")
            lo_r, hi_r = self.bs.interval("r")
            lines.append(f"  recipe 95% intervals: p {lo_p:.3f} .. {hi_p:.3f}, q {lo_q:.3f} .. {hi_q:.3f}, "
                         f"r {lo_r:.3f} .. {hi_r:.3f}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"lr": self.lr.without_draws().to_dict(), "bs": self.bs.without_draws().to_dict(),
                "lr_all": self.lr_all.without_draws().to_dict(), "bs_all": self.bs_all.without_draws().to_dict(),
                "groups": list(self.groups), "curvature": self.curvature.tolist(), "settings": dict(self.settings)}


def near_optimal(loss: np.ndarray, groups: np.ndarray, threshold: float) -> np.ndarray:
    """Mask of the runs whose loss is within ``threshold`` (relative) of their group's best."""
    keep = np.zeros(len(loss), bool)
    for g in np.unique(groups):
        rows = groups == g
        keep[rows] = loss[rows] <= loss[rows].min() * (1.0 + threshold)
    return keep


def _bowl(x, y, log_loss, width, iterations=100):
    """A quadratic bowl ln L = c + g'z + z'Hz/2 over z = (x, y) - centre, every run weighted by
    exp(-(ln L - ln L_best) / width): runs far up the walls (diverged at a too-high LR) count for little, none is
    cut; (coefficients, centre)."""
    centre = np.array([x.mean(), y.mean()])
    u, v = x - centre[0], y - centre[1]
    design = np.stack([np.ones_like(u), u, v, 0.5 * u * u, 0.5 * v * v, u * v], axis=1)
    w = np.exp(-(log_loss - log_loss.min()) / width)
    sw = np.sqrt(w)
    return np.linalg.lstsq(design * sw[:, None], log_loss * sw, rcond=None)[0], centre


def _bowl_minimum(coef, centre, x, y):
    """The bowl's minimum, clipped to the grid's range; (x*, y*, hessian, convex with an interior minimum)."""
    g = coef[1:3]
    h = np.array([[coef[3], coef[5]], [coef[5], coef[4]]])
    if np.all(np.linalg.eigvalsh(h) > 0):
        z = -np.linalg.solve(h, g) + centre
        inside = x.min() < z[0] < x.max() and y.min() < z[1] < y.max()
        return float(np.clip(z[0], x.min(), x.max())), float(np.clip(z[1], y.min(), y.max())), h, bool(inside)
    i = int(np.argmin(coef[0] + (np.stack([x, y], 1) - centre) @ g))  # not a bowl: the lowest run's side
    return float(x[i]), float(y[i]), h, False


def step_law(table, *, loss: str = "loss", threshold: float = 0.0025, seq_len: float | None = None,
             n_boot: int = 1000, seed: int = 0, width: float = 0.01) -> StepLaw:
    """Fit the Step Law's LR and batch-size laws to an LR x batch-size grid (see the module docstring).

    Args:
      table: a :class:`RunTable` (one row per run) with ``N``, ``D``, ``lr``, ``bs_tokens`` (or ``bs`` and
        ``seq_len``) and the ``loss`` column.
      loss: the column of final losses to judge runs by.
      threshold: the authors' selection, relative to each group's best loss (0.0025: 0.25%).
      seq_len: tokens per sequence, to convert ``bs`` (sequences) to tokens.
      n_boot, seed: bootstrap draws (runs for the recipe, groups for the every-run estimate) and their seed.
      width: how fast a run's weight in its group's bowl falls with its loss above the best (``exp(-excess /
        width)``, ``excess`` in ln L; 0.01: a run 1% worse than the best counts 1/e as much).

    Raises:
      InputError: a missing column, a non-positive value, fewer than 3 (N, D) groups, or a bad option.
    """
    problems = []
    for col in ("N", "D", "lr", loss):
        if col not in table:
            problems.append(f"missing column {col!r}")
    if "bs_tokens" not in table and not ("bs" in table and seq_len):
        problems.append("give the batch size in tokens (a bs_tokens column) or in sequences (bs) with seq_len")
    if not 0 <= threshold < 1:
        problems.append(f"threshold must be in [0, 1), not {threshold}")
    if problems:
        raise InputError("; ".join(problems))
    if "bs_tokens" not in table:
        table = table.with_column("bs_tokens", np.asarray(table["bs"], float) * seq_len)
    bs_tokens = np.asarray(table["bs_tokens"], float)
    n, d, lr, y = (np.asarray(table[c], float) for c in ("N", "D", "lr", loss))
    bad = [name for name, v in (("N", n), ("D", d), ("lr", lr), (loss, y), ("batch size", bs_tokens))
           if not np.all(np.isfinite(v) & (v > 0))]
    if bad:
        raise InputError(f"every run needs positive, finite values of: {', '.join(bad)}")
    keys = np.array([f"{a:.6g}|{b:.6g}" for a, b in zip(n, d)])
    labels = list(dict.fromkeys(keys))
    if len(labels) < 3:
        raise InputError(f"the power laws need at least 3 (N, D) groups; got {len(labels)}")

    kept = near_optimal(y, keys, threshold)
    recipe = table.select(kept)
    lr_fit = fit(STEP_LR, recipe)
    bs_fit = fit(STEP_BS, recipe)
    if n_boot:
        lr_fit = bootstrap(lr_fit, recipe, n_boot, seed=seed)
        bs_fit = bootstrap(bs_fit, recipe, n_boot, seed=seed)

    groups, hessians = [], []
    for key in labels:
        rows = keys == key
        x, z = np.log(lr[rows]), np.log(bs_tokens[rows])
        coef, centre = _bowl(x, z, np.log(y[rows]), width)
        xs, zs, h, convex = _bowl_minimum(coef, centre, x, z)
        best = np.argmin(y[rows])
        groups.append({"N": float(n[rows][0]), "D": float(d[rows][0]), "runs": int(rows.sum()),
                       "kept": int(kept[rows].sum()), "best_lr": float(lr[rows][best]),
                       "best_bs_tokens": float(bs_tokens[rows][best]), "best_loss": float(y[rows][best]),
                       "lr_opt": float(np.exp(xs)), "bs_tokens_opt": float(np.exp(zs)), "convex": convex})
        if convex:
            hessians.append(h)
    optima = table_from_columns({"run": [f"N={g['N']:.4g},D={g['D']:.4g}" for g in groups],
                                 "N": [g["N"] for g in groups], "D": [g["D"] for g in groups],
                                 "lr": [g["lr_opt"] for g in groups],
                                 "bs_tokens": [g["bs_tokens_opt"] for g in groups]})
    lr_all = fit(STEP_LR, optima)
    bs_all = fit(STEP_BS, optima)
    if n_boot:
        lr_all = bootstrap(lr_all, optima, n_boot, seed=seed)
        bs_all = bootstrap(bs_all, optima, n_boot, seed=seed)
    curvature = np.mean(hessians, axis=0) if hessians else np.full((2, 2), np.nan)
    settings = {"loss": loss, "threshold": threshold, "seq_len": seq_len, "n_boot": n_boot, "seed": seed,
                "width": width}
    return StepLaw(lr_fit, bs_fit, lr_all, bs_all, tuple(groups), curvature, settings)
