"""Read the logs people already have: Hugging Face Trainer states, W&B exports, TensorBoard event files,
Lightning's metrics.csv, MLflow stores, JSON lines, and the canonical CSV.

``read_logs(path)`` tells the format from the file or folder (or takes ``format=``), maps each format to the run table
and says what it mapped, guessed, derived and left out (:class:`LogTable`). :func:`scalinglaws.read_runs` is the
same with the train split's table returned. Run-level values that logs rarely hold (N, tokens per step, sequence
length, batch size) come from ``overrides``: ``{"*": {...}, "<run>": {...}}``, from the command line
(``--set [RUN:]KEY=VALUE``), a YAML or JSON side file (:func:`read_overrides`) or the app.

This package and ``_io`` are the only code that reads files.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Mapping, Sequence

from .._schema import RunTable, SchemaError, concat_tables, table_from_csv
from ._assemble import OVERRIDE_KEYS, assemble, check_overrides, guess_column
from ._tree import MAX_FILE_BYTES, MAX_UPLOAD_BYTES, Tree

__all__ = ["read_logs", "read_log_uploads", "LogTable", "FORMATS", "detect_format", "upload_format", "read_overrides",
           "parse_overrides", "guess_column", "OVERRIDE_KEYS", "MAX_FILE_BYTES", "MAX_UPLOAD_BYTES"]

FORMATS = {
    "csv": "the canonical run table (a CSV, or a folder of per-run CSVs)",
    "hf": "Hugging Face Trainer trainer_state.json (a folder of checkpoint-* folders, or the file)",
    "wandb-panel": "W&B panel CSV export (Step, '<run> - <metric>' columns)",
    "wandb-runs": "W&B runs-table CSV export (one row per run: Name, State, config and summary columns)",
    "wandb-history": "W&B run history as Parquet (one file per run)",
    "tensorboard": "TensorBoard event files (events.out.tfevents.*), one run per folder",
    "lightning": "Lightning CSVLogger metrics.csv (version_* folders)",
    "mlflow": "MLflow file store (mlruns/)",
    "mlflow-sqlite": "MLflow SQLite store (mlflow.db)",
    "jsonl": "JSON lines of flat dicts (.jsonl, .ndjson)",
}


@dataclass(frozen=True)
class LogTable:
    """What a log reader made: the train and eval tables, and the record of how.

    ``mapping`` holds ``(logged name, column, how)``; how is ``given`` (``rename`` or overrides), ``alias`` (the
    schema's), ``guessed`` (a usual logger's spelling), or where a run value came from. ``dropped`` lists every row
    left out, with why; ``notes`` everything else the reader decided."""

    format: str
    source: str
    train: RunTable | None
    eval: RunTable | None
    mapping: tuple[tuple[str, str, str], ...] = ()
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()

    def table(self, split: str = "train") -> RunTable:
        """The ``"train"`` or ``"eval"`` rows as a run table, its notes carrying this record."""
        if split not in ("train", "eval"):
            raise SchemaError([f"split must be 'train' or 'eval', not {split!r}"], self.source)
        table = self.train if split == "train" else self.eval
        if table is None:
            other = "eval" if split == "train" else "train"
            have = f"; the logs have {other} rows (split={other!r})" if getattr(self, other) is not None else ""
            raise SchemaError([f"the logs have no {split} rows{have}"], self.source)
        return dataclasses.replace(table, notes=(*table.notes, *self.report_lines()))

    def report_lines(self) -> list[str]:
        lines = [] if self.format == "csv" else [f"read as {self.format}: {FORMATS.get(self.format, self.format)}"]
        lines += [f"{name!r} -> {column} ({how})" if name != column else f"{column}: {how}"
                  for name, column, how in self.mapping]
        return lines + list(self.dropped) + list(self.notes)

    def summary(self) -> str:
        splits = ", ".join(f"{s} {len(t)} rows" for s, t in (("train", self.train), ("eval", self.eval))
                           if t is not None)
        head = f"{self.source}: {len(self.runs) or (self.train.n_runs if self.train else 0)} run(s), {splits}"
        return "\n".join([head, *(f"  {line}" for line in self.report_lines())])

    def to_dict(self) -> dict:
        return {"format": self.format, "source": self.source, "runs": list(self.runs),
                "rows": {s: (len(t) if t is not None else 0) for s, t in (("train", self.train), ("eval", self.eval))},
                "mapping": [{"logged": n, "column": c, "how": h} for n, c, h in self.mapping],
                "dropped": list(self.dropped), "notes": list(self.notes)}


def _is_csv(p: str) -> bool:
    return p.lower().endswith(".csv")


def _header(tree: Tree, path: str) -> list[str]:
    import csv
    import io

    first = tree.head(path, 65536).decode("utf-8-sig", errors="replace").splitlines()[:1]
    return [c.strip() for c in next(csv.reader(io.StringIO(first[0])), [])] if first else []


def detect_format(tree: Tree) -> str:
    """The format of a tree of files (see :data:`FORMATS`), by the files the tools write and the headers inside."""
    from ._mlflow import is_sqlite, mlflow_run_folders
    from ._tensorboard import is_event_file
    from ._wandb import is_panel_header, is_runs_table_header
    from ._tables import is_lightning_header

    paths = tree.paths
    if not paths:
        raise SchemaError(["no files found"], tree.name)
    if tree.named("trainer_state.json"):
        return "hf"
    if any(is_event_file(p) for p in paths):
        return "tensorboard"
    if mlflow_run_folders(tree):
        return "mlflow"
    if any(p.lower().endswith((".db", ".sqlite", ".sqlite3")) and is_sqlite(tree.head(p, 16)) for p in paths):
        return "mlflow-sqlite"
    metrics = tree.named("metrics.csv")
    if metrics and is_lightning_header(_header(tree, metrics[0])):
        return "lightning"
    if any(p.lower().endswith(".parquet") for p in paths):
        return "wandb-history"
    if any(p.lower().endswith((".jsonl", ".ndjson")) for p in paths):
        return "jsonl"
    csvs = [p for p in paths if _is_csv(p)]
    if csvs:
        header = _header(tree, csvs[0])
        if is_panel_header(header):
            return "wandb-panel"
        if is_runs_table_header(header):
            return "wandb-runs"
        return "csv"
    jsons = [p for p in paths if p.lower().endswith(".json")]
    if jsons:
        return "hf" if b'"log_history"' in tree.head(jsons[0], 1 << 20) else "jsonl"
    shown = ", ".join(paths[:6]) + (" ..." if len(paths) > 6 else "")
    raise SchemaError([f"cannot tell the format of {tree.name} (files: {shown}); name it with format= (--format), "
                       f"one of: {', '.join(FORMATS)}"], tree.name)


def _csv_table(tree: Tree, source: str, *, require, drop_empty, rename) -> RunTable:
    csvs = [p for p in tree.paths if _is_csv(p)]
    top = [p for p in csvs if "/" not in p]
    csvs = top or csvs  # a folder of per-run CSVs: the files at its top (as it always read), else those below
    if not csvs:
        raise SchemaError([f"no CSV files found in {tree.name}"], source)
    if tree.single:
        return table_from_csv(tree.read(csvs[0]), require=require, source=source, drop_empty=drop_empty,
                              rename=rename)
    named = [(PurePosixPath(p).stem if "/" not in p else p[: -len(".csv")], tree.read(p)) for p in csvs]
    return concat_tables(named, require=require, source=source, drop_empty=drop_empty, rename=rename)


def _read(tree: Tree, source: str, *, format, rename, overrides, drop_empty, require) -> LogTable:
    fmt = format or detect_format(tree)
    if fmt not in FORMATS:
        raise SchemaError([f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}"], source)
    if fmt in ("csv", "wandb-runs"):
        if overrides:
            problems = check_overrides(overrides, [])
            raise SchemaError([*problems, "overrides apply to logs; give a CSV's run values as its columns"], source)
        table = _csv_table(tree, source, require=require, drop_empty=drop_empty, rename=rename)
        notes = ()
        if fmt == "wandb-runs" and "State" in table.labels:
            states = {str(s) for s in table["State"]} - {"finished"}
            if states:
                notes = (f"runs in state {', '.join(sorted(states))} kept: check they are complete",)
        return LogTable(fmt, source, table, None, notes=notes, runs=tuple(map(str, table.run_ids)))
    from . import _hf, _mlflow, _tables, _tensorboard, _wandb

    reader = {"hf": _hf.read_hf, "wandb-panel": _wandb.read_panel, "wandb-history": _wandb.read_history,
              "tensorboard": _tensorboard.read_tensorboard, "lightning": _tables.read_lightning,
              "mlflow": _mlflow.read_mlflow_files, "mlflow-sqlite": _mlflow.read_mlflow_sqlite,
              "jsonl": _tables.read_jsonl}[fmt]
    problems: list[str] = []
    notes: list[str] = []
    logs = reader(tree, problems, notes)
    if problems:
        raise SchemaError(problems, source)
    result = assemble(logs, fmt=fmt, source=source, rename=rename, overrides=overrides, drop_empty=drop_empty,
                      notes=notes)
    missing = [c for c in require if result.train is not None and c not in result.train]
    if missing:
        raise SchemaError([f"missing column {c!r} in the logs' train rows (columns: {', '.join(result.train.columns)})"
                           for c in missing], source)
    return result


def read_logs(path: str | os.PathLike, *, format: str | None = None, rename: Mapping[str, str] | None = None,
              overrides: Mapping[str, Mapping[str, object]] | None = None, drop_empty: bool = False,
              require: Sequence[str] = (), max_bytes: int = MAX_FILE_BYTES) -> LogTable:
    """Read training logs from a file or folder (format from the files, or ``format=``, see :data:`FORMATS`).

    ``rename`` maps logged names to columns (``{"val/ppl_loss": "loss"}``, ``"eval_loss"`` for an eval loss);
    ``overrides`` gives run values (``{"*": {"seq_len": 2048}, "run-a": {"N": 1.2e8, "bs": 256}}``); a file over
    ``max_bytes`` is refused with its size. Raises :class:`SchemaError` naming every problem."""
    tree = Tree.from_path(path, max_bytes=max_bytes)
    return _read(tree, str(path), format=format, rename=rename, overrides=overrides, drop_empty=drop_empty,
                 require=require)


def read_log_uploads(files: Sequence[tuple[str, bytes]], *, format: str | None = None,
                     rename: Mapping[str, str] | None = None, overrides: Mapping[str, Mapping[str, object]] | None = None,
                     drop_empty: bool = False, max_bytes: int = MAX_UPLOAD_BYTES) -> LogTable:
    """:func:`read_logs` for contents already in memory (the app's uploads; a zip keeps its folders)."""
    if not files:
        raise SchemaError(["no file given"])
    tree = Tree.from_uploads(files, max_bytes=max_bytes)
    return _read(tree, tree.name, format=format, rename=rename, overrides=overrides, drop_empty=drop_empty,
                 require=())


def upload_format(files: Sequence[tuple[str, bytes]], *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The format of uploaded contents (see :data:`FORMATS`); raises SchemaError when it cannot be told."""
    if not files:
        raise SchemaError(["no file given"])
    return detect_format(Tree.from_uploads(files, max_bytes=max_bytes))


def parse_overrides(data) -> dict[str, dict[str, object]]:
    """Overrides from a loaded side file: ``{run or "*": {key: value}}``, or a flat ``{key: value}`` for every run."""
    if not isinstance(data, Mapping):
        raise SchemaError([f"overrides must map run names to their values, not {type(data).__name__}"])
    if all(not isinstance(v, Mapping) for v in data.values()):
        return {"*": dict(data)}
    bad = [k for k, v in data.items() if not isinstance(v, Mapping)]
    if bad:
        raise SchemaError([f"overrides for {k!r} must map names to values" for k in bad])
    return {str(k): dict(v) for k, v in data.items()}


def read_overrides(path: str | os.PathLike) -> dict[str, dict[str, object]]:
    """Overrides from a YAML or JSON side file (see :func:`parse_overrides`)."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise SchemaError([f"no such overrides file: {path}"])
    text = path.read_text()
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # json and yaml raise their own kinds
        raise SchemaError([f"{path}: not readable as {'JSON' if path.suffix.lower() == '.json' else 'YAML'} "
                           f"({type(exc).__name__}: {exc})"]) from None
    return parse_overrides(data)
