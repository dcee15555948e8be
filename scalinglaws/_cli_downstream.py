"""The CLI's downstream verbs: ``scalinglaws chain`` and ``scalinglaws cod`` (see :mod:`scalinglaws.cli`)."""

from __future__ import annotations

import json

import numpy as np

from ._errors import InputError


def cmd_chain(args) -> int:
    import scalinglaws as sl

    from .cli import EXIT_FAILED, EXIT_OK, load_table, pairs

    laws = [sl.get_law(args.law), *(sl.get_law(name) for name in args.then)]
    table = load_table(args, require=tuple(dict.fromkeys(c for law in laws for c in law.columns)))
    for note in table.notes:
        print(f"note: {note}")
    stages = [sl.fit(law, table, throw=False) for law in laws]
    failed = [s.law.name for s in stages if not s.converged]
    if failed:
        print("\n\n".join(s.report() for s in stages))
        print(f"scalinglaws: the fit of {', '.join(failed)} did not converge; no chain was formed")
        return EXIT_FAILED
    if args.bootstrap:
        plan = sl.resample_plan(table, n=args.bootstrap, seed=args.seed)
        stages = [sl.bootstrap(s, table, plan=plan) for s in stages]
    chained = sl.chain(*stages)
    print("\n\n".join(s.report() for s in stages))
    if args.at:
        try:
            inputs = {k: np.array([float(x) for x in v.split(",")]) for k, v in pairs(args.at, "--at").items()}
        except ValueError as exc:
            raise InputError(f"--at values must be numbers: {exc}") from None
        print()
        print(chained.forecast(inputs, level=args.level).summary())
    for target in args.target:
        print()
        print(chained.compute_for_target(target, level=args.level).summary())
    return EXIT_OK


def cmd_cod(args) -> int:
    import scalinglaws as sl
    from scalinglaws.cod import Benchmark, cod

    from .cli import EXIT_OK, pairs

    items = [kv for text in args.compute for kv in text.split(",") if kv]
    try:
        compute = {k: float(v) for k, v in pairs(items, "--compute").items()}
    except ValueError as exc:
        raise InputError(f"--compute values must be numbers: {exc}") from None
    matrix = sl.read_matrix(args.matrix)
    bench = Benchmark.from_matrix(matrix, compute, guess=args.guess)
    train = None
    if args.train:
        names = [m.strip() for m in args.train.split(",") if m.strip()]
        unknown = [m for m in names if m not in bench.models]
        if unknown:
            raise InputError(f"--train names models that are not columns of {args.matrix}: {unknown}; "
                             f"models: {list(bench.models)}")
        train = [bench.models.index(m) for m in names]
    result = cod(bench, args.at, train=train, radius=args.radius, min_size=args.min_size, n_boot=args.bootstrap,
                 seed=args.seed, level=args.level)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return EXIT_OK
