"""The only module that reads or writes files: run tables (CSV file or folder of CSVs), JSON results, fit specs."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence

from ._errors import InputError
from ._schema import RunTable, SchemaError, concat_tables, matrix_from_csv, table_from_csv
from .logs._tree import MAX_FILE_BYTES, MAX_UPLOAD_BYTES, size_text

__all__ = ["read_runs", "read_uploads", "read_matrix", "csv_columns", "read_json", "write_json", "write_runs",
           "runs_csv"]


def read_runs(path: str | os.PathLike, *, require: Sequence[str] = (), drop_empty: bool = False,
              rename: Mapping[str, str] | None = None, format: str | None = None, split: str = "train",
              overrides: Mapping[str, Mapping[str, object]] | None = None, max_bytes: int = MAX_FILE_BYTES
              ) -> RunTable:
    """Read and validate a run table: a CSV file, a folder of per-run CSVs (run id = file stem), or training logs
    (Hugging Face checkpoints, W&B exports, TensorBoard, Lightning, MLflow, JSON lines: see
    :func:`scalinglaws.logs.read_logs`, which also says how each name was mapped; the table's ``notes`` say it too).

    ``drop_empty`` drops rows whose numeric canonical cells are empty (noted in the table's ``notes``);
    ``rename`` maps the file's column names (or logged metric names) to others (``{"loss_c4_val": "loss"}``)
    before validation; ``format`` names the format instead of telling it from the files; ``split`` picks a log's
    ``"train"`` or ``"eval"`` rows; ``overrides`` gives run values logs lack (``{"*": {"N": 1.2e8}}``); a file over
    ``max_bytes`` is refused, saying its size.
    Raises :class:`~scalinglaws.SchemaError` naming every problem, including a path that does not exist.
    """
    from .logs import read_logs

    return read_logs(path, format=format, rename=rename, overrides=overrides, drop_empty=drop_empty,
                     require=require, max_bytes=max_bytes).table(split)


def read_matrix(path: str | os.PathLike, *, kind: str = "fraction") -> dict:
    """A labelled matrix from CSV: first column row labels (items), one column per model, every cell of ``kind``
    (pass rates: ``fraction``). Returns ``{"rows", "columns", "values"}``; raises SchemaError naming every problem."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError([f"no such file: {path}"], str(path))
    with path.open("rb") as handle:
        return matrix_from_csv(handle, kind=kind, source=str(path))


def read_uploads(files: Sequence[tuple[str, bytes]], *, drop_empty: bool = False,
                 rename: Mapping[str, str] | None = None, max_bytes: int = MAX_UPLOAD_BYTES) -> RunTable:
    """A run table from CSV contents already in memory (the app's uploads): one file as it is, several (or a zip
    of them) as one table with one run per file (run id = the file's name without ``.csv``) unless they carry a run
    column.
    ``rename`` maps the files' column names to canonical ones where the aliases do not."""
    total = sum(len(data) for _, data in files)
    if total > max_bytes:
        raise SchemaError([f"the upload is {size_text(total)}, over the limit of {size_text(max_bytes)}"])
    files = _unzipped(files, max_bytes)
    if not files:
        raise SchemaError(["no file given (or no CSV in the zip)"])
    if len(files) == 1:
        name, data = files[0]
        return table_from_csv(data, source=name, drop_empty=drop_empty, rename=rename)
    named = [(Path(name).stem, io.BytesIO(data)) for name, data in files]
    return concat_tables(named, source=f"{len(files)} files", drop_empty=drop_empty, rename=rename)


def _unzipped(files: Sequence[tuple[str, bytes]], max_bytes: int = MAX_UPLOAD_BYTES) -> list[tuple[str, bytes]]:
    """The files, with each ``.zip`` replaced by the CSVs inside it (a zip of per-run CSVs: run id = file stem)."""
    out = []
    for name, data in files:
        if not name.lower().endswith(".zip"):
            out.append((name, data))
            continue
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in sorted(archive.infolist(), key=lambda m: m.filename)
                           if m.filename.lower().endswith(".csv") and not Path(m.filename).name.startswith((".", "__"))
                           and "__MACOSX" not in m.filename]
                unpacked = sum(m.file_size for m in members)
                if unpacked > max_bytes:
                    raise SchemaError([f"{name}: unpacks to {size_text(unpacked)}, over the limit of "
                                       f"{size_text(max_bytes)}"])
                out += [(Path(m.filename).name, archive.read(m)) for m in members]
        except SchemaError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
            raise SchemaError([f"{name}: not a readable zip file"]) from None
    return out


def csv_columns(files: Sequence[tuple[str, bytes]]) -> list[str]:
    """The column names in the header lines of CSV contents (in order of first appearance), for mapping them."""
    seen: dict[str, None] = {}
    for _, data in _unzipped(files):
        first = data.decode("utf-8", errors="replace").splitlines()[:1]
        for row in csv.reader(first):
            seen.update(dict.fromkeys(c.strip() for c in row if c.strip()))
    return list(seen)


def read_json(path: str | os.PathLike) -> Any:
    with Path(path).open() as handle:
        return json.load(handle)


def write_json(path: str | os.PathLike, payload: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text + "\n")
    tmp.replace(path)


def read_text(path: str | os.PathLike) -> str:
    return Path(path).read_text()


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_runs(table: RunTable, path: str | os.PathLike) -> None:
    """Write a run table as the canonical CSV (see :func:`runs_csv`), e.g. the table ``scalinglaws convert`` made
    from logs."""
    write_text(path, runs_csv(table))


def runs_csv(table: RunTable) -> str:
    """A run table as canonical CSV text: ``run`` first, then its columns, numbers written exactly (``repr``), so
    that reading it back gives the same table (and fingerprint)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(table.columns)
    writer.writerow(["run", *names])
    columns = [table.columns[n] for n in names]
    for i in range(len(table)):
        writer.writerow([table.runs[i], *(_cell(c[i]) for c in columns)])
    return buffer.getvalue()


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    value = float(value)
    return "" if value != value else repr(value)


def parse_law_spec(text: str) -> Any:
    """A formula law's spec from its JSON or YAML text (JSON is YAML, so YAML's parser reads both)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"a law spec must be JSON or YAML: {exc}") from None


def read_law_spec(path: str | os.PathLike):
    """A formula law from a JSON or YAML file (see :mod:`scalinglaws.laws.formula`)."""
    from .laws.formula import formula_law

    return formula_law(parse_law_spec(Path(path).read_text()))


def read_rows(path: str | os.PathLike) -> list[dict]:
    """A plain CSV file as a list of rows (dicts of strings), for tables that are not run tables (a paper's
    published results, say)."""
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle))
