"""The virtual camera itself: projection, views, frame rate, noise and dropped frames.

Checked on a synthetic walker with known geometry and on a real marker trial; no pose model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groundup.errors import InputError, MissingMarkersError
from groundup.io.c3d import read_c3d
from groundup.trial import Trial
from groundup.validation.body_keypoints import BodyKeypoints, WalkerFrame, body_keypoints
from groundup.validation.virtual_camera import (
    Footage,
    VirtualCamera,
    render_keypoints,
    resample,
)


def _walker(n: int = 201, rate_hz: float = 100.0) -> BodyKeypoints:
    """Two points 0.2 m apart sideways (left at +y) walking along +x at 1 m/s, 1 m high."""
    t = np.arange(n) / rate_hz
    left = np.column_stack([t, np.full(n, 0.1), np.ones(n)])
    right = np.column_stack([t, np.full(n, -0.1), np.ones(n)])
    frame = WalkerFrame(
        forward=np.array([1.0, 0, 0]), left=np.array([0, 1.0, 0]), up=np.array([0, 0, 1.0]),
        centre_m=np.array([1.0, 0, 1.0]), floor_m=0.0,
    )  # fmt: skip
    return BodyKeypoints({"left_hip": left, "right_hip": right}, rate_hz, frame, 1.7)


def test_side_view_projects_by_the_pinhole_model() -> None:
    body = _walker()
    camera = VirtualCamera(distance_m=4.0, height_m=1.0, focal_length_px=1000.0,
                           image_size_px=(1920, 1080))  # fmt: skip
    uv = camera.project(body.points_m["right_hip"], body)
    # The camera stands on the walker's right, 4 m from the walking line, level with the hips:
    # at x = 1 m (the mean position) the right hip (3.9 m away) is on the image centre.
    assert uv[100] == pytest.approx([960.0, 540.0], abs=1e-6)
    # 1 m forward at 3.9 m depth moves 1000 / 3.9 px to the image right (walking left to right).
    assert uv[200, 0] - uv[100, 0] == pytest.approx(1000.0 / 3.9, rel=1e-6)
    left = camera.project(body.points_m["left_hip"], body)
    assert left[200, 0] - left[100, 0] == pytest.approx(1000.0 / 4.1, rel=1e-6)
    mirrored = VirtualCamera(camera_side="left").project(body.points_m["right_hip"], body)
    assert mirrored[200, 0] < mirrored[100, 0]  # from the other side: right to left


def test_rear_view_puts_the_left_side_on_the_image_left() -> None:
    body = _walker()
    camera = VirtualCamera(view="frontal_posterior", distance_m=4.0, focal_length_px=1000.0,
                           image_size_px=(1080, 1920))  # fmt: skip
    left = camera.project(body.points_m["left_hip"], body)
    right = camera.project(body.points_m["right_hip"], body)
    assert (left[:, 0] < right[:, 0]).all()
    # Walking away the hips draw together: 0.2 m apart at 3 m, then at 5 m depth.
    assert right[0, 0] - left[0, 0] == pytest.approx(1000.0 * 0.2 / 3.0, rel=1e-6)
    assert right[200, 0] - left[200, 0] == pytest.approx(1000.0 * 0.2 / 5.0, rel=1e-6)


def test_resampling_interpolates_and_keeps_gaps() -> None:
    x = np.column_stack([np.arange(10.0), np.zeros(10), np.zeros(10)])
    x[5] = np.nan
    out = resample(x, 10.0, np.array([0.05, 0.25, 0.45, 0.55, 0.95, 1.2]))
    assert out[0, 0] == pytest.approx(0.5) and out[1, 0] == pytest.approx(2.5)
    assert np.isnan(out[2:4]).all()  # next to the unseen sample
    assert np.isnan(out[5]).all()  # after the recording


def test_frame_rate_noise_and_dropped_frames() -> None:
    body = _walker(n=1001)
    camera = VirtualCamera()
    clean = render_keypoints(body, camera, Footage(frame_rate_hz=30.0))
    assert clean.trial.point_rate_hz == 30.0 and clean.trial.n_frames == 301
    assert np.diff(clean.lab_times_s) == pytest.approx(np.full(300, 1 / 30.0))
    noisy = render_keypoints(body, camera, Footage(frame_rate_hz=30.0, noise_px=2.0, seed=3))
    diff = noisy.trial.points["left_hip"] - clean.trial.points["left_hip"]
    assert np.std(diff) == pytest.approx(2.0, rel=0.1)
    dropped = render_keypoints(body, camera, Footage(frame_rate_hz=30.0, dropped_frames_pct=5.0))
    assert dropped.dropped_frames == 15 and dropped.trial.n_frames == 301 - 15
    steps = np.diff(dropped.trial.frame_times_s)
    assert (np.isclose(steps, 2 / 30.0)).sum() + (np.isclose(steps, 3 / 30.0)).sum() > 0
    assert dropped.lab_times_s[0] == 0.0 and dropped.lab_times_s[-1] == pytest.approx(10.0)
    again = render_keypoints(body, camera, Footage(frame_rate_hz=30.0, dropped_frames_pct=5.0))
    assert np.array_equal(again.lab_times_s, dropped.lab_times_s)  # same seed, same footage


def test_keypoints_outside_the_picture_get_no_confidence() -> None:
    body = _walker(n=1001)  # 10 m of walking: leaves a 5 m wide field of view
    rendered = render_keypoints(body, VirtualCamera(), Footage(frame_rate_hz=25.0))
    conf = rendered.trial.point_confidence["left_hip"]
    x = rendered.trial.points["left_hip"][:, 0]
    assert (conf[(x < 0) | (x > 1920)] == 0).all() and (conf[(x > 0) & (x < 1920)] == 1).all()


def test_real_trial_keypoints_are_joint_centres_and_named_like_blazepose(c3d_dir: Path) -> None:
    trial: Trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    body = body_keypoints(trial)
    for side in ("left", "right"):
        for part in ("hip", "knee", "ankle", "heel", "toe", "shoulder"):
            assert f"{side}_{part}" in body.points_m
    # A lower-body marker set: head and shoulders are stand-ins, and said to be.
    assert set(body.stand_ins) == {"left_eye", "right_eye", "left_shoulder", "right_shoulder"}
    assert body.stature_m == pytest.approx(1.76)  # stored height
    up = body.frame.up
    hip_height = np.nanmedian(body.points_m["left_hip"] @ up) - body.frame.floor_m
    # Hip joint centre about 0.5 H above the floor while walking (0.53 H standing, Winter 2009).
    assert 0.45 * 1.76 < hip_height < 0.55 * 1.76
    thigh = np.linalg.norm(body.points_m["left_hip"] - body.points_m["left_knee"], axis=1)
    assert np.nanstd(thigh) < 0.01  # joint centres keep the segment length


def test_trial_with_head_and_shoulder_markers_needs_no_stand_in(c3d_dir: Path) -> None:
    body = body_keypoints(read_c3d(c3d_dir / "btk_pig_flatfoot_full.c3d"))
    assert body.stand_ins == ()
    assert body.sources["left_shoulder"] == "LSHO marker"


def test_marker_trial_without_heels_gets_a_clear_message(c3d_extra_dir: Path) -> None:
    with pytest.raises(MissingMarkersError) as info:
        body_keypoints(read_c3d(c3d_extra_dir / "c3dorg_sample03_gait_raw.c3d"))
    assert "left_heel" in info.value.problem and "marker" in info.value.fix


def test_keypoint_trial_cannot_be_filmed_again() -> None:
    flat = Trial(points={"left_hip": np.zeros((10, 2))}, point_rate_hz=30.0, point_units="px")
    with pytest.raises(InputError, match="3-D lab markers"):
        body_keypoints(flat)
    with pytest.raises(InputError, match="view"):
        VirtualCamera.default("frontal_anterior")  # type: ignore[arg-type]
