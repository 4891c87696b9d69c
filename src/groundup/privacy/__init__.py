"""De-identification of every picture GroundUp writes (the annotated video, the report's key
frames).

Every face is hidden, not only the patient's: the regions the caller knows (the subject's face
landmarks, the head of every person the person detector tracks) and, on top, every face a face
detector finds in the picture that no tracked person accounts for
(:mod:`groundup.privacy.face_finder`). Hiding is a coarse pixelation plus blur
(:mod:`groundup.privacy.pixelate`).
"""

from __future__ import annotations

import numpy as np

from groundup.privacy.face_finder import find_faces_px
from groundup.privacy.pixelate import face_box_px, pixelate_regions


def hide_every_face(
    image: np.ndarray,
    face_points_px: np.ndarray | list[np.ndarray] | None = None,
    in_place: bool = False,
    find_more: bool = True,
) -> np.ndarray:
    """``image`` with every face hidden: the given regions (one (n, 2) point array per person,
    pixels) and, with ``find_more``, every face the face detector finds in it. A copy, or
    ``image`` itself when ``in_place``."""
    if face_points_px is None:
        regions: list[np.ndarray] = []
    elif isinstance(face_points_px, list):
        regions = list(face_points_px)
    else:
        regions = [face_points_px]
    out = pixelate_regions(image, regions, in_place=in_place) if regions else image
    if not in_place and out is image:
        out = np.array(image, dtype=np.uint8, copy=True)
    if find_more:
        found = find_faces_px(out)
        if found:
            pixelate_regions(out, found, in_place=True)
    return out


blur_faces = hide_every_face
"""The name the report and the video front end use (kept for their imports)."""

__all__ = ["blur_faces", "face_box_px", "find_faces_px", "hide_every_face", "pixelate_regions"]
