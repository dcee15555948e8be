"""Property-based tests: whatever bytes or records arrive, every reader gives a table or a SchemaError naming the
problems, never another exception, and no row goes missing without a report.

Each property runs a stated number of examples (EXAMPLES, HEAVY for the readers that go through a third-party
library or a database) with ``derandomize=True``: the examples are the same on every run (a fixed seed), so a
failure reproduces."""

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import scalinglaws as sl
from scalinglaws.logs import read_log_uploads

FIX = Path(__file__).resolve().parent / "fixtures" / "logs"
EXAMPLES = 150  # per property: enough to hit empty, huge, non-numeric, NaN, negative and duplicated cells
HEAVY = 40  # TensorBoard, SQLite and Parquet examples go through those libraries' own readers (slower)
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(files, **kw):
    result = _outcome(files, **kw)
    event(result)  # shown by --hypothesis-show-statistics: each property reaches both outcomes
    return result


def _outcome(files, **kw):
    """'table' or 'schema error': anything else raised fails the property."""
    try:
        logs = read_log_uploads(files, **kw)
        for split in ("train", "eval"):
            if getattr(logs, split) is not None:
                logs.table(split)
                logs.summary()
        return "table"
    except sl.SchemaError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return "schema error"


GOOD = st.one_of(st.floats(0.01, 1e12).map(repr), st.integers(1, 10**6).map(str))
CELLS = st.one_of(
    GOOD, GOOD, GOOD, GOOD, GOOD, GOOD,  # mostly valid numbers, so that the tables that do come out get checked too
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["", "NA", "nan", "null", "None", "-", "1e400", "0", "-1", " 3.5 ", "abc", '"', ",", "\n"]),
    st.text(max_size=8),
)
NAMES = st.sampled_from(["run", "N", "D", "C", "step", "lr", "loss", "params", "tokens", "flops", "U", "accuracy",
                         "k", "bs", "label", "acc", "train/loss", "val_loss", "", "loss"])


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.binary(max_size=3000))
def test_any_bytes_as_a_csv(data):
    try:
        sl.read_uploads([("runs.csv", data)])
    except sl.SchemaError:
        pass
    outcome([("runs.csv", data)])


def _csv_text(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.lists(NAMES, min_size=1, max_size=6).flatmap(
    lambda header: st.tuples(st.just(header), st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)),
                                                       max_size=12))),
       st.booleans())
def test_csv_tables_keep_every_row_or_say_why(table, drop_empty):
    header, rows = table
    text = _csv_text(header, rows)
    try:
        result = sl.read_uploads([("runs.csv", text.encode())], drop_empty=drop_empty)
    except sl.SchemaError:
        event("schema error")
        return
    event("table")
    # the parser's row count (csv's own reading of what was written; blank lines are not rows)
    written = [r for r in csv.reader(io.StringIO(text, newline="")) if r][1:]
    dropped = sum(int(m.group(1)) for n in result.notes for m in [re.match(r"dropped (\d+) row", n)] if m)
    assert len(result) + dropped == len(written)


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.lists(st.lists(CELLS, min_size=5, max_size=5), max_size=15))
def test_lightning_metrics_csv(rows):
    text = _csv_text(["epoch", "lr-AdamW", "step", "train_loss", "val_loss"], rows)
    if outcome([("metrics.csv", text.encode())], format="lightning") == "table":
        logs = read_log_uploads([("metrics.csv", text.encode())], format="lightning")
        steps = {float(r[2]) for r in rows if r[2].strip() and r[3].strip()}
        assert logs.train is None or len(logs.train) == len(steps) or any("D = 0" in d for d in logs.dropped)


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.lists(st.sampled_from(["train/loss", "train/lr", "loss", "tokens", "x - y", ""]), min_size=2,
                max_size=4).map(lambda names: ["Step", *(f"run {i % 2} - {n}" for i, n in enumerate(names))]).flatmap(
    lambda header: st.tuples(st.just(header),
                             st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)), max_size=10))))
def test_wandb_panel(table):
    header, rows = table
    outcome([("panel.csv", _csv_text(header, rows).encode())], format="wandb-panel")


JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers(-2**70, 2**70) | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)
VALUE = st.one_of(st.integers(1, 100), st.floats(0.01, 10), st.integers(1, 100), st.floats(0.01, 10),
                  st.integers(-5, 0), st.floats(), JSON)  # mostly plausible, so that tables come out too
PLAUSIBLE = st.fixed_dictionaries({"step": st.integers(1, 100), "loss": st.floats(0.01, 10)}, optional={k: VALUE for k in (
    "learning_rate", "eval_loss", "num_input_tokens_seen", "epoch", "train_runtime", "grad_norm", "x")})
