"""MLflow tracking stores: the file store (``mlruns/``) and the SQLite store (``mlflow.db``), read without MLflow.

- **File store**: ``<experiment>/<run>/meta.yaml`` (``run_name``, ``lifecycle_stage``), ``metrics/<key>`` (one line
  per logged value: ``timestamp value step``; a key with ``/`` is a nested path), ``params/<key>`` (one value).
- **SQLite store**: the ``runs``, ``metrics`` (``key, value, timestamp, step, is_nan``) and ``params`` tables.

A run is named by its run name (with its id's first 8 characters where two runs share one); deleted runs are left
out and said so. Params are the run's values: ``n_params`` -> N, ``batch_size`` -> bs, any other by ``rename``.
"""

from __future__ import annotations

import sqlite3
from pathlib import PurePosixPath

import numpy as np

from .._schema import SchemaError
from ._assemble import RunLog

__all__ = ["read_mlflow_files", "read_mlflow_sqlite", "mlflow_run_folders", "is_sqlite"]


def is_sqlite(head: bytes) -> bool:
    return head.startswith(b"SQLite format 3\x00")


def mlflow_run_folders(tree) -> list[str]:
    return sorted({str(PurePosixPath(p).parent) for p in tree.named("meta.yaml")
                   if any(q.startswith(f"{PurePosixPath(p).parent}/metrics/") for q in tree.paths)})


def _meta(tree, folder):
    import yaml

    path = f"{folder}/meta.yaml"
    try:
        meta = yaml.safe_load(tree.text(path))
    except SchemaError:
        return {}
    except Exception:  # a damaged meta.yaml: the run is still named by its folder
        return {}
    return meta if isinstance(meta, dict) else {}


def _named(entries):
    """Run names made distinct: a shared name gets its id's first 8 characters."""
    counts = {}
    for _, name, _ in entries:
        counts[name] = counts.get(name, 0) + 1
    return [(rid, name if counts[name] == 1 else f"{name} ({rid[:8]})", rest) for rid, name, rest in entries]


def read_mlflow_files(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    entries, deleted = [], []
    for folder in mlflow_run_folders(tree):
        meta = _meta(tree, folder)
        rid = str(meta.get("run_id") or meta.get("run_uuid") or PurePosixPath(folder).name)
        if meta.get("lifecycle_stage") == "deleted":
            deleted.append(rid)
            continue
        tag = f"{folder}/tags/mlflow.runName"
        name = meta.get("run_name") or (tree.text(tag).strip() if tag in tree.paths else "") or rid
        entries.append((rid, str(name), folder))
    if deleted:
        notes.append(f"{len(deleted)} deleted run(s) left out: {', '.join(deleted[:6])}")
    logs = []
    for rid, name, folder in _named(entries):
        series = {}
        for path in tree.under(f"{folder}/metrics"):
            key = path[len(folder) + len("/metrics/"):]
            steps, values, bad = [], [], []
            try:
                lines = tree.text(path).splitlines()
            except SchemaError as exc:
                problems += exc.problems
                continue
            for i, line in enumerate(lines):
                fields = line.split()
                if not fields:
                    continue
                try:
                    value = float(fields[1])
                    step = float(fields[2]) if len(fields) > 2 else 0.0
                except (IndexError, ValueError):
                    bad.append(i + 1)
                    continue
                steps.append(step)
                values.append(value)
            if bad:
                problems.append(f"{path}: lines {bad[:6]} are not 'timestamp value step'")
            series[key] = (np.array(steps), np.array(values))
        constants = {}
        for path in tree.under(f"{folder}/params"):
            try:
                constants[path[len(folder) + len("/params/"):]] = (tree.text(path).strip(), "MLflow param")
            except SchemaError as exc:
                problems += exc.problems
        logs.append(RunLog.from_series(name, series, constants=constants))
    return logs


def read_mlflow_sqlite(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    databases = [p for p in tree.paths if is_sqlite(tree.head(p, 16))]
    logs = []
    with tree.on_disk(databases) as root:
        for path in databases:
            try:
                with sqlite3.connect(f"file:{root / path}?mode=ro", uri=True) as db:
                    runs = db.execute("SELECT run_uuid, name, lifecycle_stage FROM runs").fetchall()
                    metrics = db.execute("SELECT run_uuid, key, value, step, is_nan FROM metrics "
                                         "ORDER BY run_uuid, key, timestamp, step").fetchall()
                    params = db.execute("SELECT run_uuid, key, value FROM params").fetchall()
            except sqlite3.Error as exc:
                problems.append(f"{path}: not an MLflow SQLite store ({exc})")
                continue
            deleted = [r for r, _, stage in runs if stage == "deleted"]
            if deleted:
                notes.append(f"{path}: {len(deleted)} deleted run(s) left out")
            alive = [(r, str(name or r), None) for r, name, stage in runs if stage != "deleted"]
            by_run: dict[str, dict[str, tuple[list, list]]] = {}
            for rid, key, value, step, is_nan in metrics:
                steps, values = by_run.setdefault(rid, {}).setdefault(key, ([], []))
                steps.append(float(step or 0))
                values.append(float("nan") if is_nan else float(value))
            values_of: dict[str, dict] = {}
            for rid, key, value in params:
                values_of.setdefault(rid, {})[key] = (value, "MLflow param")
            for rid, name, _ in _named(alive):
                series = {k: (np.array(s), np.array(v)) for k, (s, v) in by_run.get(rid, {}).items()}
                logs.append(RunLog.from_series(name, series, constants=values_of.get(rid, {})))
    return logs
