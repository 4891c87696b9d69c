"""Virtual-camera keypoints of the force-plate trials through the video pipeline (issue 18,
Must show 2): events against the plates, 2-D angles against the marker-based angles.

Every trial in ../shared/data/c3d with clean plate contacts is rendered (noise 2 px) through a
side and a rear camera at 25, 30 and 60 frames/s, and at 30 frames/s with 5 % of the frames
dropped, then analysed by :func:`groundup.keypoints.pipeline.analyze_keypoints` (the path of
phone video after pose estimation). The table is printed per trial, view and frame rate.
Thresholds are the issue's: at 30 frames/s side view, heel strikes and toe offs within 35 ms of
the plates (mean absolute error), sagittal hip and knee within 5 deg RMS of the CGM1 angles.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from reference_contacts import CLEAN_CONTACTS

from groundup.io.c3d import read_c3d
from groundup.validation.comparison import (
    VirtualTrialResult,
    angle_errors,
    event_errors,
    hip_definition_residual,
    run_virtual_trial,
)
from groundup.validation.virtual_camera import Footage, VirtualCamera

pytestmark = pytest.mark.slow

EVENT_MAE_LIMIT_S = 0.035
ANGLE_RMS_LIMIT_DEG = 5.0
NOISE_PX = 2.0

# Decision D of issue 18: the marker data of this file lag its analog data, so its events are
# exempt from the events tolerance (marker_plate_out_of_sync fires on it and no other trial).
EVENTS_EXEMPT = {"c3dorg_sample09_plugingait.c3d"}

# The slowest walker (sample25, about 0.5 m/s): at 30 frames/s its one checkable heel strike comes
# 42 ms before the plate onset (the heel decelerates over several frames and the 10 % crossing is
# read between two of them); on the markers at 30 frames/s the same trial's worst is 54 ms
# (tests/test_gait_events.py). Every other trial is within 25 ms; pooled 15 ms.
HEEL_STRIKE_SLOW_WALKER = {
    "c3dorg_sample25_analogfpscale04.c3d": (
        "slowest walker: one heel strike 42 ms early at 30 frames/s (the velocity rule read "
        "between frames of a slow heel deceleration; 54 ms on the markers at 30 frames/s too)"
    ),
}

# The 2-D hip angle is the thigh against the trunk line (Stenum et al. 2021); the CGM1 hip angle
# is the thigh against the pelvis. They differ by the pelvic tilt minus the trunk's forward lean
# (test_hip_difference_is_the_pelvic_tilt shows it to within 2.5 deg RMS); where the marker
# set's pelvic tilt is more than a few degrees the 2-D hip misses 5 deg RMS.
HIP_DEFINITION_XFAIL = (
    "2-D hip = thigh vs trunk; CGM1 hip = thigh vs pelvis: they differ by pelvic tilt - trunk "
    "lean (see test_hip_difference_is_the_pelvic_tilt)"
)
HIP_OFF_BY_PELVIC_TILT = {
    "c3dorg_sample09_plugingait.c3d",
    "btk_functional_walk.c3d",
    "btk_motionanalysis_gait.c3d",
    "c3dorg_sample06_newwalk.c3d",
    "btk_coda_demo.c3d",
    "opensim_walking2.c3d",
    "smk_overground.c3d",
}

# GroundUp's CGM1 knee angle on this EVaRT Helen Hayes file is not a usable reference: with its
# thigh marker as the chord-function wand the knee axis turns about 60 deg (hip rotation 59-72
# deg, knee varus up to 48 deg, peak swing knee flexion only 27 deg), so flexion leaks into
# varus. The 2-D knee (peak about 50 deg) is the plausible one. Reported with the evidence.
KNEE_REFERENCE_XFAIL = {
    "btk_motionanalysis_gait.c3d": (
        "CGM1 knee axis off by ~60 deg on this marker set (hip rotation 59-72 deg, knee varus "
        "to 48 deg, peak knee flexion 27 deg): the reference, not the video angle, is wrong"
    ),
}

CONDITIONS = {
    "side 25": ("sagittal", 25.0, 0.0),
    "side 30": ("sagittal", 30.0, 0.0),
    "side 60": ("sagittal", 60.0, 0.0),
    "side 30 drop5%": ("sagittal", 30.0, 5.0),
    "rear 30": ("frontal_posterior", 30.0, 0.0),
    "rear 60": ("frontal_posterior", 60.0, 0.0),
}
MUST = "side 30"
TRIALS = sorted(CLEAN_CONTACTS)


@cache
def _result(c3d_dir: Path, name: str, condition: str) -> VirtualTrialResult:
    view, fps, dropped = CONDITIONS[condition]
    footage = Footage(frame_rate_hz=fps, noise_px=NOISE_PX, dropped_frames_pct=dropped, seed=1)
    trial = read_c3d(c3d_dir / name)
    return run_virtual_trial(trial, VirtualCamera.default(view), footage, name)  # type: ignore[arg-type]


def _mae_ms(errors: list[float | None]) -> float:
    found = [abs(e) for e in errors if e is not None]
    return 1000.0 * float(np.mean(found)) if found else float("nan")


def _events(
    result: VirtualTrialResult, name: str, kind: str, true_time: bool = False
) -> tuple[list[float | None], int]:
    rows = [r for r in event_errors(result, CLEAN_CONTACTS[name]) if r.kind == kind]
    errors = [r.frame_error_s if true_time else r.error_s for r in rows]
    return errors, sum(r.error_s is None for r in rows)


def _params(
    marks_for: dict[str, str] | None = None, all_reason: str | None = None, strict: bool = False
) -> list:
    params = []
    for name in TRIALS:
        marks = []
        reason = all_reason or (marks_for or {}).get(name)
        if reason:
            marks.append(pytest.mark.xfail(strict=strict, reason=reason))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("name", _params(marks_for=HEEL_STRIKE_SLOW_WALKER, strict=True))
def test_side_view_heel_strikes_match_the_plates(c3d_dir: Path, name: str) -> None:
    if name in EVENTS_EXEMPT:
        pytest.skip("events exempt (issue 18, decision D: marker/plate clocks out of sync)")
    errors, missed = _events(_result(c3d_dir, name, MUST), name, "heel_strike")
    assert errors, "no plate contact can be checked in the clip"
    assert missed == 0, f"{missed} heel strike(s) not found within 300 ms"
    assert _mae_ms(errors) <= 1000 * EVENT_MAE_LIMIT_S


@pytest.mark.parametrize("name", _params())
def test_side_view_toe_offs_match_the_plates(c3d_dir: Path, name: str) -> None:
    if name in EVENTS_EXEMPT:
        pytest.skip("events exempt (issue 18, decision D: marker/plate clocks out of sync)")
    errors, missed = _events(_result(c3d_dir, name, MUST), name, "toe_off")
    if not errors:
        pytest.skip("no plate toe off is inside the clip with the event guard's margin")
    assert missed == 0, f"{missed} toe off(s) not found within 300 ms"
    assert _mae_ms(errors) <= 1000 * EVENT_MAE_LIMIT_S


@pytest.mark.parametrize("condition", ["rear 30", "rear 60"])
def test_rear_view_events_match_the_plates(c3d_dir: Path, condition: str) -> None:
    """Rear view (not part of the issue's 35 ms check, which is the side view): heel strikes and
    toe offs from the foot's image pitch, pooled over the trials, within 35 ms of the plates with
    at most one event missed. Measured: 30 frames/s heel strikes 32 ms, toe offs 9 ms (none
    missed); 60 frames/s 26 and 10 ms (one toe off missed). sample06's heel strikes come 76-128
    ms late (its foot lowers slowly after the toe-up extreme; docs/virtual-camera.md). With the
    heel-vs-heel extremum used before, heel strikes were 153 ms off and 9 of 14 toe offs missed
    at 30 frames/s."""
    errors: dict[str, list[float | None]] = {"heel_strike": [], "toe_off": []}
    for name in sorted(set(TRIALS) - EVENTS_EXEMPT):
        result = _result(c3d_dir, name, condition)
        for kind, found in errors.items():
            found += _events(result, name, kind)[0]
    for kind, found in errors.items():
        assert sum(e is None for e in found) <= 1, (kind, found)
        assert _mae_ms(found) <= 1000 * EVENT_MAE_LIMIT_S, (kind, _mae_ms(found))


REAR_SETUPS = {
    "camera at 0.5 m": {"height_m": 0.5},
    "camera at 1.5 m": {"height_m": 1.5},
    "camera 6 m behind": {"distance_m": 6.0},
}


@pytest.mark.parametrize("setup", sorted(REAR_SETUPS))
def test_rear_view_events_hold_for_other_camera_setups(c3d_dir: Path, setup: str) -> None:
    """Not tuned to one rear camera: lower, higher or farther, heel strikes and toe offs stay
    within 35 ms pooled with none missed (measured 32-33 and 9-10 ms)."""
    camera = VirtualCamera.default("frontal_posterior", **REAR_SETUPS[setup])
    footage = Footage(frame_rate_hz=30.0, noise_px=NOISE_PX, seed=2)
    errors: dict[str, list[float | None]] = {"heel_strike": [], "toe_off": []}
    for name in sorted(set(TRIALS) - EVENTS_EXEMPT):
        result = run_virtual_trial(read_c3d(c3d_dir / name), camera, footage, name)
        for row in event_errors(result, CLEAN_CONTACTS[name]):
            errors[row.kind].append(row.error_s)
    for kind, found in errors.items():
        assert None not in found, (kind, found)
        assert _mae_ms(found) <= 1000 * EVENT_MAE_LIMIT_S, (kind, _mae_ms(found))


def _rms(result: VirtualTrialResult, joint: str) -> list[float]:
    return [e.rms_deg for e in angle_errors(result) if e.variable.endswith(f"_{joint}_deg")]


@pytest.mark.parametrize("name", _params(marks_for=KNEE_REFERENCE_XFAIL))
def test_side_view_knee_angle_matches_the_markers(c3d_dir: Path, name: str) -> None:
    rms = _rms(_result(c3d_dir, name, MUST), "knee_flexion")
    assert len(rms) == 2 and all(np.isfinite(rms))
    assert max(rms) <= ANGLE_RMS_LIMIT_DEG


@pytest.mark.parametrize(
    "name", _params(marks_for=dict.fromkeys(HIP_OFF_BY_PELVIC_TILT, HIP_DEFINITION_XFAIL))
)
def test_side_view_hip_angle_matches_the_markers(c3d_dir: Path, name: str) -> None:
    rms = _rms(_result(c3d_dir, name, MUST), "hip_flexion")
    assert len(rms) == 2 and all(np.isfinite(rms))
    assert max(rms) <= ANGLE_RMS_LIMIT_DEG


@pytest.mark.parametrize("name", TRIALS)
def test_hip_difference_is_the_pelvic_tilt(c3d_dir: Path, name: str) -> None:
    """The renderer and the pipeline are right about the hip: the 2-D hip angle equals what its
    definition predicts from the markers (CGM1 hip - pelvic tilt + trunk lean)."""
    result = _result(c3d_dir, name, MUST)
    for side in ("left", "right"):
        residual = hip_definition_residual(result, side)
        assert residual.n_frames > 0
        assert residual.rms_deg <= 2.5, (side, residual)


@pytest.mark.parametrize("name", TRIALS)
def test_stored_plugin_gait_angles_agree_with_cgm1_where_stored(c3d_dir: Path, name: str) -> None:
    """The second reference: where the file stores Plug-in Gait's own angles, the 2-D knee is as
    close to them as to GroundUp's CGM1 knee (printed in the table)."""
    result = _result(c3d_dir, name, MUST)
    stored = {e.variable: e for e in angle_errors(result, stored=True)}
    if not stored:
        pytest.skip("no Plug-in Gait angles stored in the file")
    for side in ("left", "right"):
        knee = stored.get(f"{side}_knee_flexion_deg")
        if knee is not None and knee.n_frames > 0:
            assert knee.rms_deg <= ANGLE_RMS_LIMIT_DEG, knee


OTHER_SETUPS = {
    "camera at 0.5 m": {"height_m": 0.5},
    "camera 6 m away": {"distance_m": 6.0},
    "wider lens (1000 px)": {"focal_length_px": 1000.0},
    "camera on the left": {"camera_side": "left"},
}


@pytest.mark.parametrize("setup", sorted(OTHER_SETUPS))
def test_knee_angle_and_toe_offs_hold_for_other_camera_setups(c3d_dir: Path, setup: str) -> None:
    """Not tuned to one camera: the knee stays within 5 deg RMS and the toe offs within 35 ms
    with the camera lower, farther, wider or on the other side."""
    camera = VirtualCamera.default("sagittal", **OTHER_SETUPS[setup])
    footage = Footage(frame_rate_hz=30.0, noise_px=NOISE_PX, seed=2)
    toe_offs: list[float | None] = []
    for name in TRIALS:
        result = run_virtual_trial(read_c3d(c3d_dir / name), camera, footage, name)
        if name not in KNEE_REFERENCE_XFAIL:
            assert max(_rms(result, "knee_flexion")) <= ANGLE_RMS_LIMIT_DEG, name
        if name not in EVENTS_EXEMPT:
            toe_offs += [
                r.error_s for r in event_errors(result, CLEAN_CONTACTS[name])
                if r.kind == "toe_off"
            ]  # fmt: skip
    assert None not in toe_offs and _mae_ms(toe_offs) <= 1000 * EVENT_MAE_LIMIT_S


@pytest.mark.parametrize("name", TRIALS)
def test_dropped_frames_do_not_shift_toe_offs(c3d_dir: Path, name: str) -> None:
    """5 % of the frames dropped (a phone's variable frame rate): the toe offs GroundUp reports
    stay within 35 ms of the plates. The gait engine times events by the clip's own frame times
    (groundup.gait.events_timebase): measured pooled 9.6 ms, the slowest walker 23 ms; timed as
    frame / rate they came 50-140 ms late."""
    if name in EVENTS_EXEMPT:
        pytest.skip("events exempt (issue 18, decision D: marker/plate clocks out of sync)")
    result = _result(c3d_dir, name, "side 30 drop5%")
    errors, missed = _events(result, name, "toe_off")
    if not errors:
        pytest.skip("no plate toe off is inside the clip with the event guard's margin")
    assert missed == 0 and _mae_ms(errors) <= 1000 * EVENT_MAE_LIMIT_S


@pytest.mark.parametrize("name", sorted(set(TRIALS) - EVENTS_EXEMPT))
def test_dropped_frames_are_detected_at_the_right_frames(c3d_dir: Path, name: str) -> None:
    """The frames GroundUp names for those toe offs, at their true timestamps, are within 35 ms:
    the event's frame index and its time agree."""
    result = _result(c3d_dir, name, "side 30 drop5%")
    errors, missed = _events(result, name, "toe_off", true_time=True)
    if not errors:
        pytest.skip("no plate toe off is inside the clip with the event guard's margin")
    assert missed == 0 and _mae_ms(errors) <= 1000 * EVENT_MAE_LIMIT_S


def test_rendered_trial_runs_the_whole_video_path(c3d_dir: Path) -> None:
    """The rendered keypoints go through the same function as a phone clip's landmarks after
    pose estimation (analysis.json with events and curves for the detected view)."""
    from groundup.pipeline.recording import RecordingOptions
    from groundup.pipeline.video import analyse_keypoint_trial

    result = _result(c3d_dir, "nantes_pig_motion3_ff.c3d", MUST)
    doc = analyse_keypoint_trial(result.rendered.trial, RecordingOptions(), None, None)
    assert doc["video"]["view"] == "sagittal"
    assert doc["video"]["direction"] == "left_to_right"
    assert {e["kind"] for e in doc["events"]} == {"heel_strike", "toe_off"}
    assert "curves" in doc


def _fmt(x: float, digits: int = 0) -> str:
    return "-" if not np.isfinite(x) else f"{x:.{digits}f}"


def test_print_virtual_camera_table(c3d_dir: Path, capsys: pytest.CaptureFixture) -> None:
    """The table per trial, view and frame rate (run with -s to see it; also in
    docs/virtual-camera.md)."""
    lines = [
        "trial | condition | HS MAE ms (n, missed) | TO MAE ms (n, missed) | TO MAE at true "
        "frame times ms | HS bias ms | "
        "hip RMS/bias deg | knee RMS/bias | ankle RMS/bias | pelvic obl. RMS | knee FPPA RMS | "
        "hip/knee RMS vs stored Plug-in Gait",
    ]
    per_variable: dict[tuple[str, str], list[float]] = {}
    pooled: dict[tuple[str, str], list[float | None]] = {}
    for name in TRIALS:
        for condition in CONDITIONS:
            result = _result(c3d_dir, name, condition)
            hs, hs_missed = _events(result, name, "heel_strike")
            to, to_missed = _events(result, name, "toe_off")
            to_true, _ = _events(result, name, "toe_off", true_time=True)
            if name not in EVENTS_EXEMPT:
                pooled.setdefault((condition, "heel strikes"), []).extend(hs)
                pooled.setdefault((condition, "toe offs"), []).extend(to)
            hs_bias = [e for e in hs if e is not None]
            angles = {e.variable: e for e in angle_errors(result)}
            stored = {e.variable: e for e in angle_errors(result, stored=True)}
            view = condition.split()[0]

            def pair(joint: str, angles=angles) -> str:
                rows = [angles.get(f"{s}_{joint}_deg") for s in ("left", "right")]
                rows = [r for r in rows if r is not None and r.n_frames]
                if not rows:
                    return "-"
                return "/".join(f"{r.rms_deg:.1f}({r.bias_deg:+.1f})" for r in rows)

            for variable, err in angles.items():
                if err.n_frames and name not in KNEE_REFERENCE_XFAIL and "drop" not in condition:
                    joint = variable.removeprefix("left_").removeprefix("right_")
                    per_variable.setdefault((view, joint), []).append(err.rms_deg)
            exempt = " (exempt)" if name in EVENTS_EXEMPT else ""
            pelvis = angles.get("pelvis_obliquity_deg")
            obliquity = _fmt(pelvis.rms_deg, 1) if pelvis is not None else "-"
            lines.append(
                f"{name}{exempt} | {condition} | {_fmt(_mae_ms(hs))} ({len(hs)}, {hs_missed}) | "
                f"{_fmt(_mae_ms(to))} ({len(to)}, {to_missed}) | {_fmt(_mae_ms(to_true))} | "
                f"{_fmt(1000 * float(np.mean(hs_bias)) if hs_bias else float('nan'))} | "
                f"{pair('hip_flexion')} | {pair('knee_flexion')} | {pair('ankle_dorsiflexion')} | "
                f"{obliquity} | {pair('knee_fppa')} | "
                f"{pair('hip_flexion', stored)} {pair('knee_flexion', stored)}"
            )
    lines.append("")
    lines.append("all trials but the exempt one, pooled (MAE over all plate events; missed)")
    for (condition, kind), errors in pooled.items():
        missed = sum(e is None for e in errors)
        lines.append(f"{condition} {kind}: {_fmt(_mae_ms(errors))} ms (n={len(errors)}; {missed})")
    lines.append("")
    lines.append("per variable (median and max RMS over trials, CGM1 reference, no dropped frames)")
    for (view, joint), values in sorted(per_variable.items()):
        lines.append(
            f"{view} {joint}: median {np.median(values):.1f}, max {np.max(values):.1f} deg "
            f"(n={len(values)})"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(lines) > len(TRIALS) * len(CONDITIONS)
