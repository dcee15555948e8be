r"""Chinchilla's parametric loss (Hoffmann et al. 2022, approach 3).

.. math::  L(N, D) = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}

fitted, as Hoffmann et al. did, in the log-sum-exp form

.. math::  \log \hat L = \operatorname{LSE}(a - \alpha \log N,\; b - \beta \log D,\; e),
           \quad A = e^a,\; B = e^b,\; E = e^e,

with Huber(delta = 1e-3) summed over runs of :math:`\log \hat L - \log L`. The start grid is Hoffmann's:
:math:`\alpha, \beta \in \{0, .5, 1, 1.5, 2\}`, :math:`e \in \{-1, -.5, 0, .5, 1\}`,
:math:`a, b \in \{0, 5, \dots, 25\}` (4500 starts). As in Hoffmann et al. and Besiroglu et al. the parameters are
unconstrained (the log form keeps A, B, E positive; a negative exponent would show in the report).

Compute-optimal allocation under :math:`C = 6ND` (Hoffmann et al. eq. 4):

.. math::  N^*(C) = G \left(\tfrac{C}{6}\right)^{\beta/(\alpha+\beta)},\quad D^* = \tfrac{C}{6 N^*},\quad
           G = \left(\tfrac{\alpha A}{\beta B}\right)^{1/(\alpha+\beta)}.

References:
  Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", arXiv:2203.15556.
  Besiroglu, Erdil, Barnett, You 2024, "Chinchilla Scaling: A replication attempt", arXiv:2404.10102.
"""

import jax.numpy as jnp
import numpy as np

from .._law import Law
from .._params import Param


def _log_predict(p, x):
    return jnp.logaddexp(
        jnp.logaddexp(p["a"] - p["alpha"] * jnp.log(x["N"]), p["b"] - p["beta"] * jnp.log(x["D"])), p["e"]
    )


def _predict(p, x):
    return jnp.exp(_log_predict(p, x))


def _natural(p):
    return {"A": jnp.exp(p["a"]), "B": jnp.exp(p["b"]), "E": jnp.exp(p["e"]), "alpha": p["alpha"], "beta": p["beta"]}


def _from_natural(q):
    return {"a": np.log(q["A"]), "b": np.log(q["B"]), "e": np.log(q["E"]), "alpha": q["alpha"], "beta": q["beta"]}


def _compute_optimal(p, compute):
    alpha, beta = p["alpha"], p["beta"]
    log_g = (jnp.log(alpha) + p["a"] - jnp.log(beta) - p["b"]) / (alpha + beta)
    n = jnp.exp(log_g + beta / (alpha + beta) * jnp.log(compute / 6.0))
    return n, compute / (6.0 * n)


CHINCHILLA = Law(
    name="chinchilla",
    title="Chinchilla L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022)",
    citation="Hoffmann et al. 2022, arXiv:2203.15556; replication: Besiroglu et al. 2024, arXiv:2404.10102",
    formula="L(N, D) = E + A / N^alpha + B / D^beta",
    params=(
        Param("a", grid=(0, 5, 10, 15, 20, 25), doc="log A"),
        Param("b", grid=(0, 5, 10, 15, 20, 25), doc="log B"),
        Param("e", grid=(-1, -0.5, 0, 0.5, 1), doc="log E, the irreducible loss"),
        Param("alpha", grid=(0, 0.5, 1, 1.5, 2), doc="parameter-count exponent"),
        Param("beta", grid=(0, 0.5, 1, 1.5, 2), doc="token-count exponent"),
    ),
    inputs=("N", "D"),
    predict=_predict,
    log_predict=_log_predict,
    natural=_natural,
    from_natural=_from_natural,
    compute_optimal=_compute_optimal,
    presets={
        "epoch-main": {
            "natural": {"A": 482.01, "B": 2085.43, "E": 1.81686, "alpha": 0.34781, "beta": 0.36585},
            "citation": "Besiroglu et al. 2024, main estimate (Huber-likelihood MLE), arXiv:2404.10102",
        },
        "epoch-huber": {
            "natural": {"A": 477.84, "B": 2143.86, "E": 1.817236, "alpha": 0.347313, "beta": 0.367183},
            "citation": "Besiroglu et al. 2024, Huber-sum fit over Hoffmann's grid, arXiv:2404.10102",
        },
        "hoffmann": {
            "natural": {"A": 406.4, "B": 410.7, "E": 1.69, "alpha": 0.34, "beta": 0.28},
            "citation": "Hoffmann et al. 2022, approach 3 (rounded as published), arXiv:2203.15556",
        },
    },
)
