r"""Data-constrained scaling (Muennighoff et al. 2023): Chinchilla's law with repeated tokens and excess parameters
discounted.

With :math:`U` unique tokens seen over :math:`D` total tokens (:math:`D/U` epochs) by a model of :math:`N`
parameters (a pool of unique tokens larger than :math:`D` counts as :math:`U = D`: one epoch of part of it),

.. math::
    R_D = \max(D/U - 1, 0), \qquad U_N = \min(N, N_{opt}(U)), \qquad R_N = \max(N/U_N - 1, 0),

    L = E + \frac{A}{\big(U_N + U_N R_N^* (1 - e^{-R_N/R_N^*})\big)^{\alpha}}
          + \frac{B}{\big(U + U R_D^* (1 - e^{-R_D/R_D^*})\big)^{\beta}}

Repeated tokens are worth less and less: the :math:`k`-th repetition of a token is worth :math:`e^{-k/R_D^*}` of a
fresh one, and the effective data saturate at :math:`U (1 + R_D^*)`; parameters beyond what the unique data can
use (:math:`U_N`) decay the same way with :math:`R_N^*`.

:math:`N_{opt}(U)` is the compute-optimal parameter count of the budget whose compute-optimal token count is
:math:`U`, under the law's own Chinchilla part and :math:`C = 6ND`: with
:math:`G = (\alpha A / \beta B)^{1/(\alpha+\beta)}`, :math:`N_{opt}(U) = G^{(\alpha+\beta)/\alpha} U^{\beta/\alpha}`
(:math:`= G^2 U` when :math:`\alpha = \beta`, as published). This reading reproduces REFERENCE.md's two sanity
values to the last digit.

Fitted as the authors did: Huber (delta 1e-3) on log residuals, the loss in log-sum-exp form. Their published
fit freezes the Chinchilla part at its C4 values (a preset here) and fits :math:`R_D^*, R_N^*` alone:
``fit("data_constrained", runs, fixed=...)``; everything can also be fitted jointly.

References:
  Muennighoff, Rush, Barak, Le Scao, Piktus, Tazi, Pyysalo, Wolf, Raffel 2023, "Scaling Data-Constrained
  Language Models", arXiv:2305.16264 (NeurIPS 2023); code and runs: github.com/huggingface/datablations.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._law import SIX_ND, Law
from .._params import Param
from .chinchilla import CHINCHILLA


def log_n_opt(p, log_u):
    """log N_opt(U): the compute-optimal parameters of the budget whose optimal token count is U."""
    alpha, beta = p["alpha"], p["beta"]
    return (jnp.log(alpha) + p["a"] - jnp.log(beta) - p["b"]) / alpha + beta / alpha * log_u


def effective(p, x):
    """(log N', log D'): the effective parameters and tokens after the repetition discounts."""
    n, d = x["N"], x["D"]
    u = jnp.minimum(x["U"], d)  # a run cannot see more unique tokens than it trains on: U is the pool, capped at D
    u_n = jnp.minimum(n, jnp.exp(log_n_opt(p, jnp.log(u))))
    r_n = jnp.maximum(n / u_n - 1.0, 0.0)
    r_d = jnp.maximum(d / u - 1.0, 0.0)
    rn, rd = p["rn_star"], p["rd_star"]
    log_n = jnp.log(u_n) + jnp.log1p(rn * -jnp.expm1(-r_n / rn))
    log_d = jnp.log(u) + jnp.log1p(rd * -jnp.expm1(-r_d / rd))
    return log_n, log_d


def _log_predict(p, x):
    log_n, log_d = effective(p, x)
    return jnp.logaddexp(jnp.logaddexp(p["a"] - p["alpha"] * log_n, p["b"] - p["beta"] * log_d), p["e"])


def _predict(p, x):
    return jnp.exp(_log_predict(p, x))


def _anchor(v, scale):
    # Chinchilla's start grid, the token term anchored at the unique tokens (D' runs from U to U (1 + R_D*))
    return {**v, **CHINCHILLA.anchor({k: v[k] for k in ("a", "b", "e", "alpha", "beta")}, scale.as_inputs(D="U"))}


C4 = {"A": float(np.exp(6.255414)), "B": float(np.exp(7.3049974)), "E": float(np.exp(0.6254804)),
      "alpha": 0.3526596, "beta": 0.3526596}
"""The Chinchilla part Muennighoff et al. fitted on C4 (held fixed in their R_D*, R_N* fit)."""


def _example():
    # models from 20M to 3B on 0.1B to 100B unique tokens, 1 to 60 epochs: repetition in both N and D
    n, u, epochs = np.meshgrid(np.logspace(7.3, 9.5, 5), np.logspace(8, 11, 4), (1.0, 4.0, 15.0, 60.0))
    return {"N": n.ravel(), "D": (u * epochs).ravel(), "U": u.ravel()}, {**C4, "rd_star": 15.0, "rn_star": 5.0}


_RELATIVE = (-4.0, -2.0, 0.0)
_EXPONENTS = (0.15, 0.35, 0.7)

DATA_CONSTRAINED = Law(
    name="data_constrained",
    title="Data-constrained L(N, D, U) (Muennighoff et al. 2023): repeated tokens and excess parameters decay",
    citation="Muennighoff et al. 2023, 'Scaling Data-Constrained Language Models', arXiv:2305.16264",
    formula="L = E + A / (U_N (1 + R_N* (1 - exp(-R_N/R_N*))))^alpha + B / (U (1 + R_D* (1 - exp(-R_D/R_D*))))^beta",
    params=(
        Param("a", grid=_RELATIVE, doc="log A", log_of="A", role="scale"),
        Param("b", grid=_RELATIVE, doc="log B", log_of="B", role="scale"),
        Param("e", grid=tuple(np.log([0.3, 0.8])), doc="log E, the irreducible loss", log_of="E", role="scale"),
        Param("alpha", grid=_EXPONENTS, lower=0.0, doc="parameter-count exponent", role="exponent"),
        Param("beta", grid=_EXPONENTS, lower=0.0, doc="token-count exponent", role="exponent"),
        Param("rd_star", grid=(3.0, 15.0, 60.0), lower=0.0, log=True,
              doc="R_D*: repetitions of the data after which a repeated token is worth 1/e of a fresh one"),
        Param("rn_star", grid=(1.0, 5.0, 25.0), lower=0.0, log=True,
              doc="R_N*: the same decay for parameters beyond what the unique data can use"),
    ),
    inputs=("N", "D", "U"),
    predict=_predict,
    log_predict=_log_predict,
    forecasts=("allocation", "target"),
    compute=SIX_ND,
    fixed_inputs=("U",),
    derived={"epochs D/U": lambda x: x["D"] / x["U"]},
    anchor=_anchor,
    example=_example,
    presets={
        "muennighoff-c4": {
            "natural": {**C4, "rd_star": 15.387756, "rn_star": 5.309743},
            "citation": "Muennighoff et al. 2023, C4 fit (utils/parametric_fit.ipynb, huggingface/datablations), "
                        "arXiv:2305.16264",
        },
    },
)


def epochs_worth(rd_star: float, worth: float = 0.5) -> float:
    """The epoch count at which one more pass over the data is worth ``worth`` of the same tokens fresh.

    The :math:`k`-th repetition (epoch :math:`k + 1`) of a token adds :math:`e^{-k / R_D^*}` of a fresh token's
    effective data, so another epoch stops paying ``worth`` of fresh data after
    :math:`1 + R_D^* \\ln(1/\\mathrm{worth})` epochs (about 11.7 epochs at half worth for C4's
    :math:`R_D^* = 15.4`)."""
    if not 0.0 < worth < 1.0:
        raise ValueError(f"worth must be in (0, 1), not {worth}")
    return float(1.0 + rd_star * np.log(1.0 / worth))
