"""Forecasts from a fitted law: predictions with bands, compute-optimal allocation, compute for a target loss.

Every quantity is computed at the fitted parameters and, when the result carries bootstrap draws, at every draw
(vmapped), giving percentile intervals. A forecast beyond the fitted range says how far, in orders of magnitude.

Compute-optimal allocation under the law's declared compute model (C = 6 N D unless the law gives its own): the
law's closed form when it has one (Chinchilla), otherwise a numerical minimum of L(N, D(N, C)) over log N (a dense
grid, then Newton steps on log N), which serves any law that declares ``"allocation"``, with its fixed inputs (e.g.
unique tokens U) held at given values. The compute for a target loss inverts the optimal loss L*(C), which falls
monotonically in C, by bisection in log C; a target the law never reaches raises
:class:`~scalinglaws.UnreachableTargetError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import InputError, UnreachableTargetError
from ._law import Law
from ._result import FitResult, _broadcast, check_level, percentile_interval
from ._table import COLUMN_KINDS, _kind_problem

__all__ = ["Band", "Forecast", "Allocation", "forecast", "compute_optimal", "compute_for_target",
           "allocation_exponent"]

_LOG_C_RANGE = (np.log(1e6), np.log(1e40))
_BATCH_ELEMENTS = 20_000_000  # draws evaluated together: at most this many elements in their largest input


def csv_text(rows: Sequence[Mapping]) -> str:
    """Rows of equal keys as CSV text: a header of the keys, then numbers to 6 significant digits."""
    keys = list(rows[0]) if rows else []
    cell = lambda v: f"{v:.6g}" if isinstance(v, (float, np.floating)) else str(v)  # noqa: E731
    return "".join(",".join(map(cell, line)) + "\n" for line in [keys, *([r[k] for k in keys] for r in rows)])


@dataclass(frozen=True)
class Band:
    """A value and its bootstrap interval (``lower``/``upper`` NaN without draws)."""

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_dict(self) -> dict:
        return {k: np.asarray(getattr(self, k)).tolist() for k in ("value", "lower", "upper")}


@dataclass(frozen=True)
class Forecast:
    inputs: Mapping[str, np.ndarray]
    prediction: Band
    level: float
    warnings: tuple[str, ...] = ()

    target: str = "loss"

    def to_dict(self) -> dict:
        return {"inputs": {k: np.asarray(v).tolist() for k, v in self.inputs.items()}, "target": self.target,
                "prediction": self.prediction.to_dict(), "level": self.level, "warnings": list(self.warnings)}

    def summary(self) -> str:
        names = list(self.inputs)
        band = self.prediction
        lines = ["  ".join(f"{n:>11}" for n in names) + f"  {self.target:>11}  {100 * self.level:g}% interval"]
        for i in range(len(np.atleast_1d(band.value))):
            row = "  ".join(f"{np.atleast_1d(self.inputs[n])[i]:>11.4g}" for n in names)
            row += f"  {np.atleast_1d(band.value)[i]:>11.5g}"
            if np.isfinite(np.atleast_1d(band.lower)[i]):
                row += f"  ({np.atleast_1d(band.lower)[i]:.5g}, {np.atleast_1d(band.upper)[i]:.5g})"
            lines.append(row)
        return "\n".join(lines + [f"warning: {w}" for w in self.warnings])


@dataclass(frozen=True)
class Allocation:
    """Compute-optimal N*, D*, tokens per parameter and loss at compute C (each a :class:`Band`)."""

    compute: Band
    N: Band
    D: Band
    tokens_per_param: Band
    loss: Band
    level: float
    method: str
    warnings: tuple[str, ...] = field(default=())
    fixed: Mapping[str, float] = field(default_factory=dict)
    draws_reaching: float = float("nan")  # compute_for_target: the fraction of draws that reach the target
    size: str = "N"  # the law's inputs that ``N`` and ``D`` are (a sparse law's size is its average N_avg)
    data: str = "D"
    derived: Mapping[str, Band] = field(default_factory=dict)  # what the law reports beside N*, D* (epochs D/U)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k).to_dict() for k in ("compute", "N", "D", "tokens_per_param", "loss")}
        return {**out, "level": self.level, "method": self.method, "warnings": list(self.warnings),
                "fixed": dict(self.fixed), "draws_reaching": self.draws_reaching, "size": self.size,
                "data": self.data, "derived": {k: b.to_dict() for k, b in self.derived.items()}}

    def rows(self) -> list[dict]:
        """The allocation as table rows (quantity, value, lower, upper), for the app and CSV downloads."""
        names = {"compute": "compute C (FLOP)", "N": f"parameters {self.size}*", "D": f"tokens {self.data}*",
                 "tokens_per_param": "tokens per parameter", "loss": "loss"}
        bands = [(label, getattr(self, k)) for k, label in names.items()] + list(self.derived.items())
        return [{"quantity": label, "value": float(b.value), "lower": float(b.lower), "upper": float(b.upper)}
                for label, b in bands]

    def to_csv(self) -> str:
        """:meth:`rows` as CSV text (a header, then one line per quantity)."""
        return csv_text(self.rows())

    def summary(self) -> str:
        def row(name, band, fmt):
            s = f"  {name:<18}{format(float(band.value), fmt):>12}"
            if np.isfinite(band.lower).all() and not band.lower == band.upper:  # a given quantity has no spread
                s += f"   ({format(float(band.lower), fmt)}, {format(float(band.upper), fmt)})"
            return s

        lines = [f"Compute-optimal allocation ({self.method}; {100 * self.level:g}% bootstrap interval)"]
        lines += [f"  {k + ' (fixed)':<18}{v:>12.4g}" for k, v in self.fixed.items()]
        lines += [row("compute C", self.compute, ".4g"), row(f"parameters {self.size}*", self.N, ".4g"),
                  row(f"tokens {self.data}*", self.D, ".4g"), row("tokens/param", self.tokens_per_param, ".4g"),
                  row("loss", self.loss, ".5g")]
        lines += [row(name, band, ".4g") for name, band in self.derived.items()]
        if np.isfinite(self.draws_reaching) and self.draws_reaching < 1:
            lines.append(f"  {100 * self.draws_reaching:.1f}% of the bootstrap draws reach the target; the interval "
                         "is over those")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _param_sets(result: FitResult):
    """Fitted parameters (P,) and, if any, bootstrap draws (B, P) as dicts of jnp arrays."""
    law = result.law
    fitted = {k: jnp.asarray(v) for k, v in result.params.items()}
    draws = None
    if result.draws is not None:
        draws = {k: jnp.asarray(v) for k, v in result.fitted_draws().items()}
    return law, fitted, draws


@partial(jax.jit, static_argnames=("law",))
def _predict_at(params, x, *, law):
    return law.predict(params, x)


@partial(jax.jit, static_argnames=("law",))
def _predict_draws(draws, x, *, law):
    return jax.vmap(lambda p: law.predict(p, x))(draws)


def predict_samples(result: FitResult, x) -> tuple[np.ndarray, np.ndarray | None]:
    """The law on features ``x`` at the fitted parameters and, if the result has draws, at each draw (B, rows).

    Draws go a batch at a time, so that a large input (an exact Multi-Power sum) stays within memory."""
    law, fitted, draws = _param_sets(result)
    value = np.asarray(_predict_at(fitted, x, law=law))
    if draws is None:
        return value, None
    per_batch = max(1, _BATCH_ELEMENTS // max(int(v.size) for v in x.values()))
    n = len(result.draws)
    samples = [np.asarray(_predict_draws({k: v[i : i + per_batch] for k, v in draws.items()}, x, law=law))
               for i in range(0, n, per_batch)]
    return value, np.concatenate(samples)


def predict_band(result: FitResult, x, level: float) -> Band:
    """:func:`predict_samples` as a value and its percentile band (NaN without draws)."""
    check_level(level)  # also where there are no draws: a preset's forecast says its level
    value, samples = predict_samples(result, x)
    if samples is None:
        nan = np.full_like(value, np.nan, dtype=float)
        return Band(value, nan, nan)
    return Band(value, *percentile_interval(samples, level, axis=0))


def extrapolation_warnings(result: FitResult, inputs: Mapping[str, np.ndarray]) -> tuple[str, ...]:
    """One warning per input taken beyond the fitted range, saying by how many orders of magnitude."""
    out = []
    for name, (lo, hi) in result.input_ranges.items():
        if name not in inputs:
            continue
        values = np.asarray(inputs[name], dtype=float)
        above = np.log10(np.max(values) / hi) if np.max(values) > hi else 0.0
        below = np.log10(lo / np.min(values)) if np.min(values) < lo else 0.0
        if above > 0.01:  # within 2% of the range is interpolation for any practical purpose
            out.append(f"{name} up to {np.max(values):.3g} is {above:.2f} orders of magnitude above the fitted "
                       f"range (max {hi:.3g})")
        if below > 0.01:
            out.append(f"{name} down to {np.min(values):.3g} is {below:.2f} orders of magnitude below the fitted "
                       f"range (min {lo:.3g})")
    return tuple(out)


def forecast(result: FitResult, inputs: Mapping[str, object], *, level: float = 0.9) -> Forecast:
    """Predict the law at ``inputs`` (columns by name, broadcast together) with a bootstrap band."""
    law = result.law
    missing = [c for c in law.inputs if c not in inputs]
    if missing:
        raise InputError(f"law {law.name} needs inputs {list(law.inputs)}; missing: {missing}")
    if law.series:
        raise InputError(f"law {law.name} predicts curves under a per-run {', '.join(law.series)} series: use "
                         "scalinglaws.curves.predict_curve")
    columns = _broadcast({k: inputs[k] for k in inputs})
    problems = []
    for name in law.inputs:  # a forecast at D = -5 is an input error, not a NaN band
        values = np.asarray(columns[name], dtype=float)
        kind = law.column_kinds.get(name, COLUMN_KINDS.get(name, "finite"))
        bad = "is NaN or inf" if not np.all(np.isfinite(values)) else _kind_problem(values, kind, "position")
        if bad:
            problems.append(f"input {name!r} ({kind}) {bad}")
    if problems:
        raise InputError("; ".join(problems))
    band = predict_band(result, law.features(columns), level)
    return Forecast(columns, band, level, extrapolation_warnings(result, columns), law.target)


def _optimum(law: Law, p, log_c, fixed):
    """(N*, D*, loss) at compute exp(log_c) for parameters p: closed form, or numerical along the compute model."""
    size, data = law.compute.size, law.compute.data
    if law.compute_optimal is not None and not fixed:
        n, d = law.compute_optimal(p, jnp.exp(log_c))
        return n, d, law.predict(p, {size: n, data: d})
    c = jnp.exp(log_c)

    def inputs(log_n):
        n = jnp.exp(log_n)
        return {size: n, data: law.compute.tokens(n, c, fixed), **fixed}

    def log_loss(log_n):
        return law.log_prediction(p, inputs(log_n))

    # N between (C/6)^0.05 and (C/6)^0.95: wide enough for any sane allocation
    log_nd = log_c - jnp.log(6.0)
    grid = jnp.linspace(0.05, 0.95, 513) * log_nd
    values = jax.vmap(log_loss)(grid)
    log_n = grid[jnp.argmin(jnp.where(jnp.isfinite(values), values, jnp.inf))]
    d1, d2 = jax.grad(log_loss), jax.grad(jax.grad(log_loss))
    spacing = grid[1] - grid[0]

    def newton(_, ln):
        step = -d1(ln) / jnp.where(d2(ln) > 0, d2(ln), jnp.inf)
        return ln + jnp.clip(step, -spacing, spacing)

    log_n = jax.lax.fori_loop(0, 30, newton, log_n)
    x = inputs(log_n)
    return x[size], x[data], law.predict(p, x)


def _require(law: Law, what: str, fixed: Mapping[str, float]):
    if not law.can(what):
        raise InputError(f"law {law.name} does not declare {what!r} forecasts; it declares: "
                         f"{', '.join(law.forecasts)}")
    missing = [k for k in law.fixed_inputs if k not in fixed]
    unknown = [k for k in fixed if k not in law.fixed_inputs]
    if missing or unknown:
        raise InputError(f"law {law.name} holds {list(law.fixed_inputs) or 'no inputs'} fixed in an allocation"
                         + (f"; give {missing} (fixed=...)" if missing else "")
                         + (f"; it has no fixed input {unknown}" if unknown else ""))


@partial(jax.jit, static_argnames=("law",))
def _allocation(p, log_c, fixed, *, law):
    n, d, loss = _optimum(law, p, log_c, fixed)
    x = {law.compute.size: n, law.compute.data: d, **fixed}
    derived = {name: fn(x) for name, fn in law.derived.items()}
    return {"compute": jnp.exp(log_c), "N": n, "D": d, "tokens_per_param": d / n, "loss": loss, **derived}


def _allocate(result, log_c_fn, level, fixed):
    law, fitted, draws = _param_sets(result)
    fixed_j = {k: jnp.asarray(float(v)) for k, v in fixed.items()}

    def quantities(p):
        return _allocation(p, log_c_fn(p), fixed_j, law=law)

    value = {k: np.asarray(v) for k, v in quantities(fitted).items()}
    reaching = float("nan")
    if draws is not None:
        samples = {k: np.asarray(v) for k, v in jax.vmap(quantities)(draws).items()}
        bands = {k: Band(value[k], *percentile_interval(samples[k], level)) for k in value}
        reaching = float(np.mean(np.isfinite(samples["compute"])))
    else:
        bands = {k: Band(value[k], np.nan, np.nan) for k in value}
    closed = law.compute_optimal is not None and not fixed
    method = "closed form" if closed else f"numerical minimum along {law.compute.name}"
    size, data = law.compute.size, law.compute.data
    warnings = extrapolation_warnings(result, {size: np.atleast_1d(value["N"]), data: np.atleast_1d(value["D"]),
                                               **{k: np.atleast_1d(v) for k, v in fixed.items()}})
    derived = {name: bands.pop(name) for name in law.derived}
    return Allocation(level=level, method=method, warnings=warnings, fixed=dict(fixed), draws_reaching=reaching,
                      size=size, data=data, derived=derived, **bands)


def compute_optimal(result: FitResult, compute: float, *, fixed: Mapping[str, float] | None = None,
                    level: float = 0.9) -> Allocation:
    """N*, D*, tokens per parameter and loss minimising the law at compute ``compute`` (FLOP, under the law's
    compute model), with the law's fixed inputs (e.g. ``fixed={"U": 1e11}``) held at the given values."""
    check_level(level)
    fixed = dict(fixed or {})
    _require(result.law, "allocation", fixed)
    if not compute > 0:
        raise InputError(f"compute must be positive, not {compute}")
    log_c = float(np.log(compute))
    return _allocate(result, lambda p: jnp.asarray(log_c), level, fixed)


