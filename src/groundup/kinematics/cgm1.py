"""Lower-limb joint angles from C3D markers with the conventional gait model (CGM1 / Plug-in Gait).

Segments (Davis RB, Ounpuu S, Tyburski D, Gage JR (1991) A gait analysis data collection and
reduction technique. Hum Mov Sci 10:575-587; Kadaba MP, Ramakrishnan HK, Wootten ME (1990)
Measurement of lower extremity kinematics during level walking. J Orthop Res 8:383-392; Vicon
Plug-in Gait Reference Guide; Leboeuf F et al. (2019) The conventional gait model, an open-source
implementation that reproduces the past but prepares for the future. Gait Posture 69:235-241,
i.e. pyCGM2's CGM1.0). Every segment frame has X anterior, Y to the subject's left, Z proximal:

- pelvis: origin mid-ASIS; Y from the right to the left ASIS; X towards mid-ASIS from the sacrum
  (the SACR marker, or the mid-PSIS point), made normal to Y;
- hip joint centre: the Davis et al. (1991) regression in the pelvis frame (mean leg length,
  inter-ASIS distance, ASIS-trochanter distance, marker radius; see :func:`hip_joint_centres`);
- knee joint centre: the chord function with the thigh wand (THI), the hip centre and the knee
  marker (KNE), at half the knee width plus the marker radius from KNE; without a thigh wand the
  KNE marker is moved medially by that offset along the pelvis's left-right axis (a documented
  simplification);
- ankle joint centre: the chord function with the tibia wand (TIB), the knee centre and the
  ankle marker (ANK); without a wand the mid-point of lateral and medial malleoli when a medial
  ankle marker exists, else ANK moved medially along the pelvis axis;
- thigh: Z from knee to hip centre, Y from the plane of the hip centre, knee centre and KNE;
  shank: Z from ankle to knee centre, Y from the plane with ANK;
- foot: the heel-to-toe line (HEE -> TOE), which is Plug-in Gait's foot axis after its static
  calibration aligns the foot with the heel-toe line (no static trial is needed or used; the
  "flat foot" static option is not reproduced).

Angles (degrees), each as ``{side}_{joint}_{motion}_deg``; signs follow Plug-in Gait and the
Schwartz et al. (2008) normative tables:

- ``pelvis_tilt`` (anterior +), ``pelvis_obliquity`` (this side up +), ``pelvis_rotation``
  (this side forward / internal +): pelvis relative to the progression frame. Plug-in Gait
  reports the pelvis per side: tilt is the same on both sides, obliquity and rotation change sign;
- ``hip_flexion`` (+ flexion), ``hip_adduction`` (+ adduction), ``hip_rotation`` (+ internal):
  thigh relative to pelvis;
- ``knee_flexion`` (+ flexion), ``knee_varus`` (+ varus / adduction), ``knee_rotation``
  (+ internal): shank relative to thigh;
- ``ankle_dorsiflexion`` (+ dorsiflexion): the foot's heel-toe line relative to the shank, in the
  shank's sagittal plane, 0 when the foot is perpendicular to the shank;
- ``foot_progression`` (+ internal / toeing in): the heel-toe line in the horizontal plane of the
  progression frame.

Joint angles are Cardan angles in the order flexion, ab/adduction, rotation (Y, X, Z), as in
Kadaba et al. (1990) and Plug-in Gait. The progression frame is the lab axis along which the
pelvis travels furthest (sign included), with the lab's vertical, as Plug-in Gait chooses it.

Markers are gap-filled (gaps up to 0.1 s) and low-pass filtered at 6 Hz (zero-lag Butterworth,
Winter 2009) before segments are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groundup.errors import MissingMarkersError, QualityIssue
from groundup.gait.progression import detect_vertical_axis
from groundup.kinematics.anthropometry import (
    Anthropometry,
    read_c3d_processing,
    resolve_anthropometry,
)
from groundup.kinematics.frames import (
    cardan_yxz_deg,
    chord_joint_centre,
    frame_from_yz,
    relative_rotation,
    unit,
)
from groundup.signal.filters import butterworth_lowpass
from groundup.signal.gaps import fill_gaps
from groundup.trial import SIDES, Trial

# Wand markers are not canonical landmarks: they keep their source label in the Trial. Labels are
# compared without a subject prefix, case and separators (as io/labels.py does for landmarks).
WAND_LABELS: dict[str, tuple[str, ...]] = {
    "left_thigh_wand": ("lthi", "lthigh", "lthighwand"),
    "right_thigh_wand": ("rthi", "rthigh", "rthighwand"),
    "left_tibia_wand": ("ltib", "lsha", "lshank", "ltibia", "ltibiawand"),
    "right_tibia_wand": ("rtib", "rsha", "rshank", "rtibia", "rtibiawand"),
}

# Davis et al. (1991) hip-centre regression constants (Plug-in Gait Reference Guide; pyCGM2).
_DAVIS_THETA_RAD = 0.5
_DAVIS_BETA_RAD = 0.314
_DAVIS_C_SLOPE = 0.115
_DAVIS_C_INTERCEPT_M = -0.0153

_REQUIRED = ("left_asis", "right_asis")
_SIDE_REQUIRED = ("knee", "ankle", "toe")

MAX_GAP_S = 0.1
CUTOFF_HZ = 6.0


@dataclass
class JointAngles:
    """Joint angles of one trial with how they were computed."""

    angles_deg: dict[str, np.ndarray]
    rate_hz: float
    anthropometry: Anthropometry
    methods: dict[str, str] = field(default_factory=dict)
    quality: list[QualityIssue] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "model": "conventional gait model (CGM1 / Plug-in Gait segment definitions)",
            "anthropometry": self.anthropometry.to_json(),
            "joint_centres": dict(self.methods),
        }


def _norm_label(label: str) -> str:
    label = label.split(":")[-1]
    return "".join(ch for ch in label.lower() if ch.isalnum())


def find_wand(trial: Trial, wand: str) -> np.ndarray | None:
    """A wand marker's trajectory found by its source label (``LTHI``, ``IS070607:RTIB`` ...)."""
    wanted = WAND_LABELS[wand]
    for name, arr in trial.points.items():
        label = trial.point_labels.get(name, name)
        if _norm_label(label) in wanted and np.isfinite(arr).all(axis=1).any():
            return arr
    return None


