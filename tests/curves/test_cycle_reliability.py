"""The cycle rule of keypoint trials (groundup.gait.cycles_reliability) on per-frame evidence:
each of its three checks leaves a cycle out by itself, at the limits of
knowledge/cycle_reliability.yaml, and a clean cycle is kept; and the lab walkers rendered by the
virtual camera keep their cycles. The real-data check of the three healthy walkers (a tree and
the picture's edges) is tests/report/test_video_specificity.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groundup.gait.cycles import Cycle, reject_unmeasured
from groundup.gait.cycles_reliability import LegLandmarks, cycle_problem, reliability_rules

RATE_HZ = 30.0
N = 120


def _landmarks(
    seen: np.ndarray | None = None,
    least: np.ndarray | None = None,
    ratio: np.ndarray | None = None,
) -> LegLandmarks:
    return LegLandmarks(
        rate_hz=RATE_HZ,
        in_picture=np.ones(N, dtype=bool) if seen is None else seen,
        least_confidence=np.full(N, 0.95) if least is None else least,
        progression_ratio=np.ones(N) if ratio is None else ratio,
    )


def test_a_clean_cycle_is_kept() -> None:
    assert cycle_problem(_landmarks(), 30 / RATE_HZ, 66 / RATE_HZ) is None


def test_a_hidden_leg_at_the_contact_leaves_the_cycle_out() -> None:
    limit = float(reliability_rules()["min_visibility"])
    least = np.full(N, 0.95)
    least[27:34] = limit - 0.01  # the window of the contact at frame 30
    problem = cycle_problem(_landmarks(least=least), 30 / RATE_HZ, 66 / RATE_HZ)
    assert problem is not None and "hidden" in problem
    least[27:34] = limit
    assert cycle_problem(_landmarks(least=least), 30 / RATE_HZ, 66 / RATE_HZ) is None


def test_legs_outside_the_picture_or_the_clip_leave_the_cycle_out() -> None:
    seen = np.ones(N, dtype=bool)
    seen[65] = False  # one lost frame near the end contact: bridged, tolerated
    assert cycle_problem(_landmarks(seen=seen), 30 / RATE_HZ, 66 / RATE_HZ) is None
    seen[67] = False  # a second one in the same window
    problem = cycle_problem(_landmarks(seen=seen), 30 / RATE_HZ, 66 / RATE_HZ)
    assert problem is not None and "inside the picture" in problem
    # a contact two frames from the clip's start has frames before the clip in its window
    problem = cycle_problem(_landmarks(), 1 / RATE_HZ, 37 / RATE_HZ)
    assert problem is not None and "inside the picture" in problem


def test_hips_that_stall_inside_the_cycle_leave_it_out() -> None:
    limit = float(reliability_rules()["min_progression_ratio"])
    ratio = np.ones(N)
    ratio[50] = limit - 0.01
    problem = cycle_problem(_landmarks(ratio=ratio), 30 / RATE_HZ, 66 / RATE_HZ)
    assert problem is not None and "forward speed" in problem
    assert cycle_problem(_landmarks(ratio=ratio), 66 / RATE_HZ, 100 / RATE_HZ) is None


def test_a_cycle_left_out_carries_its_reason() -> None:
    least = np.full(N, 0.95)
    least[60:73] = 0.2
    cycles = [
        Cycle("left", 0, 30 / RATE_HZ, 66 / RATE_HZ),
        Cycle("left", 1, 66 / RATE_HZ, 100 / RATE_HZ),
    ]
    reject_unmeasured(cycles, _landmarks(least=least))
    assert [c.accepted for c in cycles] == [False, False]
    assert all(c.reason.startswith("not used: ") for c in cycles)
    reject_unmeasured(cycles[:0], None)  # marker trials: nothing to check


@pytest.mark.slow
def test_rendered_lab_walkers_keep_their_cycles(c3d_dir: Path) -> None:
    """Sensitivity: the lab trials with clean plate contacts (healthy and not: a flat-footed
    walker, a child) rendered by the virtual camera (side view, 30 frames/s, 2 px noise) as the
    video pipeline sees them after pose estimation. Neither the visibility nor the speed check
    leaves out any of their cycles; only a contact at the picture's edge or in a marker gap
    does, and most cycles stay."""
    from groundup.gait.cycles import find_cycles
    from groundup.gait.cycles_reliability import leg_landmarks
    from groundup.io.c3d import read_c3d
    from groundup.validation.comparison import run_virtual_trial
    from groundup.validation.virtual_camera import Footage, VirtualCamera
    from tests.reference_contacts import CLEAN_CONTACTS

    kept = total = 0
    for name in sorted(CLEAN_CONTACTS):
        footage = Footage(frame_rate_hz=30.0, noise_px=2.0, dropped_frames_pct=0.0, seed=1)
        result = run_virtual_trial(
            read_c3d(c3d_dir / name), VirtualCamera.default("sagittal"), footage, name
        )
        analysis = result.analysis
        landmarks = leg_landmarks(analysis.trial, analysis.progression, analysis.events)
        assert landmarks is not None
        for side in ("left", "right"):
            for c in find_cycles(analysis.events, side):
                problem = cycle_problem(landmarks, c.start_s, c.end_s)
                print(f"{name:36s} {side:5s} {c.start_s:5.2f} s: {problem or 'used'}")
                total += 1
                kept += problem is None
                assert problem is None or "inside the picture" in problem, (name, problem)
    assert total >= 20 and kept >= 0.8 * total, (kept, total)
