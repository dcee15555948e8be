"""Each fits/ entry is rerun and compared with its published values and with our committed result."""

import pytest

pytestmark = pytest.mark.slow  # the long tier: left out by `make test-fast`

import json

from scalinglaws import reproduce

ENTRIES = ["chinchilla_epoch", "chinchilla_allocation", "isoflop_owt2", "lr_schedules_25M", "lr_schedules_100M",
           "gadre_c4", "gadre_rw", "cod_pythia_arithmetic", "cod_gadre_tasks",
           "datablations", "steplaw_published", "steplaw_dense", "backtest_epoch", "suggest_simulated"]


# entries too long to rerun whole in the suite (minutes): each reruns the part its spec names ("quick", e.g.
# one family of a benchmark) and must give the committed numbers for that part; `scalinglaws reproduce` runs all
LONG = ["benchmark_hitchhiker", "benchmark_scalebench", "benchmark_scalebench_heldout"]

# the checks a committed full run is known to miss, said in the README and in the entry's text: the test holds the
# committed result to exactly these, so that a change that loses another check (or wins one back) shows here
SHORT_OF = {"benchmark_scalebench": {"mean:data_constrained:ours:0.05", "mean:parallel:ours:0.1"},
            "benchmark_scalebench_heldout": {f"mean:{task}:ours:{b}" for task in ("chinchilla_epoch", "overtraining")
                                             for b in ("0.05", "0.1")}}


def test_every_entry_is_listed(root):
    assert sorted(p.name for p in (root / "fits").iterdir() if p.is_dir()) == sorted(ENTRIES + LONG)


@pytest.mark.parametrize("name", LONG)
def test_long_entries_rerun_in_part_give_the_committed_numbers(root, name):
    from scalinglaws._io import read_json
    from scalinglaws._reproduce import RUNNERS

    folder = root / "fits" / name
    spec = read_json(folder / "spec.json")
    committed = json.loads((folder / "result.json").read_text())
    failed = {c["quantity"] for c in committed["checks"] if not c["ok"]}
    assert failed == SHORT_OF.get(name, set()), "the committed full run's failed checks changed"
    values, *_ = RUNNERS[spec["kind"]]({**spec, **spec["quick"]}, folder)
    part = {k: v for k, v in values.items() if not k.startswith("mean:")}  # the means are over the whole run
    assert part
    for key, value in part.items():
        # deterministic (fixed grids and seeds); 1e-6 allows for BLAS and XLA differences across CPUs, 1e-3 for
        # scipy's curve_fit (the authors' estimator, one start, trust-region steps): its path moves with the scipy
        # release, which the project does not pin (2.6e-5 relative on lambda between two installs of 2026-12-02)
        rel = 1e-3 if key.endswith(":curve_fit") else 1e-6
        assert value == pytest.approx(committed["details"]["values"][key], rel=rel, nan_ok=True), key


@pytest.mark.parametrize("name", ENTRIES)
def test_reproduces_published_values(root, name):
    rep = reproduce(root / "fits" / name)
    assert rep.ok, rep.table()
    committed = {c["quantity"]: c["ours"] for c in json.loads((root / "fits" / name / "result.json").read_text())["checks"]}
    for check in rep.checks:
        # the runs are deterministic (fixed grid and seed); 1e-6 allows for BLAS and XLA differences across CPUs
        assert check.ours == pytest.approx(committed[check.quantity], rel=1e-6), check.quantity
