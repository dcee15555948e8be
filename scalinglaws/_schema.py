"""The canonical run table: column names, aliases, and validation that reports every problem at once.

One row per run (final loss), or one row per logged step of a run (loss curves). Canonical columns:

=======  =========================================================  ==========================================
column   meaning                                                    accepted aliases (case, spaces ignored)
=======  =========================================================  ==========================================
run      run identifier; rows of one run stay together              run_id, run_name, name, id, model
N        parameters                                                 params, n_params, num_params, parameters,
                                                                    model_size
D        training tokens                                            tokens, n_tokens, num_tokens,
                                                                    training_tokens
C        training compute, FLOP                                     flops, compute, training_flop(s)
step     optimiser step (loss curves)                               steps, iteration, iter
lr       learning rate at that step                                 learning_rate
loss     the loss the laws predict                                  train_loss, final_loss
U        unique tokens (data-constrained laws)                      unique_tokens, unique
N_avg    average parameter count over training (sparse runs)        n_avg, avg_params, average_params
bs       batch size in sequences                                    batch_size
bs_tokens batch size in tokens                                      batch_tokens, tokens_per_batch
bleu     BLEU score                                                 bleu_score
accuracy accuracy in [0, 1]                                         acc
error    error rate in [0, 1]                                       err, error_rate
pass_rate pass rate in [0, 1]                                       pass_at_1, passrate
k        samples drawn (repeated sampling)                          num_samples, n_samples
=======  =========================================================  ==========================================

Each column has a *kind*, checked on reading: ``positive`` (N, D, C, loss, U, N_avg, bs, bs_tokens, bleu),
``non_negative`` (step, lr), ``fraction`` in [0, 1] (accuracy, error, pass_rate) and ``count`` (k: whole numbers
>= 0). A law declares the kinds of any other column it reads (:attr:`Law.column_kinds`), checked by the fitter.

Any other numeric column is kept as a metric (e.g. benchmark scores), any other text column as a label (used to
select subsets, e.g. a configuration). If ``D`` is absent it is derived as ``C / (6 N)``; if ``C`` is absent it is
derived as ``6 N D``; the table's ``notes`` say so. Without a ``run`` column each row is its own run, unless the
table has a ``step`` column, in which case it is one run (one curve).

CSV text is parsed by ``_csv`` (the standard library and NumPy; nothing here imports pandas).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from ._csv import frame_from_columns, frame_length, numbers, read_frame, strings

__all__ = ["SchemaError", "RunTable", "validate", "table_from_csv", "table_from_columns", "concat_tables",
           "check_kinds", "COLUMN_KINDS", "KINDS"]

ALIASES: dict[str, tuple[str, ...]] = {
    "run": ("run", "run_id", "run_name", "name", "id", "model"),
    "N": ("n", "params", "n_params", "num_params", "parameters", "model_size"),
    "D": ("d", "tokens", "n_tokens", "num_tokens", "training_tokens"),
    "C": ("c", "flops", "compute", "training_flop", "training_flops"),
    "step": ("step", "steps", "iteration", "iter"),
    "lr": ("lr", "learning_rate"),
    "loss": ("loss", "train_loss", "final_loss"),
    "U": ("u", "unique_tokens", "unique"),
    "N_avg": ("n_avg", "avg_params", "average_params"),
    "bs": ("bs", "batch_size"),
    "bs_tokens": ("bs_tokens", "batch_tokens", "tokens_per_batch"),
    "bleu": ("bleu", "bleu_score"),
    "accuracy": ("accuracy", "acc"),
    "error": ("error", "err", "error_rate"),
    "pass_rate": ("pass_rate", "pass_at_1", "passrate"),
    "k": ("k", "num_samples", "n_samples"),
}
ALIASES_LOOKUP = {alias: canon for canon, aliases in ALIASES.items() for alias in aliases}
CANONICAL_COLUMNS = tuple(ALIASES)  # the columns a file's columns can be mapped to
KINDS = ("positive", "non_negative", "fraction", "count")
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(("N", "D", "C", "loss", "U", "N_avg", "bs", "bs_tokens", "bleu"), "positive"),
    **dict.fromkeys(("step", "lr"), "non_negative"),
    **dict.fromkeys(("accuracy", "error", "pass_rate"), "fraction"),
    "k": "count",
}
NUMERIC = tuple(COLUMN_KINDS)
SERIES_KINDS = {"lr": "non_negative", "sparsity": "fraction"}
_MAX_ROWS_SHOWN = 8


class SchemaError(ValueError):
    """A run table failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[str], source: str = ""):
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"{len(self.problems)} problem(s){where}:\n" + "\n".join(f"  - {p}" for p in self.problems))


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


