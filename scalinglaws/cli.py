"""The ``scalinglaws`` command line.

Exit codes:
  0  success
  1  the fit did not converge, or a reproduction missed a published value
  2  bad usage or bad input (unreadable file, schema problems, unknown law, data that cannot determine the law):
     the problems are printed, no traceback
  3  an internal error (a bug in scalinglaws): said so, with the traceback to report
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ._errors import InputError  # no JAX behind it: usage errors stay fast

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 too; keep its message, drop nothing
        self.print_usage(sys.stderr)
        print(f"scalinglaws: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    from ._cli_logs import add_log_options, add_parser as add_convert

    p = _Parser(prog="scalinglaws", description="Fit scaling laws to training runs and forecast larger runs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    f = sub.add_parser("fit", help="fit a law to a run table (CSV file or folder of CSVs)")
    f.add_argument("runs")
    f.add_argument("--law", required=True, help="law name (see `scalinglaws laws`), or a formula law's spec, FILE.json or FILE.yaml")
    f.add_argument("--bootstrap", type=int, default=0, metavar="N", help="run-level bootstrap resamples")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--loss", choices=("huber", "squared"), help="default: the law's (Huber for loss laws)")
    f.add_argument("--delta", type=float, help="Huber threshold (default: the law's, else 1e-3)")
    f.add_argument("--residuals", choices=("log", "raw", "logit", "cloglog"),
                   help="the residuals' scale (default: the law's, log for loss laws)")
    f.add_argument("--grid", default="data", choices=("data", "published"),
                   help="start grid: anchored to the data (default) or the law's published one")
    f.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE", help="hold a parameter fixed")
    f.add_argument("--tie", action="append", default=[], metavar="NAME=OTHER", help="tie a parameter to another")
    f.add_argument("--drop-largest", metavar="COLUMN:K", help="drop rows at or above the K-th largest COLUMN")
    f.add_argument("--drop-empty", action="store_true", help="drop rows with empty numeric cells")
    f.add_argument("--where", action="append", default=[], metavar="LABEL=VALUE", help="keep rows with this label")
    f.add_argument("--warmup", type=int, default=0,
                   help="LR-schedule laws: warmup steps before the first logged step (the per-step schedule is read "
                        "from the logged lr column, interpolated between logged steps)")
    f.add_argument("--out", help="write the result as JSON here")
    add_log_options(f)

    fc = sub.add_parser("forecast", help="forecast from a fitted result")
    fc.add_argument("result", help="FIT.json from `scalinglaws fit`, or LAW:PRESET (e.g. chinchilla:epoch-main)")
    what = fc.add_mutually_exclusive_group(required=True)
    what.add_argument("--compute", type=float, nargs="+", help="compute-optimal allocation at these budgets")
    what.add_argument("--target-loss", type=float, nargs="+", help="compute needed to reach these losses")
    what.add_argument("--at", action="append", metavar="NAME=VALUE[,VALUE...]", help="predict at inputs")
    what.add_argument("--schedule", action="append", metavar="KIND:KEY=VALUE,...",
                      help="LR-schedule laws: the loss curve under a schedule, e.g. "
                           "cosine:total=72000,peak=3e-4,floor=3e-5,warmup=2160 (repeat to compare)")
    fc.add_argument("--hold", action="append", default=[], metavar="NAME=VALUE",
                    help="an input the law holds fixed in an allocation, e.g. unique tokens U=1e11 for "
                         "data_constrained (repeat for several)")
    fc.add_argument("--level", type=float, default=0.9, help="interval level (default 0.9)")
    fc.add_argument("--json", action="store_true", help="print JSON instead of text")

    r = sub.add_parser("report", help="print a fitted result's report")
    r.add_argument("result")

    sub.add_parser("laws", help="list the laws")

    rp = sub.add_parser("reproduce", help="rerun a published-fit reproduction in fits/NAME")
    rp.add_argument("path")
    rp.add_argument("--write", action="store_true", help="rewrite its result.json")

    ch = sub.add_parser("chain", help="fit (N, D) -> loss -> metric as one chain with one joint band, and forecast")
    ch.add_argument("runs")
    ch.add_argument("--law", required=True, help="the first stage's law (e.g. chinchilla, gadre_overtrain)")
    ch.add_argument("--then", action="append", required=True, metavar="LAW",
                    help="a later stage reading the previous one's prediction (e.g. gadre_error); repeat for more")
    ch.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="joint run resamples (default 1000)")
    ch.add_argument("--seed", type=int, default=0)
    ch.add_argument("--at", action="extend", nargs="+", default=[], metavar="NAME=VALUE[,VALUE...]",
                    help="forecast the chain at these inputs (e.g. N=7e9 D=1.4e11)")
    ch.add_argument("--target", type=float, nargs="+", default=[],
                    help="compute needed to bring the last stage to these values")
    ch.add_argument("--level", type=float, default=0.9)
    ch.add_argument("--where", action="append", default=[], metavar="LABEL=VALUE")
    ch.add_argument("--drop-empty", action="store_true")

    cd = sub.add_parser("cod", help="COD: forecast a benchmark from per-item pass rates (items x models CSV)")
    cd.add_argument("matrix", help="CSV: first column item ids, then one column of pass rates per model")
    cd.add_argument("--compute", action="append", required=True, metavar="MODEL=FLOP",
                    help="each model's training compute (repeat, or MODEL=FLOP,MODEL=FLOP,...)")
    cd.add_argument("--at", type=float, nargs="+", required=True, help="target compute(s) to forecast at")
    cd.add_argument("--train", help="models to fit on, comma-separated (default: every model given)")
    cd.add_argument("--guess", type=float, default=0.0, help="random-guess rate of every item (default 0)")
    cd.add_argument("--radius", type=float, default=0.1)
    cd.add_argument("--min-size", type=int, default=5)
    cd.add_argument("--bootstrap", type=int, default=200, metavar="N")
    cd.add_argument("--seed", type=int, default=0)
    cd.add_argument("--level", type=float, default=0.9)
    cd.add_argument("--json", action="store_true")

    from ._cli_hyper import add_parser as add_hyper
    from ._cli_sparse import add_parser as add_sparse

    add_hyper(sub)
    add_sparse(sub)
    add_convert(sub)
    from ._cli_backtest import add_parsers as add_backtest
    from ._cli_benchmark import add_parsers as add_benchmark

    add_backtest(sub)
    add_benchmark(sub)

    i = sub.add_parser("isoflop", help="approach 2: per-budget optima and N*(C), D*(C) power laws")
    i.add_argument("runs")
    i.add_argument("--window", type=int, default=2)
    i.add_argument("--bootstrap", type=int, default=0, metavar="N",
                   help="resample each budget's runs N times for bands on the exponents")
    i.add_argument("--seed", type=int, default=0)
    i.add_argument("--approach3", metavar="LAW", help="also fit LAW to the same runs and set its N* exponent (with a "
                   "band over --bootstrap resamples, default 200) beside approach 2's; warns when they disagree")
    i.add_argument("--where", action="append", default=[], metavar="LABEL=VALUE")
    i.add_argument("--drop-empty", action="store_true")
    add_log_options(i)
    add_log_options(ch)
    return p


def pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"{what} must look like NAME=VALUE, not {item!r}")
        out[key] = value
    return out


def load_table(args, require=()):
    import scalinglaws as sl

    from ._cli_logs import log_kwargs

    table = sl.read_runs(args.runs, require=require, drop_empty=args.drop_empty, **log_kwargs(args))
    if args.where:
        table = table.where(**pairs(args.where, "--where"))
    if getattr(args, "drop_largest", None):
        column, _, k = args.drop_largest.partition(":")
        if not k.isdigit():
            raise sl.InputError(f"--drop-largest must look like COLUMN:K, not {args.drop_largest!r}")
        table = table.drop_largest(column, int(k))
    return table


def _load_result(spec: str):
    import scalinglaws as sl
    from scalinglaws._io import read_json

    if spec.endswith(".json"):
        try:
            return sl.FitResult.from_dict(read_json(spec))
        except (ValueError, TypeError, KeyError) as exc:  # a JSON file that is not a result is the user's input
            raise sl.InputError(f"{spec} is not a scalinglaws result: {exc}") from None
    law, sep, name = spec.partition(":")
    if not sep:
        raise sl.InputError(f"expected FIT.json or LAW:PRESET, not {spec!r}")
    return sl.preset(law, name)


def _cmd_fit(args) -> int:
    import scalinglaws as sl
    from scalinglaws._io import write_json

    law = sl.get_law(args.law)
    unreadable = [s for s in law.series if s != "lr"]
    if unreadable:
        raise sl.InputError(f"law {law.name} needs per-run {unreadable} series, which the CLI cannot read from a "
                            "CSV yet: fit it from Python (table.with_series)")
    table = load_table(args, require=(*law.columns, *(("step", "lr") if law.series else ())))
    if "lr" in law.series:
        table = sl.curves.schedules_from_lr(table, warmup=args.warmup)
        print(f"note: per-step schedules read from the logged lr column ({args.warmup} warmup steps)")
    for note in table.notes:
        print(f"note: {note}")
    fixed = {k: float(v) for k, v in pairs(args.fix, "--fix").items()}
    result = sl.fit(law, table, loss=args.loss, delta=args.delta, residuals=args.residuals, grid=args.grid,
                    fixed=fixed, tied=pairs(args.tie, "--tie"), throw=False)
    if args.bootstrap and result.converged:
        result = sl.bootstrap(result, table, args.bootstrap, seed=args.seed)
    print(result.report())
    if args.out:
        write_json(args.out, result.to_dict())
        print(f"wrote {args.out}")
    return EXIT_OK if result.converged else EXIT_FAILED


def _cmd_forecast(args) -> int:
    import json

    import numpy as np

    from scalinglaws import compute_for_target, compute_optimal, forecast

    result = _load_result(args.result)
    outputs = []
    try:
        held = {k: float(v) for k, v in pairs(args.hold, "--hold").items()}
    except ValueError as exc:
        raise InputError(f"--hold values must be numbers: {exc}") from None
    if args.compute:
        outputs = [compute_optimal(result, c, fixed=held, level=args.level) for c in args.compute]
    elif args.target_loss:
        outputs = [compute_for_target(result, t, fixed=held, level=args.level) for t in args.target_loss]
    if args.schedule:
        return _forecast_schedules(result, args)
    if outputs:
        if args.json:
            print(json.dumps([o.to_dict() for o in outputs], indent=2))
        else:
            print("\n\n".join(o.summary() for o in outputs))
        return EXIT_OK
    try:
        inputs = {k: np.array([float(x) for x in v.split(",")]) for k, v in pairs(args.at, "--at").items()}
    except ValueError as exc:
        raise InputError(f"--at values must be numbers: {exc}") from None
    fc = forecast(result, inputs, level=args.level)
    print(json.dumps(fc.to_dict(), indent=2) if args.json else fc.summary())
    return EXIT_OK



def _parse_schedule(text: str) -> dict:
    kind, _, rest = text.partition(":")
    spec = {"kind": kind}
    for key, value in pairs([kv for kv in rest.split(",") if kv], "--schedule").items():
        if key in ("boundaries", "values"):
            spec[key] = [float(v) for v in value.split("/")]
        else:
            number = float(value)
            spec[key] = int(number) if key in ("total", "warmup", "decay") else number
    return spec


def _forecast_schedules(result, args) -> int:
    import json

    from scalinglaws import schedules
    from scalinglaws.curves import predict_curve

    rows = []
    for text in args.schedule:
        eta = schedules.build(_parse_schedule(text))
        curve = predict_curve(result, eta, level=args.level)
        rows.append((text, curve))
    if args.json:
        print(json.dumps([{"schedule": t, "steps": c.steps.tolist(), "loss": c.loss.to_dict(),
                           "warnings": list(c.warnings)} for t, c in rows], indent=2))
        return EXIT_OK
    print(f"{'schedule':<60} {'final loss':>10}  {100 * args.level:g}% interval")
    for text, curve in sorted(rows, key=lambda r: r[1].final[0]):
        value, lo, hi = curve.final
        print(f"{text:<60} {value:>10.5f}" + (f"  ({lo:.5f}, {hi:.5f})" if lo == lo else ""))
        for w in curve.warnings:
            print(f"  warning: {w}")
    return EXIT_OK


def _cmd_report(args) -> int:
    print(_load_result(args.result).report())
    return EXIT_OK


def _cmd_laws(args) -> int:
    import scalinglaws as sl

    for name, law in sl.available_laws().items():
        presets = f"  presets: {', '.join(law.presets)}" if law.presets else ""
        can = ", ".join(f for f in law.forecasts if f != "predict")
        print(f"{name:<16} {law.title}{presets}" + (f"  forecasts: {can}" if can else ""))
    return EXIT_OK


def _cmd_reproduce(args) -> int:
    from scalinglaws._reproduce import reproduce

    rep = reproduce(args.path, write=args.write)
    print(rep.table())
    return EXIT_OK if rep.ok else EXIT_FAILED


def _cmd_isoflop(args) -> int:
    from scalinglaws._isoflop import isoflop

    table = load_table(args, require=("C", "N", "loss"))
    if args.approach3:
        from scalinglaws._isoflop import compare_approaches

        both = compare_approaches(table, law=args.approach3, window=args.window, n_boot=args.bootstrap or 200,
                                  seed=args.seed)
        print(both.approach2.summary() + "\n\n" + both.summary())
        return EXIT_OK
    print(isoflop(table, window=args.window, n_boot=args.bootstrap, seed=args.seed).summary())
    return EXIT_OK


LAW_FILES = (".json", ".yaml", ".yml")


def _read_law_files(args) -> None:
    """``--law FILE.json`` (or .yaml): a formula law from its spec, wherever a verb takes a law's name."""
    from scalinglaws._io import read_law_spec

    law = getattr(args, "law", None)
    if isinstance(law, str) and law.endswith(LAW_FILES):
        args.law = read_law_spec(law)
    elif isinstance(law, list):
        args.law = [read_law_spec(v) if v.endswith(LAW_FILES) else v for v in law]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from scalinglaws._cache import enable_compilation_cache
    import scalinglaws as sl

    enable_compilation_cache()
    from ._cli_downstream import cmd_chain, cmd_cod
    from ._cli_hyper import cmd_hyper
    from ._cli_sparse import cmd_sparse
    from ._cli_logs import cmd_convert, cmd_formats
    from ._cli_backtest import cmd_backtest, cmd_compare, cmd_risk, cmd_suggest
    from ._cli_benchmark import cmd_benchmark, cmd_leaderboard

    handler = {"fit": _cmd_fit, "forecast": _cmd_forecast, "report": _cmd_report, "laws": _cmd_laws,
               "reproduce": _cmd_reproduce, "isoflop": _cmd_isoflop, "chain": cmd_chain, "cod": cmd_cod,
               "hyper": cmd_hyper, "sparse": cmd_sparse,
               "convert": cmd_convert, "formats": cmd_formats, "backtest": cmd_backtest, "compare": cmd_compare,
               "risk": cmd_risk, "suggest": cmd_suggest, "benchmark": cmd_benchmark,
               "leaderboard": cmd_leaderboard}[args.command]
    try:
        _read_law_files(args)
        return handler(args)
    except sl.SchemaError as exc:
        print(f"scalinglaws: bad input: {exc}", file=sys.stderr)
    except sl.FitError as exc:
        print(f"scalinglaws: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except sl.InputError as exc:  # unknown law or preset, bad option, unreachable target, unidentifiable data
        print(f"scalinglaws: error: {exc}", file=sys.stderr)
    except OSError as exc:  # a file that cannot be read or written
        print(f"scalinglaws: error: {exc}", file=sys.stderr)
    except Exception:  # noqa: BLE001 - anything else is our bug, not the user's input
        import traceback

        print("scalinglaws: internal error (a bug in scalinglaws, not in your input; please report it with the "
              "command and this traceback):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT


def run() -> None:
    """The console script: :func:`main`, then a quick exit.

    A process that has run XLA programs spends a third of a second tearing the interpreter down (modules, the
    loaded executables, XLA's client) after the work is done; the command's output is complete by then. So the
    script flushes its streams, runs the exit handlers (JAX's among them) and leaves without that teardown. Calling
    :func:`main` from Python (the tests do) returns normally."""
    import atexit
    import os

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    run()
