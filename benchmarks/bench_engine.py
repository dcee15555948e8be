"""Speed of the engine's front doors, each beside its baseline in the same run.

(a) `scalinglaws fit` on the bundled Chinchilla data, warm (caches filled by a first run), with compiled solvers kept
    on disk (jax.experimental.serialize_executable) against the same CLI with only XLA's compilation cache (SCALINGLAWS_EXPORT=0), which
    traces the solver again in every process, as before this engine.
(b) The Multi-Power Law fitted from its start grid on the 25M training curves (cosine_24000, constant_24000,
    wsdcon_9): searching on LR changes merged in blocks of 128, refining 2 starts and polishing on the law
    itself, against the previous recipe (4 starts refined on the law itself). Both warm (compiled first).

Run: .venv/bin/python benchmarks/bench_engine.py
"""

import dataclasses
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import scalinglaws as sl
from scalinglaws import schedules as S

ROOT = Path(__file__).resolve().parents[1]


def cli(env_extra, cache):
    env = {**os.environ, "SCALINGLAWS_CACHE": str(cache), **env_extra}
    cmd = [str(ROOT / ".venv" / "bin" / "scalinglaws"), "fit", str(ROOT / "data/chinchilla_epoch/svg_extracted_data.csv"),
           "--law", "chinchilla", "--drop-largest", "loss:5"]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_cli():
    out = {}
    for label, extra in (("compiled solvers on disk", {}), ("compilation cache only", {"SCALINGLAWS_EXPORT": "0"})):
        with tempfile.TemporaryDirectory() as cache:
            cold = cli(extra, cache)
            warm = min(cli(extra, cache) for _ in range(3))
        out[label] = (cold, warm)
        print(f"  {label:<24} cold {cold:5.2f} s, warm {warm:5.2f} s (best of 3)")
    new, old = out["compiled solvers on disk"][1], out["compilation cache only"][1]
    print(f"  warm speed-up x{old / new:.1f}")


def bench_multipower():
    spec = json.loads((ROOT / "fits/lr_schedules_25M/spec.json").read_text())
    table = sl.read_runs(ROOT / "data/lr_schedules/csv_25")
    table = table.with_schedules({r: S.build(spec["schedules"][r]) for r in table.run_ids})
    train = table.select(np.isin(table.runs, spec["multipower"]["train"]))
    law = sl.get_law("multipower")
    previous = dataclasses.replace(law, name="multipower_previous", search=None, refine=4, spec=None)
    for label, candidate in (("search law, 2 starts", law), ("previous: 4 starts", previous)):
        sl.fit(candidate, train)  # compile
        t0 = time.perf_counter()
        r = sl.fit(candidate, train)
        print(f"  {label:<24} {time.perf_counter() - t0:6.1f} s warm; objective {r.objective:.10e}, "
              f"{r.n_at_best} of {r.n_refined} starts at the best")


if __name__ == "__main__":
    print(f"cores: {os.cpu_count()}")
    print("(a) scalinglaws fit, bundled Chinchilla data (240 runs)")
    bench_cli()
    print("(b) Multi-Power Law from its start grid, 25M training curves")
    bench_multipower()
