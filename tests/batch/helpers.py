"""Shared pieces of the batch tests: the command as a separate process, manifests, the run
manifest's rows and the recordings' file times."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

GROUNDUP = [sys.executable, "-c", "from groundup.cli import main; main()"]


def batch_command(*args: str) -> list[str]:
    return [*GROUNDUP, "batch", *args]


def run_batch_cli(*args: str, timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        batch_command(*args), capture_output=True, text=True, timeout=timeout_s, check=False
    )


def write_manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = ["path", "subject_id", "group", "view", "height_m", "exam"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def truncated_copy(source: Path, target: Path) -> Path:
    """A real recording cut after half its bytes (a copy interrupted on the way to the lab PC)."""
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def task_rows(out: Path) -> dict[str, dict[str, object]]:
    """The run manifest's rows by recording id (read-only)."""
    db = sqlite3.connect(f"file:{out / 'batch_manifest.sqlite'}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return {r["recording_id"]: dict(r) for r in db.execute("SELECT * FROM tasks")}
    finally:
        db.close()


def run_rows(out: Path) -> list[dict[str, object]]:
    db = sqlite3.connect(f"file:{out / 'batch_manifest.sqlite'}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM runs ORDER BY run_id")]
    finally:
        db.close()


def file_times(out: Path, recording_ids: list[str]) -> dict[str, int]:
    """Modification times (ns) of every file of the given recordings' folders."""
    times = {}
    for rec_id in recording_ids:
        for path in sorted((out / "recordings" / rec_id).rglob("*")):
            if path.is_file():
                times[str(path.relative_to(out))] = path.stat().st_mtime_ns
    return times
