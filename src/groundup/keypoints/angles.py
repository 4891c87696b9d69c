"""Joint and segment angles from 2-D keypoints, per frame, for the variables a view can measure.

All angles are projections on the image plane (docs/video-gait.md gives each definition, its
source and its known accuracy). Keys are ``{side}_{joint}_{motion}_deg`` or
``{segment}_{motion}_deg``; values are arrays of the trial's length, NaN where a keypoint is not
seen.

Sagittal (side view), in a walker frame with X forward (the walking direction) and Y up:

- ``{side}_hip_flexion_deg``: thigh (hip->knee) relative to the trunk's downward line
  (mid-shoulder->mid-hip), positive when the knee is in front (flexion);
- ``{side}_knee_flexion_deg``: angle between the thigh and the shank (knee->ankle), 0 when
  straight, positive in flexion;
- ``{side}_ankle_dorsiflexion_deg``: foot line (heel->toe) relative to the perpendicular of the
  shank, positive when the toes come up (dorsiflexion), 0 with the shank upright and the foot flat;
- ``trunk_flexion_deg``: trunk (mid-hip->mid-shoulder) from the vertical, positive leaning
  forward.

These are the 2-D definitions Stenum et al. (2021, PLoS Comput Biol 17:e1008935) computed from
OpenPose keypoints and compared with 3-D motion capture.

Frontal (rear or front view):

- ``pelvis_obliquity_deg``: hip line from the image horizontal, positive when the left hip is
  higher than the right;
- ``trunk_lateral_lean_deg``: trunk (mid-hip->mid-shoulder) from the vertical, positive leaning to
  the subject's left;
- ``{side}_knee_fppa_deg``: knee frontal-plane projection angle, 180 degrees minus the hip-knee-
  ankle angle, positive when the knee lies medial of the hip-ankle line (valgus), negative lateral
  (varus) (Munro A, Herrington L, Carolan M (2012) Reliability of 2-dimensional video assessment
  of frontal-plane dynamic knee valgus during common athletic screening tasks. J Sport Rehabil
  21(1):7-11);
- ``{side}_rearfoot_eversion_deg`` (rear view only): heel line (ankle->heel) relative to the shank
  (knee->ankle), positive when the heel points laterally (eversion). Keypoint heels are not
  calcaneal bisection lines: this is a coarse proxy.
"""

from __future__ import annotations

import numpy as np

from groundup.gait.progression import FRONTAL_VIEWS
from groundup.trial import SIDES, Trial


def _p(trial: Trial, name: str) -> np.ndarray:
    arr = trial.points.get(name)
    if arr is None:
        return np.full((trial.n_frames, 2), np.nan)
    return np.asarray(arr, dtype=float)[:, :2]


def _mid(trial: Trial, part: str) -> np.ndarray:
    return 0.5 * (_p(trial, f"left_{part}") + _p(trial, f"right_{part}"))


def _angle(v: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(v[:, 1], v[:, 0]))


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + 180.0) % 360.0 - 180.0


def _walker_frame(trial: Trial, forward_sign: float) -> dict[str, np.ndarray]:
    """Keypoints in a frame with X forward and Y up (image y points down)."""
    out = {}
    for name, arr in trial.points.items():
        xy = np.asarray(arr, dtype=float)[:, :2]
        out[name] = np.column_stack([forward_sign * xy[:, 0], -xy[:, 1]])
    return out


