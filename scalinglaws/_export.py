"""Compiled solvers kept on disk, so that a new process (the CLI) neither traces nor compiles them again.

JAX's persistent compilation cache (``_cache``) skips XLA compilation in a new process, but every process still
traces the Python solver and lowers it again (about a second for a fit and its diagnostics). :func:`call` runs a
jitted function through a compiled executable kept in the cache folder
(``jax.experimental.serialize_executable``): the first time for a given law, static settings and argument shapes
it is compiled and written; later processes load it (a fifth of a second, mostly XLA's start-up) and call it.

Only laws that can be rebuilt from their reference (registered laws, laws made by a registered factory) are kept,
and the key includes the law's reference, the static settings, the arguments' shapes and dtypes, the versions of
JAX and of this package, a hash of this package's source and the machine's processor, so that a changed solver, a
changed law or another machine compiles anew. Three ways XLA:CPU's serialised executables fail are handled: a
program that calls LAPACK is never kept (it crashes a new process); a kept program is compiled afresh, not taken
from the compilation cache; and one that loads but cannot run is compiled once more in a fresh process
(:func:`_compile_apart`). XLA:CPU leaves out of a serialised program the kernels it had already compiled for another
program in the same process ("Function wrapped_log.1 not found"), which a process that compiled only this program
cannot do. Should that copy fail too, the program is refused for good (``.refused``) and goes through jit from then
on. Everything falls back to the plain jitted call when the cache is
off (the default outside the CLI), when a law is made at run time, or when loading fails. The files are pickles
written by this package into the user's own cache folder; they are read from there only.
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
_LOADED: dict[str, tuple[str, object]] = {}  # key -> (the function's name, its executable)


def enable(folder: str | os.PathLike) -> None:
    """Keep exported solvers under ``folder`` (the CLI sets this beside its compilation cache)."""
    global _DIR
    _DIR = Path(folder)
    _DIR.mkdir(parents=True, exist_ok=True)


def disable() -> None:
    global _DIR
    _DIR = None
    _LOADED.clear()


def programs(fn) -> int:
    """How many executables of ``fn`` this process has loaded or compiled through the cache."""
    return sum(name == fn.__name__ for name, _ in _LOADED.values())


@lru_cache(maxsize=1)
def _machine() -> str:
    """The processor and platform an executable was compiled for (it is not portable across them)."""
    import platform

    flags = ""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        pass
    return f"{platform.machine()}|{platform.processor()}|{jax.default_backend()}|{hashlib.sha256(flags.encode()).hexdigest()[:12]}"


@lru_cache(maxsize=1)
def _source_hash() -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


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
                       _source_hash(), _machine()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def call(fn, *args, **static):
    """``fn(*args, **static)`` for a jitted ``fn`` whose ``static`` include ``law``, through a compiled executable
    kept on disk when the cache is on."""
    laws = [v for v in static.values() if hasattr(v, "params") and hasattr(v, "predict")]
    if _DIR is None or not all(_reloadable(law) for law in laws):
        return fn(*args, **static)
    key = _key(fn, args, static)
    name, compiled = _LOADED.get(key, (fn.__name__, None))
    if compiled is None:
        path = _DIR / f"{key}.xla"
        refused = _DIR / f"{key}.refused"
        apart = _DIR / f"{key}.apart"  # this file was compiled by a process of its own
        if refused.exists():  # kept twice and failed to run: this program goes through jit (and XLA's cache)
            return fn(*args, **static)
        compiled = _load(path)  # None when missing, partial or stale: compile it, and keep it
        if compiled is not None:
            out = _run_loaded(compiled, args)
            if out is None and not apart.exists() and _compile_apart(fn, args, static, path):
                # it loaded but could not run (kernels left out): the copy compiled in a fresh process has them all
                apart.touch()
                compiled = _load(path)
                out = None if compiled is None else _run_loaded(compiled, args)
            if out is not None:
                _LOADED[key] = name, compiled
                return out
            path.unlink(missing_ok=True)  # it would fail again: not kept again; jit from now on
            refused.touch()
            return fn(*args, **static)
        path.unlink(missing_ok=True)
        apart.unlink(missing_ok=True)
        lowered = fn.lower(*args, **static)
        if "lapack_" in lowered.as_text():
            # jaxlib binds LAPACK kernels on first use: a kept executable that calls one crashes a new process
            # (a segmentation fault, not an exception; jax-ml/jax#28908), so such a program is not kept
            compiled = lowered.compile()
        else:
            compiled = _compile_and_keep(lowered, path)
        _LOADED[key] = name, compiled
    return compiled(*args)


def _load(path: Path):
    import pickle

    from jax.experimental import serialize_executable

    try:
        return serialize_executable.deserialize_and_load(*pickle.loads(path.read_bytes()))
    except Exception:  # noqa: BLE001 - missing, partial, stale or written by another version
        return None


def _run_loaded(compiled, args):
    """The outputs of a loaded executable, or None when it cannot run."""
    try:
        out = compiled(*args)
        jax.block_until_ready(out)
        return out
    except Exception:  # noqa: BLE001 - e.g. NOT_FOUND: a kernel left out when it was serialised
        return None


def _compile_and_keep(lowered, path: Path):
    """Compile ``lowered`` and write its executable to ``path`` (atomically); return the executable."""
    import pickle

    from jax.experimental import serialize_executable

    # compiled afresh, not taken from the persistent compilation cache: XLA:CPU has re-serialised a program it took
    # from that cache without all of its kernels
    cached = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    try:
        compiled = lowered.compile()
    finally:
        jax.config.update("jax_enable_compilation_cache", cached)
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(serialize_executable.serialize(compiled)))
        tmp.replace(path)
    except Exception:  # noqa: BLE001 - an executable that cannot be written is only not kept
        pass
    return compiled


def _compile_apart(fn, args, static: dict, path: Path) -> bool:
    """Compile ``fn`` for ``args``' shapes in a fresh Python process and keep it at ``path``; True when written.

    The child gets the function's module and name, the arguments' shapes and dtypes (not their values) and the
    static settings, with each law as its reference (only laws that can be rebuilt from one are kept at all).
    """
    import pickle
    import subprocess
    import sys
    import tempfile

    from .laws import law_reference

    shapes = jax.tree.map(lambda a: jax.ShapeDtypeStruct(jax.numpy.shape(a), jax.numpy.result_type(a),
                                                         weak_type=jax.typeof(a).weak_type), args)
    plain = {k: (("law", law_reference(v)) if hasattr(v, "params") and hasattr(v, "predict") else ("value", v))
             for k, v in static.items()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "spec.pkl"
            spec.write_bytes(pickle.dumps((fn.__module__, fn.__name__, shapes, plain)))
            done = subprocess.run([sys.executable, "-m", "scalinglaws._export", str(spec), str(path)],
                                  capture_output=True, timeout=900, check=False)
        return done.returncode == 0 and path.exists()
    except Exception:  # noqa: BLE001 - no child process (e.g. a sandbox): the program goes through jit instead
        return False


def _main(spec: str, out: str) -> None:
    """The fresh process of :func:`_compile_apart`."""
    import importlib
    import pickle

    from .laws import law_from_reference

    module, name, shapes, plain = pickle.loads(Path(spec).read_bytes())
    fn = getattr(importlib.import_module(module), name)
    static = {k: (law_from_reference(v) if kind == "law" else v) for k, (kind, v) in plain.items()}
    _compile_and_keep(fn.lower(*shapes, **static), Path(out))


if __name__ == "__main__":
    import sys

    _main(*sys.argv[1:3])
