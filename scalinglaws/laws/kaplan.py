r"""Kaplan et al.'s joint law in parameters and data.

.. math::  L(N, D) = \left[\left(\frac{N_c}{N}\right)^{\alpha_N/\alpha_D} + \frac{D_c}{D}\right]^{\alpha_D}

fitted in log form, :math:`\log L = \alpha_D \operatorname{LSE}\big(\tfrac{\alpha_N}{\alpha_D}(\log N_c - \log N),
\; \log D_c - \log D\big)`, with :math:`n_c = \log N_c`, :math:`d_c = \log D_c` unconstrained and the exponents
positive. Published (N non-embedding): alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13.

The default start grid follows the data: :math:`n_c = \log N_g + \log L_g / \alpha_N + r_N` and
:math:`d_c = \log D_g + \log L_g / \alpha_D + r_D` at the geometric means, the shifts that scaling the loss or an
input makes in the optimum (the law's form is equivariant: scaling L by c scales N_c by c^(1/alpha_N), D_c by
c^(1/alpha_D)).

Reference: Kaplan et al. 2020, "Scaling Laws for Neural Language Models", arXiv:2001.08361, eq. (1.5).
"""

import jax.numpy as jnp
import numpy as np

from .._law import Law
from .._params import Param


def _log_predict(p, x):
    ratio = p["alpha_N"] / p["alpha_D"]
    return p["alpha_D"] * jnp.logaddexp(ratio * (p["nc"] - jnp.log(x["N"])), p["dc"] - jnp.log(x["D"]))


def _predict(p, x):
    return jnp.exp(_log_predict(p, x))


def _anchor(v, scale):
    log_y = np.log(scale.target)
    return {**v, "nc": v["nc"] + np.log(scale.inputs["N"]) + log_y / v["alpha_N"],
            "dc": v["dc"] + np.log(scale.inputs["D"]) + log_y / v["alpha_D"]}


def _example():
    n, d = np.meshgrid(np.logspace(7, 10, 8), np.logspace(9, 12, 8))
    return {"N": n.ravel(), "D": d.ravel()}, {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}


KAPLAN = Law(
    name="kaplan",
    title="Kaplan L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Kaplan et al. 2020)",
    citation="Kaplan et al. 2020, arXiv:2001.08361",
    formula="L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D",
    params=(
        Param("nc", grid=(-6.0, -2.0, 2.0, 6.0), doc="log N_c", log_of="N_c"),
        Param("dc", grid=(-6.0, -2.0, 2.0, 6.0), doc="log D_c", log_of="D_c"),
        Param("alpha_N", grid=(0.03, 0.1, 0.3, 0.6), lower=0.0, doc="parameter-count exponent", role="exponent"),
        Param("alpha_D", grid=(0.03, 0.1, 0.3, 0.6), lower=0.0, doc="token-count exponent", role="exponent"),
    ),
    inputs=("N", "D"),
    predict=_predict,
    log_predict=_log_predict,
    forecasts=("allocation", "target", "chain"),
    anchor=_anchor,
    example=_example,
    presets={
        "kaplan2020": {
            "natural": {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103},
            "citation": "Kaplan et al. 2020, eq. (1.5) and Table 2, arXiv:2001.08361",
        }
    },
)
