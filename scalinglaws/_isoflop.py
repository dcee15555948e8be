r"""Approach 2 (IsoFLOP profiles; Hoffmann et al. 2022 sec. 3.2): per-budget optima, then power laws in C.

For each compute budget C, the loss-minimising model size is located by a parabola in :math:`\log N` through the
``window`` points on each side of the sweep's lowest loss; then

.. math::  N^*(C) = k_N C^{a},\qquad D^*(C) = k_D C^{b},\qquad D^* = C / (6 N^*),

are least-squares lines in log-log space. The optimal loss per budget is the parabola's minimum.

Approach 2 is biased when a sweep is off-centre or alpha != beta (Czech et al. 2026): report it beside approach 3,
not instead of it. Budgets whose parabola is not convex, or whose minimum lies outside the sweep, are skipped and
reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._errors import InputError
from ._schema import RunTable

__all__ = ["IsoflopResult", "isoflop"]


@dataclass(frozen=True)
class IsoflopResult:
    compute: np.ndarray  # budgets used
    n_opt: np.ndarray
    d_opt: np.ndarray
    loss_opt: np.ndarray
    n_exponent: float
    n_coef: float
    d_exponent: float
    d_coef: float
    n_r2: float
    window: int
    skipped: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}
        out["skipped"] = list(self.skipped)
        return out

    def rows(self) -> list[dict]:
        """One row per budget: C, N*, D* and the valley's minimum loss."""
        return [{"C": float(c), "N*": float(n), "D*": float(d), "loss*": float(lo)}
                for c, n, d, lo in zip(self.compute, self.n_opt, self.d_opt, self.loss_opt)]

    def summary(self) -> str:
        lines = [f"IsoFLOP (approach 2, parabola through {2 * self.window + 1} points around each minimum)",
                 f"  N*(C) = {self.n_coef:.4g} C^{self.n_exponent:.4f}   (R^2 {self.n_r2:.4f})",
                 f"  D*(C) = {self.d_coef:.4g} C^{self.d_exponent:.4f}",
                 f"  {'C':>10} {'N*':>11} {'D*':>11} {'loss*':>8}"]
        lines += [f"  {c:>10.3g} {n:>11.4g} {d:>11.4g} {lo:>8.4f}"
                  for c, n, d, lo in zip(self.compute, self.n_opt, self.d_opt, self.loss_opt)]
        lines += [f"  skipped: {s}" for s in self.skipped]
        return "\n".join(lines)


def _line(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1.0 - np.sum(residual**2) / np.sum((y - y.mean()) ** 2)
    return float(slope), float(intercept), float(r2)


def isoflop(table: RunTable, *, window: int = 2) -> IsoflopResult:
    """Approach 2 on a table with columns C (the budget of each run), N and loss."""
    missing = [c for c in ("C", "N", "loss") if c not in table]
    if missing:
        raise InputError(f"isoflop needs columns C, N and loss; missing: {missing}")
    budgets, n_opt, loss_opt, skipped = [], [], [], []
    for c in np.unique(table["C"]):
        rows = table["C"] == c
        order = np.argsort(table["N"][rows])
        log_n, loss = np.log(table["N"][rows][order]), table["loss"][rows][order]
        best = int(np.argmin(loss))
        sel = slice(max(0, best - window), best + window + 1)
        if len(log_n[sel]) < 3:
            skipped.append(f"C = {c:.3g}: fewer than 3 model sizes")
            continue
        c2, c1, c0 = np.polyfit(log_n[sel], loss[sel], 2)
        vertex = -c1 / (2.0 * c2)
        if c2 <= 0 or not log_n[sel][0] <= vertex <= log_n[sel][-1]:
            skipped.append(f"C = {c:.3g}: no interior minimum (the sweep does not bracket the optimum)")
            continue
        budgets.append(c)
        n_opt.append(np.exp(vertex))
        loss_opt.append(c0 - c1 * c1 / (4.0 * c2))
    if len(budgets) < 2:
        raise InputError("isoflop needs at least two budgets with an interior minimum; " + "; ".join(skipped))
    budgets, n_opt = np.array(budgets), np.array(n_opt)
    d_opt = budgets / (6.0 * n_opt)
    a, ka, r2 = _line(np.log(budgets), np.log(n_opt))
    b, kb, _ = _line(np.log(budgets), np.log(d_opt))
    return IsoflopResult(budgets, n_opt, d_opt, np.array(loss_opt), a, float(np.exp(ka)), b, float(np.exp(kb)), r2,
                         window, tuple(skipped))
