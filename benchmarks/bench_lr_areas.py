"""S1 and S2 of the LR-annealing law for every step of a 72k-step schedule: vectorised vs a Python loop.

S2 is a first-order IIR filter of the LR drops (scipy.signal.lfilter) and a cumulative sum. The baseline is the
recurrence written as a Python loop over steps, in the same process. Run: python benchmarks/bench_lr_areas.py
"""

import time

import numpy as np

from scalinglaws import schedules
from scalinglaws.laws.lr_schedule import annealing_area, area_schedule, forward_area


def loop(eta, lam):
    s1 = s2 = m = 0.0
    out1, out2 = np.empty(len(eta)), np.empty(len(eta))
    for i, e in enumerate(eta):
        m = lam * m + ((eta[i - 1] - e) if i else 0.0)
        s1 += e
        s2 += m
        out1[i], out2[i] = s1, s2
    return out1, out2


def main():
    eta = area_schedule(schedules.cosine(72000, 3e-4, 3e-5, warmup=2160), warmup_at_peak=True)
    best = np.inf
    for _ in range(20):
        t = time.perf_counter()
        s1, s2 = forward_area(eta), annealing_area(eta, 0.999)
        best = min(best, time.perf_counter() - t)
    t = time.perf_counter()
    l1, l2 = loop(eta, 0.999)
    t_loop = time.perf_counter() - t
    err = max(np.max(np.abs(s1 - l1) / l1), np.max(np.abs(s2 - l2) / np.maximum(np.abs(l2), 1e-300)))
    print(f"72000-step cosine schedule: S1 and S2 for every step in {1e3 * best:.2f} ms (vectorised, best of 20); "
          f"Python loop {1e3 * t_loop:.0f} ms; x{t_loop / best:.0f}; max relative difference {err:.1e}")


if __name__ == "__main__":
    main()
