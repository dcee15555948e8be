"""CLI verbs: ``backtest`` (fit below a cut, forecast above, score), ``compare`` (rank laws by backtest error),
``risk`` (the probability that a planned run reaches a target, and the budget for a chosen probability) and
``suggest`` (the next runs that most narrow the forecast band at a target, within a compute cap)."""

from __future__ import annotations

from ._errors import InputError

__all__ = ["add_parsers", "cmd_backtest", "cmd_compare", "cmd_risk", "cmd_suggest"]


def _common(p, log_options):
    p.add_argument("runs")
    p.add_argument("--by", help="the column to cut on (default: C for laws of N and D, else the law's first input)")
    p.add_argument("--cut", type=float, action="append", metavar="VALUE",
                   help="fit on rows with BY <= VALUE (repeat for a rolling backtest; default: 4 cuts at the 50-80%% "
                        "quantiles of BY's distinct values)")
    p.add_argument("--bootstrap", type=int, default=200, metavar="N", help="run resamples for the bands (default 200)")
    p.add_argument("--level", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=0, help="LR-schedule laws: warmup steps before the first logged step")
    p.add_argument("--drop-largest", metavar="COLUMN:K")
    p.add_argument("--drop-empty", action="store_true")
    p.add_argument("--where", action="append", default=[], metavar="LABEL=VALUE")
    p.add_argument("--json", action="store_true")
    log_options(p)


def add_parsers(sub) -> None:
    from ._cli_logs import add_log_options

    b = sub.add_parser("backtest", help="fit a law on the runs below a cut, forecast those above, and score it")
    b.add_argument("--law", required=True)
    b.add_argument("--then", action="append", default=[], metavar="LAW",
                   help="a later stage of a chain reading the previous stage's prediction (repeat), e.g. --law "
                        "gadre_overtrain --then gadre_error: the chain is backtested on its last target")
    _common(b, add_log_options)
    c = sub.add_parser("compare", help="rank the laws the columns allow by backtest error, with their forecasts")
    c.add_argument("--law", action="append", help="a law to compare (repeat; default: every law that applies)")
    c.add_argument("--compute", type=float, help="also give each law's compute-optimal loss at this budget")
    _common(c, add_log_options)
    r = sub.add_parser("risk", help="the probability that a planned run reaches a target, from the bootstrap draws")
    r.add_argument("result", help="FIT.json from `scalinglaws fit --bootstrap N`")
    r.add_argument("--target", type=float, required=True, help="the loss (or metric) to reach")
    r.add_argument("--compute", type=float, nargs="+", default=[], help="compute-optimal runs at these budgets")
    r.add_argument("--at", action="append", default=[], metavar="NAME=VALUE", help="a run at these inputs")
    r.add_argument("--probability", type=float, nargs="+", default=[],
                   help="the budget reaching the target with these probabilities")
    r.add_argument("--hold", action="append", default=[], metavar="NAME=VALUE", help="an input held fixed (U=1e11)")
    r.add_argument("--json", action="store_true")
    s = sub.add_parser("suggest", help="the next runs, within a compute cap, that most narrow the band at a target")
    s.add_argument("runs")
    s.add_argument("--law", help="the law to fit (fitted and bootstrapped here), or give --result")
    s.add_argument("--result", help="FIT.json of these runs from `scalinglaws fit --bootstrap N`")
    s.add_argument("--budget", type=float, help="target: the compute-optimal run at this compute (FLOP)")
    s.add_argument("--at", action="append", default=[], metavar="NAME=VALUE", help="target: the run at these inputs")
    s.add_argument("--cap", type=float, required=True, help="the compute the new runs may cost together (FLOP)")
    s.add_argument("-k", "--count", type=int, default=4, help="how many runs to suggest (default 4)")
    s.add_argument("--hold", action="append", default=[], metavar="NAME=VALUE", help="an input held fixed (U=1e11)")
    s.add_argument("--bootstrap", type=int, default=200, metavar="N", help="run resamples with --law (default 200)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--level", type=float, default=0.9)
    s.add_argument("--out", help="write the suggested runs as CSV (the columns to fill in once they are made)")
    s.add_argument("--drop-largest", metavar="COLUMN:K")
    s.add_argument("--drop-empty", action="store_true")
    s.add_argument("--where", action="append", default=[], metavar="LABEL=VALUE")
    s.add_argument("--json", action="store_true")
    log_options = add_log_options
    log_options(s)


