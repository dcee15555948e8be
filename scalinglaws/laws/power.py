r"""Power law plus constant in one variable (Henighan et al. 2020).

.. math::  L(x) = E + A\,x^{-\alpha} \;=\; L_\infty + (x_0 / x)^{\alpha}, \qquad x \in \{N, D, C\}

fitted in log-sum-exp form :math:`\log \hat L = \operatorname{LSE}(a - \alpha \log x,\; e)` with
:math:`A = e^a`, :math:`E = e^e` and :math:`\alpha > 0`. One law per variable: ``power_N``, ``power_D``, ``power_C``, and :func:`power_law` for any positive column
(``power_law("tokens_seen")``), a factory whose laws reload from JSON by their arguments.

The default start grid follows the data: :math:`E = f \min L`, :math:`A x_g^{-\alpha} = e^r L_g` at the geometric
means :math:`x_g, L_g` (so that scaling the loss or x moves only E and A).

Reference: Henighan et al. 2020, "Scaling Laws for Autoregressive Generative Modeling", arXiv:2010.14701.
"""

import jax.numpy as jnp
import numpy as np

from .._errors import InputError
from .._law import Law, law_factory
from .._params import Param

_WHAT = {"N": "parameters", "D": "training tokens", "C": "training compute (FLOP)"}
_SPANS = {"N": (7, 10), "D": (9, 12), "C": (17, 22)}
_TRUTH = {"N": (400.0, 0.3), "D": (2000.0, 0.3), "C": (2000.0, 0.15)}


@law_factory
def power_law(variable: str, target: str = "loss") -> Law:
    """The law ``target = E + A * variable^-alpha`` for any positive column ``variable``."""
    if not variable.isidentifier() or not target.isidentifier():
        raise InputError(f"column names must be identifiers, not {variable!r} / {target!r}")

    def log_predict(p, x):
        return jnp.logaddexp(p["a"] - p["alpha"] * jnp.log(x[variable]), p["e"])

    def predict(p, x):
        return jnp.exp(log_predict(p, x))

    def anchor(v, scale):
        return {**v, "a": v["a"] + np.log(scale.target) + v["alpha"] * np.log(scale.inputs[variable]),
                "e": v["e"] + np.log(scale.target_min)}

    def example():
        lo, hi = _SPANS.get(variable, (1, 4))
        amplitude, alpha = _TRUTH.get(variable, (2.0 * 10 ** (0.3 * lo), 0.3))
        return {variable: np.logspace(lo, hi, 30)}, {"A": amplitude, "E": 1.7, "alpha": alpha}

    registered = variable in _WHAT and target == "loss"
    return Law(
        name=f"power_{variable}" if target == "loss" else f"power_{variable}_{target}",
        title=f"Power law plus constant in {variable} ({_WHAT.get(variable, 'a user column')}): "
        f"{target} = E + A {variable}^-alpha",
        citation="Henighan et al. 2020, arXiv:2010.14701",
        formula=f"{target}({variable}) = E + A * {variable}^-alpha",
        params=(
            Param("a", grid=(-5.0, -3.5, -2.0, -0.5, 1.0), doc="log A", log_of="A", role="scale"),
            Param("e", grid=tuple(np.log([0.05, 0.3, 0.6, 0.8, 0.95])), doc="log E, the irreducible term",
                  log_of="E", role="scale"),
            Param("alpha", grid=(0.05, 0.1, 0.2, 0.4, 0.8, 1.5), lower=0.0, doc=f"exponent of {variable}",
                  role="exponent"),
        ),
        inputs=(variable,),
        target=target,
        predict=predict,
        log_predict=log_predict,
        forecasts=("chain",),
        column_kinds={} if registered else {variable: "positive"},
        anchor=anchor,
        example=example,
        spec={"factory": "power", "args": {"variable": variable, "target": target}},
    )


POWER_N, POWER_D, POWER_C = (power_law(v) for v in ("N", "D", "C"))
