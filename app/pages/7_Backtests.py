"""Is this forecast any good, and which law to believe: each law the columns allow, fitted on the runs below a
compute cut and scored on the runs above it, ranked by that error, with its forecast at a target budget; the
risk that a planned run misses a target; and which runs to make next. Every number is a library call (see
_cached.py)."""

import streamlit as st

import _cached as cached
import scalinglaws as sl

cached.page("scalinglaws: backtests", "Backtests: which law forecasts upward best on these runs")

with st.sidebar:
    st.header("Runs")
    source = st.radio("Runs", [*cached.BUNDLED, "Upload CSV files or logs"], key="bt_source")
    if source == "Upload CSV files or logs":
        table = cached.upload_or_stop("One row per run: N, D (or C), loss", key="bt",
                                      hint="Upload runs with N, D (or C) and loss to backtest the laws on them.")
    else:
        table = cached.bundled(source)
    resamples = st.select_slider("Bootstrap resamples per backtest (bands and coverage)", [0, 100, 200, 500],
                                 value=0, key="bt_resamples")

if "C" not in table:
    st.error("A backtest cuts on compute C: the runs need C, or N and D (C = 6 N D).")
    st.stop()
try:
    cuts = cached.backtest_cuts(table, table.fingerprint())
except sl.InputError as exc:
    st.error(str(exc))
    st.stop()
cut = st.select_slider("Fit on the runs with C at most (FLOP); forecast the rest", cuts, value=cuts[-1],
                       format_func=lambda c: f"{c:.3g}", key="bt_cut")
target = st.number_input("Target compute for each law's forecast (FLOP)", min_value=1e10, value=5.88e23,
                         format="%.3g", key="bt_target")
with st.spinner("Backtesting every law the columns allow"):
    ranking = cached.compare_laws(table, table.fingerprint(), float(cut), float(target), int(resamples))
st.subheader("Laws ranked by backtest error")
st.dataframe(cached.ranking_rows(ranking), hide_index=True)
st.code(ranking.summary(), language=None)
st.download_button("Download the ranking (JSON)", cached.as_json(ranking), file_name="backtest_ranking.json",
                   key="bt_download")

ranked = [r["law"] for r in ranking.rows if not r.get("failed")]
if ranked:
    st.subheader("One law's forecasts of the held-out runs")
    law = st.selectbox("Law", ranked, key="bt_law")
    chosen = cached.backtest(table, table.fingerprint(), law, float(cut), int(resamples))
    st.write(chosen.summary())
    st.dataframe([dict(r) for r in chosen.rows], hide_index=True)

st.subheader("Risk at the target")
st.caption("From bootstrap draws of the fit on every run: the share of draws whose compute-optimal run at the "
           "target compute reaches the target loss, and the budget that reaches it in a chosen share of draws.")
allocating = [n for n in ranked if sl.get_law(n).can("allocation")]
if not allocating:
    st.info("No ranked law declares a compute-optimal allocation.")
    st.stop()
risk_law = st.selectbox("Law", allocating, key="risk_law")
left, right = st.columns(2)
target_loss = left.number_input("Target loss", min_value=0.0, value=1.95, step=0.01, format="%.4f", key="risk_loss")
chance = right.slider("Probability wanted", 0.5, 0.99, 0.9, 0.01, key="risk_p")
try:
    risk, budget = cached.risk(table, table.fingerprint(), risk_law, float(target), float(target_loss), float(chance))
except sl.InputError as exc:
    st.error(str(exc))
    st.stop()
st.markdown(f"**{risk.summary().splitlines()[0]}**")
st.code(risk.summary() + "\n\n" + budget.summary(), language=None)

st.subheader("Which runs to make next")
st.caption("The runs, within a compute cap for all of them together, that most narrow the band of the "
           "compute-optimal loss at the target compute: chosen on the fit's curvature averaged over its bootstrap "
           "draws, each with the band expected once it is made, beside a compute-optimal ladder of the same cost.")
left, right = st.columns(2)
cap = left.number_input("Compute for the new runs together (FLOP)", min_value=1e10, value=1e22,
                        format="%.3g", key="sug_cap")
count = right.slider("Runs", 1, 8, 4, key="sug_k")
try:
    plan = cached.suggestions(table, table.fingerprint(), risk_law, float(target), float(cap), int(count))
except sl.InputError as exc:
    st.error(str(exc))
    st.stop()
st.markdown(f"**Expected band width {plan.expected_width:.4g} after these runs, from {plan.width:.4g} now**")
st.dataframe(plan.rows(), hide_index=True)
st.code(plan.summary(), language=None)
st.download_button("Download the runs to make (CSV)", plan.to_csv(), file_name="next_runs.csv", key="sug_download")
