"""Gait events from marker or landmark kinematics, one class per method.

GroundUp's default is :class:`FootStopEventDetection` (contact where the heel's forward velocity
collapses, toe off where the toe's rises; fractions fixed on force plates, docs/gait-events.md).
Zeni, O'Connor and Hreljac & Marshall are the published methods it builds on or is compared with.
All work on any :class:`~groundup.trial.Trial` (C3D markers, TRC, video landmarks) and in any
walking direction: positions are projected on the per-frame walking direction found by
:mod:`groundup.gait.progression`, so trials that go both ways along either lab axis, or turn, are
handled; frames where the person stands are skipped.

Event times are refined below one frame (a parabola through an extremum and its two neighbours,
or a threshold crossing interpolated between frames); ``frame`` is the nearest frame.

2-D keypoint trials (pixels, image y down) run through the same classes: the progression gives
the walking direction along image x for side views, and the image row as a stand-in for depth for
rear and front views (see :mod:`groundup.gait.progression` and docs/video-gait.md). In a rear or
front view the image row mixes the foot's height with its depth, so neither a forward velocity
against the ground nor the heel's vertical impact can be read there: the default detector takes
heel strikes and toe offs from the foot's pitch as the camera sees it
(:class:`groundup.gait.events_frontal.FrontalFootPitchEventDetection`).

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
# A swing carries the foot a stride; the first swing from standing carries it about half as far,
# and a swing seen only in part (a foot coming out from behind something) less. A standing foot
# that a pose model drags along as the other passes moves a fifth of a swing or less (measured on
# Sports2D at 640 x 360: 0.19-0.22 against a partly hidden swing's 0.46). A swing peak whose
# travel is under this share of the foot's median swing travel is such a wobble.
_MIN_SWING_TRAVEL_FRACTION = 1 / 3
# Walking in place: the ground reference of foot velocities moves from the picture or lab to the
# other foot over this time (see _forward_velocity).
_IN_PLACE_BLEND_S = 0.5
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

    GroundUp's default before :class:`FootStopEventDetection`; its impact step is used there.
    Needs the same markers as Zeni.

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
        window = (self.window_before_s, self.window_after_s)
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
        nearest: bool = False,
    ) -> float | None:
        lo, hi = anchor - window[0] * rate, anchor + window[1] * rate
        # Peaks are found with one frame of context either side, then kept inside the window:
        # a peak on the window's edge must not come and go with a sub-frame shift of the anchor.
        start = max(0, int(np.floor(lo)) - 1)
        stop = min(len(accel), int(np.ceil(hi)) + 2)
        seg = accel[start:stop]
        if seg.size < 3 or not np.isfinite(seg).all():
            return None
        idx, _ = find_peaks(seg)
        idx = idx[(start + idx >= lo) & (start + idx <= hi)]
        if idx.size == 0:
            return None
        highest = float(seg[idx].max())
        if highest <= 0:  # no upward push at all: keep the least negative peak
            return start + _refine_peak(seg, int(idx[np.argmax(seg[idx])]))
        strong = idx[seg[idx] >= peak_fraction * highest]
        if nearest:
            pick = int(strong[np.argmin(np.abs(start + strong - anchor))])
            return start + _refine_peak(seg, pick)
        return start + _refine_peak(seg, int(strong[0]))


def _forward_velocity(
    trial: Trial, name: str, other: str, progression: Progression, cutoff_hz: float
) -> np.ndarray:
    """Forward velocity of a landmark against the ground, in trial units per frame.

    Forward is the walking direction of each frame (:mod:`groundup.gait.progression`); frames
    without one take the nearest frame's. Where the person walks in place (a treadmill, or a
    camera following a walker) the picture or lab does not stand still under the feet, so the
    velocity there is taken against ``other`` (the other foot's toe), which stands on the ground
    from before the landing of one foot to after its own contact (double support; Perry J,
    Burnfield JM (2010) Gait Analysis, 2nd ed., ch. 1).
    """
    position = _smooth(trial, name, cutoff_hz)
    velocity = np.gradient(position, axis=0)
    in_place = progression.in_place_mask
    if in_place is not None and in_place.any():
        # Blended in over half a second (a moving average of the in-place frames), so that a
        # switch of reference does not make a jump of velocity that reads as a stop.
        width = max(1, round(_IN_PLACE_BLEND_S * trial.point_rate_hz))
        weight = np.convolve(in_place.astype(float), np.ones(width) / width, mode="same")
        reference = np.gradient(_smooth(trial, other, cutoff_hz), axis=0)
        blend = weight > 0
        velocity[blend] = velocity[blend] - weight[blend, None] * reference[blend]
    direction = progression.direction.copy()
    known = np.flatnonzero(np.isfinite(direction).all(axis=1))
    if known.size:
        nearest = known[
            np.clip(np.searchsorted(known, np.arange(len(direction))), 0, known.size - 1)
        ]
        previous = known[np.clip(np.searchsorted(known, np.arange(len(direction))) - 1, 0, None)]
        frames = np.arange(len(direction))
        pick = np.where(np.abs(previous - frames) < np.abs(nearest - frames), previous, nearest)
        direction = direction[pick]
    return along(velocity, direction)


def _swing_peaks(
    velocity: np.ndarray,
    rate_hz: float,
    min_stride_s: float,
    prominence: float,
    min_travel: float = 0.0,
) -> list[tuple[int, float, bool]]:
    """Each swing's forward-velocity peak of one landmark: (frame, peak velocity, whether the
    data's edge stands in for the peak).

    Peaks stand out by ``prominence`` of the landmark's typical forward speed (95th percentile;
    standing still is zero, and backward motion relative to the other foot on a treadmill does
    not count). An edge stands in for a peak only ``min_stride_s`` or more from the others. A
    swing cut by the start or end of the data (a foot entering or leaving the capture volume or
    the picture) has no peak of its own: where the velocity falls from the first seen frame, or
    rises into the last, and is there at least half the landmark's median swing peak, that frame
    stands in for the peak, with the median swing peak (swing peaks of one foot vary little from
    stride to stride in steady walking) or the seen value if higher. A peak whose swing carries
    the landmark less than a third as far as its median swing does, or less than ``min_travel``,
    is a wobble, not a swing (a pose model dragging a standing foot along as the other passes
    it; feet moving apart and together on the spot).
    """
    finite = np.isfinite(velocity)
    if finite.sum() < 3:
        return []
    span = float(np.nanpercentile(velocity, 95))
    if span <= 0:
        return []
    found: list[tuple[int, float]] = []
    edges: list[int] = []
    for start, stop in finite_runs(finite):
        seg = velocity[start:stop]
        if seg.size < 3:
            continue
        # No minimum spacing here: a keypoint blip higher than the swing next to it must not
        # hide that swing. Extra peaks give the same crossing or one that the physical checks
        # of FootStopEventDetection remove (a foot lands once per lift-off).
        idx, _ = find_peaks(seg, prominence=prominence * span)
        found.extend((start + int(i), float(seg[i])) for i in idx if seg[i] > 0)
        # The highest frame near either end, where the velocity falls from the first frames
        # or rises into the last ones (the peak itself lies outside the data).
        near = max(2, int(min_stride_s * rate_hz) // 2)
        head = int(np.argmax(seg[:near]))
        if head < min(near, seg.size) - 1:
            edges.append(start + head)
        tail = int(np.argmax(seg[::-1][:near]))
        if tail < min(near, seg.size) - 1:
            edges.append(stop - 1 - tail)
    if not found:
        return []
    travel = {f: _travel(velocity, f) for f, _ in found}
    longest_usual = float(np.median(list(travel.values())))
    least = max(min_travel, _MIN_SWING_TRAVEL_FRACTION * longest_usual)
    found = [(f, v) for f, v in found if travel[f] >= least]
    if not found:
        return []
    typical = float(np.median([v for _, v in found]))
    gap = int(min_stride_s * rate_hz)
    peaks = [(f, v, False) for f, v in found]
    for edge in edges:
        value = float(velocity[edge])
        if value >= 0.5 * typical and all(abs(edge - f) >= gap for f, _ in found):
            peaks.append((edge, max(value, typical), True))
    return sorted(peaks)


def _travel(velocity: np.ndarray, peak: int) -> float:
    """How far the landmark moves forward around ``peak``: the sum of its velocity (per frame)
    over the frames next to the peak where it exceeds a tenth of the peak."""
    level = 0.1 * velocity[peak]
    a = peak
    while a > 0 and np.isfinite(velocity[a - 1]) and velocity[a - 1] > level:
        a -= 1
    b = peak
    while b + 1 < len(velocity) and np.isfinite(velocity[b + 1]) and velocity[b + 1] > level:
        b += 1
    return float(np.sum(velocity[a : b + 1]))


def _falls_below(velocity: np.ndarray, peak: int, level: float, limit: int) -> float | None:
    """Sub-frame time after ``peak`` where the velocity first falls below ``level`` (linear
    between frames); None when the data end or stop first."""
    for j in range(peak + 1, min(len(velocity), peak + limit + 1)):
        if not np.isfinite(velocity[j]):
            return None
        if velocity[j] < level:
            a, b = velocity[j - 1], velocity[j]
            return float(j - 1 + (a - level) / (a - b))
    return None


def _rises_above(velocity: np.ndarray, peak: int, level: float, limit: int) -> float | None:
    """Sub-frame time before ``peak`` where the velocity last rose through ``level``; None when
    the data start or stop first."""
    for j in range(peak - 1, max(-1, peak - limit - 1), -1):
        if not np.isfinite(velocity[j]):
            return None
        if velocity[j] < level:
            a, b = velocity[j], velocity[j + 1]
            return float(j + (level - a) / (b - a))
    return None


# Keypoint trials: a loss of tracking this short (one frame at 30 frames/s) is bridged by gap
# filling and does not cut a velocity trace (the event guard's tolerance, knowledge/
# video_gait.yaml, event_guard.max_untracked_run_s).
_BRIDGED_LOSS_S = 0.035


def _seen_only(
    velocity: np.ndarray, progression: Progression, name: str, rate_hz: float
) -> np.ndarray:
    """The velocity where the keypoint was tracked inside the picture (keypoint trials; marker
    trials unchanged), for finding swing peaks: a peak read where a pose model guessed a foot
    outside the picture or lost it is not the foot's. Losses of one frame are bridged. The
    contact and release are then searched on the whole (gap-filled) velocity, and the event
    guard drops those where the foot was not seen (so the user is told)."""
    tracked = (progression.tracked_keypoint or {}).get(name)
    if tracked is None:
        return velocity
    seen = bridge_short_losses(tracked, max_lost_frames(_BRIDGED_LOSS_S, rate_hz))
    return np.where(seen, velocity, np.nan)


def _alternating_per_foot(
    events: list[GaitEvent], weaker: list[GaitEvent] | None = None
) -> list[GaitEvent]:
    """Each foot's events alternating: a heel strike only after a toe off of that foot since its
    previous heel strike (a foot lands again only after leaving the ground), and a toe off only
    after a heel strike since its previous toe off. Of two in a row the first is kept: the
    second stop of a heel already on the ground, or the second release of a toe already in the
    air, comes from a keypoint's wobble. ``weaker`` events (from a swing whose peak lies outside
    the data) give way to the others where two of a kind meet."""

    weak = {id(e) for e in weaker or []}
    out: list[GaitEvent] = []
    for side in SIDES:
        own = [e for e in [*events, *(weaker or [])] if e.side == side]
        kept: list[GaitEvent] = []
        for ev in sorted(own, key=lambda e: (e.time_s, id(e) in weak)):
            last = kept[-1] if kept else None
            if last is None or (ev.kind != last.kind and ev.time_s > last.time_s):
                kept.append(ev)
            elif ev.kind == last.kind and id(last) in weak and id(ev) not in weak:
                kept[-1] = ev
        out += kept
    return out


def _without_short_stances(events: list[GaitEvent], min_stance_s: float) -> list[GaitEvent]:
    """The events without heel strikes whose own foot leaves the ground again within
    ``min_stance_s``. Walking keeps each foot on the ground for more than half of its stride
    (double support; with less it is running: Perry & Burnfield 2010, ch. 1), and a stride lasts
    at least ``_MIN_STRIDE_S``, so a stance shorter than half that is no stance: the heel
    keypoint of a foot coming into view settles, or a pose model exchanged the feet."""
    kept = []
    for ev in events:
        if ev.kind == "heel_strike" and any(
            o.side == ev.side and o.kind == "toe_off" and 0 < o.time_s - ev.time_s < min_stance_s
            for o in events
        ):
            continue
        kept.append(ev)
    return kept


@dataclass(frozen=True)
class FootStopEventDetection:
    """Contact where the landing heel stops moving forward; toe off where the toe starts to.

    What contact is, physically: a foot on the ground does not move over it. In swing the heel
    travels forward at up to about 2.5 times the walking speed; the ground stops it within a few
    hundredths of a second. At the force onset of every clean force-plate contact of the
    reference trials the heel marker (low-passed at 6 Hz) moves forward at 2-21 % of that swing's
    peak speed (median 7 %); the toe marker at force off at 17-38 % of its next swing peak
    (median 29 %). The rule is therefore relative to each swing's own peak, so it holds in metres
    per second, pixels per frame, near or far from a camera, at any walking speed:

    - **heel strike**: the heel's forward velocity, after its swing peak, first falls below
      ``contact_speed_fraction`` of that peak, interpolated between frames, with the heel in the
      lower ``floor_tolerance_fraction`` of its height range over ``floor_window_s`` either side
      (a heel that stops in the air is not landing). Where the frame rate resolves the heel's
      impact (``impact_cutoff_hz`` <= 0.4 x rate, i.e. 37.5 frames/s and more) the instant is
      refined at the heel's vertical impact (Hreljac & Marshall 2000: the peak of the heel's
      vertical acceleration when the ground stops its descent; of the peaks reaching
      ``impact_peak_fraction`` of the window's highest, the nearest) in ``impact_window_s``
      (before, after) around it; at 30 frames/s the velocity rule stands alone;
    - **toe off**: the toe's forward velocity, before its swing peak, last rises through
      ``release_speed_fraction`` of that peak, interpolated between frames;
    - each foot's events alternate (a foot lands again only after leaving the ground, and
      leaves it again only after landing; of two in a row the first is kept), and a heel strike
      is not followed by that foot's toe off within half of ``min_stride_s`` (in walking,
      stance is more than half the stride).

    Both fractions were fixed on the force-plate contacts of the reference C3D trials (own
    rates: heel strike bias +0.9 ms, toe off -0.1 ms; resampled to 30 frames/s: -5.2 ms and
    -2.4 ms; tests/test_gait_events.py prints the table) and are applied unchanged to video
    keypoints. Forward is along the walking direction of each frame (the walker's own frame),
    against the ground; where the person walks in place, against the other foot's toe
    (:func:`_forward_velocity`). Swing peaks stand out by ``swing_prominence_fraction`` of the
    landmark's typical forward speed (a stance foot's wobble is not a swing); on keypoints they
    are read only where the keypoint was seen, and must carry the foot ``min_stride_heights``
    body heights (a stride of about 34 cm on an adult; side-view walkers' swings carry it 0.6-1.0
    body heights, a person doing jumping jacks on the spot 0.13 or less).

    A velocity threshold for heel contact: Ghoussayni S, Stevens C, Durham S, Ewins D (2004)
    Assessment and validation of a simple automated method for the detection of gait events and
    intervals. Gait Posture 20(3):266-272 (a fixed 50 mm/s; here a fraction of the swing peak,
    which needs no units). Swing peak of the foot's forward velocity: O'Connor et al. 2007 (see
    :class:`OConnorEventDetection`). Hreljac A, Marshall RN (2000) J Biomech 33(6):783-786.

    Rear and front views (the walking direction is the image row, which mixes height and depth):
    both events from the foot's image pitch
    (:class:`groundup.gait.events_frontal.FrontalFootPitchEventDetection`).
    Needs ``{side}_heel`` and ``{side}_toe`` on both sides and a walking frame.
    """

    cutoff_hz: float = 6.0
    contact_speed_fraction: float = 0.10
    release_speed_fraction: float = 0.30
    swing_prominence_fraction: float = 0.5
    floor_tolerance_fraction: float = 0.5
    floor_window_s: float = 1.0
    min_stride_heights: float = 0.2
    min_stride_s: float = _MIN_STRIDE_S
    search_s: float = 0.5
    impact_cutoff_hz: float = 15.0
    impact_window_s: tuple[float, float] = (0.06, 0.08)
    impact_peak_fraction: float = 0.5
    zeni: ZeniEventDetection = ZeniEventDetection()
    name: str = "footstop"

    def required(self, side: Side) -> list[str]:
        return [f"{side}_heel", f"{side}_toe"]

    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]:
        progression = _walking_progression(
            trial, progression, "foot stop and release (heel and toe velocity)"
        )
        if progression.is_depth_proxy:
            from groundup.gait.events_frontal import FrontalFootPitchEventDetection

            return FrontalFootPitchEventDetection().detect(trial, progression)
        rate = trial.point_rate_hz
        limit = max(2, round(self.search_s * rate))
        walking = progression.walking
        # The impact is a transient of a few hundredths of a second: its acceleration peak is
        # resolved only where the frame rate carries the impact filter's band (rate >= 2.5 x
        # its cut-off, 37.5 frames/s for 15 Hz); at 30 frames/s the velocity rule stands alone.
        resolves_impact = self.impact_cutoff_hz <= 0.4 * rate
        events: list[GaitEvent] = []
        edge_events: set[int] = set()
        # Keypoints have a body scale: a swing carries the foot a stride, and strides shorter than
        # min_stride_heights are not timed (feet moving apart and together on the spot).
        height_px = progression.body_height_px
        least_travel = (
            self.min_stride_heights * float(np.nanmedian(height_px))
            if height_px is not None and np.isfinite(height_px).any()
            else 0.0
        )
        for side in SIDES:
            other = other_side(side)
            heel_v = _forward_velocity(
                trial, f"{side}_heel", f"{other}_toe", progression, self.cutoff_hz
            )
            toe_v = _forward_velocity(
                trial, f"{side}_toe", f"{other}_toe", progression, self.cutoff_hz
            )
            heel = _smooth(trial, f"{side}_heel", self.impact_cutoff_hz)
            height = progression.up_sign * heel[:, progression.vertical_axis]
            accel = np.gradient(np.gradient(height))
            window = self.impact_window_s
            heel_peaks = _swing_peaks(
                _seen_only(heel_v, progression, f"{side}_heel", rate),
                rate,
                self.min_stride_s,
                self.swing_prominence_fraction,
                least_travel,
            )
            for peak, top, at_edge in heel_peaks:
                if not walking[peak]:
                    continue
                stop = _falls_below(heel_v, peak, self.contact_speed_fraction * top, limit)
                if stop is None or not self._at_floor(height, stop, rate):
                    continue
                impact = (
                    HreljacMarshallEventDetection._impact(
                        accel, stop, rate, window, self.impact_peak_fraction, nearest=True
                    )
                    if resolves_impact
                    else None
                )
                pos = impact if impact is not None else stop
                events.append(_event(side, "heel_strike", pos, rate, self.name))
                if at_edge:
                    edge_events.add(id(events[-1]))
            toe_peaks = _swing_peaks(
                _seen_only(toe_v, progression, f"{side}_toe", rate),
                rate,
                self.min_stride_s,
                self.swing_prominence_fraction,
                least_travel,
            )
            for peak, top, at_edge in toe_peaks:
                if not walking[peak]:
                    continue
                release = _rises_above(toe_v, peak, self.release_speed_fraction * top, limit)
                if release is not None:
                    events.append(_event(side, "toe_off", release, rate, self.name))
                    if at_edge:
                        edge_events.add(id(events[-1]))
        kept = _without_short_stances(events, 0.5 * self.min_stride_s)
        seen = [e for e in kept if id(e) not in edge_events]
        at_edges = [e for e in kept if id(e) in edge_events]
        return sorted(_alternating_per_foot(seen, at_edges), key=lambda e: e.time_s)

    def _at_floor(self, height: np.ndarray, stop: float, rate: float) -> bool:
        """Is the heel at its floor level where it stops: within ``floor_tolerance_fraction`` of
        its swing range above its lowest height, both taken over ``floor_window_s`` either side
        (local, because a camera's ground line is not level across the picture)? A heel that
        stops moving forward in the air (a recording that freezes, a foot held up) is not a
        contact."""
        frame = round(stop)
        half = round(self.floor_window_s * rate)
        near = height[max(0, frame - half) : frame + half + 1]
        near = near[np.isfinite(near)]
        if near.size < 3 or not 0 <= frame < len(height) or not np.isfinite(height[frame]):
            return True
        low, high = float(near.min()), float(near.max())
        return bool(height[frame] <= low + self.floor_tolerance_fraction * (high - low))


@dataclass(frozen=True)
class FrontalInterFootEventDetection:
    """Heel strikes in rear and front views: the heel farthest ahead of the *other* heel.

    Used by :class:`HreljacMarshallEventDetection` in rear and front views; GroundUp's default
    there before the foot-pitch detector (on the virtual camera's rear view its heel strikes came
    about 150 ms early, docs/virtual-camera.md).

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