def _kind_problem(values: np.ndarray, kind: str) -> str:
    """What is wrong with finite ``values`` for ``kind`` ('' when nothing), e.g. 'must be in [0, 1], not at rows 3'."""
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
    return f"{rule}, not at {_rows(index)} (e.g. {values[index[0]]:g})" if len(index) else ""


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


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _rows(index: np.ndarray) -> str:
    shown = ", ".join(str(i + 1) for i in index[:_MAX_ROWS_SHOWN])
    more = f" and {len(index) - _MAX_ROWS_SHOWN} more" if len(index) > _MAX_ROWS_SHOWN else ""
    return f"row{'s' if len(index) > 1 else ''} {shown}{more}"


def validate(frame: Mapping[str, np.ndarray], *, require: Sequence[str] = (), source: str = "",
             drop_empty: bool = False) -> RunTable:
    """Validate a frame (column name -> cells, see ``_csv``) into a :class:`RunTable`, raising
    :class:`SchemaError` with every problem.

    ``require`` names canonical columns that must be present (after deriving D or C). With ``drop_empty``, rows
    whose canonical numeric cells (N, D, C, step, lr, loss) are empty are dropped first, and the notes say which.
    Rows are numbered from 1, the first data row of the input, in messages.
    """
    problems: list[str] = []
    notes: list[str] = []
    n = frame_length(frame)
    if drop_empty:
        empty = np.zeros(n, bool)
        for c in [c for c in frame if canonical_column(c) in NUMERIC]:
            empty |= numbers(frame[c])[2]
        if empty.any():
            notes.append(f"dropped {int(empty.sum())} row(s) with empty values: {_rows(np.flatnonzero(empty))}")
            frame = {k: v[~empty] for k, v in frame.items()}
            n = frame_length(frame)
    rename: dict[str, str] = {}
    claimed: dict[str, list[str]] = {}
    for col in frame:
        canon = canonical_column(col)
        if canon is not None:
            claimed.setdefault(canon, []).append(str(col))
            if len(claimed[canon]) == 1:  # an ambiguous second column keeps its name (and is reported)
                rename[col] = canon
    for canon, cols in claimed.items():
        if len(cols) > 1:
            problems.append(f"columns {cols} all mean {canon!r}; keep one")
    present = list(frame)
    frame = {rename.get(k, k): v for k, v in frame.items()}

    columns: dict[str, np.ndarray] = {}
    non_numeric: dict[str, np.ndarray] = {}
    labels: list[str] = []
    for name, raw in frame.items():
        if name == "run" or name in columns:
            continue
        values, non_numeric[name], missing = numbers(raw)
        bad = np.flatnonzero(non_numeric[name])
        if name in NUMERIC:
            if len(bad):
                problems.append(f"column {name!r}: non-numeric values at {_rows(bad)} (e.g. {raw[bad[0]]!r})")
            columns[name] = values
        elif len(bad) and len(bad) == int((~missing).sum()):
            columns[name] = strings(raw)
            labels.append(name)
        else:
            columns[name] = values

    derived = set()
    if "D" not in columns and "N" in columns and "C" in columns:
        derived.add("D")
        columns["D"] = columns["C"] / (6.0 * columns["N"])
        notes.append("D (tokens) derived from C = 6 N D as C / (6 N)")
    if "C" not in columns and "N" in columns and "D" in columns:
        derived.add("C")
        columns["C"] = 6.0 * columns["N"] * columns["D"]
        notes.append("C (compute) derived as 6 N D")

    missing = [c for c in require if c not in columns]
    if missing:
        have = ", ".join(map(str, present)) or "none"
        for c in missing:
            aliases = ", ".join(a for a in ALIASES.get(c, ()) if a != c.lower())
            hint = f" (or one of: {aliases})" if aliases else ""
            derivable = " ; D can also come from N and C" if c == "D" else ""
            problems.append(f"missing column {c!r}{hint}{derivable}; columns present: {have}")

    # a derived column inherits its sources' problems, which are reported once, at the source
    for name in [c for c in dict.fromkeys((*NUMERIC, *require)) if c in columns and c not in labels
                 and c not in derived]:
        values = columns[name]
        nonfinite = np.flatnonzero(~np.isfinite(values) & ~non_numeric.get(name, False))
        if len(nonfinite):
            problems.append(f"column {name!r}: NaN, inf or empty at {_rows(nonfinite)}")
        bad = _kind_problem(values, COLUMN_KINDS.get(name, "finite"))
        if bad:
            problems.append(f"column {name!r}: {bad}")

    if "run" in frame:
        runs = strings(frame["run"])
        empty = np.flatnonzero(numbers(frame["run"])[2])
        if len(empty):
            problems.append(f"column 'run': empty run id at {_rows(empty)}")
    elif "step" in columns:
        runs = np.full(n, source or "run", dtype=object).astype(str)
    else:
        runs = np.array([f"row{i + 1}" for i in range(n)])

    keys = list(zip(runs, columns["step"])) if "step" in columns else list(runs)
    seen: set = set()
    dup = []
    for i, key in enumerate(keys):
        if key in seen:
            dup.append(i)
        seen.add(key)
    dup = np.asarray(dup, dtype=int)
    if len(dup) and "run" in frame:
        what = "(run, step)" if "step" in columns else "run id (one row per run expected without a step column)"
        problems.append(f"duplicated {what} at {_rows(dup)} (e.g. run {runs[dup[0]]!r})")
    elif len(dup) and "step" in columns:
        problems.append(f"duplicated step at {_rows(dup)}")
    if n == 0:
        problems.append("the table has no rows")

    if problems:
        raise SchemaError(problems, source)
    return RunTable(columns, runs, tuple(notes), source, tuple(labels))


