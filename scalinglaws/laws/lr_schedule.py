r"""Loss curves under learning-rate schedules: the LR-annealing law and the Multi-Power Law.

**Tissue et al. 2024** ("Scaling Law with Learning Rate Annealing", arXiv:2408.11029):

.. math::  L(s) = L_0 + A\,S_1(s)^{-\alpha} - C\,S_2(s),\qquad S_1(s) = \sum_{i \le s} \eta_i,\qquad
           S_2(s) = \sum_{i \le s} m_i,\quad m_i = \lambda m_{i-1} + (\eta_{i-1} - \eta_i),

with :math:`\lambda = 0.999` fixed (law ``tissue``) or fitted (``tissue_lambda``). As in the authors' reference
code, warmup steps count at the peak LR for both areas (``warmup_at_peak``; the warmup is the schedule's initial
rise). :math:`S_2` is a first-order IIR filter of the LR drops followed by a cumulative sum: vectorised, about a
millisecond for 72k steps.

**Luo et al. 2025** (Multi-Power Law, arXiv:2503.12811), as in their code:

.. math::  L(s) = L_0 + A\,S(s)^{-\alpha} + B\,LD(s),\qquad
           LD(s) = \sum_{k=1}^{s} (\eta_k - \eta_{k-1})\left[1 - \left(1 + C \eta_k^{-\gamma}
           (S(s) - S(k-1))\right)^{-\beta}\right],

:math:`S = \mathrm{cumsum}(\eta)` including warmup. The sum over k costs O(steps) per logged point; ``block``
merges runs of up to ``block`` consecutive LR changes (never across a logged step) into one term at their
|change|-weighted mean step. With ``block=8`` (law ``multipower``) the loss moves by at most 1e-5 on the bundled
curves against the exact sum (``block=1``, law ``multipower_exact``), far below their noise (about 4e-3), and
fitting is 8 times cheaper.

Both read a per-step schedule per run from the table (:meth:`RunTable.with_schedules`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.signal import lfilter

from .._law import Law
from .._params import Param
from ..schedules import warmup_length

__all__ = ["forward_area", "annealing_area", "tissue_law", "multipower_law", "TISSUE", "TISSUE_LAMBDA",
           "MULTIPOWER", "MULTIPOWER_EXACT"]

_TINY = 1e-300


def area_schedule(eta: np.ndarray, warmup_at_peak: bool) -> np.ndarray:
    """The schedule the areas integrate: warmup steps replaced by the peak LR when ``warmup_at_peak``."""
    eta = np.asarray(eta, dtype=float)
    w = warmup_length(eta) if warmup_at_peak else 0
    if w:
        eta = eta.copy()
        eta[:w] = eta[w - 1]
    return eta


def forward_area(eta: np.ndarray) -> np.ndarray:
    """S1(s) = sum_{i <= s} eta_i for every step."""
    return np.cumsum(eta)


def annealing_area(eta: np.ndarray, lam: float) -> np.ndarray:
    """S2(s) = sum_{i <= s} m_i, m_i = lam m_{i-1} + (eta_{i-1} - eta_i), for every step (vectorised)."""
    drops = np.zeros_like(np.asarray(eta, dtype=float))
    drops[1:] = eta[:-1] - eta[1:]
    return np.cumsum(lfilter([1.0], [1.0, -lam], drops))


def _curves(table, law_name):
    """(run id, row indices, integer steps, schedule) for each run of a table that carries schedules."""
    schedules = getattr(table, "schedules", None)
    if not schedules:
        raise ValueError(f"law {law_name} needs a per-step LR schedule for each run: use "
                         "table.with_schedules({run: eta}) or scalinglaws.lr.schedules_from_lr(table)")
    runs = np.asarray(table.runs)
    steps = np.asarray(table["step"]).astype(np.int64)
    for run in dict.fromkeys(runs):
        rows = np.flatnonzero(runs == run)
        yield run, rows, steps[rows], schedules[run]


# -- Tissue et al. ----------------------------------------------------------------------------------------------
def _tissue_predict(p, x):
    return p["L0"] + p["A"] * x["S1"] ** (-p["alpha"]) - p["C"] * x["S2"]


def _tissue_lambda_predict(p, x):
    lam = p["lam"]

    def combine(left, right):
        return left[0] * right[0], right[0] * left[1] + right[1]

    decay = jnp.broadcast_to(lam, x["drops"].shape)
    _, momentum = jax.lax.associative_scan(combine, (decay, x["drops"]), axis=1)
    s2 = jnp.cumsum(momentum, axis=1)[x["row_run"], x["row_step"]]
    return p["L0"] + p["A"] * x["S1"] ** (-p["alpha"]) - p["C"] * s2


def _safe_log(predict):
    # a trial point may predict a non-positive loss; a huge finite residual keeps the line search finite
    return lambda p, x: jnp.log(jnp.maximum(predict(p, x), _TINY))


def tissue_law(*, lam: float = 0.999, fit_lambda: bool = False, warmup_at_peak: bool = True,
               name: str | None = None) -> Law:
    """The LR-annealing law, with the momentum ``lam`` fixed (default 0.999) or fitted."""

    def featurize(table):
        n = len(table["step"])
        s1, s2 = np.empty(n), np.empty(n)
        runs = list(_curves(table, "tissue"))
        for _, rows, steps, eta in runs:
            area = area_schedule(eta, warmup_at_peak)
            s1[rows] = forward_area(area)[steps]
            s2[rows] = annealing_area(area, lam)[steps]
        if not fit_lambda:
            return {"S1": s1, "S2": s2}
        length = max(len(eta) for *_, eta in runs)
        drops = np.zeros((len(runs), length))
        row_run, row_step = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        for r, (_, rows, steps, eta) in enumerate(runs):
            area = area_schedule(eta, warmup_at_peak)
            drops[r, 1 : len(area)] = area[:-1] - area[1:]
            row_run[rows], row_step[rows] = r, steps
        return {"S1": s1, "drops": drops, "row_run": row_run, "row_step": row_step}

    params = [
        Param("L0", grid=(1.0, 2.0, 3.0, 4.0), lower=0.0, doc="loss floor"),
        Param("A", grid=(0.1, 0.3, 1.0, 3.0), lower=0.0, log=True, doc="amplitude of the forward-area term"),
        Param("alpha", grid=(0.1, 0.3, 0.6, 1.0), lower=0.0, doc="exponent of the forward area"),
        Param("C", grid=(0.01, 0.1, 1.0), lower=0.0, log=True, doc="weight of the annealing area"),
    ]
    if fit_lambda:
        params.append(Param("lam", grid=(0.99, 0.999), lower=0.0, upper=1.0, doc="momentum of the annealing area"))
    predict = _tissue_lambda_predict if fit_lambda else _tissue_predict
    return Law(
        name=name or ("tissue_lambda" if fit_lambda else "tissue"),
        title="LR-annealing law L(s) = L0 + A S1^-alpha - C S2 (Tissue et al. 2024)"
        + (", momentum fitted" if fit_lambda else f", momentum {lam}"),
        citation="Tissue et al. 2024, 'Scaling Law with Learning Rate Annealing', arXiv:2408.11029",
        formula="L(s) = L0 + A * S1(s)^-alpha - C * S2(s)",
        params=tuple(params),
        inputs=("step",),
        predict=predict,
        log_predict=_safe_log(predict),
        featurize=featurize,
    )


# -- Multi-Power Law ----------------------------------------------------------------------------------------------
def _mpl_terms(eta: np.ndarray, steps: np.ndarray, block: int):
    """Block-merged LR-change terms of one curve and, for each logged step, how many of them precede it."""
    total = np.cumsum(eta)
    gap = np.zeros_like(eta)
    gap[1:] = np.diff(eta)
    k = np.flatnonzero(gap)
    edges = np.union1d(np.arange(0, len(eta) + block, block), steps + 1)  # a block never straddles a logged step
    ids, inverse = np.unique(np.searchsorted(edges, k, side="right"), return_inverse=True)
    weight = np.abs(gap[k])
    k_mean = np.bincount(inverse, weights=weight * k) / np.bincount(inverse, weights=weight)
    k_last = np.zeros(len(ids), dtype=np.int64)
    np.maximum.at(k_last, inverse, k)
    index = np.arange(len(eta), dtype=float)
    terms = {"gap": np.bincount(inverse, weights=gap[k]), "eta": np.interp(k_mean, index, eta),
             "S_before": np.interp(k_mean - 1.0, index, total)}
    return terms, total[steps], np.searchsorted(k_last, steps, side="right")


def _mpl_predict(p, x):
    arg = 1.0 + p["C"] * x["eta"] ** (-p["gamma"]) * (x["S"][x["pair_row"]] - x["S_before"])
    drop = jax.ops.segment_sum(x["gap"] * (1.0 - arg ** (-p["beta"])), x["pair_row"],
                               num_segments=x["S"].shape[0])
    return p["L0"] + p["A"] * x["S"] ** (-p["alpha"]) + p["B"] * drop


def multipower_law(*, block: int = 8, name: str | None = None) -> Law:
    """The Multi-Power Law; ``block`` merges consecutive LR changes (1 = the exact sum)."""

    def featurize(table):
        n = len(table["step"])
        s = np.empty(n)
        pair_row, parts = [], {"gap": [], "eta": [], "S_before": []}
        for _, rows, steps, eta in _curves(table, "multipower"):
            terms, s[rows], counts = _mpl_terms(np.asarray(eta, dtype=float), steps, block)
            for row, count in zip(rows, counts):
                pair_row.append(np.full(count, row, dtype=np.int64))
                for key in parts:
                    parts[key].append(terms[key][:count])
        out = {key: np.concatenate(v) if v else np.zeros(0) for key, v in parts.items()}
        out["eta"] = np.where(out["eta"] > 0, out["eta"], 1.0)  # an LR change to 0 has no finite eta^-gamma term
        return {"S": s, "pair_row": np.concatenate(pair_row) if pair_row else np.zeros(0, np.int64), **out}

    return Law(
        name=name or ("multipower" if block > 1 else "multipower_exact"),
        title="Multi-Power Law L(s) = L0 + A S^-alpha + B LD(s) (Luo et al. 2025)"
        + (f", LR changes merged in blocks of {block}" if block > 1 else ", exact sum"),
        citation="Luo et al. 2025, 'A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules', "
        "arXiv:2503.12811",
        formula="L(s) = L0 + A * S(s)^-alpha + B * sum_k (eta_k - eta_{k-1}) [1 - (1 + C eta_k^-gamma "
        "(S(s) - S(k-1)))^-beta]",
        params=(
            Param("L0", grid=(2.5, 3.5), lower=0.0, doc="loss floor"),
            Param("A", grid=(0.3, 1.0), lower=0.0, log=True, doc="amplitude of the power law in the LR area"),
            Param("alpha", grid=(0.3, 0.6), lower=0.0, doc="exponent of the LR area"),
            Param("B", grid=(100.0, 600.0), lower=0.0, log=True, doc="scale of the loss drop from LR decay"),
            Param("C", grid=(0.5, 3.0), lower=0.0, log=True, doc="rate inside the loss-drop saturation"),
            Param("beta", grid=(0.4, 0.8), lower=0.0, doc="exponent of the loss-drop saturation"),
            Param("gamma", grid=(0.4, 0.8), lower=0.0, doc="LR exponent inside the loss drop"),
        ),
        inputs=("step",),
        predict=_mpl_predict,
        log_predict=_safe_log(_mpl_predict),
        featurize=featurize,
        # a start costs ~10 s of L-BFGS here (about 400k LR-change terms per evaluation); on the bundled curves all
        # 4 refined starts reach the same optimum, so 16 would only quadruple the time
        refine=4,
        presets={
            "luo-25M": {"natural": dict(zip(("L0", "A", "alpha", "B", "C", "beta", "gamma"), (
                3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257))),
                "citation": "Luo et al. 2025, fitted on the 25M curves (repository thu-yao-01-luo/MultiPowerLaw)"},
            "luo-100M": {"natural": dict(zip(("L0", "A", "alpha", "B", "C", "beta", "gamma"), (
                2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644))),
                "citation": "Luo et al. 2025, fitted on the 100M curves (repository thu-yao-01-luo/MultiPowerLaw)"},
        },
    )


TISSUE = tissue_law()
TISSUE_LAMBDA = tissue_law(fit_lambda=True)
MULTIPOWER = multipower_law(block=8)
MULTIPOWER_EXACT = multipower_law(block=1)
