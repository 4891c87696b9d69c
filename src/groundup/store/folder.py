"""Reading a ``groundup analyze`` output folder: its JSON documents and its media files.

Everything is read and checked against its schema before the store is touched, so a folder
that is not a finished visit changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema

from groundup.output import validate
from groundup.store.errors import StoreError

_ANALYSIS_NAME = re.compile(r"^analysis(?:_(\d+)_.*)?\.json$")
_ANNOTATED_NAME = re.compile(r"^annotated(?:_(\d+)_.*)?\.mp4$")
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".c3d": "application/octet-stream",
    ".trc": "text/plain",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".pdf": "application/pdf",
}


@dataclass
class VisitFolder:
    """What one visit wrote: documents (already validated) and media files to keep."""

    analyses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    exam: dict[str, Any] | None = None
    chain: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    media: list[tuple[str, str, Path]] = field(default_factory=list)  # role, name, path

    @property
    def visit_date(self) -> date:
        """The exam date, else the plan's visit date, else today."""
        for text in (
            (self.exam or {}).get("exam_date"),
            ((self.plan or {}).get("visit") or {}).get("exam_date"),
        ):
            if isinstance(text, str):
                try:
                    return date.fromisoformat(text)
                except ValueError:
                    continue
        return date.today()


def schema_name(document: dict[str, Any]) -> str:
    """``groundup.analysis/1`` -> ``analysis`` (the packaged schema's file stem)."""
    schema = str(document.get("schema", ""))
    match = re.match(r"^groundup\.([a-z_]+)/\d+$", schema)
    if not match:
        raise StoreError(
            f"A document has no GroundUp schema tag ({schema!r}).",
            "Record only folders written by `groundup analyze`.",
        )
    return match.group(1)


def _read(path: Path, expected: tuple[str, ...]) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(
            f"{path.name} cannot be read as JSON ({exc}).",
            "Run `groundup analyze` again for this visit, then record its folder.",
        ) from exc
    if not isinstance(doc, dict):
        raise StoreError(f"{path.name} is not a GroundUp document.", "Record an analyze folder.")
    name = schema_name(doc)
    if name not in expected:
        raise StoreError(
            f"{path.name} holds a {name} document where {' or '.join(expected)} was expected.",
            "Record the folder as `groundup analyze` wrote it.",
        )
    try:
        validate(doc, name)
    except jsonschema.ValidationError as exc:
        raise StoreError(
            f"{path.name} does not match the {name} schema ({exc.message}).",
            "Run `groundup analyze` again with this version of GroundUp.",
        ) from exc
    return doc


def _index(pattern: re.Pattern[str], path: Path) -> int:
    match = pattern.match(path.name)
    return int(match.group(1) or 0) if match else 0


def read_visit_folder(folder: Path, recordings: list[Path] | None = None) -> VisitFolder:
    """The documents and media of an analyze output folder (plus the original recordings)."""
    if not folder.is_dir():
        raise StoreError(
            f"No folder {folder.name!r} to record.",
            "Give the --out folder of `groundup analyze` (or record in one step, see "
            "`groundup visit record --help`).",
        )
    visit = VisitFolder()
    analysis_paths = sorted(
        (p for p in folder.iterdir() if _ANALYSIS_NAME.match(p.name)),
        key=lambda p: _index(_ANALYSIS_NAME, p),
    )
    for path in analysis_paths:
        visit.analyses.append((path.name, _read(path, ("analysis", "sway"))))
    for attr in ("exam", "chain", "plan"):
        path = folder / f"{attr}.json"
        if path.exists():
            setattr(visit, attr, _read(path, (attr,)))
    if not visit.analyses and visit.exam is None:
        raise StoreError(
            f"The folder {folder.name!r} holds no analysis.json or exam.json.",
            "Give the --out folder of a finished `groundup analyze` run.",
        )
    for role, name in (("report_pdf", "report.pdf"), ("handout_pdf", "handout.pdf")):
        if (folder / name).is_file():
            visit.media.append((role, name, folder / name))
    videos = sorted(
        (p for p in folder.iterdir() if _ANNOTATED_NAME.match(p.name)),
        key=lambda p: _index(_ANNOTATED_NAME, p),
    )
    visit.media += [("annotated_video", p.name, p) for p in videos]
    for k, path in enumerate(recordings or []):
        if not path.is_file():
            raise StoreError(f"Recording {path.name!r} not found.", "Check the path.")
        visit.media.append(("recording", f"recording_{k + 1}{path.suffix.lower()}", path))
    return visit


def content_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
