"""``fit``: the one front door that fits any law to a run table.

Recipe (the same for every law):

1. build the start grid: the law's grid anchored to the data's scale (default, so a fit does not depend on the
   data's units), its published grid (``grid="published"``: Hoffmann's 4500 for Chinchilla), or one start;
2. score every start in one vmapped evaluation;
3. refine the ``refine`` best starts with optax L-BFGS, all in one vmapped, jitted loop, until the gradient test
   ``max|g| <= gtol * |f| + atol`` passes (never on a stalled objective: Hoffmann et al.'s early stop); a law with a
   cheaper ``search`` approximation is screened and refined on that, then polished on itself;
4. a damped-Newton polish for any lane L-BFGS left unconverged (costs nothing when none is);
5. diagnose (see ``_diagnose``): convergence, starts that agree, bounds, degenerate parameters, curvature.

Refining only a few screened starts is what makes this fast: under vmap a while-loop runs until the slowest lane
stops, so refining all 4500 starts costs more than scipy's sequential loop (measured while planning).
"""

from __future__ import annotations

from functools import partial
from typing import Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _export, _solve
from ._diagnose import check_identifiable, diagnose
from ._errors import InputError
from ._law import DataScale, Law, constrain, on_device
from ._objective import Objective
from ._result import FitResult
from ._schema import RunTable, SchemaError, check_kinds, table_from_columns
from .laws import get_law

__all__ = ["fit", "FitError", "Prepared", "prepare", "compiled_programs"]

GRIDS = ("data", "published")


class FitError(RuntimeError):
    """A fit did not converge (``throw=True``); ``result`` holds the flagged :class:`FitResult`."""

    def __init__(self, message: str, result: FitResult):
        super().__init__(message)
        self.result = result


class Prepared(NamedTuple):
    """A law's inputs from a run table, ready for jit: fixed shapes, float64."""

    x: dict
    y: jnp.ndarray
    w: jnp.ndarray  # per-row weight (per-run weight broadcast to its rows)
    run_codes: np.ndarray
    n_runs: int
    fingerprint: str
    input_ranges: dict
    table: RunTable

    def padded(self, codes=None):
        """``(x, y, w, codes)`` (``codes``: one per row, default the run codes), the rows padded to
        :func:`padded_rows` by copies of row 0 at weight 0, so that tables of 150 and 200 rows run one compiled
        program (the CLI's kept executables and the app's first fit serve any upload of similar size). Laws whose
        inputs are not all per-row vectors (per-run series) are not padded."""
        n = len(self.y)
        codes = self.run_codes if codes is None else np.asarray(codes)
        rows = padded_rows(n)
        leaves = jax.tree.leaves(self.x)
        if rows == n or not all(np.ndim(a) == 1 and len(a) == n for a in leaves):
            return self.x, self.y, self.w, on_device(codes)
        idx = np.concatenate([np.arange(n), np.zeros(rows - n, dtype=int)])
        w = np.concatenate([np.asarray(self.w), np.zeros(rows - n)])
        return (jax.tree.map(lambda a: on_device(np.asarray(a)[idx]), self.x), on_device(np.asarray(self.y)[idx]),
                on_device(w), on_device(codes[idx]))


_MIN_ROWS = 16


def padded_rows(n: int) -> int:
    """Rows a table of ``n`` rows is padded to: the next power of two, at least 16 (at most twice the work,
    which is small beside tracing and compiling a program for every distinct row count)."""
    return max(_MIN_ROWS, 1 << max(0, int(n - 1).bit_length()))


