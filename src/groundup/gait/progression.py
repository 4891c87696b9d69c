"""Where is up, where is the pelvis, and which way is the person walking?

Labs put the vertical on z or y, and people walk both ways along either lab axis, sometimes with a
turn or a pause. Nothing here assumes a direction: the vertical axis is found from the pelvis
standing above the feet, and the walking direction frame by frame from the pelvis's horizontal
velocity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groundup.errors import InputError, NoWalkingError
from groundup.signal.filters import lowpass_array
from groundup.trial import Trial

PELVIS_SETS: tuple[tuple[str, ...], ...] = (
    ("left_asis", "right_asis", "left_psis", "right_psis"),
    ("left_asis", "right_asis", "sacrum"),
    ("left_psis", "right_psis"),
    ("left_asis", "right_asis"),
    ("sacrum",),
)
"""Pelvis marker sets, best first. One fixed set is used for a whole trial so that the pelvis
centre does not jump when a marker drops out."""

FOOT_NAMES = ("left_heel", "right_heel", "left_toe", "right_toe", "left_ankle", "right_ankle")

# Below this pelvis speed a frame counts as standing (not walking). Slow pathological gait is
# about 0.2-0.4 m/s; quiet standing drifts by less than a few cm/s.
STANDING_SPEED_M_S = 0.15
_SMOOTH_CUTOFF_HZ = 2.0  # for the walking direction only: strides are ~1 Hz, sway is faster


@dataclass(frozen=True)
class Progression:
    """Per-frame walking frame for a trial.

    ``direction`` is ``(n_frames, n_dims)``: a horizontal unit vector along the pelvis velocity
    (NaN where the person stands or the pelvis is not seen). ``speed_m_s`` is the pelvis's
    horizontal speed. ``vertical_axis`` is the index of the up axis (``up_sign`` +1 or -1).
    """

    pelvis: np.ndarray
    direction: np.ndarray
    speed_m_s: np.ndarray
    vertical_axis: int
    up_sign: float
    pelvis_markers: tuple[str, ...]

    @property
    def walking(self) -> np.ndarray:
        return np.isfinite(self.speed_m_s) & (self.speed_m_s >= STANDING_SPEED_M_S)

    def dominant_direction_label(self) -> str:
        """E.g. ``"+x"`` or ``"-y"``: the lab axis and sign the person mostly walks along."""
        d = self.direction[self.walking]
        if d.size == 0:
            return "none"
        mean = np.nanmean(d, axis=0)
        axis = int(np.argmax(np.abs(mean)))
        return f"{'+' if mean[axis] >= 0 else '-'}{'xyz'[axis]}"

    def n_direction_reversals(self) -> int:
        """How often the walking direction turns by more than 120 degrees (turns in the trial)."""
        d = self.direction
        idx = np.flatnonzero(np.isfinite(d).all(axis=1))
        if idx.size < 2:
            return 0
        ref = d[idx[0]]
        flips = 0
        for i in idx[1:]:
            if float(d[i] @ ref) < -0.5:
                flips += 1
                ref = d[i]
        return flips


def pelvis_centre(trial: Trial) -> tuple[np.ndarray, tuple[str, ...]]:
    """Mean of the best available pelvis marker set (the set with the most complete frames)."""
    best: tuple[int, tuple[str, ...]] = (0, ())
    for names in PELVIS_SETS:
        if any(n not in trial.points for n in names):
            continue
        stack = np.stack([trial.points[n] for n in names])
        complete = int(np.isfinite(stack).all(axis=(0, 2)).sum())
        if complete > best[0]:
            best = (complete, names)
    if not best[1]:
        raise InputError(
            "No pelvis markers were found (ASIS, PSIS or sacrum).",
            "Kinematic gait events need the pelvis: label the ASIS/PSIS or sacral markers, or "
            "extend the label map (docs/marker-labels.md). Force-plate or stored events can "
            "still be used.",
        )
    return np.stack([trial.points[n] for n in best[1]]).mean(axis=0), best[1]


def detect_vertical_axis(trial: Trial, pelvis: np.ndarray) -> tuple[int, float]:
    """The lab axis along which the pelvis is highest above the feet, and its sign."""
    feet = [trial.points[n] for n in FOOT_NAMES if n in trial.points]
    if trial.vertical_axis is not None:
        return trial.vertical_axis, 1.0
    if not feet:
        return trial.n_dims - 1, 1.0
    diff = np.nanmedian(np.stack([pelvis - f for f in feet]), axis=(0, 1))
    if not np.isfinite(diff).any():
        return trial.n_dims - 1, 1.0
    axis = int(np.nanargmax(np.abs(diff)))
    return axis, float(np.sign(diff[axis]) or 1.0)


def compute_progression(trial: Trial) -> Progression:
    """Pelvis centre, vertical axis and per-frame walking direction of a trial."""
    pelvis, names = pelvis_centre(trial)
    axis, sign = detect_vertical_axis(trial, pelvis)
    rate = trial.point_rate_hz
    cutoff = min(_SMOOTH_CUTOFF_HZ, 0.4 * rate)
    smooth = lowpass_array(pelvis, rate, cutoff, order=2)
    velocity = np.gradient(smooth, 1.0 / rate, axis=0)
    velocity[:, axis] = 0.0
    speed = np.linalg.norm(velocity, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        direction = velocity / speed[:, None]
    direction[~(speed >= STANDING_SPEED_M_S)] = np.nan
    return Progression(pelvis, direction, speed, axis, sign, names)


def require_walking(progression: Progression, rate_hz: float, min_walking_s: float = 0.6) -> None:
    """Refuse a trial in which the pelvis never moves at walking speed for long enough."""
    walking_s = float(progression.walking.sum()) / rate_hz
    if walking_s < min_walking_s:
        top = (
            float(np.nanmax(progression.speed_m_s))
            if np.isfinite(progression.speed_m_s).any()
            else 0.0
        )
        raise NoWalkingError(
            f"No walking was found: the pelvis moved faster than {STANDING_SPEED_M_S} m/s for "
            f"only {walking_s:.2f} s (top speed {top:.2f} m/s).",
            "Gait analysis needs at least one stride of walking through the capture volume. "
            "Check that this is a walking trial, not a static or standing trial.",
        )
