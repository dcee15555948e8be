"""The only module that reads or writes files: run tables (CSV file or folder of CSVs), JSON results, fit specs."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence

from ._schema import RunTable, SchemaError, concat_tables, matrix_from_csv, table_from_csv

__all__ = ["read_runs", "read_uploads", "read_matrix", "csv_columns", "read_json", "write_json"]


def read_runs(path: str | os.PathLike, *, require: Sequence[str] = (), drop_empty: bool = False,
              rename: Mapping[str, str] | None = None) -> RunTable:
    """Read and validate a run table from a CSV file, or from a folder of per-run CSVs (run id = file stem).

    ``drop_empty`` drops rows whose numeric canonical cells are empty (noted in the table's ``notes``);
    ``rename`` maps the file's column names to others (``{"loss_c4_val": "loss"}``) before validation.
    Raises :class:`~scalinglaws.SchemaError` naming every problem, including a path that does not exist.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        named = [(f.stem, f.open("rb")) for f in files]
        try:
            return concat_tables(named, require=require, source=str(path), drop_empty=drop_empty, rename=rename)
        finally:
            for _, handle in named:
                handle.close()
    if not path.exists():
        raise SchemaError([f"no such file or folder: {path}"], str(path))
    with path.open("rb") as handle:
        return table_from_csv(handle, require=require, source=str(path), drop_empty=drop_empty, rename=rename)


def read_matrix(path: str | os.PathLike, *, kind: str = "fraction") -> dict:
    """A labelled matrix from CSV: first column row labels (items), one column per model, every cell of ``kind``
    (pass rates: ``fraction``). Returns ``{"rows", "columns", "values"}``; raises SchemaError naming every problem."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError([f"no such file: {path}"], str(path))
    with path.open("rb") as handle:
        return matrix_from_csv(handle, kind=kind, source=str(path))


def read_uploads(files: Sequence[tuple[str, bytes]], *, drop_empty: bool = False,
                 rename: Mapping[str, str] | None = None) -> RunTable:
    """A run table from CSV contents already in memory (the app's uploads): one file as it is, several (or a zip
    of them) as one table with one run per file (run id = the file's name without ``.csv``) unless they carry a run
    column.
    ``rename`` maps the files' column names to canonical ones where the aliases do not."""
    files = _unzipped(files)
    if not files:
        raise SchemaError(["no file given (or no CSV in the zip)"])
    if len(files) == 1:
        name, data = files[0]
        return table_from_csv(data, source=name, drop_empty=drop_empty, rename=rename)
    named = [(Path(name).stem, io.BytesIO(data)) for name, data in files]
    return concat_tables(named, source=f"{len(files)} files", drop_empty=drop_empty, rename=rename)


def _unzipped(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The files, with each ``.zip`` replaced by the CSVs inside it (a zip of per-run CSVs: run id = file stem)."""
    out = []
    for name, data in files:
        if not name.lower().endswith(".zip"):
            out.append((name, data))
            continue
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                out += [(Path(member).name, archive.read(member)) for member in sorted(archive.namelist())
                        if member.lower().endswith(".csv") and not Path(member).name.startswith((".", "__"))]
        except zipfile.BadZipFile:
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
