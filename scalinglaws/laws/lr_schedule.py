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

Both read a per-step schedule per run from the table (:meth:`RunTable.with_schedules`), declared as the series
``"lr"``. Their default start grids follow the data: the floor L0 as fractions of the smallest loss and every
amplitude relative to the loss's scale, so that a loss in other units (bits, a perplexity) fits alike.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import InputError
from .._law import Law, law_factory
from .._params import Param
from .. import schedules as sched
from .._schema import table_from_columns
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
    from scipy.signal import lfilter  # imported here: scipy.signal alone takes a second to import

    drops = np.zeros_like(np.asarray(eta, dtype=float))
    drops[1:] = eta[:-1] - eta[1:]
    return np.cumsum(lfilter([1.0], [1.0, -lam], drops))


def _curves(table, law_name):
    """(run id, row indices, integer steps, schedule) for each run of a table that carries schedules."""
    schedules = getattr(table, "schedules", None)
    if not schedules:
        raise InputError(f"law {law_name} needs a per-step LR schedule for each run: use "
                         "table.with_schedules({run: eta}) or scalinglaws.lr.schedules_from_lr(table)")
    steps = np.asarray(table["step"]).astype(np.int64)
    for run, rows in table.rows_of_runs().items():
        yield run, rows, steps[rows], schedules[run]


# -- Tissue et al. ----------------------------------------------------------------------------------------------
def _tissue_predict(p, x):
    return p["L0"] + p["A"] * x["S1"] ** (-p["alpha"]) - p["C"] * x["S2"]


