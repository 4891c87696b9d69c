"""Uploaded recordings: checked on their bytes, kept under random names in the data folder.

The browser's file name and content type are not trusted (a file name can name a patient):
the kind is read from the file's first bytes (a C3D parameter block, an ISO media / QuickTime,
Matroska/WebM or AVI container), the size is limited while the upload streams to disk
(:class:`SizeLimitedUploadHandler`), and the file is kept as
``<data>/uploads/<draft id>/<upload id>.<suffix>``, reachable only through the visit's views.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler

from groundup.errors import GroundUpError
from groundup.store.setup import location
from groundup.web.settings import max_upload_bytes

CHUNK_BYTES = 1 << 20


class UploadError(GroundUpError):
    """An uploaded file is not a recording GroundUp can analyse."""


HEAD_BYTES = 128 * 512  # enough to reach a C3D parameter section (block 1..127)
C3D_PROCESSORS = (84, 85, 86)  # Intel, DEC, MIPS


def sniff_kind(head: bytes) -> tuple[str, str] | None:
    """(kind, suffix) from a file's first bytes, or None when it is no recording we read.

    C3D: byte 1 of the header is the C3D key 0x50 and byte 0 the block where the parameter
    section starts, whose fourth byte names the processor type 84/85/86 (C3D.org, "The C3D
    file format user guide", header and parameter section). ISO base media (MP4) and
    QuickTime: an ``ftyp`` (or QuickTime ``moov``/``mdat``/``wide``/``free``) box at byte 4.
    Matroska/WebM: the EBML magic 1A 45 DF A3. AVI: ``RIFF....AVI ``.
    """
    if len(head) >= 12:
        box = head[4:8]
        if box == b"ftyp":
            brand = head[8:12]
            return ("video", ".mov") if brand == b"qt  " else ("video", ".mp4")
        if box in (b"moov", b"mdat", b"wide", b"free"):
            return "video", ".mov"
        if head[:4] == b"\x1a\x45\xdf\xa3":
            return "video", ".webm"
        if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
            return "video", ".avi"
    if len(head) >= 512 and head[1] == 0x50 and 2 <= head[0] <= 127:
        start = (head[0] - 1) * 512
        if len(head) >= start + 4 and head[start + 3] in C3D_PROCESSORS:
            return "c3d", ".c3d"
    return None


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams an upload to a temporary file and stops it once it passes the size limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received += len(raw_data)
        if self._received > max_upload_bytes():
            self.request.groundup_upload_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def uploads_dir(draft_id: Any) -> Path:
    return location().data_dir / "uploads" / str(draft_id)


def keep_upload(source: Any, draft_id: Any, upload_id: Any) -> tuple[str, str, int, str]:
    """Check an uploaded file on its bytes and keep it; return (kind, suffix, size, sha256)."""
    size = int(source.size or 0)
    if size > max_upload_bytes():
        raise UploadError(
            f"The file is larger than {max_upload_bytes() // (1024 * 1024)} MB.",
            "Trim the clip to the walking part, or raise GROUNDUP_MAX_UPLOAD_MB.",
        )
    source.seek(0)
    head = source.read(HEAD_BYTES)
    kind = sniff_kind(head)
    if kind is None:
        raise UploadError(
            "The file is neither a video clip (MP4, MOV, WebM, AVI) nor a C3D recording.",
            "Upload the clip as the phone recorded it, or the C3D file of the lab trial.",
        )
    folder = uploads_dir(draft_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{upload_id}{kind[1]}"
    tmp = folder / f".incoming-{upload_id}"
    digest = hashlib.sha256()
    source.seek(0)
    with tmp.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return kind[0], kind[1], target.stat().st_size, digest.hexdigest()


def upload_path(draft_id: Any, upload_id: Any, suffix: str) -> Path:
    return uploads_dir(draft_id) / f"{upload_id}{suffix}"


def remove_draft_files(draft_id: Any) -> None:
    shutil.rmtree(uploads_dir(draft_id), ignore_errors=True)
