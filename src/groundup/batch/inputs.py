"""What a batch runs: recordings from folders, glob patterns or a manifest CSV.

A folder or a glob pattern gives every recording file in it (C3D, TRC and video files, found in
sub-folders too); a manifest CSV gives one recording per row with what is known about it. Each
recording gets a recording id, the only name the log and the progress bar use: the manifest's
``recording_id`` when given, otherwise a short hash of the file's absolute path (stable across
runs, and it says nothing about the patient).
"""

from __future__ import annotations

import csv
import glob
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from groundup.errors import InputError
from groundup.pipeline.recording import VIDEO_SUFFIXES

RECORDING_SUFFIXES = frozenset({".c3d", ".trc"}) | VIDEO_SUFFIXES
MANIFEST_COLUMNS = ("path", "subject_id", "group", "view", "height_m", "exam", "recording_id")
VIEWS = ("auto", "sagittal", "frontal_posterior", "frontal_anterior")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Recording:
    """One recording of the cohort and what the user said about it."""

    recording_id: str
    path: Path
    subject_id: str = ""
    group: str = ""
    view: str | None = None
    height_m: float | None = None
    exam: Path | None = None


def default_recording_id(path: Path) -> str:
    """``rec-`` and 10 hex digits of the SHA-256 of the absolute path."""
    digest = hashlib.sha256(str(path.absolute()).encode("utf-8")).hexdigest()
    return f"rec-{digest[:10]}"


def collect_recordings(inputs: list[str]) -> list[Recording]:
    """Every recording named by ``inputs`` (folders, globs, files or manifest CSVs), in order;
    a file named twice is kept once."""
    if not inputs:
        raise InputError(
            "No recordings given.",
            "Name folders, glob patterns (quote them) or a manifest CSV, e.g. "
            "groundup batch trials/ --out cohort",
        )
    found: list[Recording] = []
    for item in inputs:
        path = Path(item)
        if path.suffix.lower() == ".csv" and path.is_file():
            found.extend(read_manifest(path))
        elif path.is_dir():
            found.extend(_plain(p) for p in _recording_files(path.rglob("*"), base=path))
        elif path.exists():
            found.append(_plain(path))
        elif _GLOB_CHARS & set(item):
            matches = [Path(p) for p in sorted(glob.glob(item, recursive=True))]
            found.extend(_plain(p) for p in _recording_files(matches))
        else:
            raise InputError(
                f"Nothing found at {item}.",
                "Give an existing folder, file, manifest CSV or a glob pattern in quotes.",
            )
    recordings = _unique(found)
    if not recordings:
        raise InputError(
            "The inputs hold no recording (.c3d, .trc or a video file).",
            "Check the folders and patterns, or list the recordings in a manifest CSV.",
        )
    return recordings


def _recording_files(paths: Iterable[Path], base: Path | None = None) -> list[Path]:
    """The recording files among ``paths``; under a searched folder ``base``, files in hidden
    folders (names starting with ".") are left out."""
    files = [
        p
        for p in paths
        if p.is_file()
        and p.suffix.lower() in RECORDING_SUFFIXES
        and not (
            base is not None and any(part.startswith(".") for part in p.relative_to(base).parts)
        )
    ]
    return sorted(files)


def _plain(path: Path) -> Recording:
    return Recording(recording_id=default_recording_id(path), path=path)


def _unique(recordings: list[Recording]) -> list[Recording]:
    by_path: dict[Path, Recording] = {}
    by_id: dict[str, Recording] = {}
    for rec in recordings:
        key = rec.path.absolute()
        if key in by_path:
            continue
        if rec.recording_id in by_id:
            raise InputError(
                f"The recording id {rec.recording_id!r} is given to two different recordings.",
                "Give every row of the manifest its own recording_id.",
            )
        by_path[key] = rec
        by_id[rec.recording_id] = rec
    return list(by_path.values())


def read_manifest(path: Path) -> list[Recording]:
    """Recordings listed in a manifest CSV (see docs/batch.md for the columns). Relative paths
    are read from the manifest's folder."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
            header = [h.strip().lower() for h in (rows[0].keys() if rows else [])]
    except UnicodeDecodeError as exc:
        raise InputError(
            f"The manifest {path.name} is not a UTF-8 text file.",
            "Save it as CSV (UTF-8) with a header row.",
        ) from exc
    if not rows:
        raise InputError(
            f"The manifest {path.name} lists no recordings.",
            f"Give a header row ({', '.join(MANIFEST_COLUMNS)}) and one row per recording.",
        )
    unknown = [h for h in header if h not in MANIFEST_COLUMNS]
    if "path" not in header or unknown:
        what = f"unknown column(s) {', '.join(unknown)}" if unknown else "no 'path' column"
        raise InputError(
            f"The manifest {path.name} has {what}.",
            f"Use the columns {', '.join(MANIFEST_COLUMNS)} (only 'path' is required).",
        )
    recordings = []
    for line, raw in enumerate(rows, start=2):
        row = {
            (k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None
        }
        recordings.append(_manifest_row(path, line, row))
    return recordings


def _manifest_row(manifest: Path, line: int, row: dict[str, str]) -> Recording:
    where = f"{manifest.name}, line {line}"
    if not row.get("path"):
        raise InputError(f"{where}: the path is empty.", "Give the recording's file on each row.")
    rec_path = _relative_to(manifest, row["path"])
    view = row.get("view") or None
    if view is not None and view not in VIEWS:
        raise InputError(f"{where}: unknown view {view!r}.", f"Use one of: {', '.join(VIEWS)}.")
    height_m = _height(row.get("height_m", ""), where)
    exam = _relative_to(manifest, row["exam"]) if row.get("exam") else None
    return Recording(
        recording_id=_recording_id(row.get("recording_id", ""), rec_path, where),
        path=rec_path,
        subject_id=row.get("subject_id", ""),
        group=row.get("group", ""),
        view=None if view in (None, "auto") else view,
        height_m=height_m,
        exam=exam,
    )


def _relative_to(manifest: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else manifest.parent / path


def _height(text: str, where: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise InputError(
            f"{where}: height_m {text!r} is not a number.",
            "Give the height in metres, e.g. 1.72.",
        ) from exc
    if not 0.5 <= value <= 2.5:
        raise InputError(
            f"{where}: height_m {value} is not a height in metres.",
            "Give the height in metres, e.g. 1.72 (not centimetres).",
        )
    return value


def _recording_id(text: str, path: Path, where: str) -> str:
    if not text:
        return default_recording_id(path)
    if not all(c.isalnum() or c in "-_." for c in text) or text.startswith("."):
        raise InputError(
            f"{where}: recording_id {text!r} may hold only letters, digits, '-', '_' and '.'.",
            "It names the recording's output folder; use a code, never the patient's name.",
        )
    return text
