"""Frontal-plane angles of a single-leg squat from 2-D keypoints (video pipeline output).

At the deepest frame of the squat (the stance-side hip lowest in the image) three angles are
measured in the image plane:

- **knee frontal-plane projection angle (FPPA)**: 180 deg minus the hip-knee-ankle angle of the
  stance leg; positive when the knee lies medial of the hip-ankle line (towards the mid-hip point,
  i.e. dynamic valgus), negative when lateral (Gwynne & Curran 2014, Int J Sports Phys Ther
  9(7):898-906, who used the thigh and shank lines of the same landmarks).
- **pelvic drop**: angle of the left-hip/right-hip line to the image horizontal; positive when the
  non-stance hip is lower than the stance hip.
- **trunk lean**: angle of the mid-hip to mid-shoulder line to the image vertical; positive when
  the shoulders are displaced towards the stance side.

Keypoints CSV (one header line): ``stance_side, frame`` and ``<landmark>_x, <landmark>_y`` for
left/right hip, knee, ankle and shoulder, in image pixels with y pointing down. Rows of both stance
sides may be in one file. These angles depend on camera alignment: the camera must face the
patient at knee height.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from groundup.errors import InputError

LANDMARKS = ("hip", "knee", "ankle", "shoulder")


def _angle_deg(v1: np.ndarray, v2: np.ndarray) -> float:
    c = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def knee_fppa_deg(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, midline: np.ndarray
) -> float:
    """Signed frontal-plane projection angle (deg); positive = knee medial of the hip-ankle line."""
    magnitude = 180.0 - _angle_deg(hip - knee, ankle - knee)
    line = ankle - hip
    cross_knee = line[0] * (knee - hip)[1] - line[1] * (knee - hip)[0]
    cross_mid = line[0] * (midline - hip)[1] - line[1] * (midline - hip)[0]
    return magnitude if cross_knee * cross_mid > 0 else -magnitude


def pelvic_drop_deg(stance_hip: np.ndarray, other_hip: np.ndarray) -> float:
    """Angle of the hip line to the horizontal; positive = non-stance hip lower (image y down)."""
    d = other_hip - stance_hip
    return float(np.degrees(np.arctan2(d[1], abs(d[0]))))


def trunk_lean_deg(
    stance_hip: np.ndarray,
    other_hip: np.ndarray,
    stance_shoulder: np.ndarray,
    other_shoulder: np.ndarray,
) -> float:
    """Angle of the mid-hip to mid-shoulder line to the vertical; positive = towards stance side."""
    mid_hip = (stance_hip + other_hip) / 2
    mid_sh = (stance_shoulder + other_shoulder) / 2
    up = mid_sh - mid_hip
    towards_stance = np.sign(stance_hip[0] - other_hip[0]) or 1.0
    return float(np.degrees(np.arctan2(up[0] * towards_stance, -up[1])))


def squat_angles(points: dict[str, np.ndarray], stance: str) -> dict[str, float]:
    """Angles at the deepest frame; ``points[f"{side}_{landmark}"]`` are ``(n, 2)`` pixel arrays."""
    other = "right" if stance == "left" else "left"
    deepest = int(np.nanargmax(points[f"{stance}_hip"][:, 1]))
    p = {k: v[deepest] for k, v in points.items()}
    mid_hip = (p["left_hip"] + p["right_hip"]) / 2
    return {
        "deepest_frame": float(deepest),
        "knee_fppa_deg": knee_fppa_deg(
            p[f"{stance}_hip"], p[f"{stance}_knee"], p[f"{stance}_ankle"], mid_hip
        ),
        "pelvic_drop_deg": pelvic_drop_deg(p[f"{stance}_hip"], p[f"{other}_hip"]),
        "trunk_lean_deg": trunk_lean_deg(
            p[f"{stance}_hip"], p[f"{other}_hip"], p[f"{stance}_shoulder"], p[f"{other}_shoulder"]
        ),
    }


def squat_angles_from_csv(path: Path) -> dict[str, dict[str, float]]:
    """Angles per stance side from a keypoints CSV (format in the module docstring)."""
    if not path.exists():
        raise InputError(
            f"Keypoints file {path.name} not found.", "Check the path in the exam file."
        )
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    needed = ["stance_side", "frame"] + [
        f"{s}_{lm}_{c}" for s in ("left", "right") for lm in LANDMARKS for c in "xy"
    ]
    missing = [c for c in needed if not rows or c not in rows[0]]
    if missing:
        raise InputError(
            f"{path.name} lacks the keypoint columns: {', '.join(missing)}.",
            "See docs/exam.md (single-leg squat keypoints) for the columns.",
        )
    out: dict[str, dict[str, float]] = {}
    for stance in ("left", "right"):
        sel = [r for r in rows if r["stance_side"].strip().lower() == stance]
        if not sel:
            continue
        try:
            pts = {
                f"{s}_{lm}": np.array(
                    [[float(r[f"{s}_{lm}_x"]), float(r[f"{s}_{lm}_y"])] for r in sel]
                )
                for s in ("left", "right")
                for lm in LANDMARKS
            }
        except ValueError:
            raise InputError(
                f"{path.name} holds a keypoint that is not a number.",
                "Leave no empty cells (drop frames without keypoints).",
            ) from None
        out[stance] = squat_angles(pts, stance)
    return out