def _print(objects, as_json: bool) -> None:
    import json

    if as_json:
        print(json.dumps([o.to_dict() for o in objects], indent=2))
    else:
        print("\n\n".join(o.summary() for o in objects))


def cmd_backtest(args) -> int:
    from .backtest import backtest, rolling_backtest
    from .cli import load_table

    table = load_table(args)
    if args.then:
        from .backtest import backtest_chain

        cuts = args.cut or []
        if len(cuts) != 1:
            raise InputError("a chain backtest takes one --cut")
        result = backtest_chain([args.law, *args.then], table, cut=cuts[0], by=args.by or "C", n_boot=args.bootstrap,
                                level=args.level, seed=args.seed)
        _print([result], args.json)
        return 0
    options = dict(by=args.by, n_boot=args.bootstrap, level=args.level, seed=args.seed, warmup=args.warmup)
    if args.cut and len(args.cut) == 1:
        result = backtest(args.law, table, cut=args.cut[0], **options)
    else:
        result = rolling_backtest(args.law, table, cuts=args.cut, **options)
    _print([result], args.json)
    return 0


def cmd_compare(args) -> int:
    from .backtest import compare_laws
    from .cli import load_table

    table = load_table(args)
    ranking = compare_laws(table, args.law, cuts=args.cut, by=args.by or "C", target_compute=args.compute,
                           n_boot=args.bootstrap, level=args.level, seed=args.seed)
    _print([ranking], args.json)
    return 0


def cmd_risk(args) -> int:
    from .cli import _load_result, pairs
    from .risk import compute_for_probability, probability_of_target

    result = _load_result(args.result)
    try:
        held = {k: float(v) for k, v in pairs(args.hold, "--hold").items()}
        at = {k: float(v) for k, v in pairs(args.at, "--at").items()}
    except ValueError as exc:
        raise InputError(f"--hold and --at values must be numbers: {exc}") from None
    if not (args.compute or at or args.probability):
        raise InputError("give --compute C, --at NAME=VALUE ... or --probability P")
    out = [probability_of_target(result, args.target, compute=c, fixed=held) for c in args.compute]
    if at:
        out.append(probability_of_target(result, args.target, at=at))
    out += [compute_for_probability(result, args.target, p, fixed=held) for p in args.probability]
    _print(out, args.json)
    return 0


def cmd_suggest(args) -> int:
    import scalinglaws as sl

    from .cli import _load_result, load_table, pairs
    from .suggest import suggest_runs

    if (args.law is None) == (args.result is None):
        raise InputError("give --law LAW (fitted and bootstrapped here) or --result FIT.json, one of them")
    table = load_table(args)
    if args.result:
        result = _load_result(args.result)
    else:
        result = sl.fit(args.law, table)
        result = sl.bootstrap(result, table, args.bootstrap, seed=args.seed)
    try:
        held = {k: float(v) for k, v in pairs(args.hold, "--hold").items()}
        at = {k: float(v) for k, v in pairs(args.at, "--at").items()} or None
    except ValueError as exc:
        raise InputError(f"--hold and --at values must be numbers: {exc}") from None
    out = suggest_runs(result, table, k=args.count, cap=args.cap, budget=args.budget, at=at, fixed=held,
                       level=args.level)
    _print([out], args.json)
    if args.out:
        from ._io import write_text

        write_text(args.out, out.to_csv())
        if not args.json:
            print(f"wrote {args.out}")
    return 0
