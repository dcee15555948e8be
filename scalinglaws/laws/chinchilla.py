r"""Chinchilla's parametric loss (Hoffmann et al. 2022, approach 3).

.. math::  L(N, D) = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}

fitted, as Hoffmann et al. did, in the log-sum-exp form

.. math::  \log \hat L = \operatorname{LSE}(a - \alpha \log N,\; b - \beta \log D,\; e),
           \quad A = e^a,\; B = e^b,\; E = e^e,

with Huber(delta = 1e-3) summed over runs of :math:`\log \hat L - \log L`. As in Hoffmann et al. and Besiroglu
et al. the parameters are unconstrained (the log form keeps A, B, E positive; a negative exponent would show in the
report).

Start grids. The default follows the data, so that a fit does not depend on its units (a loss in bits, a
perplexity, an error rate): :math:`E = f_E \min L` with :math:`f_E \in \{.05, .3, .6, .8, .95\}`, and each term
:math:`A N^{-\alpha}` starts at :math:`e^{r}` times the loss's geometric mean at the inputs' geometric mean,
:math:`r \in \{-5, -3.5, -2, -.5, 1\}`, with :math:`\alpha, \beta \in \{.1, .25, .5, .9, 1.5\}` (3125 starts).
Scaling the loss by c then shifts every start by :math:`\log c` in a, b, e, which the fit follows exactly.
Hoffmann's grid (``grid="published"``, used by the reproductions):
:math:`\alpha, \beta \in \{0, .5, 1, 1.5, 2\}`, :math:`e \in \{-1, -.5, 0, .5, 1\}`,
:math:`a, b \in \{0, 5, \dots, 25\}` (4500 starts).

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


def _compute_optimal(p, compute):
    alpha, beta = p["alpha"], p["beta"]
    log_g = (jnp.log(alpha) + p["a"] - jnp.log(beta) - p["b"]) / (alpha + beta)
    n = jnp.exp(log_g + beta / (alpha + beta) * jnp.log(compute / 6.0))
    return n, compute / (6.0 * n)


def _anchor(v, scale):
    log_y = np.log(scale.target)
    return {**v, "a": v["a"] + log_y + v["alpha"] * np.log(scale.inputs["N"]),
            "b": v["b"] + log_y + v["beta"] * np.log(scale.inputs["D"]), "e": v["e"] + np.log(scale.target_min)}


def _example():
    n, d = np.meshgrid(np.logspace(7, 10, 8), np.logspace(9, 12, 8))
    return {"N": n.ravel(), "D": d.ravel()}, {"A": 400.0, "B": 1500.0, "E": 1.8, "alpha": 0.34, "beta": 0.28}


_RELATIVE = (-5.0, -3.5, -2.0, -0.5, 1.0)
_EXPONENTS = (0.1, 0.25, 0.5, 0.9, 1.5)

CHINCHILLA = Law(
    name="chinchilla",
    title="Chinchilla L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022)",
    citation="Hoffmann et al. 2022, arXiv:2203.15556; replication: Besiroglu et al. 2024, arXiv:2404.10102",
    formula="L(N, D) = E + A / N^alpha + B / D^beta",
    params=(
        Param("a", grid=_RELATIVE, doc="log A", log_of="A", role="scale"),
        Param("b", grid=_RELATIVE, doc="log B", log_of="B", role="scale"),
        Param("e", grid=tuple(np.log([0.05, 0.3, 0.6, 0.8, 0.95])), doc="log E, the irreducible loss", log_of="E",
              role="scale"),
        Param("alpha", grid=_EXPONENTS, doc="parameter-count exponent", role="exponent"),
        Param("beta", grid=_EXPONENTS, doc="token-count exponent", role="exponent"),
    ),
    inputs=("N", "D"),
    predict=_predict,
    log_predict=_log_predict,
    compute_optimal=_compute_optimal,
    forecasts=("allocation", "target", "chain"),
    anchor=_anchor,
    published_grid={"a": (0, 5, 10, 15, 20, 25), "b": (0, 5, 10, 15, 20, 25), "e": (-1, -0.5, 0, 0.5, 1),
                    "alpha": (0, 0.5, 1, 1.5, 2), "beta": (0, 0.5, 1, 1.5, 2)},
    example=_example,
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
