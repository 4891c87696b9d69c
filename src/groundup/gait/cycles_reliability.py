"""Which gait cycles of a 2-D keypoint walker are measured: the legs' landmarks must be reliable
through the cycle (docs/video-gait.md, "Cycles measured while the legs are seen").

A pose model estimates every landmark of a person it sees in part: a walker stepping out from
behind a tree, or leaving the picture, gets legs and hips placed where the model guesses, and a
cycle cut from those frames reads like a gait deviation (on the Sports2D clip the first contact,
her trailing leg still behind the tree, read the landing knee at 41 deg). Per-frame evidence
(:func:`leg_landmarks`) and the rule (:func:`cycle_problem`), with thresholds and reasons in
``knowledge/cycle_reliability.yaml``:

1. both legs' hip, knee, ankle, heel and toe are tracked inside the picture around each
   contact that bounds the cycle (all views);
2. their least confident landmark is more likely seen than hidden around each contact (side
   views, where the legs are spread at contact and neither hides the other);
3. the mid-hip moves forward with the walker through the cycle: a partly hidden body stalls at
   the occluder's edge, and starting and stopping steps are not steady walking (side views);

then :func:`groundup.gait.cycles.reject_duration_outliers` (duration consistent with the others).
A cycle that fails is left out of the curves, the key-instant values and the per-cycle video
metrics, and reported with its reason; it never becomes a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from groundup.gait.progression import Progression, tracked_foot_frames
from groundup.keypoints.knowledge import max_untracked_run_s
from groundup.trial import SIDES, GaitEvent, Trial
from groundup.yaml_files import load_knowledge

LEG_PARTS: tuple[str, ...] = ("hip", "knee", "ankle", "heel", "toe")


@cache
def reliability_rules() -> dict[str, Any]:
    """``knowledge/cycle_reliability.yaml``."""
    return dict(load_knowledge("cycle_reliability.yaml"))


@dataclass(frozen=True)
class LegLandmarks:
    """Per-frame evidence that a keypoint walker's legs are measured.

    ``in_picture``: both legs' landmarks tracked inside the picture; ``least_confidence``: the
    lowest confidence of the ten leg landmarks (None: not checked for this view or source);
    ``progression_ratio``: the mid-hip's forward image speed (median over the window) over the
    walker's median forward speed (None: not checked). ``frame_of``: the trial's frame at a
    time (:meth:`groundup.trial.Trial.frame_of`: by the clip's own frame times; without it, time
    x rate)."""

    rate_hz: float
    in_picture: np.ndarray
    least_confidence: np.ndarray | None
    progression_ratio: np.ndarray | None
    frame_of: Callable[[float], int] | None = field(default=None, compare=False)

    @property
    def window_frames(self) -> int:
        return max(1, round(float(reliability_rules()["window_s"]) * self.rate_hz))

    def frame(self, time_s: float) -> int:
        if self.frame_of is not None:
            return self.frame_of(time_s)
        return round(time_s * self.rate_hz)


def _least_confidence(trial: Trial) -> np.ndarray | None:
    names = [f"{side}_{part}" for side in SIDES for part in LEG_PARTS]
    if not all(n in trial.point_confidence for n in names):
        return None
    stacked = np.stack([np.asarray(trial.point_confidence[n], dtype=float) for n in names])
    return np.nan_to_num(stacked, nan=0.0).min(axis=0)


def _running_median(values: np.ndarray, half: int) -> np.ndarray:
    out = np.full(values.shape[0], np.nan)
    for i in range(values.shape[0]):
        window = values[max(i - half, 0) : i + half + 1]
        if np.isfinite(window).any():
            out[i] = float(np.nanmedian(window))
    return out


def _progression_ratio(
    progression: Progression, events: list[GaitEvent], rate_hz: float
) -> np.ndarray | None:
    """Mid-hip forward image speed over the walker's median (see the module docstring)."""
    strikes = sorted(e.frame for e in events if e.kind == "heel_strike")
    in_place = progression.in_place_mask
    walking = progression.walking
    if len(strikes) < 2 or (in_place is not None and in_place.sum() >= 0.5 * walking.sum()):
        return None
    forward = np.gradient(progression.pelvis[:, 0]) * progression.direction[:, 0]
    if in_place is not None:
        forward[in_place] = np.nan
    span = forward[strikes[0] : strikes[-1] + 1]
    if not np.isfinite(span).any():
        return None
    usual = float(np.nanmedian(span))
    if not usual > 0:
        return None
    half = max(1, round(float(reliability_rules()["window_s"]) * rate_hz))
    return _running_median(forward, half) / usual


