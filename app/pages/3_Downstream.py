"""Downstream: a benchmark metric forecast through a chain (N, D) -> loss -> metric with one joint band, and COD's
per-item forecast. Every number is a library call."""

import streamlit as st

import _cached as cached
import scalinglaws as sl

cached.page("scalinglaws: Downstream", "Downstream metrics: loss -> metric chains, and COD on items")
chain_tab, cod_tab = st.tabs(["Loss -> metric chain", "COD: clustering on difficulty"])

with chain_tab:
    left, right = st.columns([1, 2])
    source = left.radio("Runs", [*cached.BUNDLED_LADDERS, "Upload CSV files or logs"], key="ladder_source")
    if source == "Upload CSV files or logs":
        uploads = left.file_uploader("Runs: columns N, D, loss and one or more metric columns (fractions)",
                                     type=None, accept_multiple_files=True,
                                     help=cached.LOG_HELP, key="ladder_uploads")
        files = tuple((f.name, f.getvalue()) for f in uploads or ())
        table = cached.table_or_stop(files, key="ladder_map", hint="Upload runs with N, D, loss and a metric column.")
    else:
        table = cached.bundled_ladder(source)
    stage_two = {n: law for n, law in sl.available_laws().items() if law.can("chain") and law.inputs == ("loss",)}
    then = left.selectbox("Metric law (stage 2)", list(stage_two), format_func=lambda n: stage_two[n].title,
                          key="then")
    target = stage_two[then].target
    metrics = [c for c in table.columns if c not in ("N", "D", "C", "loss") and c not in table.labels]
    default = metrics.index("err_avg_subset") if "err_avg_subset" in metrics else 0
    metric = left.selectbox(f"Metric column (fitted as {target})", metrics, index=default, key="metric")
    firsts = {n: law for n, law in sl.applicable_laws(table).items() if law.can("allocation") and law.can("chain")}
    first = left.selectbox("Loss law (stage 1)", list(firsts), format_func=lambda n: firsts[n].title, key="first",
                           index=list(firsts).index("gadre_overtrain") if "gadre_overtrain" in firsts else 0)
    sizes = table.distinct("N")
    largest = left.select_slider("Fit on models up to N", sizes, value=sizes[-2] if len(sizes) > 1 else sizes[-1],
                                 format_func=lambda v: f"{v:.3g}", key="largest")
    resamples = left.select_slider("Joint bootstrap resamples", [0, 100, 200, 500, 1000], value=200, key="chain_boot")
    data = table.with_column(target, table[metric]).at_most("N", largest)
    try:
        chained = cached.chain_fit(data, data.fingerprint(), first, then, resamples)
    except sl.InputError as exc:
        right.error(str(exc))
        st.stop()
    right.image(cached.chain_figure(chained, data, (data.fingerprint(), first, then, resamples)))
    a, b, c = right.columns(3)
    n = a.number_input("Planned N", value=6.9e9, format="%.3g", key="plan_n")
    d = b.number_input("Planned D (tokens)", value=1.4e11, format="%.3g", key="plan_d")
    goal = c.number_input(f"Target {target}", value=0.45, format="%.3f", key="goal")
    out = chained.forecast({"N": n, "D": d})
    right.markdown(f"**Forecast {target}: {float(out.prediction.value[0]):.4f}**"
                   + (f" (90% joint interval {float(out.prediction.lower[0]):.4f} .. "
                      f"{float(out.prediction.upper[0]):.4f})" if resamples else ""))
    right.code(out.summary(), language=None)
    try:
        right.code(chained.compute_for_target(goal).summary(), language=None)
    except sl.InputError as exc:
        right.warning(str(exc))
    with right.expander("Stage reports"):
        for stage in chained.stages:
            st.code(stage.report(), language=None)
    with right.expander("Backtest the chain: fit both stages below a compute cut, forecast the metric above it"):
        try:
            cuts = cached.backtest_cuts(data, data.fingerprint())
            cut = st.select_slider("Fit on the runs with C at most (FLOP)", cuts, value=cuts[-1],
                                   format_func=lambda c: f"{c:.3g}", key="chain_cut")
            tested = cached.chain_backtest(data, data.fingerprint(), first, then, float(cut), resamples)
        except sl.InputError as exc:
            st.warning(f"No backtest at this cut: {exc}")
        else:
            st.code(tested.summary(), language=None)
            st.dataframe([dict(r) for r in tested.rows], hide_index=True)

with cod_tab:
    bench = cached.cod_benchmark()
    st.caption("Pythia's term-frequency arithmetic items (200 groups of 50 questions, 16-shot, final checkpoints; "
               "data/pythia_termfreq_items). COD clusters the items by their pass rates on the training models, "
               "fits a law per cluster, and maps the extrapolatable subset to the full set.")
    left, right = st.columns([1, 2])
    train = left.multiselect("Training models", bench.models, default=list(bench.models[:5]), key="cod_train")
    radius = left.slider("Cluster radius (RMS pass-rate difference)", 0.05, 0.3, 0.1, 0.01, key="cod_radius")
    min_size = left.slider("Minimum cluster size", 2, 20, 5, key="cod_min")
    cod_boot = left.select_slider("Bootstrap over items and models", [0, 100, 200, 500], value=200, key="cod_boot")
    held = [m for m in bench.models if m not in train]
    targets = tuple(cached.COD_COMPUTE[m] for m in held) or (cached.COD_COMPUTE[bench.models[-1]],)
    try:
        result, png = cached.cod_run(bench, ("pythia",), tuple(bench.models.index(m) for m in train), targets,
                                     radius, min_size, cod_boot)
    except sl.InputError as exc:
        right.error(str(exc))
        st.stop()
    if not result.predictable:
        right.warning(result.warnings[0])
    right.image(png)
    right.code(result.summary(), language=None)
