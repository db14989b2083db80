"""The semantic matrix as memory-mapped ``.npy`` files shared by every process.

Without it each worker process reads every stored vector from the database and projects it
(at 750,000 records: tens of seconds and hundreds of MB per process). With it, the first
process to load the vectors writes the derived arrays — record ids (sorted), the float32
matrix (or its 128-dimension projection) and the projection basis — into
``CLEARINGHOUSE_VECTOR_CACHE/<database>/``, and every process opens them with
``np.load(mmap_mode="r")``: one copy in the page cache for all workers, nothing re-projected.

Files are written under a new generation name, flushed, then published by replacing
``stamp.json`` (write to a temporary name, ``os.replace``): a reader sees the old generation
or the new one, never half of one. The stamp records what the files hold: the database's
latest ``updated_at`` and highest record id when they were loaded (the freshness key that
``semantic._load_matrix`` checks per query), the number of rows, the model and width. A file
that is missing, truncated, of the wrong shape or type is ignored (logged) and rebuilt from the
database: never an error in a request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)
STAMP = "stamp.json"


@dataclass
class Cached:
    stamp: dict[str, Any]
    ids: np.ndarray
    matrix: np.ndarray
    basis: np.ndarray | None


def root() -> Path | None:
    value = getattr(settings, "CLEARINGHOUSE_VECTOR_CACHE", "")
    return Path(value) if value else None


def directory() -> Path | None:
    """This database's cache folder (several databases may share a data directory)."""
    base = root()
    if base is None:
        return None
    s = connection.settings_dict
    ident = f"{connection.vendor}:{s.get('HOST')}:{s.get('PORT')}:{s.get('NAME')}"
    return base / hashlib.sha1(ident.encode()).hexdigest()[:12]


def minimum() -> int:
    """Fewer vectors than this are loaded from the table directly (a cache saves nothing)."""
    return int(getattr(settings, "CLEARINGHOUSE_VECTOR_CACHE_MIN", 2000))


def read() -> Cached | None:
    """The current generation, memory-mapped, or None (no cache, or an unusable one)."""
    folder = directory()
    if folder is None or not (folder / STAMP).exists():
        return None
    for _attempt in range(2):  # a writer may delete the generation just read: once more
        try:
            return _read(folder)
        except FileNotFoundError:
            continue
        except Exception as exc:  # truncated, corrupt, wrong shape: rebuilt from the table
            log.warning("search: ignoring the vector cache in %s (%s)", folder, exc)
            return None
    return None


def _read(folder: Path) -> Cached:
    stamp = json.loads((folder / STAMP).read_text())
    gen, rows, width = stamp["gen"], int(stamp["rows"]), int(stamp["width"])
    ids = np.load(folder / f"ids-{gen}.npy", mmap_mode="r")
    matrix = np.load(folder / f"matrix-{gen}.npy", mmap_mode="r")
    basis = None
    if stamp.get("basis"):
        basis = np.asarray(np.load(folder / f"basis-{gen}.npy"))
    if ids.dtype != np.int64 or ids.shape != (rows,):
        raise ValueError(f"ids: {ids.dtype} {ids.shape}, expected int64 ({rows},)")
    if matrix.dtype != np.float32 or matrix.shape != (rows, width):
        raise ValueError(f"matrix: {matrix.dtype} {matrix.shape}, expected ({rows}, {width})")
    if basis is not None and (basis.dtype != np.float32 or basis.shape[1] != width):
        raise ValueError(f"basis: {basis.dtype} {basis.shape}")
    if rows > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        raise ValueError("ids are not sorted")
    return Cached(stamp, ids, matrix, basis)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[bool]:
    """Whether this process may write (another one writing: skip, its file will do)."""
    with open(folder / "lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        np.save(out, np.ascontiguousarray(array))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def write(
    ids: np.ndarray, matrix: np.ndarray, basis: np.ndarray | None, stamp: dict[str, Any]
) -> bool:
    """Publish a new generation; False if caching is off, the folder is not writable or
    another process is writing one right now."""
    folder = directory()
    if folder is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder) as mine:
            if not mine:
                return False
            gen = f"{time.time_ns():x}-{os.getpid()}"
            _save(folder / f"ids-{gen}.npy", np.asarray(ids, dtype=np.int64))
            _save(folder / f"matrix-{gen}.npy", np.asarray(matrix, dtype=np.float32))
            if basis is not None:
                _save(folder / f"basis-{gen}.npy", basis)
            full = {
                **stamp,
                "gen": gen,
                "rows": len(ids),
                "width": int(matrix.shape[1]),
                "basis": basis is not None,
                "written_at": time.time(),
            }
            tmp = folder / f"{STAMP}.tmp"
            tmp.write_text(json.dumps(full))
            os.replace(tmp, folder / STAMP)
            for old in folder.glob("*.npy"):  # processes that mapped them keep their copy
                if gen not in old.name:
                    old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("search: could not write the vector cache in %s (%s)", folder, exc)
        return False
    return True


def clear() -> None:
    folder = directory()
    if folder is not None and folder.exists():
        for path in [*folder.glob("*.npy"), folder / STAMP]:
            path.unlink(missing_ok=True)


def describe() -> dict[str, Any] | None:
    """The stamp of the current generation and its size on disk (for status output)."""
    folder = directory()
    if folder is None or not (folder / STAMP).exists():
        return None
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return None
    size = sum(p.stat().st_size for p in folder.glob(f"*-{stamp.get('gen')}.npy"))
    return {**stamp, "bytes": size, "folder": str(folder)}
