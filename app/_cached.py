"""Cached library calls for the app: results are keyed by the data's fingerprint and the settings, so that moving
a forecast widget never refits. No arithmetic here: every number comes from scalinglaws."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import scalinglaws as sl
from _upload import LOG_HELP, MAX_UPLOAD_MB, table_or_stop, upload_or_stop  # noqa: F401  (the pages call cached.*)
from scalinglaws import plots

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = {
    "Epoch's Chinchilla runs (240 final losses; Besiroglu et al. 2024)": (
        ROOT / "data" / "chinchilla_epoch" / "svg_extracted_data.csv", {"drop_largest": ("loss", 5)}),
}
FITS_RUN = {"count": 0}  # fits actually computed (not served from the cache); the app's tests read it


@st.cache_resource(show_spinner=False)
def bundled(name: str) -> sl.RunTable:
    path, options = BUNDLED[name]
    table = sl.read_runs(path)
    if "drop_largest" in options:
        table = table.drop_largest(*options["drop_largest"])
    return table


@st.cache_resource(show_spinner=False)
def fit(_table: sl.RunTable, fingerprint: str, law: str, resamples: int, seed: int = 0, loss: str = "huber",
        delta: float = 1e-3, warmup: int = 0) -> sl.FitResult:
    """The law fitted (and bootstrapped, with a progress bar) once per data fingerprint and settings; ``_table`` is
    not hashed (its fingerprint is)."""
    FITS_RUN["count"] += 1
    table = _table
    if "lr" in sl.get_law(law).series and not table.series.get("lr"):
        table = sl.curves.schedules_from_lr(table, warmup=warmup)
    result = sl.fit(law, table, loss=loss, delta=delta, throw=False)
    if resamples and result.converged:
        bar = st.progress(0.0, text=f"bootstrap: 0 of {resamples} refits")
        result = sl.bootstrap(result, table, resamples, seed=seed,
                              progress=lambda done, n: bar.progress(done / n, text=f"bootstrap: {done} of {n} refits"))
        bar.empty()
    return result


@st.cache_resource(show_spinner=False, max_entries=64)
def figure(kind: str, _result: sl.FitResult, _table: sl.RunTable, fingerprint: str, law: str, resamples: int,
           loss: str = "huber") -> bytes:
    """A figure of the fit as PNG bytes, drawn once per fit (shown and downloaded from the same bytes)."""
    draw = {"parity": plots.plot_parity, "residuals": plots.plot_residuals, "frontier": plots.plot_frontier}[kind]
    fig = draw(_result, _table)
    return _png(fig)


def _png(fig) -> bytes:
    """A figure's PNG bytes; the figure is closed (a page draws many)."""
    png = plots.to_png(fig)
    plots.close(fig)
    return png


def fit_report(result: sl.FitResult, *, key: str) -> None:
    """A fit's convergence, warnings and report, with its JSON to download (loadable by `scalinglaws report`)."""
    if result.converged:
        st.success(f"Converged; {result.n_at_best} of {result.n_refined} refined starts reached the best optimum.")
    else:
        st.error("The fit did not converge: see the warnings below.")
    for warning in result.warnings:
        st.warning(warning)
    st.code(result.report(), language=None)
    st.download_button("Download the fit (JSON, loadable by `scalinglaws report`)", result.to_json(),
                       file_name=f"{result.law.name}_fit.json", mime="application/json", key=key)


def page(title: str, heading: str) -> None:
    """A page's set-up: its title and layout, the caches, its heading."""
    st.set_page_config(page_title=title, layout="wide")
    enable_caches()
    st.title(heading)


def enable_caches() -> None:
    """Compiled solvers kept on disk (as the CLI keeps them), so that a freshly started app fits without tracing
    (a cache already on is kept: calling this again changes nothing)."""
    sl.enable_compilation_cache()



BUNDLED_CURVES = {
    "25M-parameter model, 9 schedules (Tissue et al. / Luo et al. curves)": ROOT / "data" / "lr_schedules" / "csv_25",
}
DEFAULT_CURVES = ("constant_24000", "cosine_24000", "wsdcon_9")


@st.cache_resource(show_spinner=False)
def bundled_curves(name: str) -> sl.RunTable:
    return sl.read_runs(BUNDLED_CURVES[name])


@st.cache_resource(show_spinner=False)
def with_schedules(_table: sl.RunTable, warmup: int, fingerprint: str) -> sl.RunTable:
    """The table with each run's schedule read from its logged lr (cached per data fingerprint and warmup)."""
    return sl.curves.schedules_from_lr(_table, warmup=warmup)


