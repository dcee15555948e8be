"""The ``steplaw`` kinds of reproduction.

- ``steplaw_published``: the authors' fit as released, 1000 bootstrap replicates of the two log-space regressions
  (``"replicates"``); the mean of each coefficient is the published law, whose predictions at ``"at"`` (N, D)
  are given through the law's preset.
- ``steplaw``: :func:`scalinglaws.hyper.step_law` on a released LR x batch-size grid (``"data"``, ``"rename"``,
  ``"options"``), both estimates, and forecasts at ``"at"``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._io import read_runs
from ._result import preset
from .hyper import step_law

__all__ = ["run_steplaw", "run_steplaw_published"]


def run_steplaw_published(spec: dict, root: Path):
    table = read_runs(root / spec["replicates"])
    mean = {c: float(np.mean(table[c])) for c in ("lr_intercept", "lr_coefN", "lr_coefD", "bs_intercept", "bs_coefD")}
    values = {"a": float(np.exp(mean["lr_intercept"])), "p": mean["lr_coefN"], "q": mean["lr_coefD"],
              "b": float(np.exp(mean["bs_intercept"])), "r": mean["bs_coefD"], "replicates": float(len(table))}
    lr_law, bs_law = preset("steplaw_lr", "steplaw"), preset("steplaw_bs", "steplaw")
    n, d = spec["at"]["N"], spec["at"]["D"]
    values["preset:lr"] = float(lr_law.predict({"N": [n], "D": [d]})[0])
    values["preset:bs_tokens"] = float(bs_law.predict({"D": [d]})[0])
    # the replicates' own prediction (the mean of the coefficients, unrounded) beside the preset's
    values["replicates:lr"] = float(np.exp(mean["lr_intercept"] + mean["lr_coefN"] * np.log(n)
                                           + mean["lr_coefD"] * np.log(d)))
    values["replicates:bs_tokens"] = float(np.exp(mean["bs_intercept"] + mean["bs_coefD"] * np.log(d)))
    text = [f"published law (mean of {len(table)} replicates): lr = {values['a']:.4g} N^{values['p']:.4f} "
            f"D^{values['q']:.4f}; bs = {values['b']:.4g} D^{values['r']:.4f} tokens",
            f"at N = {n:.3g}, D = {d:.3g}: lr {values['preset:lr']:.4g}, bs {values['preset:bs_tokens']:.4g} tokens"]
    return values, {"mean_coefficients": mean}, text


def run_steplaw(spec: dict, root: Path):
    table = read_runs(root / spec["data"], rename=spec.get("rename"))
    result = step_law(table, **spec.get("options", {}))
    values = {}
    for prefix, lr, bs in (("", result.lr, result.bs), ("all:", result.lr_all, result.bs_all)):
        values.update({f"{prefix}{k}": v for k, v in {**lr.natural, **bs.natural}.items()})
        if lr.draws is not None:
            for k in ("p", "q"):
                values[f"{prefix}lower95:{k}"], values[f"{prefix}upper95:{k}"] = lr.interval(k)
            values[f"{prefix}lower95:r"], values[f"{prefix}upper95:r"] = bs.interval("r")
    values["runs"] = float(sum(g["runs"] for g in result.groups))
    values["kept"] = float(sum(g["kept"] for g in result.groups))
    text = [result.summary()]
    if "at" in spec:
        for method, prefix in (("recipe", ""), ("all runs", "all:")):
            f = result.forecast(spec["at"]["N"], spec["at"]["D"], seq_len=spec.get("options", {}).get("seq_len"),
                                method=method)
            values[f"{prefix}at:lr"], values[f"{prefix}at:bs_tokens"] = float(f.lr[0][0]), float(f.bs_tokens[0][0])
            text.append(f.summary())
    return values, result.to_dict(), text
