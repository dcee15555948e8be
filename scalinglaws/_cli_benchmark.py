"""CLI verb ``benchmark``: external forecasting benchmarks run with this toolkit's methods, beside the published
numbers (``benchmark hitchhiker DATA``: Choshen et al.'s protocol on ColPret's per-checkpoint losses)."""

from __future__ import annotations

__all__ = ["add_parsers", "cmd_benchmark", "cmd_leaderboard"]


def add_parsers(sub) -> None:
    _add_leaderboard(sub)
    b = sub.add_parser("benchmark", help="external benchmarks: hitchhiker (Choshen et al.'s forecasting protocol)")
    which = b.add_subparsers(dest="benchmark", required=True)
    h = which.add_parser("hitchhiker", help="hold out each family's largest model, forecast its last 30%% of tokens")
    h.add_argument("data", help="ColPret's long table (family, model_name, N, D, loss), e.g. "
                                "data/colpret/colpret_shared.csv")
    h.add_argument("--baselines", help="the authors' per-family results to print beside ours "
                                       "(protocol_baselines.csv)")
    h.add_argument("--family", action="append", help="a family to score (repeat; default: every one with 3+ models)")
    h.add_argument("--law", default="chinchilla")
    h.add_argument("--late", type=float, default=0.5,
                   help="ours fits each training run's checkpoints from this share of its tokens on (default 0.5)")
    h.add_argument("--bootstrap", type=int, default=100, metavar="N", help="resamples for the bands (default 100)")
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("--level", type=float, default=0.9)
    h.add_argument("--json", action="store_true")
    s = which.add_parser("scalebench", help="choose runs from a task's pool under budgets, refit, score the target "
                                            "region's R^2 (ScaleBench's protocol)")
    s.add_argument("task", help="a task folder: task.json, laws.json, train.csv, test.csv (e.g. "
                                "data/scalebench/parallel)")
    s.add_argument("--law", action="append", help="a law instance to run (repeat; e.g. sl_2; default: all)")
    s.add_argument("--method", action="append", help="a method (repeat; default: all of random, cheapest, "
                                                     "cost_random, dopt, vopt, ours, all_data)")
    s.add_argument("--repeats", type=int, help="repeats of the random baselines (default: the task's, 10)")
    s.add_argument("--published", help="ScaleBench's Table 2 (published_table2.csv) to print beside ours")
    s.add_argument("--json", action="store_true")


def _add_leaderboard(sub) -> None:
    lb = sub.add_parser("leaderboard", help="the benchmark scores beside the published ones, from fits/benchmark_*")
    lb.add_argument("--fits", default="fits", help="the fits/ folder (default: ./fits)")
    lb.add_argument("--rerun", action="store_true", help="rerun the benchmark entries first (rewrites their "
                                                         "result.json; about 85 minutes on 2 cores)")
    lb.add_argument("--readme", help="rewrite this file's table between the leaderboard markers (README.md)")


def cmd_leaderboard(args) -> int:
    from pathlib import Path

    from ._reproduce import reproduce
    from .leaderboard import ENTRIES, leaderboard, write_readme

    if args.rerun:
        for name in ENTRIES:
            rep = reproduce(Path(args.fits) / name, write=True)
            print(rep.table())
    board = leaderboard(args.fits)
    if args.readme:
        write_readme(args.readme, board)
    print(board.markdown(), end="")
    return 0


def cmd_benchmark(args) -> int:
    import json

    if args.benchmark == "scalebench":
        return _scalebench(args)

    from ._hitchhiker_reproduce import published_baselines
    from ._io import read_runs
    from .hitchhiker import hitchhiker

    table = read_runs(args.data, rename={"step": None})
    published = published_baselines(args.baselines) if args.baselines else None
    result = hitchhiker(table, families=args.family, law=args.law, late=args.late, n_boot=args.bootstrap,
                        seed=args.seed, level=args.level, published=published)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0


def _scalebench(args) -> int:
    import json
    import sys

    from .scalebench import METHODS, published_table, read_task, scalebench

    task = read_task(args.task, laws=args.law)
    published = published_table(args.published, task.name) if args.published else None
    result = scalebench(task, methods=tuple(args.method or METHODS), repeats=args.repeats, published=published,
                        progress=lambda name: print(f"  {name} done", file=sys.stderr, flush=True))
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0
