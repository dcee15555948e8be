"""CLI verb ``benchmark``: external forecasting benchmarks run with this toolkit's methods, beside the published
numbers (``benchmark hitchhiker DATA``: Choshen et al.'s protocol on ColPret's per-checkpoint losses)."""

from __future__ import annotations

__all__ = ["add_parsers", "cmd_benchmark"]


def add_parsers(sub) -> None:
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


def cmd_benchmark(args) -> int:
    import json

    from ._hitchhiker_reproduce import published_baselines
    from ._io import read_runs
    from .hitchhiker import hitchhiker

    table = read_runs(args.data, rename={"step": None})
    published = published_baselines(args.baselines) if args.baselines else None
    result = hitchhiker(table, families=args.family, law=args.law, late=args.late, n_boot=args.bootstrap,
                        seed=args.seed, level=args.level, published=published)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0
