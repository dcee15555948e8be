"""Cached library calls for the app: results are keyed by the data's fingerprint and the settings, so that moving
a forecast widget never refits. No arithmetic here: every number comes from scalinglaws."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import scalinglaws as sl

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = {
    "Epoch's Chinchilla runs (240 final losses; Besiroglu et al. 2024)": (
        ROOT / "data" / "chinchilla_epoch" / "svg_extracted_data.csv", {"drop_largest": ("loss", 5)}),
}
MAX_UPLOAD_MB = 50  # `make app` passes it to streamlit as --server.maxUploadSize
FITS_RUN = {"count": 0}  # fits actually computed (not served from the cache); the app's tests read it


@st.cache_resource(show_spinner=False)
def bundled(name: str) -> sl.RunTable:
    path, options = BUNDLED[name]
    table = sl.read_runs(path)
    if "drop_largest" in options:
        table = table.drop_largest(*options["drop_largest"])
    return table


@st.cache_resource(show_spinner=False)
def uploaded(files: tuple[tuple[str, bytes], ...]) -> sl.RunTable | sl.SchemaError:
    """The uploaded CSVs as one table, or the SchemaError that lists every problem."""
    try:
        return sl.read_uploads(list(files))
    except sl.SchemaError as exc:
        return exc


@st.cache_resource(show_spinner=False)
def fit(_table: sl.RunTable, fingerprint: str, law: str, resamples: int, seed: int = 0) -> sl.FitResult:
    """The law fitted (and bootstrapped) once per data fingerprint and settings; ``_table`` is not hashed."""
    FITS_RUN["count"] += 1
    table = _table
    if "lr" in sl.get_law(law).series and not table.series.get("lr"):
        table = sl.curves.schedules_from_lr(table)
    result = sl.fit(law, table, throw=False)
    if resamples and result.converged:
        result = sl.bootstrap(result, table, resamples, seed=seed)
    return result

