r"""Approach 2 (IsoFLOP profiles; Hoffmann et al. 2022 sec. 3.2): per-budget optima, then power laws in C.

For each compute budget C, the loss-minimising model size is located by a parabola in :math:`\log N` through the
``window`` points on each side of the sweep's lowest loss; then

.. math::  N^*(C) = k_N C^{a},\qquad D^*(C) = k_D C^{b},\qquad D^* = C / (6 N^*),

are least-squares lines in log-log space. The optimal loss per budget is the parabola's minimum.

Approach 2 is biased when a sweep is off-centre or alpha != beta (Czech et al. 2026): report it beside approach 3,
not instead of it (:func:`compare_approaches`: a law fitted to the same runs, the slope of its compute-optimal
N* over the same budgets, both with bootstrap bands, and a warning when the bands do not meet). Budgets whose
parabola is not convex, or whose minimum lies outside the sweep, are skipped and reported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ._errors import InputError
from ._schema import RunTable

__all__ = ["IsoflopResult", "isoflop", "ApproachComparison", "compare_approaches"]


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
    # with a bootstrap over runs (each budget's sweep resampled): the exponents' percentile intervals
    n_exponent_band: tuple[float, float] = (float("nan"), float("nan"))
    d_exponent_band: tuple[float, float] = (float("nan"), float("nan"))
    level: float = 0.9
    n_boot: int = 0
    boot_failed: int = 0  # resamples with fewer than two budgets that bracket their minimum

    def to_dict(self) -> dict:
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}
        out["skipped"] = list(self.skipped)
        out["n_exponent_band"], out["d_exponent_band"] = list(self.n_exponent_band), list(self.d_exponent_band)
        return out

    def rows(self) -> list[dict]:
        """One row per budget: C, N*, D* and the valley's minimum loss."""
        return [{"C": float(c), "N*": float(n), "D*": float(d), "loss*": float(lo)}
                for c, n, d, lo in zip(self.compute, self.n_opt, self.d_opt, self.loss_opt)]

    def summary(self) -> str:
        lines = [f"IsoFLOP (approach 2, parabola through {2 * self.window + 1} points around each minimum)",
                 f"  N*(C) = {self.n_coef:.4g} C^{self.n_exponent:.4f}   (R^2 {self.n_r2:.4f}){self._band('n')}",
                 f"  D*(C) = {self.d_coef:.4g} C^{self.d_exponent:.4f}{self._band('d')}",
                 f"  {'C':>10} {'N*':>11} {'D*':>11} {'loss*':>8}"]
        lines += [f"  {c:>10.3g} {n:>11.4g} {d:>11.4g} {lo:>8.4f}"
                  for c, n, d, lo in zip(self.compute, self.n_opt, self.d_opt, self.loss_opt)]
        lines += [f"  skipped: {s}" for s in self.skipped]
        if self.boot_failed:
            lines.append(f"  {self.boot_failed} of {self.n_boot} resamples left fewer than two budgets with an "
                         "interior minimum (left out of the bands)")
        return "\n".join(lines)

    def _band(self, which: str) -> str:
        lo, hi = getattr(self, f"{which}_exponent_band")
        return (f"   {100 * self.level:g}% ({lo:.4f}, {hi:.4f}) over {self.n_boot} run resamples"
                if np.isfinite(lo) else "")


