r"""Laws from a formula: a short spec (a formula over named inputs and parameters, bounds, starts, the target)
compiled to the same pure jnp ``predict`` as a hand-written law, without ``eval``.

A spec (a dict, or JSON/YAML text)::

    {"name": "parallel_sl_2",
     "formula": "c0 + cN * N^(-alpha) + cS * S^(-beta)",
     "inputs": {"N": "N", "S": "parallel_size"},   # symbol -> run-table column (or a list of column names)
     "target": "loss",
     "params": [{"name": "c0", "lower": -5, "upper": 5},       # in order: the law's parameter vector
                {"name": "cN", "lower": 0, "upper": 500, "grid": [10, 100]}, ...],
     "objective": {"residuals": "raw", "loss": "squared"}}     # optional: how it is fitted by default

and optionally ``"let": {"name": "sub-formula", ...}``: named sub-expressions that the formula and each other use
by name (an effective data size, say).

Columns are named as the run table has them once read (``read_runs`` maps ``num_params`` to ``N``, ``tokens`` to
``D``). The formula is parsed by Python's ``ast`` (``^`` is read as a power) and only these are accepted: numbers, the
inputs' and parameters' names, ``+ - * / ^ **``, unary minus, and the functions ``exp``, ``log`` (natural; also
``ln``), ``log10``, ``log2``, ``sqrt``, ``abs``, ``min(a, b)``, ``max(a, b)``, ``clip(x, lo, hi)``,
``softplus(x)`` (``log(1 + exp(x))``), ``logaddexp(a, b)`` (``log(exp(a) + exp(b))``, without overflow) and
``log1p``, ``expm1``. Anything else (an attribute, a subscript, a call of
anything not listed, a name that is neither an input nor a parameter) is refused with the offending text named;
the tree is then turned into nested closures over ``jax.numpy``, so nothing of the spec is ever executed.

A parameter's starts are its ``grid`` if given, else points inside its ``init`` range (default: its bounds):
log-spaced where the range is positive, else even, with fewer per parameter as parameters grow (3 each up to 7
parameters, 2 up to 12, then 1), so that the product grid stays at most a few thousand starts.
"""

from __future__ import annotations

import ast
import json
import math
from typing import Callable, Mapping

import jax.numpy as jnp
import numpy as np

from .._errors import InputError
from .._law import Law, law_factory
from .._params import Param

__all__ = ["formula_law", "compile_formula", "FUNCTIONS"]

FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "exp": (1, jnp.exp), "log": (1, jnp.log), "ln": (1, jnp.log), "log10": (1, jnp.log10), "log2": (1, jnp.log2),
    "sqrt": (1, jnp.sqrt), "abs": (1, jnp.abs), "log1p": (1, jnp.log1p), "expm1": (1, jnp.expm1),
    "softplus": (1, lambda v: jnp.logaddexp(0.0, v)),
    "min": (2, jnp.minimum), "max": (2, jnp.maximum), "logaddexp": (2, jnp.logaddexp), "clip": (3, jnp.clip),
}
_BINARY = {ast.Add: jnp.add, ast.Sub: jnp.subtract, ast.Mult: jnp.multiply, ast.Div: jnp.divide,
           ast.Pow: jnp.power}
_MAX_STARTS = 4096
SPEC_KEYS = ("name", "formula", "inputs", "params", "target", "let", "objective", "refine", "title", "citation", "note")


def _parse(text: str):
    if not isinstance(text, str) or not text.strip():
        raise InputError("a formula law needs a formula (a non-empty string)")
    try:
        return ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise InputError(f"formula {text!r} does not parse: {exc.msg} (at column {exc.offset})") from None


