"""Reproductions of published fits: ``fits/NAME/`` holds ``spec.json`` (data, law, settings), ``expected.json``
(published values, each with a tolerance and why) and ``result.json`` (our committed result).

``reproduce(path)`` reruns the spec, compares every published value with ours, and (with ``write=True``) rewrites
``result.json``. A spec's ``kind`` picks the runner: ``fit`` (a law fitted to data, optionally bootstrapped; its
``alternatives`` are other settings fitted beside it),
``allocation`` (compute-optimal allocation from published presets), ``isoflop`` (approach 2 per configuration) or
``lr_schedules`` (loss-curve laws fitted on some curves and scored on the others; see ``_lr_reproduce``) or
``chain`` (stages fitted on chosen runs with one bootstrap plan, then forecast; see ``_chain_reproduce``) or
``cod`` (COD's forecast of held-out models beside the one-curve baseline; see ``_cod_reproduce``) or
``steplaw`` / ``steplaw_published`` (optimal LR and batch size; see ``_hyper_reproduce``) or ``backtest`` (laws
ranked by their backtest on real runs, and the risk of reaching a target; see ``_backtest_reproduce``) or
``suggest`` (run suggestions checked against the truth on simulated runs; see ``_suggest_reproduce``) or
``hitchhiker`` (Choshen et al.'s forecasting protocol on ColPret; see ``_hitchhiker_reproduce``) or ``scalebench``
(ScaleBench's run-selection protocol on task folders; see ``_scalebench_reproduce``).
"""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ._version import __version__
from ._errors import InputError
from ._bootstrap import bootstrap
from ._fit import fit
from ._forecast import compute_optimal
from ._io import read_json, read_runs, write_json
from ._isoflop import compare_approaches, isoflop
from ._chain_reproduce import run_chain
from ._cod_reproduce import run_cod
from ._backtest_reproduce import run_backtest
from ._suggest_reproduce import run_suggest
from ._hitchhiker_reproduce import run_hitchhiker
from ._scalebench_reproduce import run_scalebench
from ._hyper_reproduce import run_steplaw, run_steplaw_published
from ._lr_reproduce import run_lr_schedules
from ._result import preset

__all__ = ["Reproduction", "reproduce", "RUNNERS"]


@dataclass(frozen=True)
class Check:
    quantity: str
    published: float
    ours: float
    rule: str
    ok: bool
    why: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Reproduction:
    name: str
    title: str
    checks: tuple[Check, ...]
    details: dict
    text: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def table(self) -> str:
        width = max(len(c.quantity) for c in self.checks)
        lines = [f"{self.title}", f"  {'quantity':<{width}}  {'published':>12}  {'ours':>12}  {'rule':<22}  ok"]
        for c in self.checks:
            lines.append(f"  {c.quantity:<{width}}  {c.published:>12.6g}  {c.ours:>12.6g}  {c.rule:<22}  "
                         f"{'yes' if c.ok else 'NO'}")
        lines.append(f"  {sum(c.ok for c in self.checks)} of {len(self.checks)} within tolerance")
        return "\n".join([*lines, *self.text])

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "ok": self.ok, "checks": [c.to_dict() for c in self.checks],
                "details": self.details, "text": list(self.text), "scalinglaws_version": __version__, "python": platform.python_version()}


def _judge(spec: dict, ours: float) -> tuple[str, bool]:
    pub = spec.get("published")
    if "at_most_quantity" in spec:
        return f"<= {spec['at_most_quantity'].rsplit(':', 2)[-2]}'s", ours <= pub
    if "at_least_quantity" in spec:
        return f">= {spec['at_least_quantity']}", ours >= pub
    if "abs_tol" in spec:
        return f"|diff| <= {spec['abs_tol']:g}", abs(ours - pub) <= spec["abs_tol"]
    if "rel_tol" in spec:
        return f"rel diff <= {spec['rel_tol']:g}", abs(ours - pub) <= spec["rel_tol"] * abs(pub)
    if "at_most" in spec:
        return f"<= {spec['at_most']:.10g}", ours <= spec["at_most"]
    if "at_least" in spec:
        return f">= {spec['at_least']:.10g}", ours >= spec["at_least"]
    if "decimals" in spec:
        k = spec["decimals"]
        return f"equal to {k} decimals", round(ours, k) == round(pub, k)
    if "sig_digits" in spec:
        k = spec["sig_digits"]
        return f"equal to {k} digits", float(f"{ours:.{k}g}") == float(f"{pub:.{k}g}")
    raise InputError(f"check {spec.get('quantity')!r} has no rule (abs_tol, rel_tol, at_most, at_least, decimals or sig_digits)")


def _table(spec: dict, root: Path):
    table = read_runs(root / spec["data"], drop_empty=spec.get("drop_empty", False))
    if "drop_largest" in spec:
        table = table.drop_largest(spec["drop_largest"]["column"], spec["drop_largest"]["n"])
    return table


