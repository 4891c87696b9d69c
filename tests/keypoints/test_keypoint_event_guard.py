"""Keypoint events need tracked data around them; rear/front views use the other heel."""

from __future__ import annotations

import dataclasses
import itertools
import re

import numpy as np

from groundup.gait.events_kinematic import FrontalInterFootEventDetection
from groundup.gait.progression import compute_progression
from groundup.keypoints.blazepose import BLAZEPOSE_NAMES
from groundup.keypoints.pipeline import analyze_keypoints
from groundup.trial import Trial

from .conftest import SPORTS2D_IC_FRAMES


def _cut_after(trial: Trial, frame: int) -> Trial:
    """The walker leaves the tracking at ``frame``: keypoints missing, confidence 0 after it."""
    points = {k: v.copy() for k, v in trial.points.items()}
    conf = {k: v.copy() for k, v in trial.point_confidence.items()}
    for name in points:
        points[name][frame:] = np.nan
        conf[name][frame:] = 0.0
    return trial.replace(points=points, point_confidence=conf)


def test_no_event_next_to_where_tracking_ends(sports2d_landmarks: Trial) -> None:
    # Cut the real side-view sequence 2 frames after an annotated initial contact (153).
    cut = 155
    analysis = analyze_keypoints(_cut_after(sports2d_landmarks, cut))
    rate = sports2d_landmarks.point_rate_hz
    frames = [e.frame for e in analysis.events]
    # Nothing within 0.1 s (3 frames) of the end of the data.
    assert all(f <= cut - 1 - round(0.1 * rate) for f in frames), frames
    hs = [e.frame for e in analysis.events if e.kind == "heel_strike"]
    matched = [
        ic for ic in SPORTS2D_IC_FRAMES if ic < cut - 3 and min(abs(f - ic) for f in hs) <= 3
    ]
    assert len(matched) >= 4, hs
    # Cadence from whole steps inside the tracked data only. Annotated ICs 42-135 (5 steps, each
    # IC +-2 frames) give 60 / ((93 +- 4) / 5 / 30) = 93-101 steps/min; allow 93-105.
    assert 93.0 <= analysis.spatiotemporal.to_json()["cadence_steps_per_min"] <= 105.0


def test_no_event_at_the_image_border(sports2d_landmarks: Trial) -> None:
    # Pretend the picture ends 40 px left of the walker's position at frame 100: every frame in
    # which a foot keypoint lies beyond that border (or within the margin) is untracked.
    heel_x = sports2d_landmarks.points["left_heel"][100, 0]
    width, height = sports2d_landmarks.image_size_px or (0, 0)
    shifted = {k: v - np.array([heel_x - 40.0, 0.0]) for k, v in sports2d_landmarks.points.items()}
    trial = sports2d_landmarks.replace(points=shifted, image_size_px=(width, height))
    progression = compute_progression(trial, "sagittal")
    assert progression.tracked is not None
    # The walker moves right to left: before frame ~100 the feet are right of the shifted origin
    # and inside; well after it they are left of x = 0, outside the picture.
    assert not progression.tracked["left"][140:150].any()
    assert progression.tracked_keypoint is not None
    analysis = analyze_keypoints(trial, view="sagittal")
    assert analysis.events
    for ev in analysis.events:
        # The keypoint the event is read from (heel: heel strike, toe: toe off) was inside.
        part = "heel" if ev.kind == "heel_strike" else "toe"
        mask = progression.tracked_keypoint[f"{ev.side}_{part}"]
        assert mask[max(0, ev.frame - 3) : ev.frame + 4].all(), ev
    # The keypoints beyond the border (a pose model extrapolates them) are set missing by the
    # cleaning, so no event is read from them; the cleaning report counts them.
    assert analysis.video is not None
    outside = analysis.video["cleaning"]["outside_image_frames"]
    assert outside.get("left_heel", 0) > 0 and outside.get("right_toe", 0) > 0, outside


