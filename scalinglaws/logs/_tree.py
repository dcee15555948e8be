"""The files a reader sees: a folder on disk, one file, or uploaded contents (zips opened), by relative path.

Readers never open paths themselves: they ask a :class:`Tree`, which enforces the size limits (a file too large, or
a zip that would unpack past the limit, is refused with the sizes and the way to raise the limit) and gives a real
path on disk only where a third-party reader needs one (TensorBoard's, SQLite), writing uploads to a temporary
folder for it.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Sequence

from .._schema import SchemaError

__all__ = ["Tree", "MAX_FILE_BYTES", "MAX_UPLOAD_BYTES", "size_text"]

MAX_FILE_BYTES = 2 << 30  # 2 GiB: a file past this is almost surely not a training log (raise with max_bytes=)
MAX_UPLOAD_BYTES = 200 << 20  # what the app accepts in all (Streamlit's own limit is set to the same figure)
_SKIPPED_PARTS = ("__MACOSX", ".git", ".trash", ".ipynb_checkpoints")


def size_text(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


class Tree:
    """Relative posix paths to their sizes and contents. ``name`` names the whole (a folder's or file's name)."""

    def __init__(self, name: str, entries: dict[str, tuple[int, Callable[[], bytes]]], root: Path | None = None,
                 max_bytes: int = MAX_FILE_BYTES):
        self.name = name
        self._entries = dict(sorted(entries.items()))
        self.root = root  # the folder on disk the paths are relative to, when there is one
        self.max_bytes = max_bytes  # checked when a file is read: a folder may hold large files no reader needs
        self.single = False  # one file given as such (not a folder, nor a zip)

    # -- construction --------------------------------------------------------------------------------------------
    @classmethod
    def from_path(cls, path: str | os.PathLike, *, max_bytes: int = MAX_FILE_BYTES) -> "Tree":
        path = Path(path)
        if not path.exists():
            raise SchemaError([f"no such file or folder: {path}"], str(path))
        if path.is_file():
            if path.suffix.lower() == ".zip":
                return cls.from_uploads([(path.name, _read_limited(path, max_bytes))], max_bytes=max_bytes)
            files, root = [path], path.parent
        else:
            files, root = sorted(p for p in path.rglob("*") if p.is_file()), path
        entries = {}
        for f in files:
            rel = f.relative_to(root).as_posix()
            if not any(part in _SKIPPED_PARTS for part in PurePosixPath(rel).parts):
                entries[rel] = (f.stat().st_size, lambda f=f: f.read_bytes())
        tree = cls(_name_of(path), entries, root, max_bytes)
        tree.single = path.is_file()
        return tree

    @classmethod
    def from_uploads(cls, files: Sequence[tuple[str, bytes]], *, max_bytes: int = MAX_UPLOAD_BYTES) -> "Tree":
        """Uploaded (name, contents) pairs; a zip is opened (its members keep their folders), its unpacked size
        checked against ``max_bytes`` before anything is unpacked."""
        entries, problems, total = {}, [], 0
        for name, data in files:
            total += len(data)
            if not name.lower().endswith(".zip"):
                entries[PurePosixPath(name).name] = (len(data), lambda d=data: d)
                continue
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
                members = [m for m in archive.infolist() if not m.is_dir()
                           and not any(p in _SKIPPED_PARTS or p.startswith("._") for p in PurePosixPath(m.filename).parts)]
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                problems.append(f"{name}: not a readable zip file ({exc})")
                continue
            unpacked = sum(m.file_size for m in members)
            if unpacked > max_bytes:
                problems.append(f"{name}: unpacks to {size_text(unpacked)}, over the limit of {size_text(max_bytes)}")
                continue
            total += unpacked - len(data)
            for m in members:
                entries[m.filename] = (m.file_size, lambda a=archive, m=m: _member(a, m))
        if total > max_bytes:
            problems.append(f"the files come to {size_text(total)}, over the limit of {size_text(max_bytes)} "
                            "(pass fewer files, or raise max_bytes=)")
        if problems:
            raise SchemaError(problems)
        name = files[0][0] if len(files) == 1 else f"{len(files)} files"
        tops = {PurePosixPath(p).parts[0] for p in entries}
        if len(tops) == 1 and all(len(PurePosixPath(p).parts) > 1 for p in entries):
            # a zipped folder: its files relative to it, as if the folder itself were given
            name = tops.pop()
            entries = {p[len(name) + 1:]: v for p, v in entries.items()}
        tree = cls(PurePosixPath(name).stem if name.lower().endswith(".zip") else name, entries, None, max_bytes)
        tree.single = len(files) == 1 and not name.lower().endswith(".zip")
        return tree

    # -- access --------------------------------------------------------------------------------------------------
    @property
    def paths(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def size(self, path: str) -> int:
        return self._entries[path][0]

    def read(self, path: str) -> bytes:
        size = self._entries[path][0]
        if size > self.max_bytes:
            raise SchemaError([f"{path}: {size_text(size)}, over the limit of {size_text(self.max_bytes)} per file "
                               "(raise it with max_bytes=, or --max-bytes on the command line)"], self.name)
        return self._entries[path][1]()

    def head(self, path: str, n: int = 4096) -> bytes:
        return self._entries[path][1]()[:n] if self.root is None else _head(self.root / path, n)

    def text(self, path: str) -> str:
        """The file decoded as UTF-8 (a byte-order mark dropped); undecodable bytes are a SchemaError."""
        try:
            return self.read(path).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SchemaError([f"{path}: not UTF-8 text ({exc})"], self.name) from None

    def named(self, name: str) -> list[str]:
        """Paths whose file name is ``name``."""
        return [p for p in self._entries if PurePosixPath(p).name == name]

    def under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/" if folder else ""
        return [p for p in self._entries if p.startswith(prefix)]

    @contextlib.contextmanager
    def on_disk(self, paths: Sequence[str]) -> Iterator[Path]:
        """A folder on disk holding ``paths`` at their relative places: the tree's own folder when it has one,
        else a temporary copy (removed afterwards)."""
        if self.root is not None:
            yield self.root
            return
        with tempfile.TemporaryDirectory(prefix="scalinglaws-") as tmp:
            for p in paths:
                target = Path(tmp, *PurePosixPath(p).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.read(p))
            yield Path(tmp)


def _name_of(path: Path) -> str:
    """A folder's name; a file's stem, except a file a tool names itself (``trainer_state.json``,
    ``metrics.csv``), which is named by its run's folder (above any ``checkpoint-*`` folder)."""
    if path.is_dir():
        return path.resolve().name
    if path.name not in ("trainer_state.json", "metrics.csv"):
        return path.stem
    folder = path.resolve().parent
    return (folder.parent if folder.name.startswith("checkpoint-") else folder).name


def _member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise SchemaError([f"{member.filename}: cannot be unpacked ({exc})"]) from None


def _read_limited(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise SchemaError([f"{path.name}: {size_text(size)}, over the limit of {size_text(max_bytes)}"], str(path))
    return path.read_bytes()


def _head(path: Path, n: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(n)
