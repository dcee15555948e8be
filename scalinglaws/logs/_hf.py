"""Hugging Face Trainer logs: ``trainer_state.json`` (one per checkpoint, ``checkpoint-*/``, and one per run where
``save_state()`` wrote it).

A run is the folder that holds its ``checkpoint-*`` folders (or its own state file). Its latest state (the largest
``global_step``) holds the whole ``log_history``: entries with ``loss`` are training rows (``step``, ``loss``,
``learning_rate``, ``num_input_tokens_seen`` when ``include_num_input_tokens_seen`` was set), entries with
``eval_*`` keys are evaluation rows, kept apart; the closing summary (``train_runtime``, ``train_loss``: the run's
mean loss, not a step's) is left out and said so.

N: the Trainer counts ``total_flos`` as 6 x tokens x non-embedding parameters (``floating_point_ops``), so
N = total_flos / (6 x num_input_tokens_seen) when both are there (or tokens from a given tokens per step).
"""

from __future__ import annotations

import json
import math
from pathlib import PurePosixPath

from .._schema import SchemaError
from ._assemble import RunLog

__all__ = ["read_hf"]

_SUMMARY_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second")


def _run_of(path: str, tree_name: str) -> str:
    parts = PurePosixPath(path).parts[:-1]
    if parts and parts[-1].startswith("checkpoint-"):
        parts = parts[:-1]
    return "/".join(parts) or PurePosixPath(tree_name).stem


def _state(tree, path, problems):
    try:
        state = json.loads(tree.text(path))
    except SchemaError as exc:
        problems += exc.problems
        return None
    except (json.JSONDecodeError, RecursionError) as exc:
        problems.append(f"{path}: not valid JSON ({exc})")
        return None
    if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
        problems.append(f"{path}: not a Trainer state (no 'log_history' list)")
        return None
    bad = [i for i, e in enumerate(state["log_history"]) if not isinstance(e, dict)]
    if bad:
        problems.append(f"{path}: log_history entries {bad[:6]} are not objects")
        return None
    return state


def _step(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def read_hf(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    states: dict[str, list[tuple[float, str, dict]]] = {}
    for path in tree.named("trainer_state.json") or [p for p in tree.paths if p.endswith(".json")]:
        state = _state(tree, path, problems)
        if state is not None:
            step = _step(state.get("global_step"))
            states.setdefault(_run_of(path, tree.name), []).append((step if step is not None else -1, path, state))
    logs = []
    for run, found in states.items():
        found.sort(key=lambda t: (t[0], PurePosixPath(t[1]).parent.name.startswith("checkpoint-") is False))
        step, path, state = found[-1]
        if len(found) > 1:
            notes.append(f"run {run!r}: read {path} (global_step {step:g}), the latest of {len(found)} saved states")
        train, evals, summary, other, no_step = [], [], 0, 0, 0
        for entry in state["log_history"]:
            s = _step(entry.get("step"))
            if s is None:
                no_step += 1
            elif "loss" in entry:
                train.append((s, entry))
            elif any(k.startswith("eval_") for k in entry):
                evals.append((s, {k: v for k, v in entry.items()
                                   if k.startswith("eval_") or k in ("epoch", "num_input_tokens_seen")}))
            elif any(k in entry for k in _SUMMARY_KEYS):
                summary += 1
            else:
                train.append((s, entry))  # other logged values, merged into the training row at their step
                other += 1
        if summary:
            notes.append(f"run {run!r}: the closing summary entry (train_runtime, train_loss: the mean over the "
                         "run, not a step's loss) left out")
        if no_step:
            problems.append(f"run {run!r}: {no_step} log_history entries have no numeric 'step'")
        constants = {}
        flos, tokens = _step(state.get("total_flos")), _step(state.get("num_input_tokens_seen"))
        if flos and tokens:
            constants["N"] = (flos / (6.0 * tokens), "total_flos / (6 x num_input_tokens_seen)")
        elif flos and step and step > 0:
            constants["_flos_per_step"] = (flos / step, "total_flos / global_step")
        drop = ("step", "total_flos")
        for split, entries in (("train", train), ("eval", evals)):
            if entries:
                logs.append(RunLog.from_rows(run, [s for s, _ in entries],
                                             [{k: v for k, v in e.items() if k not in drop} for _, e in entries],
                                             constants=dict(constants), split=split))
        if not train and not evals:
            problems.append(f"run {run!r}: {path} logs no steps (log_history is empty)")
    return logs
