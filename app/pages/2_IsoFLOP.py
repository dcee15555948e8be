"""IsoFLOP valleys (approach 2): for each compute budget of a sweep, the loss-minimising model size, and the
exponent of N*(C); beside it, approach 3 (a Chinchilla fit of the same runs). Every number is a library call."""

import streamlit as st

import _cached as cached
import scalinglaws as sl
from scalinglaws import plots

cached.page("scalinglaws: IsoFLOP", "IsoFLOP valleys (approach 2) beside the parametric fit (approach 3)")

with st.sidebar:
    st.header("Sweeps")
    source = st.radio("Runs", [*cached.BUNDLED_SWEEPS, "Upload CSV files or logs"], key="sweep_source")
    window = st.slider("Points each side of a valley's minimum in its parabola", 1, 4, 2, key="window")

if source == "Upload CSV files or logs":
    uploads = st.file_uploader("Runs grouped by compute budget: columns N, D (or C) and loss", type=None,
                               help=cached.LOG_HELP, accept_multiple_files=True, key="sweep_uploads")
    files = tuple((f.name, f.getvalue()) for f in uploads or ())
    table = cached.table_or_stop(files, key="sweep_map", hint="Upload IsoFLOP sweeps: several model sizes at "
                                 "each of several compute budgets (columns N, C or D, loss).")
else:
    table = cached.bundled_sweeps(source)
    labels = cached.SWEEP_LABELS
    cols = st.columns(len(labels))
    values = {name: table.label_values(name) for name in labels}
    chosen = {name: col.selectbox(name, values[name], key=f"label:{name}",
                                  index=values[name].index(cached.SWEEP_DEFAULT[name]))
              for col, name in zip(cols, labels)}
    table = table.where(**chosen)
    if len(table) == 0:
        st.error("No runs with these settings: choose another combination.")
        st.stop()

st.write(f"{len(table)} runs.")
try:
    valleys = cached.isoflop(table, table.fingerprint(), window)
except sl.InputError as exc:
    st.error(str(exc))
    st.stop()
left, right = st.columns(2)
left.markdown(f"**Approach 2: N\\* ~ C^{valleys.n_exponent:.3f}, D\\* ~ C^{valleys.d_exponent:.3f}** "
              f"(R^2 of the N* line {valleys.n_r2:.3f})")
figure = plots.plot_isoflop(table, valleys)
left.download_button("IsoFLOP plot (PNG)", plots.to_png(figure), file_name="isoflop.png", mime="image/png")
left.pyplot(figure, clear_figure=True)
left.dataframe(valleys.rows(), hide_index=True)
# approach 3: the laws these columns allow that can allocate a budget (the first in the registry by default)
laws = {n: law for n, law in sl.applicable_laws(table).items() if law.can("allocation")}
if not laws:
    right.info("No law these columns allow can allocate a budget (approach 3 needs N, D or C, and loss).")
    st.stop()
law_name = right.selectbox("Law for approach 3", list(laws), format_func=lambda n: laws[n].title, key="law3")
with st.spinner(f"Fitting {law_name} to the same runs (approach 3)"):
    result = cached.fit(table, table.fingerprint(), law_name, 200)
right.markdown("**Approach 3: the compute-optimal N\\* of the fit at the same budgets** (90% bootstrap interval)")
right.dataframe(cached.approaches_side_by_side(result, valleys), hide_index=True)
for warning in result.warnings:
    right.warning(warning)
right.code(result.report(), language=None)
