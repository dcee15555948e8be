"""The ``lr_schedules`` reproduction: loss-curve laws fitted on some curves of one model size, scored on the rest.

Spec keys: ``data`` (a folder of per-run CSVs), ``schedules`` (run -> schedule spec for
:func:`scalinglaws.schedules.build`), ``tissue`` (``law``, ``train``) and ``multipower`` (``preset``, ``train``,
``test``, ``exact_law``). Values produced:

- ``tissue:RUN:{mre,r2,final_rel_error}`` for every run not in the Tissue training set;
- ``multipower:published:{r2,mae,rmse}``: mean over the test runs with the published parameters (exact sum);
- ``multipower:refit:{r2,mae,rmse}``: the same after refitting with our fitter on the training runs, started at
  the published parameters;
- ``multipower:{published,refit}:train_objective``: summed Huber(1e-3) on log loss over the training runs.
"""

from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np

from . import schedules as sched
from ._errors import InputError
from .curves import evaluate_curves
from ._fit import fit, prepare
from ._io import read_runs
from ._objective import Objective
from ._result import preset

_METRICS = ("r2", "mae", "rmse")


def _subset(table, runs):
    missing = sorted(set(runs) - set(table.run_ids))
    if missing:
        raise InputError(f"runs {missing} are not in {table.source}")
    return table.select(np.isin(table.runs, list(runs)))


def _objective(result, table):
    law = result.law
    prep = prepare(law, table)
    return float(Objective().value(law, jnp.asarray(law.pack(result.params)), prep.x, prep.y, prep.w))


def run_lr_schedules(spec: dict, root: Path):
    table = read_runs(root / spec["data"], require=("step", "loss"))
    table = table.with_schedules({run: sched.build(s) for run, s in spec["schedules"].items()
                                  if run in set(table.run_ids)})
    values, details = {}, {}

    tissue_spec = spec["tissue"]
    tissue = fit(tissue_spec["law"], _subset(table, tissue_spec["train"]))
    held_out = [r for r in table.run_ids if r not in tissue_spec["train"]]
    tissue_scores = evaluate_curves(tissue, table)
    for run in held_out:
        for m in ("mre", "r2", "final_rel_error"):
            values[f"tissue:{run}:{m}"] = tissue_scores[run][m]
    details["tissue"] = {"fit": tissue.to_dict(), "scores": tissue_scores}

    mpl_spec = spec["multipower"]
    train = _subset(table, mpl_spec["train"])
    _subset(table, mpl_spec["test"])  # every test run named must exist; all curves are scored below
    published = preset(mpl_spec.get("law", "multipower"), mpl_spec["preset"])
    exact = mpl_spec.get("exact_law", "multipower_exact")
    refit = fit(mpl_spec.get("law", "multipower"), train, init=published.params)
    scores = {}
    for label, result in (("published", published), ("refit", refit)):
        scores[label] = evaluate_curves(result.with_law(exact), table)
        for m in _METRICS:
            values[f"multipower:{label}:{m}"] = float(np.mean([scores[label][r][m] for r in mpl_spec["test"]]))
        values[f"multipower:{label}:train_objective"] = _objective(result.with_law(exact), train)
    details["multipower"] = {"refit": refit.to_dict(), "scores": scores}

    text = ["", "Per curve (relative errors in %; Tissue fitted on " + " + ".join(tissue_spec["train"])
            + f"; Multi-Power published ({mpl_spec['preset']}) and refitted on " + " + ".join(mpl_spec["train"]) + ")",
            f"  {'curve':<20}{'Tissue MRE':>11}{'R^2':>8}{'final':>8}   {'MPL pub MRE':>11}{'R^2':>8}{'final':>8}"
            f"   {'MPL refit MRE':>13}{'R^2':>8}{'final':>8}"]
    for run in table.run_ids:
        t, p, r = tissue_scores[run], scores["published"][run], scores["refit"][run]
        role = " (fit)" if run in tissue_spec["train"] else ""
        text.append(f"  {run + role:<20}{100 * t['mre']:>11.3f}{t['r2']:>8.4f}{100 * t['final_rel_error']:>+8.3f}"
                    f"   {100 * p['mre']:>11.3f}{p['r2']:>8.4f}{100 * p['final_rel_error']:>+8.3f}"
                    f"   {100 * r['mre']:>13.3f}{r['r2']:>8.4f}{100 * r['final_rel_error']:>+8.3f}")
    text.append("  Multi-Power mean over the test curves (R^2 / MAE / RMSE): published "
                + " / ".join(f"{values[f'multipower:published:{m}']:.5f}" for m in _METRICS) + "; refit "
                + " / ".join(f"{values[f'multipower:refit:{m}']:.5f}" for m in _METRICS))
    text.append(f"  training objective: published {values['multipower:published:train_objective']:.6g}, "
                f"refit {values['multipower:refit:train_objective']:.6g}")
    return values, details, text
