"""CSV text to columns of cells, and cells to numbers: the parsing under the schema, in the standard library and
NumPy (no pandas: importing it cost a third of a second of every CLI command).

A *frame* is an ordered mapping of column name to a 1-D object array of cells, each a string, a number, or None for
a missing cell. What counts as missing follows the usual CSV conventions (pandas' defaults): an empty cell, or one
of ``NA``, ``N/A``, ``NaN``, ``nan``, ``null``, ``NULL``, ``None``, ``#N/A``, ``<NA>`` and the like.
"""

from __future__ import annotations

import csv
import io
from typing import Mapping

import numpy as np

__all__ = ["read_frame", "frame_from_columns", "frame_length", "numbers", "strings"]

MISSING = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def read_frame(buffer, repeated: list | None = None) -> tuple[dict[str, np.ndarray] | None, str]:
    """A frame from CSV bytes, text or a buffer (a header line, then one line per row), or None and the reason
    the input is not a readable CSV.

    Fields are separated by commas, or by tabs or semicolons where the header line has no comma but one of those
    (a TSV, a spreadsheet's export in a locale whose decimal mark is the comma). Blank lines are skipped; a row
    shorter than the header is padded with missing cells, a longer one is an error; a repeated column name gets a
    suffix (``loss``, ``loss.1``; each such name is appended to ``repeated`` when given), an empty one is named
    ``Unnamed: i``."""
    data = buffer.read() if hasattr(buffer, "read") else buffer
    try:
        text = data.decode("utf-8-sig") if isinstance(data, (bytes, bytearray)) else str(data).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        return None, f"not a readable CSV: {exc}"
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = next((d for d in ",\t;" if d in first), ",")
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    except csv.Error as exc:
        return None, f"not a readable CSV: {exc}"
    if not rows:
        return None, "not a readable CSV: no header line (the input is empty)"
    header, body = rows[0], rows[1:]
    width = len(header)
    long = [i for i, row in enumerate(body) if len(row) > width]
    if long:
        i = long[0]
        return None, (f"not a readable CSV: data row {i + 1} has {len(body[i])} fields but the header has {width}"
                      + (f" ({len(long)} such rows)" if len(long) > 1 else ""))
    names, seen = [], {}
    for i, name in enumerate(header):
        name = name if name.strip() else f"Unnamed: {i}"
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(name if count == 0 else f"{name}.{count}")
        if count == 1 and repeated is not None:
            repeated.append(name)
    cells = np.full((len(body), width), None, dtype=object)
    for r, row in enumerate(body):
        for c, cell in enumerate(row):
            value = cell.strip()
            cells[r, c] = None if value in MISSING else value
    return {name: cells[:, c].copy() for c, name in enumerate(names)}, ""


def frame_from_columns(columns: Mapping[str, object]) -> tuple[dict[str, np.ndarray] | None, str]:
    """A frame from a mapping of column name to values (arrays, lists or scalars, all of one length), or None and
    the reason."""
    frame = {}
    for name, values in columns.items():
        a = np.asarray(values)
        if a.ndim == 0:
            a = a.reshape(1)
        frame[str(name)] = a.ravel() if a.dtype.kind in "biuf" else a.astype(object).ravel()
    lengths = {k: len(v) for k, v in frame.items()}
    if len(set(lengths.values())) > 1:
        return None, f"columns of different lengths: {', '.join(f'{k} {n}' for k, n in lengths.items())}"
    return frame, ""


def frame_length(frame: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(frame.values()))) if frame else 0


def _is_missing(cell) -> bool:
    return cell is None or (isinstance(cell, (float, np.floating)) and cell != cell)


def numbers(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, non_numeric, missing) of a column of cells: float64 values (NaN where a cell is missing or not a
    number), which cells hold something that is not a number, and which are missing."""
    if cells.dtype.kind in "biuf":  # a numeric array given as it is: NaN is its missing value
        values = cells.astype(float)
        return values, np.zeros(len(values), bool), np.isnan(values)
    missing = np.fromiter((_is_missing(c) for c in cells), bool, len(cells))
    filled = np.where(missing, "nan", cells).astype(str)
    try:
        return filled.astype(float), np.zeros(len(cells), bool), missing
    except ValueError:  # some cell is not a number: find which, one by one
        values = np.full(len(cells), np.nan)
        non_numeric = np.zeros(len(cells), bool)
        for i in np.flatnonzero(~missing):
            try:
                values[i] = float(filled[i])
            except ValueError:
                non_numeric[i] = True
        return values, non_numeric, missing


def strings(cells: np.ndarray, missing: str = "") -> np.ndarray:
    """A column of cells as strings (an object array), ``missing`` where a cell is missing; numbers as Python
    writes them (1.0 -> '1.0')."""
    out = np.empty(len(cells), dtype=object)
    for i, c in enumerate(cells):
        out[i] = missing if _is_missing(c) else str(c.item() if isinstance(c, np.generic) else c)
    return out
