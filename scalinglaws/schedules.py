"""Learning-rate schedules as pure functions returning the per-step LR, ``eta[0..total-1]`` (NumPy, float64).

Shared by the LR-schedule laws, the app and the notebooks. Every schedule takes an optional linear warmup from
0 (``warmup`` steps, numpy ``linspace(0, peak, warmup)``, endpoints included, as in the Multi-Power-Law code),
after which the schedule proper starts at step ``warmup``.

=================  ===================================================================================
``constant``       ``peak`` after warmup
``cosine``         ``floor + (peak - floor) (1 + cos(pi (s - w) / (total - w))) / 2``
``wsd``            warmup-stable-decay: ``peak`` until ``total - decay``, then down to ``floor`` by ``total``,
                   ``shape`` linear, cosine or geometric
``step``           piecewise constant: ``peak`` then ``values[i]`` from ``boundaries[i]`` (two-stage = one step)
``linear``         linear decay from ``peak`` to ``floor`` over the whole post-warmup run
``from_logged``    the per-step LR from a logged (possibly sparse) ``lr`` column, by linear interpolation
=================  ===================================================================================
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ._errors import InputError

__all__ = ["constant", "cosine", "wsd", "step", "linear", "from_logged", "build", "standard", "warmup_length"]


def _steps(total: int, warmup: int) -> np.ndarray:
    if total <= 0 or warmup < 0 or warmup >= total:
        raise InputError(f"need 0 <= warmup < total, got warmup={warmup}, total={total}")
    return np.arange(total, dtype=float)


def _with_warmup(eta: np.ndarray, peak: float, warmup: int) -> np.ndarray:
    if warmup:
        eta[:warmup] = np.linspace(0.0, peak, warmup)
    return eta


def constant(total: int, peak: float, *, warmup: int = 0) -> np.ndarray:
    """Constant ``peak`` after warmup."""
    s = _steps(total, warmup)
    return _with_warmup(np.full_like(s, peak), peak, warmup)


def cosine(total: int, peak: float, floor: float = 0.0, *, warmup: int = 0) -> np.ndarray:
    """Cosine decay from ``peak`` at step ``warmup`` to ``floor`` at step ``total``."""
    s = _steps(total, warmup)
    eta = floor + 0.5 * (peak - floor) * (1.0 + np.cos(np.pi * (s - warmup) / (total - warmup)))
    return _with_warmup(eta, peak, warmup)


def linear(total: int, peak: float, floor: float = 0.0, *, warmup: int = 0) -> np.ndarray:
    """Linear decay from ``peak`` at step ``warmup`` to ``floor`` at step ``total``."""
    s = _steps(total, warmup)
    eta = peak + (floor - peak) * (s - warmup) / (total - warmup)
    return _with_warmup(eta, peak, warmup)


def wsd(total: int, peak: float, floor: float, decay: int, *, shape: str = "linear", warmup: int = 0) -> np.ndarray:
    """Warmup-stable-decay: ``peak`` until step ``total - decay``, then ``shape`` decay reaching ``floor`` at
    ``total``. Geometric: ``peak^((total - s)/decay) * floor^((s - start)/decay)``."""
    s = _steps(total, warmup)
    start = total - decay
    if not warmup <= start < total:
        raise InputError(f"decay must be between 1 and total - warmup ({total - warmup}), not {decay}")
    frac = np.clip((s - start) / decay, 0.0, None)
    if shape == "linear":
        eta = peak + (floor - peak) * frac
    elif shape == "cosine":
        eta = floor + 0.5 * (peak - floor) * (1.0 + np.cos(np.pi * frac))
    elif shape == "geometric":
        if not (peak > 0 and floor > 0):
            raise InputError("geometric decay needs positive peak and floor")
        eta = peak ** (1.0 - frac) * floor**frac
    else:
        raise InputError(f"shape must be linear, cosine or geometric, not {shape!r}")
    eta = np.where(s < start, peak, eta)
    return _with_warmup(eta, peak, warmup)


def step(total: int, peak: float, boundaries: Sequence[int], values: Sequence[float], *, warmup: int = 0
         ) -> np.ndarray:
    """Piecewise constant: ``peak`` after warmup, then ``values[i]`` from step ``boundaries[i]``."""
    s = _steps(total, warmup)
    if len(boundaries) != len(values) or list(boundaries) != sorted(boundaries):
        raise InputError("boundaries must be increasing and as many as values")
    eta = np.full_like(s, peak)
    for b, v in zip(boundaries, values):
        eta[s >= b] = v
    return _with_warmup(eta, peak, warmup)


def from_logged(steps: Sequence[float], lr: Sequence[float], *, total: int | None = None, warmup: int = 0
                ) -> np.ndarray:
    """Per-step LR from a logged ``lr`` column: linear interpolation between logged steps (exact when every step
    is logged), held constant after the last one up to ``total``. Steps before the first logged one are a linear
    warmup from 0 if ``warmup`` is given (ending at the first logged LR), else held at the first logged LR."""
    steps, lr = np.asarray(steps, dtype=float), np.asarray(lr, dtype=float)
    order = np.argsort(steps)
    steps, lr = steps[order], lr[order]
    if warmup and warmup > steps[0]:
        raise InputError(f"a warmup of {warmup} steps runs past the first logged step ({steps[0]:g}): the warmup "
                         "fills in the steps before the logs start (0 when they start at the start)")
    total = int(total if total is not None else steps[-1] + 1)
    grid = np.arange(total, dtype=float)
    eta = np.interp(grid, steps, lr)
    if warmup:
        eta[:warmup] = np.linspace(0.0, lr[0], warmup)
    return eta


def warmup_length(eta: np.ndarray) -> int:
    """Steps of the initial rise of a schedule (0 if it does not start by rising)."""
    eta = np.asarray(eta, dtype=float)
    rising = np.diff(eta) > 0
    if not len(rising) or not rising[0]:
        return 0
    falls = np.flatnonzero(~rising)
    return int(falls[0] + 1) if len(falls) else len(eta)


_BUILDERS = {"constant": constant, "cosine": cosine, "wsd": wsd, "step": step, "linear": linear}


def build(spec: Mapping) -> np.ndarray:
    """A schedule from a dict, e.g. ``{"kind": "cosine", "total": 24000, "peak": 3e-4, "floor": 3e-5,
    "warmup": 2160}`` (the keyword arguments of the function named by ``kind``)."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in _BUILDERS:
        raise InputError(f"schedule kind must be one of {sorted(_BUILDERS)}, not {kind!r}")
    try:
        return _BUILDERS[kind](**spec)
    except TypeError as exc:
        raise InputError(f"schedule {kind}: {exc}") from None


def standard(total: int, peak: float, floor: float, *, warmup: int = 0, decay: float = 0.2) -> dict[str, dict]:
    """The common schedules at one length and LR range, as :func:`build` specs keyed by kind: cosine, linear and
    WSD (its last ``decay`` fraction of the steps decaying, linearly) down to ``floor``; a step schedule (peak/3
    from half-way, peak/10 from three quarters); constant. The candidates a run is usually chosen among."""
    common = {"total": int(total), "peak": float(peak), "warmup": int(warmup)}
    return {"cosine": {"kind": "cosine", **common, "floor": float(floor)},
            "linear": {"kind": "linear", **common, "floor": float(floor)},
            "wsd": {"kind": "wsd", **common, "floor": float(floor), "decay": max(1, int(decay * total))},
            "step": {"kind": "step", **common, "boundaries": [total // 2, (3 * total) // 4],
                     "values": [peak / 3, peak / 10]},
            "constant": {"kind": "constant", **common}}
