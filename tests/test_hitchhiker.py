"""The Hitchhiker's-guide protocol: the split is the authors' (their baselines come out as published), and the
benchmark command runs."""

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import hitchhiker as hh
from scalinglaws._hitchhiker_reproduce import published_baselines
from conftest import ROOT

COLPRET = ROOT / "data" / "colpret"


@pytest.fixture(scope="module")
def colpret():
    return sl.read_runs(COLPRET / "colpret_shared.csv", rename={"step": None})


def test_the_twelve_scoreable_families(colpret):
    assert len(hh.scoreable_families(colpret)) == 12  # PROVENANCE.md: 12 families here have 3 or more models


@pytest.mark.parametrize("family", ["OPT", "lambda", "chinchilla", "GPT2-oscar-44.0"])
def test_the_split_gives_the_authors_baselines(colpret, family):
    train, test, target = hh.split_family(colpret, family, "repo")
    published = published_baselines(COLPRET / "protocol_baselines.csv")[family]
    assert target == test.runs[0] and np.all(test["N"] == test["N"].max())
    assert np.all(test["D"] >= 0.7 * test["D"].max()) and np.all(train["N"] < test["N"][0])
    assert train["D"].min() > 1e10
    y = test["loss"]
    best = float(np.mean(np.abs(y - train["loss"].min()) / y))
    # protocol_baselines.csv prints percentages to 4 significant digits
    assert 100 * best == pytest.approx(100 * published["best_seen"], abs=6e-3)
    fitted = float(np.mean(np.abs(y - hh._curve_fit(train, test)) / y))
    assert 100 * fitted == pytest.approx(100 * published["curve_fit"], abs=6e-3)  # their estimator, our split


def test_late_rows_start_at_the_share_of_each_run(colpret):
    train, _, _ = hh.split_family(colpret, "lambda", "late", late=0.5)
    for run in train.run_ids:
        d = train["D"][train.runs == run]
        full = colpret["D"][np.asarray(colpret["model_name"]) == run]
        assert d.min() >= 0.5 * full.max() and d.max() == full.max()
    with pytest.raises(sl.InputError, match="cut must be"):
        hh.split_family(colpret, "lambda", "first")
    with pytest.raises(sl.InputError, match="needs at least 3"):
        hh.split_family(colpret, "olmo")


@pytest.mark.slow  # through the CLI: 5.1 s warm, 6.2 s on an empty cache (2026-12-03)
def test_cli_benchmark_one_family(capsys):
    from scalinglaws.cli import main

    assert main(["benchmark", "hitchhiker", str(COLPRET / "colpret_shared.csv"), "--family", "lambda",
                 "--bootstrap", "0", "--baselines", str(COLPRET / "protocol_baselines.csv")]) == 0
    out = capsys.readouterr().out
    assert "lambda" in out and "the authors' (published) means over these families: curve_fit 1.252%" in out
