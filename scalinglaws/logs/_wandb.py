"""Weights & Biases exports: a panel's CSV, the runs table's CSV, and a run's history as Parquet.

- **Panel CSV** ("Download CSV" on a chart): a step column (``Step``, or the panel's x-axis), then one column per run
  and metric, ``"<run> - <metric>"``, with ``__MIN`` / ``__MAX`` columns when the panel shows a range (dropped: they
  are the smoothing window's extremes, not logged values). A run's name may itself hold ``" - "``: the metric is the
  part after the last one.
- **Runs table CSV** (the project's table, exported): one row per run (``Name``, ``State``, then config and summary
  columns). Columns are mapped by their names' aliases, the rest by ``rename``; it is read as a CSV of final values.
- **History Parquet** (``run.history(pandas=True).to_parquet(...)``, or the exported parquet files): one file per
  run (run id = the file's name, or its ``name``/``run`` column), ``_step`` as the step. Needs pyarrow
  (``pip install 'scalinglaws[logs]'``).
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

import numpy as np

from .._csv import numbers, read_frame
from .._schema import SchemaError
from ._assemble import RunLog, guess_column

__all__ = ["read_panel", "read_history", "is_panel_header", "is_runs_table_header"]

_RANGE = ("__MIN", "__MAX")
_SEP = " - "


def is_panel_header(header: list[str]) -> bool:
    rest = [h for h in header[1:] if h.strip()]
    return bool(rest) and all(_SEP in h for h in rest) and _SEP not in header[0]


def is_runs_table_header(header: list[str]) -> bool:
    return "Name" in header and "State" in header


def read_panel(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    logs: dict[str, dict] = {}
    for path in [p for p in tree.paths if p.lower().endswith(".csv")]:
        frame, problem = read_frame(tree.read(path))
        if problem:
            problems.append(f"{path}: {problem}")
            continue
        names = list(frame)
        step_name = names[0]
        steps, non_numeric, missing = numbers(frame[step_name])
        bad = np.flatnonzero(non_numeric | missing)
        if len(bad):
            problems.append(f"{path}: the step column {step_name!r} is empty or not a number at rows "
                            f"{', '.join(str(i + 1) for i in bad[:6])}")
            continue
        ranges = [n for n in names[1:] if n.endswith(_RANGE)]
        if ranges:
            notes.append(f"{path}: {len(ranges)} __MIN/__MAX columns (the panel's smoothing range) left out")
        for name in names[1:]:
            if name in ranges:
                continue
            run, sep, metric = name.rpartition(_SEP)
            if not sep or not run.strip():
                problems.append(f"{path}: column {name!r} is not '<run> - <metric>'")
                continue
            values, non_numeric, missing = numbers(frame[name])
            if non_numeric.any():
                problems.append(f"{path}: column {name!r} has non-numeric values at rows "
                                f"{', '.join(str(i + 1) for i in np.flatnonzero(non_numeric)[:6])}")
                continue
            logged = ~missing
            series = logs.setdefault(run.strip(), {})
            key = metric.strip()
            if key in series:
                old_s, old_v = series[key]
                series[key] = (np.concatenate([old_s, steps[logged]]), np.concatenate([old_v, values[logged]]))
            else:
                series[key] = (steps[logged], values[logged])
        if guess_column(step_name)[0] != "step":
            notes.append(f"{path}: the panel's x-axis {step_name!r} read as the step")
    return [RunLog.from_series(run, series) for run, series in logs.items()]


def read_history(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SchemaError(["reading Parquet needs pyarrow: pip install 'scalinglaws[logs]' (or pip install pyarrow)"],
                          tree.name) from None
    logs = []
    for path in [p for p in tree.paths if p.lower().endswith(".parquet")]:
        try:
            table = pq.read_table(io.BytesIO(tree.read(path)))
        except Exception as exc:  # pyarrow raises its own kinds for every sort of damage
            problems.append(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})")
            continue
        columns = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
        step_name = next((n for n in ("_step", "step", "Step", "trainer/global_step", "global_step") if n in columns),
                         None)
        if step_name is None:
            problems.append(f"{path}: no step column (_step, step, trainer/global_step) among {list(columns)[:12]}")
            continue
        run_name = next((n for n in ("name", "run", "run_id", "run_name") if n in columns), None)
        run_ids = (np.asarray(columns[run_name]).astype(str) if run_name else
                   np.full(len(columns[step_name]), PurePosixPath(path).stem, dtype=object))
        steps, bad_steps, missing_steps = numbers(np.asarray(columns[step_name], dtype=object))
        skipped = [n for n in columns if n.startswith("_") and n != step_name]
        for run in dict.fromkeys(run_ids):
            rows = (run_ids == run) & ~(bad_steps | missing_steps)
            series = {}
            for name, values in columns.items():
                if name in (step_name, run_name) or name in skipped:
                    continue
                v, non_numeric, missing = numbers(np.asarray(values, dtype=object))
                if non_numeric[rows].all():
                    continue  # a text column (a tag, a phase): not a metric
                keep = rows & ~missing & ~non_numeric
                series[name] = (steps[keep], v[keep])
            logs.append(RunLog.from_series(str(run), series))
        if (bad_steps | missing_steps).any():
            notes.append(f"{path}: {int((bad_steps | missing_steps).sum())} row(s) without a step left out")
        if skipped:
            notes.append(f"{path}: W&B's own columns {skipped} left out")
    return logs
