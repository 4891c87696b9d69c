"""The run manifest: one SQLite file in the output folder that makes a batch resumable.

One row per recording: the checksum of its input and of the settings it ran with, the GroundUp
version, its status (``pending``, ``running``, ``done``, ``failed``), how long it took, its error
message and how often it was run. Only the process that runs the batch writes it, after each
task; every change is committed at once, so a killed run leaves the manifest as of its last
finished task. A recording counts as done only when its output folder exists (written before
the row is marked done).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MANIFEST_NAME = "batch_manifest.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    recording_id      TEXT PRIMARY KEY,
    input_checksum    TEXT NOT NULL,
    settings_checksum TEXT NOT NULL,
    groundup_version  TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    duration_s        REAL,
    error             TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    groundup_version TEXT NOT NULL,
    engine           TEXT NOT NULL,
    n_recordings     INTEGER NOT NULL,
    n_skipped        INTEGER NOT NULL,
    n_done           INTEGER,
    n_failed         INTEGER
);
"""


@dataclass(frozen=True)
class TaskRow:
    recording_id: str
    input_checksum: str
    settings_checksum: str
    groundup_version: str
    status: str
    duration_s: float | None
    error: str | None
    attempts: int


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's file names and bytes (OpenPose folders);
    ``missing`` when there is nothing at the path (the task then fails with the reason)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(item.relative_to(path)).encode("utf-8") + b"\0")
            _update_with_file(digest, item)
    elif path.is_file():
        _update_with_file(digest, path)
    else:
        return "missing"
    return digest.hexdigest()


def _update_with_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class RunManifest:
    """The SQLite run manifest of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / MANIFEST_NAME
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def get(self, recording_id: str) -> TaskRow | None:
        row = self.db.execute(
            "SELECT recording_id, input_checksum, settings_checksum, groundup_version, status, "
            "duration_s, error, attempts FROM tasks WHERE recording_id = ?",
            (recording_id,),
        ).fetchone()
        return TaskRow(*row) if row else None

    def all(self) -> dict[str, TaskRow]:
        rows = self.db.execute(
            "SELECT recording_id, input_checksum, settings_checksum, groundup_version, status, "
            "duration_s, error, attempts FROM tasks"
        ).fetchall()
        return {r[0]: TaskRow(*r) for r in rows}

    def mark_running(
        self, recording_id: str, input_checksum: str, settings_checksum: str, version: str
    ) -> None:
        self.mark_running_all([(recording_id, input_checksum, settings_checksum)], version)

    def mark_running_all(self, tasks: list[tuple[str, str, str]], version: str) -> None:
        """Mark tasks (recording id, input checksum, settings checksum) as running, in one
        transaction (one write to disk, however many recordings)."""
        now = _now()
        self.db.executemany(
            "INSERT INTO tasks (recording_id, input_checksum, settings_checksum, "
            "groundup_version, status, duration_s, error, attempts, updated_at) "
            "VALUES (?, ?, ?, ?, 'running', NULL, NULL, 1, ?) "
            "ON CONFLICT(recording_id) DO UPDATE SET input_checksum = excluded.input_checksum, "
            "settings_checksum = excluded.settings_checksum, "
            "groundup_version = excluded.groundup_version, status = 'running', "
            "duration_s = NULL, error = NULL, attempts = tasks.attempts + 1, "
            "updated_at = excluded.updated_at",
            [(rec_id, inp, sett, version, now) for rec_id, inp, sett in tasks],
        )
        self.db.commit()

    def mark_finished(
        self,
        recording_id: str,
        *,
        ok: bool,
        duration_s: float | None,
        error: str | None,
        version: str,
    ) -> None:
        self.db.execute(
            "UPDATE tasks SET status = ?, duration_s = ?, error = ?, groundup_version = ?, "
            "updated_at = ? WHERE recording_id = ?",
            ("done" if ok else "failed", duration_s, error, version, _now(), recording_id),
        )
        self.db.commit()

    def mark_done_recovered(self, recording_id: str, duration_s: float | None) -> None:
        """A task whose output folder was complete when the run stopped before noting it."""
        self.db.execute(
            "UPDATE tasks SET status = 'done', duration_s = ?, error = NULL, updated_at = ? "
            "WHERE recording_id = ?",
            (duration_s, _now(), recording_id),
        )
        self.db.commit()

    def reset_running(self) -> int:
        """Tasks left 'running' by a run that was killed go back to 'pending'."""
        cur = self.db.execute(
            "UPDATE tasks SET status = 'pending', updated_at = ? WHERE status = 'running'",
            (_now(),),
        )
        self.db.commit()
        return cur.rowcount

    def start_run(self, version: str, engine: str, n_recordings: int, n_skipped: int) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, groundup_version, engine, n_recordings, n_skipped) "
            "VALUES (?, ?, ?, ?, ?)",
            (_now(), version, engine, n_recordings, n_skipped),
        )
        self.db.commit()
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, n_done: int, n_failed: int) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, n_done = ?, n_failed = ? WHERE run_id = ?",
            (_now(), n_done, n_failed, run_id),
        )
        self.db.commit()
