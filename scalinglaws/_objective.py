r"""Fit objectives: residuals (log or raw), a robust loss on them, per-row weights.

.. math::  f(\theta) = \sum_i w_i\, \rho(r_i(\theta)), \qquad
           r_i = \log \hat y_i(\theta) - \log y_i \;\text{(log)} \quad\text{or}\quad \hat y_i(\theta) - y_i
           \;\text{(raw)},

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
RESIDUALS = ("log", "raw")


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
        return law.predict(p, x) - y

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
