"""Logged metrics of runs -> the canonical run table, with a record of every name mapped, guessed or given.

Every reader turns its format into :class:`RunLog` objects (a run's logged values by step, plus its run-level
constants); :func:`assemble` does the rest the same way for every format:

1. merge each run's rows by step (loggers write one row per metric group: Lightning's train and validation rows,
   MLflow's one series per metric); a step logged twice with the same value is merged, with different values the
   later one is kept (a resumed run re-logs the steps after its checkpoint); both are reported;
2. map metric names to canonical columns: names the user gives (``rename``) first, then the schema's aliases, then
   the usual loggers' spellings (``train/loss``, ``lr-AdamW``, ``num_input_tokens_seen``, ``val_loss``), each
   reported as given, alias or guessed;
3. split the rows: *train* rows hold a training loss, *eval* rows an evaluation loss (they become that split's
   ``loss``); a row holding neither is left out and reported;
4. add run-level values: N, batch size, sequence length and tokens per step from the run's own metadata or from
   overrides (which win, and say so); D (tokens) from the logged tokens seen, else step x tokens per step;
5. validate the result like any CSV (every problem at once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .._csv import numbers
from .._schema import ALIASES_LOOKUP, RunTable, SchemaError, validate

__all__ = ["RunLog", "assemble", "guess_column", "OVERRIDE_KEYS", "check_overrides"]

SPLITS = ("train", "eval")
# run-level values an override (or a run's own metadata) may give; any other key becomes a constant column
OVERRIDE_KEYS = ("N", "tokens_per_step", "seq_len", "bs", "bs_tokens", "U", "N_avg")
_SHOWN = 6


@dataclass
class RunLog:
    """One run's logged values as rows: ``steps`` (one per row, repeats allowed) and, per metric, its values and
    where it was logged (``present``); ``constants`` are run-level values (N, batch size, hyperparameters) with
    where each came from. ``split`` is ``"train"``, ``"eval"``, or ``"auto"`` (rows split by what they hold)."""

    run: str
    steps: np.ndarray
    columns: dict[str, tuple[np.ndarray, np.ndarray]]
    constants: dict[str, tuple[object, str]] = field(default_factory=dict)
    split: str = "auto"

    @classmethod
    def from_rows(cls, run: str, steps: Sequence[float], rows: Sequence[Mapping[str, object]], **kw) -> "RunLog":
        names = list(dict.fromkeys(k for r in rows for k in r))
        columns = {}
        for name in names:
            present = np.array([name in r and r[name] is not None for r in rows], bool)
            values = np.full(len(rows), np.nan)
            for i in np.flatnonzero(present):
                values[i] = _number(rows[i][name])
            columns[name] = (values, present)
        return cls(run, np.asarray(steps, dtype=float), columns, **kw)

    @classmethod
    def from_series(cls, run: str, series: Mapping[str, tuple[np.ndarray, np.ndarray]], **kw) -> "RunLog":
        """From one (steps, values) series per metric (TensorBoard tags, MLflow metrics)."""
        steps = np.concatenate([np.asarray(s, float) for s, _ in series.values()]) if series else np.zeros(0)
        columns, at = {}, 0
        for name, (s, v) in series.items():
            values, present = np.full(len(steps), np.nan), np.zeros(len(steps), bool)
            values[at : at + len(s)], present[at : at + len(s)] = np.asarray(v, float), True
            columns[name] = (values, present)
            at += len(s)
        return cls(run, steps, columns, **kw)


def _number(value) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return np.nan


# -- name guesses ------------------------------------------------------------------------------------------------
_PATTERNS = (  # (column, pattern on the lower-cased name with '/', '-', '.' and spaces read as '_')
    ("step", r"_?(global_)?step|trainer_global_step|iteration|iter|it"),
    ("loss", r"(train(ing)?_)?loss(_step)?|loss_train(ing)?|train_loss_step|train_lm_loss|lm_loss"),
    ("lr", r"(train(ing)?_)?(learning_rate|lr)(_.*)?|optimizer_lr(_.*)?|lr_[a-z]+(_pg\d+)?"),
    ("D", r"(train(ing)?_)?(num_input_tokens_seen|tokens(_seen|_trained|_processed)?|consumed_tokens|"
          r"total_tokens|n_tokens|num_tokens)"),
    ("eval_loss", r"(eval(uation)?|val(id(ation)?)?|test|dev)_loss|loss_(eval|val(id(ation)?)?)|eval_lm_loss"),
)


def _key(name: str) -> str:
    return re.sub(r"[\s/\-.:]+", "_", str(name).strip().lower()).strip("_")


def guess_column(name: str) -> tuple[str | None, str]:
    """The canonical column a logged metric's name stands for, and how it was found (``"alias"``, ``"guessed"``),
    or ``(None, "")``. ``"eval_loss"`` stands for an evaluation loss (the eval split's loss)."""
    key = _key(name)
    if key in ALIASES_LOOKUP and ALIASES_LOOKUP[key] != "run":
        return ALIASES_LOOKUP[key], "alias"
    for column, pattern in _PATTERNS:
        if re.fullmatch(pattern, key):
            return column, "guessed"
    return None, ""


def _mapping(names: Sequence[str], rename: Mapping[str, str], problems: list[str]):
    """name -> (column, how) for the names that map, and the report lines of names that also looked like a
    column already taken."""
    rank = {"given": 0, "alias": 1, "guessed": 2}
    candidates: dict[str, list[tuple[int, int, str, str]]] = {}
    for order, name in enumerate(names):
        if name in rename:
            column, how = rename[name], "given"
        else:
            column, how = guess_column(name)
        if column is not None:
            exact = int(_key(name) != column.lower())
            candidates.setdefault(column, []).append((rank[how], exact, name, how))
    chosen, lines = {}, []
    for column, options in candidates.items():
        options.sort(key=lambda t: (t[0], t[1]))
        givens = [o for o in options if o[3] == "given"]
        if len(givens) > 1:
            problems.append(f"columns {[o[2] for o in givens]} were all mapped to {column!r}; map one")
        _, _, name, how = options[0]
        chosen[name] = (column, how)
        others = [o[2] for o in options[1:]]
        if others:
            lines.append(f"also looked like {column!r}, kept under their own names: {', '.join(map(repr, others))}")
    return chosen, lines


# -- merging by step ---------------------------------------------------------------------------------------------
def _merged(log: RunLog):
    """(unique steps, {name: (values, present)}, number of steps logged twice alike, steps with conflicts)."""
    steps = log.steps
    uniq, inverse = np.unique(steps, return_inverse=True)
    out, repeated, conflicts = {}, set(), set()
    for name, (values, present) in log.columns.items():
        idx = inverse[present]
        vals = values[present]
        last = np.full(len(uniq), np.nan)
        last[idx] = vals  # with repeated indices, NumPy keeps the last assignment (rows are in logged order)
        first = np.full(len(uniq), np.nan)
        first[idx[::-1]] = vals[::-1]
        counts = np.bincount(idx, minlength=len(uniq))
        twice = counts > 1
        differ = twice & ~((first == last) | (np.isnan(first) & np.isnan(last)))
        repeated.update(uniq[twice & ~differ].tolist())
        conflicts.update(uniq[differ].tolist())
        out[name] = (last, counts > 0)
    return uniq, out, repeated - conflicts, sorted(conflicts)


def _steps_text(steps) -> str:
    steps = sorted(steps)
    shown = ", ".join(f"{s:g}" for s in steps[:_SHOWN])
    return shown + (f" and {len(steps) - _SHOWN} more" if len(steps) > _SHOWN else "")


# -- overrides ---------------------------------------------------------------------------------------------------
def check_overrides(overrides: Mapping[str, Mapping[str, object]] | None, runs: Sequence[str]) -> list[str]:
    """Problems of per-run overrides (``{run or "*": {key: value}}``) against the runs read."""
    problems = []
    for run, values in (overrides or {}).items():
        if run != "*" and run not in runs:
            problems.append(f"override for run {run!r}: no such run (runs: {', '.join(runs)})")
        if not isinstance(values, Mapping):
            problems.append(f"override for run {run!r} must map names to values, not {values!r}")
            continue
        for key, value in values.items():
            if key in OVERRIDE_KEYS and not (np.isfinite(_number(value)) and _number(value) > 0):
                problems.append(f"override {key} for {run!r} must be a positive number, not {value!r}")
    return problems


def _run_values(log: RunLog, overrides: Mapping[str, Mapping[str, object]], rename: Mapping[str, str]):
    """The run's constants (own metadata, then overrides for every run, then for this run): name -> (value, how)."""
    values: dict[str, tuple[object, str]] = {}
    for name, (value, how) in log.constants.items():
        target = rename.get(name) or (name if name in OVERRIDE_KEYS else None)
        if target is None:
            column, _ = guess_column(name)
            target = column if column in ("N", "bs", "bs_tokens", "U", "N_avg") else None
        if name.startswith("_"):  # a reader's intermediate (HF's flos per step), not a column
            target = name
        if target is not None and target not in values:
            values[target] = (value, f"{how} {name!r}" if name != target else how)
    replaced = []
    for scope in ("*", log.run):
        for key, value in (overrides.get(scope) or {}).items():
            before = values.get(key)
            values[key] = (value, "given")
            if before and not before[1].startswith("given") and _number(before[0]) != _number(value):
                replaced.append(f"run {log.run!r}: {key} = {value:g} given, instead of {_number(before[0]):g} "
                                f"from {before[1]}" if isinstance(value, (int, float)) else
                                f"run {log.run!r}: {key} = {value!r} given, instead of {before[0]!r}")
    return values, replaced


# -- the table ---------------------------------------------------------------------------------------------------
def assemble(logs: Sequence[RunLog], *, fmt: str, source: str, rename: Mapping[str, str] | None = None,
             overrides: Mapping[str, Mapping[str, object]] | None = None, drop_empty: bool = False,
             notes: Sequence[str] = (), problems: Sequence[str] = ()):
    """The train and eval tables (each a RunTable or None), the mapping, the dropped-row reports and notes."""
    from . import LogTable  # the typed result lives with the public API

    problems, notes, dropped = list(problems), list(notes), []
    rename = dict(rename or {})
    overrides = dict(overrides or {})
    runs = list(dict.fromkeys(log.run for log in logs))
    problems += check_overrides(overrides, runs)
    names = list(dict.fromkeys(n for log in logs for n in log.columns))
    unknown = [n for n in rename if n not in names and not any(n in log.constants for log in logs)]
    problems += [f"cannot map {n!r}: no logged metric or run value has that name (logged: {', '.join(names[:12])}"
                 f"{' ...' if len(names) > 12 else ''})" for n in unknown]
    mapping, also = _mapping(names, rename, problems)
    notes += also
    if not logs:
        problems.append("no runs found")
    if not any(c == "loss" for c, _ in mapping.values()) and not any(c == "eval_loss" for c, _ in mapping.values()):
        problems.append(f"no logged metric looks like a loss (logged: {', '.join(names) or 'none'}); "
                        "name it with rename={'<metric>': 'loss'} (--map METRIC=loss)")
    if problems:
        raise SchemaError(problems, source)

    by_column = {c: n for n, (c, _) in mapping.items()}
    rows = {s: [] for s in SPLITS}
    used_constants: dict[str, list[str]] = {}
    for log in logs:
        steps, merged, repeated, conflicts = _merged(log)
        if repeated:
            notes.append(f"run {log.run!r}: {len(repeated)} step(s) logged more than once with the same values, "
                         f"merged (steps {_steps_text(repeated)})")
        if conflicts:
            notes.append(f"run {log.run!r}: {len(conflicts)} step(s) logged more than once with different values "
                         f"(a resumed run?); the later values kept (steps {_steps_text(conflicts)})")
        has = {c: merged[n][1] if n in merged else np.zeros(len(steps), bool) for c, n in by_column.items()}
        none = np.zeros(len(steps), bool)
        in_split = {
            "train": has.get("loss", none) if log.split in ("auto", "train") else none,
            "eval": has.get("eval_loss", none) if log.split in ("auto", "eval") else none,
        }
        if log.split == "eval" and "eval_loss" not in by_column and "loss" in by_column:
            in_split["eval"] = has["loss"]  # an eval log whose loss is named plainly
        left = ~(in_split["train"] | in_split["eval"])
        if left.any():
            held = sorted({n for n, (_, p) in merged.items() if p[left].any()})
            dropped.append(f"run {log.run!r}: {int(left.sum())} row(s) hold no {'' if log.split == 'eval' else 'training or '}"
                           f"evaluation loss (steps {_steps_text(steps[left])}; they log {', '.join(held) or 'nothing'})"
                           ", left out")
        constants, replaced = _run_values(log, overrides, rename)
        notes += replaced
        for key, (_, how) in constants.items():
            if not key.startswith("_"):
                hows = used_constants.setdefault(key, [])
                if how not in hows:
                    hows.append(how)
        for split in SPLITS:
            mask = in_split[split]
            if mask.any():
                rows[split].append((log, steps[mask], {n: (v[mask], p[mask]) for n, (v, p) in merged.items()},
                                    constants))
    tables = {}
    for split in SPLITS:
        if rows[split]:
            tables[split] = _table(split, rows[split], mapping, source, drop_empty, notes, dropped, problems)
    if problems:
        raise SchemaError(problems, source)
    report = tuple((n, c if not (c == "eval_loss") else "eval_loss (the eval split's loss)", h)
                   for n, (c, h) in mapping.items())
    report += tuple((k, k, "; ".join(h)) for k, h in used_constants.items())
    return LogTable(fmt, source, tables.get("train"), tables.get("eval"), report, tuple(dict.fromkeys(dropped)),
                    tuple(dict.fromkeys(notes)),
                    runs=tuple(runs))


def _table(split, parts, mapping, source, drop_empty, notes, dropped, problems):
    target = {"train": "loss", "eval": "eval_loss"}[split]
    has_target = target in {c for c, _ in mapping.values()}
    blocks, derived_d = [], []
    for log, steps, merged, constants in parts:
        block: dict[str, np.ndarray] = {"run": np.full(len(steps), log.run, dtype=object), "step": steps}
        for name, (values, present) in merged.items():
            column, _ = mapping.get(name, (None, ""))
            if column == "step":
                continue
            if column == target or (split == "eval" and column == "loss" and not has_target):
                key = "loss"
            elif column == "loss":  # the training loss at an eval step, beside the eval split's loss
                key = "training_loss"
            else:
                key = column or name
            block[key] = np.where(present, values, np.nan)
        tps = _tokens_per_step(constants)
        if "N" not in constants and "_flos_per_step" in constants and tps is not None:
            constants = {**constants, "N": (constants["_flos_per_step"][0] / (6.0 * tps[0]),
                                            f"total_flos / (6 x global_step x tokens per step, {tps[1]})")}
            notes.append(f"run {log.run!r}: N = {constants['N'][0]:.6g} from {constants['N'][1]}")
        if "D" not in block and tps is not None:
            block["D"] = steps * tps[0]
            derived_d.append(f"run {log.run!r}: D = step x {tps[0]:g} tokens per step ({tps[1]})")
        for key, (value, _) in constants.items():
            if key not in block and not key.startswith("_"):
                number = _number(value)
                block[key] = (np.full(len(steps), number) if np.isfinite(number)
                              else np.full(len(steps), str(value), dtype=object))
        if "D" in block:
            early = np.isfinite(block["D"]) & (block["D"] <= 0)
            if early.any():
                dropped.append(f"run {log.run!r} ({split}): {int(early.sum())} row(s) logged before any token was "
                               f"trained (D = 0 at steps {_steps_text(steps[early])}), left out")
                block = {k: v[~early] for k, v in block.items()}
        blocks.append(block)
    notes += derived_d[:_SHOWN] + ([f"... and {len(derived_d) - _SHOWN} more runs alike"]
                                   if len(derived_d) > _SHOWN else [])
    keys = list(dict.fromkeys(k for b in blocks for k in b))
    textual = {k for b in blocks for k, v in b.items() if v.dtype == object}
    frame = {}
    for key in keys:
        fill = (lambda n: np.full(n, None, dtype=object)) if key in textual else (lambda n: np.full(n, np.nan))
        frame[key] = np.concatenate([b[key] if key in b else fill(len(b["step"])) for b in blocks])
    try:
        return validate(frame, source=f"{source} ({split})", drop_empty=drop_empty)
    except SchemaError as exc:
        problems += [f"{split} rows: {p}" for p in exc.problems]
        return None


def _all_numeric(values: np.ndarray) -> bool:
    _, non_numeric, _ = numbers(values)
    return not non_numeric.any()


def _tokens_per_step(constants) -> tuple[float, str] | None:
    """Tokens per optimiser step from the run's values: given, batch size in tokens, or sequences x length."""
    value = lambda k: _number(constants[k][0]) if k in constants else np.nan  # noqa: E731
    if np.isfinite(value("tokens_per_step")):
        return value("tokens_per_step"), constants["tokens_per_step"][1]
    if np.isfinite(value("bs_tokens")):
        return value("bs_tokens"), f"batch size in tokens, {constants['bs_tokens'][1]}"
    if np.isfinite(value("bs")) and np.isfinite(value("seq_len")):
        return value("bs") * value("seq_len"), "batch size x sequence length"
    return None