def _decayed_sums(drops, lam):
    """m_t = lam m_{t-1} + d_t along the last axis, as two levels of matrix products: the steps cut into blocks
    of K ~ sqrt(T), m within a block is a lower-triangular matrix of powers of lam times the block's drops, and the
    state entering each block is the same over the blocks' ends. The same numbers as a sequential scan to
    rounding, but a handful of dense operations: an associative scan unrolls into log2(T) levels of slices, and its
    Hessian took 20 seconds to compile."""
    runs, length = drops.shape
    k = max(1, int(np.ceil(np.sqrt(length))))
    blocks = -(-length // k)
    d = jnp.pad(drops, ((0, 0), (0, blocks * k - length))).reshape(runs, blocks, k)
    log_lam = jnp.log(jnp.maximum(lam, 1e-300))  # lam -> 0 underflows the powers to 0, never NaN in a gradient

    def powers(n, scale):  # P[t, j] = lam^(scale (t - j)) for t >= j, else 0
        lag = np.subtract.outer(np.arange(n), np.arange(n))
        return jnp.where(lag >= 0, jnp.exp(scale * np.maximum(lag, 0) * log_lam), 0.0)

    local = jnp.einsum("tj,rbj->rbt", powers(k, 1), d)  # m within each block, entering at state 0
    ends = jnp.einsum("bc,rc->rb", powers(blocks, k), local[:, :, -1])  # m at each block's last step
    entering = jnp.pad(ends[:, :-1], ((0, 0), (1, 0)))  # the state each block starts from
    carried = entering[:, :, None] * jnp.exp((np.arange(k) + 1) * log_lam)  # lam^(t+1) m_in
    return (local + carried).reshape(runs, blocks * k)[:, :length]


def _tissue_lambda_predict(p, x):
    momentum = _decayed_sums(x["drops"], p["lam"])
    s2 = jnp.cumsum(momentum, axis=1)[x["row_run"], x["row_step"]]
    return p["L0"] + p["A"] * x["S1"] ** (-p["alpha"]) - p["C"] * s2


def _safe_log(predict):
    # a trial point may predict a non-positive loss; a huge finite residual keeps the line search finite
    return lambda p, x: jnp.log(jnp.maximum(predict(p, x), _TINY))


def _example_curves(total: int, every: int, warmup: int, peak: float = 3e-4):
    """Synthetic runs (cosine, WSD, constant, two-stage) logged every ``every`` steps, as a table with schedules."""
    schedules = {"cosine": sched.cosine(total, peak, peak / 10, warmup=warmup),
                 "wsd": sched.wsd(total, peak, peak / 10, total // 5, warmup=warmup),
                 "constant": sched.constant(total, peak, warmup=warmup),
                 "two_stage": sched.step(total, peak, [total // 2], [peak / 10], warmup=warmup)}
    steps = np.arange(warmup, total, every)
    runs = np.repeat(list(schedules), len(steps))
    return table_from_columns({"run": runs, "step": np.tile(steps, len(schedules))}).with_schedules(schedules)


def _floor_anchor(v, scale, amplitudes):
    out = {**v, "L0": v["L0"] * scale.target_min}
    for name in amplitudes:
        out[name] = v[name] * scale.target
    return out


@law_factory
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

    # L0, A and C start relative to the loss (fractions of its minimum, and of its scale); exp transforms, so that
    # scaling the loss by c shifts the solver's coordinates by log c exactly
    params = [
        Param("L0", grid=(0.3, 0.55, 0.75, 0.9), lower=0.0, log=True, doc="loss floor", role="scale"),
        Param("A", grid=(0.03, 0.1, 0.3, 1.0), lower=0.0, log=True, doc="amplitude of the forward-area term",
              role="scale"),
        Param("alpha", grid=(0.1, 0.3, 0.6, 1.0), lower=0.0, doc="exponent of the forward area", role="exponent"),
        Param("C", grid=(0.003, 0.03, 0.3), lower=0.0, log=True, doc="weight of the annealing area", role="scale"),
    ]
    if fit_lambda:
        params.append(Param("lam", grid=(0.99, 0.999), lower=0.0, upper=1.0, doc="momentum of the annealing area"))

    def example():
        return _example_curves(3000, 25, 150, peak=1e-3), {"L0": 3.0, "A": 0.5, "alpha": 0.6, "C": 0.4,
                                                  **({"lam": 0.999} if fit_lambda else {})}

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
        forecasts=("curve",),
        series=("lr",),
        # with lambda fitted every evaluation scans each curve's LR drops; all 16 refined starts reach the same
        # optimum on the example and on the bundled curves, so 4 keep the agreement check at a quarter of the cost
        refine=4 if fit_lambda else 16,
        anchor=lambda v, scale: _floor_anchor(v, scale, ("A", "C")),
        example=example,
        spec={"factory": "tissue", "args": {"lam": lam, "fit_lambda": fit_lambda, "warmup_at_peak": warmup_at_peak,
                                            "name": name}},
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


@law_factory
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
            Param("L0", grid=(0.75, 0.95), lower=0.0, log=True, doc="loss floor", role="scale"),
            Param("A", grid=(0.1, 0.3), lower=0.0, log=True, doc="amplitude of the power law in the LR area",
                  role="scale"),
            Param("alpha", grid=(0.3, 0.6), lower=0.0, doc="exponent of the LR area", role="exponent"),
            Param("B", grid=(30.0, 180.0), lower=0.0, log=True, doc="scale of the loss drop from LR decay",
                  role="scale"),
            Param("C", grid=(0.5, 3.0), lower=0.0, log=True, doc="rate inside the loss-drop saturation"),
            Param("beta", grid=(0.4, 0.8), lower=0.0, doc="exponent of the loss-drop saturation", role="exponent"),
            Param("gamma", grid=(0.4, 0.8), lower=0.0, doc="LR exponent inside the loss drop", role="exponent"),
        ),
        inputs=("step",),
        predict=_mpl_predict,
        log_predict=_safe_log(_mpl_predict),
        featurize=featurize,
        forecasts=("curve",),
        series=("lr",),
        anchor=lambda v, scale: _floor_anchor(v, scale, ("A", "B")),
        # a cheaper law for the search: LR changes merged in blocks of 128 (within 1e-4 of the loss here); the
        # best starts are then polished on this law itself
        search=multipower_law(block=128) if block < 128 else None,
        example=lambda: (_example_curves(3000, 25, 150, peak=1e-3), dict(zip(
            ("L0", "A", "alpha", "B", "C", "beta", "gamma"), (3.0, 0.5, 0.5, 400.0, 2.0, 0.6, 0.6)))),
        spec={"factory": "multipower", "args": {"block": block, "name": name}},
        # each refined start costs ~3 s of L-BFGS on the search law; on the bundled curves every refined start reaches
        # the same optimum (4 of 4 when 4 were refined), so 2 keep the check that starts agree at half the cost
        refine=2,
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
