"""The cycle rule of keypoint trials (groundup.gait.cycles_reliability) on per-frame evidence:
each of its three checks leaves a cycle out by itself, at the limits of
knowledge/cycle_reliability.yaml, and a clean cycle is kept. The real-data check (three
healthy walkers, a tree and the picture's edges) is tests/report/test_video_specificity.py."""

from __future__ import annotations

import numpy as np

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
