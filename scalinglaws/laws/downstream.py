r"""Task laws: from pretraining data, loss or samples to a downstream score, each on the scale its paper fitted.

================  ==============================================================  ===========  =====================
law               formula                                                         target       fitted on (default)
================  ==============================================================  ===========  =====================
``isik_bleu``     :math:`\mathrm{BLEU}(D_p) = (\log(A D_p^{\alpha}))^{\beta}`       ``bleu``     Huber, log residuals
``isik_ce``       :math:`\mathrm{CE}(D_p) = E + A / D_p^{\alpha}`                   ``ce``       Huber, log residuals
``gadre_error``   :math:`\mathrm{Err}(L) = \epsilon - k\, e^{-\gamma L}`            ``error``    least squares, raw
``gadre_overtrain`` :math:`L(N, M) = E + a N^{\eta} + b\, 6^{\eta/2} (M N)^{\eta}`  ``loss``     least squares, raw
``loss_sigmoid``  :math:`\mathrm{acc}(L) = f + (1 - f)\, r\, \sigma(-k (L - L_0))`  ``accuracy`` least squares, raw
``passuntil``     :math:`\log(-\log \mathrm{PU}(N)) = c - s \log N`                ``pass_rate`` least squares, cloglog
``coverage``      :math:`\log c(k) = -a\, k^{-b}`                                  ``coverage`` Huber, log residuals
================  ==============================================================  ===========  =====================

Bounded metrics stay inside [0, 1] by construction: Gadre's error is at most :math:`\epsilon < 1` and is floored at
0 (the formula alone crosses 0 for a loss below :math:`\log(k/\epsilon)/\gamma`); the sigmoid lies between its floor
:math:`f \in (0, 1)` and :math:`f + (1 - f) r \le 1`; PassUntil and coverage are exponentials of negative numbers.

Papers and what is ours:

- Isik et al. 2024, "Scaling Laws for Downstream Task Performance of Large Language Models", arXiv:2402.04177: both
  forms, :math:`D_p` the pretraining tokens, one fit per finetuning-set size. They fit BLEU on its own scale; we fit
  log BLEU (Huber), which weighs a BLEU of 5 and of 40 alike; ``residuals="raw"`` gives theirs.
- Gadre et al. 2024, "Language models scale reliably with over-training and on downstream tasks",
  arXiv:2403.08540 (repo mlfoundations/scaling): the loss law in (N, M), M = D / N tokens per parameter, and the
  error law, both by least squares on the raw scale, as their ``curve_fit`` does. The loss law reads N and D
  (so M N = D) and allocates compute under C = 6 N D: it is Chinchilla's form with
  :math:`\alpha = \beta = -\eta` and :math:`B = b\, 6^{\eta/2}`. Its ``grid="published"`` is their grid.
- ``loss_sigmoid``: accuracy as a sigmoid of loss, as the Llama 3 report maps a model's negative log-likelihood on a
  benchmark to its accuracy (Dubey et al. 2024, arXiv:2407.21783, section 3.2.1); our parameterisation keeps it
  in [0, 1].
- Hu et al. 2024, "Predicting Emergent Abilities with Infinite Resolution Evaluation" (PassUntil), arXiv:2310.03262:
  :math:`\log(-\log \mathrm{PU})` is linear in :math:`\log N`; least squares on that scale is their regression.
- Brown et al. 2024, "Large Language Monkeys: Scaling Inference Compute with Repeated Sampling", arXiv:2407.21787:
  coverage (pass@k) over k samples as an exponentiated power law, fitted in log coverage.
"""

import dataclasses

import jax.numpy as jnp
import numpy as np

from .._law import Law, SIX_ND, law_factory
from .._params import Param
from .power import power_law

_TINY = 1e-12


# -- Isik et al.: BLEU and downstream cross-entropy vs pretraining tokens ------------------------------------------

