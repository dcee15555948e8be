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

import re
from collections import Counter
from typing import Mapping, Sequence

import numpy as np

from ._csv import frame_from_columns, frame_length, numbers, read_frame, strings
# the table itself and its kinds live in _table; they are named here too, where every reader looks for them
from ._table import _MAX_ROWS_SHOWN, COLUMN_KINDS, KINDS, RunTable, SchemaError, _kind_problem, _rows, check_kinds

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
NUMERIC = tuple(COLUMN_KINDS)
_COLUMNS_SHOWN = 20  # a missing column's message lists at most these of the columns present (wide files have 100+)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def validate(frame: Mapping[str, np.ndarray], *, require: Sequence[str] = (), source: str = "",
             drop_empty: bool = False, found: Sequence[str] = ()) -> RunTable:
    """Validate a frame (column name -> cells, see ``_csv``) into a :class:`RunTable`, raising
    :class:`SchemaError` with every problem.

    ``require`` names canonical columns that must be present (after deriving D or C). With ``drop_empty``, rows
    with an empty cell in a canonical numeric column (``NUMERIC``: N, D, C, step, lr, loss, ...) are dropped first,
    and the notes say which. Rows are numbered from 1, the first data row of the input, in messages. ``found``:
    problems the reader found, reported with these.
    """
    problems: list[str] = list(found)
    notes: list[str] = []
    n = frame_length(frame)
    empty = np.zeros(n, bool)
    for c in [c for c in frame if canonical_column(c) in NUMERIC]:
        empty |= numbers(frame[c])[2]
    empty_hint = ""
    if not drop_empty and empty.any():  # said only if the table fails: an empty cell is a problem of its column
        empty_hint = (f"{_rows(np.flatnonzero(empty))} {'have' if empty.sum() > 1 else 'has'} empty cells; to leave "
                      "such rows out, read with drop_empty=True (the CLI's --drop-empty, the app's 'Leave out rows "
                      "with empty cells')")
    if drop_empty:
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
        shown = list(map(str, present))[:_COLUMNS_SHOWN]
        have = (", ".join(shown) or "none") + (f", ... ({len(present)} in all)" if len(present) > len(shown) else "")
        for c in missing:
            aliases = ", ".join(a for a in ALIASES.get(c, ()) if a != c.lower())
            aka = f" (or one of: {aliases})" if aliases else ""
            derivable = " ; D can also come from N and C" if c == "D" else ""
            problems.append(f"missing column {c!r}{aka}{derivable}; columns present: {have}")

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
        raise SchemaError(problems, source, empty_hint)
    return RunTable(columns, runs, tuple(notes), source, tuple(labels))


def table_from_csv(buffer, *, require: Sequence[str] = (), source: str = "", drop_empty: bool = False,
                   rename: Mapping[str, str] | None = None) -> RunTable:
    """Parse CSV text or a binary/text buffer into a validated :class:`RunTable`; ``rename`` maps the file's
    column names to the canonical ones (``{"model_size_m": "N"}``) where the aliases do not."""
    frame, problems = _read(buffer, rename)
    if frame is None:
        raise SchemaError(problems, source)
    return validate(_renamed(frame, rename, source), require=require, source=source, drop_empty=drop_empty,
                    found=problems)


def _read(buffer, rename: Mapping[str, str | None] | None) -> tuple[dict | None, list[str]]:
    """The frame of CSV input and its header's problems, or None and why the input is not a readable CSV.

    A header name that repeats is ambiguous where it names a canonical column (which of them is N?); a repeated
    metric or label keeps its suffixed copies (``score``, ``score.1``)."""
    repeated: list[str] = []
    frame, problem = read_frame(buffer, repeated)
    if problem:
        return None, [problem]
    rename = rename or {}
    return frame, [f"column {name!r} appears more than once in the header (the others read as {name}.1, ...); "
                   "keep one" for name in repeated
                   if (rename[name] if name in rename else canonical_column(name)) is not None]


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
        frame, found = _read(buffer, rename)
        problems += [f"{name}: {p}" for p in found]
        if frame is None:
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
