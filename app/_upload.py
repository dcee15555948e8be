"""The app's uploads: CSVs (columns mapped to the canonical ones) or training logs in any format the readers know,
read by the library and cached by their bytes; every problem is listed on the page and nothing is fitted until
it is fixed."""

from __future__ import annotations

import streamlit as st

import scalinglaws as sl

MAX_UPLOAD_MB = 50  # `make app` passes it to streamlit as --server.maxUploadSize
DROP_EMPTY = "Leave out rows with empty cells"  # the checkbox the library's hint names


@st.cache_resource(show_spinner=False)
def uploaded(files: tuple[tuple[str, bytes], ...], rename: tuple[tuple[str, str], ...] = (), drop_empty: bool = False
             ) -> sl.RunTable | sl.SchemaError:
    """The uploaded CSVs as one table (columns renamed as mapped; rows with empty cells left out with
    ``drop_empty``), or the SchemaError that lists every problem."""
    try:
        return sl.read_uploads(list(files), rename=dict(rename), drop_empty=drop_empty, max_bytes=MAX_UPLOAD_MB << 20)
    except sl.SchemaError as exc:
        return exc


@st.cache_resource(show_spinner=False)
def upload_format(files: tuple[tuple[str, bytes], ...]) -> str | sl.SchemaError:
    """The uploads' format (a CSV, or one of the training-log formats), or why it cannot be told."""
    try:
        return sl.logs.upload_format(list(files), max_bytes=MAX_UPLOAD_MB << 20)
    except sl.SchemaError as exc:
        return exc


@st.cache_resource(show_spinner=False)
def uploaded_logs(files: tuple[tuple[str, bytes], ...], fmt: str,
                  overrides: tuple[tuple[str, str, float], ...] = ()) -> sl.logs.LogTable | sl.SchemaError:
    """Uploaded training logs read as ``fmt``, with per-run values (run, key, value) given in the app."""
    values: dict[str, dict[str, float]] = {}
    for run, key, value in overrides:
        values.setdefault(run, {})[key] = value
    try:
        return sl.logs.read_log_uploads(list(files), format=fmt, overrides=values or None,
                                        max_bytes=MAX_UPLOAD_MB << 20)
    except sl.SchemaError as exc:
        return exc


RUN_VALUES = {"N": "parameters", "tokens_per_step": "tokens per step", "seq_len": "sequence length",
              "bs": "batch size (sequences)"}


def _stop_on(problem: sl.SchemaError) -> None:
    st.error(f"{len(problem.problems)} problem(s) in {problem.source or 'the upload'}; nothing is fitted until "
             "they are fixed:")
    st.markdown("\n".join(f"- {p}" for p in problem.problems))
    if problem.hint:
        st.info(problem.hint)
    st.stop()


def _log_table(files: tuple[tuple[str, bytes], ...], fmt: str, key: str) -> sl.RunTable:
    """Training logs: which rows (train or eval), run values the logs lack (edited per run), what was mapped."""
    with st.expander(f"Logs read as: {sl.logs.FORMATS[fmt]}", expanded=True):
        split = st.radio("Rows", ["train", "eval"], horizontal=True, key=f"{key}:split",
                         format_func=lambda s: {"train": "training loss", "eval": "evaluation loss"}[s])
        first = uploaded_logs(files, fmt)
        if isinstance(first, sl.SchemaError):
            _stop_on(first)
        st.caption("Run values logs rarely hold (leave a cell empty where the logs give it): N, and tokens per step "
                   "(or batch size and sequence length), from which D is step x tokens per step.")
        runs = list(first.runs)
        edited = st.data_editor({"run": runs, **{k: [None] * len(runs) for k in RUN_VALUES}}, key=f"{key}:values",
                                disabled=["run"], hide_index=True,
                                column_config={k: st.column_config.NumberColumn(label, min_value=0.0, format="%g")
                                               for k, label in RUN_VALUES.items()})
        given = tuple((run, k, float(v)) for k in RUN_VALUES for run, v in zip(edited["run"], edited[k])
                      if v is not None and v == v)
        logs = uploaded_logs(files, fmt, given) if given else first
        if isinstance(logs, sl.SchemaError):
            _stop_on(logs)
        try:
            table = logs.table(split)
        except sl.SchemaError as exc:
            _stop_on(exc)
        for line in logs.report_lines():
            st.caption(line)
        st.download_button("Download as the canonical CSV", sl.runs_csv(table), file_name=f"runs_{split}.csv",
                           mime="text/csv", key=f"{key}:download")
    return table


def table_or_stop(files: tuple[tuple[str, bytes], ...], *, key: str, hint: str) -> sl.RunTable:
    """The uploaded table: CSVs with their columns mapped, or training logs in any format the readers know (with
    run values and a split to pick); without files, ``hint`` and stop; with problems, every one of them listed and
    stop (nothing is fitted)."""
    if not files:
        st.info(hint)
        st.stop()
    fmt = upload_format(files)
    if isinstance(fmt, sl.SchemaError):
        _stop_on(fmt)
    if fmt != "csv":
        return _log_table(files, fmt, key)
    mapping, drop_empty = column_mapping(files, key=key)
    table = uploaded(files, mapping, drop_empty)
    if isinstance(table, sl.SchemaError):
        _stop_on(table)
    return table


LOG_HELP = ("CSVs (one long CSV, one per run, or a zip of them), or training logs: Hugging Face checkpoint folders "
            "(zipped), W&B exports, TensorBoard event files, Lightning metrics.csv, MLflow stores, JSON lines")


def upload_or_stop(label: str, *, key: str, hint: str, where=None) -> sl.RunTable:
    """A file uploader (CSVs, a zip of them, or training logs in any format the readers know) in ``where`` (the
    sidebar by default) and its table, as :func:`table_or_stop` gives it."""
    uploads = (where or st.sidebar).file_uploader(label, type=None, accept_multiple_files=True, help=LOG_HELP,
                                                  key=f"{key}_uploads")
    return table_or_stop(tuple((f.name, f.getvalue()) for f in uploads or ()), key=f"{key}_map", hint=hint)


def column_mapping(files: tuple[tuple[str, bytes], ...], key: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """Widgets that map the files' columns to the canonical ones, pre-filled from the aliases, and whether to leave
    out rows with empty cells."""
    columns = sl.csv_columns(list(files))
    choices = ["(ignore)", *sl.CANONICAL_COLUMNS]
    with st.expander("Map columns", expanded=not all(sl.canonical_column(c) for c in columns)):
        st.caption("Each column of your files, and what it is. Recognised names are filled in; pick the rest.")
        mapping = []
        for column in columns:
            guess = sl.canonical_column(column)
            chosen = st.selectbox(column, choices, index=choices.index(guess) if guess else 0, key=f"{key}:{column}")
            if chosen != "(ignore)" and chosen != guess:
                mapping.append((column, chosen))
        drop_empty = st.checkbox(DROP_EMPTY, key=f"{key}:drop_empty",
                                 help="Rows with an empty cell in a recognised numeric column (N, D, C, loss, ...); "
                                      "the table's notes say which.")
    return tuple(mapping), drop_empty
