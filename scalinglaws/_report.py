"""Readable text reports of results, in the manner of lmfit's fit report."""

from __future__ import annotations

import numpy as np


def _num(v: float) -> str:
    return f"{v:.6g}"


def _fit_lines(result) -> list[str]:
    s, d = result.settings, result.diagnostics
    loss = f"huber(delta={s['delta']:g})" if s.get("loss") == "huber" else s.get("loss", "?")
    weighted = "" if s.get("weights") is None else ", weighted by run"
    grid = {"data": "grid anchored to the data", "published": "published grid", "init": "one given start"}
    grid_text = f" ({grid.get(s['grid'], s['grid'])})" if s.get("grid") else ""
    return [
        "[[Fit]]",
        f"    data fingerprint   {result.fingerprint}  ({result.n_points} points, {result.n_runs} runs)",
        f"    objective          sum {loss} of {s.get('residuals', '?')} residuals{weighted} = "
        f"{result.objective:.10g}",
        f"    converged          {'yes' if result.converged else 'NO'}  (max|grad| {result.grad_norm:.3g}, "
        f"tolerance {result.grad_tol:.3g}, {d.get('iterations', '?')} iterations)",
        f"    starts             {s.get('grid_size', '?')} scored{grid_text}, "
        f"{result.n_refined} refined, {result.n_at_best} reached the best optimum",
        *([f"    R^2                {d['r2']:.5f} ({s.get('residuals', '?')} scale)"] if "r2" in d else []),
    ]


def fit_report(result, level: float = 0.95) -> str:
    law = result.law
    constraints = law.constraints or {"fixed": {}, "tied": {}}
    base = constraints.get("base", law)
    lines = [f"[[Law]]  {law.name}: {law.formula}", f"    {law.citation}"]
    if result.source != "fit":
        lines += [f"[[Preset]]  {result.source.split(':', 1)[1]}: {result.settings.get('citation', '')}"]
    else:
        lines += _fit_lines(result)
    has_draws = result.draws is not None
    pct = f"{100 * level:g}%"
    header = f"    {'name':<10}{'value':>14}" + (f"{'stderr':>12}   {pct + ' interval':<28}" if has_draws else "")
    natural, fitted = result.natural, result.params
    # which natural parameter is fixed or tied, by the fitted parameter behind it
    marks = {}
    for p in base.params:
        if p.name in constraints["fixed"]:
            marks[p.natural_name] = "(fixed)"
        elif p.name in constraints["tied"]:
            other = next(q for q in base.params if q.name == constraints["tied"][p.name])
            marks[p.natural_name] = f"(tied = {other.natural_name})"
    lines += ["[[Parameters]]" + ("  (natural units)" if natural.keys() != fitted.keys() else ""), header]
    draws = result.draws_dict() if has_draws else {}
    for name, value in natural.items():
        row = f"    {name:<10}{_num(value):>14}"
        if name in marks:
            row += f"   {marks[name]}"
        elif has_draws:
            d = draws[name]
            lo, hi = result.interval(name, level)
            row += f"{_num(float(np.std(d, ddof=1))):>12}   ({_num(lo)}, {_num(hi)})"
        lines.append(row)
    if natural.keys() != fitted.keys():
        lines.append("    fitted as: " + ", ".join(f"{k} = {_num(v)}" for k, v in fitted.items()))
    if has_draws:
        info = result.bootstrap_info or {}
        lines += [f"[[Bootstrap]]  {info.get('n', len(result.draws))} resamples of {info.get('resample', 'runs')}; "
                  f"seed {info.get('seed', '?')}; {info.get('n_converged', '?')} refits converged"]
        names = law.param_names
        if len(names) > 1:
            corr = np.corrcoef(result.draws, rowvar=False)
            pairs = [(abs(corr[i, j]), names[i], names[j], corr[i, j])
                     for i in range(len(names)) for j in range(i + 1, len(names)) if np.isfinite(corr[i, j])]
            strong = [p for p in sorted(pairs, reverse=True) if p[0] >= 0.5]
            if strong:
                lines.append("[[Correlations]]  (fitted parameters, |r| >= 0.5)")
                lines += [f"    C({a}, {b}) = {r:+.3f}" for _, a, b, r in strong]
    if result.input_ranges:
        lines.append("[[Fitted range]]  " + ", ".join(f"{k} in [{lo:.3g}, {hi:.3g}]"
                                                      for k, (lo, hi) in result.input_ranges.items()))
    if result.warnings:
        lines.append("[[Warnings]]")
        lines += [f"    - {w}" for w in result.warnings]
    return "\n".join(lines)
