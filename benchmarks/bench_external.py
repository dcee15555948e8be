"""Speed of the two external benchmarks (issue 12), each beside a baseline run in the same process.

(a) The whole Hitchhiker protocol (12 ColPret families, every method, 100 resamples for the bands), as
    `scalinglaws benchmark hitchhiker` runs it, from a cold start (compiling in this process, with an empty
    compilation cache). Baseline: the authors' estimator alone (scipy curve_fit, one start per family) on the
    same split, and our Chinchilla fit alone on the same rows.
(b) One ScaleBench task at one budget: farseer (1 law, 9 parameters, 404 pool runs) at 10%, every method and 10
    repeats of the random baselines, from a cold start. Baseline: the reference fitter (scipy L-BFGS-B, 64 random starts
    uniform in the bounds, analytic gradient, the options of PROTOCOL.md) against ours (the law's 512-start grid
    screened in one pass, ``scalebench.REFINE`` (16) refined) on the whole pool (All Data).

Run: .venv/bin/python benchmarks/bench_external.py [hitchhiker|scalebench]  (both when neither is named)
"""

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="bench_external_"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.optimize as so  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws import hitchhiker as hh  # noqa: E402
from scalinglaws import scalebench as sb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_hitchhiker():
    table = sl.read_runs(ROOT / "data/colpret/colpret_shared.csv", rename={"step": None})
    cold, result = timed(lambda: hh.hitchhiker(table))
    splits = [hh.split_family(table, f, "repo") for f in hh.scoreable_families(table)]
    t_scipy, _ = timed(lambda: [hh._curve_fit(train, test) for train, test, _ in splits])
    t_ours, _ = timed(lambda: [hh._free_fit("chinchilla", train) for train, _, _ in splits])
    print(f"(a) Hitchhiker protocol, {len(result.rows)} families, every method, {result.n_boot} resamples")
    print(f"  whole protocol: {cold:.1f} s from a cold start (compiling); mean ARE ours {100 * result.mean('ours'):.3f}%")
    print(f"  one fit per family on the authors' rows: scipy curve_fit {t_scipy:.2f} s, ours {t_ours:.2f} s (warm) "
          f"-> ours/scipy x{t_ours / t_scipy:.2f}")


def _reference_fit(law, pool, y, starts, rng):
    """PROTOCOL.md's fitter: L-BFGS-B from random starts uniform in the bounds, mean squared residual."""
    names = [p.name for p in law.params]
    x = law.features(pool)
    lo = np.array([p.lower for p in law.params])
    hi = np.array([p.upper for p in law.params])
    yj = jnp.asarray(y)

    @jax.jit
    def loss(t):
        return jnp.mean((law.predict(dict(zip(names, t)), x) - yj) ** 2)

    grad = jax.jit(jax.grad(loss))
    best = (np.inf, None)
    for _ in range(starts):
        t0 = rng.uniform(lo, hi)
        with np.errstate(all="ignore"):
            r = so.minimize(lambda t: float(loss(jnp.asarray(t))), t0, jac=lambda t: np.asarray(grad(jnp.asarray(t))),
                            method="L-BFGS-B", bounds=list(zip(lo, hi)),
                            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
        if np.isfinite(r.fun) and r.fun < best[0]:
            best = (float(r.fun), r.x)
    return best


def bench_scalebench():
    task = sb.read_task(ROOT / "data/scalebench/farseer")
    task = dataclasses.replace(task, budgets=(0.1,))
    cold, result = timed(lambda: sb.scalebench(task))
    print(f"(b) ScaleBench farseer at 10%, {len(result.methods)} methods, {result.repeats} repeats of the random ones")
    print(f"  whole task: {cold:.1f} s from a cold start; R^2 ours {result.mean('ours', 0.1):.3f}, "
          f"V-opt {result.mean('vopt', 0.1):.3f}, D-opt {result.mean('dopt', 0.1):.3f}")
    law, pool = task.laws[0], task.pools["all_data"]
    y = np.asarray(pool[law.target])
    _reference_fit(law, pool, y, 1, np.random.default_rng(1))  # compile its objective and gradient first
    t_ref, (ref_value, _) = timed(lambda: _reference_fit(law, pool, y, 64, np.random.default_rng(0)))
    problem = sb._Problem(law, pool, task.targets["all_data"], task.cost_of(pool))
    problem.fit([(np.ones(problem.n), None)])  # compiled
    t_ours, fits = timed(lambda: problem.fit([(np.ones(problem.n), None)]))
    ours_value = float(np.nanmin(fits[0].value)) * 2 / problem.n  # our objective is half the sum of squares
    print(f"  All Data fit: reference (64 L-BFGS-B starts) {t_ref:.1f} s, mean squared residual {ref_value:.4e}; "
          f"ours {t_ours:.2f} s ({sb.LANES} lanes in one call, 3 of them padding), {ours_value:.4e} "
          f"-> x{t_ref / t_ours:.1f}")


if __name__ == "__main__":
    benches = {"hitchhiker": bench_hitchhiker, "scalebench": bench_scalebench}
    parts = sys.argv[1:] or list(benches)
    unknown = [p for p in parts if p not in benches]
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(benches)}")
    print(f"cores: {os.cpu_count()}")
    for part in parts:
        benches[part]()
