"""The engine's generality: laws made at run time, fixed and tied parameters, shared resamples and chains,
identifiability, column kinds and per-run series."""

import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import Law, Param


@pytest.mark.slow  # a subprocess
def test_a_law_made_at_run_time_fits_bootstraps_forecasts_and_reloads_in_a_new_process(tmp_path):
    law = sl.power_law("tokens_seen")  # a factory's law: never registered
    assert law.name not in sl.available_laws()
    x = np.logspace(9, 11, 12)
    y = (2.0 + 50.0 * x**-0.2) * np.exp(0.003 * np.asarray(jax.random.normal(jax.random.key(0), x.shape)))
    result = sl.bootstrap(sl.fit(law, {"tokens_seen": x, "loss": y}), {"tokens_seen": x, "loss": y}, 200, seed=1)
    here = sl.forecast(result, {"tokens_seen": [1e12]})
    path = tmp_path / "fit.json"
    path.write_text(result.to_json())
    code = ("import json, scalinglaws as sl; r = sl.FitResult.from_dict(json.load(open(r'%s'))); "
            "f = sl.forecast(r, {'tokens_seen': [1e12]}); "
            "print(json.dumps([r.law.name, f.prediction.to_dict(), r.report()]))" % path)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    name, band, report = json.loads(proc.stdout)
    assert name == "power_tokens_seen" and report == result.report()
    # the same draws through the same law in another process: equal to rounding
    assert band["value"][0] == pytest.approx(float(here.prediction.value[0]), rel=1e-12)
    assert band["lower"][0] == pytest.approx(float(here.prediction.lower[0]), rel=1e-12)


@pytest.mark.slow  # over 1.2 s warm: 4.3 s warm, 5.1 s on an empty cache (2026-12-03)
def test_an_unregistered_hand_written_law_fits_and_reports():
    law = Law(name="line_test", title="a line in log space", citation="none (a test)", formula="y = A x^b",
              params=(Param("a", grid=(0.0, 1.0), log_of="A", role="scale"),
                      Param("b", grid=(0.5, 1.5), role="exponent")),
              inputs=("x",), target="y", predict=lambda p, x: jnp.exp(p["a"]) * x["x"] ** p["b"])
    x = np.linspace(1.0, 10.0, 8)
    r = sl.fit(law, {"x": x, "y": 3.0 * x**0.7})
    # noiseless data, so the optimum is the truth; 1e-6 is the solver's gradient tolerance, not noise
    assert r.natural["A"] == pytest.approx(3.0, rel=1e-6) and r.natural["b"] == pytest.approx(0.7, rel=1e-6)
    assert "line_test" in r.report()
    with pytest.raises(sl.UnknownLawError, match="unknown law 'line_test'"):
        sl.FitResult.from_dict(json.loads(r.to_json()))  # neither registered nor made by a factory: said so


@pytest.mark.slow  # over 1.2 s warm: 2.4 s warm, 19.0 s on an empty cache (2026-12-03)
def test_tied_and_fixed_parameters_on_epochs_data(chinchilla_table, chinchilla_fit):
    tied = sl.fit("chinchilla", chinchilla_table, tied={"beta": "alpha"})
    assert tied.law.param_names == ("a", "b", "e", "alpha")
    print(f"\nChinchilla with beta tied to alpha on Epoch's 240 points: alpha = beta = {tied.natural['alpha']:.5f}")
    assert tied.natural["beta"] == tied.natural["alpha"]
    # one exponent between the free fit's two (0.3473 and 0.3672)
    assert chinchilla_fit.natural["alpha"] < tied.natural["alpha"] < chinchilla_fit.natural["beta"]
    fixed = sl.fit("chinchilla", chinchilla_table, fixed={"E": 1.8172})
    assert fixed.natural["E"] == pytest.approx(1.8172, rel=1e-12)
    # E at its free optimum to 4 digits (1.81722): the other parameters move by far less than 1e-3
    for k in ("alpha", "beta"):
        assert fixed.natural[k] == pytest.approx(chinchilla_fit.natural[k], abs=1e-3)
    boot = sl.bootstrap(fixed, chinchilla_table, 50, seed=0)
    np.testing.assert_allclose(boot.draws_dict()["E"], 1.8172, rtol=1e-12)  # the bootstrap keeps E fixed
    assert "(fixed)" in boot.report()
    back = sl.FitResult.from_dict(json.loads(boot.to_json()))
    assert back.law is fixed.law and back.natural == fixed.natural
    with pytest.raises(sl.InputError, match="no parameter 'gamma'"):
        sl.fit("chinchilla", chinchilla_table, fixed={"gamma": 1.0})


