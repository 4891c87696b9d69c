"""Joining track fragments: one person's fragments in a row are joined, two people never."""

from __future__ import annotations

import numpy as np

from groundup.video.blazepose import PersonDetection
from groundup.video.tracking import Track, stitch_tracks

FPS = 30.0
MAX_GAP = 7  # the tracker's gap limit with the detector every 3 frames


def _det(x: float, y: float = 300.0, radius: float = 90.0) -> PersonDetection:
    keypoints = np.array([[x, y], [x, y - radius], [x, y - 1.5 * radius], [x, y - 2 * radius]])
    return PersonDetection(0.9, (x - 20, y - 2 * radius, x + 20, y - 1.6 * radius), keypoints)


def _track(track_id: int, frames: range, x0: float, speed_px: float = 0.0) -> Track:
    """A person detected every 3 frames, walking at ``speed_px`` per frame from ``x0``."""
    return Track(track_id, {f: _det(x0 + speed_px * f) for f in frames if f % 3 == 0})


def test_fragments_in_a_row_are_joined_in_time_order() -> None:
    # A follow-camera subject: always near x = 460, the detector drops them for 9 frames at a
    # time, so four fragments; each could continue the one before (and the one before that).
    fragments = [
        _track(1, range(0, 13), 460.0),
        _track(2, range(21, 43), 462.0),
        _track(3, range(51, 64), 458.0),
        _track(4, range(72, 178), 461.0),
    ]
    joined = stitch_tracks(fragments, FPS, MAX_GAP)
    assert len(joined) == 1
    frames = list(joined[0].detections)
    assert frames == sorted(frames) and joined[0].first_frame == 0 and joined[0].last_frame == 177


def test_two_people_in_view_together_are_not_merged() -> None:
    # A walker's track ends at frame 60; two people in view together (frames 69-120) both start
    # where the walker could be: either may be the walker, so nothing is joined.
    walker = _track(1, range(0, 61), 100.0, speed_px=5.0)
    near = _track(2, range(69, 121), 100.0 + 5.0 * 69)
    also_near = _track(3, range(69, 121), 100.0 + 5.0 * 69 + 9.0)
    out = stitch_tracks([walker, near, also_near], FPS, MAX_GAP)
    assert len(out) == 3


def test_walker_continues_across_a_gap() -> None:
    walker = _track(1, range(0, 61), 100.0, speed_px=5.0)
    rest = _track(2, range(69, 121), 100.0 + 5.0 * 69)
    far_away = _track(3, range(0, 121), 1500.0)  # the box exerciser, in view throughout
    out = stitch_tracks([walker, rest, far_away], FPS, MAX_GAP)
    assert sorted(t.first_frame for t in out) == [0, 0]
    assert max(t.last_frame for t in out if t.track_id == 1) == 120