def progression_frame(pelvis_origin: np.ndarray, vertical_axis: int, up_sign: float) -> np.ndarray:
    """Lab-fixed frame: X along the lab axis of greatest pelvis travel, Z up, Y to the left."""
    valid = np.isfinite(pelvis_origin).all(axis=1)
    idx = np.flatnonzero(valid)
    travel = pelvis_origin[idx[-1]] - pelvis_origin[idx[0]] if idx.size > 1 else np.ones(3)
    travel = travel.copy()
    travel[vertical_axis] = 0.0
    axis = int(np.argmax(np.abs(travel)))
    x = np.zeros(3)
    x[axis] = np.sign(travel[axis]) or 1.0
    z = np.zeros(3)
    z[vertical_axis] = up_sign
    y = np.cross(z, x)
    basis = np.stack([x, y, z], axis=-1)
    return np.broadcast_to(basis, (pelvis_origin.shape[0], 3, 3)).copy()


def hip_joint_centres(pelvis: np.ndarray, origin: np.ndarray, anthro: Anthropometry) -> dict:
    """Hip joint centres in the lab by the Davis et al. (1991) regression (Plug-in Gait).

    In the pelvis frame (metres): C = 0.115 * mean leg length - 0.0153,
    X = C cos(theta) sin(beta) - (AT + r) cos(beta), Y = +/-(aa - C sin(theta)) (left +),
    Z = -C cos(theta) cos(beta) - (AT + r) sin(beta), with theta = 0.5 rad, beta = 0.314 rad,
    aa half the inter-ASIS distance, AT the ASIS-trochanter distance and r the marker radius.
    """
    c = _DAVIS_C_SLOPE * anthro.mean_leg_length_m + _DAVIS_C_INTERCEPT_M
    ct, st = np.cos(_DAVIS_THETA_RAD), np.sin(_DAVIS_THETA_RAD)
    cb, sb = np.cos(_DAVIS_BETA_RAD), np.sin(_DAVIS_BETA_RAD)
    half_asis = anthro.inter_asis_m / 2.0
    radius = anthro.marker_diameter_m / 2.0
    out = {}
    for side in SIDES:
        at = anthro.asis_trochanter_m[side]
        local = np.array(
            [
                c * ct * sb - (at + radius) * cb,
                (1.0 if side == "left" else -1.0) * (half_asis - c * st),
                -c * ct * cb - (at + radius) * sb,
            ]
        )
        out[side] = origin + np.einsum("nij,j->ni", pelvis, local)
    return out


