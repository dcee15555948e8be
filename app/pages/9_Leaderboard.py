"""The leaderboard: this toolkit on two public benchmarks, beside the published numbers (Choshen et al.'s
Hitchhiker's-guide forecasting protocol; ScaleBench's run selection). Read from the committed fits/benchmark_*
results; `scalinglaws leaderboard --rerun --readme README.md` regenerates them and the README's table."""

import streamlit as st

import _cached as cached
import scalinglaws as sl

cached.page("scalinglaws: leaderboard", "Leaderboard: scored against the field")

try:
    board = cached.leaderboard()
except sl.InputError as exc:
    st.error(str(exc))
    st.stop()
for name, source in board.sources.items():
    line = f"fits/{name}: written by scalinglaws {source['version']}"
    (st.caption if source["ok"] else st.warning)(line + ("" if source["ok"] else "; some of its checks failed"))

if board.hitchhiker:
    st.subheader("Forecasting a family's largest model (Hitchhiker's-guide protocol)")
    st.caption("Absolute relative error (%) on the last 30% of each family's largest model; lower is better. "
               "curve_fit is the authors' estimator (our rerun and their published value), best seen their "
               "simplest baseline.")
    st.dataframe(list(board.hitchhiker), hide_index=True)
if board.scalebench:
    st.subheader("Choosing runs under a budget (ScaleBench)")
    st.caption("Target-region R^2 (clipped to [-1, 1]; higher is better) at each share of the pool's cost. Every "
               "method is run here by this toolkit; the published Table 2 value is beside ours. Tasks marked held "
               "out are built here from this repository's data (data/scalebench_heldout): our selection was not "
               "chosen on them, and nothing is published for them.")
    st.dataframe(board.scalebench_rows(), hide_index=True)
with st.expander("As markdown (the README's table)"):
    st.code(board.markdown(), language="markdown")
