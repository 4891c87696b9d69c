"""Per-recording output folders, written atomically.

A recording's files go to ``recordings/<recording id>/``. They are first written into a hidden
temporary folder beside it, with a ``task.json`` that says which input and settings produced
them, each file flushed to disk; then the folder is renamed into place in one step. A run killed
at any moment leaves either the complete folder or none (a left-over temporary folder is removed
by the next run).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

RECORDINGS_DIR = "recordings"
TASK_FILE = "task.json"
_TMP_PREFIX = ".tmp-"
_OLD_PREFIX = ".old-"


def recording_dir(out_dir: Path, recording_id: str) -> Path:
    return out_dir / RECORDINGS_DIR / recording_id


def write_recording_folder(
    out_dir: Path, recording_id: str, files: dict[str, bytes], task: dict[str, Any]
) -> Path:
    """Write ``files`` (relative name -> bytes) and ``task.json`` as the recording's folder,
    replacing an earlier one only once the new one is complete."""
    parent = out_dir / RECORDINGS_DIR
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / recording_id
    tmp = parent / f"{_TMP_PREFIX}{recording_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name, data in {**files, TASK_FILE: _task_bytes(task)}.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        old = None
        if target.exists():
            old = parent / f"{_OLD_PREFIX}{recording_id}-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
        os.replace(tmp, target)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def remove_recording_folder(out_dir: Path, recording_id: str) -> bool:
    """Remove a recording's folder (an earlier result of an input that has changed and now
    failed): renamed away first, so it is never seen half-deleted. True if there was one."""
    target = recording_dir(out_dir, recording_id)
    if not target.exists():
        return False
    old = target.parent / f"{_OLD_PREFIX}{recording_id}-{uuid.uuid4().hex[:8]}"
    os.replace(target, old)
    shutil.rmtree(old, ignore_errors=True)
    return True


def read_task_record(out_dir: Path, recording_id: str) -> dict[str, Any] | None:
    """The ``task.json`` of a complete recording folder, or None."""
    path = recording_dir(out_dir, recording_id) / TASK_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def remove_leftovers(out_dir: Path) -> int:
    """Remove temporary folders left by a run that was killed while writing; their count."""
    parent = out_dir / RECORDINGS_DIR
    if not parent.is_dir():
        return 0
    leftovers = [
        p for p in parent.iterdir() if p.is_dir() and p.name.startswith((_TMP_PREFIX, _OLD_PREFIX))
    ]
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return len(leftovers)


def _task_bytes(task: dict[str, Any]) -> bytes:
    return (json.dumps(task, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