def prepare(law: Law, data, weights: Sequence[float] | None = None) -> Prepared:
    """Validate ``data`` (a RunTable, a mapping of columns, or a data frame: pandas, polars, anything with
    ``columns`` and ``items()``) for ``law`` and build its jit-ready inputs.

    Every problem is reported at once: missing columns, values of the wrong kind (a fraction outside [0, 1]),
    missing per-run series."""
    need = law.columns
    if isinstance(data, RunTable):
        table = data
    elif isinstance(data, Mapping) or (hasattr(data, "columns") and hasattr(data, "items")):
        # a data frame is read through its columns, as a mapping is (nothing here imports pandas)
        table = table_from_columns(dict(data.items()), require=need)
    else:
        raise InputError(f"data must be a RunTable, a mapping of columns or a data frame, not {type(data).__name__}")
    problems = [f"law {law.name} needs column {c!r}, which the table lacks (columns: {', '.join(table.columns)})"
                for c in need if c not in table]
    problems += check_kinds(table, {c: k for c, k in law.column_kinds.items() if c in need})
    problems += [f"law {law.name} needs a per-run {s!r} series for each run (attach it with table.with_series"
                 f"({s!r}, ...){' or table.with_schedules(...)' if s == 'lr' else ''})"
                 for s in law.series if not table.series.get(s)]
    if problems:
        raise SchemaError(problems, table.source)
    codes, n_runs = table.run_codes, table.n_runs
    if weights is None:
        w = np.ones(len(table))
    else:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (n_runs,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise InputError(f"weights must be {n_runs} finite non-negative numbers, one per run")
        w = weights[codes]
    x = law.features(table)
    ranges = {c: (float(np.min(table[c])), float(np.max(table[c]))) for c in law.inputs}
    return Prepared(x, on_device(table[law.target]), on_device(w), codes, n_runs,
                    table.fingerprint(law.columns), ranges, table)


@partial(jax.jit, static_argnames=("law", "search", "objective", "refine", "maxiter", "gtol", "atol", "thinned"))
def _fit_core(grid, x, y, w, search_data, *, law, search, objective, refine, maxiter, gtol, atol, thinned=False):
    fun = partial(objective.value, law)
    coarse_fun = fun if search is None else partial(objective.value, search)
    data = (x, y, w) if search_data is None else search_data
    scores = jax.vmap(coarse_fun, in_axes=(0, None, None, None))(grid, *data)
    scores = jnp.where(jnp.isfinite(scores), scores, jnp.inf)
    starts = grid[jnp.argsort(scores)[:refine]]
    coarse = _solve.lbfgs(coarse_fun, starts, data, maxiter=maxiter, gtol=gtol, atol=atol)
    if thinned:
        # the search ran on a subsample of the rows; each lane is polished on all of them in turn (lax.map, not
        # vmap: one lane's Hessian over a million rows at a time bounds the memory, and no lane waits for another)
        def polish(u):
            out = _solve.newton(fun, u[None], (x, y, w), maxiter=50, gtol=gtol, atol=atol)
            return jax.tree.map(lambda a: a[0], out)

        polished = jax.lax.map(polish, coarse.u)
        return polished, coarse.steps + polished.steps
    polished = _solve.newton(fun, coarse.u, (x, y, w), maxiter=20, gtol=gtol, atol=atol)
    if search is None:
        return polished, coarse.steps + polished.steps
    final = _solve.lbfgs(fun, polished.u, (x, y, w), maxiter=maxiter, gtol=gtol, atol=atol)
    return final, coarse.steps + polished.steps + final.steps


THIN_ROWS = 1 << 16  # a table past this many rows is searched on this many of them, then polished on all


def thinned_rows(codes: np.ndarray, target: int | None = None) -> np.ndarray:
    """Indices of about ``target`` rows (default :data:`THIN_ROWS`) spread evenly over each run (every k-th row,
    each run's first and last kept), so that every run and every part of each curve is in the search."""
    keep = max(1, len(codes) // (target or THIN_ROWS))
    index = np.arange(len(codes))
    first = np.r_[True, codes[1:] != codes[:-1]]
    last = np.r_[codes[1:] != codes[:-1], True]
    position = index - np.maximum.accumulate(np.where(first, index, 0))
    return np.flatnonzero((position % keep == 0) | last)


def compiled_programs() -> int:
    """How many fit programs this process has compiled or loaded (one per law, objective, settings and padded data
    shape): a second fit of the same law on same-shaped data adds none."""
    return int(_fit_core._cache_size()) + _export.programs(_fit_core)


def fit(
    law: str | Law,
    data,
    *,
    loss: str | None = None,
    delta: float | None = None,
    residuals: str | None = None,
    weights: Sequence[float] | None = None,
    grid: str = "data",
    init: Mapping[str, float] | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Mapping[str, str] | None = None,
    refine: int | None = None,
    maxiter: int = 1000,
    gtol: float = 1e-8,
    atol: float = 1e-12,
    throw: bool = True,
) -> FitResult:
    """Fit ``law`` to ``data``.

    Args:
      law: a registered law's name (see :func:`available_laws`) or a :class:`Law` (one made at run time too).
      data: a :class:`RunTable` (from :func:`read_runs`) or a mapping of column name to values.
      loss: ``"huber"`` or ``"squared"``; ``delta``: Huber's threshold; ``residuals``: the scale of the
        residuals, ``"log"`` (log prediction - log target), ``"raw"``, ``"logit"`` or ``"cloglog"`` (see
        :class:`Objective`). Each defaults to what the law declares (``law.objective``), else Huber with
        delta 1e-3 on log residuals (Hoffmann et al.'s objective).
      weights: one non-negative weight per run (rows of a run share it); default all 1. Kept in the result, so
        that :func:`bootstrap` refits the same objective.
      grid: ``"data"`` (default): the law's start grid anchored to the data's scale, so that the fit does not
        depend on the data's units; ``"published"``: the absolute grid of the law's paper (Hoffmann's for
        Chinchilla), as the reproductions use.
      init: one start (parameter values by name) instead of a grid.
      fixed: parameters held at values, by fitted or natural name (``{"E": 1.8172}``).
      tied: parameters equal to another (``{"beta": "alpha"}``).
      refine: how many of the best-scoring starts L-BFGS refines (default: the law's ``refine``, 16 for most).
      maxiter: L-BFGS iterations per start at most.
      gtol, atol: converged when ``max|grad| <= gtol * |objective| + atol`` (gradient in unconstrained space).
      throw: raise :class:`FitError` if the best start did not converge (default); with ``False`` return the
        result flagged ``converged=False`` with a warning saying so.

    Returns:
      An immutable :class:`FitResult`.

    Raises:
      SchemaError: the data lack a column the law needs, or hold values of the wrong kind (every problem listed).
      IdentifiabilityError: fewer distinct points than free parameters, or one value of an input the law needs.
      FitError: no convergence (with ``throw=True``).
    """
    law = constrain(get_law(law), fixed=fixed, tied=tied)
    chosen = {k: v for k, v in (("loss", loss), ("delta", delta), ("residuals", residuals)) if v is not None}
    objective = Objective(**{**law.objective, **chosen})
    if grid not in GRIDS:
        raise InputError(f"grid must be one of {GRIDS}, not {grid!r}")
    prep = prepare(law, data, weights)
    outside = objective.domain_problems(np.asarray(prep.y)[np.asarray(prep.w) > 0])
    if outside:
        raise InputError(f"{law.name}: " + "; ".join(outside))
    check_identifiable(law, prep)
    scale = DataScale.of({**{c: prep.table[c] for c in law.inputs}, **{k: np.asarray(v) for k, v in prep.x.items()}},
                         np.asarray(prep.y), np.asarray(prep.w))
    search = law.search
    if init is not None:
        mismatched = set(init) ^ set(law.param_names)
        if mismatched:
            raise InputError(f"init must give exactly the parameters {law.param_names}; mismatched: "
                             f"{sorted(mismatched)}")
        starts, search, how = law.pack(init)[None, :], None, "init"
    else:
        starts, how = law.start_grid(scale, published=grid == "published"), grid
    refine = int(min(law.refine if refine is None else refine, len(starts)))
    x, y, w, _ = prep.padded()
    search_data, thinned = None, False
    if search is not None:
        search_data = (search.features(prep.table), y, w)
    elif init is None and len(prep.y) > THIN_ROWS:
        rows = thinned_rows(np.asarray(prep.run_codes))
        sub = prep.table.select(np.isin(np.arange(len(prep.y)), rows))
        # weights scaled by rows/kept: the search's objective is on the scale of the whole table's
        w_sub = np.asarray(prep.w)[rows] * (len(prep.y) / len(rows))
        search_data, thinned = (law.features(sub), on_device(sub[law.target]), on_device(w_sub)), True
    out, steps = _export.call(_fit_core, on_device(starts), x, y, w, search_data, law=law,
                              search=search, objective=objective, refine=refine, maxiter=int(maxiter),
                              gtol=float(gtol), atol=float(atol), **({"thinned": True} if thinned else {}))
    out, steps = jax.tree.map(np.asarray, out), np.asarray(steps)  # NumPy from here: no op-by-op dispatch
    values = out.value
    best = int(np.nanargmin(np.where(np.isfinite(values), values, np.inf)))
    params = {k: float(v) for k, v in law.unpack(out.u[best]).items()}
    diagnostics, warnings = diagnose(law, objective, prep, scale, out, best, steps, refine, gtol, atol)
    settings = {**objective.to_dict(), "weights": None if weights is None else [float(v) for v in weights],
                "grid": how, "grid_size": int(len(starts)), "refine": refine, "maxiter": int(maxiter),
                "gtol": float(gtol), "atol": float(atol),
                **({"search_rows": int(len(search_data[1]))} if thinned else {})}
    result = FitResult(
        law=law, params=params, settings=settings, diagnostics=diagnostics, fingerprint=prep.fingerprint,
        runs=tuple(prep.table.run_ids), n_points=int(len(prep.y)), n_runs=prep.n_runs,
        input_ranges=prep.input_ranges, warnings=tuple(warnings),
    )
    if throw and not result.converged:
        raise FitError(f"fit of {law.name} did not converge.\n{result.report()}", result)
    return result