def table_from_csv(buffer, *, require: Sequence[str] = (), source: str = "", drop_empty: bool = False,
                   rename: Mapping[str, str] | None = None) -> RunTable:
    """Parse CSV text or a binary/text buffer into a validated :class:`RunTable`; ``rename`` maps the file's
    column names to the canonical ones (``{"model_size_m": "N"}``) where the aliases do not."""
    frame, problem = read_frame(buffer)
    if problem:
        raise SchemaError([problem], source)
    return validate(_renamed(frame, rename, source), require=require, source=source, drop_empty=drop_empty)


def canonical_column(name: str) -> str | None:
    """The canonical column a file's column name stands for by its aliases (``"train_loss"`` -> ``"loss"``), or
    None."""
    return ALIASES_LOOKUP.get(_normalise(name))


def _renamed(frame, rename: Mapping[str, str | None] | None, source: str):
    """The frame with columns mapped to canonical names; a column mapped to None is left out (a column the file
    keeps under a canonical name, say, that means something else there)."""
    if not rename:
        return frame
    problems = [f"cannot map column {old!r}: the file has no such column" for old, new in rename.items()
                if old not in frame and new is not None]  # leaving out a column the file lacks is no problem
    dropped = {old for old, new in rename.items() if new is None}
    frame = {k: v for k, v in frame.items() if k not in dropped}
    rename = {old: new for old, new in rename.items() if new is not None}
    problems += [f"cannot map {old!r} to {new!r}: {new!r} is not a known column ({', '.join(CANONICAL_COLUMNS)})"
                 for old, new in rename.items() if new not in CANONICAL_COLUMNS]
    targets = list(rename.values())
    problems += [f"two columns mapped to {t!r}" for t in sorted({t for t in targets if targets.count(t) > 1})]
    if problems:
        raise SchemaError(problems, source)
    # a column already named as a mapping's target (or an alias of it) gives way to the chosen one
    displaced = {c for c in frame if c not in rename and canonical_column(c) in set(targets)}
    return {rename.get(k, k): v for k, v in frame.items() if k not in displaced}


