"""Video gait phases outside the range of healthy walking get a quality warning, not a finding."""

from __future__ import annotations

from groundup.gait.spatiotemporal import implausible_phases
from groundup.keypoints.knowledge import phase_plausibility
from groundup.keypoints.pipeline import analyze_keypoints
from groundup.trial import Trial


def test_the_withdrawn_sports2d_phases_are_flagged() -> None:
    """The phases GroundUp reported for the healthy Sports2D walker when its contacts came in
    late swing (stance 73.5 %, double support 46.7 % of the stride) are outside the range of
    healthy walking; the warning names them and says they are not used as findings."""
    issue = implausible_phases(
        {
            "stance_pct": 73.5,
            "swing_pct": 26.5,
            "double_support_pct": 46.7,
            "left": {"stance_pct": 72.0},
            "right": {"stance_pct": 75.0},
        },
        phase_plausibility(),
    )
    assert issue is not None and issue.code == "implausible_gait_phases"
    assert "stance 73.5 %" in issue.message and "double support 46.7 %" in issue.message
    assert "right stance 75.0 %" in issue.message
    assert "not used as findings" in issue.message


def test_healthy_phases_and_missing_ones_give_no_warning() -> None:
    ranges = phase_plausibility()
    healthy = {"stance_pct": 61.0, "swing_pct": 39.0, "double_support_pct": 22.0}
    assert implausible_phases(healthy, ranges) is None
    assert implausible_phases({"stance_pct": None, "left": {}, "right": None}, ranges) is None


def test_real_side_view_walker_has_physiological_phases(sports2d_landmarks: Trial) -> None:
    """The Sports2D walker's stored landmarks, through the pipeline: contacts from the heel's
    velocity collapse give phases of healthy walking, and no phase warning."""
    analysis = analyze_keypoints(sports2d_landmarks)
    st = analysis.spatiotemporal.to_json()
    assert 58.0 <= st["stance_pct"] <= 66.0, st
    assert st["double_support_pct"] <= 32.0, st
    assert "implausible_gait_phases" not in {q.code for q in analysis.quality}
