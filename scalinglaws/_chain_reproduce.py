"""The ``chain`` kind of reproduction: stages fitted on chosen runs, bootstrapped with one plan, then forecast.

A spec names the data (with ``rename`` and ``where`` to pick the rows), each stage's law, fit settings and the runs
it is fitted on, the runs to forecast, and the shared bootstrap. Every stage is bootstrapped with one
:class:`~scalinglaws.ResamplePlan` over the union of the stages' runs, so the chained forecast has one joint band.
Values produced: each stage's natural parameters (``loss:a``; the target column names the stage), and for each
forecast run its predicted value of every stage's target with the relative error against the observed value
(``<run>:<target>``, ``<run>:<target>:rel_error``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._bootstrap import bootstrap
from ._chain import chain
from ._errors import InputError
from ._fit import fit
from ._io import read_runs
from ._resample import resample_plan
from .laws import get_law

__all__ = ["run_chain"]


def run_chain(spec: dict, root: Path):
    table = read_runs(root / spec["data"], rename=spec.get("rename"))
    if spec.get("where"):
        table = table.where(**spec["where"])
    known = set(map(str, table.run_ids))
    named = [r for s in spec["stages"] for r in s["runs"]] + list(spec["forecast"])
    missing = sorted(set(named) - known)
    if missing:
        raise InputError(f"runs named in the spec are not in the data: {missing}")
    tables = [table.with_runs(s["runs"]) for s in spec["stages"]]
    results = [fit(get_law(s["law"]), t, **s.get("fit", {})) for s, t in zip(spec["stages"], tables)]
    values: dict[str, float] = {}
    for r in results:
        values.update({f"{r.law.target}:{k}": float(v) for k, v in r.natural.items()})
    boot = spec.get("bootstrap")
    if boot:
        plan = resample_plan(*tables, n=boot["n"], seed=boot.get("seed", 0))
        results = [bootstrap(r, t, plan=plan) for r, t in zip(results, tables)]
    joined = chain(*results)
    targets = table.with_runs(spec["forecast"])
    level = spec.get("level", 0.9)
    first = results[0].law
    inputs = {c: targets[c] for c in first.inputs}
    for s in results[1:]:
        inputs.update({c: targets[c] for c in s.law.inputs if c not in {r.law.target for r in results}})
    out = joined.forecast(inputs, level=level)
    text = [f"Forecasts ({100 * level:g}% joint bootstrap interval{'' if boot else ': none, no bootstrap'}):",
            f"  {'run':<34} {'quantity':<8} {'observed':>9} {'forecast':>9} {'interval':>20} {'rel. error':>10}"]
    rows = []
    for i, run in enumerate(map(str, targets.run_ids)):
        for r, band in zip(results, out.stages):
            name = r.law.target
            seen = float(targets[name][i])
            v, lo, hi = (float(np.atleast_1d(a)[i]) for a in (band.value, band.lower, band.upper))
            rel = (v - seen) / seen
            values[f"{run}:{name}"] = v
            values[f"{run}:{name}:rel_error"] = rel
            rows.append({"run": run, "quantity": name, "observed": seen, "forecast": v, "lower": lo, "upper": hi,
                         "rel_error": rel})
            interval = f"({lo:.4f}, {hi:.4f})" if np.isfinite(lo) else ""
            text.append(f"  {run:<34} {name:<8} {seen:>9.4f} {v:>9.4f} {interval:>20} {100 * rel:>+9.2f}%")
    if out.contributions:
        text.append("  share of the final band's variance: "
                    + ", ".join(f"{k} {100 * v:.0f}%" for k, v in out.contributions.items()))
    details = {"stages": [{**r.to_dict(), "draws": None} for r in results], "forecasts": rows,
               "contributions": dict(out.contributions), "reports": [r.report().splitlines() for r in results]}
    return values, details, text
