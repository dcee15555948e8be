"""Define your own law: a formula over the table's columns, with named parameters and bounds, compiled to the
same pure jnp predict as a built-in law (safely: the formula is parsed, never executed), then fitted, bootstrapped
and forecast like any other. Every number is a library call (see _cached.py)."""

import streamlit as st

import _cached as cached
import scalinglaws as sl

cached.page("scalinglaws: your own law", "Your own law, from a formula")

with st.sidebar:
    st.header("Runs")
    source = st.radio("Runs", [*cached.BUNDLED, "Upload CSV files or logs"], key="own_source")
    if source == "Upload CSV files or logs":
        table = cached.upload_or_stop("One row per run: the columns your formula uses, and the target",
                                      key="own", hint="Upload runs with the columns your law's formula names.")
    else:
        table = cached.bundled(source)
    resamples = st.select_slider("Bootstrap resamples (runs)", [0, 100, 200, 500], value=200, key="own_resamples")

st.caption("Columns: " + ", ".join(table.columns) + ". Functions: " + ", ".join(sorted(sl.laws.formula.FUNCTIONS))
           + "; powers as ^ or **. Each parameter needs a lower and an upper bound (or a grid of starts).")
spec = st.text_area("Law (YAML or JSON)", cached.EXAMPLE_LAW, height=260, key="own_spec")
with st.spinner("Compiling and fitting the law"):
    result = cached.formula_fit(table, table.fingerprint(), spec, int(resamples))
if isinstance(result, (sl.InputError, sl.SchemaError)):
    st.error(str(result))
    st.stop()

cached.fit_report(result, key="own_download")
left, _ = st.columns(2)
left.image(cached.formula_figure(result, table, (table.fingerprint(), spec, int(resamples))))

st.subheader("Forecast")
at = {}
columns = st.columns(len(result.law.inputs))
for column, name in zip(columns, result.law.inputs):
    at[name] = column.number_input(f"{name} (largest in the data: {result.input_ranges[name][1]:.3g})",
                                   value=float(result.input_ranges[name][1]), format="%.4g", key=f"own_at_{name}")
prediction = sl.forecast(result, {k: [v] for k, v in at.items()})
st.text(prediction.summary())
