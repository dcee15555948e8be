"""The validated run table (:class:`RunTable`), the kinds its numeric columns are checked against, and
:class:`SchemaError`, which names every problem found at once. Tables are built by ``_schema`` (from CSV text,
columns or several tables); this module only holds and checks them (NumPy; nothing here imports pandas)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["SchemaError", "RunTable", "check_kinds", "COLUMN_KINDS", "KINDS", "SERIES_KINDS"]

KINDS = ("positive", "non_negative", "fraction", "count")
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(("N", "D", "C", "loss", "U", "N_avg", "bs", "bs_tokens", "bleu"), "positive"),
    **dict.fromkeys(("step", "lr"), "non_negative"),
    **dict.fromkeys(("accuracy", "error", "pass_rate"), "fraction"),
    "k": "count",
}
SERIES_KINDS = {"lr": "non_negative", "sparsity": "fraction"}
_MAX_ROWS_SHOWN = 8


class SchemaError(ValueError):
    """A run table failed validation; ``problems`` lists every problem found, ``hint`` (may be empty) a way out."""

    def __init__(self, problems: Sequence[str], source: str = "", hint: str = ""):
        self.problems = list(problems)
        self.source = source
        self.hint = hint
        where = f" in {source}" if source else ""
        super().__init__(f"{len(self.problems)} problem(s){where}:\n" + "\n".join(f"  - {p}" for p in self.problems)
                         + (f"\n  hint: {hint}" if hint else ""))


@dataclass(frozen=True, eq=False)
class RunTable:
    """A validated run table: float64 NumPy columns, run ids, and notes on what was derived.

    ``columns`` holds canonical and metric columns (float64) and label columns (str); ``runs`` the run id of each
    row. Rows are in file order.
    """

    columns: Mapping[str, np.ndarray]
    runs: np.ndarray
    notes: tuple[str, ...] = ()
    source: str = ""
    labels: tuple[str, ...] = field(default=())
    series: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self):
        for a in (*self.columns.values(), self.runs, *(v for s in self.series.values() for v in s.values())):
            a.flags.writeable = False

    @property
    def schedules(self) -> Mapping[str, np.ndarray]:
        """The per-step LR schedule of each run (the series ``"lr"``), empty when none is attached."""
        return self.series.get("lr", {})

    def with_series(self, name: str, per_run: Mapping[str, Sequence[float]], *, kind: str | None = None
                    ) -> "RunTable":
        """This table with a per-step series (``values[0..T-1]``, indexed by ``step``) for each run: an LR schedule
        (``"lr"``), a sparsity schedule (``"sparsity"``), or any other.

        Every run needs one, 1-D and finite, of its kind (``non_negative`` for lr, ``fraction`` for sparsity, or
        ``kind``), long enough to cover the run's last logged step. Every problem is reported at once.
        """
        kind = kind or SERIES_KINDS.get(name, "finite")
        problems, checked = [], {}
        steps = self.columns.get("step")
        rows_of = self.rows_of_runs()
        for run in self.run_ids:
            if run not in per_run:
                problems.append(f"run {run!r}: no {name} series given")
                continue
            values = np.array(per_run[run], dtype=float)
            bad = _kind_problem(values, kind) if values.ndim == 1 else "is not 1-D"
            if bad or not np.all(np.isfinite(values)):
                problems.append(f"run {run!r}: the {name} series must be a 1-D array of finite values "
                                f"({kind}); it {bad or 'has NaN or inf'}")
                continue
            if steps is not None:
                last = int(np.max(steps[rows_of[run]]))
                if last >= len(values):
                    problems.append(f"run {run!r}: logged up to step {last} but the {name} series has "
                                    f"{len(values)} steps")
            checked[run] = values
        if steps is None:
            problems.append(f"a {name} series needs a 'step' column")
        elif np.any(steps != np.round(steps)):
            problems.append(f"column 'step' must hold whole numbers to index a per-step {name} series")
        if problems:
            raise SchemaError(problems, self.source)
        return dataclasses.replace(self, series={**self.series, name: checked})

    def with_schedules(self, schedules: Mapping[str, Sequence[float]]) -> "RunTable":
        """This table with a per-step LR schedule (``eta[0..T-1]``) for each run, as the LR-schedule laws need:
        the series ``"lr"`` (see :meth:`with_series`)."""
        return self.with_series("lr", schedules)

    def describe(self) -> list[dict]:
        """One row per column: its name, kind, and range (or distinct labels), for reports and the app."""
        rows = [{"column": "run", "kind": "run id", "range": f"{self.n_runs} runs"}]
        for name, values in self.columns.items():
            if name in self.labels:
                distinct = list(dict.fromkeys(values.tolist()))
                shown = ", ".join(map(str, distinct[:4])) + (" ..." if len(distinct) > 4 else "")
                rows.append({"column": name, "kind": "label", "range": f"{len(distinct)} values: {shown}"})
            else:
                finite = values[np.isfinite(values)]
                span = f"{finite.min():.4g} .. {finite.max():.4g}" if len(finite) else "no finite values"
                rows.append({"column": name, "kind": COLUMN_KINDS.get(name, "metric"), "range": span})
        return rows

    def with_column(self, name: str, values, *, kind: str | None = None) -> "RunTable":
        """This table with one more numeric column (one value per row), checked against its kind."""
        values = np.array(np.broadcast_to(np.asarray(values, dtype=float), (len(self),)))
        kind = kind or COLUMN_KINDS.get(name, "finite")
        bad = _kind_problem(values, kind)
        if bad:
            raise SchemaError([f"column {name!r} ({kind}) {bad}"], self.source)
        labels = tuple(x for x in self.labels if x != name)
        return dataclasses.replace(self, columns={**self.columns, name: values}, labels=labels)
    def __len__(self) -> int:
        return len(self.runs)

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @functools.cached_property
    def _run_index(self) -> tuple[np.ndarray, np.ndarray]:
        # (run ids in order of first appearance, each row's index among them): one sort of the ids, kept (the
        # table is immutable), instead of comparing every row's id with every run's
        uniq, first, inverse = np.unique(self.runs, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        return uniq[order], rank[inverse.ravel()]

    @property
    def run_ids(self) -> np.ndarray:
        """Distinct run ids in order of first appearance."""
        return self._run_index[0].copy()

    @property
    def run_codes(self) -> np.ndarray:
        """For each row, the index of its run in ``run_ids``."""
        return self._run_index[1].copy()

    def rows_of_runs(self) -> dict[str, np.ndarray]:
        """Each run's row indices (in row order), keyed by run id in order of first appearance."""
        ids, codes = self._run_index
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
        return {run: order[bounds[i] : bounds[i + 1]] for i, run in enumerate(ids)}

    @property
    def n_runs(self) -> int:
        return len(self.run_ids)

    def fingerprint(self, names: Iterable[str] | None = None) -> str:
        """sha256 (16 hex digits) of the run ids and the named numeric columns, in row order."""
        h = hashlib.sha256()
        h.update("\x1f".join(map(str, self.runs)).encode())
        for name in sorted(names if names is not None else [c for c in self.columns if c not in self.labels]):
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.columns[name], dtype=np.float64).tobytes())
        for name in sorted(self.series):
            if name != "lr":  # an LR schedule hashes as it always has, so older fingerprints still match
                h.update(name.encode())
            for run in sorted(self.series[name]):
                h.update(run.encode())
                h.update(np.ascontiguousarray(self.series[name][run]).tobytes())
        return h.hexdigest()[:16]

    def select(self, mask) -> "RunTable":
        """The rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        cols = {k: v[mask] for k, v in self.columns.items()}
        runs = self.runs[mask]
        present = set(runs)
        kept = {name: {r: v for r, v in per_run.items() if r in present} for name, per_run in self.series.items()}
        return RunTable(cols, runs, self.notes, self.source, self.labels, kept)

    def where(self, **labels: str) -> "RunTable":
        """Rows whose label columns (or run id, ``run=``) equal the given values, e.g. ``where(hparams="tuned")``."""
        missing = [k for k in labels if k not in self.columns and k != "run"]
        if missing:
            raise SchemaError([f"no column {k!r} to select on (columns: {', '.join(self.columns)})" for k in missing])
        mask = np.ones(len(self), dtype=bool)
        for k, v in labels.items():
            column = self.runs if k == "run" else self.columns[k]
            mask &= column.astype(str) == str(v)
        return self.select(mask)

    def label_values(self, name: str) -> list[str]:
        """The distinct values of a label column (or of the run ids, ``"run"``), sorted."""
        if name != "run" and name not in self.columns:
            raise SchemaError([f"no column {name!r} (columns: {', '.join(self.columns)})"])
        return sorted(set(map(str, self.runs if name == "run" else self.columns[name])))

    def with_runs(self, ids: Iterable) -> "RunTable":
        """The rows of the given runs (an unknown run id is an error naming it)."""
        ids = [str(i) for i in ids]
        unknown = sorted(set(ids) - set(map(str, self.run_ids)))
        if unknown:
            raise SchemaError([f"no run {u!r} in the table (runs: {', '.join(map(str, self.run_ids))})" for u in unknown])
        return self.select(np.isin(self.runs.astype(str), ids))

    def at_most(self, name: str, value: float) -> "RunTable":
        """The rows whose numeric column ``name`` is at most ``value`` (e.g. the models up to a size)."""
        if name not in self.columns:
            raise SchemaError([f"no column {name!r} (columns: {', '.join(self.columns)})"])
        return self.select(np.asarray(self.columns[name], dtype=float) <= value)

    def distinct(self, name: str) -> list[float]:
        """The distinct values of a numeric column, sorted."""
        if name not in self.columns:
            raise SchemaError([f"no column {name!r} (columns: {', '.join(self.columns)})"])
        return [float(v) for v in np.unique(np.asarray(self.columns[name], dtype=float))]

    def drop_largest(self, name: str, n: int) -> "RunTable":
        """Drop rows whose ``name`` is at or above the n-th largest value (Besiroglu et al.'s outlier rule)."""
        values = self.columns[name]
        if n <= 0:
            return self
        return self.select(values < np.sort(values)[-n])


def _kind_problem(values: np.ndarray, kind: str, unit: str = "row") -> str:
    """What is wrong with finite ``values`` for ``kind`` ('' when nothing), e.g. 'must be in [0, 1], not at rows 3'
    (``unit`` names what the values are numbered by)."""
    finite = np.isfinite(values)
    if kind == "positive":
        bad, rule = finite & (values <= 0), "must be positive"
    elif kind == "non_negative":
        bad, rule = finite & (values < 0), "must be non-negative"
    elif kind == "fraction":
        bad, rule = finite & ((values < 0) | (values > 1)), "must be a fraction in [0, 1]"
    elif kind == "count":
        bad, rule = finite & ((values < 0) | (values != np.round(values))), "must be a whole number >= 0"
    elif kind == "finite":
        return ""
    else:
        raise ValueError(f"column kind must be one of {KINDS}, not {kind!r}")
    index = np.flatnonzero(bad)
    return f"{rule}, not at {_rows(index, unit)} (e.g. {values[index[0]]:g})" if len(index) else ""


def check_kinds(table: "RunTable", kinds: Mapping[str, str]) -> list[str]:
    """Problems of the table's columns against ``kinds`` (column -> kind): non-finite values and kind violations."""
    problems = []
    for name, kind in kinds.items():
        if name not in table.columns or name in table.labels:
            continue
        values = table.columns[name]
        nonfinite = np.flatnonzero(~np.isfinite(values))
        if len(nonfinite):
            problems.append(f"column {name!r}: NaN, inf or empty at {_rows(nonfinite)}")
        bad = _kind_problem(values, kind)
        if bad:
            problems.append(f"column {name!r}: {bad}")
    return problems


def _rows(index: np.ndarray, unit: str = "row") -> str:
    shown = ", ".join(str(i + 1) for i in index[:_MAX_ROWS_SHOWN])
    more = f" and {len(index) - _MAX_ROWS_SHOWN} more" if len(index) > _MAX_ROWS_SHOWN else ""
    return f"{unit}{'s' if len(index) > 1 else ''} {shown}{more}"