def compile_formula(text: str, inputs: Mapping[str, str], params, let: Mapping[str, str] | None = None) -> Callable:
    """``predict(p, x)`` for formula ``text``: ``inputs`` maps each symbol to its column (the key of ``x``),
    ``params`` names the parameters (keys of ``p``); ``let`` names sub-expressions that the formula, and each
    other, use by name (in any order; a cycle is refused). Raises InputError naming every problem."""
    params = set(params)
    problems: list[str] = []
    used: set[str] = set()
    clash = sorted(params & set(inputs))
    if clash:
        raise InputError(f"names {clash} are both inputs and parameters; rename one")
    defined: dict[str, Callable] = {}

    def build(node) -> Callable:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            value = float(node.value)
            return lambda p, x: value
        if isinstance(node, ast.Name):
            name = node.id
            used.add(name)
            if name in pending:  # a named sub-expression, built where first used (cycles refused)
                if name in building:
                    problems.append(f"let-name {name!r} refers to itself")
                    return lambda p, x: 0.0
                if name not in defined:
                    building.add(name)
                    defined[name] = build(_parse(pending[name]).body)
                    building.discard(name)
                return defined[name]
            if name in params:
                return lambda p, x: p[name]
            if name in inputs:
                column = inputs[name]
                return lambda p, x: x[column]
            problems.append(f"{name!r} is neither an input ({', '.join(inputs) or 'none'}) nor a parameter "
                            f"({', '.join(sorted(params)) or 'none'})")
            return lambda p, x: 0.0
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op, left, right = _BINARY[type(node.op)], build(node.left), build(node.right)
            return lambda p, x: op(left(p, x), right(p, x))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            return lambda p, x: jnp.negative(inner(p, x))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name = node.func.id
            if name not in FUNCTIONS:
                problems.append(f"unknown function {name}(); allowed: {', '.join(FUNCTIONS)}")
                return lambda p, x: 0.0
            arity, fn = FUNCTIONS[name]
            if len(node.args) != arity:
                problems.append(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, not {len(node.args)}")
                return lambda p, x: 0.0
            args = [build(a) for a in node.args]
            return lambda p, x: fn(*(a(p, x) for a in args))
        problems.append(f"{ast.unparse(node)} is not allowed in a formula (numbers, names, + - * / ^, and the "
                        "listed functions only)")
        return lambda p, x: 0.0

    pending, building = {}, set()
    for name, sub in (let or {}).items():
        if not str(name).isidentifier() or name in params or name in inputs or name in FUNCTIONS:
            problems.append(f"let-name {name!r} must be a new identifier (not an input, parameter or function)")
            continue
        pending[str(name)] = sub
    root = build(_parse(text).body)
    unused = sorted(params - used)
    if unused:
        problems.append(f"parameters {unused} do not appear in the formula (they could not be fitted)")
    if problems:
        raise InputError(f"formula {text!r}: " + "; ".join(problems))
    return lambda p, x: jnp.asarray(root(p, x)) + jnp.zeros_like(x[next(iter(inputs.values()))])


def _starts(spec: Mapping, n_params: int) -> tuple[float, ...]:
    if "grid" in spec:
        return tuple(float(g) for g in spec["grid"])
    per = 3 if n_params <= 7 else 2 if n_params <= 12 else 1
    lo, hi = spec.get("init", (spec.get("lower", -math.inf), spec.get("upper", math.inf)))
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError(f"parameter {spec['name']!r} has an unbounded range: give it a grid or an init range")
    if lo > 0:
        return tuple(float(v) for v in np.geomspace(lo, hi, per + 2)[1:-1])
    return tuple(float(v) for v in np.linspace(lo, hi, per + 2)[1:-1])


def _canonical(spec) -> str:
    if isinstance(spec, str):
        from .._io import parse_law_spec

        spec = parse_law_spec(spec)
    if not isinstance(spec, Mapping):
        raise InputError(f"a formula law's spec must be a mapping (or its JSON/YAML text), not {type(spec).__name__}")
    return json.dumps(spec, sort_keys=True)


def formula_law(spec) -> Law:
    """The :class:`Law` a spec describes (a dict, or its JSON/YAML text); see the module docstring. One object per
    spec, so that it compiles once and a result reloaded from JSON is fitted by the very same law."""
    return _formula_law(_canonical(spec))


@law_factory
def _formula_law(text: str) -> Law:
    spec = json.loads(text)
    missing = [k for k in ("name", "formula", "inputs", "params") if k not in spec]
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if missing or unknown:
        raise InputError("a formula law's spec " + "; ".join(
            ([f"needs {missing} (it has {sorted(spec)})"] if missing else [])
            + ([f"has unknown keys {unknown} (known: {', '.join(SPEC_KEYS)})"] if unknown else [])))
    inputs = spec["inputs"]
    inputs = {str(c): str(c) for c in inputs} if isinstance(inputs, (list, tuple)) else {str(k): str(v) for k, v
                                                                                          in dict(inputs).items()}
    raw = spec["params"]
    if isinstance(raw, Mapping):
        raw = [{"name": k, **v} for k, v in raw.items()]
    problems = [f"parameter {p!r} needs a name" for p in raw if "name" not in p]
    if problems:
        raise InputError("; ".join(problems))
    params = []
    for p in raw:
        try:
            params.append(Param(str(p["name"]), grid=_starts(p, len(raw)), lower=float(p.get("lower", -math.inf)),
                                upper=float(p.get("upper", math.inf)), doc=str(p.get("doc", ""))))
        except ValueError as exc:
            raise InputError(f"formula law {spec['name']}: {exc}") from None
    predict = compile_formula(spec["formula"], inputs, [p.name for p in params], spec.get("let"))
    grid_size = math.prod(len(p.grid) for p in params)
    if grid_size > _MAX_STARTS * 8:
        raise InputError(f"formula law {spec['name']}: its start grid has {grid_size} points; give fewer grid values")
    target = str(spec.get("target", "loss"))
    return Law(
        name=str(spec["name"]),
        title=str(spec.get("title", f"{spec['name']}: {target} = {spec['formula']}")),
        citation=str(spec.get("citation", "a law defined by its formula")),
        formula=f"{target} = {spec['formula']}",
        params=tuple(params),
        inputs=tuple(dict.fromkeys(inputs.values())),
        target=target,
        predict=predict,
        refine=int(spec.get("refine", 16)),
        objective=dict(spec.get("objective", {})),
        rescalable=False,
        spec={"factory": "formula", "args": {"text": text}},
    )
