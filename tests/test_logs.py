"""Log readers: each turns its fixture (written by the real tool, see tests/fixtures/logs/README.md) into the expected
run table; the CLI fits and converts logs directly; overrides, limits and errors."""

import json
import math

import numpy as np
import pytest
import yaml

import scalinglaws as sl
from scalinglaws.cli import main
from scalinglaws.logs import read_log_uploads, read_logs

from pathlib import Path

FIX = Path(__file__).resolve().parent / "fixtures" / "logs"
EXPECTED = json.loads((FIX / "expected.json").read_text())

# TensorBoard stores scalars as float32: a value read back differs from the float64 written by up to 2^-24 relative
FLOAT32 = 2.0**-23


def synthetic_loss(step, run):  # as make_fixtures.py wrote the shaped exports
    return 2.0 + 3.0 * (step + 10) ** -0.3 * (1 + 0.1 * run)


def lr_at(step, total=100, peak=3e-4):
    return peak * 0.5 * (1 + math.cos(math.pi * step / total))


def rows_of(table, run):
    return table.runs == run


def test_hf_checkpoints_give_train_and_eval_rows_and_n_from_total_flos():
    logs = read_logs(FIX / "hf")
    train, evals = logs.table("train"), logs.table("eval")
    assert logs.format == "hf" and list(train.run_ids) == ["run-cosine", "run-linear"]
    for run in train.run_ids:
        state = json.loads((FIX / "hf" / run / "checkpoint-60" / "trainer_state.json").read_text())
        logged = [e for e in state["log_history"] if "loss" in e]
        rows = rows_of(train, run)
        assert train["step"][rows].tolist() == [e["step"] for e in logged]
        assert train["loss"][rows].tolist() == [e["loss"] for e in logged]
        assert train["lr"][rows].tolist() == [e["learning_rate"] for e in logged]
        tps = EXPECTED["hf"][run]["tokens_per_step"]
        assert train["D"][rows].tolist() == [tps * e["step"] for e in logged]  # num_input_tokens_seen
        # the Trainer's total_flos is 6 x tokens x non-embedding parameters, so N comes back exactly (to rounding)
        assert train["N"][rows] == pytest.approx(EXPECTED["hf"][run]["non_embedding_params"], rel=1e-12)
        eval_rows = [e for e in state["log_history"] if "eval_loss" in e]
        assert evals["loss"][rows_of(evals, run)].tolist() == [e["eval_loss"] for e in eval_rows]
        assert evals["step"][rows_of(evals, run)].tolist() == [20, 40, 60]
    assert ("num_input_tokens_seen", "D", "guessed") in logs.mapping
    assert any("the latest of 3 saved states" in n for n in logs.notes)


def test_hf_one_state_file_and_one_checkpoint_folder_name_their_run():
    one = read_logs(FIX / "hf" / "run-cosine" / "checkpoint-60" / "trainer_state.json").table()
    folder = read_logs(FIX / "hf" / "run-cosine").table()
    assert list(one.run_ids) == ["run-cosine"] and list(folder.run_ids) == ["run-cosine"]
    assert one["loss"].tolist() == folder["loss"].tolist()
    early = read_logs(FIX / "hf" / "run-cosine" / "checkpoint-20").table()
    assert early["step"].max() == 20  # a checkpoint holds the history up to itself


def test_hf_without_tokens_seen_takes_n_from_a_given_tokens_per_step(tmp_path):
    state = json.loads((FIX / "hf" / "run-cosine" / "checkpoint-60" / "trainer_state.json").read_text())
    state.pop("num_input_tokens_seen")
    for entry in state["log_history"]:
        entry.pop("num_input_tokens_seen", None)
    path = tmp_path / "run" / "trainer_state.json"
    path.parent.mkdir()
    path.write_text(json.dumps(state))
    assert "N" not in read_logs(path).table()
    table = read_logs(path, overrides={"*": {"bs": 4, "seq_len": 32}}).table()
    # N = total_flos / (6 D) with D = step x 4 x 32 tokens, the fixture's total_flos made from this N: rounding only
    assert table["N"][0] == pytest.approx(EXPECTED["hf"]["run-cosine"]["non_embedding_params"], rel=1e-12)
    assert table["D"].tolist() == (table["step"] * 128).tolist()