def sagittal_angles(trial: Trial, forward_sign: float) -> dict[str, np.ndarray]:
    """Sagittal angles; ``forward_sign`` +1 when walking toward image right, -1 toward left."""
    p = _walker_frame(trial, forward_sign)
    nan = np.full((trial.n_frames, 2), np.nan)

    def get(name: str) -> np.ndarray:
        return p.get(name, nan)

    hip_mid = 0.5 * (get("left_hip") + get("right_hip"))
    shoulder_mid = 0.5 * (get("left_shoulder") + get("right_shoulder"))
    trunk_down = _angle(hip_mid - shoulder_mid)
    out: dict[str, np.ndarray] = {}
    for side in SIDES:
        thigh = _angle(get(f"{side}_knee") - get(f"{side}_hip"))
        shank = _angle(get(f"{side}_ankle") - get(f"{side}_knee"))
        foot = _angle(get(f"{side}_toe") - get(f"{side}_heel"))
        out[f"{side}_hip_flexion_deg"] = _wrap(thigh - trunk_down)
        out[f"{side}_knee_flexion_deg"] = _wrap(thigh - shank)
        out[f"{side}_ankle_dorsiflexion_deg"] = _wrap(foot - shank - 90.0)
    trunk_up = shoulder_mid - hip_mid
    out["trunk_flexion_deg"] = np.degrees(np.arctan2(trunk_up[:, 0], trunk_up[:, 1]))
    return out


def frontal_angles(trial: Trial, view: str) -> dict[str, np.ndarray]:
    """Frontal-plane angles in a rear (``frontal_posterior``) or front view."""
    left_hip, right_hip = _p(trial, "left_hip"), _p(trial, "right_hip")
    # Unit vector toward the subject's left in image x: image left from behind, right in front.
    to_left = -1.0 if view == "frontal_posterior" else 1.0
    out: dict[str, np.ndarray] = {}
    hip_line = (left_hip - right_hip) * np.array([to_left, 1.0])
    # Image y points down: the left hip higher means a smaller y.
    out["pelvis_obliquity_deg"] = np.degrees(np.arctan2(-hip_line[:, 1], hip_line[:, 0]))
    trunk = _mid(trial, "shoulder") - _mid(trial, "hip")
    out["trunk_lateral_lean_deg"] = np.degrees(np.arctan2(to_left * trunk[:, 0], -trunk[:, 1]))
    for side in SIDES:
        hip, knee, ankle = (_p(trial, f"{side}_{j}") for j in ("hip", "knee", "ankle"))
        thigh, shank = knee - hip, ankle - knee
        bend = _wrap(_angle(shank) - _angle(thigh))  # 0 when straight
        # Medial is toward the other hip: -to_left for the left side, +to_left for the right.
        medial_x = -to_left if side == "left" else to_left
        # The knee is medial of the hip-ankle line when the leg bends toward lateral at the knee;
        # in image coordinates (y down) a bend of the shank toward +x is a negative angle change
        # for a downward thigh. Sign it so that "knee medial" is positive.
        line = ankle - hip
        offset = (knee - hip)[:, 0] - line[:, 0] * _ratio(knee - hip, line)
        out[f"{side}_knee_fppa_deg"] = np.abs(bend) * np.sign(offset * medial_x)
        if view == "frontal_posterior":
            heel = _p(trial, f"{side}_heel")
            rear = _wrap(_angle(heel - ankle) - _angle(shank))
            # Heel pointing lateral (away from the midline) relative to the shank = eversion.
            lateral_x = -medial_x
            out[f"{side}_rearfoot_eversion_deg"] = -rear * lateral_x
    return out


def _ratio(v: np.ndarray, line: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return v[:, 1] / line[:, 1]


def keypoint_angles(trial: Trial, view: str, direction: str | None = None) -> dict[str, np.ndarray]:
    """The angle time series the view measures, sampled at the trial's frames.

    ``view`` is ``"sagittal"``, ``"frontal_posterior"`` or ``"frontal_anterior"``; for side views
    ``direction`` (``"left_to_right"`` / ``"right_to_left"``) sets which way is forward
    (found from the pelvis's travel when not given). Keys and definitions: module docstring.
    """
    if view in FRONTAL_VIEWS:
        return frontal_angles(trial, view)
    if direction not in ("left_to_right", "right_to_left"):
        pelvis_x = _mid(trial, "hip")[:, 0]
        idx = np.flatnonzero(np.isfinite(pelvis_x))
        slope = np.polyfit(idx, pelvis_x[idx], 1)[0] if idx.size > 1 else 1.0
        direction = "left_to_right" if slope >= 0 else "right_to_left"
    return sagittal_angles(trial, 1.0 if direction == "left_to_right" else -1.0)