def _simulate(key, n_runs=30):
    """Runs of known truth: loss = 1.8 + 300 N^-0.3 (0.5% noise), then a metric = 0.2 loss^1.5 (1% noise)."""
    k1, k2 = jax.random.split(key)
    n = np.logspace(7, 9, n_runs)
    loss = (1.8 + 300.0 * n**-0.3) * np.exp(0.005 * np.asarray(jax.random.normal(k1, n.shape)))
    metric = 0.2 * loss**1.5 * np.exp(0.01 * np.asarray(jax.random.normal(k2, n.shape)))
    runs = [f"r{i}" for i in range(n_runs)]
    return (sl.table_from_columns({"run": runs, "N": n, "loss": loss}),
            sl.table_from_columns({"run": runs, "loss": loss, "metric": metric}))


LOSS_TO_METRIC = Law(
    name="metric_of_loss_test", title="metric = A loss^b", citation="none (a test)", formula="metric = A loss^b",
    params=(Param("a", grid=(-3.0, -1.0, 1.0), log_of="A", role="scale"),
            Param("b", grid=(0.5, 1.0, 2.0), role="exponent")),
    inputs=("loss",), target="metric", predict=lambda p, x: jnp.exp(p["a"]) * x["loss"] ** p["b"],
    forecasts=("chain",))


def _chained(key, n_draws=200):
    losses, metrics = _simulate(key)
    plan = sl.resample_plan(losses, n=n_draws, seed=int(jax.random.randint(key, (), 0, 2**30)))
    first = sl.bootstrap(sl.fit("power_N", losses), losses, plan=plan)
    second = sl.bootstrap(sl.fit(LOSS_TO_METRIC, metrics), metrics, plan=plan)
    return sl.chain(first, second)


@pytest.mark.slow  # over 1.2 s warm: 13.8 s warm, 34.8 s on an empty cache (2026-12-03)
def test_a_chain_shares_draws_and_reports_each_stages_share():
    c = _chained(jax.random.key(0))
    f = c.forecast({"N": [2e9]})
    assert f.prediction.lower[0] < f.prediction.value[0] < f.prediction.upper[0]
    shares = f.contributions
    assert set(shares) == set(c.names) and sum(shares.values()) == pytest.approx(1.0)
    assert "share of the final band's variance" in f.summary()
    losses, metrics = _simulate(jax.random.key(1))
    other = sl.bootstrap(sl.fit(LOSS_TO_METRIC, metrics), metrics, 200, seed=5)  # its own plan: not paired
    with pytest.raises(sl.InputError, match="different resample plans"):
        sl.chain(c.stages[0], other)


@pytest.mark.slow
def test_a_two_stage_chain_band_covers_the_truth():
    truth = 0.2 * (1.8 + 300.0 * 2e9**-0.3) ** 1.5
    hits = []
    for i in range(200):
        band = _chained(jax.random.fold_in(jax.random.key(2026), i)).forecast({"N": [2e9]}, level=0.9).prediction
        hits.append(band.lower[0] <= truth <= band.upper[0])
    coverage = float(np.mean(hits))
    print(f"\ntwo-stage chain, 90% band at N = 2e9 (0.3 decades beyond the runs): covers the truth in "
          f"{100 * coverage:.1f}% of 200 simulated data sets")
    assert coverage >= 0.85


def test_too_few_runs_and_a_single_input_value_are_refused():
    with pytest.raises(sl.IdentifiabilityError, match="5 free parameters but the data have 2 runs"):
        sl.fit("chinchilla", {"N": [1e8, 4e8], "D": [2e9, 8e9], "loss": [3.1, 2.8]})
    n = np.logspace(7, 9, 10)
    with pytest.raises(sl.IdentifiabilityError, match="input 'D' has a single value"):
        sl.fit("chinchilla", {"N": n, "D": np.full(10, 1e10), "loss": 2 + 300 * n**-0.3})


