"""De-identification of every picture GroundUp writes (the annotated video, the report's key
frames).

Every face is hidden, not only the patient's: the heads the analysis knows (the subject's face
landmarks; every person the person detector tracked, their head located from the detector's
trunk keypoints, :mod:`groundup.privacy.heads`) and every face a face detector finds in the
picture (:mod:`groundup.privacy.face_finder`; followed through a video by
:mod:`groundup.privacy.face_tracks`). Hiding is a coarse pixelation plus blur
(:mod:`groundup.privacy.pixelate`).
"""

from __future__ import annotations

import numpy as np

from groundup.privacy.face_finder import find_faces_px
from groundup.privacy.face_tracks import widened
from groundup.privacy.pixelate import face_box_px, pixelate_boxes, pixelate_regions


def hide_every_face(
    image: np.ndarray,
    face_points_px: np.ndarray | list[np.ndarray] | None = None,
    in_place: bool = False,
    find_more: bool = True,
    boxes_px: list[np.ndarray] | None = None,
) -> np.ndarray:
    """``image`` with every face hidden: the given face landmarks (one (n, 2) point array per
    person, pixels), the given head boxes (x0, y0, x1, y1) and, with ``find_more``, every face
    the face detector finds in the picture (searched before anything is hidden). A copy, or
    ``image`` itself when ``in_place``."""
    if face_points_px is None:
        regions: list[np.ndarray] = []
    elif isinstance(face_points_px, list):
        regions = list(face_points_px)
    else:
        regions = [face_points_px]
    boxes = list(boxes_px or [])
    if find_more:
        boxes += [widened(box) for box in find_faces_px(image)]
    out = image if in_place else np.array(image, dtype=np.uint8, copy=True)
    if regions:
        pixelate_regions(out, regions, in_place=True)
    if boxes:
        pixelate_boxes(out, boxes, in_place=True)
    return out


blur_faces = hide_every_face
"""The name the report and the video front end use (kept for their imports)."""

__all__ = [
    "blur_faces",
    "face_box_px",
    "find_faces_px",
    "hide_every_face",
    "pixelate_boxes",
    "pixelate_regions",
]
