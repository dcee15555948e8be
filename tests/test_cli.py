import json
import os
import subprocess
import sys

import pytest

from scalinglaws.cli import main


def test_laws(capsys):
    assert main(["laws"]) == 0
    out = capsys.readouterr().out
    assert "chinchilla" in out and "epoch-main" in out and "power_C" in out


@pytest.mark.slow  # over 1.2 s warm: 3.4 s warm, 7.7 s on an empty cache (2026-12-03)
def test_fit_report_forecast(tmp_path, capsys, root):
    out = tmp_path / "fit.json"
    csv = root / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
    code = main(["fit", str(csv), "--law", "chinchilla", "--drop-largest", "loss:5", "--bootstrap", "100",
                 "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "D (tokens) derived" in text and "alpha            0.34731" in text
    assert json.loads(out.read_text())["bootstrap_info"]["n"] == 100
    assert main(["report", str(out)]) == 0
    assert "[[Bootstrap]]  100 resamples of runs;" in capsys.readouterr().out
    assert main(["forecast", str(out), "--compute", "5.88e23"]) == 0
    assert "tokens/param" in capsys.readouterr().out
    assert main(["forecast", str(out), "--target-loss", "2.0", "--json"]) == 0
    # the compute for a target loss is found by bisection, whose forecast meets the target to far below 1e-9
    assert json.loads(capsys.readouterr().out)[0]["loss"]["value"] == pytest.approx(2.0, rel=1e-9)
    assert main(["forecast", str(out), "--at", "N=1e9,1e10", "--at", "D=2e10,2e11"]) == 0
    assert "90% interval" in capsys.readouterr().out
    assert main(["forecast", str(out), "--target-loss", "1.5"]) == 2  # below E: unreachable is the user's input
    assert "is not reached" in capsys.readouterr().err


def test_forecast_from_a_preset(capsys):
    assert main(["forecast", "chinchilla:epoch-main", "--compute", "5.88e23"]) == 0
    assert "18.33" in capsys.readouterr().out


def test_reproduce(capsys, root):
    assert main(["reproduce", str(root / "fits" / "chinchilla_allocation")]) == 0
    assert "5 of 5 within tolerance" in capsys.readouterr().out


def test_isoflop(capsys, root):
    args = ["isoflop", str(root / "data" / "isoflop_owt2" / "isoflop_points.csv"), "--drop-empty"]
    for kv in ("hparams=tuned", "warmup=short", "decay=const", "param_count=standard", "val=val"):
        args += ["--where", kv]
    assert main(args) == 0
    assert "N*(C) =" in capsys.readouterr().out


@pytest.mark.slow  # subprocesses
@pytest.mark.parametrize("argv,message", [
    (["fit", "nope.csv", "--law", "chinchilla"], "no such file"),
    (["fit", "{csv}", "--law", "chinchila"], "unknown law 'chinchila'"),
    (["forecast", "chinchilla:nope", "--compute", "1e24"], "no preset 'nope'"),
    (["fit", "{bad}", "--law", "chinchilla"], "missing column 'D'"),
])
def test_bad_input_exits_2_without_traceback(tmp_path, root, argv, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("N,loss\n-1,3.0\n1e8,nan\n")
    csv = root / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
    argv = [a.format(csv=csv, bad=bad) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "scalinglaws", *argv], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    if "bad" in argv[1]:
        assert "'N': must be positive" in proc.stderr and "'loss': NaN" in proc.stderr


@pytest.mark.slow  # subprocesses
def test_too_few_runs_exit_2_naming_the_counts(tmp_path):
    two = tmp_path / "two.csv"
    two.write_text("N,D,loss\n1e8,2e9,3.1\n4e8,8e9,2.8\n")
    proc = subprocess.run([sys.executable, "-m", "scalinglaws", "fit", str(two), "--law", "chinchilla"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "5 free parameters but the data have 2 runs" in proc.stderr


def test_an_internal_error_is_reported_as_one(monkeypatch, capsys):
    import scalinglaws.cli as cli

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_cmd_laws", broken)
    assert main(["laws"]) == 3
    err = capsys.readouterr().err
    assert "internal error (a bug in scalinglaws" in err and "RuntimeError: boom" in err


def test_fixed_and_tied_parameters_from_the_cli(tmp_path, capsys, root):
    csv = root / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
    code = main(["fit", str(csv), "--law", "chinchilla", "--drop-largest", "loss:5", "--tie", "beta=alpha",
                 "--fix", "E=1.8172"])
    out = capsys.readouterr().out
    assert code == 0 and "(tied = alpha)" in out and "(fixed)" in out


@pytest.mark.slow
def test_compiled_solvers_kept_on_disk(tmp_path, root):
    # this test's own cache, not the suite's (conftest hands JAX's to subprocesses through the environment)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}
    env.update({"SCALINGLAWS_EXPORT": "1", "SCALINGLAWS_CACHE": str(tmp_path / "cache")})
    csv = root / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
    outs = []
    for i in range(3):
        if i == 2:  # a damaged kept executable is dropped and compiled again, not trusted
            for kept in (tmp_path / "cache" / "exported").glob("*.xla"):
                kept.write_bytes(b"not an executable")
        out = tmp_path / f"fit{i}.json"
        # the bootstrap's refits call LAPACK (Newton's solve): a kept executable that does so once crashed a new
        # process (jax-ml/jax#28908); the second and third runs load it in a fresh process
        done = subprocess.run([sys.executable, "-m", "scalinglaws", "fit", str(csv), "--law", "chinchilla",
                               "--drop-largest", "loss:5", "--bootstrap", "50", "--out", str(out)], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        outs.append(json.loads(out.read_text()))
    kept = list((tmp_path / "cache" / "exported").glob("*.xla"))
    # the fit, the curvature, the residuals and at least the bootstrap's first round, each compiled once and
    # loaded by the later runs
    assert len(kept) >= 4
    assert outs[0]["params"] == outs[1]["params"] == outs[2]["params"]
    assert outs[0]["diagnostics"] == outs[1]["diagnostics"] == outs[2]["diagnostics"]
    assert outs[0]["draws"] == outs[1]["draws"] == outs[2]["draws"]
    assert all(k.stat().st_size > 1000 for k in kept)  # rewritten after the damage


@pytest.mark.slow  # subprocesses
def test_usage_error_exits_2():
    proc = subprocess.run([sys.executable, "-m", "scalinglaws", "fit"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.slow  # subprocesses
def test_lr_schedule_fit_and_schedule_forecast(tmp_path, capsys, root):
    out = tmp_path / "tissue.json"
    folder = root / "data" / "lr_schedules" / "csv_25"
    args = ["fit", str(folder), "--law", "tissue", "--warmup", "2160", "--where", "run=cosine_24000", "--out", str(out)]
    assert main(args) == 0
    assert "schedules read from the logged lr column (2160 warmup steps)" in capsys.readouterr().out
    assert main(["forecast", str(out), "--schedule", "constant:total=24000,peak=3e-4,warmup=2160",
                 "--schedule", "wsd:total=24000,peak=3e-4,floor=3e-5,decay=4800,warmup=2160"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("wsd:") and lines[2].startswith("constant:")  # best (lowest final loss) first
    proc = subprocess.run([sys.executable, "-m", "scalinglaws", "forecast", str(out), "--schedule", "exp:total=10"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "schedule kind must be one of" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow  # over 1.2 s warm: 2.4 s warm, 9.0 s on an empty cache (2026-12-03)
def test_chain_forecasts_a_metric_and_the_compute_for_a_target(tmp_path, capsys, root):
    import pandas as pd  # the test builds its CSV with pandas; the library reads it through its own schema

    d = pd.read_csv(root / "data" / "overtraining" / "gadre_models_c4_rw.csv")
    d = d[(d.dataset == "c4_original") & (d.N < 2e9)][["name", "N", "D", "loss_c4_val", "err_avg_subset"]]
    csv = tmp_path / "ladder.csv"
    d.set_axis(["run", "N", "D", "loss", "error"], axis=1).to_csv(csv, index=False)
    code = main(["chain", str(csv), "--law", "gadre_overtrain", "--then", "gadre_error", "--bootstrap", "50",
                 "--at", "N=6.9e9", "D=1.38e11", "--target", "0.45"])
    out = capsys.readouterr().out
    assert code == 0 and "Chained forecast (loss (gadre_overtrain) -> error (gadre_error)" in out
    assert "share of the final band's variance" in out and "Compute to reach error" in out
    assert main(["chain", str(csv), "--law", "gadre_overtrain", "--then", "passuntil"]) == 2
    assert "pass_rate" in capsys.readouterr().err  # the second stage's target column is missing


def test_cod_from_a_matrix(capsys, root):
    matrix = root / "data" / "pythia_termfreq_items" / "passrate_matrix_step143000_16shot.csv"
    compute = "160m=1.53e20,410m=5.44e20,1b=1.45e21,1.4b=2.17e21,2.8b=4.53e21,6.9b=1.16e22,12b=2.04e22"
    code = main(["cod", str(matrix), "--compute", compute, "--at", "1.16e22", "--train", "160m,410m,1b,1.4b,2.8b",
                 "--bootstrap", "0"])
    out = capsys.readouterr().out
    assert code == 0 and "not predictable from these models yet" in out
    assert main(["cod", str(matrix), "--compute", "160m=1e20", "--at", "1e22"]) == 2
    assert "give the training compute of models" in capsys.readouterr().err


def test_map_renames_a_csvs_columns_and_an_empty_target_leaves_one_out(tmp_path, capsys):
    # Gadre et al.'s released table as it comes: two columns that both mean 'run', and no column named loss
    sizes = (1e7, 3e7, 1e8, 3e8, 1e9, 3e9)
    rows = ["name,model,N,D,loss_c4_val"] + [f"r{i},m{i},{n:g},{20 * n:g},{1.8 + 400 * n ** -0.34 + 0.2:.6f}"
                                             for i, n in enumerate(sizes)]
    csv = tmp_path / "runs.csv"
    csv.write_text("\n".join(rows) + "\n")
    assert main(["fit", str(csv), "--law", "power_C"]) == 2
    err = capsys.readouterr().err
    assert "columns ['name', 'model'] all mean 'run'; keep one" in err and "missing column 'loss'" in err
    assert main(["fit", str(csv), "--law", "power_C", "--map", "loss_c4_val=loss", "--map", "model="]) == 0
    assert "6 points, 6 runs" in capsys.readouterr().out  # the runs named by 'name', model left out
