"""Held-out ScaleBench-style tasks, built from this repository's own real data sets (not from ScaleBench), so that a
run-selection method chosen on data/scalebench's four tasks can be judged on tasks it was not chosen on.
Run from anywhere: python data/scalebench_heldout/make_tasks.py (rewrites each task folder).

Each task follows data/scalebench/PROTOCOL.md: a pool (train.csv) of smaller runs, a target region (test.csv) of the
largest (in compute, or for Gadre's models in size: the extrapolation one plans for), a cost proxy, budgets 1% / 5% /
10% of each group's pool cost and 10 repeats; every group is its own problem. The laws are four standard L(N, D)
forms in ScaleBench's style (bounds
wide, starts from the bounds), each fitted by this toolkit's default objective (Huber, delta 1e-3, on log residuals:
Epoch's runs, read off a figure, have outliers that squared raw residuals follow; with them, the Chinchilla form fitted
to the whole pool scored R^2 0.25 on the target region, and 0.71 with Huber):

- hl_1  Chinchilla (Hoffmann et al. 2022, eq. 2):          E + A N^-alpha + B D^-beta
- hl_2  one exponent for N and D (Muennighoff et al. 2023's base form with alpha = beta)
- hl_3  Kaplan et al. 2020, eq. 1.5:                       ((Nc/N)^(aN/aD) + Dc/D)^aD
- hl_4  Kaplan's form with an irreducible term E

Tasks (which rows are targets is fixed here, before any method was run on them):

- chinchilla_epoch: Epoch AI's reconstruction of Chinchilla's runs (data/chinchilla_epoch, 245 runs; D = C / 6N);
  targets: the runs of at least 1e21 FLOP.
- overtraining: Gadre et al. 2024's models (data/overtraining), groups c4_original and rw_original, loss on C4
  validation; targets: the 1.4B and 6.9B models.
- isoflop_owt2: Porian et al. 2024's IsoFLOP sweeps (data/isoflop_owt2), each of the 5 configurations a group;
  targets: the two largest budgets (1.28e19 and 2.56e19 FLOP); cost: the budget C.
"""
import csv
import json
from pathlib import Path

here = Path(__file__).resolve().parent
data = here.parent

POS = {"lower": 1e-3, "upper": 1e9}
EXP = {"lower": 0.05, "upper": 2.0}
IRR = {"lower": 0.0, "upper": 10.0}
LAWS = [
    ("hl_1", "E + A*N^(-alpha) + B*D^(-beta)",
     [("E", IRR), ("A", POS), ("alpha", EXP), ("B", POS), ("beta", EXP)]),
    ("hl_2", "E + A*N^(-a) + B*D^(-a)", [("E", IRR), ("A", POS), ("B", POS), ("a", EXP)]),
    ("hl_3", "((Nc/N)^(aN/aD) + Dc/D)^aD",
     [("Nc", {"lower": 1e3, "upper": 1e18}), ("Dc", {"lower": 1e3, "upper": 1e18}),
      ("aN", {"lower": 0.01, "upper": 1.0}), ("aD", {"lower": 0.01, "upper": 1.0})]),
    ("hl_4", "E + ((Nc/N)^(aN/aD) + Dc/D)^aD",
     [("E", IRR), ("Nc", {"lower": 1e3, "upper": 1e18}), ("Dc", {"lower": 1e3, "upper": 1e18}),
      ("aN", {"lower": 0.01, "upper": 1.0}), ("aD", {"lower": 0.01, "upper": 1.0})]),
]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def chinchilla_epoch():
    out = []
    for r in rows(data / "chinchilla_epoch" / "svg_extracted_data.csv"):
        n, c = float(r["Model Size"]), float(r["Training FLOP"])
        out.append({"group": "all", "N": n, "D": c / (6 * n), "C": c, "loss": float(r["loss"])})
    return out, lambda r: r["C"] >= 3e20, "6*N*D"


def overtraining():
    out = [{"group": r["dataset"], "N": float(r["N"]), "D": float(r["D"]), "loss": float(r["loss_c4_val"])}
           for r in rows(data / "overtraining" / "gadre_models_c4_rw.csv")]
    return out, lambda r: r["N"] >= 4e8, "6*N*D"


def isoflop_owt2():
    out = []
    for r in rows(data / "isoflop_owt2" / "isoflop_points.csv"):
        if r["hparams"] != "base" or r["warmup"] != "short":
            continue  # the configurations that decay the LR over each run (the Chinchilla setting; see the docstring)
        group = "_".join(r[k] for k in ("hparams", "warmup", "decay", "param_count", "val"))
        out.append({"group": group, "N": float(r["n"]), "D": float(r["t"]), "C": float(r["flops"]),
                    "loss": float(r["loss"])})
    return out, lambda r: r["C"] >= 6.4e18, "C"


TASKS = {"chinchilla_epoch": chinchilla_epoch, "overtraining": overtraining, "isoflop_owt2": isoflop_owt2}


def write(name, made, root=here):
    table, is_target, cost = made
    folder = Path(root) / name
    folder.mkdir(exist_ok=True)
    cols = list(table[0])
    for split, keep in (("train", False), ("test", True)):
        with open(folder / f"{split}.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            w.writerows(sorted((r for r in table if bool(is_target(r)) == keep),
                               key=lambda r: (r["group"], r["N"], r["D"])))
    laws = [{"name": f"heldout_{name}_{key}", "formula": formula, "inputs": {"N": "N", "D": "D"}, "target": "loss",
             "params": [{"name": p, **b} for p, b in params],
             "objective": {"residuals": "log", "loss": "huber", "delta": 1e-3},
             "citation": f"held-out task {name} (data/scalebench_heldout/make_tasks.py), law {key}"}
            for key, formula, params in LAWS]
    (folder / "laws.json").write_text(json.dumps(laws, indent=1) + "\n")
    task = {"name": name, "cost": cost, "budgets": [0.01, 0.05, 0.1], "repeats": 10}
    (folder / "task.json").write_text(json.dumps(task, indent=1) + "\n")


if __name__ == "__main__":
    for name, make in TASKS.items():
        write(name, make())
