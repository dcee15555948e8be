"""What a fit can and cannot tell: refuse data that cannot determine the law, and flag a fit that looks fine but is not.

Before a fit, :func:`check_identifiable` refuses (``IdentifiabilityError``, naming the counts) data with fewer
distinct points than free parameters, and data with one value of an input the law needs. After it,
:func:`diagnose` collects what a reader must know, each warning with what to try:

- no convergence (gradient test failed), or only one refined start at the best optimum;
- parameters at a bound, degenerate values (a scale collapsed towards 0, an exponent at 0, a parameter run off to
  +-inf in the solver's coordinates);
- a near-singular curvature at the optimum, naming the parameters it cannot resolve (from the weakest eigenvector
  of the Hessian scaled to unit diagonal, which is invariant to each parameter's units);
- residuals far larger than the data's spread (the law explains less than half of it), or as many free
  parameters as distinct points (nothing left to check the fit against).
"""

from __future__ import annotations

from functools import partial

import jax
import numpy as np

from . import _export
from ._errors import IdentifiabilityError
from ._law import on_device

__all__ = ["check_identifiable", "diagnose"]

_SINGULAR = 1e-10  # smallest/largest eigenvalue of the unit-diagonal Hessian below which a direction is unresolved
_RUNAWAY = 100.0  # |u| beyond this (exp(100) ~ 1e43) is a parameter running to +-inf, not an estimate


def distinct_points(law, prep) -> int:
    """Distinct input points among rows of positive weight (per run, for laws that read per-run series)."""
    keep = np.asarray(prep.w) > 0
    cols = [np.asarray(prep.table[c])[keep] for c in law.inputs]
    if law.series:
        cols.append(prep.run_codes[keep].astype(float))
    if not cols or not keep.any():
        return int(keep.sum())
    return int(len(np.unique(np.stack(cols, axis=1), axis=0)))


def check_identifiable(law, prep) -> None:
    """Raise :class:`IdentifiabilityError` when the data cannot determine the law's free parameters."""
    k = len(law.params)
    keep = np.asarray(prep.w) > 0
    runs = len(np.unique(prep.run_codes[keep]))
    points = distinct_points(law, prep)
    problems = []
    if points < k:
        what = ", ".join(law.inputs)
        problems.append(f"law {law.name} has {k} free parameters but the data have {runs} run{'s' * (runs != 1)} "
                        f"({points} distinct point{'s' * (points != 1)} of ({what})): a fit needs at least as many "
                        "distinct points as free parameters; add runs, or fix or tie parameters (fixed=, tied=)")
    for c in law.inputs:
        values = np.unique(np.asarray(prep.table[c])[keep])
        if len(values) == 1 and points >= 1:
            problems.append(f"input {c!r} has a single value ({values[0]:.4g}) in every row: the law's dependence "
                            f"on {c} cannot be fitted; vary {c} across runs")
    if problems:
        raise IdentifiabilityError("; ".join(problems))


@partial(jax.jit, static_argnames=("law", "objective"))
def _hessian(u, x, y, w, *, law, objective):
    return jax.hessian(partial(objective.value, law))(u, x, y, w)


@partial(jax.jit, static_argnames=("law", "objective"))
def _residuals(u, x, y, *, law, objective):
    """The residuals at ``u`` and the targets on the residuals' scale (one program: nothing eager after the fit)."""
    return objective.residual(law, law.unpack(u), x, y), objective.transform(y)


def unresolved(h: np.ndarray, names) -> tuple[list[str], float]:
    """Parameters in the near-null directions of Hessian ``h``, and the scaled condition (smallest/largest
    eigenvalue of ``D h D`` with ``D = diag(h)^-1/2``)."""
    diag = np.abs(np.diag(h))
    if not np.all(np.isfinite(h)):
        return [], float("nan")
    flat = diag <= 1e-300
    if flat.any():  # a parameter the objective does not depend on at all
        return [n for n, f in zip(names, flat) if f], 0.0
    d = 1.0 / np.sqrt(diag)
    eig, vec = np.linalg.eigh(h * d[:, None] * d[None, :])
    ratio = float(eig[0] / eig[-1]) if eig[-1] > 0 else 0.0
    weak = np.flatnonzero(eig <= _SINGULAR * max(eig[-1], 0.0))
    out = []
    for j in weak:
        out += [names[i] for i in np.flatnonzero(np.abs(vec[:, j]) >= 0.3) if names[i] not in out]
    return out, ratio


