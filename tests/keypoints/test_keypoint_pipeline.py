"""Keypoint gait analysis through the one gait pipeline; OpenPose JSON and TRC round trips."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from groundup.errors import InputError, NoWalkingError
from groundup.io.openpose import read_openpose, write_openpose
from groundup.io.trc import read_trc, write_trc
from groundup.keypoints.pipeline import analyze_keypoints, angles_for
from groundup.trial import Trial

from .conftest import SPORTS2D_IC_FRAMES


def _heel_strikes(analysis) -> list[tuple[str, int]]:
    return [(e.side, e.frame) for e in analysis.events if e.kind == "heel_strike"]


def test_side_view_events_match_annotation(sports2d_landmarks: Trial) -> None:
    analysis = analyze_keypoints(sports2d_landmarks)
    hs = _heel_strikes(analysis)
    frames = [f for _, f in hs]
    within = [ic for ic in SPORTS2D_IC_FRAMES if min(abs(f - ic) for f in frames) <= 3]
    # The stored sequence ends at frame 190, so the last IC (185) sits at its edge.
    assert len(within) >= 6, (hs, within)
    sides = [s for s, _ in hs]
    assert all(a != b for a, b in itertools.pairwise(sides)), hs
    cadence = analysis.spatiotemporal.to_json()["cadence_steps_per_min"]
    assert 95.0 <= cadence <= 102.0
    doc = analysis.to_json()
    assert doc["video"]["view"] == "sagittal"
    assert doc["video"]["scale"] is None  # no height given: no metre value
    assert doc["spatiotemporal"]["step_length_m"] is None


def test_angles_are_valid_for_the_view(sports2d_landmarks: Trial) -> None:
    analysis = analyze_keypoints(sports2d_landmarks, height_m=1.65)
    angles = angles_for(analysis)
    assert "left_knee_flexion_deg" in angles and "pelvis_obliquity_deg" not in angles
    knee = angles["left_knee_flexion_deg"]
    assert knee.shape == (sports2d_landmarks.n_frames,)
    # Walking knee flexion: about 0-10 deg in stance, 55-70 deg in swing (Perry & Burnfield).
    assert 40.0 < np.nanpercentile(knee, 98) < 85.0
    assert -10.0 < np.nanpercentile(knee, 2) < 15.0
    assert analysis.to_json()["video"]["scale"]["px_per_m"] > 0


def test_openpose_json_gives_the_same_events(sports2d_landmarks: Trial, tmp_path: Path) -> None:
    direct = analyze_keypoints(sports2d_landmarks)
    write_openpose(sports2d_landmarks, tmp_path / "json")
    trial = read_openpose(tmp_path / "json", fps=sports2d_landmarks.point_rate_hz)
    assert trial.point_labels["left_toe"] == "LBigToe"
    via_json = analyze_keypoints(trial)
    assert _heel_strikes(via_json) == _heel_strikes(direct)
    assert [(e.side, e.frame) for e in via_json.events] == [
        (e.side, e.frame) for e in direct.events
    ]


def test_openpose_needs_fps(tmp_path: Path, sports2d_landmarks: Trial) -> None:
    write_openpose(sports2d_landmarks, tmp_path / "json")
    with pytest.raises(InputError, match="frame rate"):
        read_openpose(tmp_path / "json", fps=None)


def test_trc_keypoints_give_the_same_events(sports2d_landmarks: Trial, tmp_path: Path) -> None:
    direct = analyze_keypoints(sports2d_landmarks)
    # A TRC file carries no confidence: mask the unseen frames before writing, as pose tools do.
    masked = {
        k: np.where((sports2d_landmarks.point_confidence[k] >= 0.3)[:, None], v, np.nan)
        for k, v in sports2d_landmarks.points.items()
    }
    write_trc(sports2d_landmarks.replace(points=masked), tmp_path / "walk_px.trc")
    trial = read_trc(tmp_path / "walk_px.trc")
    assert trial.point_units == "px" and trial.n_dims == 2
    via_trc = analyze_keypoints(trial)
    assert [(e.side, e.frame) for e in via_trc.events] == [(e.side, e.frame) for e in direct.events]


def test_standing_person_gives_no_steps(sports2d_landmarks: Trial) -> None:
    still = {k: np.repeat(v[100:101], 150, axis=0) for k, v in sports2d_landmarks.points.items()}
    conf = {k: np.repeat(v[100:101], 150) for k, v in sports2d_landmarks.point_confidence.items()}
    rng = np.random.default_rng(0)
    still = {k: v + rng.normal(0, 1.0, v.shape) for k, v in still.items()}
    with pytest.raises(NoWalkingError, match="body heights per second"):
        analyze_keypoints(sports2d_landmarks.replace(points=still, point_confidence=conf))


def _walking_in_place(trial: Trial) -> Trial:
    """The walker held at the middle of the picture: the pelvis's horizontal travel taken out of
    every keypoint, as a treadmill or a camera panning with the walker would show them."""
    hip_x = (trial.points["left_hip"][:, 0] + trial.points["right_hip"][:, 0]) / 2
    seen = np.flatnonzero(np.isfinite(hip_x))
    travel = np.interp(np.arange(trial.n_frames), seen, hip_x[seen])
    assert trial.image_size_px is not None
    shift = np.stack([travel - trial.image_size_px[0] / 2, np.zeros(trial.n_frames)], axis=1)
    return trial.replace(points={k: v - shift for k, v in trial.points.items()})


def test_walking_in_place_gives_the_same_steps(sports2d_landmarks: Trial) -> None:
    """Walking on the spot in the picture (treadmill, panning camera): the steps come from the
    feet moving against the pelvis and the direction from the way the feet and face point. The
    Sports2D walker held still in the picture gives the original's heel strikes (within one frame:
    in place the foot's velocity is taken against the other foot's toe instead of the picture)
    with their sides, and the cadence. Before, the pelvis standing still meant "no walking" (and
    a panning clip of the same walk gave 6 events and 116 steps/min)."""
    original = analyze_keypoints(sports2d_landmarks)
    in_place = analyze_keypoints(_walking_in_place(sports2d_landmarks))
    moved, still = _heel_strikes(in_place), _heel_strikes(original)
    assert [s for s, _ in moved] == [s for s, _ in still], (moved, still)
    assert all(abs(a - b) <= 1 for (_, a), (_, b) in zip(moved, still, strict=True)), moved
    assert in_place.video is not None and in_place.video["direction"] == "right_to_left"
    assert "walking_in_place" in {q.code for q in in_place.quality}
    assert "walking_in_place" not in {q.code for q in original.quality}
    cadence = in_place.spatiotemporal.to_json()["cadence_steps_per_min"]
    assert 95.0 <= cadence <= 102.0


def test_walking_in_place_direction_follows_the_facing(sports2d_landmarks: Trial) -> None:
    """The same walk in place, mirrored left to right: the subject now faces image right, and
    the direction (which sets the sign of the sagittal angles) follows; knee flexion keeps its
    sign and size."""
    in_place = _walking_in_place(sports2d_landmarks)
    assert in_place.image_size_px is not None
    width = in_place.image_size_px[0]
    mirrored = in_place.replace(
        points={k: np.stack([width - v[:, 0], v[:, 1]], axis=1) for k, v in in_place.points.items()}
    )
    a, b = analyze_keypoints(in_place), analyze_keypoints(mirrored)
    assert b.video is not None and b.video["direction"] == "left_to_right"
    assert [f for _, f in _heel_strikes(a)] == [f for _, f in _heel_strikes(b)]
    knee_a, knee_b = angles_for(a)["left_knee_flexion_deg"], angles_for(b)["left_knee_flexion_deg"]
    assert np.nanmax(knee_a) > 45.0
    np.testing.assert_allclose(knee_a, knee_b, atol=0.5)


def test_swinging_one_leg_in_profile_is_not_walking(sports2d_landmarks: Trial) -> None:
    """A real standing frame of the Sports2D walker with the right leg swung about the hip
    (+-30 degrees at 0.8 Hz) for 5 s: the feet's difference swings, but the standing foot does
    not step, so this is not walking in place (before the each-foot rule it gave 6 heel strikes
    and 139 steps/min)."""
    trial = sports2d_landmarks
    rate = trial.point_rate_hz
    frames = int(5 * rate)
    rng = np.random.default_rng(0)
    angle = np.radians(30.0) * np.sin(2 * np.pi * 0.8 * np.arange(frames) / rate)
    hip = trial.points["right_hip"][100]
    points = {}
    for name, v in trial.points.items():
        still = np.repeat(v[100:101], frames, axis=0)
        if name in ("right_knee", "right_ankle", "right_heel", "right_toe"):
            r = still - hip
            x = r[:, 0] * np.cos(angle) - r[:, 1] * np.sin(angle)
            y = r[:, 0] * np.sin(angle) + r[:, 1] * np.cos(angle)
            still = np.stack([x, y], axis=1) + hip
        points[name] = still + rng.normal(0, 1.0, still.shape)
    conf = {k: np.repeat(v[100:101], frames) for k, v in trial.point_confidence.items()}
    with pytest.raises(NoWalkingError, match="body heights per second"):
        analyze_keypoints(trial.replace(points=points, point_confidence=conf))


def test_no_lower_body_is_no_gait(sports2d_landmarks: Trial) -> None:
    conf = {
        k: (np.zeros_like(v) if any(p in k for p in ("knee", "ankle", "heel", "toe")) else v)
        for k, v in sports2d_landmarks.point_confidence.items()
    }
    with pytest.raises(NoWalkingError, match="lower body"):
        analyze_keypoints(sports2d_landmarks.replace(point_confidence=conf))


def test_keypoint_gaps_are_reported_once_in_keypoint_words(sports2d_landmarks: Trial) -> None:
    """A long gap in the heel keypoints gives one long_keypoint_gap warning naming them, not one
    warning per keypoint, and no marker-worded copy from the gait engine."""
    points = {k: v.copy() for k, v in sports2d_landmarks.points.items()}
    for name in ("left_heel", "left_toe", "left_ankle"):
        points[name][120:135] = np.nan  # 0.5 s, longer than the 0.2 s filled
    analysis = analyze_keypoints(sports2d_landmarks.replace(points=points))
    codes = [q.code for q in analysis.quality]
    assert "long_marker_gap" not in codes and "empty_marker" not in codes
    gaps = [q for q in analysis.quality if q.code == "long_keypoint_gap"]
    assert len(gaps) == 1
    assert all(name in gaps[0].message for name in ("left_heel", "left_toe", "left_ankle"))
