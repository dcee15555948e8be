"""The ``scalebench`` kind of fits/ entry: ScaleBench's run-selection protocol (see :mod:`scalinglaws.scalebench`) on
task folders, every method beside the published Table 2.

Spec keys: ``tasks`` (task folders), optionally ``published`` (published_table2.csv; none for tasks built here, as
data/scalebench_heldout's), ``repeats`` and ``laws`` (per task, the law instances to run; default all). Values:
``TASK/LAW:METHOD:BUDGET`` (a law's mean R^2 over repeats), and over each task's laws ``mean:TASK:METHOD:BUDGET``,
``mean:TASK:best_baseline:BUDGET`` (the best of Random, Cost Rand and D-opt) and ``mean:TASK:published_LABEL:BUDGET`` for the published Ours and V-opt rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .scalebench import LABELS, METHODS, published_table, read_task, scalebench

__all__ = ["run_scalebench"]

RIVALS = ("random", "cost_random", "dopt")  # the bar: ours at least the best of these


def run_scalebench(spec: dict, root: Path):
    values, details, text = {}, {}, []
    for folder in spec["tasks"]:
        task = read_task(root / folder, laws=(spec.get("laws") or {}).get(Path(folder).name))
        published = published_table(root / spec["published"], task.name) if spec.get("published") else {}
        result = scalebench(task, methods=tuple(spec.get("methods", METHODS)), repeats=spec.get("repeats"),
                            published=published)
        for law, per in result.scores.items():
            short = law.removeprefix(f"scalebench_{task.name}_")
            for m, s in per.items():
                for b, budget in enumerate(task.budgets):
                    values[f"{task.name}/{short}:{m}:{budget:g}"] = float(np.mean(s[:, b]))
        for budget in task.budgets:
            for m in result.methods:
                values[f"mean:{task.name}:{m}:{budget:g}"] = result.mean(m, budget)
            values[f"mean:{task.name}:best_baseline:{budget:g}"] = max(result.mean(m, budget) for m in RIVALS
                                                                       if m in result.methods)
            for m in ("ours", "vopt"):
                pub = published.get((budget, LABELS[m]))
                if pub:
                    values[f"mean:{task.name}:published_{m}:{budget:g}"] = pub[0]
        details[task.name] = result.to_dict()
        text += [*result.summary().splitlines(), ""]
    return values, {"scalebench": details}, text
