"""The Streamlit app through Streamlit's AppTest: the default page, an upload (pasted), bad input, the cache."""

import sys

import numpy as np
import pytest

import scalinglaws as sl
from conftest import ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = ROOT / "app" / "Home.py"
sys.path.insert(0, str(ROOT / "app"))
import _cached  # noqa: E402  (the same module the app imports: its fit counter is shared)

GOOD = "N,D,loss\n" + "\n".join(f"{n:g},{d:g},{1.8 + 400 * n ** -0.34 + 1500 * d ** -0.28:.6f}"
                                for n in (1e7, 3e7, 1e8, 3e8, 1e9) for d in (1e9, 1e10, 1e11))


def _app():
    return AppTest.from_file(str(APP), default_timeout=300)


def _texts(at):
    return " ".join(m.value for m in at.markdown)


@pytest.mark.slow  # an app page: 7.4 s warm, 32.7 s on an empty cache (2026-12-03)
def test_the_default_page_fits_the_bundled_data_and_shows_a_forecast():
    at = _app().run()
    assert not at.exception
    assert "240 rows, 240 runs." in _texts(at)
    # Epoch's data, 1000 resamples: the compute-optimal loss at Chinchilla's budget with its band
    assert "**Loss at this budget: 1.97" in _texts(at) and "90% interval" in _texts(at)
    assert any("alpha" in c.value for c in at.code)


@pytest.mark.slow  # an app page: 3.8 s warm, 28.9 s on an empty cache (2026-12-03)
def test_a_pasted_csv_is_fitted_and_forecast():
    at = _app().run()
    at.radio(key="source").set_value("Paste CSV").run()
    at.text_area(key="pasted").input(GOOD).run()
    assert not at.exception and not at.error
    assert "15 rows, 15 runs." in _texts(at) and "**Loss at this budget:" in _texts(at)


def test_a_bad_csv_lists_every_problem_and_fits_nothing():
    at = _app().run()
    at.radio(key="source").set_value("Paste CSV").run()
    at.text_area(key="pasted").input("N,loss\n-1,3.0\n1e8,nan\n").run()
    assert not at.exception
    assert "problem(s)" in at.error[0].value and "nothing is fitted" in at.error[0].value
    listed = _texts(at)
    assert "'N': must be positive, not at row 1" in listed and "'loss': NaN, inf or empty at row 2" in listed
    assert not at.code  # no report: nothing was fitted


@pytest.mark.slow  # an app page that fits: 4.0 s warm (2026-12-04)
def test_rows_with_empty_cells_are_left_out_when_asked():
    at = _app().run()
    at.radio(key="source").set_value("Paste CSV").run()
    at.text_area(key="pasted").input(GOOD + "\n1e9,1e12,\n").run()  # a 16th run whose loss is empty
    assert not at.exception and "'loss': NaN, inf or empty at row 16" in _texts(at)
    assert "Leave out rows with empty cells" in at.info[0].value and not at.code  # the way out, and no fit
    at.checkbox(key="map:drop_empty").check().run()
    assert not at.exception and not at.error
    assert "15 rows, 15 runs." in _texts(at) and "**Loss at this budget:" in _texts(at)
    assert any("dropped 1 row(s) with empty values: row 16" in c.value for c in at.caption)  # and says so


def test_moving_a_forecast_widget_does_not_refit():
    at = _app().run()
    before = _cached.FITS_RUN["count"]
    at.number_input(key="budget").set_value(1e24).run()
    assert not at.exception and "**Loss at this budget:" in _texts(at)
    assert _cached.FITS_RUN["count"] == before


def test_columns_with_other_names_are_mapped_before_the_fit():
    at = _app().run()
    at.radio(key="source").set_value("Paste CSV").run()
    renamed = GOOD.replace("N,D,loss", "size,toks,val_loss", 1)
    at.text_area(key="pasted").input(renamed).run()
    assert not at.exception and at.error  # nothing recognised yet: the missing columns are listed, nothing fitted
    for column, canonical in (("size", "N"), ("toks", "D"), ("val_loss", "loss")):
        at.selectbox(key=f"map:{column}").set_value(canonical)
    at.run()
    assert not at.exception and not at.error
    assert "15 rows, 15 runs." in _texts(at) and "**Loss at this budget:" in _texts(at)


