"""The keypoints a perfect pose model would give, in 3-D, from a lab marker trial.

A pose model (BlazePose, OpenPose) places its hip, knee and ankle keypoints near the joint
centres, the heel at the back of the heel and the foot tip at the toes. From a conventional gait
model (CGM1 / Plug-in Gait) marker set the same points are (docs/virtual-camera.md):

- ``{side}_hip``: the CGM1 hip joint centre (Davis et al. 1991 regression in the pelvis frame,
  :func:`groundup.kinematics.cgm1.hip_joint_centres`);
- ``{side}_knee``: the CGM1 knee joint centre (chord function with the thigh wand, else the knee
  marker moved medially by half the knee width plus the marker radius);
- ``{side}_ankle``: the CGM1 ankle joint centre (chord function with the tibia wand, else the
  mid-point of the malleoli, else the ankle marker moved medially);
- ``{side}_heel``, ``{side}_toe``: the heel and toe (forefoot) markers;
- ``{side}_shoulder``: the shoulder (acromion) marker ``LSHO``/``RSHO``;
- ``nose``, ``{side}_eye``, ``{side}_ear``: from the head markers (``LFHD``, ``RFHD``,
  ``LBHD``, ``RBHD``): eyes at the front head markers, ears half-way between front and back,
  the nose at the middle of the front head markers;
- ``{side}_elbow``, ``{side}_wrist``: ``LELB`` and the mid-point of ``LWRA``/``LWRB`` where present.

The joint centres repeat the steps of :func:`groundup.kinematics.cgm1.compute_cgm1_angles` on the
unfiltered markers (that function returns angles only; the keypoints must not be low-passed
before the pipeline does its own filtering). Where a marker set has no head or no shoulders (lower-
body sets), **stand-ins** are placed so that the keypoint pipeline can size the body (it needs a
head) and draw the trunk line (it needs shoulders): the eyes above the mid-hip at eye height, the
shoulders on the thorax markers (``C7``/``CLAV``) or, without them, above the mid-hip at shoulder
height (an upright trunk), half a biacromial breadth either side along the pelvis's left-right
axis. Stature ratios: ``validation/virtual_camera.yaml`` (Drillis & Contini 1966, Winter 2009).
Every stand-in is listed in :attr:`BodyKeypoints.stand_ins`; results that depend on one (the 2-D
hip angle depends on the trunk line) say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from groundup.errors import InputError, MissingMarkersError
from groundup.gait.progression import detect_vertical_axis
from groundup.kinematics.anthropometry import read_c3d_processing, resolve_anthropometry
from groundup.kinematics.cgm1 import find_wand, hip_joint_centres
from groundup.kinematics.frames import chord_joint_centre, unit
from groundup.signal.gaps import fill_gaps
from groundup.trial import SIDES, Trial
from groundup.yaml_files import parse_yaml

# Marker gaps bridged before joint centres are built (as the conventional gait model does).
_MAX_GAP_S = 0.1


@cache
def virtual_camera_data() -> dict[str, Any]:
    """``validation/virtual_camera.yaml``: default cameras and the stand-ins' stature ratios."""
    text = (files("groundup") / "validation" / "virtual_camera.yaml").read_text(encoding="utf-8")
    return dict(parse_yaml(text))


@dataclass
class WalkerFrame:
    """The walk's own axes in the lab: unit ``forward`` (horizontal travel), ``left``, ``up``;
    ``centre_m`` the mean mid-hip position, ``floor_m`` the floor height along ``up``."""

    forward: np.ndarray
    left: np.ndarray
    up: np.ndarray
    centre_m: np.ndarray
    floor_m: float

    def height_above_floor(self, points_m: np.ndarray) -> np.ndarray:
        return points_m @ self.up - self.floor_m


@dataclass
class BodyKeypoints:
    """3-D keypoints (lab frame, metres, the trial's frames) under BlazePose-like names."""

    points_m: dict[str, np.ndarray]
    rate_hz: float
    frame: WalkerFrame
    stature_m: float
    sources: dict[str, str] = field(default_factory=dict)
    stand_ins: tuple[str, ...] = ()

    @property
    def n_frames(self) -> int:
        return int(next(iter(self.points_m.values())).shape[0])


def _label_key(label: str) -> str:
    return "".join(ch for ch in label.split(":")[-1].lower() if ch.isalnum())


def find_marker(trial: Trial, *labels: str) -> np.ndarray | None:
    """A marker by its source label (``LSHO``, ``IS070607:LSHO`` ...), or None when absent/empty."""
    wanted = {_label_key(label) for label in labels}
    for name, arr in trial.points.items():
        label = _label_key(trial.point_labels.get(name, name))
        named = label in wanted or _label_key(name) in wanted
        if named and np.isfinite(arr).all(axis=1).any():
            return np.asarray(arr, dtype=float)[:, :3]
    return None


