"""Gait events from marker or landmark kinematics, one class per published method.

Both methods work on any :class:`~groundup.trial.Trial` (C3D markers, TRC, video landmarks) and in
any walking direction: positions are projected on the per-frame walking direction found by
:mod:`groundup.gait.progression`, so trials that go both ways along either lab axis, or turn, are
handled; frames where the person stands are skipped.

Event times are refined below one frame by fitting a parabola through the extremum and its two
neighbours; ``frame`` is the nearest frame.

2-D keypoint trials (pixels, image y down) run through the same classes: the progression gives
the walking direction along image x for side views, and the image row as a stand-in for depth for
rear and front views (see :mod:`groundup.gait.progression` and docs/video-gait.md). In a rear or
front view the image row mixes the foot's height with its depth, so the Hreljac & Marshall impact
refinement (which reads the heel's vertical acceleration) is not applied there: heel strikes come
from :class:`FrontalInterFootEventDetection` (one per step, alternating by construction), toe offs
from Zeni's toe rows (method ``zeni2008-frontal``).

Keypoint events are kept only where the foot was tracked inside the picture around them
(:func:`guard_keypoint_events`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from groundup.errors import MissingMarkersError
from groundup.gait.progression import Progression, along, compute_progression, require_walking
from groundup.signal.filters import finite_runs, lowpass_array
from groundup.trial import SIDES, GaitEvent, Side, Trial, other_side

# Two same-side heel strikes are at least this far apart. Adult strides last 0.9-1.4 s and a fast
# run is above 0.6 s, so half that keeps every real stride and drops double peaks.
_MIN_STRIDE_S = 0.5
# An extremum must stand out by this share of the signal's range to count (noise rejection).
_MIN_PROMINENCE_FRACTION = 0.15


def _refine_peak(signal: np.ndarray, i: int) -> float:
    """Sub-frame location of the extremum at ``i`` by a parabola through i-1, i, i+1."""
    if i <= 0 or i >= len(signal) - 1:
        return float(i)
    y0, y1, y2 = signal[i - 1], signal[i], signal[i + 1]
    denom = y0 - 2 * y1 + y2
    if not np.isfinite(denom) or denom == 0:
        return float(i)
    return float(i + 0.5 * (y0 - y2) / denom)


def _peaks(
    signal: np.ndarray,
    rate_hz: float,
    min_stride_s: float = _MIN_STRIDE_S,
    prominence_fraction: float = _MIN_PROMINENCE_FRACTION,
) -> list[float]:
    """Sub-frame maxima of a signal with gaps (NaN), one search per finite run."""
    finite = np.isfinite(signal)
    if finite.sum() < 3:
        return []
    span = float(np.nanpercentile(signal, 95) - np.nanpercentile(signal, 5))
    if span <= 0:
        return []
    found: list[float] = []
    for start, stop in finite_runs(finite):
        seg = signal[start:stop]
        if seg.size < 3:
            continue
        idx, _ = find_peaks(
            seg,
            distance=max(1, int(min_stride_s * rate_hz)),
            prominence=prominence_fraction * span,
        )
        found.extend(start + _refine_peak(seg, int(i)) for i in idx)
    return found


def _along_direction(position: np.ndarray, progression: Progression) -> np.ndarray:
    """Component of ``position - pelvis`` along the walking direction, per frame."""
    rel = position - progression.pelvis
    return along(rel, progression.direction)


def _event(side: Side, kind: str, frame_pos: float, rate_hz: float, method: str) -> GaitEvent:
    return GaitEvent(side, kind, frame_pos / rate_hz, round(frame_pos), method)  # type: ignore[arg-type]


def _smooth(trial: Trial, name: str, cutoff_hz: float) -> np.ndarray:
    """A landmark low-passed (zero lag, 4th order overall) for event detection."""
    rate = trial.point_rate_hz
    return lowpass_array(trial.points[name], rate, min(cutoff_hz, 0.4 * rate), order=2)


_FOOT_LANDMARKS = [f"{side}_{part}" for side in SIDES for part in ("heel", "toe")]


def _walking_progression(trial: Trial, progression: Progression | None, method: str) -> Progression:
    """Check heel and toe landmarks on both sides, then the walking frame (computed if absent)."""
    _require(trial, _FOOT_LANDMARKS, method)
    progression = progression or compute_progression(trial)
    require_walking(progression, trial.point_rate_hz)
    return progression


def _require(trial: Trial, names: list[str], method: str) -> None:
    """Raise when landmarks are missing, naming them and the event sources still possible."""
    missing = [trial.describe_label(n) if n in trial.points else n for n in trial.missing(names)]
    if missing:
        alternatives = []
        if trial.force_plates:
            alternatives.append("force-plate (--events force-plate)")
        if trial.events:
            alternatives.append("events stored in the file (--events file)")
        raise MissingMarkersError(method, missing, alternatives)


@dataclass(frozen=True)
class ZeniEventDetection:
    """Heel strike and toe off from heel and toe positions relative to the pelvis.

    Zeni JA Jr, Richards JG, Higginson JS (2008). Two simple methods for determining gait events
    during treadmill and overground walking using kinematic data. Gait & Posture 27(4):710-714.
    doi:10.1016/j.gaitpost.2007.07.007

    Heel strike is the frame where the heel is farthest ahead of the pelvis along the walking
    direction; toe off the frame where the toe is farthest behind it. Zeni et al. used the sacrum;
    any pelvis centre works because a constant offset does not move the extremum. The walking
    direction is taken per frame, so the method also works when the person walks the other way
    or turns (standing frames are skipped).

    Heel and toe are low-passed at ``cutoff_hz`` (zero lag) before the search.
    Needs: ``{side}_heel``, ``{side}_toe`` and pelvis markers. Cannot: find events while the person
    stands, or for shuffling gait where the heel barely passes the pelvis.
    """

    min_stride_s: float = _MIN_STRIDE_S
    cutoff_hz: float = 6.0
    name: str = "zeni2008"

    def required(self, side: Side) -> list[str]:
        return [f"{side}_heel", f"{side}_toe"]

    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]:
        progression = _walking_progression(
            trial, progression, "Zeni et al. 2008 (heel/toe vs pelvis)"
        )
        rate = trial.point_rate_hz
        events: list[GaitEvent] = []
        for side in SIDES:
            heel = _along_direction(_smooth(trial, f"{side}_heel", self.cutoff_hz), progression)
            toe = _along_direction(_smooth(trial, f"{side}_toe", self.cutoff_hz), progression)
            events += [
                _event(side, "heel_strike", p, rate, self.name)
                for p in _peaks(heel, rate, self.min_stride_s)
            ]
            events += [
                _event(side, "toe_off", p, rate, self.name)
                for p in _peaks(-toe, rate, self.min_stride_s)
            ]
        return sorted(events, key=lambda e: e.time_s)


@dataclass(frozen=True)
class OConnorEventDetection:
    """Heel strike and toe off from the foot centre's velocity (foot velocity algorithm, FVA).

    O'Connor CM, Thorpe SK, O'Malley MJ, Vaughan CL (2007). Automatic detection of gait events
    using kinematic data. Gait & Posture 25(3):469-474. doi:10.1016/j.gaitpost.2006.05.016

    The foot centre is the midpoint of heel and toe. Each swing phase shows a peak of its forward
    velocity (mid-swing). Heel strike is the first local minimum of the foot centre's vertical
    velocity after mid-swing (the foot's descent is arrested as the heel lands), toe off the last
    local maximum of vertical velocity before mid-swing (the foot's fastest rise at lift-off).

    Needs: ``{side}_heel`` and ``{side}_toe`` (pelvis markers only for the walking direction).
    Designed for treadmill walking; overground it works where the foot is tracked through the
    whole swing.
    """

    min_stride_s: float = _MIN_STRIDE_S
    search_window_s: float = 0.35
    cutoff_hz: float = 6.0
    name: str = "oconnor2007"

    def required(self, side: Side) -> list[str]:
        return [f"{side}_heel", f"{side}_toe"]

    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]:
        progression = _walking_progression(
            trial, progression, "O'Connor et al. 2007 (foot velocity)"
        )
        rate = trial.point_rate_hz
        window = round(self.search_window_s * rate)
        events: list[GaitEvent] = []
        for side in SIDES:
            heel = _smooth(trial, f"{side}_heel", self.cutoff_hz)
            centre = (heel + _smooth(trial, f"{side}_toe", self.cutoff_hz)) / 2
            velocity = np.gradient(centre, 1.0 / rate, axis=0)
            forward = along(velocity, progression.direction)
            vertical = progression.up_sign * velocity[:, progression.vertical_axis]
            for mid in _peaks(forward, rate, self.min_stride_s):
                m = round(mid)
                after = vertical[m : m + window]
                hs = self._first_local_extremum(-after)
                if hs is not None:
                    events.append(_event(side, "heel_strike", m + hs, rate, self.name))
                before = vertical[max(0, m - window) : m][::-1]
                to = self._first_local_extremum(before)
                if to is not None:
                    events.append(_event(side, "toe_off", m - 1 - to, rate, self.name))
        return sorted(events, key=lambda e: e.time_s)

    @staticmethod
    def _first_local_extremum(seg: np.ndarray) -> float | None:
        """First local maximum of a finite segment, refined below one sample."""
        if seg.size < 3 or not np.isfinite(seg).all():
            return None
        idx, _ = find_peaks(seg)
        return _refine_peak(seg, int(idx[0])) if idx.size else None


@dataclass(frozen=True)
class HreljacMarshallEventDetection:
    """Zeni's gait cycles with heel strike refined at the heel's vertical impact.

    Hreljac A, Marshall RN (2000). Algorithms to determine event timing during normal walking using
    kinematic data. J Biomech 33(6):783-786. doi:10.1016/S0021-9290(00)00014-2

    Hreljac & Marshall time heel strike at the peak of the heel marker's vertical acceleration
    (the jerk's zero crossing), when the heel's descent is stopped by the ground. Searched over a
    whole trial that peak is ambiguous (late swing also decelerates the heel), so the search is
    limited to a window around each heel strike of :class:`ZeniEventDetection`, which reliably
    finds one heel strike per stride but places it before contact in overground walking (the
    heel is farthest ahead of the pelvis tens of ms before it lands). Toe offs are Zeni's.
    The acceleration is taken from the heel low-passed at ``cutoff_hz`` (higher than the 6 Hz used
    for positions: a 6 Hz filter smooths the impact away).

    This is GroundUp's default kinematic method. Needs the same markers as Zeni.

    2-D keypoints (pixels): the heel keypoint of a pose estimator keeps sliding forward while the
    foot rolls down after contact, so Zeni's extremum can fall *after* the visible contact (by
    about 0.1 s on the reference side-view clips, within a frame on another; docs/video-gait.md).
    The impact is therefore searched from ``keypoint_window_before_s`` before to
    ``keypoint_window_after_s`` after Zeni's heel strike on pixel trials; marker trials keep the
    lab window.

    Inside the window the impact is the *first* acceleration peak that reaches
    ``impact_peak_fraction`` of the window's highest peak: the ground stops the heel's descent
    first, and later peaks (the foot rolling flat, a keypoint sliding along the sole) can be as
    high. Taking the highest peak made the choice flip between peaks of similar height with pixel
    noise: 1 px of landmark noise moved 8 % of the Sports2D heel strikes by 3 frames or more, 4 %
    with the first-peak rule; re-encoding that clip as HEVC moved one by 3 frames, now 1. On
    the marker trials both rules pick the same peak (docs/gait-events.md).
    """

    cutoff_hz: float = 15.0
    window_before_s: float = 0.02
    window_after_s: float = 0.15
    keypoint_window_before_s: float = 0.15
    keypoint_window_after_s: float = 0.05
    impact_peak_fraction: float = 0.5
    zeni: ZeniEventDetection = ZeniEventDetection()
    name: str = "hreljac2000+zeni2008"

    def __post_init__(self) -> None:
        if not 0.0 < self.impact_peak_fraction <= 1.0:
            raise ValueError("impact_peak_fraction must lie in (0, 1].")

    def required(self, side: Side) -> list[str]:
        return self.zeni.required(side)

    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]:
        progression = progression or compute_progression(trial)
        zeni_events = self.zeni.detect(trial, progression)
        if progression.is_depth_proxy:
            heel_strikes = FrontalInterFootEventDetection().detect(trial, progression)
            toe_offs = [
                GaitEvent(e.side, e.kind, e.time_s, e.frame, f"{self.zeni.name}-frontal")
                for e in zeni_events
                if e.kind == "toe_off"
            ]
            return sorted(heel_strikes + toe_offs, key=lambda e: e.time_s)
        rate = trial.point_rate_hz
        cutoff = self.cutoff_hz
        window = (
            (self.keypoint_window_before_s, self.keypoint_window_after_s)
            if trial.point_units == "px"
            else (self.window_before_s, self.window_after_s)
        )
        events: list[GaitEvent] = []
        for side in SIDES:
            heel = _smooth(trial, f"{side}_heel", cutoff)
            height = progression.up_sign * heel[:, progression.vertical_axis]
            accel = np.gradient(np.gradient(height, 1.0 / rate), 1.0 / rate)
            for ev in zeni_events:
                if ev.side != side:
                    continue
                if ev.kind == "toe_off":
                    events.append(GaitEvent(side, "toe_off", ev.time_s, ev.frame, self.name))
                    continue
                refined = self._impact(
                    accel, ev.time_s * rate, rate, window, self.impact_peak_fraction
                )
                pos = refined if refined is not None else ev.time_s * rate
                events.append(_event(side, "heel_strike", pos, rate, self.name))
        return sorted(events, key=lambda e: e.time_s)

    @staticmethod
    def _impact(
        accel: np.ndarray,
        anchor: float,
        rate: float,
        window: tuple[float, float],
        peak_fraction: float,
    ) -> float | None:
        start = max(0, int(np.floor(anchor - window[0] * rate)))
        stop = min(len(accel), int(np.ceil(anchor + window[1] * rate)) + 1)
        seg = accel[start:stop]
        if seg.size < 3 or not np.isfinite(seg).all():
            return None
        idx, _ = find_peaks(seg)
        if idx.size == 0:
            return None
        highest = float(seg[idx].max())
        if highest <= 0:  # no upward push at all: keep the least negative peak
            return start + _refine_peak(seg, int(idx[np.argmax(seg[idx])]))
        first = int(idx[seg[idx] >= peak_fraction * highest][0])
        return start + _refine_peak(seg, first)


@dataclass(frozen=True)
class FrontalInterFootEventDetection:
    """Heel strikes in rear and front views: the heel farthest ahead of the *other* heel.

    Zeni et al. (2008; see :class:`ZeniEventDetection`) time heel strike where the heel is
    farthest ahead of a body reference along the walking direction. In a rear or front view the
    walking direction is the camera's depth axis, read from the image row (a farther point on the
    ground plane is imaged higher: Hartley R, Zisserman A (2004) Multiple View Geometry in
    Computer Vision, 2nd ed., ch. 8), and the pelvis is a poor reference: its image row carries
    the body's vertical bounce and, with a moving camera, the camera's own bounce. The reference
    here is the other heel: at heel strike the other foot is still on the ground (double support
    begins at initial contact; Perry J, Burnfield JM (2010) Gait Analysis, 2nd ed., ch. 1), so
    the difference of the two heels' image rows is a ground-referenced step length along the
    depth axis. Its signed difference F = (left - right) . walking direction swings once per
    step: left heel strikes at its maxima (left farthest ahead), right heel strikes at its minima.
    Because both sides come from one signal they alternate by construction, and the heel rise of
    push-off, which made the pelvis-referenced image row show two minima per stride, moves the
    trailing heel only (it does not add an extremum of the difference).

    Heels low-passed at ``cutoff_hz`` (zero lag); extrema at least ``min_stride_s`` apart per
    side, refined below one frame like Zeni's. Every step swings the difference from one extreme
    to the other, so an extremum must stand out by ``prominence_fraction`` (a third) of the
    signal's range: twice Zeni's 0.15, because one reversal of the difference needs only one of
    two small keypoints to wobble (on the rear-view reference clip a 6-px wobble of the feet,
    a seventh of the range, made a false pair of heel strikes 5 frames apart).
    Needs both heels and a walking frame.
    Limit: where the far foot is hidden behind the near leg (rear view, early stance), its
    keypoint is a guess and the extremum shifts (docs/video-gait.md).
    """

    min_stride_s: float = _MIN_STRIDE_S
    cutoff_hz: float = 6.0
    prominence_fraction: float = 0.3
    name: str = "zeni2008-interfoot"

    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]:
        progression = _walking_progression(
            trial, progression, "Zeni et al. 2008 (heel vs other heel, rear/front view)"
        )
        rate = trial.point_rate_hz
        left = _smooth(trial, "left_heel", self.cutoff_hz)
        right = _smooth(trial, "right_heel", self.cutoff_hz)
        ahead = along(left - right, progression.direction)
        events = [
            _event("left", "heel_strike", p, rate, self.name)
            for p in _peaks(ahead, rate, self.min_stride_s, self.prominence_fraction)
        ]
        events += [
            _event("right", "heel_strike", p, rate, self.name)
            for p in _peaks(-ahead, rate, self.min_stride_s, self.prominence_fraction)
        ]
        return sorted(events, key=lambda e: e.time_s)


def _window_tracked(window: np.ndarray, allowed: int) -> bool:
    """Tracked at both ends of the window, and at most ``allowed`` frames lost inside it."""
    return bool(window[0] and window[-1] and np.count_nonzero(~window) <= allowed)


def bridge_short_losses(mask: np.ndarray, max_frames: int) -> np.ndarray:
    """``mask`` (tracked frames) with interior runs of at most ``max_frames`` untracked frames
    set to tracked: losses that gap filling bridges (see :func:`guard_keypoint_events`)."""
    out = np.asarray(mask, dtype=bool).copy()
    if max_frames <= 0:
        return out
    lost = np.flatnonzero(~out)
    if lost.size == 0:
        return out
    runs = np.split(lost, np.flatnonzero(np.diff(lost) > 1) + 1)
    for run in runs:
        if run[0] > 0 and run[-1] < len(out) - 1 and len(run) <= max_frames:
            out[run] = True
    return out


def max_lost_frames(max_untracked_run_s: float, rate_hz: float) -> int:
    """The frames of tracking an event window may lose: ``max_untracked_run_s`` at ``rate_hz``,
    at least one frame when it is above zero."""
    return max(1, round(max_untracked_run_s * rate_hz)) if max_untracked_run_s > 0 else 0


def guard_keypoint_events(
    events: list[GaitEvent],
    progression: Progression,
    rate_hz: float,
    window_s: float,
    min_opposite_strike_s: float = 0.0,
    max_untracked_run_s: float = 0.0,
) -> tuple[list[GaitEvent], list[GaitEvent]]:
    """Split keypoint events into (kept, dropped): kept where the data around them is tracked.

    An event is kept when the keypoint it is read from (the heel for a heel strike, the toe for a
    toe off) and the hips are tracked inside the picture (:attr:`Progression.tracked_keypoint`)
    in every frame (short losses aside, below) from ``window_s`` before to ``window_s`` after it,
    and the window lies inside the trial; in rear and front views a heel strike is referenced to
    the other heel, so both heels must be tracked. An extremum found where the keypoint enters or
    leaves the picture, or where the pose model lost it, is the edge of the data, not a gait
    event. Only the event's own keypoint counts: at the frame edge the toe of a landing foot is
    often already outside while its heel is measured. Marker trials (no ``tracked`` frames) keep
    every event.

    Heel strikes of opposite feet closer than ``min_opposite_strike_s`` contradict each other
    (a foot is in stance between two contacts), and so do toe offs (in walking the other foot
    lands between them; both feet leaving the ground together is a jump): both are dropped.
    Inside the window, up to ``max_untracked_run_s`` of lost tracking in all (at least one frame
    when it is above zero) is tolerated, never at the window's first or last frame: gap filling
    bridges it.
    """
    if progression.tracked is None:
        return list(events), []
    per_point = progression.tracked_keypoint or {}
    half = max(1, round(window_s * rate_hz))
    allowed = max_lost_frames(max_untracked_run_s, rate_hz)
    kept: list[GaitEvent] = []
    dropped: list[GaitEvent] = []
    for ev in events:
        part = "heel" if ev.kind == "heel_strike" else "toe"
        sides = [ev.side]
        if progression.is_depth_proxy and ev.kind == "heel_strike":
            sides.append(other_side(ev.side))
        masks = [per_point.get(f"{s}_{part}", progression.tracked[s]) for s in sides]
        start, stop = ev.frame - half, ev.frame + half + 1
        inside = start >= 0 and stop <= len(masks[0])
        if inside and all(_window_tracked(m[start:stop], allowed) for m in masks):
            kept.append(ev)
        else:
            dropped.append(ev)
    contradicted: set[int] = set()
    for kind in ("heel_strike", "toe_off"):
        same_kind = sorted((e for e in kept if e.kind == kind), key=lambda e: e.time_s)
        contradicted |= {
            id(e)
            for a, b in itertools.pairwise(same_kind)
            if a.side != b.side and b.time_s - a.time_s < min_opposite_strike_s
            for e in (a, b)
        }
    dropped += [e for e in kept if id(e) in contradicted]
    kept = [e for e in kept if id(e) not in contradicted]
    return kept, sorted(dropped, key=lambda e: e.time_s)