@pytest.mark.slow  # an app page: 4.7 s warm, 25.4 s on an empty cache (2026-12-03)
def test_the_loss_curve_page_fits_and_forecasts_a_schedule():
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "1_Loss_curves.py"), default_timeout=600).run()
    assert not at.exception and not at.error
    assert "**Predicted final loss: 3.2" in _texts(at)  # the 25M model's curves: a 72k-step cosine ends near 3.21
    at.selectbox(key="kind").set_value("WSD").run()
    assert not at.exception and "**Predicted final loss:" in _texts(at)
    assert any("best WSD decay" in t.value for t in at.text)


@pytest.mark.slow  # an app page: 4.0 s warm, 28.4 s on an empty cache (2026-12-03)
def test_the_isoflop_page_shows_both_approaches():
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "2_IsoFLOP.py"), default_timeout=600).run()
    assert not at.exception and not at.error
    # Porian et al.'s tuned, constant-LR OWT2 sweep: N* ~ C^0.508 (fits/isoflop_owt2 reproduces their 0.50-0.51)
    assert "**Approach 2: N\\* ~ C^0.508" in _texts(at)
    assert len(at.dataframe) == 2  # the valleys, and approach 3 beside them


@pytest.mark.slow  # an app page: 11.7 s warm, 75.6 s on an empty cache (2026-12-03)
def test_the_downstream_page_forecasts_a_metric_and_says_cod_cannot_yet():
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "3_Downstream.py"), default_timeout=600).run()
    assert not at.exception and not at.error
    # Gadre's C4 ladder up to 1.44B, 17-task average error at the 6.9B model's (N, D): the chain's forecast (the
    # observed error of that model is 0.4796; fits/gadre_c4 prints the same comparison)
    assert "**Forecast error: 0.4275** (90% joint interval" in _texts(at)
    assert any("Compute to reach error" in c.value for c in at.code)
    # the chain backtested at the highest default cut: both stages on the 26 runs with C <= 4.066e19, the error of
    # the 7 above forecast through the chain (2.67% mean |relative error|, 86% inside the joint 90% band)
    tested = next(c.value for c in at.code if c.value.startswith("Backtest of gadre_overtrain -> gadre_error"))
    assert "(26 rows, 26 runs), forecast 7 rows above" in tested and "mean |relative| 2.67%" in tested
    # Pythia's arithmetic items from 160M..2.8B: no cluster can be extrapolated yet
    assert any("not predictable from these models yet" in w.value for w in at.warning)
    at.number_input(key="plan_n").set_value(1.0e9).run()
    assert "**Forecast error: 0.4275**" not in _texts(at)  # the forecast follows the planned run, without a refit


def _page(name):
    return AppTest.from_file(str(ROOT / "app" / "pages" / name), default_timeout=600).run()


@pytest.mark.slow  # a Step Law fit of 1911 runs with 200 bootstrap refits
def test_the_hyperparameter_page_forecasts_lr_and_batch_size_and_prices_a_choice():
    at = _page("4_Hyperparameters.py")
    assert not at.exception and not at.error
    # Step Law's dense grid by the authors' recipe at N = 7e9, D = 1.4e12: fits/steplaw_dense's lr 5.49e-4 and
    # batch size 5.74e6 tokens (2803 sequences of 2048)
    assert "**Learning rate: 0.000549** (90% interval" in _texts(at)
    assert "**batch size: 5.74e+06 tokens** (2803 sequences)" in _texts(at)
    before = _cached.FITS_RUN["count"]
    at.number_input(key="hp_lr").set_value(5.49e-4).run()  # at the optimum: (almost) no penalty, and no refit
    assert "**Loss 0.00% above the optimum**" in _texts(at) and _cached.FITS_RUN["count"] == before


