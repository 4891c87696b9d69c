"""Keypoint test fixtures.

``data/sports2d_walker_blazepose.npz`` holds real BlazePose landmarks (stock MediaPipe 0.10.21,
model_complexity=1, on the lower part of each frame where the walker is) of the first 190 frames
of the Sports2D demo clip (sports2d==0.8.34, Sports2D/Demo/demo.mp4, BSD-3-Clause): arrays ``xy``
(frames, 33, 2) in image pixels, ``confidence`` (frames, 33), ``fps`` and ``size`` (w, h).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from groundup.keypoints.blazepose import BLAZEPOSE_NAMES
from groundup.trial import Trial

DATA = Path(__file__).parent / "data"

# Walker initial contacts of sports2d_demo.mp4 (ANNOTATIONS.md, revision of 2026-12-02; sides and
# toe offs in video_reference_events.py).
SPORTS2D_IC_FRAMES = (42, 61, 80, 99, 117, 135, 153, 172, 190)


def blazepose_trial(xy: np.ndarray, conf: np.ndarray, fps: float, size: tuple[int, int]) -> Trial:
    return Trial(
        points={n: xy[:, i].astype(float) for i, n in enumerate(BLAZEPOSE_NAMES)},
        point_rate_hz=float(fps),
        point_units="px",
        point_labels={n: n for n in BLAZEPOSE_NAMES},
        source_kind="video",
        point_confidence={n: conf[:, i].astype(float) for i, n in enumerate(BLAZEPOSE_NAMES)},
        image_size_px=size,
    )


@pytest.fixture(scope="session")
def sports2d_landmarks() -> Trial:
    d = np.load(DATA / "sports2d_walker_blazepose.npz")
    return blazepose_trial(
        d["xy"], d["confidence"], float(d["fps"]), (int(d["size"][0]), int(d["size"][1]))
    )


def video_front_end_available() -> bool:
    return (
        importlib.util.find_spec("groundup.video.pose_run") is not None
        if (importlib.util.find_spec("groundup.video") is not None)
        else False
    )
