r"""Fit objectives: residuals on a scale (log, raw, logit, cloglog), a robust loss on them, per-row weights.

.. math::  f(\theta) = \sum_i w_i\, \rho(r_i(\theta)), \qquad r_i = t(\hat y_i(\theta)) - t(y_i),

with the scale :math:`t` one of ``log`` (:math:`\log y`, for positive targets such as a loss), ``raw``
(:math:`y`), ``logit`` (:math:`\log(y / (1 - y))`, for a fraction strictly inside (0, 1)) or ``cloglog``
(:math:`\log(-\log y)`, for a pass rate in (0, 1): the scale on which Hu et al.'s PassUntil law is linear in
:math:`\log N`, so that least squares there is their regression).

with :math:`\rho` Huber's loss, :math:`\rho_\delta(r) = r^2/2` for :math:`|r| \le \delta` and
:math:`\delta(|r| - \delta/2)` beyond (Huber 1964; the form scipy.special.huber uses), or plain :math:`r^2/2`.
The default, Huber with delta = 1e-3 on log residuals, summed (not averaged), is Hoffmann et al.'s objective:
summing keeps the gradient large enough that optimisers do not stop early (Besiroglu et al. 2024).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import jax.numpy as jnp

from ._errors import InputError

__all__ = ["Objective"]

LOSSES = ("huber", "squared")
RESIDUALS = ("log", "raw", "logit", "cloglog")
# what each residual scale can take: (lowest, highest, inclusive?)
DOMAINS = {"log": "positive", "raw": "finite", "logit": "strictly inside (0, 1)", "cloglog": "strictly inside (0, 1)"}


@dataclass(frozen=True)
class Objective:
    """What a fit minimises. Hashable, so it can be a static argument of a jitted function."""

    loss: str = "huber"
    delta: float = 1e-3
    residuals: str = "log"

    def __post_init__(self):
        problems = []
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {LOSSES}, not {self.loss!r}")
        if self.residuals not in RESIDUALS:
            problems.append(f"residuals must be one of {RESIDUALS}, not {self.residuals!r}")
        if not (self.delta > 0):
            problems.append(f"delta must be positive, not {self.delta!r}")
        if problems:
            raise InputError("; ".join(problems))
        object.__setattr__(self, "delta", float(self.delta))

    def to_dict(self) -> dict:
        return asdict(self)

    def residual(self, law, p, x, y):
        if self.residuals == "log":
            return law.log_prediction(p, x) - jnp.log(y)
        if self.residuals == "logit":
            return _logit(law.predict(p, x)) - _logit(y)
        if self.residuals == "cloglog":
            # from the log prediction: log(-log y) of a prediction within 1e-16 of 1 would be log(0)
            return jnp.log(-law.log_prediction(p, x)) - _cloglog(y)
        return law.predict(p, x) - y

    def domain_problems(self, y) -> list[str]:
        """What in the targets ``y`` this residual scale cannot take (empty when all can)."""
        import numpy as np

        y = np.asarray(y, dtype=float)
        if self.residuals == "log":
            bad = y <= 0
        elif self.residuals in ("logit", "cloglog"):
            bad = (y <= 0) | (y >= 1)
        else:
            return []
        if not bad.any():
            return []
        return [f"{int(bad.sum())} target values cannot be fitted on the {self.residuals} scale, which needs values "
                f"{DOMAINS[self.residuals]} (e.g. {float(y[bad][0]):g}); drop or clip them, or pick another "
                f"residual scale"]

    def transform(self, y):
        """The residual scale's map of targets (``raw``: none)."""
        return {"log": jnp.log, "logit": _logit, "cloglog": _cloglog}.get(self.residuals, lambda v: v)(y)

    def rho(self, r):
        if self.loss == "squared":
            return 0.5 * r * r
        a = jnp.abs(r)
        return jnp.where(a <= self.delta, 0.5 * r * r, self.delta * (a - 0.5 * self.delta))

    def value(self, law, u, x, y, w):
        """The objective at unconstrained parameters ``u`` (shape (P,)); rows of weight 0 do not count."""
        r = self.residual(law, law.unpack(u), x, y)
        # where() rather than w * rho: a padded row may predict inf/nan, and 0 * nan would poison the sum.
        return jnp.sum(jnp.where(w > 0, w * self.rho(r), 0.0))


def _logit(v):
    return jnp.log(v) - jnp.log1p(-v)


def _cloglog(v):
    return jnp.log(-jnp.log(v))
