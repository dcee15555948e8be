"""The law abstraction: a formula, its citation, named bounded parameters and a pure ``predict``.

A law is data, not a class hierarchy: one module-level :class:`Law` constant per law, built from a few pure
functions. The fitter, the bootstrap and the forecasts only ever call the fields below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax.numpy as jnp
import numpy as np

from ._params import Param, grid_product

__all__ = ["Law"]

Params = Mapping[str, "jnp.ndarray"]
Inputs = Mapping[str, "jnp.ndarray"]


def _identity(p):
    return dict(p)


def _float_or_index(values):
    """float64, except integer arrays, which stay integers (they index, e.g. rows of a pair list)."""
    a = np.asarray(values)
    return a if a.dtype.kind in "iu" else a.astype(float)


@dataclass(frozen=True, eq=False)
class Law:
    """A scaling law.

    Attributes:
      name: registry key (``"chinchilla"``).
      title: one line for listings.
      citation: the paper the formula comes from.
      formula: the formula in plain text / LaTeX, for reports.
      params: the fitted parameters, in the order the fitter's vector uses.
      inputs: canonical run-table columns the law reads (``("N", "D")``).
      predict: pure ``predict(p, x) -> y`` in jnp; ``p`` maps parameter names to values, ``x`` input names to arrays.
      target: the run-table column it predicts (``"loss"``).
      log_predict: optional ``log(predict)`` computed stably (e.g. log-sum-exp); used for log residuals.
      natural: maps fitted parameters to the published parameterisation for reports (``a -> A = exp(a)``).
      from_natural: the inverse of ``natural`` (NumPy floats), used for presets.
      featurize: NumPy ``table -> inputs`` run once outside jit (e.g. an LR schedule's S1, S2), given the
        :class:`RunTable` (or a mapping of columns); default picks ``inputs``.
      compute_optimal: optional closed form ``(p, C) -> (N, D)`` for laws of (N, D).
      presets: published parameter sets, ``{name: {"natural": {...}, "citation": str}}``.
      refine: how many screened starts :func:`fit` refines by default (fewer for laws costly to evaluate).
    """

    name: str
    title: str
    citation: str
    formula: str
    params: tuple[Param, ...]
    inputs: tuple[str, ...]
    predict: Callable[[Params, Inputs], jnp.ndarray]
    target: str = "loss"
    log_predict: Callable[[Params, Inputs], jnp.ndarray] | None = None
    natural: Callable[[Params], dict] = _identity
    from_natural: Callable[[Mapping[str, float]], dict] = _identity
    featurize: Callable[[Mapping[str, np.ndarray]], dict] | None = None
    compute_optimal: Callable[[Params, jnp.ndarray], tuple] | None = None
    presets: Mapping[str, Mapping] = field(default_factory=dict)
    refine: int = 16

    def __post_init__(self):
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"law {self.name}: duplicated parameter names {names}")

    def __repr__(self) -> str:
        return f"Law({self.name!r}: {self.formula})"

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def unpack(self, u) -> dict:
        """Unconstrained vector (..., P) -> parameter dict (jnp, differentiable)."""
        return {p.name: p.to_value(u[..., i]) for i, p in enumerate(self.params)}

    def pack(self, values: Mapping[str, float]) -> np.ndarray:
        """Parameter dict -> unconstrained vector (NumPy)."""
        return np.array([p.to_unconstrained(values[p.name]) for p in self.params], dtype=float)

    def start_grid(self) -> np.ndarray:
        """The multi-start grid in unconstrained space, shape (G, P)."""
        values = grid_product(self.params)
        return np.stack([p.to_unconstrained(values[:, i]) for i, p in enumerate(self.params)], axis=-1)

    def features(self, columns) -> dict:
        """Inputs for ``predict`` (jnp, float64 or integer indices) from a run table or a mapping of columns; a
        ``featurize`` runs in NumPy, once, outside jit."""
        raw = self.featurize(columns) if self.featurize is not None else {k: columns[k] for k in self.inputs}
        return {k: jnp.asarray(_float_or_index(v)) for k, v in raw.items()}

    def log_prediction(self, p, x):
        if self.log_predict is not None:
            return self.log_predict(p, x)
        return jnp.log(self.predict(p, x))