def table_from_columns(columns: Mapping[str, Sequence], *, require: Sequence[str] = (), source: str = "") -> RunTable:
    """A validated :class:`RunTable` from a mapping of column name to values (e.g. a dict of arrays)."""
    frame, problem = frame_from_columns(columns)
    if problem:
        raise SchemaError([problem], source)
    return validate(frame, require=require, source=source)


def concat_tables(named: Sequence[tuple[str, object]], *, require: Sequence[str] = (), source: str = "",
                  drop_empty: bool = False, rename: Mapping[str, str] | None = None) -> RunTable:
    """One table from several CSV buffers, one run each (run id = its name), e.g. a folder of per-run CSVs."""
    frames, problems = [], []
    for name, buffer in named:
        frame, problem = read_frame(buffer)
        if problem:
            problems.append(f"{name}: {problem}")
            continue
        try:
            frame = _renamed(frame, rename, name)
        except SchemaError as exc:
            problems += [f"{name}: {p}" for p in exc.problems]
            continue
        if "run" not in map(canonical_column, frame):
            frame = {"run": np.full(frame_length(frame), name, dtype=object), **frame}
        frames.append(frame)
    if problems:
        raise SchemaError(problems, source)
    if not frames:
        raise SchemaError(["no CSV files found"], source)
    names = list(dict.fromkeys(k for f in frames for k in f))  # every file's columns, in order of first appearance
    joined = {k: np.concatenate([f[k] if k in f else np.full(frame_length(f), None, dtype=object) for f in frames])
              for k in names}
    return validate(joined, require=require, source=source, drop_empty=drop_empty)


def matrix_from_csv(buffer, *, kind: str = "fraction", source: str = "") -> dict:
    """A labelled numeric matrix from CSV (first column: row labels; the other columns: one per model), e.g. the
    per-item pass rates COD reads: ``{"rows": (...), "columns": (...), "values": array}``. Every cell must be a
    number of ``kind``; every problem is listed."""
    frame, problem = read_frame(buffer)
    if problem:
        raise SchemaError([problem], source)
    problems = []
    names = list(frame)
    if len(names) < 2 or frame_length(frame) == 0:
        raise SchemaError(["a matrix needs a column of row labels and at least one column of values"], source)
    labels = [str(v) for v in strings(frame[names[0]])]
    repeated = sorted(x for x, k in Counter(labels).items() if k > 1)
    if repeated:
        problems.append(f"duplicated row labels: {repeated[:_MAX_ROWS_SHOWN]}")
    values = np.stack([numbers(frame[c])[0] for c in names[1:]], axis=1)
    bad = ~np.isfinite(values)
    if bad.any():
        where = [f"{labels[i]}/{names[1 + j]}" for i, j in zip(*np.nonzero(bad))][:_MAX_ROWS_SHOWN]
        problems.append(f"{int(bad.sum())} cells are empty or not numbers (e.g. {', '.join(where)})")
    else:
        wrong = _kind_problem(values.ravel(), kind)
        if wrong:
            problems.append(f"values {wrong}")
    if problems:
        raise SchemaError(problems, source)
    return {"rows": tuple(labels), "columns": tuple(map(str, names[1:])), "values": values}
