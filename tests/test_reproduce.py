"""Each fits/ entry is rerun and compared with its published values and with our committed result."""

import pytest

pytestmark = pytest.mark.slow  # the long tier: left out by `make test-fast`

import json

from scalinglaws import reproduce

ENTRIES = ["chinchilla_epoch", "chinchilla_allocation", "isoflop_owt2", "lr_schedules_25M", "lr_schedules_100M",
           "gadre_c4", "gadre_rw", "cod_pythia_arithmetic", "cod_gadre_tasks",
           "datablations", "steplaw_published", "steplaw_dense", "backtest_epoch", "suggest_simulated"]


def test_every_entry_is_listed(root):
    assert sorted(p.name for p in (root / "fits").iterdir() if p.is_dir()) == sorted(ENTRIES)


@pytest.mark.parametrize("name", ENTRIES)
def test_reproduces_published_values(root, name):
    rep = reproduce(root / "fits" / name)
    assert rep.ok, rep.table()
    committed = {c["quantity"]: c["ours"] for c in json.loads((root / "fits" / name / "result.json").read_text())["checks"]}
    for check in rep.checks:
        # the runs are deterministic (fixed grid and seed); 1e-6 allows for BLAS and XLA differences across CPUs
        assert check.ours == pytest.approx(committed[check.quantity], rel=1e-6), check.quantity