def _synthetic_rear_view(fps: float = 30.0, step_s: float = 0.55, n: int = 200) -> Trial:
    """Walking away from a still camera: each heel's image row moves up (forward) in swing."""
    t = np.arange(n) / fps
    phase = 2 * np.pi * t / (2 * step_s)
    points: dict[str, np.ndarray] = {}
    for i, name in enumerate(BLAZEPOSE_NAMES):
        points[name] = np.column_stack([np.full(n, 300.0 + (i % 5)), np.full(n, 100.0 + 3 * i)])
    # Heels: the depth difference swings +-20 px; left is ahead (higher, smaller row) at the
    # minima of cos(phase) -> t = step_s, 3 step_s, ...; right at t = 0, 2 step_s, ...
    for side, sign, x in (("left", 1.0, 280.0), ("right", -1.0, 320.0)):
        row = 500.0 + sign * 20.0 * np.cos(phase)
        for part, dy in (("heel", 0.0), ("ankle", -15.0), ("toe", 5.0)):
            points[f"{side}_{part}"] = np.column_stack([np.full(n, x), row + dy])
    for side, x in (("left", 280.0), ("right", 320.0)):
        points[f"{side}_hip"] = np.column_stack([np.full(n, x), np.full(n, 300.0)])
        points[f"{side}_knee"] = np.column_stack([np.full(n, x), np.full(n, 400.0)])
        points[f"{side}_shoulder"] = np.column_stack([np.full(n, x - 10), np.full(n, 180.0)])
    for name in ("left_eye", "right_eye", "nose"):
        points[name] = np.column_stack([np.full(n, 300.0), np.full(n, 60.0)])
    return Trial(
        points=points,
        point_rate_hz=fps,
        point_units="px",
        source_kind="video",
        image_size_px=(640, 720),
    )


def test_rear_view_heel_strikes_alternate_at_the_step_extremes() -> None:
    trial = _synthetic_rear_view()
    progression = compute_progression(trial, "frontal_posterior")
    events = FrontalInterFootEventDetection().detect(trial, progression)
    sides = [e.side for e in events]
    assert len(events) >= 8 and all(a != b for a, b in itertools.pairwise(sides)), sides
    for ev in events:
        steps = ev.time_s / 0.55
        # Left ahead at odd multiples of the step time, right at even multiples.
        assert abs(steps - round(steps)) * 0.55 < 1.5 / 30.0, ev
        assert (round(steps) % 2 == 1) == (ev.side == "left"), ev


def test_event_where_the_foot_was_not_seen_is_dropped_and_reported(
    sports2d_landmarks: Trial,
) -> None:
    """The right foot unseen for 6 frames (0.2 s, short enough to be gap-filled) around its
    heel strike at frame 135 of the real side-view landmarks: the strike found on the filled
    curve is not used, the warning says which event and why, and the other events stay."""
    base = analyze_keypoints(sports2d_landmarks)
    strike = next(
        e for e in base.events if e.side == "right" and e.kind == "heel_strike" and e.frame > 130
    )
    assert abs(strike.frame - 135) <= 2
    conf = {k: v.copy() for k, v in sports2d_landmarks.point_confidence.items()}
    for part in ("heel", "toe", "ankle"):
        conf[f"right_{part}"][132:138] = 0.0
    analysis = analyze_keypoints(sports2d_landmarks.replace(point_confidence=conf))
    found = [(e.side, e.kind, e.frame) for e in analysis.events]
    assert not [f for s, k, f in found if s == "right" and k == "heel_strike" and 129 <= f <= 141]
    others = [(e.side, e.kind, e.frame) for e in base.events if e is not strike]
    assert set(others) <= set(found) | {(s, k, f) for s, k, f in others if 132 - 3 <= f <= 140}
    issues = {q.code: q.message for q in analysis.quality}
    assert "events_dropped_untracked" in issues
    named = re.search(r"right heel strike at ([0-9.]+) s", issues["events_dropped_untracked"])
    # Found on the gap-filled curve, a few frames from where the seen foot put it.
    assert named and abs(float(named.group(1)) - strike.time_s) <= 0.15
    assert "feet included" in issues["events_dropped_untracked"]


