"""Gait events in rear and front views from the foot's pitch as the camera sees it.

In a rear or front view the walking direction is the camera's depth axis: a foot's image row
mixes its height with its depth, and a camera that follows the walker moves the ground, so
neither the forward velocity of :class:`~groundup.gait.events_kinematic.FootStopEventDetection`
nor a ground-referenced position can be read (on the virtual camera's rear view the heel's image
row stops about two frames before the plate contact, where its descent cancels its advance). What
a rear or front camera does see is the foot's pitch: the vertical image distance between toe and
heel, ``sole = toe_y - heel_y`` (image y down). It is smallest when the toe is lifted highest
above the heel, in terminal swing just before the heel lands, and largest when the heel is lifted
highest above the toe, the sole turned to a rear camera, just after toe off (the foot's rockers:
Perry J, Burnfield JM (2010) Gait Analysis, 2nd ed., ch. 2-3). Both extrema are local to one foot,
so the camera's motion and the walker's distance cancel out of them.

Per foot and stride, between its toe-up extreme (lowest ``sole``) and its next sole-showing
extreme (highest ``sole``):

- **heel strike**: ``sole`` has risen ``contact_fraction`` of the way from the toe-up extreme
  toward the sole-showing one (the foot lowering onto the ground after the heel lands);
- **toe off**: the last frame before the sole-showing extreme where ``sole`` is
  ``release_fraction`` of that way short of it.

Both fractions (5 %) were fixed on the virtual camera's rear view of the reference force-plate
trials (docs/virtual-camera.md; at 30 and 60 frames/s: heel strikes 33 and 27 ms, toe offs 9 and
10 ms mean absolute error against the plates; at the extremes themselves heel strikes came 57 ms
early and toe offs 31 ms late). An event is kept only with the foot where it must be: a landing
foot's toe ahead of the other toe, a foot leaving the ground with its toe behind it (along the
walking direction; this also drops the other foot's pitch, which a pose model can copy onto a
small foot).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from groundup.gait.events_kinematic import (
    _MIN_STRIDE_S,
    _alternating_per_foot,
    _event,
    _peaks,
    _smooth,
    _walking_progression,
)
from groundup.gait.progression import Progression, along
from groundup.trial import SIDES, GaitEvent, Side, Trial, other_side


def _crossing_after(signal: np.ndarray, start: int, stop: int, level: float) -> float | None:
    """Sub-frame time after ``start`` (up to ``stop``) where ``signal`` first rises to ``level``."""
    for j in range(start + 1, min(stop, len(signal) - 1) + 1):
        if not np.isfinite(signal[j]) or not np.isfinite(signal[j - 1]):
            return None
        if signal[j] >= level:
            a, b = signal[j - 1], signal[j]
            return float(j - 1 + (level - a) / (b - a)) if b != a else float(j)
    return None


def _crossing_before(signal: np.ndarray, stop: int, start: int, level: float) -> float | None:
    """Sub-frame time before ``stop`` (back to ``start``) where ``signal`` last rose through
    ``level``."""
    for j in range(stop - 1, max(start, 0) - 1, -1):
        if not np.isfinite(signal[j]) or not np.isfinite(signal[j + 1]):
            return None
        if signal[j] <= level:
            a, b = signal[j], signal[j + 1]
            return float(j + (level - a) / (b - a)) if b != a else float(j)
    return None


@dataclass(frozen=True)
class _Candidate:
    """An event instant read from one foot's pitch, and how strongly the feet's positions say it
    is the left foot's (> 0) or the right foot's (< 0)."""

    kind: str
    frame_pos: float
    left_vote: float
    own_support: float  # left_vote for the left foot's pitch, -left_vote for the right's


@dataclass(frozen=True)
class FrontalFootPitchEventDetection:
    """Heel strikes and toe offs in rear and front views from the foot's image pitch (see the
    module docstring). Needs ``{side}_heel`` and ``{side}_toe`` on both sides and a walking
    frame of a rear or front view (:attr:`Progression.is_depth_proxy`).

    Sides: at a heel strike the landing foot's toe is ahead of the other toe, at a toe off the
    leaving foot's toe behind it. A small foot's keypoints can carry the other foot's pitch as
    well (a pose model copying one foot onto the other), so the instants of both feet are pooled
    per kind, one instant kept per step (the one whose position agrees best with its side,
    within ``min_stride_s`` / 2), and sides given by alternation (heel strikes, like toe offs,
    alternate between the feet in walking: Perry & Burnfield 2010, ch. 1), in the phase that
    most of the feet's positions agree with. A step missed (a gap over 1.5 times the median
    step) starts a new run with its own phase.
    """

    cutoff_hz: float = 6.0
    contact_fraction: float = 0.05
    release_fraction: float = 0.05
    prominence_fraction: float = 0.3
    min_stride_s: float = _MIN_STRIDE_S
    name: str = "footpitch-frontal"

    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]:
        progression = _walking_progression(
            trial, progression, "foot pitch (heel and toe, rear/front view)"
        )
        rate = trial.point_rate_hz
        toes = {s: _smooth(trial, f"{s}_toe", self.cutoff_hz) for s in SIDES}
        # Left toe ahead of the right toe along the walking direction (> 0: left ahead).
        left_ahead = along(toes["left"] - toes["right"], progression.direction)
        candidates: list[_Candidate] = []
        for side in SIDES:
            heel = _smooth(trial, f"{side}_heel", self.cutoff_hz)
            sole = toes[side][:, 1] - heel[:, 1]
            own = 1.0 if side == "left" else -1.0
            shows = _peaks(sole, rate, self.min_stride_s, self.prominence_fraction)
            lifted = _peaks(-sole, rate, self.min_stride_s, self.prominence_fraction)
            for pos, frame in self._between_extremes(
                sole, lifted, shows, progression, rate, True, self.contact_fraction
            ):
                vote = _vote(left_ahead, frame)  # the landing foot is ahead
                candidates.append(_Candidate("heel_strike", pos, vote, own * vote))
            for pos, frame in self._between_extremes(
                sole, shows, lifted, progression, rate, False, self.release_fraction
            ):
                vote = -_vote(left_ahead, frame)  # the leaving foot is behind
                candidates.append(_Candidate("toe_off", pos, vote, own * vote))
        events: list[GaitEvent] = []
        for kind in ("heel_strike", "toe_off"):
            steps = self._one_per_step([c for c in candidates if c.kind == kind], rate)
            for cand, side in zip(steps, _alternating_sides(steps), strict=True):
                events.append(_event(side, kind, cand.frame_pos, rate, self.name))
        return sorted(_alternating_per_foot(events), key=lambda e: e.time_s)

    def _one_per_step(self, candidates: list[_Candidate], rate: float) -> list[_Candidate]:
        """Candidates of one kind, in time order, one per step: of those closer than half of
        ``min_stride_s``, the one whose side the feet's positions support most."""
        gap = 0.5 * self.min_stride_s * rate
        kept: list[_Candidate] = []
        for cand in sorted(candidates, key=lambda c: c.frame_pos):
            if kept and cand.frame_pos - kept[-1].frame_pos < gap:
                if cand.own_support > kept[-1].own_support:
                    kept[-1] = cand
                continue
            kept.append(cand)
        return kept

    def _reach(self, rate: float) -> int:
        """Frames searched for the other extreme where the data end before it shows as a peak
        (a clip that starts or ends mid-stride): two ``min_stride_s``, a slow stride."""
        return max(2, round(2 * self.min_stride_s * rate))

    @staticmethod
    def _extreme(signal: np.ndarray, start: int, stop: int) -> int | None:
        """Frame of the highest finite value of ``signal`` in ``[start, stop)`` (clipped)."""
        start, stop = max(0, start), min(len(signal), stop)
        seg = signal[start:stop]
        if seg.size == 0 or not np.isfinite(seg).any():
            return None
        return start + int(np.nanargmax(seg))

    def _between_extremes(
        self,
        sole: np.ndarray,
        anchors: list[float],
        partners: list[float],
        progression: Progression,
        rate: float,
        forward: bool,
        fraction: float,
    ) -> list[tuple[float, int]]:
        """(event, anchor frame) per anchor extreme: where ``sole`` has moved ``fraction`` of the
        way from the anchor toward its partner extreme, the next one (``forward``: heel strike,
        from the toe-up extreme) or the previous one (toe off, back from the sole-showing
        extreme). Without a partner peak, the other extreme within :meth:`_reach`."""
        out = []
        reach = self._reach(rate)
        for a in anchors:
            k = round(a)
            if not progression.walking[k]:
                continue
            if forward:
                later = [q for q in partners if q > a]
                m = round(later[0]) if later else self._extreme(sole, k + 1, k + reach)
            else:
                earlier = [q for q in partners if q < a]
                m = round(earlier[-1]) if earlier else self._extreme(-sole, k - reach, k)
            if m is None:
                continue
            level = sole[k] + fraction * (sole[m] - sole[k])
            cross = _crossing_after if forward else _crossing_before
            pos = cross(sole, k, m, level)
            if pos is not None:
                out.append((pos, k))
        return out


def _vote(left_ahead: np.ndarray, frame: int) -> float:
    value = left_ahead[frame] if 0 <= frame < len(left_ahead) else np.nan
    return float(value) if np.isfinite(value) else 0.0


def _alternating_sides(steps: list[_Candidate]) -> list[Side]:
    """Sides alternating along ``steps`` (one event kind, time order), in each run of steps
    without a missed one (no gap over 1.5 times the median gap) the phase most votes support."""
    if not steps:
        return []
    times = np.array([c.frame_pos for c in steps])
    gaps = np.diff(times)
    limit = 1.5 * float(np.median(gaps)) if gaps.size else np.inf
    breaks = [0, *(int(k) + 1 for k in np.flatnonzero(gaps > limit)), len(steps)]
    sides: list[Side] = []
    for a, b in itertools.pairwise(breaks):
        run = steps[a:b]
        # Phase "left first": steps 0, 2, 4... are the left foot's.
        support = sum(c.left_vote * (1 if k % 2 == 0 else -1) for k, c in enumerate(run))
        first: Side = "left" if support >= 0 else "right"
        sides += [first if k % 2 == 0 else other_side(first) for k in range(len(run))]
    return sides