def curve_scores(result: sl.FitResult, table: sl.RunTable, *, warmup: int) -> list[dict]:
    """Each curve's fit quality (fitted and held-out runs), as table rows."""
    scores = sl.curves.evaluate_curves(result, with_schedules(table, warmup, table.fingerprint()))
    fitted = set(map(str, result.runs))
    return [{"run": run, "used in the fit": run in fitted, "R^2": m["r2"], "mean rel. error": m["mre"],
             "final rel. error": m["final_rel_error"]} for run, m in scores.items()]


BUNDLED_SWEEPS = {
    "OpenWebText2 IsoFLOP sweeps (Porian et al. 2024)": ROOT / "data" / "isoflop_owt2" / "isoflop_points.csv",
}
SWEEP_LABELS = ("hparams", "warmup", "decay", "param_count", "val")
SWEEP_DEFAULT = {"hparams": "tuned", "warmup": "short", "decay": "const", "param_count": "standard", "val": "val"}


@st.cache_resource(show_spinner=False)
def bundled_sweeps(name: str) -> sl.RunTable:
    return sl.read_runs(BUNDLED_SWEEPS[name], drop_empty=True)


@st.cache_resource(show_spinner=False)
def isoflop(_table: sl.RunTable, fingerprint: str, window: int) -> sl.IsoflopResult:
    return sl.isoflop(_table, window=window)


def approaches_side_by_side(result: sl.FitResult, valleys: sl.IsoflopResult) -> list[dict]:
    """Approach 2's N* beside approach 3's compute-optimal N* (with its band) at each budget of the sweep."""
    rows = []
    for row in valleys.rows():
        allocation = sl.compute_optimal(result, row["C"])
        rows.append({"C": row["C"], "approach 2 N*": row["N*"], "approach 3 N*": float(allocation.N.value),
                     "approach 3 lower": float(allocation.N.lower), "approach 3 upper": float(allocation.N.upper)})
    return rows


BUNDLED_LADDERS = {
    "Gadre et al. 2024, C4 ladder (46 tasks)": {"dataset": "c4_original"},
    "Gadre et al. 2024, RefinedWeb ladder (46 tasks)": {"dataset": "rw_original"},
}
LADDER_FILE = ROOT / "data" / "overtraining" / "gadre_models_c4_rw.csv"
LADDER_RENAME = {"name": "run", "loss_c4_val": "loss"}  # Gadre's default loss is on C4's validation set


@st.cache_resource(show_spinner=False)
def bundled_ladder(name: str) -> sl.RunTable:
    return sl.read_runs(LADDER_FILE, rename=LADDER_RENAME).where(**BUNDLED_LADDERS[name])


@st.cache_resource(show_spinner=False)
def chain_fit(_table: sl.RunTable, fingerprint: str, first: str, then: str, resamples: int, seed: int = 0) -> sl.Chain:
    """Both stages fitted and bootstrapped with one resample plan (so the chain's band is joint), once per data
    fingerprint and settings."""
    FITS_RUN["count"] += 1
    stages = [sl.fit(first, _table), sl.fit(then, _table)]
    if resamples:
        plan = sl.resample_plan(_table, n=resamples, seed=seed)
        bar = st.progress(0.0, text="joint bootstrap of both stages")
        boot = []
        for k, stage in enumerate(stages):
            boot.append(sl.bootstrap(stage, _table, plan=plan))
            bar.progress((k + 1) / len(stages), text=f"joint bootstrap: stage {k + 1} of {len(stages)}")
        bar.empty()
        stages = boot
    return sl.chain(*stages)


@st.cache_resource(show_spinner=False, max_entries=16)
def chain_figure(_chain: sl.Chain, _table: sl.RunTable, key: tuple) -> bytes:
    fig = plots.plot_chain(_chain, _table)
    return _png(fig)


# COD's bundled items: Pythia's arithmetic pass rates; each model's compute C = 6 N D as in
# fits/cod_pythia_arithmetic/spec.json (non-embedding N, 299,892,736,000 tokens)
COD_MATRIX = ROOT / "data" / "pythia_termfreq_items" / "passrate_matrix_step143000_16shot.csv"
COD_COMPUTE = {"160m": 1.53046059319296e20, "410m": 5.439660004044964e20, "1b": 1.4498070473138504e21,
               "1.4b": 2.1747068858888356e21, "2.8b": 4.5301541431463117e21, "6.9b": 1.159534616935347e22,
               "12b": 2.0381359066526515e22}