def log_compute_for_target(law: Law, p, *, log_target, fixed):
    """log C at which the compute-optimal loss of parameters ``p`` falls to exp(log_target) (bisection in log C over
    1e6 to 1e40 FLOP; L*(C) falls monotonically), NaN where it never does. Traceable: vmapped over draws."""
    def too_high(log_c):
        return jnp.log(_optimum(law, p, log_c, fixed)[2]) > log_target

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        high = too_high(mid)
        return jnp.where(high, mid, lo), jnp.where(high, hi, mid)

    lo, hi = jax.lax.fori_loop(0, 80, bisect, (jnp.asarray(_LOG_C_RANGE[0]), jnp.asarray(_LOG_C_RANGE[1])))
    reachable = ~too_high(jnp.asarray(_LOG_C_RANGE[1]))
    return jnp.where(reachable, hi, jnp.nan)


def compute_for_target(result: FitResult, target: float, *, fixed: Mapping[str, float] | None = None,
                       level: float = 0.9) -> Allocation:
    """The least compute (and its N*, D*) whose compute-optimal loss reaches ``target``.

    Raises :class:`UnreachableTargetError` when the fitted law never reaches the target (e.g. at or below
    Chinchilla's E). Draws that cannot reach it are left out of the interval; ``draws_reaching`` says how many did.
    """
    law = result.law
    check_level(level)
    fixed = dict(fixed or {})
    _require(law, "target", fixed)
    if not target > 0:
        raise InputError(f"target loss must be positive, not {target}")
    log_target = float(np.log(target))
    fixed_j = {k: jnp.asarray(float(v)) for k, v in fixed.items()}

    log_c_for = partial(log_compute_for_target, law, log_target=log_target, fixed=fixed_j)

    allocation = _allocate(result, log_c_for, level, fixed)
    if not np.isfinite(allocation.compute.value):
        floor = float(allocation.loss.value) if np.isfinite(allocation.loss.value) else float("nan")
        raise UnreachableTargetError(
            f"a {law.target} of {target:g} is not reached below C = 1e40 FLOP at the fitted parameters (the law's "
            f"floor lies at or above it{f'; at 1e40 FLOP it predicts {floor:.5g}' if np.isfinite(floor) else ''}): "
            "choose a higher target")
    return allocation