def _joint_centres(
    trial: Trial, processing: dict[str, float]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """CGM1 hip, knee and ankle joint centres per side (see the module docstring), and the
    pelvis's left-pointing axis per frame."""
    missing = trial.missing(("left_asis", "right_asis"))
    if not (trial.has("sacrum") or (trial.has("left_psis") and trial.has("right_psis"))):
        missing.append("sacrum (or both PSIS)")
    for side in SIDES:
        missing += trial.missing([f"{side}_{m}" for m in ("knee", "ankle", "heel", "toe")])
    if missing:
        raise MissingMarkersError(
            "Virtual-camera keypoints", missing, ["the marker trial's own gait analysis"]
        )
    pts = {n: np.asarray(a, dtype=float)[:, :3] for n, a in trial.points.items()}
    anthro = resolve_anthropometry(trial, processing)
    origin = 0.5 * (pts["left_asis"] + pts["right_asis"])
    back = pts.get("sacrum")
    if back is None or not np.isfinite(back).all(axis=1).any():
        back = 0.5 * (pts["left_psis"] + pts["right_psis"])
    y_axis = unit(pts["left_asis"] - pts["right_asis"])
    z_axis = unit(np.cross(origin - back, y_axis))
    pelvis = np.stack([np.cross(y_axis, z_axis), y_axis, z_axis], axis=-1)
    hjc = hip_joint_centres(pelvis, origin, anthro)
    radius = anthro.marker_diameter_m / 2.0
    out: dict[str, np.ndarray] = {}
    for side in SIDES:
        sign = 1.0 if side == "left" else -1.0
        medial = -sign * pelvis[:, :, 1]
        knee, ankle = pts[f"{side}_knee"], pts[f"{side}_ankle"]
        knee_offset = anthro.knee_width_m[side] / 2.0 + radius
        thigh_wand = find_wand(trial, f"{side}_thigh_wand")
        if thigh_wand is not None:
            kjc = chord_joint_centre(thigh_wand[:, :3], hjc[side], knee, knee_offset)
        else:
            kjc = knee + knee_offset * medial
        ankle_offset = anthro.ankle_width_m[side] / 2.0 + radius
        tibia_wand = find_wand(trial, f"{side}_tibia_wand")
        medial_ankle = pts.get(f"{side}_medial_ankle")
        if tibia_wand is not None:
            ajc = chord_joint_centre(tibia_wand[:, :3], kjc, ankle, ankle_offset)
        elif medial_ankle is not None and np.isfinite(medial_ankle).all(axis=1).any():
            ajc = 0.5 * (ankle + medial_ankle)
        else:
            ajc = ankle + ankle_offset * medial
        out[f"{side}_hip"], out[f"{side}_knee"], out[f"{side}_ankle"] = hjc[side], kjc, ajc
    return out, y_axis


def _walker_frame(trial: Trial, hips: np.ndarray, feet: list[np.ndarray]) -> WalkerFrame:
    axis, sign = detect_vertical_axis(trial, hips)
    up = np.zeros(3)
    up[axis] = sign
    valid = np.flatnonzero(np.isfinite(hips).all(axis=1))
    travel = hips[valid[-1]] - hips[valid[0]]
    travel = travel - (travel @ up) * up
    forward = travel / np.linalg.norm(travel)
    left = np.cross(up, forward)
    heights = np.concatenate([f @ up for f in feet])
    floor = float(np.nanpercentile(heights, 1))
    return WalkerFrame(forward, left, up, np.nanmean(hips, axis=0), floor)


def _stature_m(trial: Trial, frame: WalkerFrame, hips: np.ndarray) -> tuple[float, str]:
    if trial.subject.height_m:
        return float(trial.subject.height_m), "stored height"
    ratio = float(virtual_camera_data()["stand_ins"]["hip_height_fraction_of_stature"])
    hip_height = float(np.nanpercentile(frame.height_above_floor(hips), 95))
    return hip_height / ratio, "hip joint centre height / 0.530"


def body_keypoints(trial: Trial) -> BodyKeypoints:
    """The 3-D keypoints of a marker trial (metres; see the module docstring).

    Raises :class:`~groundup.errors.MissingMarkersError` when the pelvis (ASIS and sacrum or
    PSIS), knee, ankle, heel or toe markers of either side are missing, and
    :class:`~groundup.errors.InputError` for a 2-D trial.
    """
    if trial.n_dims != 3:
        raise InputError(
            "The virtual camera films 3-D lab markers; this trial is 2-D keypoints already.",
            "Give a C3D or TRC marker trial (metres) with pelvis, knee, ankle, heel and toe "
            "markers.",
        )
    trial = fill_gaps(trial, _MAX_GAP_S)
    processing: dict[str, float] = {}
    if trial.source_kind == "c3d" and trial.source_path and Path(trial.source_path).exists():
        processing = read_c3d_processing(trial.source_path)
    centres, left_axis = _joint_centres(trial, processing)
    points: dict[str, np.ndarray] = dict(centres)
    sources = {
        f"{s}_{j}": f"CGM1 {j} joint centre" for s in SIDES for j in ("hip", "knee", "ankle")
    }
    for side in SIDES:
        for part in ("heel", "toe"):
            points[f"{side}_{part}"] = np.asarray(trial.points[f"{side}_{part}"], float)[:, :3]
            sources[f"{side}_{part}"] = f"{trial.describe_label(f'{side}_{part}')} marker"
    mid_hip = 0.5 * (points["left_hip"] + points["right_hip"])
    feet = [points[f"{s}_{p}"] for s in SIDES for p in ("heel", "toe")]
    frame = _walker_frame(trial, mid_hip, feet)
    stature, stature_basis = _stature_m(trial, frame, mid_hip)
    ratios = virtual_camera_data()["stand_ins"]
    stand_ins: list[str] = []

    def above_mid_hip(fraction: float) -> np.ndarray:
        hip_height = frame.height_above_floor(mid_hip)[:, None]
        return mid_hip + (fraction * stature - hip_height) * frame.up

    for side, prefix in (("left", "L"), ("right", "R")):
        shoulder = find_marker(trial, f"{prefix}SHO")
        if shoulder is not None:
            points[f"{side}_shoulder"] = shoulder
            sources[f"{side}_shoulder"] = f"{prefix}SHO marker"
        elbow = find_marker(trial, f"{prefix}ELB")
        if elbow is not None:
            points[f"{side}_elbow"] = elbow
            sources[f"{side}_elbow"] = f"{prefix}ELB marker"
        wrist_a, wrist_b = find_marker(trial, f"{prefix}WRA"), find_marker(trial, f"{prefix}WRB")
        if wrist_a is not None and wrist_b is not None:
            points[f"{side}_wrist"] = 0.5 * (wrist_a + wrist_b)
            sources[f"{side}_wrist"] = f"mid-point of {prefix}WRA and {prefix}WRB"
    if "left_shoulder" not in points or "right_shoulder" not in points:
        c7, clav = find_marker(trial, "C7"), find_marker(trial, "CLAV")
        if c7 is not None and clav is not None:
            mid_shoulder, how = 0.5 * (c7 + clav), "C7/CLAV mid-point"
        else:
            mid_shoulder = above_mid_hip(float(ratios["shoulder_height_fraction_of_stature"]))
            how = "above the mid-hip at shoulder height (upright trunk)"
        half = 0.5 * float(ratios["shoulder_breadth_fraction_of_stature"]) * stature
        for side, sign in (("left", 1.0), ("right", -1.0)):
            points[f"{side}_shoulder"] = mid_shoulder + sign * half * left_axis
            sources[f"{side}_shoulder"] = f"stand-in: {how}, half a shoulder breadth out"
            stand_ins.append(f"{side}_shoulder")
    head = {k: find_marker(trial, k) for k in ("LFHD", "RFHD", "LBHD", "RBHD")}
    if all(v is not None for v in head.values()):
        lf, rf, lb, rb = (head[k] for k in ("LFHD", "RFHD", "LBHD", "RBHD"))
        points.update(
            left_eye=lf, right_eye=rf, left_ear=0.5 * (lf + lb), right_ear=0.5 * (rf + rb),
            nose=0.5 * (lf + rf),
        )  # fmt: skip
        sources.update({n: "head markers" for n in ("left_eye", "right_eye", "left_ear",
                                                    "right_ear", "nose")})  # fmt: skip
    else:
        eyes = above_mid_hip(float(ratios["eye_height_fraction_of_stature"]))
        for name in ("left_eye", "right_eye"):
            points[name] = eyes.copy()
            sources[name] = f"stand-in: above the mid-hip at eye height ({stature_basis})"
            stand_ins.append(name)
    return BodyKeypoints(
        points_m=points,
        rate_hz=trial.point_rate_hz,
        frame=frame,
        stature_m=stature,
        sources=sources,
        stand_ins=tuple(stand_ins),
    )