def _guarded(lost: list[int], rate_hz: float, n: int = 60, event_frame: int = 30) -> bool:
    """Is a right heel strike at ``event_frame`` kept when its heel is untracked at ``lost``?
    (A side view: the heel strike needs its own heel only; window 0.1 s, 0.035 s may be lost.)"""
    from groundup.gait.events_kinematic import guard_keypoint_events
    from groundup.trial import GaitEvent

    trial = _synthetic_rear_view(fps=rate_hz, n=n)
    base = compute_progression(trial, "sagittal")
    heel = np.ones(n, dtype=bool)
    heel[lost] = False
    everywhere = np.ones(n, dtype=bool)
    progression = dataclasses.replace(
        base,
        tracked={"left": everywhere, "right": everywhere},
        tracked_keypoint={"right_heel": heel, "left_heel": everywhere},
    )
    event = GaitEvent("right", "heel_strike", event_frame / rate_hz, event_frame, "test")
    kept, _dropped = guard_keypoint_events([event], progression, rate_hz, 0.1, 0.2, 0.035)
    return bool(kept)


def test_guard_tolerates_one_lost_frame_inside_the_window_only() -> None:
    assert _guarded([], 30.0)
    assert _guarded([31], 30.0)  # one frame, inside: gap filling bridges it
    assert _guarded([30], 30.0)  # even at the event itself
    assert not _guarded([29, 31], 30.0)  # two frames lost in all
    assert not _guarded([27], 30.0)  # the window's first frame (30 - 3)
    assert not _guarded([33], 30.0)  # the window's last frame (30 + 3)
    # At 60 frames/s, 0.035 s is two frames (window 30 - 6 to 30 + 6).
    assert _guarded([29, 31], 60.0)
    assert not _guarded([28, 29, 31], 60.0)


def test_short_losses_are_bridged_for_steps_but_not_at_the_ends() -> None:
    from groundup.gait.events_kinematic import bridge_short_losses

    mask = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0], dtype=bool)
    bridged = bridge_short_losses(mask, 1)
    assert bridged.tolist() == [0, 1, 1, 1, 1, 0, 0, 1, 1, 0]
    assert bridge_short_losses(mask, 2).tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert bridge_short_losses(mask, 0).tolist() == mask.tolist()


def test_opposite_toe_offs_together_are_a_jump_not_steps() -> None:
    """Toe offs of both feet within 0.2 s contradict walking (a foot lands between them): both
    are dropped, like heel strikes of both feet that close; toe offs half a stride apart stay.
    Measured on a real clip: a person exercising on a box gave left and right toe offs 0-1
    frames apart, and a spurious extra toe off of Sports2D's walker fell 5 frames from the other
    foot's."""
    from groundup.gait.events_kinematic import guard_keypoint_events
    from groundup.trial import GaitEvent

    rate = 30.0
    trial = _synthetic_rear_view(fps=rate, n=120)
    base = compute_progression(trial, "sagittal")
    everywhere = np.ones(120, dtype=bool)
    progression = dataclasses.replace(
        base,
        tracked={"left": everywhere, "right": everywhere},
        tracked_keypoint={
            f"{s}_{p}": everywhere for s in ("left", "right") for p in ("heel", "toe")
        },
    )

    def toe_off(side: str, frame: int) -> GaitEvent:
        return GaitEvent(side, "toe_off", frame / rate, frame, "test")

    together = [toe_off("left", 40), toe_off("right", 42)]
    kept, dropped = guard_keypoint_events(together, progression, rate, 0.1, 0.2, 0.035)
    assert kept == [] and len(dropped) == 2
    apart = [toe_off("left", 40), toe_off("right", 57)]
    kept, dropped = guard_keypoint_events(apart, progression, rate, 0.1, 0.2, 0.035)
    assert len(kept) == 2 and dropped == []
