"""The face detector GroundUp runs directly on MediaPipe's full-range model file finds the same
faces as MediaPipe's own face-detection solution on a frame of the sample clip."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

# Frame 60 of sports2d_demo.mp4 scaled to 1280 px: MediaPipe's FaceDetection solution
# (model_selection=1, the same model file through MediaPipe's graph), run on 160-px tiles,
# found the bystander on the box at x 441-464, y 88-111 and the walker at x 991-1019,
# y 409-437 (face centres below).
BYSTANDER_CENTRE_PX = (452.0, 100.0)
WALKER_CENTRE_PX = (1005.0, 423.0)
TOLERANCE_PX = 8.0


def test_sweep_finds_the_faces_mediapipe_finds(shared_data: Path) -> None:
    from groundup.privacy.face_finder import FaceFinder
    from groundup.video.decode import iter_frames

    clip = shared_data / "video" / "sports2d_demo.mp4"
    frame = next(vf.image for vf in iter_frames(clip, stop_after=60) if vf.index == 60)
    height, width = frame.shape[:2]
    small = cv2.resize(frame, (1280, round(height * 1280 / width)), interpolation=cv2.INTER_AREA)
    finder = FaceFinder()
    faces = finder.sweep(small)
    centres = [face.centre for face in faces]
    for expected in (BYSTANDER_CENTRE_PX, WALKER_CENTRE_PX):
        distances = [float(np.hypot(*(c - expected))) for c in centres]
        assert distances and min(distances) <= TOLERANCE_PX, (expected, centres)
    assert finder.runs <= 20  # the whole frame and 15 tiles, not the 120 tiles of before
    # Followed from there: the bystander's face is found again in a crop around it.
    near = finder.near(small, np.array(BYSTANDER_CENTRE_PX), 100.0)
    assert any(np.hypot(*(f.centre - BYSTANDER_CENTRE_PX)) <= TOLERANCE_PX for f in near)
