"""Before a big run with too little unique data: Muennighoff et al.'s data-constrained law (repeated tokens and
excess parameters decay), fitted to runs that repeat data, and the compute-optimal model, tokens and epochs under a
cap on unique tokens, with bands. Every number comes from a library call."""

import streamlit as st

import _cached as cached
import scalinglaws as sl
from scalinglaws.laws.data_constrained import epochs_worth

cached.page("scalinglaws: repeated data", "Repeated data: the best run under a cap on unique tokens")

with st.sidebar:
    st.header("Runs")
    source = st.radio("Runs", [*cached.BUNDLED_REPEATS, "Upload CSV files or logs"], key="repeat_source")
    frozen = st.radio("Fit", ["R_D*, R_N* with the published C4 Chinchilla part frozen (as the authors did)",
                              "every parameter jointly"], key="repeat_fit").startswith("R_D*")
    resamples = st.select_slider("Bootstrap resamples (runs)", [0, 100, 200, 500], value=200, key="repeat_boot")

if source == "Upload CSV files or logs":
    table = cached.upload_or_stop("One row per run: N, D (total tokens), U (unique tokens), loss", key="repeat",
                                  hint="Upload runs that repeat data: N, D, U and loss.")
else:
    table = cached.bundled_repeats(source)
    st.caption("Muennighoff et al. 2023 (arXiv:2305.16264): the 182 C4 runs of their main fit, models of 7M to 9B "
               "parameters trained for 1 to 9,000 epochs over 100M to 178B unique tokens; data/datablations.")

try:
    with st.spinner("Fitting the data-constrained law" + (f" and {resamples} bootstrap refits" if resamples else "")):
        result = cached.repeats_fit(table, table.fingerprint(), frozen, resamples)
except (sl.InputError, sl.SchemaError) as exc:
    st.error(str(exc))
    st.stop()
(st.success if result.converged else st.error)("Converged." if result.converged else "The fit did not converge.")
for warning in result.warnings:
    st.warning(warning)
rd = result.natural["rd_star"]
st.markdown(f"**R_D\\* = {rd:.2f}, R_N\\* = {result.natural['rn_star']:.2f}**: past "
            f"{epochs_worth(rd, 0.5):.1f} epochs, one more pass over the data is worth less than half as much as "
            "fresh tokens.")
if result.draws is not None:
    lo, hi = result.interval("rd_star")
    st.caption(f"R_D\\*'s 95% bootstrap interval: {lo:.3g} .. {hi:.3g}. An upper end far above the runs' epochs "
               "means the runs hardly bound how long repetition keeps paying: trust the epoch count below less.")
with st.expander("Fit report"):
    st.code(result.report(), language=None)

st.subheader("The best run under a cap on unique tokens")
a, b = st.columns(2)
budget = a.number_input("Compute budget C (FLOP)", min_value=1e15, max_value=1e30, value=1e22, format="%.3e",
                        key="repeat_budget")
unique = b.number_input("Unique tokens U available", min_value=1e6, value=1.8e10, format="%.3e", key="unique")
allocation = sl.compute_optimal(result, budget, fixed={"U": unique})
st.dataframe(allocation.rows(), hide_index=True, column_config={
    k: st.column_config.NumberColumn(format="%.4g") for k in ("value", "lower", "upper")})
epochs = allocation.derived["epochs D/U"]
st.markdown(f"**{float(allocation.N.value):.3g} parameters on {float(allocation.D.value):.3g} tokens: "
            f"{float(epochs.value):.1f} epochs** over the unique data; loss {float(allocation.loss.value):.4f}")
for warning in allocation.warnings:
    st.caption(f"extrapolation: {warning}")
st.image(cached.epochs_figure(result, (table.fingerprint(), frozen, resamples), float(allocation.N.value), unique))