def _degenerate(law, params: dict, u: np.ndarray, scale) -> list[str]:
    natural = {k: float(v) for k, v in law.natural({k: np.float64(v) for k, v in params.items()}).items()}
    out = []
    for i, p in enumerate(law.params):
        value = natural.get(p.natural_name, params[p.name])
        if abs(u[i]) > _RUNAWAY:
            out.append(f"{p.natural_name} = {value:.3g} ran off towards {'+' if u[i] > 0 else '-'}infinity")
        elif p.role == "scale" and p.log_of and np.log10(abs(value)) < np.log10(scale.target) - 8:
            out.append(f"{p.natural_name} = {value:.3g} collapsed towards 0 (the data's scale is {scale.target:.3g})")
        elif p.role == "exponent" and abs(value) < 1e-3:
            out.append(f"exponent {p.natural_name} = {value:.3g} is at 0 (its term is a constant)")
    return out


def diagnose(law, objective, prep, scale, out, best: int, steps, refine: int, gtol: float, atol: float):
    """(diagnostics, warnings) of the refined lanes ``out`` whose best is lane ``best``."""
    values = np.asarray(out.value)
    value = float(values[best])
    u = np.asarray(out.u[best])
    params = {k: float(v) for k, v in law.unpack(u).items()}
    same = np.isfinite(values) & (np.abs(values - value) <= 1e-6 * abs(value) + 1e-14)
    n_at_best = int(np.sum(same & np.asarray(out.converged)))
    grad_norm = float(out.grad_norm[best])
    converged = bool(out.converged[best])
    tol = gtol * abs(value) + atol  # as _solve.tolerance, in plain floats
    at_bound = [p.name for p in law.params if p.bounded and p.near_bound(params[p.name])]
    warnings = []
    if not np.isfinite(value):
        warnings.append("the objective is not finite at any start: check the data and the law's inputs")
    elif not converged:
        warnings.append(f"did not converge: gradient norm {grad_norm:.3g} > tolerance {tol:.3g} after "
                        f"{int(steps[best])} iterations; try a larger maxiter, another start (init=), or check "
                        "that the law suits the data")
    if at_bound:
        warnings.append(f"parameters at a bound: {', '.join(at_bound)} (the optimum may lie outside the bounds; "
                        "try another law, or fix the parameter at a value you trust)")
    if converged and refine > 1 and n_at_best < 2:
        warnings.append(f"only {n_at_best} of {refine} refined starts reached the best optimum: it may be one of "
                        "several local optima; consider more starts (refine=)")
    degenerate = _degenerate(law, params, u, scale) if np.isfinite(value) else []
    if degenerate:
        warnings.append("degenerate fit: " + "; ".join(degenerate) + ". The data do not pin this parameter down: "
                        "fix it (fixed=), tie it (tied=), use a law with fewer parameters, or add runs that vary "
                        "the input it governs")
    weak, ratio = [], float("nan")
    x, y, w, _ = prep.padded()
    if np.isfinite(value):
        h = np.asarray(_export.call(_hessian, on_device(u), x, y, w, law=law, objective=objective))
        weak, ratio = unresolved(h, list(law.param_names))
        if weak:
            warnings.append(f"near-singular curvature at the optimum (scaled condition {ratio:.2g}): the data "
                            f"cannot resolve {', '.join(weak)} separately; their intervals will be wide. Fix or "
                            "tie one of them, or add runs that vary the inputs they govern")
    r, target = (np.asarray(a)[: len(prep.y)]
                 for a in _export.call(_residuals, on_device(u), x, y, law=law, objective=objective))
    keep = np.asarray(prep.w) > 0
    spread = float(np.sum((target[keep] - target[keep].mean()) ** 2))
    r2 = 1.0 - float(np.sum(r[keep] ** 2)) / spread if spread > 0 else float("nan")
    if np.isfinite(r2) and r2 < 0.5:
        warnings.append(f"the residuals are large beside the data's spread (R^2 {r2:.3f} on the "
                        f"{objective.residuals} scale): the law explains little of the data; check the units and "
                        "the inputs, or try another law")
    points = distinct_points(law, prep)
    if points == len(law.params):
        warnings.append(f"as many free parameters ({', '.join(law.param_names)}) as distinct points ({points}): the "
                        "fit interpolates and nothing is left to check it against; add runs or fix parameters")
    diagnostics = {"objective": value, "converged": converged, "grad_norm": grad_norm, "grad_tol": tol,
                   "iterations": int(steps[best]), "n_refined": refine, "n_at_best": n_at_best,
                   "at_bound": at_bound, "unresolved": weak, "scaled_condition": ratio, "r2": r2,
                   "distinct_points": points}
    return diagnostics, warnings
