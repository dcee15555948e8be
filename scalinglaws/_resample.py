"""Resample plans: which runs (or blocks of a curve) each bootstrap draw counts, and how often, as data.

A :class:`ResamplePlan` holds, for ``n`` draws, an integer count per *unit*: a run id, or ``"run#b"`` for block
``b`` of a run's curve. Any number of fits can use one plan: a fit on a table whose runs are units of the plan
takes each row's count from its run (or block), so draw i of every fit that shares the plan resamples the same
runs, and a chain of fits ((N, D) -> loss -> metric) or a law per cluster gives paired draws and so one joint band.
Units of the plan absent from a table contribute nothing to that fit.

Counts are multinomial: each draw picks ``len(units)`` units with replacement (jax.random, fixed by ``seed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._errors import InputError

__all__ = ["ResamplePlan", "resample_plan", "resample_weights", "MIN_CURVES"]

MIN_CURVES = 5  # fewer loss curves than this: resample blocks of steps, not whole curves


@partial(jax.jit, static_argnames=("n_units", "n"))
def resample_weights(key, n_units: int, n: int) -> jnp.ndarray:
    """``n`` multinomial resamples of ``n_units`` units, as integer counts, shape (n, n_units) (jitted: the same
    draws as the eager code, in one compiled program instead of one per operation)."""

    def one(k):
        picks = jax.random.randint(k, (n_units,), 0, n_units)
        return jnp.bincount(picks, length=n_units)

    return jax.vmap(one)(jax.random.split(key, n))


@dataclass(frozen=True, eq=False)
class ResamplePlan:
    """Counts per unit per draw; ``blocks`` is None for whole runs, else the blocks each curve is cut into."""

    units: tuple[str, ...]
    counts: np.ndarray  # (n, len(units)) integers
    seed: int
    blocks: int | None = None

    def __post_init__(self):
        counts = np.array(self.counts, dtype=np.int32)
        counts.flags.writeable = False
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "units", tuple(str(u) for u in self.units))
        if counts.shape != (counts.shape[0], len(self.units)):
            raise InputError(f"counts must have one column per unit ({len(self.units)}), not {counts.shape}")

    @property
    def n(self) -> int:
        return int(self.counts.shape[0])

    @property
    def runs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u.rsplit("#", 1)[0] for u in self.units)) if self.blocks else self.units

    @property
    def id(self) -> str:
        """An identifier of the plan (seed, size, units), so that results can tell whether they share one."""
        import hashlib

        h = hashlib.sha256("\x1f".join(self.units).encode())
        h.update(np.ascontiguousarray(self.counts).tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        if self.blocks:
            return (f"blocks: each of the {len(self.runs)} curve(s) cut into {self.blocks} blocks of consecutive "
                    "steps" + (f" (fewer than {MIN_CURVES} curves)" if len(self.runs) < MIN_CURVES else ""))
        return "runs"

    def for_table(self, table) -> tuple[np.ndarray, np.ndarray]:
        """(unit code of each row, counts (n, units in this table)) for a table whose runs the plan covers."""
        index = {u: i for i, u in enumerate(self.units)}
        if self.blocks:
            if "step" not in table:
                raise InputError("a plan of blocks of steps needs loss curves (a 'step' column)")
            labels = _block_labels(table, self.blocks)
        else:
            labels = np.asarray(table.runs).astype(str)
        missing = sorted(set(labels) - set(index))
        if missing:
            shown = ", ".join(map(repr, missing[:5])) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise InputError(f"the resample plan does not cover {len(missing)} unit(s) of this table: {shown}; "
                             "make the plan from every table it serves (resample_plan(table1, table2, ...))")
        used, codes = np.unique(np.array([index[v] for v in labels]), return_inverse=True)
        return codes.astype(np.int32), self.counts[:, used]

    def to_dict(self) -> dict:
        return {"id": self.id, "n": self.n, "seed": self.seed, "blocks": self.blocks, "units": len(self.units)}


def _block_labels(table, blocks: int) -> np.ndarray:
    """Each row's block label ``"run#b"``: each run's rows in step order, cut into ``blocks`` contiguous blocks."""
    labels = np.empty(len(table), dtype=object)
    for run in table.run_ids:
        rows = np.flatnonzero(table.runs == run)
        rows = rows[np.argsort(table["step"][rows], kind="stable")]
        for b, chunk in enumerate(np.array_split(rows, blocks)):
            labels[chunk] = f"{run}#{b}"
    return labels.astype(str)


def resample_plan(*sources, n: int, seed: int = 0, blocks: int | None = None) -> ResamplePlan:
    """A plan of ``n`` draws over the runs of ``sources`` (RunTables or sequences of run ids), in order of first
    appearance; with ``blocks``, over that many blocks of consecutive steps of each run's curve (tables only)."""
    if n < 2:
        raise InputError(f"n must be at least 2, not {n}")
    if not sources:
        raise InputError("resample_plan needs at least one table or list of run ids")
    runs: list[str] = []
    for src in sources:
        ids = src.run_ids if hasattr(src, "run_ids") else np.asarray(src, dtype=str)
        runs += [str(r) for r in ids]
    runs = list(dict.fromkeys(runs))
    units: Sequence[str] = [f"{r}#{b}" for r in runs for b in range(blocks)] if blocks else runs
    counts = np.asarray(resample_weights(jax.random.key(seed), len(units), n))
    return ResamplePlan(tuple(units), counts, int(seed), blocks)
