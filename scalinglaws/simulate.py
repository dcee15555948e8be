r"""A benchmark simulator: items of known difficulty, models whose ability grows with compute, sampled pass rates.

Item-response style (Lord 1980; two-parameter logistic with a guessing floor): model ability grows linearly in
log compute, :math:`\theta(C) = \kappa \log_{10}(C / C_0)`, and item i is passed with probability

.. math::  p_i(C) = g + (1 - g)\, \sigma(a_i (\theta(C) - b_i)),

with discrimination :math:`a_i` and difficulty :math:`b_i`. Observed pass rates are Binomial(trials, p) / trials.
Four kinds of items are mixed:

- ``regular``: moderate discrimination, difficulties spread over the abilities the ladder reaches;
- ``emergent``: sharp (high discrimination), difficulties from the middle of the ladder to just past its largest
  model, so they sit at the floor on small models and then rise steeply;
- ``flat``: too hard for any model of interest (they stay at the guess rate);
- ``noisy``: a fixed pass probability unrelated to compute, re-drawn per model around its mean (label noise,
  broken items).

The truth (``Benchmark.truth(C)``) is the expected full-set accuracy, the mean of the items' :math:`p_i(C)` (a
noisy item's mean for those).
"""

from __future__ import annotations

import numpy as np

from .cod import Benchmark

__all__ = ["simulate_benchmark"]

KINDS = ("regular", "emergent", "flat", "noisy")


def simulate_benchmark(seed: int = 0, *, n_items: int = 400, compute=None, mix=(0.6, 0.2, 0.1, 0.1),
                       guess: float = 0.0, trials: int = 50, kappa: float = 1.0, c0: float = 1e18) -> Benchmark:
    """A simulated benchmark on a ladder of models (default 8 models from 1e19 to 1e22 FLOP).

    ``mix`` gives the shares of regular, emergent, flat and noisy items; ``trials`` the questions behind each
    pass rate; ``guess`` the random-guess rate of every item.
    """
    rng = np.random.default_rng(seed)
    compute = np.logspace(19, 22, 8) if compute is None else np.asarray(compute, dtype=float)
    theta = kappa * np.log10(compute / c0)
    lo, hi = float(theta.min()), float(theta.max())
    counts = rng.multinomial(n_items, np.asarray(mix, dtype=float) / np.sum(mix))
    kinds = np.repeat(np.array(KINDS), counts)
    a = np.where(kinds == "regular", rng.uniform(0.8, 2.0, n_items), rng.uniform(3.0, 6.0, n_items))
    b = np.select([kinds == "regular", kinds == "emergent", kinds == "flat"],
                  [rng.uniform(lo - 1.0, hi + 0.5, n_items), rng.uniform(lo + 0.5, hi + 0.5, n_items),
                   np.full(n_items, hi + 50.0)], 0.0)
    noisy_mean = rng.uniform(0.1, 0.9, n_items)

    def probability(c):
        th = kappa * np.log10(np.atleast_1d(np.asarray(c, dtype=float)) / c0)
        p = guess + (1 - guess) / (1 + np.exp(-a[:, None] * (th[None, :] - b[:, None])))
        return np.where((kinds == "noisy")[:, None], noisy_mean[:, None], p)

    p = probability(compute)
    noisy = kinds == "noisy"
    p[noisy] = np.clip(p[noisy] + rng.normal(0, 0.25, (int(noisy.sum()), len(compute))), 0.0, 1.0)
    rates = rng.binomial(trials, p) / trials

    def truth(c):
        return probability(c).mean(axis=0)

    return Benchmark(rates, compute, tuple(f"item{i:04d}" for i in range(n_items)),
                     tuple(f"model{j}" for j in range(len(compute))), np.full(n_items, guess), tuple(kinds), truth)