def _bleu_log_predict(p, x):
    inner = p["a"] + p["alpha"] * jnp.log(x["D"])
    return p["beta"] * jnp.log(jnp.where(inner > _TINY, inner, _TINY))


def _bleu_anchor(v, scale):
    # a start says log(A D^alpha) at the data's geometric mean D is f times the BLEU there to the power 1/beta
    inner = v["a"] * scale.target ** (1.0 / v["beta"])
    return {**v, "a": inner - v["alpha"] * np.log(scale.inputs["D"])}


ISIK_BLEU = Law(
    name="isik_bleu",
    title="Translation BLEU vs pretraining tokens: BLEU = (log(A D^alpha))^beta (Isik et al. 2024)",
    citation="Isik et al. 2024, 'Scaling Laws for Downstream Task Performance of Large Language Models', "
             "arXiv:2402.04177",
    formula="BLEU(D) = (log(A * D^alpha))^beta",
    params=(
        Param("a", grid=(0.5, 1.0, 2.0), doc="log A", log_of="A", role="scale"),
        Param("alpha", grid=(0.05, 0.1, 0.2, 0.4, 0.8), lower=0.0, doc="exponent of the pretraining tokens",
              role="exponent"),
        Param("beta", grid=(0.5, 1.0, 2.0, 3.0, 4.0), lower=0.0, doc="outer exponent", role="exponent"),
    ),
    inputs=("D",),
    target="bleu",
    predict=lambda p, x: jnp.exp(_bleu_log_predict(p, x)),
    log_predict=_bleu_log_predict,
    anchor=_bleu_anchor,
    example=lambda: ({"D": np.logspace(8, 13, 25)}, {"A": float(np.exp(-2.0)), "alpha": 0.25, "beta": 2.2}),
    rescalable=False,
)

ISIK_CE = dataclasses.replace(
    power_law("D", target="ce"),
    name="isik_ce",
    title="Downstream cross-entropy vs pretraining tokens: CE = E + A / D^alpha (Isik et al. 2024)",
    citation="Isik et al. 2024, 'Scaling Laws for Downstream Task Performance of Large Language Models', "
             "arXiv:2402.04177",
    formula="CE(D) = E + A / D^alpha",
    column_kinds={"ce": "positive"},
    spec=None,
)


# -- Gadre et al.: over-training loss law and loss -> error ------------------------------------------------------

def _error_predict(p, x):
    err = p["eps"] - jnp.exp(p["log_k"] - p["gamma"] * x["loss"])
    return jnp.maximum(err, 0.0)


def _error_anchor(v, scale):
    # a start says k exp(-gamma L) at the data's geometric-mean loss is f
    return {**v, "log_k": np.log(v["log_k"]) + v["gamma"] * scale.inputs["loss"]}


GADRE_ERROR = Law(
    name="gadre_error",
    title="Downstream error vs loss: Err(L) = eps - k exp(-gamma L) (Gadre et al. 2024)",
    citation="Gadre et al. 2024, 'Language models scale reliably with over-training and on downstream tasks', "
             "arXiv:2403.08540",
    formula="Err(L) = eps - k * exp(-gamma * L)",
    params=(
        Param("eps", grid=(0.6, 0.8, 0.95), lower=0.0, upper=1.0, doc="the error as the loss grows (at most 1)",
              role="scale"),
        Param("log_k", grid=(0.02, 0.1, 0.3, 0.6), doc="log k", log_of="k", role="scale"),
        Param("gamma", grid=(0.3, 1.0, 3.0, 10.0), lower=0.0, doc="rate in the loss", role="exponent"),
    ),
    inputs=("loss",),
    target="error",
    predict=_error_predict,
    forecasts=("chain",),
    anchor=_error_anchor,
    objective={"loss": "squared", "residuals": "raw"},
    example=lambda: ({"loss": np.linspace(2.5, 5.0, 25)}, {"eps": 0.78, "k": 2.5, "gamma": 0.9}),
    rescalable=False,
)


