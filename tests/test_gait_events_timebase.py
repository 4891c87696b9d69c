"""Events timed by a clip's own frame times (groundup.gait.events_timebase)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groundup.gait.events_kinematic import FootStopEventDetection
from groundup.gait.events_timebase import (
    detect_on_frame_times,
    resample_to_even_grid,
    uneven_frame_times,
)
from groundup.gait.progression import compute_progression
from groundup.io.c3d import read_c3d
from groundup.trial import Trial
from groundup.validation.body_keypoints import body_keypoints
from groundup.validation.virtual_camera import Footage, VirtualCamera, render_keypoints


def _trial(times: list[float], rate: float = 10.0) -> Trial:
    x = np.array(times, dtype=float)
    xy = np.stack([x, 2 * x], axis=1)
    xy[2] = np.nan
    return Trial(
        points={"a": xy},
        point_rate_hz=rate,
        point_units="px",
        point_confidence={"a": np.linspace(0.5, 1.0, len(times))},
        frame_times_s=np.array(times),
    )


def test_even_frames_are_left_as_they_are() -> None:
    assert uneven_frame_times(_trial([0.0, 0.1, 0.2, 0.31, 0.4])) is None
    assert uneven_frame_times(_trial([0.0, 0.1, 0.2, 0.3, 0.4]).replace(frame_times_s=None)) is None
    times = uneven_frame_times(_trial([0.0, 0.1, 0.2, 0.4, 0.5]))
    assert times is not None and times[-1] == pytest.approx(0.5)


def test_resampling_puts_each_grid_instant_at_its_real_time() -> None:
    """A point moving with time (x = t) lands at x = k / rate on the grid; a gap stays a gap on
    the grid instants next to it, and confidence is the lower of the two frames around."""
    trial = _trial([0.0, 0.1, 0.2, 0.4, 0.5, 0.6])
    even = resample_to_even_grid(trial, uneven_frame_times(trial))  # type: ignore[arg-type]
    x = even.points["a"][:, 0]
    assert even.n_frames == 7 and even.frame_times_s is None
    assert np.isnan(x[2]) and np.isnan(x[3])  # frame 2 unseen: 0.2 s and 0.3 s
    np.testing.assert_allclose(x[[0, 1, 4, 5, 6]], [0.0, 0.1, 0.4, 0.5, 0.6])
    conf = trial.point_confidence["a"]
    assert even.point_confidence["a"][3] == pytest.approx(min(conf[2], conf[3]))


def test_frame_of_uses_the_frame_times() -> None:
    trial = _trial([0.0, 0.1, 0.2, 0.4, 0.5])
    assert trial.frame_of(0.4) == 3 and trial.frame_of(0.52) == 4
    assert trial.replace(frame_times_s=None).frame_of(0.4) == 4


@pytest.mark.slow
def test_events_with_dropped_frames_keep_their_real_times(c3d_dir: Path) -> None:
    """A real walk filmed at 30 frames/s with 10 % of the frames dropped: the events come at the
    same real times as with every frame kept (within a frame), and each names the recorded
    frame nearest to its time."""
    body = body_keypoints(read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d"))
    camera = VirtualCamera.default("sagittal")
    full = render_keypoints(body, camera, Footage(frame_rate_hz=30.0, noise_px=0.0)).trial
    cut = render_keypoints(
        body, camera, Footage(frame_rate_hz=30.0, noise_px=0.0, dropped_frames_pct=10.0, seed=3)
    ).trial
    detector = FootStopEventDetection()
    reference = detector.detect(full, compute_progression(full))
    found = detect_on_frame_times(detector, cut, compute_progression(cut))
    assert len(found) == len(reference) >= 4
    times = cut.frame_times_s
    assert times is not None
    for a, b in zip(sorted(reference, key=lambda e: e.time_s), found, strict=True):
        assert (a.side, a.kind) == (b.side, b.kind)
        assert abs(a.time_s - b.time_s) <= 1 / 30, (a, b)
        assert abs(times[b.frame] - b.time_s) <= 1 / 30, b
