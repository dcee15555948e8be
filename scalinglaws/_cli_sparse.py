"""The CLI's ``scalinglaws sparse`` verb: a sparse (pruned) run planned at a budget (Jin et al. 2025)."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    s = sub.add_parser("sparse", help="plan a sparse (pruned) run at a budget: average, dense-start and final sizes, "
                                      "tokens and loss with bands (Jin et al. 2025)")
    s.add_argument("runs", help="FIT.json of a sparse law, or runs (CSV or folder) with N_avg, or N and a "
                                "final_sparsity column (optional prune_start, prune_end), D and loss")
    s.add_argument("--compute", type=float, nargs="+", required=True, help="budgets (FLOP, C = 6 N_avg D)")
    s.add_argument("--final-sparsity", type=float, required=True, help="the planned run's final sparsity, in [0, 1)")
    s.add_argument("--start", type=float, default=0.25, help="pruning starts at this fraction of training (0.25)")
    s.add_argument("--end", type=float, default=0.75, help="and reaches the final sparsity here (0.75)")
    s.add_argument("--shape", choices=("cubic", "linear"), default="cubic", help="the pruning ramp (cubic)")
    s.add_argument("--bootstrap", type=int, default=200, metavar="N", help="run resamples when fitting runs (200)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--level", type=float, default=0.9)
    s.add_argument("--out", help="write the fit as JSON here (when fitting runs)")
    s.add_argument("--json", action="store_true")


def cmd_sparse(args) -> int:
    import scalinglaws as sl
    from scalinglaws._io import write_json
    from scalinglaws.laws.sparse import SPARSE, plan_sparse, pruning_schedule, with_average_size

    from .cli import EXIT_OK, _load_result

    schedule = pruning_schedule(args.final_sparsity, start=args.start, end=args.end, shape=args.shape)
    fitting = not args.runs.endswith(".json")
    if not fitting:
        result = _load_result(args.runs)
    else:
        table = with_average_size(sl.read_runs(args.runs), start=args.start, end=args.end, shape=args.shape)
        result = sl.fit(SPARSE, table)
        if args.bootstrap:
            result = sl.bootstrap(result, table, args.bootstrap, seed=args.seed)
        if args.out:
            write_json(args.out, result.to_dict())
    plans = [plan_sparse(result, c, schedule, level=args.level) for c in args.compute]
    if args.json:
        print(json.dumps({"fit": result.without_draws().to_dict(), "plans": [p.to_dict() for p in plans]}, indent=2))
    else:
        print("\n\n".join([result.report(), *(p.summary() for p in plans)]))
        if args.out and fitting:
            print(f"wrote {args.out}")
    return EXIT_OK
