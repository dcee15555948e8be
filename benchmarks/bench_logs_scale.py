"""Loss curves at scale: 1,000,000 logged rows (100 runs x 10,000 steps) read, validated, given their schedules and
fitted by the LR-annealing law (``tissue``), in one process; time per stage and peak memory (ru_maxrss).

    python benchmarks/bench_logs_scale.py            # 100 runs x 10,000 steps, and the 10x smaller baseline
    python benchmarks/bench_logs_scale.py --runs 20 --steps 5000

Each size runs in its own subprocess, so that its peak memory is its own, with an empty compilation cache of its
own (cold: the fit is compiled); the large case then runs again on its cache (warm). The curves are made by the law itself
(known parameters, 0.3% noise, a fixed seed) under cosine, WSD and constant schedules of different peaks; the fit
must recover them (printed). Targets (issue 10): under 60 s and under 2 GB on 2 cores, fit included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TRUE = {"L0": 2.2, "A": 0.6, "alpha": 0.5, "C": 0.8}  # S1, S2 in units of summed LR (peaks 1e-4 to 7e-4)


def make_csv(path: Path, runs: int, steps: int, seed: int = 0) -> None:
    from scalinglaws import schedules as sched
    from scalinglaws.laws.lr_schedule import annealing_area, area_schedule, forward_area

    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write("run,step,lr,loss\n")
        for r in range(runs):
            peak = 1e-4 * (1 + r % 7)
            kind = r % 3
            eta = (sched.cosine(steps, peak, peak / 10, warmup=steps // 50) if kind == 0 else
                   sched.wsd(steps, peak, peak / 10, steps // 5, warmup=steps // 50) if kind == 1 else
                   sched.constant(steps, peak, warmup=steps // 50))
            area = area_schedule(eta, True)
            s1, s2 = forward_area(area), annealing_area(area, 0.999)
            loss = (TRUE["L0"] + TRUE["A"] * s1 ** -TRUE["alpha"] - TRUE["C"] * s2) * np.exp(rng.normal(0, 3e-3, steps))
            s = np.arange(steps)
            block = np.column_stack([s, eta, loss])  # from step 0, so that the logs show the warmup
            lines = [f"r{r:03d},{int(a)},{float(b)!r},{float(c)!r}" for a, b, c in block]
            f.write("\n".join(lines) + "\n")


def stage(path: str) -> dict:
    """Read -> validate -> schedules -> fit, timed, in this process; peak memory at the end."""
    import scalinglaws as sl

    sl.enable_compilation_cache()
    times = {}
    t = time.perf_counter()
    table = sl.read_runs(path)
    times["read and validate"] = time.perf_counter() - t
    t = time.perf_counter()
    table = sl.curves.schedules_from_lr(table)
    times["schedules from lr"] = time.perf_counter() - t
    t = time.perf_counter()
    result = sl.fit("tissue", table)
    times["fit"] = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return {"rows": len(table), "runs": table.n_runs, "seconds": times, "total_s": sum(times.values()),
            "peak_bytes": peak, "converged": result.converged,
            "params": {k: round(v, 4) for k, v in result.params.items()}}


def measure(runs: int, steps: int, tmp: Path, cache: Path) -> dict:
    path = tmp / f"curves_{runs}x{steps}.csv"
    if not path.exists():
        make_csv(path, runs, steps)
    out = subprocess.run([sys.executable, __file__, "--stage", str(path)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONUNBUFFERED": "1", "SCALINGLAWS_CACHE": str(cache)})
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["file_bytes"] = path.stat().st_size
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--stage")
    args = p.parse_args()
    if args.stage:
        print(json.dumps(stage(args.stage)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        # each case starts with an empty compilation cache of its own (cold: it compiles the fit), and the scale
        # case runs a second time on its cache (warm: as a second fit of same-sized logs would)
        base = measure(args.runs // 10, args.steps, Path(tmp), Path(tmp) / "cache_base")
        big = measure(args.runs, args.steps, Path(tmp), Path(tmp) / "cache_scale")
        warm = measure(args.runs, args.steps, Path(tmp), Path(tmp) / "cache_scale")
    for name, r in (("baseline (cold)", base), ("scale (cold)", big), ("scale (warm)", warm)):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in r["seconds"].items())
        print(f"{name}: {r['rows']:,} rows, {r['runs']} runs ({r['file_bytes'] / 2**20:.0f} MiB CSV): "
              f"{r['total_s']:.1f} s ({stages}); peak {r['peak_bytes'] / 2**30:.2f} GiB; converged "
              f"{r['converged']}; {r['params']} (true {TRUE})")
    print(f"ratio scale/baseline, both cold: time {big['total_s'] / base['total_s']:.1f}x for "
          f"{big['rows'] / base['rows']:.0f}x the rows; peak memory {big['peak_bytes'] / base['peak_bytes']:.1f}x")


if __name__ == "__main__":
    main()
