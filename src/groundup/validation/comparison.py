"""Rendered keypoint trials checked against the lab's truth: events against force-plate
contacts, 2-D angles against the marker-based angles of the same trial (docs/virtual-camera.md).

:func:`run_virtual_trial` renders a marker trial (:mod:`groundup.validation.virtual_camera`) and
runs it through the keypoint pipeline from the stage after pose estimation
(:func:`groundup.keypoints.pipeline.analyze_keypoints`, then
:func:`~groundup.keypoints.pipeline.angles_for`, the time series behind the video curves).
:func:`event_errors` and :func:`angle_errors` measure the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ezc3d
import numpy as np

from groundup.gait.analysis import GaitAnalysis
from groundup.keypoints.knowledge import event_guard
from groundup.keypoints.pipeline import analyze_keypoints, angles_for
from groundup.kinematics import compute_cgm1_joint_angles
from groundup.trial import Side, Trial
from groundup.validation.body_keypoints import body_keypoints
from groundup.validation.virtual_camera import (
    Footage,
    RenderedKeypoints,
    VirtualCamera,
    render_keypoints,
)

# A detection farther than this from a plate event counts as missed. Detections are matched on
# the same side and kind, which come a stride (about 1 s) apart, so 0.3 s cannot take the
# neighbouring event; it is wide enough to measure a detector that is far off rather than call
# it a miss.
MATCH_WINDOW_S = 0.3

# 2-D video angle -> (marker-based CGM1 angle, sign) compared with it. The knee's frontal-plane
# projection angle is positive in valgus; CGM1's knee angle is positive in varus.
ANGLE_PAIRS: dict[str, dict[str, tuple[str, float]]] = {
    "sagittal": {
        f"{side}_{joint}_deg": (f"{side}_{joint}_deg", 1.0)
        for side in ("left", "right")
        for joint in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")
    },
    "frontal_posterior": {
        "pelvis_obliquity_deg": ("left_pelvis_obliquity_deg", 1.0),
        "left_knee_fppa_deg": ("left_knee_varus_deg", -1.0),
        "right_knee_fppa_deg": ("right_knee_varus_deg", -1.0),
    },
}

# Plug-in Gait's stored angle outputs (X = sagittal) for the sagittal 2-D angles.
_STORED_PIG = {"hip_flexion": "HipAngles", "knee_flexion": "KneeAngles",
               "ankle_dorsiflexion": "AnkleAngles"}  # fmt: skip


@dataclass
class VirtualTrialResult:
    """A rendered trial, its analysis and the reference angles (lab frames, degrees)."""

    name: str
    rendered: RenderedKeypoints
    analysis: GaitAnalysis
    angles_deg: dict[str, np.ndarray]
    reference_deg: dict[str, np.ndarray]
    reference_rate_hz: float
    stored_pig_deg: dict[str, np.ndarray] = field(default_factory=dict)

    def event_lab_time_s(self, frame: int) -> float:
        """The true lab time of a keypoint frame (dropped frames included)."""
        return float(self.rendered.lab_times_s[frame])

    def reported_lab_time_s(self, time_s: float) -> float:
        """An event time as GroundUp reports it (by the clip's frame times), on the lab's clock."""
        return float(self.rendered.lab_times_s[0] + time_s)


def stored_plugin_gait_angles(path: str | Path) -> dict[str, np.ndarray]:
    """Sagittal Plug-in Gait angles stored in a C3D file (``LHipAngles`` ... X component), as
    ``{side}_{joint}_deg``; empty when the file has none. Read with ezc3d: GroundUp's C3D reader
    scales every point by the file's length unit, which angle outputs do not have."""
    c3d = ezc3d.c3d(str(path))
    labels = [str(x).split(":")[-1] for x in c3d["parameters"]["POINT"]["LABELS"]["value"]]
    data = c3d["data"]["points"]
    out: dict[str, np.ndarray] = {}
    for side, prefix in (("left", "L"), ("right", "R")):
        for joint, stem in _STORED_PIG.items():
            for label in (f"{prefix}{stem}", f"{prefix}{stem}V"):
                if label in labels:
                    xyz = np.asarray(data[:3, labels.index(label), :], dtype=float)
                    x = xyz[0].copy()
                    x[~np.isfinite(x) | (xyz == 0).all(axis=0)] = np.nan
                    out[f"{side}_{joint}_deg"] = x
                    break
    return out


def run_virtual_trial(
    trial: Trial, camera: VirtualCamera, footage: Footage, name: str = ""
) -> VirtualTrialResult:
    """Render ``trial`` and analyse the keypoints as the video pipeline does after pose
    estimation (the view is detected from the keypoints, as for a clip)."""
    rendered = render_keypoints(body_keypoints(trial), camera, footage)
    analysis = analyze_keypoints(rendered.trial)
    stored: dict[str, np.ndarray] = {}
    if trial.source_kind == "c3d" and trial.source_path and Path(trial.source_path).exists():
        stored = stored_plugin_gait_angles(trial.source_path)
    return VirtualTrialResult(
        name=name or trial.source_name,
        rendered=rendered,
        analysis=analysis,
        angles_deg=angles_for(analysis),
        reference_deg=compute_cgm1_joint_angles(trial).angles_deg,
        reference_rate_hz=trial.point_rate_hz,
        stored_pig_deg=stored,
    )


@dataclass(frozen=True)
class EventError:
    """One plate event and GroundUp's nearest same-side detection (None: none within
    :data:`MATCH_WINDOW_S`). Errors are detection minus plate, in seconds: ``error_s`` on the
    time GroundUp reports, ``frame_error_s`` on the true time of the frame it names (the two
    agree within half a frame, dropped frames included: events are timed by the frame times)."""

    side: Side
    kind: str
    plate_s: float
    error_s: float | None
    frame_error_s: float | None


def _checkable(rendered: RenderedKeypoints, side: str, time_s: float) -> bool:
    """A plate event can be checked when the foot was filmed around it: the foot's keypoints
    are seen in every frame from one at or before ``time_s - window_s`` to one at or after
    ``time_s + window_s`` (the event guard's window, knowledge/video_gait.yaml). A lab capture
    volume that ends just after a toe off leaves no clip to judge it in."""
    _, window_s = event_guard()
    times = rendered.lab_times_s
    conf = rendered.trial.point_confidence
    seen = (conf[f"{side}_heel"] > 0) & (conf[f"{side}_toe"] > 0)
    before = np.flatnonzero(times <= time_s - window_s)
    after = np.flatnonzero(times >= time_s + window_s)
    if before.size == 0 or after.size == 0:
        return False
    return bool(seen[before[-1] : after[0] + 1].all())


def event_errors(
    result: VirtualTrialResult, contacts: list[tuple[str, float, float]]
) -> list[EventError]:
    """Heel strikes and toe offs against plate contacts ``(side, on_s, off_s)`` (s from the
    marker trial's first frame); plate events the clip cannot show are left out."""
    rows: list[EventError] = []
    for side, on_s, off_s in contacts:
        for kind, plate_s in (("heel_strike", on_s), ("toe_off", off_s)):
            if not _checkable(result.rendered, side, plate_s):
                continue
            found = [e for e in result.analysis.events if e.side == side and e.kind == kind]
            best = min(
                found,
                key=lambda e: abs(result.reported_lab_time_s(e.time_s) - plate_s),
                default=None,
            )
            error = frame_error = None
            if best is not None:
                reported = result.reported_lab_time_s(best.time_s) - plate_s
                if abs(reported) <= MATCH_WINDOW_S:
                    error = reported
                    frame_error = result.event_lab_time_s(best.frame) - plate_s
            rows.append(EventError(side, kind, plate_s, error, frame_error))  # type: ignore[arg-type]
    return rows


@dataclass(frozen=True)
class AngleError:
    """A 2-D angle against a marker-based reference over the analysed gait cycles: RMS and
    mean (bias) of video minus reference in degrees, and the frames compared."""

    variable: str
    reference: str
    rms_deg: float
    bias_deg: float
    n_frames: int


def cycle_frames(result: VirtualTrialResult) -> np.ndarray:
    """Keypoint frames inside the analysed gait cycles (first to last heel strike): where the
    curves and metrics come from. Outside them a walker may be turning or leaving the picture."""
    strikes = [e.frame for e in result.analysis.events if e.kind == "heel_strike"]
    mask = np.zeros(result.rendered.trial.n_frames, dtype=bool)
    if len(strikes) >= 2:
        mask[min(strikes) : max(strikes) + 1] = True
    return mask


def _against(
    result: VirtualTrialResult, video: np.ndarray, reference: np.ndarray, rate_hz: float
) -> tuple[float, float, int]:
    lab_t = np.arange(reference.size) / rate_hz
    seen = np.isfinite(reference)
    if seen.sum() < 2:
        return float("nan"), float("nan"), 0
    ref = np.interp(result.rendered.lab_times_s, lab_t[seen], reference[seen])
    support = np.interp(result.rendered.lab_times_s, lab_t, seen.astype(float)) > 0.999
    diff = video - ref
    use = cycle_frames(result) & support & np.isfinite(diff)
    if not use.any():
        return float("nan"), float("nan"), 0
    d = diff[use]
    return float(np.sqrt(np.mean(d**2))), float(np.mean(d)), int(use.sum())


def angle_errors(result: VirtualTrialResult, stored: bool = False) -> list[AngleError]:
    """Each 2-D angle of the view against GroundUp's CGM1 angle of the same trial, or with
    ``stored=True`` against the file's own Plug-in Gait outputs (sagittal only, where stored)."""
    view = str(result.analysis.video["view"]) if result.analysis.video else ""
    rows: list[AngleError] = []
    for variable, (ref_name, sign) in ANGLE_PAIRS.get(view, {}).items():
        video = result.angles_deg.get(variable)
        if video is None:
            continue
        if stored:
            reference = result.stored_pig_deg.get(ref_name)
            label = "stored Plug-in Gait"
        else:
            reference = result.reference_deg.get(ref_name)
            label = "CGM1"
        if reference is None:
            continue
        rms, bias, n = _against(result, video, sign * reference, result.reference_rate_hz)
        rows.append(AngleError(variable, label, rms, bias, n))
    return rows


def hip_definition_residual(result: VirtualTrialResult, side: Side) -> AngleError:
    """The 2-D hip angle (thigh against the trunk line) against what that definition predicts
    from the markers: CGM1 hip flexion (thigh against the pelvis) minus CGM1 pelvic tilt plus
    the 2-D trunk flexion. A small residual shows that a hip difference is the definition's,
    not the renderer's or the pipeline's."""
    ref = result.reference_deg
    predicted_lab = ref[f"{side}_hip_flexion_deg"] - ref[f"{side}_pelvis_tilt_deg"]
    trunk = result.angles_deg.get("trunk_flexion_deg")
    video = result.angles_deg[f"{side}_hip_flexion_deg"]
    if trunk is not None:
        video = video - trunk
    rms, bias, n = _against(result, video, predicted_lab, result.reference_rate_hz)
    return AngleError(f"{side}_hip_flexion_deg", "CGM1 hip - pelvic tilt + trunk", rms, bias, n)
