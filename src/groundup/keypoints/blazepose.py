"""MediaPipe BlazePose's 33 landmarks under GroundUp's canonical names.

Order and meaning from Bazarevsky V, Grishchenko I, Raveendran K, Zhu T, Zhang F, Grundmann M
(2020) BlazePose: On-device Real-time Body Pose tracking, arXiv:2006.10204 (fig. 4), and the
MediaPipe Pose documentation. ``foot_index`` (the tip of the foot, near the second toe) is
GroundUp's ``{side}_toe``. Face and hand points keep BlazePose's own names.
"""

from __future__ import annotations

BLAZEPOSE_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_toe",
    "right_toe",
)
"""Canonical name of each BlazePose landmark, in the model's output order (index 31/32 are
``left_foot_index`` / ``right_foot_index`` in BlazePose's own naming)."""
