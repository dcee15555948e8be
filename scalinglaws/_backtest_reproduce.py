"""The ``backtest`` kind of fits/ entry: laws ranked by their backtest on real runs (fit below a compute cut,
forecast above), each law's compute-optimal forecast at a target, and the risk of reaching a target loss there.

Spec keys: ``data`` (+ ``drop_largest``), ``cut``, ``laws``, ``n_boot``, ``seed``, ``target_compute``, and
``risk`` (``law``, ``target``, ``probability``: the fit on every run, bootstrapped, asked the probability that the
compute-optimal run at ``target_compute`` reaches ``target``, and the budget for ``probability``)."""

from __future__ import annotations

from pathlib import Path

from ._bootstrap import bootstrap
from ._fit import fit
from ._io import read_runs
from .backtest import compare_laws
from .risk import compute_for_probability, probability_of_target

__all__ = ["run_backtest"]


def run_backtest(spec: dict, root: Path):
    table = read_runs(root / spec["data"])
    if "drop_largest" in spec:
        table = table.drop_largest(spec["drop_largest"]["column"], spec["drop_largest"]["n"])
    ranking = compare_laws(table, spec["laws"], cut=spec["cut"], target_compute=spec["target_compute"],
                           n_boot=spec["n_boot"], seed=spec.get("seed", 0), level=spec.get("level", 0.9))
    values = {}
    for rank, row in enumerate(ranking.rows, 1):
        if row.get("failed"):
            continue
        name = row["law"]
        values.update({f"{name}:rank": rank, f"{name}:rmse_log": row["rmse_log"],
                       f"{name}:mean_abs_rel": row["mean_abs_rel"], f"{name}:coverage": row["coverage"],
                       f"{name}:run_coverage": row["run_coverage"]})
        if row.get("forecast"):
            values[f"{name}:loss_at_target"] = row["forecast"]["value"]
    text = [ranking.summary()]
    risk = spec.get("risk")
    if risk:
        result = fit(risk["law"], table, **risk.get("fit", {}))
        result = bootstrap(result, table, risk.get("n_boot", 1000), seed=spec.get("seed", 0))
        chance = probability_of_target(result, risk["target"], compute=spec["target_compute"])
        budget = compute_for_probability(result, risk["target"], risk["probability"])
        values["risk:probability"] = chance.probability
        values["risk:compute_for_probability"] = budget.compute
        text += [chance.summary(), budget.summary()]
    return values, {"ranking": ranking.to_dict()}, text
