"""The CLI's log options (every verb that reads runs) and ``scalinglaws convert``: training logs -> runs.csv."""

from __future__ import annotations

from ._errors import InputError

__all__ = ["add_log_options", "add_parser", "log_kwargs", "cmd_convert"]


def add_log_options(p) -> None:
    g = p.add_argument_group("logs (Hugging Face, W&B, TensorBoard, Lightning, MLflow, JSON lines)")
    g.add_argument("--format", help="the input's format (default: told from the files); see `scalinglaws formats`")
    g.add_argument("--split", default="train", choices=("train", "eval"),
                   help="the logs' training rows (default) or evaluation rows (their eval loss as the loss)")
    g.add_argument("--map", action="append", default=[], metavar="NAME=COLUMN",
                   help="map a logged name (or a CSV's column) to a column, e.g. --map val/ppl_loss=loss --map "
                        "model.n_params=N; an empty COLUMN leaves NAME out (--map model=)")
    g.add_argument("--set", action="append", default=[], metavar="[RUN:]KEY=VALUE",
                   help="a run value logs lack, for every run or one: N, tokens_per_step, seq_len, bs, bs_tokens, "
                        "U, N_avg (e.g. --set seq_len=2048 --set run-a:N=1.2e8)")
    g.add_argument("--overrides", metavar="FILE",
                   help="run values from a YAML or JSON file: {RUN or '*': {KEY: VALUE}}")
    g.add_argument("--max-bytes", type=float, help="refuse files larger than this (default 2 GiB)")


def _overrides(args) -> dict:
    from .logs import read_overrides

    out = read_overrides(args.overrides) if getattr(args, "overrides", None) else {}
    for item in getattr(args, "set", []) or []:
        scope_key, sep, value = item.partition("=")
        run, colon, key = scope_key.rpartition(":") if ":" in scope_key else ("*", "", scope_key)
        if not sep or not key:
            raise InputError(f"--set must look like [RUN:]KEY=VALUE, not {item!r}")
        try:
            number = float(value)
        except ValueError:
            number = value
        out.setdefault(run or "*", {})[key] = number
    return out


def log_kwargs(args) -> dict:
    """read_runs' log keywords from parsed options (empty where the verb has none)."""
    if not hasattr(args, "split"):
        return {}
    from .cli import pairs
    from .logs import MAX_FILE_BYTES

    rename = {name: column or None for name, column in pairs(args.map, "--map").items()}  # None: left out
    return {"format": args.format, "split": args.split, "rename": rename or None,
            "overrides": _overrides(args) or None,
            "max_bytes": int(args.max_bytes) if args.max_bytes else MAX_FILE_BYTES}


def add_parser(sub) -> None:
    c = sub.add_parser("convert", help="training logs (HF checkpoints, W&B, TensorBoard, ...) -> the canonical CSV")
    c.add_argument("logs", help="a log file or folder")
    c.add_argument("--out", required=True, help="the CSV to write (the eval rows go beside it, as NAME.eval.csv)")
    c.add_argument("--drop-empty", action="store_true")
    c.add_argument("--json", action="store_true", help="print the mapping as JSON")
    add_log_options(c)
    sub.add_parser("formats", help="list the log formats the readers know")


def cmd_convert(args) -> int:
    import json
    from pathlib import Path

    from ._io import write_runs
    from .logs import read_logs

    kw = log_kwargs(args)
    split = kw.pop("split")
    logs = read_logs(args.logs, drop_empty=args.drop_empty, **kw)
    table = logs.table(split)
    out = Path(args.out)
    write_runs(table, out)
    written = [f"{out} ({len(table)} rows, {table.n_runs} runs)"]
    other = logs.eval if split == "train" else logs.train
    if other is not None:
        beside = out.with_name(out.stem + (".eval" if split == "train" else ".train") + out.suffix)
        write_runs(other, beside)
        written.append(f"{beside} ({len(other)} rows)")
    if args.json:
        print(json.dumps({**logs.to_dict(), "written": [str(out)]}, indent=2))
    else:
        print(logs.summary())
        print("wrote " + "; ".join(written))
    return 0


def cmd_formats(args) -> int:
    from .logs import FORMATS

    for name, text in FORMATS.items():
        print(f"{name:<14} {text}")
    return 0
