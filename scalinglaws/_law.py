"""The law abstraction: a formula, its citation, named bounded parameters, a pure ``predict``, and what it can do.

A law is data, not a class hierarchy: one :class:`Law` value per law, built from a few pure functions. The fitter,
the bootstrap, the forecasts, the CLI and the app only ever read the fields below; none of them names a family.

What a law declares:

- ``forecasts``: which forecasts apply (``"predict"`` always; ``"allocation"`` and ``"target"`` for a law of
  (N, D) with a compute model; ``"curve"`` for a loss curve over steps under a per-run series; ``"chain"`` for a law
  whose input can be another law's prediction);
- ``compute``: its compute model (:data:`SIX_ND` by default for allocation), and ``fixed_inputs``: inputs held
  fixed in an allocation (e.g. unique tokens U);
- ``series``: per-run series it reads from the table (``("lr",)`` for an LR schedule);
- ``column_kinds``: kinds of columns the schema does not know (``{"my_score": "fraction"}``);
- ``objective``: the fit objective it is fitted with unless the user says otherwise (a task law bounded in
  [0, 1] fits on the raw or logit scale, as its paper did; a loss law on log residuals);
- ``anchor``: how its start grid follows the data (so a fit does not depend on the data's units), beside the
  ``published_grid`` a paper used;
- ``example``: synthetic inputs and true parameters, which the conformance suite fits back.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import InputError
from ._params import Param, grid_product

__all__ = ["Law", "ComputeModel", "DataScale", "SIX_ND", "FORECASTS", "constrain", "law_factory"]


def law_factory(fn: Callable[..., "Law"]) -> Callable[..., "Law"]:
    """Make ``fn`` return one :class:`Law` object per set of arguments, however they are spelled
    (``power_law("N")``, ``power_law(variable="N", target="loss")``): the arguments are bound and their defaults
    filled before the cache is asked. One object per law is what lets jit compile a law once, and what lets a law
    rebuilt from its JSON reference be the very law that was fitted."""
    signature = inspect.signature(fn)
    cached = functools.lru_cache(maxsize=None)(fn)

    @functools.wraps(fn)
    def factory(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return cached(*bound.args, **bound.kwargs)

    return factory

Params = Mapping[str, "jnp.ndarray"]
Inputs = Mapping[str, "jnp.ndarray"]

FORECASTS = ("predict", "allocation", "target", "curve", "chain")


def on_device(values):
    """``values`` as a JAX array, moved without compiling anything: in eager mode ``jnp.asarray`` of a NumPy array
    compiles a small conversion program for every new shape (thousands over a test suite, a tenth of a second in a
    CLI command)."""
    return values if isinstance(values, jax.Array) else jax.device_put(np.asarray(values))


def _float_or_index(values):
    """float64, except integer arrays, which stay integers (they index, e.g. rows of a pair list)."""
    a = np.asarray(values)
    return a if a.dtype.kind in "iu" else a.astype(float)


@dataclass(frozen=True)
class ComputeModel:
    """How a law's inputs cost compute.

    ``flops(x)`` is the training compute of inputs ``x``; ``tokens(N, C, fixed)`` the tokens D that compute C buys
    at N parameters (with the law's fixed inputs), which is what an allocation searches along. ``size`` and
    ``data`` name the law's inputs that play N and D (``"N_avg"`` for a sparse law, whose compute follows the
    average parameter count), so that the allocation, its report and the frontier plot ask the law, not a name."""

    name: str
    flops: Callable[[Inputs], jnp.ndarray]
    tokens: Callable[[jnp.ndarray, jnp.ndarray, Inputs], jnp.ndarray]
    size: str = "N"
    data: str = "D"


SIX_ND = ComputeModel("C = 6 N D", lambda x: 6.0 * x["N"] * x["D"], lambda n, c, fixed: c / (6.0 * n))


@dataclass(frozen=True)
class DataScale:
    """The scale of the data a law is fitted to, which a law's ``anchor`` expresses its start grid against:
    ``target`` is the geometric mean of the target, ``target_min`` its smallest value, ``inputs`` the geometric
    mean of each positive input and feature. Scaling the target by c scales ``target`` and ``target_min`` by c."""

    target: float
    target_min: float
    inputs: Mapping[str, float]

    @classmethod
    def of(cls, x: Mapping[str, np.ndarray], y: np.ndarray, w: np.ndarray | None = None) -> "DataScale":
        y = np.asarray(y, dtype=float)
        keep = np.ones(len(y), bool) if w is None else np.asarray(w) > 0
        ay = np.abs(y[keep])
        ay = ay[ay > 0]
        target = float(np.exp(np.mean(np.log(ay)))) if len(ay) else 1.0
        inputs = {}
        for k, v in x.items():
            v = np.asarray(v)
            if v.dtype.kind == "f" and v.size and np.all(np.isfinite(v)) and np.all(v > 0):
                inputs[k] = float(np.exp(np.mean(np.log(v))))
        return cls(target, float(ay.min()) if len(ay) else 1.0, inputs)

    def as_inputs(self, **names: str) -> "DataScale":
        """This scale seen by a law whose inputs have other names: ``as_inputs(N="N_avg")`` gives the scale whose
        input ``N`` is this one's ``N_avg`` (for a law that borrows another's start grid)."""
        renamed = {new: self.inputs[old] for new, old in names.items()}
        return dataclasses.replace(self, inputs={**self.inputs, **renamed})


@dataclass(frozen=True, eq=False)
class Law:
    """A scaling law.

    Attributes:
      name: registry key (``"chinchilla"``).
      title, citation, formula: for listings and reports.
      params: the fitted parameters, in the order of the fitter's vector.
      inputs: run-table columns the law reads (``("N", "D")``); ``target``: the column it predicts.
      predict: pure ``predict(p, x) -> y`` in jnp; ``p`` maps parameter names to values, ``x`` input names to arrays.
      log_predict: optional ``log(predict)`` computed stably (e.g. log-sum-exp); used for log residuals.
      to_natural: optional map to the published parameterisation; by default each ``log_of`` parameter is
        exponentiated (``a -> A = exp(a)``); ``from_natural`` is its inverse.
      featurize: NumPy ``table -> inputs`` run once outside jit (e.g. an LR schedule's S1, S2).
      compute_optimal: optional closed form ``(p, C) -> (N, D)`` for an allocation under ``compute``.
      presets: published parameter sets, ``{name: {"natural": {...}, "citation": str}}``.
      refine: how many screened starts :func:`fit` refines by default.
      forecasts, compute, fixed_inputs, series, column_kinds: what the law declares (see the module docstring).
      anchor: ``(values, scale) -> values``: the start grid (``Param.grid``, in units relative to the data) made
        absolute for data of :class:`DataScale` ``scale``; ``None`` when ``Param.grid`` is absolute.
      published_grid: the absolute start grid a paper used (``{name: values}``), for ``fit(grid="published")``.
      search: a cheaper approximation of this law, used to screen and refine starts before a polish on this law.
      example: ``() -> (data, truth)``: synthetic inputs (a RunTable or columns, no target) and true natural
        parameters, for the conformance suite.
      objective: its default fit objective, overriding :class:`Objective`'s defaults (``{"residuals": "raw",
        "loss": "squared"}``); what a user passes to :func:`fit` overrides both.
      rescalable: scaling the target by c is absorbed by the ``scale`` parameters (a loss in nats or in bits), so
        that a fit does not depend on the target's units; False for a metric bounded in [0, 1] or a form such as
        Isik et al.'s BLEU law, whose target has no free unit.
      derived: quantities an allocation reports beside N*, D* (``{"epochs D/U": fn}``, ``fn`` of the allocated
        inputs, with the fixed ones), each with its band.
      spec: how to rebuild the law from JSON: ``{"factory": name, "args": {...}}`` for a law made by a
        registered factory; ``None`` for a registered law.
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
    to_natural: Callable[[Params], dict] | None = None
    featurize: Callable[[Mapping[str, np.ndarray]], dict] | None = None
    compute_optimal: Callable[[Params, jnp.ndarray], tuple] | None = None
    presets: Mapping[str, Mapping] = field(default_factory=dict)
    refine: int = 16
    forecasts: tuple[str, ...] = ("predict",)
    compute: ComputeModel | None = None
    fixed_inputs: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    column_kinds: Mapping[str, str] = field(default_factory=dict)
    anchor: Callable[[dict, DataScale], dict] | None = None
    published_grid: Mapping[str, tuple] | None = None
    search: "Law | None" = None
    example: Callable[[], tuple] | None = None
    spec: Mapping | None = None
    objective: Mapping = field(default_factory=dict)
    rescalable: bool = True
    constraints: Mapping | None = None  # set by :func:`constrain`: {"base": Law, "fixed": {...}, "tied": {...}}
    derived: Mapping[str, Callable[[Inputs], jnp.ndarray]] = field(default_factory=dict)

    def __post_init__(self):
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"law {self.name}: duplicated parameter names {names}")
        unknown = set(self.forecasts) - set(FORECASTS)
        if unknown:
            raise ValueError(f"law {self.name}: unknown forecasts {sorted(unknown)}; known: {FORECASTS}")
        if "predict" not in self.forecasts:
            object.__setattr__(self, "forecasts", ("predict", *self.forecasts))
        if {"allocation", "target"} & set(self.forecasts) and self.compute is None:
            object.__setattr__(self, "compute", SIX_ND)
        if {"allocation", "target"} & set(self.forecasts):
            absent = [k for k in (self.compute.size, self.compute.data) if k not in self.inputs]
            if absent:
                raise ValueError(f"law {self.name}: its compute model {self.compute.name!r} allocates inputs "
                                 f"{absent}, which are not among its inputs {self.inputs}")

    def __repr__(self) -> str:
        return f"Law({self.name!r}: {self.formula})"

    def can(self, forecast: str) -> bool:
        """Whether the law declares ``forecast`` (one of :data:`FORECASTS`)."""
        return forecast in self.forecasts

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every run-table column a fit of this law needs."""
        return (*self.inputs, self.target)

    def unpack(self, u) -> dict:
        """Unconstrained vector (..., P) -> parameter dict (jnp, differentiable)."""
        return {p.name: p.to_value(u[..., i]) for i, p in enumerate(self.params)}

    def pack(self, values: Mapping[str, float]) -> np.ndarray:
        """Parameter dict -> unconstrained vector (NumPy)."""
        return np.array([p.to_unconstrained(values[p.name]) for p in self.params], dtype=float)

    def natural(self, p: Params) -> dict:
        """Fitted parameters -> the published parameterisation (Chinchilla: a -> A = exp(a))."""
        if self.to_natural is not None:
            return dict(self.to_natural(p))
        return {q.natural_name: q.natural_value(p[q.name]) for q in self.params}

    def from_natural(self, q: Mapping[str, float]) -> dict:
        """The inverse of :meth:`natural` (NumPy floats)."""
        missing = [p.natural_name for p in self.params if p.natural_name not in q]
        if missing:
            raise InputError(f"law {self.name}: missing natural parameters {missing}")
        return {p.name: float(p.from_natural_value(q[p.natural_name])) for p in self.params}

    def start_grid(self, scale: DataScale | None = None, *, published: bool = False) -> np.ndarray:
        """The multi-start grid in unconstrained space, shape (G, P): the grid anchored to data of ``scale``
        (default), or the published absolute grid."""
        if published:
            if self.published_grid is not None:
                params = [dataclasses.replace(p, grid=tuple(self.published_grid[p.name])) for p in self.params]
                values = grid_product(params)
                return self._to_unconstrained({p.name: values[:, i] for i, p in enumerate(params)})
            if self.anchor is not None:
                raise InputError(f"law {self.name} has no published start grid; use grid='data'")
        values = grid_product(self.params)
        values = {p.name: values[:, i] for i, p in enumerate(self.params)}
        if self.anchor is not None:
            if scale is None:
                raise ValueError(f"law {self.name}: its start grid follows the data; pass the data's scale")
            values = {k: np.asarray(v, dtype=float) for k, v in self.anchor(dict(values), scale).items()}
        return self._to_unconstrained(values)

    def _to_unconstrained(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        cols = []
        for p in self.params:
            v = np.asarray(values[p.name], dtype=float)
            # an anchored start can land on or past a bound; start just inside it instead
            lo = p.lower if math.isfinite(p.lower) else -np.inf
            hi = p.upper if math.isfinite(p.upper) else np.inf
            pad = 1e-9 * np.maximum(1.0, np.abs(v))
            v = np.clip(v, lo + pad, hi - pad)
            cols.append(p.to_unconstrained(v))
        return np.stack(cols, axis=-1)

    def features(self, columns) -> dict:
        """Inputs for ``predict`` (jnp, float64 or integer indices) from a run table or a mapping of columns; a
        ``featurize`` runs in NumPy, once, outside jit."""
        raw = self.featurize(columns) if self.featurize is not None else {k: columns[k] for k in self.inputs}
        return {k: on_device(_float_or_index(v)) for k, v in raw.items()}

    def log_prediction(self, p, x):
        if self.log_predict is not None:
            return self.log_predict(p, x)
        return jnp.log(self.predict(p, x))

    def constrain(self, *, fixed: Mapping[str, float] | None = None, tied: Mapping[str, str] | None = None) -> "Law":
        """This law with parameters fixed at values or tied to others; see :func:`constrain`."""
        return constrain(self, fixed=fixed, tied=tied)


def _resolve(base: Law, name: str, value=None):
    """A parameter named by its fitted or natural name -> (fitted name, fitted value)."""
    for p in base.params:
        if name == p.name:
            return p.name, (None if value is None else float(value))
        if name == p.natural_name:
            if value is not None and p.log_of and not value > 0:
                raise InputError(f"{name} must be positive to be fixed (it is exp({p.name})), not {value}")
            return p.name, (None if value is None else float(p.from_natural_value(value)))
    known = sorted({p.name for p in base.params} | {p.natural_name for p in base.params})
    raise InputError(f"law {base.name} has no parameter {name!r}; parameters: {', '.join(known)}")


def constrain(law: Law, *, fixed: Mapping[str, float] | None = None, tied: Mapping[str, str] | None = None) -> Law:
    """``law`` with some parameters fixed at values and others tied to another parameter (``beta = alpha``).

    Parameters may be named by their fitted or natural names (``E`` fixes ``e = log E``). The result is a plain
    :class:`Law` whose free parameters are the rest, so that the fitter, the bootstrap and the forecasts treat it
    like any other; its ``natural`` parameters include the fixed and tied ones, and reports mark them.
    """
    fixed, tied = dict(fixed or {}), dict(tied or {})
    if not fixed and not tied:
        return law
    base = law.constraints["base"] if law.constraints else law
    prior = law.constraints or {"fixed": {}, "tied": {}}
    fix = dict(prior["fixed"])
    tie = dict(prior["tied"])
    problems = []
    for name, value in fixed.items():
        try:
            k, v = _resolve(base, name, value)
            if not math.isfinite(v):
                raise InputError(f"fixed {name} must be finite, not {value}")
            fix[k] = v
        except InputError as exc:
            problems.append(str(exc))
    for name, other in tied.items():
        try:
            k, _ = _resolve(base, name)
            j, _ = _resolve(base, other)
            tie[k] = j
        except InputError as exc:
            problems.append(str(exc))
    both = set(fix) & set(tie)
    if both:
        problems.append(f"parameters both fixed and tied: {sorted(both)}")
    chained = [k for k, j in tie.items() if j in tie or j == k]
    if chained:
        problems.append(f"tie each parameter to a free one; these are tied to a tied parameter or to themselves: "
                        f"{chained}")
    key = (id(base), tuple(sorted(fix.items())), tuple(sorted(tie.items())))
    if key in _CONSTRAINED:  # the same constraints give the same Law object, so jit compiles once
        return _CONSTRAINED[key]
    free = tuple(p for p in base.params if p.name not in fix and p.name not in tie)
    if not free:
        problems.append(f"law {base.name}: no free parameter left")
    if problems:
        raise InputError("; ".join(problems))

    def expand(p):
        full = dict(p)
        shape = jnp.shape(next(iter(p.values())))
        for k, v in fix.items():
            full[k] = jnp.broadcast_to(jnp.asarray(v, dtype=float), shape)
        for k, j in tie.items():
            full[k] = full[j]
        return full

    def anchor(values, scale):
        full = expand({k: jnp.asarray(v) for k, v in values.items()})
        out = base.anchor({k: np.asarray(v) for k, v in full.items()}, scale)
        return {p.name: out[p.name] for p in free}

    def compute_optimal(p, c):
        return base.compute_optimal(expand(p), c)

    tags = [f"{k}={v:.6g}" for k, v in fix.items()] + [f"{k}={j}" for k, j in tie.items()]
    _CONSTRAINED[key] = dataclasses.replace(
        base,
        name=f"{base.name}[{','.join(tags)}]",
        title=f"{base.title}; " + ", ".join(tags),
        params=free,
        predict=lambda p, x: base.predict(expand(p), x),
        log_predict=lambda p, x: base.log_prediction(expand(p), x),
        to_natural=lambda p: base.natural(expand(p)),
        compute_optimal=None if base.compute_optimal is None else compute_optimal,
        anchor=None if base.anchor is None else anchor,
        published_grid=None if base.published_grid is None else {p.name: base.published_grid[p.name] for p in free},
        search=None if base.search is None else constrain(base.search, fixed=fix, tied=tie),
        presets={},
        example=None,
        spec={"factory": "constrained", "args": {"base": law_reference(base), "fixed": fix, "tied": tie}},
        constraints={"base": base, "fixed": fix, "tied": tie},
    )
    return _CONSTRAINED[key]


_CONSTRAINED: dict[tuple, Law] = {}


def law_reference(law: Law) -> dict:
    """What JSON stores to rebuild ``law``: its name, and its factory spec when it has one."""
    return {"name": law.name, **({"spec": dict(law.spec)} if law.spec is not None else {})}
