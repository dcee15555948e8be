"""Row-per-log-call formats: Lightning's ``metrics.csv`` and JSON lines of flat dicts.

- **Lightning** ``CSVLogger`` writes ``<name>/version_<k>/metrics.csv``: one row per ``log`` call group, a column
  for every metric ever logged, empty where that row did not log it (the training rows hold ``train_loss``, the
  validation rows ``val_loss``), with ``step`` and ``epoch``. Rows are merged by step. A run is the folder holding the
  file (``lightning_logs/version_0``). ``hparams.yaml`` beside it gives run values (``n_params`` -> N, ...).
- **JSON lines** (``.jsonl``, ``.ndjson``): one JSON object per line, flat (nested objects are flattened with
  ``/``); a ``run`` (or ``run_id``, ``name``) key names the run, else the file's name does; a ``step`` key (or
  ``global_step``, ``_step``, ``iter``) the step, else each line counts as a step, said so. Lines that are not
  objects, or not JSON, are listed.
"""

from __future__ import annotations

import json
import math
from pathlib import PurePosixPath

import numpy as np

from .._csv import numbers, read_frame
from .._schema import SchemaError
from ._assemble import RunLog, guess_column

__all__ = ["read_lightning", "read_jsonl", "is_lightning_header"]

_RUN_KEYS = ("run", "run_id", "run_name", "name")


def is_lightning_header(header: list[str]) -> bool:
    return "step" in header and "epoch" in header


def _hparams(tree, folder, notes):
    path = f"{folder}/hparams.yaml" if folder != "." else "hparams.yaml"
    if path not in tree.paths:
        return {}
    try:
        import yaml

        loaded = yaml.safe_load(tree.text(path))
    except SchemaError:
        return {}
    except Exception as exc:  # yaml raises many kinds; hparams are optional, so say so and go on
        notes.append(f"{path}: not read ({type(exc).__name__}); pass run values as overrides instead")
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): (v, "hparams.yaml") for k, v in _flat(loaded).items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "/"))
        else:
            out[key] = v
    return out


def read_lightning(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    logs = []
    files = tree.named("metrics.csv") or [p for p in tree.paths if p.lower().endswith(".csv")]
    for path in files:
        frame, problem = read_frame(tree.read(path))
        if problem:
            problems.append(f"{path}: {problem}")
            continue
        folder = str(PurePosixPath(path).parent)
        run = tree.name if folder == "." else folder
        if "step" not in frame:
            problems.append(f"{path}: no 'step' column (columns: {', '.join(frame)})")
            continue
        steps, non_numeric, missing = numbers(frame["step"])
        bad = np.flatnonzero(non_numeric | missing)
        if len(bad):
            problems.append(f"{path}: 'step' is empty or not a number at rows {', '.join(str(i + 1) for i in bad[:6])}")
            continue
        columns = {}
        for name, cells in frame.items():
            if name == "step":
                continue
            values, non_numeric, missing = numbers(cells)
            if non_numeric.any():
                rows = np.flatnonzero(non_numeric)
                problems.append(f"{path}: column {name!r} has non-numeric values at rows "
                                f"{', '.join(str(i + 1) for i in rows[:6])} (e.g. {cells[rows[0]]!r})")
                continue
            columns[name] = (values, ~missing)
        logs.append(RunLog(run, steps, columns, constants=_hparams(tree, folder, notes)))
    return logs


def read_jsonl(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    logs = []
    for path in [p for p in tree.paths if p.lower().endswith((".jsonl", ".ndjson", ".json"))]:
        try:
            lines = tree.text(path).splitlines()
        except SchemaError as exc:
            problems += exc.problems
            continue
        records, bad, not_objects = [], [], []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                bad.append(i + 1)
                continue
            if not isinstance(record, dict):
                not_objects.append(i + 1)
                continue
            records.append((i + 1, _flat(record)))
        if bad:
            problems.append(f"{path}: {len(bad)} line(s) are not JSON: {bad[:6]}")
        if not_objects:
            problems.append(f"{path}: {len(not_objects)} line(s) are not JSON objects: {not_objects[:6]}")
        if bad or not_objects:
            continue
        if not records:
            problems.append(f"{path}: no records")
            continue
        keys = list(dict.fromkeys(k for _, r in records for k in r))
        step_key = next((k for k in keys if guess_column(k)[0] == "step"), None)
        run_key = next((k for k in keys if k.lower() in _RUN_KEYS), None)
        if step_key is None:
            notes.append(f"{path}: no step key; each record counts as one step, in order")
        by_run: dict[str, tuple[list, list]] = {}
        no_step = []
        for n, (line, record) in enumerate(records):
            run = str(record.get(run_key, PurePosixPath(path).stem)) if run_key else PurePosixPath(path).stem
            step = record.get(step_key) if step_key else n
            if not isinstance(step, (int, float)) or isinstance(step, bool) or not math.isfinite(step):
                no_step.append(line)
                continue
            steps, rows = by_run.setdefault(run, ([], []))
            steps.append(step)
            rows.append({k: v for k, v in record.items() if k not in (step_key, run_key)})
        if no_step:
            problems.append(f"{path}: {len(no_step)} record(s) have no numeric {step_key!r}: lines {no_step[:6]}")
            continue
        for run, (steps, rows) in by_run.items():
            text = sorted({k for r in rows for k, v in r.items() if isinstance(v, str)})
            if text:
                notes.append(f"{path}: text values of {text} left out (not metrics)")
            rows = [{k: v for k, v in r.items() if not isinstance(v, (str, list, dict))} for r in rows]
            logs.append(RunLog.from_rows(run, steps, rows))
    return logs
