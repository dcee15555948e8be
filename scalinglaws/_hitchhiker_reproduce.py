"""The ``hitchhiker`` kind of fits/ entry: Choshen et al.'s forecasting protocol on ColPret (see
:mod:`scalinglaws.hitchhiker`), our methods beside the authors' baselines.

Spec keys: ``data`` (ColPret's long table), ``baselines`` (the authors' per-family results:
protocol_baselines.csv, columns ``family``, ``fit_repo_pct``, ``best_seen_repo_pct``), ``law``, ``late``,
``n_boot``, ``seed``, ``level`` and optionally ``families``. Values: ``FAMILY:METHOD`` (ARE as a fraction),
``FAMILY:coverage``, ``FAMILY:run_coverage``, ``mean:METHOD``, ``mean:coverage``, ``mean:run_coverage`` and the
authors' means ``mean:published_curve_fit``, ``mean:published_best_seen`` over the same families."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._io import read_rows, read_runs
from .hitchhiker import METHODS, hitchhiker

__all__ = ["run_hitchhiker", "published_baselines"]


def published_baselines(path) -> dict:
    """Per family, the authors' curve_fit and best-seen ARE (fractions) from protocol_baselines.csv."""
    return {r["family"]: {"curve_fit": float(r["fit_repo_pct"]) / 100, "best_seen": float(r["best_seen_repo_pct"]) / 100}
            for r in read_rows(path)}


def run_hitchhiker(spec: dict, root: Path):
    table = read_runs(root / spec["data"], rename={"step": None})  # ColPret's step is empty for most families
    published = published_baselines(root / spec["baselines"])
    result = hitchhiker(table, families=spec.get("families"), law=spec.get("law", "chinchilla"),
                        late=spec.get("late", 0.5), n_boot=spec.get("n_boot", 100), seed=spec.get("seed", 0),
                        level=spec.get("level", 0.9), published=published)
    values = {}
    for r in result.rows:
        values.update({f"{r['family']}:{m}": r["are"][m] for m in METHODS})
        values[f"{r['family']}:coverage"], values[f"{r['family']}:run_coverage"] = r["coverage"], r["run_coverage"]
    values.update({f"mean:{m}": result.mean(m) for m in METHODS})
    values["mean:coverage"] = float(np.mean([r["coverage"] for r in result.rows]))
    values["mean:run_coverage"] = float(np.mean([r["run_coverage"] for r in result.rows]))
    for k in ("curve_fit", "best_seen"):
        values[f"mean:published_{k}"] = float(np.mean([published[r["family"]][k] for r in result.rows]))
    return values, {"hitchhiker": result.to_dict()}, result.summary().splitlines()
