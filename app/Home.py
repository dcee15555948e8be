"""scalinglaws: from training runs to a forecast with a band, in a minute.

Opens on a bundled real data set (Epoch's 240 Chinchilla runs), so it shows a fit and a forecast with no upload.
Every number on the page comes from a library call (see _cached.py); this file only lays out widgets."""

import streamlit as st

import _cached as cached
import scalinglaws as sl

cached.page("scalinglaws", "scalinglaws")
st.caption("Fit scaling laws to your training runs and forecast a larger run, with bootstrap uncertainty.")

with st.sidebar:
    st.header("Data")
    source = st.radio("Runs", [*cached.BUNDLED, "Upload CSV files or logs", "Paste CSV"], key="source")
    files = ()
    if source == "Upload CSV files or logs":
        uploads = st.file_uploader(f"One long CSV, or one CSV per run, or a zip of them, or training logs (at most "
                                   f"{cached.MAX_UPLOAD_MB} MB)", type=None, accept_multiple_files=True,
                                   help=cached.LOG_HELP, key="uploads")
        files = tuple((f.name, f.getvalue()) for f in uploads or ())
    elif source == "Paste CSV":
        text = st.text_area("CSV text (a header line, then one line per run or per logged step)", key="pasted")
        files = (("pasted.csv", text.encode()),) if text.strip() else ()
    st.header("Fit")
    resamples = st.select_slider("Bootstrap resamples (runs)", [0, 200, 500, 1000, 2000], value=1000,
                                 key="resamples")
    objective = st.radio("Objective on log residuals", ["Huber (delta 1e-3, Hoffmann et al.)", "least squares"],
                         key="objective")

if source in ("Upload CSV files or logs", "Paste CSV"):
    table = cached.table_or_stop(files, key="map", hint=(
        "Upload CSV files with one row per run (columns N, D or C, loss) or one row per logged step (run, step, lr, "
        "loss). Column names are matched case-insensitively, with aliases (params, tokens, flops, train_loss, ...); "
        "others can be mapped by hand. Training logs are read as they are: a zip of Hugging Face checkpoint folders, "
        "a W&B export, TensorBoard event files, Lightning's metrics.csv, an MLflow store, JSON lines."))
else:
    table = cached.bundled(source)

st.subheader("Data")
st.write(f"{len(table)} rows, {table.n_runs} runs.")
for note in table.notes:
    st.caption(f"note: {note}")
st.dataframe(table.describe(), hide_index=True)

laws = sl.applicable_laws(table)
if not laws:
    st.error("No law applies to these columns: a law needs, for example, N, D and loss (or N, C and loss), or "
             "step, lr and loss for loss curves.")
    st.stop()
names = list(laws)
law_name = st.selectbox("Law", names, index=names.index("chinchilla") if "chinchilla" in names else 0,
                        format_func=lambda n: laws[n].title, key="law")
with st.spinner(f"Fitting {law_name}" + (f" and {resamples} bootstrap refits" if resamples else "")):
    loss_name = "huber" if objective.startswith("Huber") else "squared"
    result = cached.fit(table, table.fingerprint(), law_name, resamples, loss=loss_name)
law = result.law

st.subheader("Fit")
cached.fit_report(result, key="fit_download")
left, right = st.columns(2)
for column, kind in ((left, "parity"), (right, "residuals")):
    png = cached.figure(kind, result, table, table.fingerprint(), law_name, resamples, loss_name)
    column.image(png)
    column.download_button(f"{kind.capitalize()} plot (PNG)", png, file_name=f"{law_name}_{kind}.png",
                           mime="image/png", key=f"png:{kind}")

st.subheader("Forecast")
if law.can("allocation"):
    budget = st.number_input("Compute budget C (FLOP)", min_value=1e10, max_value=1e35, value=5.88e23,
                             format="%.3e", key="budget")
    allocation = sl.compute_optimal(result, budget)
    st.dataframe(allocation.rows(), hide_index=True, column_config={
        k: st.column_config.NumberColumn(format="%.4g") for k in ("value", "lower", "upper")})
    st.download_button("Allocation (CSV)", allocation.to_csv(), file_name="allocation.csv", mime="text/csv")
    st.markdown(f"**Loss at this budget: {float(allocation.loss.value):.4f}**"
                + (f" (90% interval {float(allocation.loss.lower):.4f} to {float(allocation.loss.upper):.4f})"
                   if result.draws is not None else ""))
    for warning in allocation.warnings:
        st.caption(f"extrapolation: {warning}")
    left, _ = st.columns(2)
    frontier = cached.figure("frontier", result, table, table.fingerprint(), law_name, resamples,
                             loss_name)
    left.image(frontier)
    left.download_button("Frontier plot (PNG)", frontier, file_name=f"{law_name}_frontier.png", mime="image/png")
    target = st.number_input("Target loss", min_value=1e-6, value=2.0, format="%.4f", key="target")
    try:
        st.text(sl.compute_for_target(result, target).summary())
    except sl.UnreachableTargetError as exc:
        st.warning(str(exc))
else:
    st.write(f"{law.name} forecasts: {', '.join(law.forecasts)}. For loss curves under LR schedules, open the "
             "Loss curves page (sidebar).")