def test_tensorboard_from_summary_writer_and_from_the_trainer():
    logs = read_logs(FIX / "tensorboard")
    train, evals = logs.table(), logs.table("eval")
    assert logs.format == "tensorboard" and list(train.run_ids) == ["run_a", "run_b"]
    for r, run in enumerate(train.run_ids):
        rows = rows_of(train, run)
        steps = train["step"][rows]
        assert steps.tolist() == list(range(1, 101))
        # TensorBoard stores scalars as float32: equal to its rounding (FLOAT32, 2^-23)
        np.testing.assert_allclose(train["loss"][rows], synthetic_loss(steps, r), rtol=FLOAT32)
        np.testing.assert_allclose(train["lr"][rows], [lr_at(s) for s in steps], rtol=FLOAT32)
        assert evals["step"][rows_of(evals, run)].tolist() == [25, 50, 75, 100]
    hf_tb = read_logs(FIX / "tensorboard_hf").table()
    hf_state = read_logs(FIX / "hf").table()
    # the same run written by HF's TensorBoard callback (float32) and its trainer_state.json: float32's rounding
    np.testing.assert_allclose(hf_tb["loss"], hf_state["loss"], rtol=FLOAT32)
    assert hf_tb["D"].tolist() == hf_state["D"].tolist()


def test_tensorboard_keeps_every_scalar_past_its_default_10000(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(tmp_path / "big"))
    n = 12_000
    for step in range(1, n + 1):
        writer.add_event(Event(step=step, wall_time=1.7e9 + step,
                               summary=Summary(value=[Summary.Value(tag="loss", simple_value=3.0 - step * 1e-5)])))
    writer.close()
    table = read_logs(tmp_path).table()
    assert len(table) == n and table["step"].tolist() == list(range(1, n + 1))


def test_lightning_rows_merged_by_step_with_hparams():
    logs = read_logs(FIX / "lightning")
    train, evals = logs.table(), logs.table("eval")
    assert logs.format == "lightning"
    assert list(train.run_ids) == ["lightning_logs/version_0", "lightning_logs/version_1"]
    import csv

    for run in train.run_ids:
        with (FIX / "lightning" / run / "metrics.csv").open() as f:
            rows = list(csv.DictReader(f))
        train_rows = [r for r in rows if r["train_loss"]]
        lr_rows = {int(r["step"]): float(r["lr-AdamW"]) for r in rows if r["lr-AdamW"]}
        mine = rows_of(train, run)
        assert train["loss"][mine].tolist() == [float(r["train_loss"]) for r in train_rows]
        assert train["lr"][mine].tolist() == [lr_rows[int(r["step"])] for r in train_rows]
        assert len(train_rows) == EXPECTED["lightning"]["train_steps"]
        assert evals["loss"][rows_of(evals, run)].tolist() == [float(r["val_loss"]) for r in rows if r["val_loss"]]
    assert set(train["N"]) == {9.0} and set(train["bs"]) == {16.0}  # from hparams.yaml
    assert ("N", "N", "hparams.yaml 'n_params'") in logs.mapping


@pytest.mark.parametrize("store", ["mlflow_files", "mlflow_sqlite"])
def test_mlflow_stores(store):
    logs = read_logs(FIX / store)
    train, evals = logs.table(), logs.table("eval")
    assert logs.format == store.replace("_files", "").replace("_", "-")
    assert sorted(train.run_ids) == ["large", "small"]
    for r, run in enumerate(("small", "large")):
        rows = rows_of(train, run)
        steps = train["step"][rows]
        assert steps.tolist() == list(range(1, 41))
        # MLflow stores metrics as text of the float64 values: exact up to the last bit
        np.testing.assert_allclose(train["loss"][rows], synthetic_loss(steps, r), rtol=1e-15)
        assert set(train["N"][rows]) == {EXPECTED["mlflow"]["runs"][run]}
        assert train["D"][rows].tolist() == (steps * 1024).tolist()  # batch_size 8 x seq_len 128 params
        assert evals["step"][rows_of(evals, run)].tolist() == [10, 20, 30, 40]