def _overtrain_predict(p, x):
    eta = p["eta"]
    return p["E"] + p["a"] * x["N"] ** eta + p["b"] * 6.0 ** (eta / 2) * x["D"] ** eta


def _overtrain_optimal(p, compute):
    # Chinchilla's allocation with alpha = beta = -eta, A = a, B = b 6^(eta/2): N* = (A / B)^(1/(2 alpha)) (C/6)^(1/2)
    alpha = -p["eta"]
    log_g = (jnp.log(p["a"]) - jnp.log(p["b"]) - 0.5 * p["eta"] * jnp.log(6.0)) / (2 * alpha)
    n = jnp.exp(log_g + 0.5 * jnp.log(compute / 6.0))
    return n, compute / (6.0 * n)


def _overtrain_anchor(v, scale):
    y, eta = scale.target, v["eta"]
    return {**v, "a": v["a"] * y * scale.inputs["N"] ** -eta,
            "b": v["b"] * y * 6.0 ** (-eta / 2) * scale.inputs["D"] ** -eta, "E": v["E"] * scale.target_min}


def _overtrain_example():
    n = np.logspace(7, 9.5, 6)
    m = np.array([5.0, 20.0, 80.0, 320.0])
    nn, mm = np.meshgrid(n, m)
    return {"N": nn.ravel(), "D": (nn * mm).ravel()}, {"a": 113.7, "b": 189.5, "eta": -0.2425, "E": 1.5083}


GADRE_OVERTRAIN = Law(
    name="gadre_overtrain",
    title="Over-training loss law L(N, M) = E + a N^eta + b 6^(eta/2) (M N)^eta, M = D/N (Gadre et al. 2024)",
    citation="Gadre et al. 2024, 'Language models scale reliably with over-training and on downstream tasks', "
             "arXiv:2403.08540",
    formula="L(N, D) = E + a * N^eta + b * 6^(eta/2) * D^eta   (D = M N)",
    params=(
        Param("a", grid=(0.05, 0.2, 0.5, 1.0, 2.0), lower=0.0, log=True, doc="amplitude of the N term",
              role="scale"),
        Param("b", grid=(0.05, 0.2, 0.5, 1.0, 2.0), lower=0.0, log=True, doc="amplitude of the data term",
              role="scale"),
        Param("eta", grid=(-0.1, -0.2, -0.3, -0.5), upper=0.0, doc="the (negative) exponent", role="exponent"),
        Param("E", grid=(0.05, 0.3, 0.6, 0.8, 0.95), doc="irreducible loss", role="scale"),
    ),
    inputs=("N", "D"),
    predict=_overtrain_predict,
    compute_optimal=_overtrain_optimal,
    forecasts=("allocation", "target", "chain"),
    compute=SIX_ND,
    anchor=_overtrain_anchor,
    published_grid={"a": (1e2, 3e2, 1e3, 3e3), "b": (1e2, 3e2, 1e3, 3e3), "eta": (-0.1, -0.3),
                    "E": (0.0, 1.0, 2.0, 10.0)},
    objective={"loss": "squared", "residuals": "raw"},
    example=_overtrain_example,
    presets={
        "c4": {"natural": {"a": 113.7, "b": 189.5, "eta": -0.2425, "E": 1.5083},
               "citation": "Gadre et al. 2024, C4 (repo mlfoundations/scaling), arXiv:2403.08540"},
        "refinedweb": {"natural": {"a": 125.1, "b": 246.2, "eta": -0.2544, "E": 1.7345},
                       "citation": "Gadre et al. 2024, RefinedWeb (repo mlfoundations/scaling), arXiv:2403.08540"},
    },
)


# -- accuracy as a sigmoid of loss ----------------------------------------------------------------------------------

