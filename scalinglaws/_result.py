"""FitResult: the immutable, JSON-serialisable outcome of a fit (and of its bootstrap)."""

from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax.numpy as jnp
import numpy as np

from .laws import get_law

__all__ = ["FitResult", "preset"]


def _ro(a):
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted (or preset) law.

    Attributes:
      law: registry name of the law.
      params: fitted parameters in the law's fitting parameterisation (e.g. Chinchilla's a, b, e, alpha, beta).
      objective: the objective's value at ``params``.
      converged: whether the gradient test passed (``grad_norm <= grad_tol``).
      grad_norm: max-abs gradient of the objective in unconstrained space at ``params``.
      grad_tol: the tolerance it was held to (``gtol * max(|objective|, f_floor)``).
      n_refined: starts refined locally; n_at_best: how many of them reached the best optimum.
      at_bound: parameters sitting at a bound.
      settings: objective and solver settings.
      fingerprint: sha256 prefix of the data the fit saw.
      n_points, n_runs: rows and runs fitted.
      input_ranges: fitted range of each input column, for extrapolation warnings.
      warnings: what a reader should know (non-convergence, bounds, disagreeing starts).
      draws: bootstrap refits, shape (B, P), fitting parameterisation; None before :func:`bootstrap`.
      bootstrap_info: resampling settings and diagnostics.
      source: ``"fit"`` or ``"preset:NAME"``.
    """

    law: str
    params: Mapping[str, float]
    objective: float = float("nan")
    converged: bool = True
    grad_norm: float = float("nan")
    grad_tol: float = float("nan")
    n_refined: int = 0
    n_at_best: int = 0
    at_bound: tuple[str, ...] = ()
    settings: Mapping = field(default_factory=dict)
    fingerprint: str = ""
    n_points: int = 0
    n_runs: int = 0
    input_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    draws: np.ndarray | None = None
    bootstrap_info: Mapping | None = None
    source: str = "fit"

    def __post_init__(self):
        object.__setattr__(self, "params", {k: float(v) for k, v in self.params.items()})
        if self.draws is not None:
            object.__setattr__(self, "draws", _ro(self.draws))

    # -- parameters ---------------------------------------------------------------------------------------------
    @property
    def law_obj(self):
        return get_law(self.law)

    @property
    def natural(self) -> dict[str, float]:
        """Parameters in the law's published parameterisation (Chinchilla: A, B, E, alpha, beta)."""
        return {k: float(v) for k, v in self.law_obj.natural(self.params).items()}

    def fitted_draws(self) -> dict[str, np.ndarray]:
        """Bootstrap draws of the fitted parameters by name (arrays of shape (B,)), ready for ``law.predict``."""
        self._need_draws()
        return {name: self.draws[:, i] for i, name in enumerate(self.law_obj.param_names)}

    def draws_dict(self) -> dict[str, np.ndarray]:
        """Bootstrap draws by name, fitted and natural names both (arrays of shape (B,))."""
        law = self.law_obj
        fitted = self.fitted_draws()
        natural = {k: np.asarray(v) for k, v in law.natural({k: jnp.asarray(v) for k, v in fitted.items()}).items()}
        return {**fitted, **natural}

    def _need_draws(self):
        if self.draws is None:
            raise ValueError("this result has no bootstrap draws; run scalinglaws.bootstrap(result, data) first")

    def stderr(self, name: str) -> float:
        """Bootstrap standard deviation of a parameter (fitted or natural name)."""
        return float(np.std(self._draw(name), ddof=1))

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        """Percentile bootstrap interval of a parameter."""
        return percentile_interval(self._draw(name), level)

    def derived(self, fn: Callable[[Mapping], object], level: float = 0.95) -> tuple[float, float, float]:
        """``fn`` of the natural parameters at the fit and its percentile interval over the draws.

        ``fn`` takes a mapping of natural parameter arrays and must be vectorised (jnp or NumPy operations), e.g.
        ``result.derived(lambda p: p["beta"] / (p["alpha"] + p["beta"]))``.
        """
        value = float(np.asarray(fn(self.natural)))
        draws = np.asarray(fn(self.draws_dict()), dtype=float)
        return (value, *percentile_interval(draws, level))

    def _draw(self, name):
        draws = self.draws_dict()
        if name not in draws:
            raise KeyError(f"no parameter {name!r}; known: {', '.join(draws)}")
        return draws[name]

    def without_draws(self) -> "FitResult":
        return dataclasses.replace(self, draws=None, bootstrap_info=None)

    # -- predictions ----------------------------------------------------------------------------------------------
    def predict(self, inputs) -> np.ndarray:
        """The law at the fitted parameters for input columns (e.g. ``{"N": 7e10, "D": 1.4e12}``), or for the
        rows of a :class:`RunTable` (which the LR-schedule laws need, for its per-run schedules)."""
        law = self.law_obj
        columns = inputs if hasattr(inputs, "schedules") else _broadcast(inputs)
        return np.asarray(law.predict({k: jnp.asarray(v) for k, v in self.params.items()}, law.features(columns)))

    # -- serialisation --------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["at_bound"] = list(self.at_bound)
        out["warnings"] = list(self.warnings)
        out["input_ranges"] = {k: list(v) for k, v in self.input_ranges.items()}
        out["natural"] = self.natural
        out["draws"] = None if self.draws is None else self.draws.tolist()
        return out

    @classmethod
    def from_dict(cls, d: Mapping) -> "FitResult":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names - {"natural"}
        if unknown or "law" not in d or "params" not in d:
            raise ValueError(f"not a FitResult: unknown keys {sorted(unknown)}" if unknown else
                             "not a FitResult: it needs at least 'law' and 'params'")
        kw = {k: v for k, v in d.items() if k in names}
        kw["at_bound"] = tuple(kw.get("at_bound", ()))
        kw["warnings"] = tuple(kw.get("warnings", ()))
        kw["input_ranges"] = {k: tuple(v) for k, v in kw.get("input_ranges", {}).items()}
        if kw.get("draws") is not None:
            kw["draws"] = np.asarray(kw["draws"], dtype=float)
        law = get_law(kw["law"])
        if set(kw["params"]) != set(law.param_names):
            raise ValueError(f"parameters {sorted(kw['params'])} do not match law {law.name}: {law.param_names}")
        return cls(**kw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    # -- report ---------------------------------------------------------------------------------------------------
    def report(self, level: float = 0.95) -> str:
        from ._report import fit_report

        return fit_report(self, level)

    def __str__(self) -> str:
        return self.report()


def percentile_interval(samples, level: float, axis=None):
    """Equal-tailed percentile interval of the finite samples (along ``axis``); NaN where none is finite."""
    samples = np.asarray(samples, dtype=float)
    samples = np.where(np.isfinite(samples), samples, np.nan)
    tail = 50.0 * (1.0 - level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice: its interval is NaN, as wanted
        lo, hi = np.nanpercentile(samples, [tail, 100.0 - tail], axis=axis)
    return (float(lo), float(hi)) if axis is None else (lo, hi)


def _broadcast(inputs: Mapping[str, object]) -> dict[str, np.ndarray]:
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in inputs.values()])
    return {k: np.atleast_1d(a) for k, a in zip(inputs, arrays)}


def preset(law, name: str) -> FitResult:
    """A published parameter set of a law as a :class:`FitResult` (no data, no draws).

    >>> preset("chinchilla", "epoch-main").natural["alpha"]
    0.34781
    """
    law = get_law(law)
    if name not in law.presets:
        known = ", ".join(law.presets) or "none"
        raise KeyError(f"law {law.name} has no preset {name!r}; presets: {known}")
    entry = law.presets[name]
    params = {k: float(v) for k, v in law.from_natural(entry["natural"]).items()}
    return FitResult(law=law.name, params=params, source=f"preset:{name}",
                     settings={"citation": entry["citation"]}, warnings=())
