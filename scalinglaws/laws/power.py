r"""Power law plus constant in one variable (Henighan et al. 2020).

.. math::  L(x) = E + A\,x^{-\alpha} \;=\; L_\infty + (x_0 / x)^{\alpha}, \qquad x \in \{N, D, C\}

fitted in log-sum-exp form :math:`\log \hat L = \operatorname{LSE}(a - \alpha \log x,\; e)` with
:math:`A = e^a`, :math:`E = e^e` and :math:`\alpha > 0`. One law per variable: ``power_N``, ``power_D``, ``power_C``.

Reference: Henighan et al. 2020, "Scaling Laws for Autoregressive Generative Modeling", arXiv:2010.14701.
"""

import jax.numpy as jnp
import numpy as np

from .._law import Law
from .._params import Param

_WHAT = {"N": "parameters", "D": "training tokens", "C": "training compute (FLOP)"}


def _natural(p):
    return {"A": jnp.exp(p["a"]), "E": jnp.exp(p["e"]), "alpha": p["alpha"]}


def _from_natural(q):
    return {"a": np.log(q["A"]), "e": np.log(q["E"]), "alpha": q["alpha"]}


def power_law(variable: str) -> Law:
    """The law L = E + A * variable^-alpha for ``variable`` one of N, D, C."""

    def log_predict(p, x):
        return jnp.logaddexp(p["a"] - p["alpha"] * jnp.log(x[variable]), p["e"])

    def predict(p, x):
        return jnp.exp(log_predict(p, x))

    return Law(
        name=f"power_{variable}",
        title=f"Power law plus constant in {variable} ({_WHAT[variable]}): L = E + A {variable}^-alpha",
        citation="Henighan et al. 2020, arXiv:2010.14701",
        formula=f"L({variable}) = E + A * {variable}^-alpha",
        params=(
            Param("a", grid=(0, 5, 10, 15, 20, 25, 30), doc="log A"),
            Param("e", grid=(-1, -0.5, 0, 0.5, 1), doc="log E, the irreducible loss"),
            Param("alpha", grid=(0.05, 0.1, 0.2, 0.4, 0.8, 1.5), lower=0.0, doc=f"exponent of {variable}"),
        ),
        inputs=(variable,),
        predict=predict,
        log_predict=log_predict,
        natural=_natural,
        from_natural=_from_natural,
    )


POWER_N, POWER_D, POWER_C = (power_law(v) for v in ("N", "D", "C"))