def frame_from_xz_axis(x_axis: np.ndarray, y_hint: np.ndarray) -> np.ndarray:
    """Frame with X along ``x_axis`` and Y the part of ``y_hint`` normal to it (Z = X x Y)."""
    x = unit(x_axis)
    y = unit(y_hint - np.sum(y_hint * x, axis=1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def _conditioned(trial: Trial, names: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sub = trial.replace(points=dict(names), quality=[])
    sub = fill_gaps(sub, MAX_GAP_S)
    sub = butterworth_lowpass(sub, CUTOFF_HZ)
    return sub.points


def compute_cgm1_angles(trial: Trial, processing: dict[str, float] | None = None) -> JointAngles:
    """Joint angles of a marker trial by the conventional gait model (see the module docstring).

    ``processing`` holds the C3D PROCESSING subject parameters (millimetres); missing values are
    estimated (:func:`~groundup.kinematics.anthropometry.resolve_anthropometry`).

    Raises :class:`MissingMarkersError` when the ASIS markers, a sacrum or PSIS marker, or both
    sides' knee, ankle and toe markers are missing.
    """
    missing = trial.missing(_REQUIRED)
    has_back = trial.has("sacrum") or (trial.has("left_psis") and trial.has("right_psis"))
    if not has_back:
        missing.append("sacrum (or both PSIS)")
    usable_sides = [s for s in SIDES if not trial.missing([f"{s}_{m}" for m in _SIDE_REQUIRED])]
    if not usable_sides:
        missing += [f"{s}_{m}" for s in SIDES for m in _SIDE_REQUIRED if not trial.has(f"{s}_{m}")]
    if missing:
        raise MissingMarkersError("Joint angles (conventional gait model)", missing, [])

    raw: dict[str, np.ndarray] = {}
    for name in (
        "left_asis",
        "right_asis",
        "left_psis",
        "right_psis",
        "sacrum",
        *(f"{s}_{m}" for s in SIDES for m in ("knee", "ankle", "toe", "heel", "medial_ankle")),
    ):
        if trial.has(name):
            raw[name] = np.asarray(trial.points[name], dtype=float)[:, :3]
    for wand in WAND_LABELS:
        arr = find_wand(trial, wand)
        if arr is not None:
            raw[wand] = np.asarray(arr, dtype=float)[:, :3]
    pts = _conditioned(trial, raw)
    anthro = resolve_anthropometry(trial, processing)
    quality: list[QualityIssue] = []
    if anthro.estimated:
        quality.append(
            QualityIssue(
                "anthropometry_estimated",
                "Subject measurements not stored in the file were estimated for the gait model: "
                + ", ".join(sorted(anthro.estimated))
                + ". Enter leg length, knee and ankle width in the capture software for "
                "model-exact joint centres.",
            )
        )

    origin = 0.5 * (pts["left_asis"] + pts["right_asis"])
    back = pts.get("sacrum")
    if back is None or not np.isfinite(back).all(axis=1).any():
        back = 0.5 * (pts["left_psis"] + pts["right_psis"])
    # Y is exactly the inter-ASIS axis; X lies in the ASIS/sacrum plane (Davis et al. 1991).
    y_axis = unit(pts["left_asis"] - pts["right_asis"])
    z_axis = unit(np.cross(origin - back, y_axis))
    pelvis = np.stack([np.cross(y_axis, z_axis), y_axis, z_axis], axis=-1)

    vertical_axis, up_sign = detect_vertical_axis(trial, origin)
    lab = progression_frame(origin, vertical_axis, up_sign)
    hjc = hip_joint_centres(pelvis, origin, anthro)
    radius = anthro.marker_diameter_m / 2.0

    angles: dict[str, np.ndarray] = {}
    methods: dict[str, str] = {"hip": "Davis et al. 1991 regression"}
    tilt, obliquity, rotation = cardan_yxz_deg(relative_rotation(lab, pelvis))
    for side in SIDES:
        sign = 1.0 if side == "left" else -1.0  # +1 where the lateral direction is +Y (left)
        angles[f"{side}_pelvis_tilt_deg"] = tilt
        angles[f"{side}_pelvis_obliquity_deg"] = sign * obliquity
        angles[f"{side}_pelvis_rotation_deg"] = -sign * rotation
    for side in usable_sides:
        sign = 1.0 if side == "left" else -1.0
        knee = pts[f"{side}_knee"]
        ankle = pts[f"{side}_ankle"]
        medial = -sign * pelvis[:, :, 1]
        thigh_wand = pts.get(f"{side}_thigh_wand")
        knee_offset = anthro.knee_width_m[side] / 2.0 + radius
        if thigh_wand is not None:
            kjc = chord_joint_centre(thigh_wand, hjc[side], knee, knee_offset)
            methods[f"{side}_knee"] = "chord function (thigh wand)"
        else:
            kjc = knee + knee_offset * medial
            methods[f"{side}_knee"] = "knee marker moved medially along the pelvis axis"
        tibia_wand = pts.get(f"{side}_tibia_wand")
        ankle_offset = anthro.ankle_width_m[side] / 2.0 + radius
        medial_ankle = pts.get(f"{side}_medial_ankle")
        if tibia_wand is not None:
            ajc = chord_joint_centre(tibia_wand, kjc, ankle, ankle_offset)
            methods[f"{side}_ankle"] = "chord function (tibia wand)"
        elif medial_ankle is not None:
            ajc = 0.5 * (ankle + medial_ankle)
            methods[f"{side}_ankle"] = "mid-point of the malleoli"
        else:
            ajc = ankle + ankle_offset * medial
            methods[f"{side}_ankle"] = "ankle marker moved medially along the pelvis axis"

        thigh = frame_from_yz(sign * (knee - kjc), hjc[side] - kjc)
        shank = frame_from_yz(sign * (ankle - ajc), kjc - ajc)
        hip_a, hip_b, hip_c = cardan_yxz_deg(relative_rotation(pelvis, thigh))
        knee_a, knee_b, knee_c = cardan_yxz_deg(relative_rotation(thigh, shank))
        angles[f"{side}_hip_flexion_deg"] = -hip_a
        angles[f"{side}_hip_adduction_deg"] = -sign * hip_b
        angles[f"{side}_hip_rotation_deg"] = -sign * hip_c
        angles[f"{side}_knee_flexion_deg"] = knee_a
        angles[f"{side}_knee_varus_deg"] = -sign * knee_b
        angles[f"{side}_knee_rotation_deg"] = -sign * knee_c

        heel = pts.get(f"{side}_heel")
        foot = pts[f"{side}_toe"] - (heel if heel is not None else ajc)
        methods[f"{side}_foot"] = "heel-toe line" if heel is not None else "ankle centre-toe line"
        fx = np.einsum("ni,ni->n", foot, shank[:, :, 0])
        fz = np.einsum("ni,ni->n", foot, shank[:, :, 2])
        angles[f"{side}_ankle_dorsiflexion_deg"] = np.degrees(np.arctan2(fz, fx))
        foot_frame = frame_from_xz_axis(foot, shank[:, :, 1])
        _, _, foot_rot = cardan_yxz_deg(relative_rotation(lab, foot_frame))
        angles[f"{side}_foot_progression_deg"] = -sign * foot_rot
    return JointAngles(
        angles_deg=angles,
        rate_hz=trial.point_rate_hz,
        anthropometry=anthro,
        methods=methods,
        quality=quality,
    )


def c3d_joint_angles(trial: Trial) -> dict[str, np.ndarray]:
    """Joint angles (degrees, per frame) of a C3D trial by the conventional gait model.

    Subject measurements come from the file's PROCESSING group when the trial was read from a C3D
    file (see :func:`compute_cgm1_angles` for the full result with methods and estimates).
    """
    return compute_cgm1_joint_angles(trial).angles_deg


def compute_cgm1_joint_angles(trial: Trial) -> JointAngles:
    """:func:`compute_cgm1_angles` with the PROCESSING parameters read from the source file."""
    processing: dict[str, float] = {}
    if trial.source_kind == "c3d" and trial.source_path and Path(trial.source_path).exists():
        processing = read_c3d_processing(trial.source_path)
    return compute_cgm1_angles(trial, processing)
