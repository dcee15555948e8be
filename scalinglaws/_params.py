"""Named parameters with bounds, and the smooth bijections that make a bounded fit unconstrained.

A :class:`Param` is one fitted quantity of a law. The fitter never sees the bounds: it works on an unconstrained
value ``u`` and the law sees ``value = transform(u)``, where the transform is a smooth bijection onto the open
interval between the bounds (the numpyro / TFP approach):

=====================  =========================================
bounds                 value(u)
=====================  =========================================
(-inf, inf)            u
(lower, inf)           lower + softplus(u)
(-inf, upper)          upper - softplus(u)
(lower, upper)         lower + (upper - lower) * sigmoid(u)
(lower, inf), log      lower + exp(u)   (for scales spanning decades)
=====================  =========================================

Bounds are open, so a start grid must lie strictly inside them; this is checked when the ``Param`` is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import jax.numpy as jnp
import numpy as np

__all__ = ["Param"]

ROLES = ("", "exponent", "scale")


def _softplus_inverse(y):
    # log(expm1(y)) overflows for large y; for y > 30 softplus(y) == y to double precision.
    y = np.asarray(y, dtype=float)
    return np.where(y > 30.0, y, np.log(np.expm1(np.minimum(y, 30.0))))


@dataclass(frozen=True)
class Param:
    """One named, bounded parameter of a law.

    Attributes:
      name: identifier used by the law's ``predict`` (``p["alpha"]``).
      grid: start values (in the parameter's own units) that the fitter's multi-start grid takes the product of.
      lower, upper: open bounds; ``-inf`` / ``inf`` for none.
      doc: one line saying what the parameter is.
      log: with a finite lower bound and no upper one, use ``lower + exp(u)`` rather than softplus, so that a
        parameter spanning decades (B ~ 400 beside alpha ~ 0.5) is searched on a log scale.
      log_of: the fitted value is the logarithm of a published ("natural") parameter of this name (``a`` is
        ``log A``): reports show ``A = exp(a)``, and ``fixed={"A": ...}`` fixes ``a``.
      role: ``"exponent"``, ``"scale"`` (a constant or an amplitude in the target's units) or ``""``; used to
        flag degenerate fits (an exponent at 0, a scale collapsed to nothing).
    """

    name: str
    grid: tuple[float, ...]
    lower: float = -math.inf
    upper: float = math.inf
    doc: str = ""
    log: bool = False
    log_of: str | None = None
    role: str = ""

    def __post_init__(self):
        object.__setattr__(self, "grid", tuple(float(g) for g in self.grid))
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} is not an identifier")
        if not self.lower < self.upper:
            raise ValueError(f"parameter {self.name}: lower bound {self.lower} is not below upper {self.upper}")
        if self.log and not (math.isfinite(self.lower) and not math.isfinite(self.upper)):
            raise ValueError(f"parameter {self.name}: log=True needs a finite lower bound and no upper bound")
        if self.role not in ROLES:
            raise ValueError(f"parameter {self.name}: role must be one of {ROLES}, not {self.role!r}")
        if not self.grid:
            raise ValueError(f"parameter {self.name}: the start grid is empty")
        outside = [g for g in self.grid if not self.lower < g < self.upper]
        if outside:
            raise ValueError(
                f"parameter {self.name}: start values {outside} are not strictly inside the bounds "
                f"({self.lower}, {self.upper}); bounds are open"
            )

    @property
    def natural_name(self) -> str:
        return self.log_of or self.name

    def natural_value(self, value):
        """Fitted value -> published parameterisation (``exp`` for a ``log_of`` parameter); NumPy in, NumPy out."""
        return _xp(value).exp(value) if self.log_of else value

    def from_natural_value(self, value):
        return np.log(value) if self.log_of else np.asarray(value, dtype=float)

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.lower) or math.isfinite(self.upper)

    def to_value(self, u):
        """Unconstrained ``u`` -> parameter value (jnp, differentiable; NumPy for NumPy input, which keeps
        reports and diagnostics off JAX's op-by-op dispatch)."""
        lo, hi = self.lower, self.upper
        xp = _xp(u)
        if math.isfinite(lo) and math.isfinite(hi):
            return lo + (hi - lo) * _sigmoid(u, xp)
        if math.isfinite(lo):
            return lo + (xp.exp(u) if self.log else _softplus(u, xp))
        if math.isfinite(hi):
            return hi - _softplus(u, xp)
        return u

    def to_unconstrained(self, value):
        """Parameter value -> unconstrained ``u`` (NumPy; values must be inside the bounds)."""
        v = np.asarray(value, dtype=float)
        lo, hi = self.lower, self.upper
        if math.isfinite(lo) and math.isfinite(hi):
            t = (v - lo) / (hi - lo)
            return np.log(t) - np.log1p(-t)
        if math.isfinite(lo):
            return np.log(v - lo) if self.log else _softplus_inverse(v - lo)
        if math.isfinite(hi):
            return _softplus_inverse(hi - v)
        return v

    def near_bound(self, value, rtol: float = 1e-6) -> bool:
        """Whether ``value`` sits at a finite bound (within ``rtol`` of the bound's scale)."""
        v = float(value)
        for b in (self.lower, self.upper):
            if math.isfinite(b) and abs(v - b) <= rtol * max(1.0, abs(b), abs(self.upper - self.lower)
                                                             if math.isfinite(self.upper - self.lower) else 1.0):
                return True
        return False


def _xp(u):
    """NumPy for NumPy (or Python) numbers, jnp for JAX arrays and tracers."""
    return np if isinstance(u, (np.ndarray, np.generic, float, int)) else jnp


def _softplus(u, xp=jnp):
    return xp.logaddexp(u, 0.0)


def _sigmoid(u, xp=jnp):
    return 0.5 * (xp.tanh(0.5 * u) + 1.0)


def grid_product(params: Sequence[Param]) -> np.ndarray:
    """Cartesian product of the parameters' start grids, shape (G, P), in parameter units."""
    mesh = np.meshgrid(*[np.asarray(p.grid) for p in params], indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=-1)