def test_wandb_panel_names_with_dashes_and_ranges_dropped():
    logs = read_logs(FIX / "wandb" / "panel.csv")
    table = logs.table()
    assert logs.format == "wandb-panel"
    assert list(table.run_ids) == EXPECTED["wandb"]["panel_runs"]
    for r, run in enumerate(table.run_ids):
        rows = rows_of(table, run)
        assert rows.sum() == EXPECTED["wandb"]["panel_steps"][run]
        steps = table["step"][rows]
        # a W&B export holds the float64 values as text: exact up to the last bit
        np.testing.assert_allclose(table["loss"][rows], synthetic_loss(steps, r), rtol=1e-15)
        np.testing.assert_allclose(table["lr"][rows], [lr_at(s, 100, 3e-4 * (r + 1)) for s in steps], rtol=1e-15)
    assert any("12 __MIN/__MAX columns" in n for n in logs.notes)


def test_wandb_runs_table_mapped_by_the_user_and_history_parquet():
    pytest.importorskip("pyarrow")
    table = sl.read_runs(FIX / "wandb" / "runs_table.csv",
                         rename={"model.n_params": "N", "train.tokens": "D", "loss_final": "loss"})
    assert table["N"].tolist() == [1.6e8, 4.1e8, 1e9] and table["loss"].tolist() == [3.01, 2.81, 2.66]
    assert list(table.run_ids) == ["llama - 160m - cosine", "llama-410m", "llama-1b"]
    assert any("crashed" in n for n in table.notes)
    history = read_logs(FIX / "wandb" / "history").table()
    assert history.n_runs == 2 and len(history) == 100
    assert history["D"].tolist() == (history["step"] * 65536).tolist()


def test_jsonl_with_eval_lines():
    logs = read_logs(FIX / "jsonl")
    assert len(logs.table()) == 30 and logs.table("eval")["step"].tolist() == [10, 20, 30]
    assert ("val_loss", "eval_loss (the eval split's loss)", "guessed") in logs.mapping


def test_overrides_from_a_side_file_win_and_say_so(tmp_path):
    side = tmp_path / "runs.yaml"
    side.write_text(yaml.safe_dump({"*": {"seq_len": 128}, "small": {"N": 2.0e6}}))
    overrides = sl.logs.read_overrides(side)
    logs = read_logs(FIX / "mlflow_files", overrides=overrides)
    table = logs.table()
    assert set(table["N"][rows_of(table, "small")]) == {2.0e6}
    assert set(table["N"][rows_of(table, "large")]) == {4.8e6}  # its own param, not overridden
    assert "run 'small': N = 2e+06 given, instead of 1.2e+06 from MLflow param 'n_params'" in logs.notes
    assert ("N", "N", "given; MLflow param 'n_params'") in logs.mapping
    with pytest.raises(sl.SchemaError, match="override for run 'tiny': no such run"):
        read_logs(FIX / "mlflow_files", overrides={"tiny": {"N": 1}})
    with pytest.raises(sl.SchemaError, match="must be a positive number"):
        read_logs(FIX / "mlflow_files", overrides={"*": {"N": -1}})


def test_duplicate_steps_are_reported(tmp_path):
    (tmp_path / "log.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"step": 1, "loss": 3.0}, {"step": 2, "loss": 2.9}, {"step": 2, "loss": 2.8}, {"step": 3, "loss": 2.7},
        {"step": 3, "loss": 2.7}]))
    logs = read_logs(tmp_path)
    assert logs.table()["loss"].tolist() == [3.0, 2.8, 2.7]
    assert any("different values" in n and "steps 2" in n for n in logs.notes)
    assert any("same values" in n and "steps 3" in n for n in logs.notes)


def test_a_log_without_a_loss_names_what_it_has(tmp_path):
    (tmp_path / "log.jsonl").write_text('{"step": 1, "perplexity": 20}\n{"step": 2, "perplexity": 18}\n')
    with pytest.raises(sl.SchemaError, match=r"no logged metric looks like a loss \(logged: perplexity\)"):
        read_logs(tmp_path)
    table = read_logs(tmp_path, rename={"perplexity": "loss"}).table()
    assert table["loss"].tolist() == [20.0, 18.0]