def _sigmoid_predict(p, x):
    return p["floor"] + (1.0 - p["floor"]) * p["reach"] * jax_sigmoid(-p["k"] * (x["loss"] - p["L0"]))


def jax_sigmoid(z):
    return 0.5 * (1.0 + jnp.tanh(0.5 * z))


def _sigmoid_anchor(v, scale):
    loss = scale.inputs["loss"]
    return {**v, "k": v["k"] / loss, "L0": v["L0"] * loss}


LOSS_SIGMOID = Law(
    name="loss_sigmoid",
    title="Accuracy as a sigmoid of loss: acc = f + (1 - f) r sigmoid(-k (L - L0))",
    citation="Dubey et al. 2024 (Llama 3), section 3.2.1, arXiv:2407.21783",
    formula="acc(L) = floor + (1 - floor) * reach / (1 + exp(k * (L - L0)))",
    params=(
        Param("floor", grid=(0.02, 0.25, 0.5), lower=0.0, upper=1.0, doc="accuracy at a high loss (chance)",
              role="scale"),
        Param("reach", grid=(0.3, 0.7, 0.95), lower=0.0, upper=1.0, doc="share of the headroom above the floor "
              "reached at a low loss", role="scale"),
        Param("k", grid=(2.0, 5.0, 10.0, 20.0), lower=0.0, doc="steepness per unit of loss", role="exponent"),
        Param("L0", grid=(0.7, 0.85, 1.0, 1.2), doc="the loss at the midpoint"),
    ),
    inputs=("loss",),
    target="accuracy",
    predict=_sigmoid_predict,
    forecasts=("chain",),
    anchor=_sigmoid_anchor,
    objective={"loss": "squared", "residuals": "raw"},
    example=lambda: ({"loss": np.linspace(2.0, 4.5, 30)}, {"floor": 0.25, "reach": 0.8, "k": 3.0, "L0": 3.0}),
    rescalable=False,
)


# -- PassUntil and repeated-sampling coverage ----------------------------------------------------------------------

def _passuntil_predict(p, x):
    return jnp.exp(-jnp.exp(p["c"] - p["s"] * jnp.log(x["N"])))


PASSUNTIL = Law(
    name="passuntil",
    title="PassUntil: log(-log PU) = c - s log N (Hu et al. 2024)",
    citation="Hu et al. 2024, 'Predicting Emergent Abilities with Infinite Resolution Evaluation', "
             "arXiv:2310.03262",
    formula="PU(N) = exp(-exp(c - s * log N))",
    params=(
        Param("c", grid=(-3.0, -1.0, 0.0, 1.0, 2.0), doc="log(-log PU) at N = 1 (anchored at the data's N)"),
        Param("s", grid=(0.1, 0.3, 0.6, 1.0, 2.0), lower=0.0, doc="slope in log N", role="exponent"),
    ),
    inputs=("N",),
    target="pass_rate",
    predict=_passuntil_predict,
    log_predict=lambda p, x: -jnp.exp(p["c"] - p["s"] * jnp.log(x["N"])),
    anchor=lambda v, scale: {**v, "c": v["c"] + v["s"] * np.log(scale.inputs["N"])},
    objective={"loss": "squared", "residuals": "cloglog"},
    example=lambda: ({"N": np.logspace(7, 10, 20)}, {"c": 5.96, "s": 0.275}),
    rescalable=False,
)


def _coverage_log_predict(p, x):
    return -jnp.exp(p["log_a"] - p["b"] * jnp.log(x["k"]))


def _coverage_anchor(v, scale):
    headroom = max(-np.log(min(scale.target, 1.0 - 1e-9)), 1e-3)
    k = scale.inputs.get("k", 1.0)  # absent when k arrives as integers (a count has no unit to follow anyway)
    return {**v, "log_a": np.log(v["log_a"] * headroom) + v["b"] * np.log(k)}


