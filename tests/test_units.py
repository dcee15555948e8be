"""Fits that do not depend on the units of the data: a loss in bits, a raw perplexity, a scaled input."""

import csv

import numpy as np
import pytest

import scalinglaws as sl
from conftest import ROOT


def test_epoch_in_bits_gives_epochs_exponents(chinchilla_table, chinchilla_fit):
    bits = sl.table_from_columns({"N": chinchilla_table["N"], "D": chinchilla_table["D"],
                                  "loss": chinchilla_table["loss"] / np.log(2)})
    r = sl.fit("chinchilla", bits)  # the default grid, anchored to the data
    # fits/chinchilla_epoch (nats, Hoffmann's grid): alpha 0.34731, beta 0.367172, E 1.81722; the same optimum to
    # the solver's tolerance (max|g| <= 1e-8 |f|), so far tighter than Epoch's printed digits
    assert r.natural["alpha"] == pytest.approx(chinchilla_fit.natural["alpha"], rel=1e-6)
    assert r.natural["beta"] == pytest.approx(chinchilla_fit.natural["beta"], rel=1e-6)
    assert r.natural["E"] == pytest.approx(chinchilla_fit.natural["E"] / np.log(2), rel=1e-6)
    assert not r.warnings


def test_scaling_an_input_moves_only_its_amplitude(chinchilla_table, chinchilla_fit):
    k = 1e-6  # parameters in millions
    r = sl.fit("chinchilla", sl.table_from_columns({"N": chinchilla_table["N"] * k, "D": chinchilla_table["D"],
                                                    "loss": chinchilla_table["loss"]}))
    alpha = chinchilla_fit.natural["alpha"]
    # A N^-alpha is unchanged when N -> k N and A -> k^alpha A; the rest stays; the solver's path differs (the
    # anchored grid shifts a by alpha log k, a shear of its coordinates), so agreement is to its tolerance
    assert r.natural["alpha"] == pytest.approx(alpha, rel=1e-6)
    assert r.natural["A"] == pytest.approx(chinchilla_fit.natural["A"] * k**alpha, rel=1e-5)
    for name in ("B", "E", "beta"):
        assert r.natural[name] == pytest.approx(chinchilla_fit.natural[name], rel=1e-6)


def _opt_family():
    with open(ROOT / "data" / "colpret" / "colpret_shared.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["family"] == "OPT"]
    cols = {k: np.array([float(r[k]) for r in rows]) for k in ("N", "D", "loss")}
    cols["model"] = np.array([r["model_name"] for r in rows])
    return cols


def test_opt_raw_perplexity_forecast_under_the_hitchhiker_protocol():
    """Choshen et al.'s protocol as in data/colpret/PROVENANCE.md: the largest model (175B) held out, its last 30%
    of tokens the targets; trained on every other model's checkpoints with 1e10 < D < the largest D among them."""
    c = _opt_family()
    target = c["model"][np.argmax(c["N"])]
    own = c["model"] == target
    test = own & (c["D"] >= 0.7 * c["D"][own].max())
    others = ~own
    train = others & (c["D"] > 1e10) & (c["D"] < c["D"][others].max())
    table = sl.table_from_columns({"N": c["N"][train], "D": c["D"][train], "loss": c["loss"][train]})
    assert 10 < table["loss"].min() and table["loss"].max() < 50  # a raw perplexity (11 to 40), not a loss in nats
    r = sl.fit("chinchilla", table)
    predicted = r.predict({"N": c["N"][test], "D": c["D"][test]})
    are = float(np.mean(np.abs(c["loss"][test] - predicted) / c["loss"][test]))
    print(f"\nOPT-175b forecast from 5 smaller models (raw perplexity): mean absolute relative error {100 * are:.3f}% "
          f"(scipy curve_fit baseline, data/colpret/protocol_baselines.csv: 7.416%)")
    assert are <= 0.07416  # the baseline's error, from protocol_baselines.csv (fit_repo_pct)