def test_every_problem_at_once(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"step": 1, "loss": 3}\nnot json\n[1, 2]\n')
    (tmp_path / "b.jsonl").write_text('{"step": 1, "loss": 3}\n{"loss": 2}\n')
    with pytest.raises(sl.SchemaError) as err:
        read_logs(tmp_path)
    text = "\n".join(err.value.problems)
    assert "a.jsonl: 1 line(s) are not JSON: [2]" in text and "a.jsonl: 1 line(s) are not JSON objects: [3]" in text
    assert "b.jsonl: 1 record(s) have no numeric 'step'" in text


def test_size_limits_say_the_sizes(tmp_path):
    path = FIX / "wandb" / "panel.csv"
    with pytest.raises(sl.SchemaError, match=r"panel.csv: .* over the limit of 1.0 KiB per file"):
        sl.read_runs(path, max_bytes=1024)
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.csv", "step,loss\n" + "1,2\n" * 300_000)  # 1.2 MB that compresses to a few KB
    data = buffer.getvalue()
    assert len(data) < 20_000
    for read in (sl.read_uploads, read_log_uploads):
        with pytest.raises(sl.SchemaError, match=r"unpacks to 1\.1 MiB, over the limit of 1\.0 MiB"):
            read([("runs.zip", data)], max_bytes=1 << 20)


def test_optional_readers_say_what_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def refuse(name, *args, **kw):
        if name.startswith(("tensorboard", "pyarrow")):
            raise ImportError(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(sl.SchemaError, match=r"needs tensorboard: pip install 'scalinglaws\[logs\]'"):
        read_logs(FIX / "tensorboard")
    with pytest.raises(sl.SchemaError, match=r"needs pyarrow"):
        read_logs(FIX / "wandb" / "history")


def test_uploads_of_a_zipped_checkpoint_folder(tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in sorted((FIX / "hf").rglob("trainer_state.json")):
            z.write(f, f.relative_to(FIX).as_posix())
    logs = read_log_uploads([("hf.zip", buffer.getvalue())])
    assert logs.table().fingerprint() == read_logs(FIX / "hf").table().fingerprint()


def test_unknown_format_and_undetectable_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(sl.SchemaError, match="cannot tell the format"):
        read_logs(tmp_path)
    with pytest.raises(sl.SchemaError, match="unknown format 'excel'"):
        read_logs(FIX / "jsonl", format="excel")


# -- the command line --------------------------------------------------------------------------------------------
def test_cli_fits_a_folder_of_hf_checkpoints(capsys):
    code = main(["fit", str(FIX / "hf"), "--law", "tissue"])
    out = capsys.readouterr().out
    assert code in (0, 1) and "[[Parameters]]" in out and "(60 points, 2 runs)" in out
    assert "N: total_flos / (6 x num_input_tokens_seen)" in out


def test_cli_fits_a_wandb_panel_of_several_runs(capsys):
    code = main(["fit", str(FIX / "wandb" / "panel.csv"), "--law", "tissue"])
    out = capsys.readouterr().out
    assert code == 0 and "(138 points, 3 runs)" in out and "'train/lr' -> lr (guessed)" in out


def test_cli_convert_writes_the_canonical_table(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    code = main(["convert", str(FIX / "mlflow_sqlite"), "--out", str(out), "--set", "small:N=2e6"])
    text = capsys.readouterr().out
    assert code == 0 and "'train/loss' -> loss (alias)" in text and "runs.eval.csv (8 rows)" in text
    back = sl.read_runs(out)
    logs = read_logs(FIX / "mlflow_sqlite", overrides={"small": {"N": 2e6}})
    assert back.fingerprint() == logs.table().fingerprint()  # every value written exactly
    assert sl.read_runs(tmp_path / "runs.eval.csv").fingerprint() == logs.table("eval").fingerprint()


def test_cli_log_errors_exit_2(tmp_path, capsys):
    assert main(["convert", str(FIX / "jsonl"), "--out", str(tmp_path / "x.csv"), "--set", "N"]) == 2
    assert "--set must look like" in capsys.readouterr().err
    assert main(["fit", str(FIX / "jsonl"), "--law", "tissue", "--format", "excel"]) == 2
    assert "unknown format 'excel'" in capsys.readouterr().err
    assert main(["formats"]) == 0 and "wandb-panel" in capsys.readouterr().out