def _line(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1.0 - np.sum(residual**2) / np.sum((y - y.mean()) ** 2)
    return float(slope), float(intercept), float(r2)


def _valleys(c_values, n_values, losses, window):
    budgets, n_opt, loss_opt, skipped = [], [], [], []
    for c in np.unique(c_values):
        rows = c_values == c
        order = np.argsort(n_values[rows])
        log_n, loss = np.log(n_values[rows][order]), losses[rows][order]
        best = int(np.argmin(loss))
        sel = slice(max(0, best - window), best + window + 1)
        if len(np.unique(log_n[sel])) < 3:
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
    return np.array(budgets), np.array(n_opt), np.array(loss_opt), skipped


def isoflop(table: RunTable, *, window: int = 2, n_boot: int = 0, seed: int = 0, level: float = 0.9
            ) -> IsoflopResult:
    """Approach 2 on a table with columns C (the budget of each run), N and loss.

    With ``n_boot``, each budget's sweep is resampled (its runs drawn with replacement, so every budget keeps its
    size), approach 2 rerun, and the exponents of N*(C) and D*(C) given ``level`` percentile intervals; a resample
    that leaves fewer than two budgets with an interior minimum is counted and left out."""
    missing = [c for c in ("C", "N", "loss") if c not in table]
    if missing:
        raise InputError(f"isoflop needs columns C, N and loss; missing: {missing}")
    c_values, n_values, losses = (np.asarray(table[k], dtype=float) for k in ("C", "N", "loss"))
    budgets, n_opt, loss_opt, skipped = _valleys(c_values, n_values, losses, window)
    if len(budgets) < 2:
        raise InputError("isoflop needs at least two budgets with an interior minimum; " + "; ".join(skipped))
    d_opt = budgets / (6.0 * n_opt)
    a, ka, r2 = _line(np.log(budgets), np.log(n_opt))
    b, kb, _ = _line(np.log(budgets), np.log(d_opt))
    bands, failed = {}, 0
    if n_boot:
        rng = np.random.default_rng(seed)
        groups = [np.flatnonzero(c_values == c) for c in np.unique(c_values)]
        exponents = []
        for _ in range(int(n_boot)):
            rows = np.concatenate([rng.choice(g, len(g)) for g in groups])
            cb, nb, _, _ = _valleys(c_values[rows], n_values[rows], losses[rows], window)
            if len(cb) < 2:
                failed += 1
                continue
            exponents.append((_line(np.log(cb), np.log(nb))[0], _line(np.log(cb), np.log(cb / (6.0 * nb)))[0]))
        if exponents:
            e = np.array(exponents)
            tail = 50.0 * (1.0 - level)
            bands = {"n_exponent_band": tuple(float(v) for v in np.percentile(e[:, 0], [tail, 100 - tail])),
                     "d_exponent_band": tuple(float(v) for v in np.percentile(e[:, 1], [tail, 100 - tail]))}
    return IsoflopResult(budgets, n_opt, d_opt, loss_opt, a, float(np.exp(ka)), b, float(np.exp(kb)), r2,
                         window, tuple(skipped), level=level, n_boot=int(n_boot), boot_failed=failed, **bands)


@dataclass(frozen=True)
class ApproachComparison:
    """Approach 2's N*(C) exponent beside approach 3's (a law fitted to the same runs), each with its band."""

    approach2: IsoflopResult
    law: str
    exponent: float  # approach 3: d log N* / d log C of the fitted law over the sweep's budgets
    band: tuple[float, float]
    n_boot: int
    warnings: tuple[str, ...] = ()

    @property
    def disagree(self) -> bool:
        lo2, hi2 = self.approach2.n_exponent_band
        lo3, hi3 = self.band
        return bool(np.isfinite([lo2, hi2, lo3, hi3]).all() and (hi2 < lo3 or hi3 < lo2))

    def summary(self) -> str:
        a2 = self.approach2
        pct = f"{100 * a2.level:g}%"
        lines = [f"N*(C) ~ C^a: approach 2 a = {a2.n_exponent:.4f}{a2._band('n')}",
                 f"             approach 3 ({self.law}) a = {self.exponent:.4f}   {pct} ({self.band[0]:.4f}, "
                 f"{self.band[1]:.4f}) over {self.n_boot} run resamples"]
        return "\n".join(lines + [f"  warning: {w}" for w in self.warnings])

    def to_dict(self) -> dict:
        return {"approach2": self.approach2.to_dict(), "law": self.law, "exponent": self.exponent,
                "band": list(self.band), "n_boot": self.n_boot, "disagree": self.disagree,
                "warnings": list(self.warnings)}


def compare_approaches(table: RunTable, *, law: str = "chinchilla", window: int = 2, n_boot: int = 200,
                       seed: int = 0, level: float = 0.9, approach2: IsoflopResult | None = None,
                       **fit_options) -> ApproachComparison:
    """Approach 2 (:func:`isoflop`) and approach 3 on the same runs, both bootstrapped over runs (``n_boot``
    resamples; approach 3: ``law`` fitted with ``fit_options``, its N* slope between the smallest and largest budget
    approach 2 used). Warns when the two bands do not overlap, and when the fit did not converge.

    ``approach2``: approach 2 already run on these runs with its band (e.g. over more resamples than approach 3's
    refits can afford), used as it is instead of run again; its window and level must be these."""
    from ._bootstrap import bootstrap
    from ._fit import fit
    from ._forecast import allocation_exponent

    if n_boot < 2:
        raise InputError(f"comparing the approaches needs bands: n_boot must be at least 2, not {n_boot}")
    if approach2 is None:
        a2 = isoflop(table, window=window, n_boot=n_boot, seed=seed, level=level)
    elif not approach2.n_boot or approach2.window != window or approach2.level != level:
        raise InputError(f"approach2 must be bootstrapped with window {window} and level {level} (it has "
                         f"{approach2.n_boot} resamples, window {approach2.window}, level {approach2.level})")
    else:
        a2 = approach2
    result = fit(law, table, throw=False, **fit_options)
    warnings = [f"approach 2 skipped {s}" for s in a2.skipped]
    if not result.converged:
        warnings.append(f"the {law} fit did not converge: approach 3's exponent is unreliable")
    else:
        result = bootstrap(result, table, n_boot, seed=seed)
    band = allocation_exponent(result, float(a2.compute.min()), float(a2.compute.max()), level=level)
    out = ApproachComparison(a2, result.law.name, float(band.value), (float(band.lower), float(band.upper)),
                             int(n_boot) if result.draws is not None else 0, ())
    if out.disagree:
        warnings.append(f"approach 2 (a = {a2.n_exponent:.4f}) and approach 3 (a = {out.exponent:.4f}) disagree "
                        f"beyond their {100 * level:g}% bands: a sweep off-centre, alpha != beta, or a law that does "
                        "not fit these runs (Czech et al. 2026); trust neither alone")
    return dataclasses.replace(out, warnings=tuple(warnings))