@pytest.mark.slow  # over 1.2 s warm: 7.2 s warm, 5.6 s on an empty cache (2026-12-03)
def test_unresolvable_and_degenerate_fits_say_which_parameters():
    rng = np.random.default_rng(0)
    n, d = (a.ravel() for a in np.meshgrid(np.logspace(7, 10, 6), np.logspace(9, 12, 6)))
    # tokens proportional to parameters: N and D cannot be told apart
    collinear = sl.fit("chinchilla", {"N": n, "D": 20 * n,
                                      "loss": (1.8 + 400 * n**-0.34 + 1500 * (20 * n) ** -0.28)
                                      * np.exp(0.005 * rng.normal(size=n.size))}, throw=False)
    text = " ".join(collinear.warnings)
    # the fit either runs a parameter off (A with alpha) or reports the flat direction; either way it names it
    assert ("near-singular curvature" in text or "degenerate fit" in text) and ("alpha" in text or "A = " in text)
    # two parameters that enter only as a sum: exactly one flat direction, which names both
    redundant = Law(name="redundant_test", title="y = exp(a + b) x^c", citation="none (a test)", formula="y",
                    params=(Param("a", grid=(0.0, 1.0)), Param("b", grid=(0.0, 1.0)),
                            Param("c", grid=(0.5, 1.0), role="exponent")),
                    inputs=("x",), target="y", predict=lambda p, x: jnp.exp(p["a"] + p["b"]) * x["x"] ** p["c"])
    x = np.linspace(1.0, 10.0, 8)
    r = sl.fit(redundant, {"x": x, "y": 2.0 * x**0.5 * np.exp(0.01 * rng.normal(size=8))}, throw=False)
    assert any("near-singular curvature" in w and "cannot resolve a, b separately" in w for w in r.warnings), r.warnings
    # the loss does not depend on D: B collapses
    flat = sl.fit("chinchilla", {"N": n, "D": d, "loss": (2 + 400 * n**-0.3) * np.exp(0.005 * rng.normal(size=n.size))},
                  throw=False)
    assert any("degenerate fit" in w and ("B = " in w or "beta" in w) for w in flat.warnings), flat.warnings
    five = sl.fit("chinchilla", {"N": n[:5], "D": d[::7][:5], "loss": (1.8 + 400 * n[:5] ** -0.34 + 1500 * d[::7][:5]
                                                                      ** -0.28)}, throw=False)
    assert any("as many free parameters (a, b, e, alpha, beta)" in w for w in five.warnings)


def test_column_kinds_are_checked():
    with pytest.raises(sl.SchemaError) as err:
        sl.table_from_columns({"N": [1e8, 2e8], "accuracy": [0.5, 1.2], "U": [-1.0, 1e9], "k": [1.5, 2]})
    text = str(err.value)
    assert "'accuracy': must be a fraction in [0, 1], not at row 2" in text
    assert "'U': must be positive, not at row 1" in text and "'k': must be a whole number" in text
    law = sl.power_law("score_x")  # a user column the schema does not know: the law declares it positive
    with pytest.raises(sl.SchemaError, match="'score_x': must be positive"):
        sl.fit(law, {"score_x": [1.0, -2.0, 3.0, 4.0], "loss": [3.0, 2.9, 2.8, 2.7]})


def test_any_per_run_series_attaches_and_is_checked():
    table = sl.table_from_columns({"run": ["a", "a", "b"], "step": [0, 5, 3], "loss": [3.0, 2.5, 2.7]})
    sparse = table.with_series("sparsity", {"a": np.linspace(0, 0.5, 6), "b": np.linspace(0, 0.75, 4)})
    assert set(sparse.series) == {"sparsity"} and sparse.select(sparse.runs == "b").series["sparsity"].keys() == {"b"}
    assert sparse.fingerprint() != table.fingerprint()
    with pytest.raises(sl.SchemaError) as err:
        table.with_series("sparsity", {"a": np.full(6, 1.5), "b": np.zeros(2)})
    text = str(err.value)
    assert "fraction" in text and "run 'b': logged up to step 3 but the sparsity series has 2 steps" in text
