"""The content-addressed media folder: a file is kept once, named by its SHA-256.

``<data>/media/<first two hex digits>/<sha256>``. A file is copied to a temporary name in the
same folder, flushed to disk and renamed, so a blob is either absent or complete. Writers of a
visit hold a shared lock on ``media/.lock`` from the first media write until their rows are
committed; ``groundup store check`` takes it exclusively, so it never mistakes the media of a
visit being recorded for an orphan.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from groundup.store.setup import file_lock, location

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
TEMP_PREFIX = ".incoming-"
CHUNK_BYTES = 1 << 20


def media_dir() -> Path:
    return location().media_dir


def blob_path(sha256: str) -> Path:
    return media_dir() / sha256[:2] / sha256


def media_lock(*, exclusive: bool = False) -> AbstractContextManager[None]:
    """Shared while a visit is recorded or deleted; exclusive while the store is checked."""
    return file_lock(media_dir() / ".lock", shared=not exclusive)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def put_file(source: Path) -> tuple[str, int]:
    """Keep ``source`` in the media folder; return its SHA-256 and size (copied once only)."""
    sha = sha256_of(source)
    target = blob_path(sha)
    size = source.stat().st_size
    if target.exists() and target.stat().st_size == size:
        return sha, size
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, CHUNK_BYTES)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, size


def stored_blobs() -> Iterator[tuple[str, Path]]:
    """Every complete blob in the media folder: (sha256, path)."""
    root = media_dir()
    for sub in sorted(root.iterdir()) if root.is_dir() else []:
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            if _SHA256.match(path.name):
                yield path.name, path


def unfinished_files() -> Iterator[Path]:
    """Temporary files left by a copy that was interrupted."""
    root = media_dir()
    yield from sorted(root.glob(f"*/{TEMP_PREFIX}*"))


def remove_blob(sha256: str) -> bool:
    path = blob_path(sha256)
    if path.exists():
        path.unlink()
        return True
    return False
