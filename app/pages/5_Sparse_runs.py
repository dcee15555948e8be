"""Before a big run, a sparse (pruned) one: Chinchilla's law in the average parameter count N_avg (Jin et al.
2025), fitted to your runs, and the compute-optimal sparse run at a budget for a pruning schedule: the dense size
to start from, the final (inference) size, the tokens and the loss, with bands. Every number is a library call."""

import streamlit as st

import _cached as cached
import scalinglaws as sl
from scalinglaws.laws.sparse import plan_sparse, pruning_schedule

cached.page("scalinglaws: sparse runs", "Sparse pre-training: plan a pruned run at a budget")

with st.sidebar:
    st.header("Runs")
    source = st.radio("Runs", [*cached.BUNDLED, "Upload CSV files or logs"], key="sparse_source")
    resamples = st.select_slider("Bootstrap resamples (runs)", [0, 200, 500, 1000], value=200, key="sparse_boot")

if source == "Upload CSV files or logs":
    table = cached.upload_or_stop(
        "One row per run: N_avg, or N with final_sparsity (optional prune_start, prune_end), D and loss",
        key="sparse", hint=(
        "Upload sparse and dense runs: each with its average parameter count N_avg, or its dense size N and a "
        "final_sparsity column (pruned along a cubic ramp from 25% to 75% of training unless prune_start and "
        "prune_end say otherwise), its tokens D and final loss."))
else:
    table = cached.bundled_dense(source)
    st.info("These are dense runs (no pruning: N_avg = N), so the fit is Chinchilla's. Jin et al. found that pruned "
            "runs follow the same law in their average parameter count, which is what the plan below assumes. "
            "Upload your own sparse runs to fit it on them.")

try:
    with st.spinner("Fitting the law in N_avg" + (f" and {resamples} bootstrap refits" if resamples else "")):
        result = cached.sparse_fit(table, table.fingerprint(), resamples)
except (sl.InputError, sl.SchemaError) as exc:  # no N_avg and no way to compute it: say what is needed
    st.error(str(exc))
    st.stop()
(st.success if result.converged else st.error)("Converged." if result.converged else "The fit did not converge.")
for warning in result.warnings:
    st.warning(warning)
with st.expander("Fit report"):
    st.code(result.report(), language=None)

st.subheader("A sparse run at a budget")
a, b = st.columns(2)
budget = a.number_input("Compute budget C (FLOP, C = 6 N_avg D)", min_value=1e15, max_value=1e30, value=1e23,
                        format="%.3e", key="sparse_budget")
final = b.slider("Final sparsity", 0.0, 0.95, 0.75, 0.05, key="final_sparsity")
start, end = a.slider("Pruning from .. to (fraction of training)", 0.0, 1.0, (0.25, 0.75), 0.05, key="window")
shape = b.radio("Ramp", ["cubic", "linear"], horizontal=True, key="ramp")
plan = plan_sparse(result, budget, pruning_schedule(final, start=start, end=end, shape=shape))
st.markdown(f"**Start dense at {plan.N_dense[0]:.3g} parameters, end at {plan.N_final[0]:.3g}**; loss "
            f"{plan.loss[0]:.4f}" + (f" (90% interval {plan.loss[1]:.4f} .. {plan.loss[2]:.4f})"
                                     if resamples else ""))
st.code(plan.summary(), language=None)
dense = sl.compute_optimal(result, budget)
st.caption(f"The dense run at the same budget: {float(dense.N.value):.3g} parameters, loss "
           f"{float(dense.loss.value):.4f}. A sparse run reaches the same loss as the dense run of its average size "
           "and the same tokens, and ends smaller, so it serves cheaper.")
