"""The ``cod`` kind of reproduction: COD's forecast of a benchmark's held-out models beside the one-curve baseline.

The items come from a matrix file (``"matrix"``: items x models, with ``"compute"`` per model in the spec) or from
per-item columns of a run table (``"runs"`` with ``"where"``, ``"rename"``, ``"items"`` (a column prefix),
``"invert"`` for errors and ``"compute_column"``). ``"train"`` and ``"targets"`` name models; ``"cod"`` holds
the options of :func:`scalinglaws.cod.cod`. Values produced: for each target model its observed accuracy, COD's
forecast (NaN when not predictable) and the baseline's, with their absolute errors, and the item counts per class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._errors import InputError
from ._io import read_matrix, read_runs
from .cod import CLASSES, Benchmark, cod

__all__ = ["run_cod"]


def _benchmark(spec: dict, root: Path) -> Benchmark:
    if "matrix" in spec:
        return Benchmark.from_matrix(read_matrix(root / spec["matrix"]), spec["compute"], guess=spec.get("guess", 0.0))
    table = read_runs(root / spec["runs"], rename=spec.get("rename"))
    if spec.get("where"):
        table = table.where(**spec["where"])
    items = [c for c in table.columns if c.startswith(spec["items"]) and c not in spec.get("exclude", ())]
    if not items:
        raise InputError(f"no columns start with {spec['items']!r}")
    return Benchmark.from_table(table, items, compute=spec.get("compute_column", "C"), invert=spec.get("invert", False),
                                guess=spec.get("guess", 0.0))


def run_cod(spec: dict, root: Path):
    """One benchmark, or several (``"groups"``: name -> the spec keys that differ), values prefixed by group."""
    if "groups" not in spec:
        return _run_one(spec, root)
    values, details, text = {}, {}, []
    for name, part in spec["groups"].items():
        v, d, t = _run_one({**{k: w for k, w in spec.items() if k != "groups"}, **part}, root)
        values.update({f"{name}:{k}": w for k, w in v.items()})
        details[name] = d
        text += [f"[{name}]", *t, ""]
    return values, details, text


def _run_one(spec: dict, root: Path):
    bench = _benchmark(spec, root)
    index = {m: i for i, m in enumerate(bench.models)}
    unknown = [m for m in (*spec["train"], *spec["targets"]) if m not in index]
    if unknown:
        raise InputError(f"models named in the spec are not in the data: {unknown}")
    train = [index[m] for m in spec["train"]]
    targets = [index[m] for m in spec["targets"]]
    result = cod(bench, bench.compute[targets], train=train, **spec.get("cod", {}))
    values: dict[str, float] = {f"items:{cls}": float(result.n_in(cls)) for cls in CLASSES}
    values["items:dropped"] = float(np.sum(result.labels < 0))
    sign = -1.0 if spec.get("report_error") else 1.0  # report error rates (1 - accuracy) where the source does
    name = "error" if spec.get("report_error") else "accuracy"
    text = [result.summary(), "", f"  {'model':<28} {'observed ' + name:>16} {'COD':>8} {'interval':>18} "
            f"{'one curve':>10}"]
    for t, i in enumerate(targets):
        seen = float(bench.accuracy[i])
        def shown(v):
            return (1.0 - v) if sign < 0 else v
        f, lo, hi = (float(np.atleast_1d(a)[t]) for a in (result.forecast.value, result.forecast.lower,
                                                           result.forecast.upper))
        base = float(np.atleast_1d(result.baseline.value)[t])
        model = bench.models[i]
        values[f"{model}:observed"] = shown(seen)
        values[f"{model}:cod"] = shown(f)
        values[f"{model}:one_curve"] = shown(base)
        values[f"{model}:cod_abs_error"] = abs(f - seen)
        values[f"{model}:one_curve_abs_error"] = abs(base - seen)
        band = f"({min(shown(lo), shown(hi)):.4f}, {max(shown(lo), shown(hi)):.4f})" if np.isfinite(lo) else ""
        cod_text = f"{shown(f):.4f}" if np.isfinite(f) else "n/a"
        text.append(f"  {model:<28} {shown(seen):>16.4f} {cod_text:>8} {band:>18} {shown(base):>10.4f}")
    dropped = [bench.items[j] for j in np.flatnonzero(result.labels < 0)]
    text.append(f"  dropped items ({len(dropped)}: outliers beyond the radius or in clusters under "
                f"{result.settings['min_size']} items): {', '.join(dropped[:40])}{' ...' if len(dropped) > 40 else ''}")
    return values, {"cod": result.to_dict(), "dropped": dropped}, text
