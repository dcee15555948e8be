"""Loss curves under LR schedules: fit the LR-annealing law (Tissue et al.) or the Multi-Power Law (Luo et al.) to
logged curves (step, lr, loss), then forecast the curve of any schedule, rank schedules, and find the best WSD decay.
Every number comes from a library call."""

import streamlit as st

import _cached as cached
import scalinglaws as sl
from scalinglaws import plots

cached.page("scalinglaws: loss curves", "Loss curves under LR schedules")

with st.sidebar:
    st.header("Curves")
    source = st.radio("Curves", [*cached.BUNDLED_CURVES, "Upload CSV files or logs"], key="curve_source")
    if source == "Upload CSV files or logs":
        uploads = st.file_uploader(f"One CSV per run (step, lr, loss), or one long CSV with a run column (at most "
                                   f"{cached.MAX_UPLOAD_MB} MB)", type=None, accept_multiple_files=True,
                                   help=cached.LOG_HELP,
                                   key="curve_uploads")
        files = tuple((f.name, f.getvalue()) for f in uploads or ())
    bundled = source != "Upload CSV files or logs"  # the bundled curves start logging after a 2160-step warmup
    warmup = st.number_input("Warmup steps before the first logged step (linear from 0)", min_value=0,
                             value=2160 if bundled else 0, step=100, key="warmup" if bundled else "warmup_upload")
    resamples = st.select_slider("Bootstrap resamples (blocks of steps for few curves)", [0, 50, 100, 200, 500],
                                 value=100, key="curve_resamples")

if source == "Upload CSV files or logs":
    table = cached.table_or_stop(files, key="curve_map", hint="Upload loss curves: columns step, lr and loss, "
                                 "one CSV per run (or a run column).")
else:
    table = cached.bundled_curves(source)

laws = {n: law for n, law in sl.applicable_laws(table).items() if law.can("curve")}
if not laws:
    st.error("These columns allow no loss-curve law: the curves need step, lr and loss columns.")
    st.stop()
runs = [str(r) for r in table.run_ids]
chosen = st.multiselect("Fit on these curves (the others are held out and scored)", runs,
                        default=[r for r in cached.DEFAULT_CURVES if r in runs] or runs[:3],
                        key=f"fit_runs:{table.fingerprint()}")  # new data, new choice (not a stale one)
if not chosen:
    st.stop()
names = list(laws)
law_name = st.selectbox("Law", names, index=names.index("tissue") if "tissue" in names else 0,
                        format_func=lambda n: laws[n].title, key="curve_law")
train = table.with_runs(chosen)
with st.spinner(f"Fitting {law_name} on {len(chosen)} curves"):
    try:
        result = cached.fit(train, train.fingerprint(), law_name, resamples, warmup=int(warmup))
    except sl.InputError as exc:  # the user's settings or data (a warmup past the logs' first step, too few points)
        st.error(str(exc))
        st.stop()

st.subheader("Fit")
(st.success if result.converged else st.error)("Converged." if result.converged else "The fit did not converge.")
for warning in result.warnings:
    st.warning(warning)
st.code(result.report(), language=None)
st.download_button("Download the fit (JSON)", result.to_json(), file_name=f"{law_name}_fit.json",
                   mime="application/json")
scored = cached.curve_scores(result, table, warmup=int(warmup))
st.dataframe(scored, hide_index=True)
st.pyplot(plots.plot_curves(result, cached.with_schedules(table, int(warmup), table.fingerprint())),
          clear_figure=True)

st.subheader("Schedule editor")
defaults = sl.curves.schedule_defaults(table)
c1, c2, c3, c4 = st.columns(4)
kind = c1.selectbox("Schedule", ["cosine", "WSD", "constant", "linear", "step"], key="kind")
total = c2.number_input("Total steps", min_value=100, value=defaults["total"], step=1000, key="total")
peak = c3.number_input("Peak LR", min_value=1e-8, value=defaults["peak"], format="%.2e", key="peak")
floor = c4.number_input("Final LR", min_value=0.0, value=defaults["floor"], format="%.2e", key="floor")
decay = st.slider("WSD decay (fraction of the steps)", 0.05, 0.6, 0.2, 0.05, key="decay") if kind == "WSD" else 0.2
span = dict(total=int(total), peak=float(peak), floor=float(floor), warmup=int(warmup))
schedule = sl.schedules.build(sl.schedules.standard(**span, decay=float(decay))[kind.lower()])
forecast = sl.curves.predict_curve(result, schedule)
st.markdown(f"**Predicted final loss: {forecast.final[0]:.4f}**"
            + (f" (90% interval {forecast.final[1]:.4f} to {forecast.final[2]:.4f})" if result.draws is not None else ""))
for warning in forecast.warnings:
    st.caption(f"extrapolation: {warning}")
figure = plots.plot_curve_forecast(forecast, train, label=f"{kind} schedule")
st.download_button("Predicted curve (CSV)", forecast.to_csv(), file_name=f"{kind}_curve.csv", mime="text/csv")
st.download_button("Curve plot (PNG)", plots.to_png(figure), file_name=f"{kind}_curve.png", mime="image/png")
st.pyplot(figure, clear_figure=True)

st.subheader("Schedules ranked by predicted final loss")
candidates = sl.schedules.standard(**span)  # WSD with its decay over the last 20% of the steps
ranking = sl.curves.compare_schedules(result, {name: sl.schedules.build(spec) for name, spec in candidates.items()})
st.text(ranking.summary())
best = sl.curves.best_wsd_decay(result, span["total"], span["peak"], span["floor"], warmup=span["warmup"])
st.text(best.summary())
