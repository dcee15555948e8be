"""Chinchilla fit and bootstrap: scipy baselines against scalinglaws, same data, one process.

(a) the fit: Epoch's recipe, scipy L-BFGS-B (finite-difference gradient, as Besiroglu et al.) from every start of
    Hoffmann's 4500-point grid, keeping the best; against ``scalinglaws.fit``.
(b) 4000 bootstrap refits: scipy BFGS with an analytic gradient, one resample at a time, each warm-started at the
    fit (the strongest CPU baseline we know); against ``scalinglaws.bootstrap``.
Plus the CLI's cold (empty compilation cache) and warm wall time for ``scalinglaws fit`` on the bundled data.

The scipy sides time a subset (every ``--stride``-th grid start; the first ``--scipy-resamples`` resamples) and
scale up linearly, as printed. Run: ``python benchmarks/bench_chinchilla.py`` (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

import scalinglaws as sl

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
DELTA = 1e-3


def huber(r):
    a = np.abs(r)
    return np.where(a <= DELTA, 0.5 * r * r, DELTA * (a - 0.5 * DELTA))


# The baselines' objective is plain NumPy with np.logaddexp (several times cheaper per call than
# scipy.special.logsumexp on a stacked array), so that scipy is timed at its best.
def objective(theta, log_n, log_d, log_l, w):
    a, b, e, alpha, beta = theta
    pred = np.logaddexp(np.logaddexp(a - alpha * log_n, b - beta * log_d), e)
    return float(w @ huber(pred - log_l))


def objective_and_grad(theta, log_n, log_d, log_l, w):
    a, b, e, alpha, beta = theta
    t1, t2 = a - alpha * log_n, b - beta * log_d
    pred = np.logaddexp(np.logaddexp(t1, t2), e)
    s1, s2, s3 = np.exp(t1 - pred), np.exp(t2 - pred), np.exp(e - pred)  # d pred / d (a, b, e)
    r = pred - log_l
    dr = w * np.clip(r, -DELTA, DELTA)  # huber'(r)
    grad = np.array([dr @ s1, dr @ s2, dr @ s3, -(dr * log_n) @ s1, -(dr * log_d) @ s2])
    return float(w @ huber(r)), grad


def timed(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stride", type=int, default=10, help="scipy (a) times every stride-th grid start")
    ap.add_argument("--scipy-resamples", type=int, default=200, help="scipy (b) times this many resamples")
    ap.add_argument("--resamples", type=int, default=4000)
    args = ap.parse_args()

    table = sl.read_runs(CSV).drop_largest("loss", 5)
    log_n, log_d, log_l = np.log(table["N"]), np.log(table["D"]), np.log(table["loss"])
    ones = np.ones_like(log_n)
    law = sl.get_law("chinchilla")
    grid = law.start_grid(published=True)  # Hoffmann's 4500 starts, as Epoch used
    print(f"data: {len(table)} runs; grid: {len(grid)} starts; cores: {os.cpu_count()}")

    # (a) the fit
    subset = grid[:: args.stride]

    def scipy_fit():
        best = None
        for x0 in subset:
            res = minimize(objective, x0, args=(log_n, log_d, log_l, ones), method="L-BFGS-B")
            if best is None or res.fun < best.fun:
                best = res
        return best

    t_scipy_sub, best = timed(scipy_fit)
    t_scipy = t_scipy_sub * len(grid) / len(subset)
    t_cold, _ = timed(lambda: sl.fit(law, table, grid="published"))
    t_ours, ours = timed(lambda: sl.fit(law, table, grid="published"), repeat=5)
    rel = abs(best.fun - ours.objective) / ours.objective
    print("\n(a) fit: Epoch's recipe (L-BFGS-B, finite differences, every grid start) vs scalinglaws.fit")
    print(f"  scipy: {len(subset)} of {len(grid)} starts in {t_scipy_sub:.2f} s -> {t_scipy:.1f} s for all "
          f"(scaled x{len(grid) / len(subset):.0f}); best objective {best.fun:.10e}")
    print(f"  ours : {t_ours:.3f} s warm ({t_cold:.2f} s with compilation); objective {ours.objective:.10e}")
    print(f"  optimum relative difference {rel:.2e} (subset's best vs ours); speed-up x{t_scipy / t_ours:.0f}")

    # (b) bootstrap
    counts = sl.resample_plan(table, n=args.resamples, seed=0).counts
    theta0 = law.pack(ours.params)

    def scipy_boot(options):
        out = []
        for w in counts[: args.scipy_resamples]:
            res = minimize(objective_and_grad, theta0, args=(log_n, log_d, log_l, w.astype(float)), jac=True,
                           method="BFGS", options=options)
            out.append(res.x)
        return np.array(out)

    # gtol 1e-9 holds scipy to about our refits' test (max|g| <= 1e-6 |f| with f ~ 1e-3); scipy's default
    # (1e-5 on the gradient, 10^4 times looser here) is timed too, for reference
    t_sd_sub, _ = timed(lambda: scipy_boot({}))
    t_sb_sub, scipy_draws = timed(lambda: scipy_boot({"gtol": 1e-9}))
    t_sb = t_sb_sub * args.resamples / args.scipy_resamples
    t_sd = t_sd_sub * args.resamples / args.scipy_resamples
    t_bcold, _ = timed(lambda: sl.bootstrap(ours, table, args.resamples, seed=0))
    t_boot, boot = timed(lambda: sl.bootstrap(ours, table, args.resamples, seed=0), repeat=3)
    ours_first = boot.draws[: args.scipy_resamples]
    alpha_diff = np.max(np.abs(scipy_draws[:, 3] - ours_first[:, 3]))
    print(f"\n(b) {args.resamples} bootstrap refits: scipy BFGS (analytic gradient, warm start) vs scalinglaws")
    print(f"  scipy, gtol 1e-9: {args.scipy_resamples} resamples in {t_sb_sub:.2f} s "
          f"({1e3 * t_sb_sub / args.scipy_resamples:.1f} ms each) -> {t_sb:.1f} s for {args.resamples} (scaled)")
    print(f"  scipy, default gtol 1e-5: {1e3 * t_sd_sub / args.scipy_resamples:.1f} ms each -> {t_sd:.1f} s for "
          f"{args.resamples} (scaled)")
    print(f"  ours : {t_boot:.2f} s warm ({t_bcold:.1f} s with compilation); "
          f"{boot.bootstrap_info['n_converged']} of {args.resamples} converged")
    print(f"  same resamples, max |alpha difference| over the first {args.scipy_resamples}: {alpha_diff:.1e}; "
          f"speed-up x{t_sb / t_boot:.1f} (x{t_sd / t_boot:.1f} against the default gtol)")
    print(f"  stderr alpha {boot.stderr('alpha'):.4f}, beta {boot.stderr('beta'):.4f}, E {boot.stderr('E'):.4f}"
          " (Epoch: 0.0154, 0.0206, 0.0257)")

    # CLI cold / warm
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "SCALINGLAWS_CACHE": cache}
        cmd = [sys.executable, "-m", "scalinglaws", "fit", str(CSV), "--law", "chinchilla", "--drop-largest",
               "loss:5", "--out", str(Path(out) / "fit.json")]
        times = []
        for _ in range(2):
            t = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    print(f"\nCLI `scalinglaws fit` on the bundled data: cold {times[0]:.1f} s (empty compilation cache), "
          f"warm {times[1]:.1f} s (cache filled by the cold run)")


if __name__ == "__main__":
    main()