def _run_fit(spec: dict, root: Path) -> tuple[dict, dict]:
    table = _table(spec, root)
    result = fit(spec["law"], table, **spec.get("fit", {}))
    values = {**result.natural, "objective": result.objective}
    if "bootstrap" in spec:
        result = bootstrap(result, table, **spec["bootstrap"])
        values.update({f"stderr:{k}": result.stderr(k) for k in result.natural})
        # a percentile interval says more than a standard error when draws run off along a flat valley
        for k in result.natural:
            values[f"lower95:{k}"], values[f"upper95:{k}"] = result.interval(k, 0.95)
    details = result.to_dict()
    details["draws"] = None  # thousands of numbers; the seed in bootstrap_info regenerates them
    out = {"fit": details, "report": result.report().splitlines()}
    for name, settings in spec.get("alternatives", {}).items():  # other settings of the same fit, side by side
        other = fit(spec["law"], table, **{**spec.get("fit", {}), **settings})
        values.update({f"{name}:{k}": v for k, v in {**other.natural, "objective": other.objective}.items()})
        out[name] = {"settings": settings, "report": other.report().splitlines()}
    return values, out


def _run_allocation(spec: dict, root: Path) -> tuple[dict, dict]:
    values, details = {}, {}
    for name in spec["presets"]:
        allocation = compute_optimal(preset(spec["law"], name), spec["compute"])
        for q in ("N", "D", "tokens_per_param", "loss"):
            values[f"{name}:{q}"] = float(getattr(allocation, q).value)
        details[name] = allocation.to_dict()
    return values, details


def _run_isoflop(spec: dict, root: Path) -> tuple[dict, dict]:
    table = _table(spec, root)
    values, details = {}, {}
    text = []
    for name, labels in spec["groups"].items():
        result = isoflop(table.where(**labels), window=spec.get("window", 2), n_boot=spec.get("n_boot", 0),
                         seed=spec.get("seed", 0))
        values[f"{name}:n_exponent"] = result.n_exponent
        details[name] = {"labels": labels, **result.to_dict()}
        if result.n_boot:
            lo, hi = result.n_exponent_band
            text.append(f"{name}: N* ~ C^{result.n_exponent:.4f}, {100 * result.level:g}% ({lo:.4f}, {hi:.4f}) over "
                        f"{result.n_boot} run resamples")
        if "approach3" in spec:  # the same runs through a fitted law, its band beside approach 2's
            a3 = spec["approach3"]
            both = compare_approaches(table.where(**labels), law=a3["law"], window=spec.get("window", 2),
                                      n_boot=a3["n_boot"], seed=spec.get("seed", 0),
                                      approach2=result if result.n_boot else None, **a3.get("fit", {}))
            values[f"{name}:a3_n_exponent"] = both.exponent
            details[name]["approach3"] = {k: v for k, v in both.to_dict().items() if k != "approach2"}
            text.append(f"{' ' * len(name)}  approach 3 ({both.law}): N* ~ C^{both.exponent:.4f}, "
                        f"{100 * result.level:g}% ({both.band[0]:.4f}, {both.band[1]:.4f}) over {both.n_boot} run "
                        "resamples" + ("  DISAGREE beyond the bands" if both.disagree else ""))
    return values, details, text


RUNNERS: dict[str, Callable[[dict, Path], tuple]] = {
    "fit": _run_fit,
    "allocation": _run_allocation,
    "isoflop": _run_isoflop,
    "lr_schedules": run_lr_schedules,
    "chain": run_chain,
    "cod": run_cod,
    "steplaw": run_steplaw,
    "steplaw_published": run_steplaw_published,
    "backtest": run_backtest,
    "suggest": run_suggest,
    "hitchhiker": run_hitchhiker,
    "scalebench": run_scalebench,
}


def reproduce(path, *, write: bool = False) -> Reproduction:
    """Rerun the reproduction in folder ``path`` and compare with its published values."""
    root = Path(path)
    spec = read_json(root / "spec.json")
    expected = read_json(root / "expected.json")
    if spec.get("kind") not in RUNNERS:
        raise InputError(f"{root}/spec.json: kind must be one of {sorted(RUNNERS)}, not {spec.get('kind')!r}")
    values, details, *text = RUNNERS[spec["kind"]](spec, root)
    checks = []
    for item in expected["checks"]:
        q = item["quantity"]
        if q not in values:
            raise InputError(f"{root}/expected.json checks {q!r}, which the run does not produce: {sorted(values)}")
        ours = float(values[q])
        other = item.get("at_most_quantity", item.get("at_least_quantity"))
        if other is not None:  # compared with another value of the same run, not a printed number
            item = {**item, "published": float(values[other])}
        rule, ok = _judge(item, ours)
        checks.append(Check(q, float(item["published"]), ours, rule, bool(ok and math.isfinite(ours)),
                            item.get("why", "")))
    rep = Reproduction(root.name, spec.get("title", root.name), tuple(checks), {"values": values, **details},
                       tuple(text[0]) if text else ())
    if write:
        write_json(root / "result.json", rep.to_dict())
    return rep
