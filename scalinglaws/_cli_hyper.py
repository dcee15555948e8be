"""The CLI's ``scalinglaws hyper`` verb: Step Law's optimal LR and batch size from an LR x batch-size grid."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    h = sub.add_parser("hyper", help="optimal learning rate and batch size from LR x batch-size grids (Step Law)")
    h.add_argument("runs", help="CSV (or folder) with N, D, lr, bs_tokens (or bs with --seq-len) and a loss column")
    h.add_argument("--loss", default="loss", help="the column of final losses to judge runs by (default loss)")
    h.add_argument("--threshold", type=float, default=0.0025,
                   help="keep runs within this relative loss of each (N, D) group's best (default 0.0025)")
    h.add_argument("--seq-len", type=float, help="tokens per sequence, to read bs in sequences and print both")
    h.add_argument("--at", action="append", default=[], metavar="N=VALUE,D=VALUE",
                   help="forecast at a planned run (repeat for more), e.g. N=7e9,D=1.4e12")
    h.add_argument("--method", choices=("recipe", "all runs"), default="recipe",
                   help="the authors' recipe (default) or the estimate that keeps every run")
    h.add_argument("--bootstrap", type=int, default=1000, metavar="N")
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("--level", type=float, default=0.9)
    h.add_argument("--rename", action="append", default=[], metavar="FILE_COLUMN=CANONICAL",
                   help="map a file's column to a canonical one, e.g. exp_name=run")
    h.add_argument("--json", action="store_true")


def cmd_hyper(args) -> int:
    import scalinglaws as sl
    from scalinglaws.hyper import step_law

    from .cli import EXIT_OK, pairs

    table = sl.read_runs(args.runs, rename=pairs(args.rename, "--rename") or None)
    result = step_law(table, loss=args.loss, threshold=args.threshold, seq_len=args.seq_len, n_boot=args.bootstrap,
                      seed=args.seed)
    forecasts = []
    for item in args.at:
        planned = pairs(item.split(","), "--at")
        missing = [k for k in ("N", "D") if k not in planned]
        if missing:
            raise sl.InputError(f"--at needs N and D, e.g. N=7e9,D=1.4e12; missing {missing} in {item!r}")
        try:
            n, d = float(planned["N"]), float(planned["D"])
        except ValueError as exc:
            raise sl.InputError(f"--at values must be numbers: {exc}") from None
        forecasts.append(result.forecast(n, d, seq_len=args.seq_len, level=args.level, method=args.method))
    if args.json:
        print(json.dumps({"fit": result.to_dict(), "forecasts": [f.to_dict() for f in forecasts]}, indent=2))
    else:
        print("\n\n".join([result.summary(), *(f.summary() for f in forecasts)]))
    return EXIT_OK
