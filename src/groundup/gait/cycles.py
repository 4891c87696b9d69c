"""Gait-cycle time normalisation: every cycle of every variable on 0-100 % (101 points), per side.

A cycle runs from a heel strike to the next heel strike of the same side. Each variable is
sampled at 101 equally spaced instants of the cycle (0, 1, ..., 100 %) by linear interpolation
between frames, the usual time normalisation of clinical gait analysis (Winter DA (2009)
Biomechanics and Motor Control of Human Movement, 4th ed., Wiley; Kadaba MP et al. (1989)
Repeatability of kinematic, kinetic, and electromyographic data in normal adult gait. J Orthop
Res 7:849-860).

Rejected cycles, each with its reason:
- for 2-D keypoint trials, a cycle whose legs are not reliably measured (the walker partly
  hidden, entering or leaving the picture, starting or stopping:
  :mod:`groundup.gait.cycles_reliability`, ``knowledge/cycle_reliability.yaml``), checked first;
- a variable with any missing frame (NaN) inside the cycle: that variable's cycle is left out
  ("angle gap"), other variables of the cycle are kept;
- a cycle whose duration is an outlier: |duration - median| > 2.5 x MAD x 1.4826 (the median
  absolute deviation rule of Leys C, Ley C, Klein O, Bernard P, Licata L (2013) Detecting
  outliers: do not use standard deviation around the mean, use absolute deviation around the
  median. J Exp Soc Psychol 49:764-766, with their "moderately conservative" threshold 2.5). The
  rule needs at least three cycles on the side; the tolerance is never below two sample periods
  (one frame of event uncertainty at each end), so that identical cycles do not reject each other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from groundup.gait.cycles_reliability import LegLandmarks, cycle_problem
from groundup.trial import SIDES, GaitEvent, Side, other_side

N_POINTS = 101
MAD_THRESHOLD = 2.5
MAD_TO_SD = 1.4826
MIN_CYCLES_FOR_OUTLIERS = 3


@dataclass
class Cycle:
    """One gait cycle of one side, with its events in % of the cycle."""

    side: Side
    index: int
    start_s: float
    end_s: float
    toe_off_pct: float | None = None
    opposite_toe_off_pct: float | None = None
    opposite_heel_strike_pct: float | None = None
    accepted: bool = True
    reason: str = ""
    # Variables whose samples were missing in this cycle, with the reason.
    rejected_variables: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def mid_stance_pct(self) -> float | None:
        """Middle of single-limb support, else half the stance phase (Perry & Burnfield 2010)."""
        if self.opposite_toe_off_pct is not None and self.opposite_heel_strike_pct is not None:
            return 0.5 * (self.opposite_toe_off_pct + self.opposite_heel_strike_pct)
        if self.toe_off_pct is not None:
            return 0.5 * self.toe_off_pct
        return None

    def to_json(self) -> dict[str, object]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), 2)

        return {
            "side": self.side,
            "index": self.index,
            "start_s": round(self.start_s, 4),
            "end_s": round(self.end_s, 4),
            "duration_s": round(self.duration_s, 4),
            "toe_off_pct": r(self.toe_off_pct),
            "opposite_toe_off_pct": r(self.opposite_toe_off_pct),
            "opposite_heel_strike_pct": r(self.opposite_heel_strike_pct),
            "accepted": self.accepted,
            "reason": self.reason,
            "rejected_variables": dict(self.rejected_variables),
        }


@dataclass
class SideCurves:
    """Normalised curves of one side: per variable, the accepted cycles (n, 101), mean and SD."""

    side: Side
    cycles: list[Cycle]
    curves: dict[str, np.ndarray]

    def mean(self, variable: str) -> np.ndarray | None:
        c = self.curves.get(variable)
        return None if c is None or c.shape[0] == 0 else c.mean(axis=0)

    def sd(self, variable: str) -> np.ndarray | None:
        c = self.curves.get(variable)
        if c is None or c.shape[0] == 0:
            return None
        return c.std(axis=0, ddof=1) if c.shape[0] > 1 else np.zeros(N_POINTS)

    @property
    def accepted_cycles(self) -> list[Cycle]:
        return [c for c in self.cycles if c.accepted]

    def mean_event_pct(self, name: str) -> float | None:
        vals = [getattr(c, name) for c in self.accepted_cycles]
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None


def _pct(t: float, start: float, end: float) -> float:
    return 100.0 * (t - start) / (end - start)


def find_cycles(events: list[GaitEvent], side: Side) -> list[Cycle]:
    """Cycles of one side from consecutive same-side heel strikes, with the events inside."""
    strikes = sorted(e.time_s for e in events if e.side == side and e.kind == "heel_strike")
    opp = other_side(side)
    cycles = []
    for i, (t0, t1) in enumerate(itertools.pairwise(strikes)):
        if t1 <= t0:
            continue

        def first(kind: str, s: Side, t0: float = t0, t1: float = t1) -> float | None:
            ts = sorted(e.time_s for e in events if e.side == s and e.kind == kind)
            inside = [t for t in ts if t0 < t < t1]
            return _pct(inside[0], t0, t1) if inside else None

        cycles.append(
            Cycle(
                side=side,
                index=i,
                start_s=t0,
                end_s=t1,
                toe_off_pct=first("toe_off", side),
                opposite_toe_off_pct=first("toe_off", opp),
                opposite_heel_strike_pct=first("heel_strike", opp),
            )
        )
    return cycles


def reject_unmeasured(cycles: list[Cycle], landmarks: LegLandmarks | None) -> None:
    """Mark cycles whose legs are not reliably measured (keypoint trials only), in place."""
    if landmarks is None:
        return
    for c in cycles:
        problem = cycle_problem(landmarks, c.start_s, c.end_s) if c.accepted else None
        if problem is not None:
            c.accepted = False
            c.reason = f"not used: {problem}"


def reject_duration_outliers(cycles: list[Cycle], rate_hz: float) -> None:
    """Mark cycles whose duration is an outlier by the MAD rule (module docstring), in place."""
    live = [c for c in cycles if c.accepted]
    if len(live) < MIN_CYCLES_FOR_OUTLIERS:
        return
    durations = np.array([c.duration_s for c in live])
    median = float(np.median(durations))
    mad = float(np.median(np.abs(durations - median)))
    tolerance = max(MAD_THRESHOLD * MAD_TO_SD * mad, 2.0 / rate_hz)
    for c in live:
        if abs(c.duration_s - median) > tolerance:
            c.accepted = False
            c.reason = (
                f"duration {c.duration_s:.3f} s differs from the median {median:.3f} s by more "
                f"than {tolerance:.3f} s (2.5 x scaled MAD, Leys et al. 2013)"
            )


def normalise_cycle(values: np.ndarray, rate_hz: float, start_s: float, end_s: float) -> np.ndarray:
    """One variable over one cycle on 101 points (NaN if any frame it needs is missing)."""
    n = values.shape[0]
    first = int(np.floor(start_s * rate_hz))
    last = int(np.ceil(end_s * rate_hz))
    if first < 0 or last > n - 1:
        return np.full(N_POINTS, np.nan)
    window = values[first : last + 1]
    if not np.isfinite(window).all():
        return np.full(N_POINTS, np.nan)
    t = np.linspace(start_s, end_s, N_POINTS)
    frames_t = np.arange(first, last + 1) / rate_hz
    return np.interp(t, frames_t, window)


def normalise_side(
    angles_deg: dict[str, np.ndarray],
    rate_hz: float,
    events: list[GaitEvent],
    side: Side,
    landmarks: LegLandmarks | None = None,
) -> SideCurves:
    """All of one side's cycles for every ``{side}_*`` variable (keys keep their full names);
    ``landmarks``: a keypoint trial's evidence that its legs are measured (see
    :func:`reject_unmeasured`)."""
    cycles = find_cycles(events, side)
    reject_unmeasured(cycles, landmarks)
    reject_duration_outliers(cycles, rate_hz)
    prefix = f"{side}_"
    curves: dict[str, np.ndarray] = {}
    for name, values in angles_deg.items():
        if not name.startswith(prefix):
            continue
        rows = []
        for c in cycles:
            if not c.accepted:
                continue
            curve = normalise_cycle(np.asarray(values, dtype=float), rate_hz, c.start_s, c.end_s)
            if np.isfinite(curve).all():
                rows.append(curve)
            else:
                c.rejected_variables[name] = "angle gap: missing samples inside the cycle"
        curves[name] = np.array(rows).reshape(len(rows), N_POINTS)
    return SideCurves(side=side, cycles=cycles, curves=curves)


def normalise_all(
    angles_deg: dict[str, np.ndarray],
    rate_hz: float,
    events: list[GaitEvent],
    landmarks: LegLandmarks | None = None,
) -> dict[Side, SideCurves]:
    """Both sides (see :func:`normalise_side`)."""
    return {side: normalise_side(angles_deg, rate_hz, events, side, landmarks) for side in SIDES}