@st.cache_resource(show_spinner=False)
def cod_benchmark():
    return sl.cod.Benchmark.from_matrix(sl.read_matrix(COD_MATRIX), COD_COMPUTE)


@st.cache_resource(show_spinner=False, max_entries=16)
def cod_run(_bench, key: tuple, train: tuple[int, ...], targets: tuple[float, ...], radius: float, min_size: int,
            resamples: int):
    result = sl.cod.cod(_bench, list(targets), train=list(train), radius=radius, min_size=min_size,
                        n_boot=resamples)
    return result, _png(plots.plot_cod(result, _bench))


# Before a big run: Step Law's LR x batch-size grid, Muennighoff et al.'s repeated-data runs, sparse plans
BUNDLED_GRIDS = {
    "Step Law's dense LR x batch-size grid (Li et al. 2025: 1911 runs, 17 (N, D) groups)": (
        ROOT / "data" / "steplaw" / "dense_lr_bs_loss.csv", {"rename": {"exp_name": "run"}, "loss": "smooth loss",
                                                             "seq_len": 2048}),
}


@st.cache_resource(show_spinner=False)
def bundled_grid(name: str) -> sl.RunTable:
    path, options = BUNDLED_GRIDS[name]
    return sl.read_runs(path, rename=options["rename"])


@st.cache_resource(show_spinner=False)
def step_law(_table: sl.RunTable, fingerprint: str, loss: str, threshold: float, seq_len: float | None,
             resamples: int):
    """Both Step Law estimates, once per data fingerprint and settings."""
    from scalinglaws.hyper import step_law as fit_step_law

    FITS_RUN["count"] += 1
    return fit_step_law(_table, loss=loss, threshold=threshold, seq_len=seq_len, n_boot=resamples)


@st.cache_resource(show_spinner=False, max_entries=16)
def step_law_figure(_result, key: tuple, method: str) -> bytes:
    fig = plots.plot_step_law(_result, method=method)
    return _png(fig)


BUNDLED_REPEATS = {
    "Muennighoff et al. 2023: 182 C4 runs, 1 to 9,000 epochs": ROOT / "data" / "datablations" /
    "datablations_c4_main_fit_182.csv",
}


@st.cache_resource(show_spinner=False)
def bundled_repeats(name: str) -> sl.RunTable:
    return sl.read_runs(BUNDLED_REPEATS[name])


@st.cache_resource(show_spinner=False)
def repeats_fit(_table: sl.RunTable, fingerprint: str, frozen: bool, resamples: int, seed: int = 0) -> sl.FitResult:
    """The data-constrained law: R_D*, R_N* with the published C4 base frozen (as Muennighoff et al. fitted it),
    or every parameter jointly; bootstrapped over runs."""
    from scalinglaws.laws.data_constrained import C4

    FITS_RUN["count"] += 1
    if frozen:
        result = sl.fit("data_constrained", _table, fixed=C4, init={"rd_star": 5.0, "rn_star": 5.0}, throw=False)
    else:
        result = sl.fit("data_constrained", _table, throw=False)
    if resamples and result.converged:
        result = sl.bootstrap(result, _table, resamples, seed=seed)
    return result


@st.cache_resource(show_spinner=False, max_entries=16)
def epochs_figure(_result: sl.FitResult, key: tuple, n: float, u: float) -> bytes:
    fig = plots.plot_epochs(_result, n, u)
    return _png(fig)


@st.cache_resource(show_spinner=False)
def bundled_dense(name: str) -> sl.RunTable:
    """A bundled table of dense runs, said to be dense (final sparsity 0, so N_avg = N)."""
    return bundled(name).with_column("final_sparsity", 0.0, kind="fraction")


@st.cache_resource(show_spinner=False)
def sparse_fit(_table: sl.RunTable, fingerprint: str, resamples: int, seed: int = 0) -> sl.FitResult:
    """The sparse law in N_avg (from the table's N_avg, sparsity series or final_sparsity column), bootstrapped."""
    from scalinglaws.laws.sparse import SPARSE, with_average_size

    FITS_RUN["count"] += 1
    table = with_average_size(_table)
    result = sl.fit(SPARSE, table, throw=False)
    if resamples and result.converged:
        result = sl.bootstrap(result, table, resamples, seed=seed)
    return result


@st.cache_resource(show_spinner=False)
def backtest_cuts(_table: sl.RunTable, fingerprint: str) -> list[float]:
    return sl.backtest.default_cuts(_table, "C", count=6)


