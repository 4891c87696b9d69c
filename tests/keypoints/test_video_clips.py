"""Real clips through the video front end and the keypoint gait pipeline, against ANNOTATIONS.md.

Skipped until ``groundup.video.pose_run.video_to_trial`` exists (the video front end).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from groundup.errors import NoWalkingError
from groundup.keypoints.pipeline import analyze_keypoints

from .conftest import SPORTS2D_IC_FRAMES, video_front_end_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not video_front_end_available(),
        reason="groundup.video.pose_run.video_to_trial (the video front end) is not available",
    ),
]

# Walker A of sagittal_indoor_two_walkers.mp4 (ANNOTATIONS.md): (side, frame).
INDOOR_A_IC = [("right", 8), ("left", 24), ("right", 40), ("left", 56), ("right", 72), ("left", 88)]
POSTERIOR_TO = [("right", 20), ("left", 50), ("right", 78), ("left", 109), ("right", 137)]
POSTERIOR_IC = [("right", 28), ("left", 60), ("right", 86), ("left", 118), ("right", 145)]


def _trial(shared_data: Path, name: str):
    from groundup.video.pose_run import video_to_trial

    return video_to_trial(shared_data / "video" / name)


def _hs(analysis, kind: str = "heel_strike") -> list[tuple[str, int]]:
    return [(e.side, e.frame) for e in analysis.events if e.kind == kind]


def _matched(found: list[tuple[str, int]], ref: list[tuple[str, int]], tol: int) -> int:
    return sum(any(s == rs and abs(f - rf) <= tol for s, f in found) for rs, rf in ref)


def test_sports2d_demo(shared_data: Path) -> None:
    analysis = analyze_keypoints(_trial(shared_data, "sports2d_demo.mp4"))
    frames = [f for _, f in _hs(analysis)]
    within = [ic for ic in SPORTS2D_IC_FRAMES if min(abs(f - ic) for f in frames) <= 3]
    print("sports2d_demo ICs", _hs(analysis), "within 3 frames:", within)
    assert len(within) >= 6
    assert 95.0 <= analysis.spatiotemporal.to_json()["cadence_steps_per_min"] <= 102.0


def test_sagittal_indoor_walker(shared_data: Path) -> None:
    analysis = analyze_keypoints(_trial(shared_data, "sagittal_indoor_two_walkers.mp4"))
    hs = _hs(analysis)
    print("sagittal_indoor ICs", hs)
    assert _matched(hs, INDOOR_A_IC, 3) >= 0.8 * len(INDOOR_A_IC)
    sides = [s for s, _ in hs]
    assert all(a != b for a, b in itertools.pairwise(sides))
    assert 109.0 <= analysis.spatiotemporal.to_json()["cadence_steps_per_min"] <= 116.0


@pytest.mark.xfail(
    reason="rear-view events from image rows are 8-15 frames early on this follow-camera clip "
    "(docs/video-gait.md, 'Frontal views: known limits')",
    strict=False,
)
def test_posterior_events_in_file_frames(shared_data: Path) -> None:
    analysis = analyze_keypoints(_trial(shared_data, "posterior_followcam_forest_road.mp4"))
    assert analysis.video is not None and analysis.video["view"] == "frontal_posterior"
    to, hs = _hs(analysis, "toe_off"), _hs(analysis)
    print("posterior TO", to, "IC", hs)
    assert _matched(to, POSTERIOR_TO, 3) >= 0.8 * len(POSTERIOR_TO)
    assert _matched(hs, POSTERIOR_IC, 3) >= 0.8 * len(POSTERIOR_IC)


def test_no_walking_clip_reports_no_gait(shared_data: Path) -> None:
    with pytest.raises(NoWalkingError):
        analyze_keypoints(_trial(shared_data, "no_walking_seated_lab.mp4"))