def leg_landmarks(
    trial: Trial, progression: Progression | None, events: list[GaitEvent]
) -> LegLandmarks | None:
    """The per-frame evidence of a 2-D keypoint trial (None for marker trials)."""
    if trial.n_dims != 2 or progression is None or progression.view is None:
        return None
    rules = reliability_rules()
    view = progression.view
    rate = trial.point_rate_hz
    height = progression.body_height_px
    if height is None:
        height = np.full(trial.n_frames, np.nan)
    if view in rules["in_picture_views"]:
        in_picture = np.ones(trial.n_frames, dtype=bool)
        for side in SIDES:
            in_picture &= tracked_foot_frames(trial, side, height, LEG_PARTS)
    else:
        in_picture = np.ones(trial.n_frames, dtype=bool)
    least = _least_confidence(trial) if view in rules["visibility_views"] else None
    ratio = (
        _progression_ratio(progression, events, rate)
        if view in rules["progression_views"]
        else None
    )
    return LegLandmarks(rate, in_picture, least, ratio, trial.frame_of)


def contact_problem(landmarks: LegLandmarks, time_s: float) -> str | None:
    """Why the legs are not measured around the contact at ``time_s`` (None: they are)."""
    rules = reliability_rules()
    f, w = landmarks.frame(time_s), landmarks.window_frames
    n = landmarks.in_picture.shape[0]
    lo, hi = f - w, f + w
    seen = landmarks.in_picture[max(lo, 0) : min(hi, n - 1) + 1]
    unseen = int((~seen).sum()) + max(0, -lo) + max(0, hi - (n - 1))
    allowed = round(max_untracked_run_s() * landmarks.rate_hz)
    at = f"the contact at {time_s:.2f} s"
    if unseen > allowed:
        return (
            f"the legs are not all seen inside the picture around {at} ({unseen} of "
            f"{2 * w + 1} frames): the walker is entering or leaving the picture, or hidden"
        )
    if landmarks.least_confidence is not None:
        least = float(np.median(landmarks.least_confidence[max(lo, 0) : min(hi, n - 1) + 1]))
        limit = float(rules["min_visibility"])
        if least < limit:
            return (
                f"a leg is more likely hidden than seen around {at} (least landmark visibility "
                f"{least:.2f}, below {limit:g}): the walker is partly hidden"
            )
    return None


def cycle_problem(landmarks: LegLandmarks, start_s: float, end_s: float) -> str | None:
    """Why the cycle from ``start_s`` to ``end_s`` is not measured (None: it is)."""
    for time_s in (start_s, end_s):
        problem = contact_problem(landmarks, time_s)
        if problem is not None:
            return problem
    ratio = landmarks.progression_ratio
    if ratio is None:
        return None
    a, b = landmarks.frame(start_s), landmarks.frame(end_s)
    inside = ratio[max(a, 0) : min(b, ratio.shape[0] - 1) + 1]
    if not np.isfinite(inside).any():
        return None
    lowest = int(np.nanargmin(inside))
    limit = float(reliability_rules()["min_progression_ratio"])
    if inside[lowest] < limit:
        return (
            f"the hips slow to {100 * inside[lowest]:.0f} % of the walker's usual forward speed "
            f"at {(max(a, 0) + lowest) / landmarks.rate_hz:.2f} s (below {100 * limit:.0f} %): "
            "the walker is partly hidden, or starting or stopping"
        )
    return None
