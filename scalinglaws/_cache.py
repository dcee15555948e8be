"""JAX's persistent compilation cache and the exported (traced) solvers beside it, so that a repeated CLI
command neither compiles nor traces again."""

from __future__ import annotations

import os
from pathlib import Path

import jax


def enable_compilation_cache(path: str | os.PathLike | None = None, *, export: bool = True) -> Path:
    """Turn on the on-disk compilation cache at ``path`` (default ``$SCALINGLAWS_CACHE`` or
    ``~/.cache/scalinglaws/jax``) for every compiled function, however quick to compile; with ``export``, keep
    traced solvers there too (``_export``; ``SCALINGLAWS_EXPORT=0`` turns that off). Without ``path``, a cache
    already turned on (by the caller, or a test suite) is kept as it is."""
    current = jax.config.jax_compilation_cache_dir
    if path is None and current:
        return Path(current)
    where = Path(path or os.environ.get("SCALINGLAWS_CACHE") or Path.home() / ".cache" / "scalinglaws" / "jax")
    where.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(where))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    if export and os.environ.get("SCALINGLAWS_EXPORT", "1") != "0":
        from . import _export

        _export.enable(where / "exported")
    return where