@st.cache_resource(show_spinner=False, max_entries=32)
def compare_laws(_table: sl.RunTable, fingerprint: str, cut: float, target: float, resamples: int):
    """Every applicable law backtested at ``cut`` and forecast at ``target`` (once per data, cut and settings)."""
    return sl.backtest.compare_laws(_table, cut=cut, target_compute=target, n_boot=resamples)


@st.cache_resource(show_spinner=False, max_entries=32)
def backtest(_table: sl.RunTable, fingerprint: str, law: str, cut: float, resamples: int):
    return sl.backtest.backtest(law, _table, cut=cut, by="C", n_boot=resamples)


def ranking_rows(ranking) -> list[dict]:
    """The ranking as table rows for display (the library's numbers, as they are)."""
    out = []
    for rank, r in enumerate(ranking.rows, 1):
        if r.get("failed"):
            out.append({"rank": None, "law": r["law"], "note": r["failed"]})
            continue
        fc = r.get("forecast") or {}
        out.append({"rank": rank, "law": r["law"], "RMS log error": r["rmse_log"], "mean |rel. error|":
                    r["mean_abs_rel"], "in the law's band": r["coverage"], "in a run's band": r["run_coverage"],
                    "loss at target": fc.get("value"), "lower": fc.get("lower"), "upper": fc.get("upper")})
    return out


def as_json(obj) -> str:
    import json

    return json.dumps(obj.to_dict(), indent=2)


RISK_DRAWS = 500  # a probability to about 2% (one draw is 0.2%)


@st.cache_resource(show_spinner=False, max_entries=32)
def risk(_table: sl.RunTable, fingerprint: str, law: str, compute: float, target: float, probability: float):
    """The fit on every run with 500 bootstrap draws (cached per data and law), asked both risk questions."""
    fitted = fit(_table, fingerprint, law, RISK_DRAWS)
    return (sl.risk.probability_of_target(fitted, target, compute=compute),
            sl.risk.compute_for_probability(fitted, target, probability))


@st.cache_resource(show_spinner=False, max_entries=32)
def suggestions(_table: sl.RunTable, fingerprint: str, law: str, compute: float, cap: float, k: int):
    """The next ``k`` runs within ``cap`` for the compute-optimal forecast at ``compute``, from the same
    bootstrapped fit as the risk."""
    fitted = fit(_table, fingerprint, law, RISK_DRAWS)
    return sl.suggest.suggest_runs(fitted, _table, k=k, cap=cap, budget=compute)


@st.cache_resource(show_spinner=False, max_entries=32)
def chain_backtest(_table: sl.RunTable, fingerprint: str, first: str, then: str, cut: float, resamples: int):
    """The chain's backtest at ``cut`` (both stages fitted below it, one resample plan), once per data and cut."""
    return sl.backtest.backtest_chain([first, then], _table, cut=cut, n_boot=resamples)


EXAMPLE_LAW = """# A law of your own: a formula over the table's columns, parameters with bounds (YAML or JSON)
name: my_law
formula: E + A * N^(-alpha) + B * D^(-beta)
inputs: [N, D]
target: loss
params:
  - {name: E, lower: 0.1, upper: 10}
  - {name: A, lower: 1, upper: 1e6}
  - {name: alpha, lower: 0.01, upper: 2}
  - {name: B, lower: 1, upper: 1e7}
  - {name: beta, lower: 0.01, upper: 2}
"""


@st.cache_resource(show_spinner=False, max_entries=16)
def formula_fit(_table: sl.RunTable, fingerprint: str, spec: str, resamples: int, seed: int = 0):
    """The law a spec defines, fitted (and bootstrapped) once per data and spec text; or the error that says what
    is wrong with the spec or the data."""
    FITS_RUN["count"] += 1
    try:
        law = sl.formula_law(spec)
        result = sl.fit(law, _table, throw=False)
    except (sl.InputError, sl.SchemaError) as exc:
        return exc
    if resamples and result.converged:
        result = sl.bootstrap(result, _table, resamples, seed=seed)
    return result


@st.cache_resource(show_spinner=False, max_entries=16)
def formula_figure(_result: sl.FitResult, _table: sl.RunTable, key: tuple) -> bytes:
    fig = plots.plot_parity(_result, _table)
    return _png(fig)


@st.cache_resource(show_spinner=False)
def leaderboard() -> sl.leaderboard.Leaderboard:
    """The benchmark scores from the committed fits/benchmark_* results (regenerated by `scalinglaws leaderboard
    --rerun`)."""
    return sl.leaderboard.leaderboard(ROOT / "fits")
