"""Spatiotemporal gait parameters per side and overall, and left/right symmetry.

Definitions follow the conventional gait-cycle terminology (Perry J, Burnfield JM (2010) Gait
Analysis: Normal and Pathological Function, 2nd ed., ch. 1; Whittle MW (2007) Gait Analysis: An
Introduction, 4th ed., ch. 2):

- stride (gait cycle): from a heel strike to the next heel strike of the same foot;
- stance %: heel strike to toe off of the same foot, in % of its stride; swing % = 100 - stance %;
- step (named by the foot that lands): from the other foot's heel strike to this foot's heel strike;
- double support %: both feet on the ground (initial + terminal double support) in % of stride;
- cadence: steps per minute (60 / mean step time, or 120 / mean stride time with fewer than two
  steps; none from a single step);
- step length: distance along the walking direction between the two heels at a heel strike;
- stride length: distance between successive heel-strike positions of the same heel (not on a
  treadmill, where the belt moves the heel: strides mostly walked in place have none, and so no
  walking speed);
- step width: distance of the heel at its strike from the line of progression joining the other
  heel's strikes before and after it (the instrumented-walkway definition; at the end of the
  walk, the other heel's two strikes before it; where the other heel has a single strike, the
  line of this heel's own stride; the walking direction only where neither exists); walking in
  place, the distance across the belt's direction between the two heels at the heel strike;
- walking speed: stride length / stride time.

Symmetry index (Robinson RO, Herzog W, Nigg BM (1987) Use of force platform variables to
quantify the effects of chiropractic manipulation on gait symmetry. J Manipulative Physiol Ther
10(4):172-176): SI = (X_right - X_left) / (0.5 (X_right + X_left)) x 100 %. 0 is perfect symmetry;
a positive value means the right side is larger. ``step_time_asymmetry_pct`` is |SI| of step
time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from groundup.errors import QualityIssue
from groundup.gait.progression import Progression
from groundup.trial import SIDES, GaitEvent, Side, Trial, other_side

# A stride longer than this is not one continuous stride (a pause, a turn or missed events).
_MAX_STRIDE_S = 3.0


def robinson_symmetry_index_pct(right: float | None, left: float | None) -> float | None:
    """Robinson et al. 1987 symmetry index in %, positive when the right value is larger."""
    if right is None or left is None:
        return None
    mean = 0.5 * (right + left)
    if mean == 0:
        return None
    return float((right - left) / mean * 100.0)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


@dataclass
class SideParameters:
    stride_times_s: list[float] = field(default_factory=list)
    stance_pcts: list[float] = field(default_factory=list)
    double_support_pcts: list[float] = field(default_factory=list)
    step_times_s: list[float] = field(default_factory=list)
    step_lengths_m: list[float] = field(default_factory=list)
    stride_lengths_m: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        stance = _mean(self.stance_pcts)
        stride = _mean(self.stride_times_s)
        stride_len = _mean(self.stride_lengths_m)
        return {
            "n_strides": len(self.stride_times_s),
            "n_steps": len(self.step_times_s),
            "stride_time_s": _round(stride, 4),
            "stance_pct": _round(stance, 2),
            "swing_pct": _round(100.0 - stance if stance is not None else None, 2),
            "double_support_pct": _round(_mean(self.double_support_pcts), 2),
            "step_time_s": _round(_mean(self.step_times_s), 4),
            "step_length_m": _round(_mean(self.step_lengths_m), 4),
            "stride_length_m": _round(stride_len, 4),
            "walking_speed_m_s": _round(
                stride_len / stride if stride_len is not None and stride else None, 4
            ),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


@dataclass
class Spatiotemporal:
    left: SideParameters
    right: SideParameters
    step_widths_m: list[float]

    def side(self, side: Side) -> SideParameters:
        return self.left if side == "left" else self.right

    def to_json(self) -> dict[str, object]:
        left, right = self.left.to_json(), self.right.to_json()
        steps = self.left.step_times_s + self.right.step_times_s
        strides = self.left.stride_times_s + self.right.stride_times_s
        # A rate needs repetition: one step alone (two contacts of opposite feet) is a step time,
        # and could as well be one landing after a hop; the cadence needs two steps or a stride.
        if len(steps) >= 2:
            cadence = 60.0 / float(np.mean(steps))
        elif strides:
            cadence = 120.0 / float(np.mean(strides))
        else:
            cadence = None

        def pooled(name: str) -> list[float]:
            return getattr(self.left, name) + getattr(self.right, name)

        stride_len = _mean(pooled("stride_lengths_m"))
        stride_t = _mean(strides)
        symmetry = {
            f"{key}_si_pct": _round(
                robinson_symmetry_index_pct(right[key], left[key]),  # type: ignore[arg-type]
                2,
            )
            for key in ("stride_time_s", "step_time_s", "stance_pct", "step_length_m")
        }
        step_si = symmetry["step_time_s_si_pct"]
        return {
            "cadence_steps_per_min": _round(cadence, 2),
            "stride_time_s": _round(stride_t, 4),
            "step_time_s": _round(_mean(steps), 4),
            "stance_pct": _round(_mean(pooled("stance_pcts")), 2),
            "double_support_pct": _round(_mean(pooled("double_support_pcts")), 2),
            "step_length_m": _round(_mean(pooled("step_lengths_m")), 4),
            "stride_length_m": _round(stride_len, 4),
            "step_width_m": _round(_mean(self.step_widths_m), 4),
            "walking_speed_m_s": _round(
                stride_len / stride_t if stride_len is not None and stride_t else None, 4
            ),
            "step_time_asymmetry_pct": _round(abs(step_si) if step_si is not None else None, 2),
            "symmetry_index": {"method": "robinson1987", **symmetry},
            "left": left,
            "right": right,
        }


def _times(events: list[GaitEvent], side: Side, kind: str) -> list[float]:
    return sorted(e.time_s for e in events if e.side == side and e.kind == kind)


def _between(times: list[float], start: float, stop: float) -> list[float]:
    return [t for t in times if start < t < stop]


def _spans_usable(
    usable: dict[str, np.ndarray] | None, trial: Trial, sides: tuple[Side, ...], a: float, b: float
) -> bool:
    """Are the frames from time ``a`` to ``b`` usable for every side named (None: all are)?"""
    if usable is None:
        return True
    start, stop = trial.frame_of(a), trial.frame_of(b)
    return all(bool(usable[s][start : stop + 1].all()) for s in sides)


def compute_spatiotemporal(
    trial: Trial,
    events: list[GaitEvent],
    progression: Progression | None,
    usable: dict[str, np.ndarray] | None = None,
) -> Spatiotemporal:
    """Spatiotemporal parameters from events; lengths only for metric (``"m"``) trials.

    ``usable`` (keypoint trials): per side, the frames where that foot was tracked. A stride
    counts only when its own foot, a step only when both feet, were tracked through all of it:
    a step or stride across a stretch where a foot left the picture or was lost could hide a
    missed event and would be counted as one long step.
    """
    result = Spatiotemporal(SideParameters(), SideParameters(), [])
    metric = trial.point_units == "m" and progression is not None
    for side in SIDES:
        params = result.side(side)
        other = other_side(side)
        hs = _times(events, side, "heel_strike")
        to = _times(events, side, "toe_off")
        hs_other = _times(events, other, "heel_strike")
        to_other = _times(events, other, "toe_off")
        for a, b in itertools.pairwise(hs):
            duration = b - a
            if duration > _MAX_STRIDE_S or not _spans_usable(usable, trial, (side,), a, b):
                continue
            params.stride_times_s.append(duration)
            own_to = _between(to, a, b)
            if len(own_to) == 1:
                params.stance_pcts.append((own_to[0] - a) / duration * 100.0)
                first_other_to = _between(to_other, a, own_to[0])
                other_hs = _between(hs_other, a, own_to[0])
                if len(first_other_to) == 1 and len(other_hs) == 1:
                    initial = first_other_to[0] - a
                    terminal = own_to[0] - other_hs[0]
                    params.double_support_pcts.append((initial + terminal) / duration * 100.0)
            if metric:
                length = _distance_along(trial, progression, side, a, b)
                if length is not None:
                    params.stride_lengths_m.append(length)
        # Steps ending with this side's heel strike.
        for t in hs:
            previous = [x for x in hs_other if x < t]
            own_previous = [x for x in hs if x < t]
            if not previous or (own_previous and own_previous[-1] > previous[-1]):
                continue
            step = t - previous[-1]
            if step > _MAX_STRIDE_S / 2 or not _spans_usable(
                usable, trial, (side, other), previous[-1], t
            ):
                continue
            params.step_times_s.append(step)
            if metric:
                following = [x for x in hs_other if x > t]
                # The other heel's strikes that frame this one (before and after; at the end of
                # the walk, the two before) give the line of progression for the width.
                line_end = (
                    following[0] if following else (previous[-2] if len(previous) > 1 else None)
                )
                length, width = _step_geometry(
                    trial,
                    progression,
                    side,
                    t,
                    previous[-1],
                    line_end,
                    own_previous[-1] if own_previous else None,
                )
                if length is not None:
                    params.step_lengths_m.append(length)
                if width is not None:
                    result.step_widths_m.append(width)
    return result


# Shorter than this, a stride's heel-to-heel line gives no reliable direction for step width.
_MIN_STRIDE_FOR_LINE_M = 0.3


def _heel_at(trial: Trial, side: Side, time_s: float) -> np.ndarray | None:
    heel = trial.points.get(f"{side}_heel")
    if heel is None:
        return None
    p = heel[trial.frame_of(time_s)]
    return p if np.isfinite(p).all() else None


def _direction_at(progression: Progression, frame: int) -> np.ndarray | None:
    d = progression.direction[frame]
    return d if np.isfinite(d).all() else None


def _mostly_in_place(trial: Trial, progression: Progression, t0: float, t1: float) -> bool:
    mask = progression.in_place_mask
    if mask is None:
        return False
    span = mask[trial.frame_of(t0) : trial.frame_of(t1) + 1]
    return bool(span.size and span.mean() > 0.5)


def _distance_along(
    trial: Trial, progression: Progression, side: Side, t0: float, t1: float
) -> float | None:
    if _mostly_in_place(trial, progression, t0, t1):
        return None  # on a treadmill the belt, not the walker, moves the heel between strikes
    p0, p1 = _heel_at(trial, side, t0), _heel_at(trial, side, t1)
    d = _direction_at(progression, trial.frame_of(0.5 * (t0 + t1)))
    if p0 is None or p1 is None or d is None:
        return None
    return float(abs((p1 - p0) @ d))


def _step_geometry(
    trial: Trial,
    progression: Progression,
    side: Side,
    t: float,
    t_other: float,
    t_other_line: float | None = None,
    t_own_previous: float | None = None,
) -> tuple[float | None, float | None]:
    own = _heel_at(trial, side, t)
    other_now = _heel_at(trial, other_side(side), t)
    other_then = _heel_at(trial, other_side(side), t_other)
    d = _direction_at(progression, trial.frame_of(t))
    if d is None or own is None:
        return None, None
    length = float((own - other_now) @ d) if other_now is not None else None
    vertical = progression.vertical_axis
    if _mostly_in_place(trial, progression, t_other, t):
        # On a treadmill the belt has carried the other heel back since it landed: measure
        # across the belt's direction between the two heels now, both on the belt.
        return length, _across(own, other_now, d, vertical) if other_now is not None else None
    if other_then is None:
        return length, None
    # The line of progression joins the other heel's strikes before and after this one (the
    # instrumented-walkway definition; ``t_other_line`` is the other strike on that line); the
    # pelvis's momentary direction sways toward the landing foot and changed widths by
    # centimetres.
    other_line = _heel_at(trial, other_side(side), t_other_line) if t_other_line else None
    own_previous = _heel_at(trial, side, t_own_previous) if t_own_previous else None
    lines = []
    if other_line is not None:
        lines.append(other_line - other_then)
    if own_previous is not None:
        lines.append(own - own_previous)  # this foot's own stride, where the other has no line
    for line in lines:
        line[vertical] = 0.0
        span = float(np.linalg.norm(line))
        if span >= _MIN_STRIDE_FOR_LINE_M:
            d = line / span
            break
    return length, _across(own, other_then, d, vertical)


def _across(a: np.ndarray, b: np.ndarray, direction: np.ndarray, vertical_axis: int) -> float:
    """Horizontal distance between two points across a direction."""
    delta = a - b
    delta[vertical_axis] = 0.0
    return float(np.linalg.norm(delta - (delta @ direction) * direction))


_PHASE_WORDS = {
    "stance_pct": "stance",
    "swing_pct": "swing",
    "double_support_pct": "double support",
}


def implausible_phases(
    spatiotemporal: dict[str, object], ranges: dict[str, tuple[float, float]]
) -> QualityIssue | None:
    """A warning when stance, swing or double support (overall or on either side, % of the
    stride) lies outside ``ranges``; None when all lie inside or none was measured.

    The phases still appear in the output; the warning tells the reader (and the kinetic-chain
    step, which must not build a finding on them) that they are doubtful.
    """
    outside: list[str] = []
    where = [("", spatiotemporal)] + [(f"{side} ", spatiotemporal.get(side)) for side in SIDES]
    for key, (lo, hi) in ranges.items():
        for prefix, block in where:
            value = block.get(key) if isinstance(block, dict) else None
            if isinstance(value, int | float) and not lo <= value <= hi:
                outside.append(f"{prefix}{_PHASE_WORDS.get(key, key)} {value:.1f} %")
    if not outside:
        return None
    bounds = "; ".join(
        f"{_PHASE_WORDS.get(k, k)} {lo:g}-{hi:g} %" for k, (lo, hi) in ranges.items()
    )
    return QualityIssue(
        "implausible_gait_phases",
        f"Gait phases outside the range of healthy walking at everyday speeds ({bounds}): "
        f"{', '.join(outside)}. From video, one frame of event timing moves them by about 3 % "
        "of the stride, so these values are more likely a timing error than a finding and are "
        "not used as findings; very slow or pathological walking can also produce them. Check "
        "the events in the annotated video, or measure the phases in a gait lab.",
    )
