"""Key frames (video frames at gait events with the skeleton drawn) prepared for the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundup.report.deidentify import blur_faces
from groundup.report.held import write_now_or_held
from groundup.report.model import KeyFrame
from groundup.report.numbers import num

# Width of a key frame in the report: the size it is printed at (a third of the text width,
# about 58 mm, at about 210 dpi); larger frames are scaled down to it, never up.
KEY_FRAME_WIDTH_PX = 480
# Key frames are photographs: saved as JPEG, which the PDF printer embeds as it is (a PNG is
# decoded and compressed again there, 0.2-0.3 s for four frames) and which keeps the report's PDF
# small (the sample visit's 1.1 MB -> 0.44 MB). At this quality the compression is not visible at
# the printed size.
KEY_FRAME_JPEG_QUALITY = 90


def prepare_key_frames(
    key_frames: list[KeyFrame] | None, assets_dir: Path, deidentify: bool
) -> tuple[dict[int, list[dict[str, Any]]], list[str]]:
    """JPEG files per source recording, and notes about frames that could not be shown."""
    by_source: dict[int, list[dict[str, Any]]] = {}
    notes: list[str] = []
    for i, frame in enumerate(key_frames or []):
        image = np.asarray(frame.image)
        if image.ndim != 3 or image.shape[2] not in (3, 4) or image.size == 0:
            notes.append(f"Key frame '{frame.label}' was not shown: it is not a colour image.")
            continue
        image = image[:, :, :3].astype(np.uint8, copy=False)
        status = "not de-identified (option turned off)"
        if deidentify:
            if frame.faces_blurred:
                status = "face blurred before rendering"
            elif frame.face_points_px is not None and np.size(frame.face_points_px) > 0:
                image = blur_faces(image, frame.face_points_px)
                status = "face blurred"
            else:
                notes.append(
                    f"Key frame '{frame.label}' was left out: no face position was given, so the "
                    "face could not be blurred (turn de-identification off to show it)."
                )
                continue
        scale = KEY_FRAME_WIDTH_PX / image.shape[1]
        if scale < 1:
            image = cv2.resize(
                image,
                (int(image.shape[1] * scale), int(image.shape[0] * scale)),
                interpolation=cv2.INTER_AREA,
            )
        path = assets_dir / f"keyframe_{i + 1}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        write_now_or_held(lambda path=path, bgr=bgr: _write_jpeg(path, bgr))
        time_html = (
            num(frame.time_s, frame.time_src, 2, "s")
            if frame.time_s is not None and frame.time_src
            else (f"{frame.time_s:.2f} s" if frame.time_s is not None else "")
        )
        by_source.setdefault(frame.source_index, []).append(
            {
                "file": path.name,
                "label": frame.label,
                "side": frame.side or "",
                "event": (frame.event or "").replace("_", " "),
                "time": time_html,
                "status": status,
            }
        )
    return by_source, notes


def _write_jpeg(path: Path, bgr: np.ndarray) -> None:
    """Write one key frame (no metadata: OpenCV writes no EXIF); an error is raised, not lost."""
    if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, KEY_FRAME_JPEG_QUALITY]):
        raise OSError(f"could not write {path.name}")
