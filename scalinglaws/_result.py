"""FitResult: the immutable, JSON-serialisable outcome of a fit (and of its bootstrap)."""

from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import InputError
from ._law import Law, law_reference
from ._objective import Objective
from .laws import get_law, law_from_reference

__all__ = ["FitResult", "preset"]


def _ro(a):
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


def _law_predict(p, x, *, law):
    return law.predict(p, x)


# one compiled program per law and input shape, not one per primitive (eager jnp compiles each operation it meets)
_predict = jax.jit(_law_predict, static_argnames=("law",))


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted (or preset) law.

    Attributes:
      law: the :class:`Law` (a registered law's name is accepted and looked up).
      params: fitted parameters in the law's fitting parameterisation (e.g. Chinchilla's a, b, e, alpha, beta).
      settings: what the user chose: the objective (``loss``, ``delta``, ``residuals``), the per-run ``weights``
        (None for all 1), the start grid (``grid``), and the solver's options; :func:`bootstrap` refits with these.
      diagnostics: what happened: ``objective`` (its value), ``converged`` (the gradient test), ``grad_norm``,
        ``grad_tol``, ``iterations``, ``grid_size``, ``n_refined``, ``n_at_best`` (refined starts that reached the
        best optimum), ``at_bound``, ``unresolved`` (parameters the curvature at the optimum cannot resolve).
      fingerprint: sha256 prefix of the data the fit saw; ``runs``: its run ids, in order.
      n_points, n_runs: rows and runs fitted.
      input_ranges: fitted range of each input column, for extrapolation warnings.
      warnings: what a reader should know (non-convergence, bounds, degenerate parameters, disagreeing starts).
      draws: bootstrap refits, shape (B, P), parameter values; None before :func:`bootstrap`.
      bootstrap_info: resampling settings and diagnostics.
      source: ``"fit"`` or ``"preset:NAME"``.
    """

    law: Law
    params: Mapping[str, float]
    settings: Mapping = field(default_factory=dict)
    diagnostics: Mapping = field(default_factory=dict)
    fingerprint: str = ""
    runs: tuple[str, ...] = ()
    n_points: int = 0
    n_runs: int = 0
    input_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    draws: np.ndarray | None = None
    bootstrap_info: Mapping | None = None
    source: str = "fit"

    def __post_init__(self):
        object.__setattr__(self, "law", get_law(self.law))
        object.__setattr__(self, "params", {k: float(v) for k, v in self.params.items()})
        if set(self.params) != set(self.law.param_names):
            raise ValueError(f"parameters {sorted(self.params)} do not match law {self.law.name}: "
                             f"{self.law.param_names}")
        object.__setattr__(self, "runs", tuple(str(r) for r in self.runs))
        if self.draws is not None:
            object.__setattr__(self, "draws", _ro(self.draws))

    # -- what happened ------------------------------------------------------------------------------------------
    @property
    def objective(self) -> float:
        """The objective's value at ``params`` (NaN for a preset)."""
        return float(self.diagnostics.get("objective", float("nan")))

    @property
    def converged(self) -> bool:
        return bool(self.diagnostics.get("converged", True))

    @property
    def grad_norm(self) -> float:
        return float(self.diagnostics.get("grad_norm", float("nan")))

    @property
    def grad_tol(self) -> float:
        return float(self.diagnostics.get("grad_tol", float("nan")))

    @property
    def n_refined(self) -> int:
        return int(self.diagnostics.get("n_refined", 0))

    @property
    def n_at_best(self) -> int:
        return int(self.diagnostics.get("n_at_best", 0))

    @property
    def at_bound(self) -> tuple[str, ...]:
        return tuple(self.diagnostics.get("at_bound", ()))

    # -- what was chosen ----------------------------------------------------------------------------------------
    @property
    def objective_spec(self) -> Objective:
        """The :class:`Objective` the fit minimised."""
        s = self.settings
        return Objective(loss=s.get("loss", "huber"), delta=s.get("delta", 1e-3), residuals=s.get("residuals", "log"))

    @property
    def weights(self) -> np.ndarray | None:
        """The per-run weights the fit used (aligned with ``runs``), or None for all 1."""
        w = self.settings.get("weights")
        return None if w is None else np.asarray(w, dtype=float)

    # -- parameters ---------------------------------------------------------------------------------------------
    @property
    def natural(self) -> dict[str, float]:
        """Parameters in the law's published parameterisation (Chinchilla: A, B, E, alpha, beta)."""
        return {k: float(v) for k, v in self.law.natural({k: np.float64(v) for k, v in self.params.items()}).items()}

    def fitted_draws(self) -> dict[str, np.ndarray]:
        """Bootstrap draws of the fitted parameters by name (arrays of shape (B,)), ready for ``law.predict``."""
        self._need_draws()
        return {name: self.draws[:, i] for i, name in enumerate(self.law.param_names)}

    def draws_dict(self) -> dict[str, np.ndarray]:
        """Bootstrap draws by name, fitted and natural names both (arrays of shape (B,))."""
        law = self.law
        fitted = self.fitted_draws()
        natural = {k: np.asarray(v) for k, v in law.natural({k: jnp.asarray(v) for k, v in fitted.items()}).items()}
        return {**fitted, **natural}

    def _need_draws(self):
        if self.draws is None:
            raise InputError("this result has no bootstrap draws; run scalinglaws.bootstrap(result, data) first")

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
            raise InputError(f"no parameter {name!r}; known: {', '.join(draws)}")
        return draws[name]

    def with_law(self, law) -> "FitResult":
        """The same parameters evaluated under another law of the same parameters (e.g. the exact Multi-Power sum
        instead of the block-merged one): a preset-like result, without draws or diagnostics of its own."""
        law = get_law(law)
        if law.param_names != self.law.param_names:
            raise ValueError(f"law {law.name} has parameters {law.param_names}, not {self.law.param_names}")
        return FitResult(law=law, params=self.params, settings={"citation": f"parameters of {self.law.name}"},
                         source=f"preset:{self.source}:{self.law.name}")

    def without_draws(self) -> "FitResult":
        return dataclasses.replace(self, draws=None, bootstrap_info=None)

    # -- predictions ----------------------------------------------------------------------------------------------
    def predict(self, inputs) -> np.ndarray:
        """The law at the fitted parameters for input columns (e.g. ``{"N": 7e10, "D": 1.4e12}``), or for the
        rows of a :class:`RunTable` (which the LR-schedule laws need, for its per-run schedules)."""
        law = self.law
        columns = inputs if hasattr(inputs, "series") else _broadcast(inputs)
        return np.asarray(_predict({k: jnp.asarray(v) for k, v in self.params.items()}, law.features(columns),
                                   law=law))

    # -- serialisation --------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready dict; the law is stored by name (and by its factory spec when it has one)."""
        return {
            "law": self.law.name, "law_ref": law_reference(self.law), "params": dict(self.params),
            "natural": self.natural, "settings": _plain(self.settings), "diagnostics": _plain(self.diagnostics),
            "fingerprint": self.fingerprint, "runs": list(self.runs), "n_points": self.n_points,
            "n_runs": self.n_runs, "input_ranges": {k: list(v) for k, v in self.input_ranges.items()},
            "warnings": list(self.warnings), "draws": None if self.draws is None else self.draws.tolist(),
            "bootstrap_info": _plain(self.bootstrap_info), "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "FitResult":
        d = _upgrade(d)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names - {"natural", "law_ref"}
        if unknown or "law" not in d or "params" not in d:
            raise ValueError(f"not a FitResult: unknown keys {sorted(unknown)}" if unknown else
                             "not a FitResult: it needs at least 'law' and 'params'")
        kw = {k: v for k, v in d.items() if k in names}
        kw["law"] = law_from_reference(d.get("law_ref") or d["law"])
        kw["warnings"] = tuple(kw.get("warnings", ()))
        kw["runs"] = tuple(kw.get("runs", ()))
        kw["input_ranges"] = {k: tuple(v) for k, v in kw.get("input_ranges", {}).items()}
        if kw.get("draws") is not None:
            kw["draws"] = np.asarray(kw["draws"], dtype=float)
        return cls(**kw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    # -- report ---------------------------------------------------------------------------------------------------
    def report(self, level: float = 0.95) -> str:
        from ._report import fit_report

        return fit_report(self, level)

    def __str__(self) -> str:
        return self.report()


def check_level(level: float) -> float:
    """``level`` as a float strictly between 0 and 1 (0.9 for a 90% band), or an InputError naming it."""
    if not 0.0 < float(level) < 1.0:
        raise InputError(f"level must be between 0 and 1 (0.9 for a 90% band), not {level!r}")
    return float(level)


def percentile_interval(samples, level: float, axis=None):
    """Equal-tailed percentile interval of the finite samples (along ``axis``); NaN where none is finite."""
    level = check_level(level)
    samples = np.asarray(samples, dtype=float)
    samples = np.where(np.isfinite(samples), samples, np.nan)
    tail = 50.0 * (1.0 - level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice: its interval is NaN, as wanted
        lo, hi = np.nanpercentile(samples, [tail, 100.0 - tail], axis=axis)
    return (float(lo), float(hi)) if axis is None else (lo, hi)


_OLD_DIAGNOSTICS = ("objective", "converged", "grad_norm", "grad_tol", "n_refined", "n_at_best", "at_bound")


def _upgrade(d: Mapping) -> dict:
    """A result written by scalinglaws 0.1 (diagnostics at the top level, settings mixed with them) in this
    version's layout, so that older fit.json files still load."""
    d = dict(d)
    if "diagnostics" in d or "converged" not in d:
        return d
    diagnostics = {k: d.pop(k) for k in _OLD_DIAGNOSTICS if k in d}
    settings = dict(d.get("settings", {}))
    for k in ("iterations", "weighted"):
        if k in settings:
            diagnostics[k] = settings.pop(k)
    d["settings"], d["diagnostics"] = settings, diagnostics
    return d


def _plain(value):
    """Mappings, tuples and NumPy values as plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


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
        raise InputError(f"law {law.name} has no preset {name!r}; presets: {known}")
    entry = law.presets[name]
    params = {k: float(v) for k, v in law.from_natural(entry["natural"]).items()}
    return FitResult(law=law, params=params, source=f"preset:{name}", settings={"citation": entry["citation"]})