@pytest.mark.slow  # a bootstrapped fit of Epoch's 240 runs
def test_the_sparse_page_plans_a_pruned_run():
    at = _page("5_Sparse_runs.py")
    assert not at.exception and not at.error
    # dense runs give Chinchilla's law in N_avg; at 1e23 FLOP, pruned to 75% on a cubic ramp (mean kept 0.5313),
    # the run starts at N_avg / 0.5313 and ends at a quarter of that
    assert "**Start dense at 5.6e+10 parameters, end at 1.4e+10**" in _texts(at)
    at.slider(key="final_sparsity").set_value(0.0).run()  # no pruning: the dense run, started and ended alike
    plan = [c.value for c in at.code if c.value.startswith("Sparse run")][0]
    sizes = [line.split()[-4] for line in plan.splitlines() if "size" in line or "average parameters" in line]
    assert len(set(sizes)) == 1, plan


@pytest.mark.slow  # a bootstrapped fit of 182 runs
def test_the_repeated_data_page_allocates_under_a_cap_on_unique_tokens():
    at = _page("6_Repeated_data.py")
    assert not at.exception and not at.error
    # fits/datablations' R_D* and R_N*, and the allocation at 1e22 FLOP over 1.8e10 unique tokens (13.9 epochs)
    assert "**R_D\\* = 15.37, R_N\\* = 5.32**" in _texts(at)
    assert "**6.67e+09 parameters on 2.5e+11 tokens: 13.9 epochs**" in _texts(at)


@pytest.mark.slow  # six laws backtested on Epoch's 240 runs, and a 1000-draw bootstrap for the risk
def test_the_backtest_page_ranks_the_laws_and_gives_the_risk():
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "7_Backtests.py"), default_timeout=900).run()
    assert not at.exception and not at.error
    ranking = at.dataframe[0].value
    assert list(ranking["law"])[0] == "chinchilla"  # at the default cut (the highest of six), no bootstrap
    assert any("Laws ranked by backtest error" in c.value for c in at.code)
    assert "Probability of reaching 1.95" in _texts(at)
    assert any("Compute for a 90% chance of reaching 1.95" in c.value for c in at.code)
    # the next runs: four, within the default cap of 1e22 FLOP together
    runs = at.dataframe[-1].value
    assert len(runs) == 4 and runs["cost"].sum() <= 1e22 * (1 + 1e-9)
    assert any("Runs that most narrow the 90% band" in c.value for c in at.code)
    assert "Expected band width" in _texts(at)


@pytest.mark.slow  # an app page: 2.3 s warm, 17.1 s on an empty cache (2026-12-03)
def test_your_own_law_page_fits_the_formula_as_the_built_in_law_does():
    at = _page("8_Your_own_law.py")
    assert not at.exception and not at.error
    # the page's example is Chinchilla's form written as a formula: on the same runs, with the same default
    # objective, it reaches the built-in law's optimum (1e-4: two start grids, one optimum to the fit's gradient test)
    table = _cached.bundled(next(iter(_cached.BUNDLED)))
    builtin = sl.fit("chinchilla", table)
    report = next(c.value for c in at.code if "my_law" in c.value)
    ours = sl.fit(sl.formula_law(_cached.EXAMPLE_LAW), table)
    same = {"E": np.exp(builtin.params["e"]), "alpha": builtin.params["alpha"], "beta": builtin.params["beta"]}
    for name, value in same.items():  # the built-in law fits log A, log B, log E
        assert ours.params[name] == pytest.approx(value, rel=1e-4), name
    assert "[[Law]]  my_law: loss = E + A * N^(-alpha) + B * D^(-beta)" in report
    assert any("Forecast" in s.value for s in at.subheader)
    at.text_area(key="own_spec").set_value(_cached.EXAMPLE_LAW.replace("N^(-alpha)", "N^(-alpha) + Q")).run()
    assert not at.exception and "Q" in at.error[0].value  # a name that is neither a column nor a parameter


def test_the_leaderboard_page_shows_the_benchmarks_from_the_committed_results():
    at = _page("9_Leaderboard.py")
    assert not at.exception and not at.error
    hitch, scale = at.dataframe[0].value, at.dataframe[1].value
    assert list(hitch["family"])[-1] == "mean" and len(hitch) == 13  # 12 scoreable families and their mean
    held_out = {f"{t} (held out)" for t in ("chinchilla_epoch", "overtraining", "isoflop_owt2")}
    assert set(scale["task"]) == {"parallel", "moe", "data_constrained", "farseer"} | held_out
    assert "| task | method |" in at.code[0].value