COVERAGE = Law(
    name="coverage",
    title="Coverage over k samples: log c(k) = -a k^-b (Brown et al. 2024)",
    citation="Brown et al. 2024, 'Large Language Monkeys: Scaling Inference Compute with Repeated Sampling', "
             "arXiv:2407.21787",
    formula="coverage(k) = exp(-a * k^-b)",
    params=(
        Param("log_a", grid=(0.3, 1.0, 3.0), doc="log a", log_of="a", role="scale"),
        Param("b", grid=(0.1, 0.3, 0.6, 1.0), lower=0.0, doc="exponent of the number of samples", role="exponent"),
    ),
    inputs=("k",),
    target="coverage",
    predict=lambda p, x: jnp.exp(_coverage_log_predict(p, x)),
    log_predict=_coverage_log_predict,
    column_kinds={"coverage": "fraction"},
    anchor=_coverage_anchor,
    example=lambda: ({"k": 2.0 ** np.arange(14)}, {"a": 2.0, "b": 0.35}),
    rescalable=False,
)

DOWNSTREAM_LAWS = (ISIK_BLEU, ISIK_CE, GADRE_ERROR, GADRE_OVERTRAIN, LOSS_SIGMOID, PASSUNTIL, COVERAGE)


# -- COD's per-cluster accuracy law ----------------------------------------------------------------------------------

@law_factory
def cod_law(guess: float = 0.0) -> Law:
    r"""Accuracy of a cluster of items vs training compute (Xu et al. 2025, COD; the form is our reading):
    :math:`\mathrm{acc}(C) = g + (1 - g)\, \exp(-a C^{-b} - c)`, :math:`a, b > 0`, :math:`c \ge 0`, with the
    cluster's random-guess rate :math:`g` fixed. It rises from :math:`g` towards :math:`g + (1 - g) e^{-c} \le 1`."""
    guess = float(guess)
    if not 0.0 <= guess < 1.0:
        raise ValueError(f"the guess rate must be in [0, 1), not {guess}")

    def predict(p, x):
        return guess + (1.0 - guess) * jnp.exp(-jnp.exp(p["log_a"] - p["b"] * jnp.log(x["C"])) - p["c"])

    return Law(
        name="cod_cluster" if guess == 0.0 else f"cod_cluster_g{guess:g}",
        title=f"Cluster accuracy vs compute: acc = g + (1 - g) exp(-a C^-b - c), g = {guess:g} (COD, Xu et al.)",
        citation="Xu et al. 2025, 'Unveiling Downstream Performance Scaling of LLMs: A Clustering-Based "
                 "Perspective', arXiv:2502.17262 (form: our reading)",
        formula="acc(C) = g + (1 - g) * exp(-a * C^-b - c)",
        params=(
            Param("log_a", grid=(-2.0, -1.0, 0.0, 1.0, 2.0, 3.0), doc="log a (anchored at the data's compute)",
                  log_of="a"),
            Param("b", grid=(0.1, 0.3, 0.6, 1.0, 2.0), lower=0.0, log=True, doc="exponent of compute",
                  role="exponent"),
            Param("c", grid=(0.01, 0.1, 0.5, 1.5), lower=0.0, doc="saturation: the ceiling is g + (1 - g) e^-c"),
        ),
        inputs=("C",),
        target="accuracy",
        predict=predict,
        anchor=lambda v, scale: {**v, "log_a": v["log_a"] + v["b"] * np.log(scale.inputs["C"])},
        objective={"loss": "squared", "residuals": "raw"},
        rescalable=False,
        example=lambda: ({"C": np.logspace(20, 23, 40)},
                         {"a": float(np.exp(1.0 + 0.5 * np.log(1e20))), "b": 0.5, "c": 0.2}),
        spec=None if guess == 0.0 else {"factory": "cod", "args": {"guess": guess}},
    )


COD_CLUSTER = cod_law(0.0)
DOWNSTREAM_LAWS = (*DOWNSTREAM_LAWS, COD_CLUSTER)
