r"""Hyperparameter power laws (Step Law; Li et al. 2025, "Predictable Scale: Part I", arXiv:2503.04715).

The optimal peak learning rate and batch size of a run with :math:`N` non-embedding parameters trained on
:math:`D` tokens:

.. math::  \eta^*(N, D) = a\, N^{p} D^{q}, \qquad B^*(D) = b\, D^{r} \quad (B \text{ in tokens}).

Fitted as the authors did: ordinary least squares of :math:`\ln \eta` on :math:`(\ln N, \ln D)` and of
:math:`\ln B` on :math:`\ln D`, over the runs near each (N, D) group's optimum (squared log residuals; see
:func:`scalinglaws.hyper.step_law` for the selection and the estimate that keeps every run). Published (the mean
of the authors' 1000 bootstrap replicates, ``data/steplaw/1004_fitted_lr_bs_scaling_model_parameters.csv``):
:math:`\eta^* = 1.797\, N^{-0.7129} D^{0.3075}`, :math:`B^* = 0.5807\, D^{0.5709}`; the paper rounds them to
1.79, -0.713, 0.307 and 0.58, 0.571.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._law import Law
from .._params import Param

_LOG = {"loss": "squared", "residuals": "log"}  # OLS in log space, as the authors fit


def _lr_log_predict(p, x):
    return p["log_a"] + p["p"] * jnp.log(x["N"]) + p["q"] * jnp.log(x["D"])


def _bs_log_predict(p, x):
    return p["log_b"] + p["r"] * jnp.log(x["D"])


def _lr_anchor(v, scale):
    return {**v, "log_a": v["log_a"] + np.log(scale.target) - v["p"] * np.log(scale.inputs["N"])
            - v["q"] * np.log(scale.inputs["D"])}


def _bs_anchor(v, scale):
    return {**v, "log_b": v["log_b"] + np.log(scale.target) - v["r"] * np.log(scale.inputs["D"])}


def _lr_example():
    n, d = np.meshgrid(np.logspace(8, 9.5, 5), np.logspace(9.5, 11.5, 5))
    return {"N": n.ravel(), "D": d.ravel()}, {"a": 1.797, "p": -0.7129, "q": 0.3075}


def _bs_example():
    return {"D": np.logspace(9, 12, 20)}, {"b": 0.5807, "r": 0.5709}


# the published values: the mean of the authors' 1000 bootstrap replicates (computed from their file)
PUBLISHED_LR = {"a": 1.797, "p": -0.7129, "q": 0.3075}
PUBLISHED_BS = {"b": 0.5807, "r": 0.5709}
_CITATION = "Li et al. 2025, 'Predictable Scale: Part I' (Step Law), arXiv:2503.04715"

STEP_LR = Law(
    name="steplaw_lr",
    title="Optimal learning rate lr*(N, D) = a N^p D^q (Step Law, Li et al. 2025)",
    citation=_CITATION,
    formula="lr*(N, D) = a * N^p * D^q",
    params=(
        Param("log_a", grid=(0.0,), doc="log a", log_of="a", role="scale"),
        Param("p", grid=(-1.0, -0.5, 0.0), doc="exponent of the parameter count", role="exponent"),
        Param("q", grid=(-0.5, 0.0, 0.5), doc="exponent of the token count", role="exponent"),
    ),
    inputs=("N", "D"),
    target="lr",
    predict=lambda p, x: jnp.exp(_lr_log_predict(p, x)),
    log_predict=_lr_log_predict,
    anchor=_lr_anchor,
    objective=_LOG,
    example=_lr_example,
    presets={"steplaw": {"natural": PUBLISHED_LR, "citation": f"{_CITATION}; mean of the 1000 published "
                         "bootstrap replicates"}},
)

STEP_BS = Law(
    name="steplaw_bs",
    title="Optimal batch size B*(D) = b D^r, in tokens (Step Law, Li et al. 2025)",
    citation=_CITATION,
    formula="B*(D) = b * D^r   (tokens)",
    params=(
        Param("log_b", grid=(0.0,), doc="log b", log_of="b", role="scale"),
        Param("r", grid=(0.0, 0.5, 1.0), doc="exponent of the token count", role="exponent"),
    ),
    inputs=("D",),
    target="bs_tokens",
    predict=lambda p, x: jnp.exp(_bs_log_predict(p, x)),
    log_predict=_bs_log_predict,
    anchor=_bs_anchor,
    objective=_LOG,
    example=_bs_example,
    presets={"steplaw": {"natural": PUBLISHED_BS, "citation": f"{_CITATION}; mean of the 1000 published "
                         "bootstrap replicates"}},
)

HYPER_LAWS = (STEP_LR, STEP_BS)