ENTRY = st.fixed_dictionaries({"step": VALUE}, optional={k: VALUE for k in (
    "loss", "learning_rate", "eval_loss", "num_input_tokens_seen", "epoch", "train_runtime", "grad_norm", "x")})
ENTRY = st.one_of(ENTRY, st.dictionaries(st.text(max_size=5), JSON, max_size=4))
# a history of plausible entries, and at most a couple of anything
HISTORY = st.tuples(st.lists(PLAUSIBLE, max_size=6), st.lists(ENTRY, max_size=2)).map(lambda t: t[0] + t[1])


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(HISTORY, st.one_of(st.integers(1, 10**9), st.floats(), st.integers(-5, 10**9), JSON),
       st.one_of(st.integers(1, 10**6), st.floats(), st.integers(-5, 10**6), JSON),
       st.one_of(st.integers(-1, 100), JSON))
def test_hf_trainer_state(entries, flos, tokens, step):
    state = {"log_history": entries, "total_flos": flos, "num_input_tokens_seen": tokens, "global_step": step}
    outcome([("trainer_state.json", json.dumps(state).encode())], format="hf")


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.binary(max_size=2000))
def test_hf_any_bytes(data):
    outcome([("trainer_state.json", data)], format="hf")


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.lists(st.one_of(PLAUSIBLE.map(json.dumps), PLAUSIBLE.map(json.dumps), PLAUSIBLE.map(json.dumps),
                          ENTRY.map(json.dumps), JSON.map(json.dumps), st.text(max_size=20)), max_size=12))
def test_jsonl(lines):
    outcome([("log.jsonl", "\n".join(lines).encode())], format="jsonl")


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.binary(max_size=200), st.lists(st.text(max_size=30), max_size=8), st.text(max_size=20))
def test_mlflow_file_store(meta, metric_lines, param):
    run = "mlruns/0/abc123/"
    files = {run + "meta.yaml": meta, run + "metrics/train/loss": "\n".join(metric_lines),
             run + "params/n_params": param}
    outcome([("mlruns.zip", _zip(files))], format="mlflow")


def _damaged(data: bytes, draw_cut, flips):
    data = bytearray(data[:draw_cut])
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    return bytes(data)


DAMAGE = st.tuples(st.integers(0, 1 << 20), st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)),
                                                     max_size=6))


@settings(max_examples=HEAVY, **SETTINGS)
@given(DAMAGE)
def test_mlflow_sqlite_damaged(damage):
    data = (FIX / "mlflow_sqlite" / "mlflow.db").read_bytes()
    outcome([("mlflow.db", _damaged(data, *damage))], format="mlflow-sqlite")


@settings(max_examples=HEAVY, **SETTINGS)
@given(DAMAGE)
def test_tensorboard_damaged(damage):
    pytest.importorskip("tensorboard")
    path = next((FIX / "tensorboard" / "run_a").glob("events.out.tfevents*"))
    outcome([("logs.zip", _zip({"run_a/" + path.name: _damaged(path.read_bytes(), *damage)}))], format="tensorboard")


@settings(max_examples=HEAVY, **SETTINGS)
@given(DAMAGE)
def test_wandb_history_damaged(damage):
    pytest.importorskip("pyarrow")
    path = next((FIX / "wandb" / "history").glob("*.parquet"))
    outcome([("run.parquet", _damaged(path.read_bytes(), *damage))], format="wandb-history")


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(st.dictionaries(st.sampled_from(["*", "small", "large", "tiny"]),
                       st.one_of(st.dictionaries(st.sampled_from(["N", "tokens_per_step", "seq_len", "bs", "label"]),
                                                 st.one_of(st.floats(), st.integers(-3, 10**9), st.text(max_size=4)),
                                                 max_size=3), JSON), max_size=3))
def test_overrides(overrides):
    data = (FIX / "mlflow_sqlite" / "mlflow.db").read_bytes()
    try:
        parsed = sl.logs.parse_overrides(overrides)
    except sl.SchemaError:
        return
    outcome([("mlflow.db", data)], overrides=parsed)


def test_the_properties_saw_both_outcomes():
    """Not vacuous: the generators reach both a table and an error for the CSV reader."""
    seen = {_outcome([("runs.csv", b"run,N,D,loss\na,1e8,2e9,3.1\n")]),
            _outcome([("runs.csv", b"run,N,D,loss\na,-1,2e9,nan\n")])}
    assert seen == {"table", "schema error"}
    assert np.isfinite(sl.read_uploads([("runs.csv", b"N,D,loss\n1,2,3\n")])["loss"]).all()
