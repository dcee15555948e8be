"""The ``suggest`` kind of fits/ entry: run suggestions checked against the truth on simulated runs.

For each seed: runs of a law at known parameters (an isoFLOP-style ladder of small runs), fitted and bootstrapped;
``k`` runs suggested within a compute cap for the forecast at ``budget``; the same number of runs from the default
ladder (compute-optimal, compute doubling) at the same total cost; both sets of runs made (simulated, with the
same scatter draws, so that the comparison is paired) and added; each table refitted and bootstrapped; the band's
width at the target and whether it covers the true compute-optimal loss.

Spec keys: ``law``, ``truth`` (natural parameters), ``initial`` (``compute``: the budgets of the starting runs,
``sizes``: runs per budget, ``spread``: N from sqrt(C)/spread[0] to sqrt(C)/spread[1]), ``noise``, ``seeds``,
``n_boot``, ``k``, ``cap``, ``budget``, ``level``."""

from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np

from ._bootstrap import bootstrap
from ._fit import fit
from ._forecast import _optimum, compute_optimal
from ._schema import table_from_columns
from .laws import get_law
from .simulate import simulate_runs
from .suggest import ladder, suggest_runs

__all__ = ["run_suggest", "initial_runs"]


def initial_runs(spec: dict) -> dict:
    """The starting design: at each budget, ``sizes`` models log-spaced over the spread, D = C / 6N."""
    cols = {"N": [], "D": []}
    for c in spec["compute"]:
        n = np.geomspace(np.sqrt(c) / spec["spread"][0], np.sqrt(c) / spec["spread"][1], spec["sizes"])
        cols["N"] += list(n)
        cols["D"] += list(c / (6 * n))
    return {k: np.array(v) for k, v in cols.items()}


def _joined(table, law, new: dict, seed: int, noise: float, truth, prefix: str):
    made = simulate_runs(law, truth, {k: new[k] for k in law.inputs}, noise=noise, seed=seed, prefix=prefix)
    cols = {"run": [*map(str, table.runs), *map(str, made.runs)]}
    cols.update({c: np.concatenate([table[c], made[c]]) for c in (*law.inputs, law.target)})
    return table_from_columns(cols, source=f"{table.source} + {len(made)} {prefix} runs")


def _band(law, table, n_boot, seed, budget, level):
    result = bootstrap(fit(law, table), table, n_boot, seed=seed)
    band = compute_optimal(result, budget, level=level).loss
    return result, float(band.lower), float(band.upper)


def run_suggest(spec: dict, root: Path):
    law = get_law(spec["law"])
    truth, noise, budget, level = spec["truth"], spec["noise"], spec["budget"], spec.get("level", 0.9)
    n_boot, k, cap = spec["n_boot"], spec["k"], spec["cap"]
    p_true = {name: jnp.asarray(v) for name, v in law.from_natural(truth).items()}
    true_loss = float(_optimum(law, p_true, jnp.log(budget), {})[2])
    start = initial_runs(spec["initial"])
    rows = []
    for seed in range(spec["seeds"]):
        table = simulate_runs(law, truth, start, noise=noise, seed=seed, prefix="start")
        result, lo0, hi0 = _band(law, table, n_boot, seed, budget, level)
        sug = suggest_runs(result, table, k=k, cap=cap, budget=budget, level=level, compare_ladder=False)
        made = {name: np.array([r[name] for r in sug.runs]) for name in law.inputs}
        lad = ladder(result, k, sug.cost)
        scatter_seed = 10_000 + seed  # the same scatter draws for both designs' runs: a paired comparison
        _, lo_s, hi_s = _band(law, _joined(table, law, made, scatter_seed, noise, truth, "new"), n_boot, seed,
                              budget, level)
        _, lo_l, hi_l = _band(law, _joined(table, law, lad, scatter_seed, noise, truth, "new"), n_boot, seed,
                              budget, level)
        rows.append({"seed": seed, "width_before": hi0 - lo0, "expected_width": sug.expected_width,
                     "width_suggested": hi_s - lo_s, "width_ladder": hi_l - lo_l, "cost": sug.cost,
                     "covers_before": lo0 <= true_loss <= hi0, "covers_suggested": lo_s <= true_loss <= hi_s,
                     "covers_ladder": lo_l <= true_loss <= hi_l})
    col = {key: np.array([r[key] for r in rows], dtype=float) for key in rows[0]}
    values = {
        "true_loss": true_loss,
        "mean_width_before": float(col["width_before"].mean()),
        "mean_width_suggested": float(col["width_suggested"].mean()),
        "mean_width_ladder": float(col["width_ladder"].mean()),
        "mean_expected_width": float(col["expected_width"].mean()),
        "width_ratio_suggested_to_ladder": float(col["width_suggested"].mean() / col["width_ladder"].mean()),
        "seeds_suggested_narrower": float(np.mean(col["width_suggested"] < col["width_ladder"])),
        "coverage_before": float(col["covers_before"].mean()),
        "coverage_suggested": float(col["covers_suggested"].mean()),
        "coverage_ladder": float(col["covers_ladder"].mean()),
    }
    n = len(rows)
    pct = f"{100 * level:g}%"
    text = [f"{n} seeds; {k} runs within {cap:.3g} FLOP in all; target: the compute-optimal loss at {budget:.3g} FLOP "
            f"(true {true_loss:.5g}); {pct} bands from {n_boot} run resamples",
            f"  {'seed':>4}  {'before':>8}  {'expected':>8}  {'suggested':>9}  {'ladder':>8}  {'cost':>9}  covers "
            "(before/suggested/ladder)"]
    for r in rows:
        yes = "/".join("y" if r[key] else "n" for key in ("covers_before", "covers_suggested", "covers_ladder"))
        text.append(f"  {r['seed']:>4}  {r['width_before']:>8.4f}  {r['expected_width']:>8.4f}  "
                    f"{r['width_suggested']:>9.4f}  {r['width_ladder']:>8.4f}  {r['cost']:>9.3g}  {yes}")
    text += [f"mean band width at the target: {values['mean_width_before']:.4f} before; "
             f"{values['mean_width_suggested']:.4f} after the suggested runs (expected "
             f"{values['mean_expected_width']:.4f}); {values['mean_width_ladder']:.4f} after the ladder of the same "
             f"cost; suggested narrower in {int(round(n * values['seeds_suggested_narrower']))} of {n} seeds",
             f"coverage of the true loss by the {pct} band: {int(round(n * values['coverage_before']))}/{n} before, "
             f"{int(round(n * values['coverage_suggested']))}/{n} after the suggested runs, "
             f"{int(round(n * values['coverage_ladder']))}/{n} after the ladder"]
    return values, {"seeds": rows}, text
