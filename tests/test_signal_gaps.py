"""Marker gap filling and gap reports: synthetic known answers and real recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from raw_c3d import trial_from_c3d

from groundup.errors import InputError
from groundup.signal.gaps import fill_gaps, gap_report, interior_gaps, seen_frames
from groundup.trial import Trial

RATE_HZ = 100.0


def _smooth_path(n_frames: int = 300, rate_hz: float = RATE_HZ) -> np.ndarray:
    """A slow, smooth 3-D trajectory in metres (walking-like: forward drift plus 1 Hz bob)."""
    t = np.arange(n_frames) / rate_hz
    return np.column_stack(
        [1.2 * t, 0.1 + 0.02 * np.sin(2 * np.pi * 0.5 * t), 0.9 + 0.03 * np.sin(2 * np.pi * t)]
    )


def _trial_of(rate_hz: float = RATE_HZ, **points: np.ndarray) -> Trial:
    return Trial(points=dict(points), point_rate_hz=rate_hz)


# ---------------------------------------------------------------------------- synthetic
def test_short_gap_is_filled_close_to_the_truth() -> None:
    truth = _smooth_path()
    x = truth.copy()
    x[100:110] = np.nan  # 0.1 s
    out = fill_gaps(_trial_of(sacrum=x), max_gap_s=0.1)
    filled = out.points["sacrum"]
    assert np.isfinite(filled).all()
    assert np.max(np.abs(filled[100:110] - truth[100:110])) < 1e-4  # 0.1 mm
    np.testing.assert_array_equal(filled[:100], truth[:100])  # seen frames untouched
    assert out.quality == []


def test_long_gap_is_left_missing_and_reported() -> None:
    x = _smooth_path()
    x[150:175] = np.nan  # 25 frames = 0.25 s
    trial = _trial_of(left_heel=x).replace(point_labels={"left_heel": "LHEE"})
    out = fill_gaps(trial, max_gap_s=0.1)
    assert np.isnan(out.points["left_heel"][150:175]).all()
    assert np.isfinite(out.points["left_heel"][:150]).all()
    (issue,) = out.quality
    assert issue.code == "long_marker_gap"
    assert "left_heel (LHEE)" in issue.message
    assert "0.250 s at 1.500 s" in issue.message
    assert "capture software" in issue.message and "re-record" in issue.message


def test_gap_exactly_at_the_limit_is_filled() -> None:
    x = _smooth_path()
    x[50:60] = np.nan  # 10 frames at 100 Hz = 0.1 s, equal to the limit
    x[200:211] = np.nan  # 11 frames: over the limit
    out = fill_gaps(_trial_of(m=x), max_gap_s=0.1)
    assert np.isfinite(out.points["m"][50:60]).all()
    assert np.isnan(out.points["m"][200:211]).all()


def test_ends_are_never_extrapolated() -> None:
    x = _smooth_path()
    x[:3] = np.nan
    x[-2:] = np.nan
    out = fill_gaps(_trial_of(m=x), max_gap_s=1.0)
    assert np.isnan(out.points["m"][:3]).all()
    assert np.isnan(out.points["m"][-2:]).all()
    assert out.quality == []  # missing ends are not gaps


def test_zero_frames_are_missing_and_filled() -> None:
    truth = _smooth_path()
    x = truth.copy()
    x[120:124] = 0.0
    out = fill_gaps(_trial_of(m=x))
    assert np.max(np.abs(out.points["m"][120:124] - truth[120:124])) < 1e-4


def test_all_zero_marker_is_empty() -> None:
    trial = _trial_of(sacrum=np.zeros((50, 3)), other=_smooth_path(50))
    out = fill_gaps(trial)
    assert np.isnan(out.points["sacrum"]).all()
    assert [q.code for q in out.quality] == ["empty_marker"]
    assert gap_report(trial)["sacrum"] == {
        "valid_frames": 0,
        "filled_frames": 0,
        "longest_gap_s": 0.0,
    }


def test_a_single_zero_coordinate_is_a_real_value() -> None:
    x = _smooth_path()
    x[10, 0] = 0.0  # only x is zero: a marker crossing the lab's y-z plane
    assert seen_frames(x).all()


def test_two_dimensional_keypoints() -> None:
    xy = _smooth_path()[:, :2] * 500  # pixels
    xy[30:33] = 0.0  # keypoint lost, written as (0, 0)
    trial = Trial(points={"nose": xy}, point_rate_hz=30.0, point_units="px")
    out = fill_gaps(trial, max_gap_s=0.1)
    assert np.isfinite(out.points["nose"]).all()


def test_gap_report_numbers() -> None:
    x = _smooth_path()
    x[:5] = np.nan  # start: not a gap
    x[40:43] = np.nan  # 3 frames, filled
    x[100:125] = np.nan  # 25 frames, too long
    report = gap_report(_trial_of(m=x), max_gap_s=0.1)
    assert report["m"] == {"valid_frames": 300 - 33, "filled_frames": 3, "longest_gap_s": 0.25}


def test_input_is_not_modified() -> None:
    x = _smooth_path()
    x[40:45] = 0.0
    before = x.copy()
    trial = _trial_of(m=x)
    fill_gaps(trial)
    np.testing.assert_array_equal(trial.points["m"], before)
    assert trial.quality == []


def test_negative_limit_is_refused() -> None:
    with pytest.raises(InputError):
        fill_gaps(_trial_of(m=_smooth_path()), max_gap_s=-0.1)


def test_interior_gaps() -> None:
    seen = np.array([False, True, False, False, True, True, False])
    assert interior_gaps(seen) == [(2, 4)]


# ---------------------------------------------------------------------------- real data
def test_coda_heel_gaps_are_filled_and_ankle_gap_refused(c3d_dir: Path) -> None:
    """btk_coda_demo (200 Hz): L.Heel valid 495 of 512 (gaps of 1 and 16 frames = 0.08 s),
    L.Ankle valid 482 (a 29-frame = 0.145 s gap), R.Ankle missing its last 13 frames."""
    trial = trial_from_c3d(c3d_dir / "btk_coda_demo.c3d")
    assert trial.valid_frames("L.Heel") == 495

    report = gap_report(trial, max_gap_s=0.1)
    assert report["L.Heel"] == {"valid_frames": 495, "filled_frames": 17, "longest_gap_s": 0.08}
    assert report["L.Ankle"]["longest_gap_s"] == pytest.approx(0.145)

    out = fill_gaps(trial, max_gap_s=0.1)
    assert out.valid_frames("L.Heel") == 512
    assert out.valid_frames("L.Ankle") == 482 + 1  # its one-frame gap only
    assert out.valid_frames("R.Ankle") == 498 + 1  # the missing end stays missing
    assert np.isnan(out.points["R.Ankle"][-13:]).all()
    long_gaps = [q for q in out.quality if q.code == "long_marker_gap"]
    assert len(long_gaps) == 1
    assert "L.Ankle" in long_gaps[0].message
    assert "0.145 s at 0.020 s" in long_gaps[0].message
    # The filled heel moves on smoothly: no step between filled frames is larger than 1.5 times
    # the largest step of the 10 seen frames after the gap.
    steps_m = np.linalg.norm(np.diff(out.points["L.Heel"], axis=0), axis=1)
    assert steps_m[7:24].max() < 1.5 * steps_m[24:34].max()


def test_sample09_heel_missing_at_both_ends_is_not_extrapolated(c3d_dir: Path) -> None:
    """sample09 (60 Hz): LHEE valid 167 of 281, seen 0.42-3.18 s; no interior gap."""
    trial = trial_from_c3d(c3d_dir / "c3dorg_sample09_plugingait.c3d")
    assert trial.valid_frames("LHEE") == 167
    out = fill_gaps(trial)
    assert out.valid_frames("LHEE") == 167
    assert gap_report(trial)["LHEE"] == {
        "valid_frames": 167,
        "filled_frames": 0,
        "longest_gap_s": 0,
    }
    assert not [q for q in out.quality if "LHEE" in q.message]


def test_qualisys_zeros_are_treated_as_missing(c3d_extra_dir: Path) -> None:
    """Qualisys sample26 writes (0, 0, 0) for lost markers: r_ankle is zero in 106 + 80 frames."""
    trial = trial_from_c3d(c3d_extra_dir / "c3dorg_sample26_qualisys_capture0002.c3d")
    raw = trial.points["r_ankle"]
    assert int((raw == 0).all(axis=1).sum()) == 186
    assert gap_report(trial)["r_ankle"]["valid_frames"] == raw.shape[0] - 186
    out = fill_gaps(trial)
    assert np.isnan(out.points["r_ankle"][:106]).all()
    assert np.isnan(out.points["r_ankle"][-80:]).all()
    assert np.isfinite(out.points["r_ankle"][106:-80]).all()


@pytest.mark.parametrize("label", ["LPSI", "LHEE"])
def test_spline_fill_error_on_real_markers(c3d_dir: Path, label: str) -> None:
    """Remove 0.1 s from a complete real trajectory (100 Hz) at many places and fill it back.

    Measured: pelvis (LPSI) at most 0.3 mm, heel (LHEE, fast in swing) at most 5.5 mm.
    """
    trial = trial_from_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    truth = trial.points[label]
    assert np.isfinite(truth).all()
    limit_m = {"LPSI": 0.001, "LHEE": 0.01}[label]
    worst_m = 0.0
    for start in range(20, truth.shape[0] - 30, 5):
        x = truth.copy()
        x[start : start + 10] = np.nan
        filled = fill_gaps(_trial_of(m=x), max_gap_s=0.1).points["m"]
        err = np.linalg.norm(filled[start : start + 10] - truth[start : start + 10], axis=1)
        worst_m = max(worst_m, float(err.max()))
    assert worst_m < limit_m
