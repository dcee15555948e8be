"""Traced solvers kept on disk, so that a new process (the CLI) skips JAX's tracing as well as its compiling.

JAX's persistent compilation cache (``_cache``) skips XLA compilation in a new process, but every process still
traces the Python solver again (about a second for a fit and its diagnostics). :func:`call` runs a jitted function
through ``jax.export``: the first time for a given law, static settings and argument shapes, the traced function
is serialised to the cache folder; later processes deserialise it (milliseconds) and call it, and its compiled
code comes from the compilation cache.

Only laws that can be rebuilt from their reference (registered laws, laws made by a registered factory) are kept,
and the key includes the law's reference, the static settings, the arguments' shapes and dtypes, the versions of
JAX and of this package and a hash of this package's source, so that a changed solver or law is traced anew.
Everything falls back to the plain jitted call when the cache is off (the default outside the CLI), when a law is
made at run time, or when serialisation is unavailable.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import jax

from ._version import __version__

__all__ = ["call", "enable", "disable"]

_DIR: Path | None = None
_LOADED: dict[str, object] = {}


def enable(folder: str | os.PathLike) -> None:
    """Keep exported solvers under ``folder`` (the CLI sets this beside its compilation cache)."""
    global _DIR
    _DIR = Path(folder)
    _DIR.mkdir(parents=True, exist_ok=True)


def disable() -> None:
    global _DIR
    _DIR = None
    _LOADED.clear()


@lru_cache(maxsize=1)
def _source_hash() -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def _register_outcome() -> bool:
    try:
        from jax import export

        from ._solve import Outcome

        export.register_namedtuple_serialization(Outcome, serialized_name="scalinglaws.Outcome")
        return True
    except Exception:  # noqa: BLE001 - no serialisation (e.g. flatbuffers missing): run the plain jitted call
        return False


def _reloadable(law) -> bool:
    from .laws import law_from_reference, law_reference

    try:
        return law_from_reference(law_reference(law)) is law
    except Exception:  # noqa: BLE001 - a law made at run time: nothing to rebuild it from
        return False


def _key(fn, args, static: dict) -> str:
    from .laws import law_reference

    leaves, tree = jax.tree.flatten(args)
    shapes = [(tuple(getattr(a, "shape", ())), str(getattr(a, "dtype", type(a).__name__))) for a in leaves]
    plain = {k: (law_reference(v) if hasattr(v, "params") and hasattr(v, "predict") else repr(v))
             for k, v in sorted(static.items())}
    text = json.dumps([fn.__module__, fn.__name__, plain, str(tree), shapes, jax.__version__, __version__,
                       _source_hash()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def call(fn, *args, **static):
    """``fn(*args, **static)`` for a jitted ``fn`` whose ``static`` include ``law``, through a traced export kept
    on disk when the cache is on."""
    laws = [v for v in static.values() if hasattr(v, "params") and hasattr(v, "predict")]
    if _DIR is None or not _register_outcome() or not all(_reloadable(law) for law in laws):
        return fn(*args, **static)
    key = _key(fn, args, static)
    exported = _LOADED.get(key)
    if exported is None:
        from jax import export

        path = _DIR / f"{key}.jaxexport"
        try:
            exported = export.deserialize(bytearray(path.read_bytes()))
        except Exception:  # noqa: BLE001 - missing, partial or from another JAX: trace it again
            exported = export.export(fn)(*args, **static)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(exported.serialize())
            tmp.replace(path)
        _LOADED[key] = exported
    return exported.call(*args)