def allocation_exponent(result: FitResult, c_lo: float, c_hi: float, *, fixed: Mapping[str, float] | None = None,
                        level: float = 0.9) -> Band:
    """The exponent a of N*(C) ~ C^a between budgets ``c_lo`` and ``c_hi``: the slope of log N* in log C of the
    law's compute-optimal allocation (for Chinchilla exactly beta / (alpha + beta)), with its band over the draws.
    Any law that declares an allocation gives it, so approach 3 can be set beside approach 2's line."""
    fixed = dict(fixed or {})
    _require(result.law, "allocation", fixed)
    if not 0 < c_lo < c_hi:
        raise InputError(f"need 0 < c_lo < c_hi, not {c_lo}, {c_hi}")
    law, fitted, draws = _param_sets(result)
    fixed_j = {k: jnp.asarray(float(v)) for k, v in fixed.items()}
    lo, hi = jnp.asarray(float(np.log(c_lo))), jnp.asarray(float(np.log(c_hi)))

    def slope(p):
        n_lo = _allocation(p, lo, fixed_j, law=law)["N"]
        n_hi = _allocation(p, hi, fixed_j, law=law)["N"]
        return (jnp.log(n_hi) - jnp.log(n_lo)) / (hi - lo)

    value = np.asarray(slope(fitted))
    if draws is None:
        return Band(value, np.asarray(np.nan), np.asarray(np.nan))
    return Band(value, *percentile_interval(np.asarray(jax.vmap(slope)(draws)), level))
