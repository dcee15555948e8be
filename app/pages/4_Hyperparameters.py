"""Before a big run, the learning rate and batch size: Step Law's power laws fitted to an LR x batch-size grid (the
authors' selection, and an estimate that keeps every run), forecast for a planned (N, D) with intervals, and the
loss a choice off the optimum costs. Every number comes from a library call."""

import streamlit as st

import _cached as cached
import scalinglaws as sl

cached.page("scalinglaws: learning rate and batch size", "Learning rate and batch size for a planned run (Step Law)")

with st.sidebar:
    st.header("Grid")
    source = st.radio("Runs", [*cached.BUNDLED_GRIDS, "Upload CSV files or logs"], key="grid_source")
    threshold = st.select_slider("Keep runs within this loss of their group's best (authors' recipe)",
                                 [0.001, 0.0025, 0.005, 0.01], value=0.0025, format_func=lambda v: f"{v:.2%}",
                                 key="threshold")
    resamples = st.select_slider("Bootstrap resamples", [0, 100, 200, 500, 1000], value=200, key="grid_boot")
    method = st.radio("Forecast with", ["recipe", "all runs"], key="method",
                      format_func={"recipe": "the authors' recipe (selected runs)",
                                   "all runs": "every run (a quadratic bowl per group)"}.get)

if source == "Upload CSV files or logs":
    table = cached.upload_or_stop(
        "One row per run: N, D, lr, bs_tokens (or bs with a sequence length), loss", key="grid",
        hint="Upload an LR x batch-size grid: one row per run with N, D, lr, bs_tokens (or bs) and the final loss, "
             "at 3 or more (N, D).")
    numeric = [c for c in table.columns if c not in table.labels]
    loss = st.sidebar.selectbox("Loss column", numeric, index=numeric.index("loss") if "loss" in numeric else 0,
                                key="grid_loss")
    seq_len = st.sidebar.number_input("Tokens per sequence (0: batch sizes are in tokens)", min_value=0,
                                      value=0 if "bs_tokens" in table else 2048, key="grid_seq") or None
else:
    table = cached.bundled_grid(source)
    _, options = cached.BUNDLED_GRIDS[source]
    loss, seq_len = options["loss"], options["seq_len"]
    st.caption("Li et al. 2025 (arXiv:2503.04715), their released dense runs: final smoothed training loss of each "
               "(learning rate, batch size) at 17 model and data sizes; data/steplaw.")

try:
    with st.spinner(f"Fitting the LR and batch-size laws and {resamples} bootstrap refits"):
        result = cached.step_law(table, table.fingerprint(), loss, threshold, seq_len, resamples)
except (sl.InputError, sl.SchemaError) as exc:  # the table cannot give a grid: say why, fit nothing
    st.error(str(exc))
    st.stop()

st.code(result.summary(), language=None)
st.image(cached.step_law_figure(result, (table.fingerprint(), loss, threshold, seq_len, resamples), method))

st.subheader("A planned run")
a, b, c = st.columns(3)
n = a.number_input("Parameters N", value=7e9, format="%.3g", key="hp_n")
d = b.number_input("Training tokens D", value=1.4e12, format="%.3g", key="hp_d")
seq = c.number_input("Tokens per sequence", value=float(seq_len or 2048), format="%g", key="hp_seq")
planned = result.forecast(n, d, seq_len=seq, method=method)
st.markdown(f"**Learning rate: {planned.lr[0][0]:.3g}** "
            + (f"(90% interval {planned.lr[1][0]:.3g} .. {planned.lr[2][0]:.3g})" if resamples else "")
            + f"; **batch size: {planned.bs_tokens[0][0]:.3g} tokens** ({planned.bs_sequences[0][0]:.0f} sequences)")
st.code(planned.summary(), language=None)
published_lr = sl.forecast(sl.preset("steplaw_lr", "steplaw"), {"N": n, "D": d}).prediction.value
published_bs = sl.forecast(sl.preset("steplaw_bs", "steplaw"), {"D": d}).prediction.value
st.caption(f"The published Step Law (Li et al. 2025, mean of their bootstrap fits) at this run: learning rate "
           f"{float(published_lr[0]):.3g}, batch size {float(published_bs[0]):.3g} tokens.")

st.subheader("What a choice off the optimum costs")
e, f = st.columns(2)
lr = e.number_input("Your learning rate", value=1e-3, format="%.3g", key="hp_lr")
bs = f.number_input("Your batch size (tokens)", value=float(planned.bs_tokens[0][0]), format="%.3g", key="hp_bs")
penalty = float(result.penalty(n, d, lr, bs, method=method)[0])
st.markdown(f"**Loss {penalty:.2%} above the optimum** (the pooled curvature of the groups' loss bowls: a "
            "local, quadratic estimate, to trust within the ranges the grids covered)")
