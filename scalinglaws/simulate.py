r"""Simulators: training runs from a known law (``simulate_runs``), and a benchmark of items of known difficulty
on models whose ability grows with compute, with sampled pass rates (``simulate_benchmark``).

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

``simulate_runs`` gives runs of a law at known parameters: each run's target is the law's prediction times
:math:`\exp(\varepsilon)`, :math:`\varepsilon \sim N(0, \sigma^2)` (multiplicative scatter, as a loss law's log residuals
assume), so that a method's recovery, bands and run suggestions can be checked against the truth.
"""

from __future__ import annotations

import numpy as np

from .cod import Benchmark

__all__ = ["simulate_benchmark", "simulate_runs"]

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


def simulate_runs(law, truth, inputs, *, noise: float = 0.02, seed: int = 0, prefix: str = "sim"):
    """A RunTable of runs of ``law`` (a name or a Law) at the true *natural* parameters ``truth`` (Chinchilla:
    A, B, E, alpha, beta), one run per row of ``inputs`` (columns by name), the target scattered by a factor
    exp(N(0, ``noise``^2)). Run ids are ``prefix`` and the row's number."""
    import jax.numpy as jnp

    from ._schema import table_from_columns
    from .laws import get_law

    law = get_law(law)
    cols = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in inputs.items()}
    n = max(len(v) for v in cols.values())
    cols = {k: np.broadcast_to(v, (n,)).copy() for k, v in cols.items()}
    params = {k: jnp.asarray(v) for k, v in law.from_natural(truth).items()}
    mean = np.asarray(law.predict(params, law.features(cols)), dtype=float)
    scatter = np.exp(np.random.default_rng(seed).normal(0.0, noise, n)) if noise else 1.0
    width = len(str(n - 1))
    return table_from_columns({"run": [f"{prefix}{i:0{width}d}" for i in range(n)], **cols,
                               law.target: mean * scatter}, source=f"simulated {law.name}")
