"""Where is up, where is the pelvis, and which way is the person walking?

Labs put the vertical on z or y, and people walk both ways along either lab axis, sometimes with a
turn or a pause. Nothing here assumes a direction: the vertical axis is found from the pelvis
standing above the feet, and the walking direction frame by frame from the pelvis's horizontal
velocity.

2-D keypoint trials (video, in pixels) use the same model with image axes (x right, y down, so up
is ``-y``) and the mid-hip keypoints as the pelvis (docs/video-gait.md):

- side views (``view="sagittal"``, the default for 2-D): progression is along image x, its sign
  the way the subject faces (:func:`facing_sign_x`; the pelvis's horizontal velocity where the
  facing is unknown); a frame counts as walking when the pelvis moves faster than
  :data:`STANDING_SPEED_HEIGHTS_PER_S` body heights per second (pixels per second mean nothing
  without a scale), or, walking in place (treadmill, panning camera), when both feet step
  against the hips (:func:`stepping_in_place`, :data:`MIN_SAGITTAL_ALTERNATION_HEIGHTS`);
- rear and front views (``view="frontal_posterior"`` / ``"frontal_anterior"``): the walker moves
  along the camera's depth axis, which one image cannot measure. On a ground plane seen by a
  camera above it, a point farther away is imaged higher (nearer the horizon; Hartley R,
  Zisserman A (2004) Multiple View Geometry, 2nd ed., ch. 8, vanishing line of a plane), so the
  forward position of a foot relative to the pelvis is read from its image row: up (``-y``) is
  forward when walking away from the camera, down when walking toward it. Walking frames are
  those where the left and right feet alternate (see :func:`leg_alternation`), because the pelvis
  stays at about the same image position in a follow-camera shot.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from groundup.errors import InputError, NoWalkingError
from groundup.keypoints.knowledge import event_guard, eye_height_fraction
from groundup.signal.filters import lowpass_array
from groundup.trial import Trial

PELVIS_SETS: tuple[tuple[str, ...], ...] = (
    ("left_asis", "right_asis", "left_psis", "right_psis"),
    ("left_asis", "right_asis", "sacrum"),
    ("left_psis", "right_psis"),
    ("left_asis", "right_asis"),
    ("sacrum",),
    ("left_hip", "right_hip"),
    ("mid_hip",),
)
"""Pelvis marker sets, best first. One fixed set is used for a whole trial so that the pelvis
centre does not jump when a marker drops out."""

FOOT_NAMES = ("left_heel", "right_heel", "left_toe", "right_toe", "left_ankle", "right_ankle")

# Below this pelvis speed a frame counts as standing (not walking). Slow pathological gait is
# about 0.2-0.4 m/s; quiet standing drifts by less than a few cm/s.
STANDING_SPEED_M_S = 0.15
# The same threshold for uncalibrated video, in body heights per second: 0.15 m/s over an adult
# height of about 1.5-1.9 m is 0.08-0.1 heights/s. Slow pathological gait (0.2-0.4 m/s) stays
# above it; a person standing, swaying or exercising on the spot stays below it.
STANDING_SPEED_HEIGHTS_PER_S = 0.08
# Frontal views: the left-right difference of the feet's image rows, in body heights, must swing
# by at least this much (peak to peak over a stride window) for a frame to count as walking.
# Walking steps of 0.5-0.8 m seen from behind give a swing of several per cent of the body
# height; standing gives noise below 1 %, and exercises that move both legs together (jumping
# jacks, squats) give no left-right difference.
MIN_ALTERNATION_HEIGHTS = 0.02
# Side views where the pelvis stays at about the same place in the picture (a treadmill, or a
# camera panning to follow the walker): a frame counts as walking when the feet's left-right
# difference along image x swings by at least this much over a stride window (and each foot by
# half of it, and a foot moves at the frame: :func:`stepping_in_place`). Walking steps are
# about 0.25-0.45 of the body height long (a slow pathological step of 0.4 m is 0.23 H), so the
# difference swings by about twice that; standing, squats and other two-legged exercises in
# profile leave it nearly constant, and a foot shuffling on the spot moves it by a few per cent.
MIN_SAGITTAL_ALTERNATION_HEIGHTS = 0.2
# Marker trials on a treadmill: the same rule in metres, along the way the feet point. Adult
# steps are 0.5-0.8 m (a slow pathological step about 0.3 m), so walking swings the heels'
# fore-aft difference by about 0.6-1.6 m; a static trial or standing leaves it still.
MIN_TREADMILL_ALTERNATION_M = 0.3
_ALTERNATION_WINDOW_S = 1.5  # about one stride
_FACING_WINDOW_S = 1.0  # running vote over about a stride for the facing direction
FRONTAL_VIEWS = ("frontal_posterior", "frontal_anterior")
VIEWS_2D = ("sagittal", *FRONTAL_VIEWS)
_HEAD_NAMES = ("left_eye", "right_eye", "nose", "left_ear", "right_ear")
_SOLE_NAMES = ("left_heel", "right_heel", "left_toe", "right_toe", "left_ankle", "right_ankle")
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
    # 2-D keypoint trials: the view, the subject's apparent height per frame in pixels (see
    # :func:`body_height_px`), and the frames that count as walking (None: by speed in m/s).
    view: str | None = None
    body_height_px: np.ndarray | None = None
    walking_mask: np.ndarray | None = None
    # 2-D keypoint trials: per side, the frames where that foot and the hips are tracked inside
    # the picture (see :func:`tracked_foot_frames`); None for marker trials.
    tracked: dict[str, np.ndarray] | None = None
    # 2-D keypoint trials: per keypoint that times an event ("left_heel", "left_toe", ...), the
    # frames where that keypoint and both hips are tracked inside the picture. A heel strike is
    # read from the heel alone and a toe off from the toe alone, so a toe leaving the picture
    # while the heel lands (a foot at the frame edge) must not drop the heel strike.
    tracked_keypoint: dict[str, np.ndarray] | None = None
    # Walking frames where the pelvis got nowhere: a treadmill, or in 2-D side views a camera
    # following the walker (see :func:`stepping_in_place`); None where not assessed.
    in_place_mask: np.ndarray | None = None

    @property
    def walking(self) -> np.ndarray:
        if self.walking_mask is not None:
            return self.walking_mask
        return np.isfinite(self.speed_m_s) & (self.speed_m_s >= STANDING_SPEED_M_S)

    @property
    def is_depth_proxy(self) -> bool:
        """True for frontal views, where "forward" is read from image rows (no true length)."""
        return self.view in FRONTAL_VIEWS

    @property
    def speed_heights_per_s(self) -> np.ndarray | None:
        """Pelvis image speed in body heights per second (2-D trials only)."""
        if self.body_height_px is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.speed_m_s / self.body_height_px

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


def compute_progression(trial: Trial, view: str | None = None) -> Progression:
    """Pelvis centre, vertical axis and per-frame walking direction of a trial.

    ``view`` is used for 2-D trials only (``"sagittal"`` when not given; see the module
    docstring); 3-D trials ignore it.
    """
    if trial.n_dims == 2:
        return _image_progression(trial, view or "sagittal")
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
    crossing = speed >= STANDING_SPEED_M_S
    direction[~crossing] = np.nan
    forward = foot_forward_3d(trial, axis) if trial.point_units == "m" else None
    if forward is None:
        return Progression(pelvis, direction, speed, axis, sign, names)
    # Treadmill: the pelvis sways (0.1-0.25 m/s at instants) but gets nowhere over a stride,
    # so "in place" is judged from its net travel over the stride window.
    in_place = (
        (_net_speed(smooth, axis, rate) < STANDING_SPEED_M_S)
        & stepping_in_place(
            along(trial.points["left_heel"] - pelvis, forward),
            along(trial.points["right_heel"] - pelvis, forward),
            rate,
            MIN_TREADMILL_ALTERNATION_M,
            STANDING_SPEED_M_S,
        )
        & np.isfinite(forward).all(axis=1)
    )
    belt = _belt_axis(trial, pelvis, axis, forward, in_place) if in_place.any() else None
    direction[in_place] = belt if belt is not None else forward[in_place]
    return Progression(
        pelvis,
        direction,
        speed,
        axis,
        sign,
        names,
        walking_mask=crossing | in_place,
        in_place_mask=in_place,
    )


def along(vectors: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Per frame, the component of ``vectors`` along the unit vectors ``unit`` (both (n, d))."""
    with np.errstate(invalid="ignore"):
        return np.einsum("ij,ij->i", vectors, unit)


def _net_speed(smooth_pelvis: np.ndarray, vertical_axis: int, rate_hz: float) -> np.ndarray:
    """Horizontal distance the pelvis covers over the stride window, per second of it: between
    the first and last frames of the window where the pelvis is seen (NaN where those span less
    than half the window)."""
    half = max(1, round(_ALTERNATION_WINDOW_S * rate_hz / 2))
    n = smooth_pelvis.shape[0]
    seen = np.flatnonzero(np.isfinite(smooth_pelvis).all(axis=1))
    out = np.full(n, np.nan)
    if seen.size < 2:
        return out
    frames = np.arange(n)
    lo = seen[np.minimum(np.searchsorted(seen, frames - half, side="left"), seen.size - 1)]
    hi = seen[np.maximum(np.searchsorted(seen, frames + half, side="right") - 1, 0)]
    ok = hi - lo >= half
    travel = smooth_pelvis[hi[ok]] - smooth_pelvis[lo[ok]]
    travel[:, vertical_axis] = 0.0
    out[ok] = np.linalg.norm(travel, axis=1) / ((hi[ok] - lo[ok]) / rate_hz)
    return out


def stepping_in_place(
    left_fore_aft: np.ndarray,
    right_fore_aft: np.ndarray,
    rate_hz: float,
    min_swing: float,
    min_speed: float,
) -> np.ndarray:
    """Frames of walking in place, from each heel's fore-aft position relative to the pelvis.

    Three conditions, all over the stride window except the last:

    - the heels' difference swings by at least ``min_swing`` (the feet take turns in front);
    - each heel on its own swings by at least half of that (both legs step: swinging one leg
      while standing on the other is not walking);
    - at the frame itself, a heel moves against the pelvis at ``min_speed`` or more (on a
      treadmill the stance foot rides the belt backwards while the other swings; a pause
      standing between two walks has both feet still, though its window reaches the walking).
    """
    both = _running_swing(left_fore_aft - right_fore_aft, rate_hz) >= min_swing
    each = np.minimum(
        _running_swing(left_fore_aft, rate_hz), _running_swing(right_fore_aft, rate_hz)
    )
    cutoff = min(_SMOOTH_CUTOFF_HZ, 0.4 * rate_hz)
    speeds = []
    for signal in (left_fore_aft, right_fore_aft):
        smooth = lowpass_array(signal, rate_hz, cutoff, order=2)
        speeds.append(np.abs(np.gradient(smooth, 1.0 / rate_hz)))
    with np.errstate(invalid="ignore"), _quiet_nan_warnings():
        moving = np.nanmax(np.stack(speeds), axis=0) >= min_speed
    return both & (each >= 0.5 * min_swing) & moving


def foot_forward_3d(trial: Trial, vertical_axis: int) -> np.ndarray | None:
    """Per frame, the horizontal unit vector the feet point along (heel to toe, both feet
    averaged, low-passed at 2 Hz); None without heel and toe markers on both sides.

    On a treadmill the pelvis stays in place, so its velocity cannot give the walking
    direction; the feet point forward (toe-out angles of 5-10 degrees cancel between the two
    feet)."""
    names = ("left_heel", "left_toe", "right_heel", "right_toe")
    if any(n not in trial.points for n in names):
        return None
    p = trial.points
    both = np.stack([p["left_toe"] - p["left_heel"], p["right_toe"] - p["right_heel"]])
    with _quiet_nan_warnings():
        vector = np.nanmean(both, axis=0)
    vector[:, vertical_axis] = 0.0
    rate = trial.point_rate_hz
    vector = lowpass_array(vector, rate, min(_SMOOTH_CUTOFF_HZ, 0.4 * rate), order=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vector / np.linalg.norm(vector, axis=1)[:, None]


def _belt_axis(
    trial: Trial,
    pelvis: np.ndarray,
    vertical_axis: int,
    feet_forward: np.ndarray,
    in_place: np.ndarray,
) -> np.ndarray | None:
    """The one direction of walking in place in a trial (a treadmill's belt), pointed the way
    the feet point; None where no frame is in place.

    The principal axis of both heels' horizontal positions relative to the pelvis over the frames
    walked in place: walking moves them fore-aft by a step length or more and sideways by a few
    centimetres. On the reference trials turned into treadmill trials it lies within 0.7 degree
    of the true direction, where the feet's own direction wanders by 3-7 degrees from frame to
    frame (toe-out, foot roll), which would turn the step length into step width.
    """
    horizontal = [k for k in range(pelvis.shape[1]) if k != vertical_axis]
    rel = np.concatenate(
        [
            trial.points[f"{side}_heel"][in_place][:, horizontal] - pelvis[in_place][:, horizontal]
            for side in ("left", "right")
        ]
    )
    rel = rel[np.isfinite(rel).all(axis=1)]
    if rel.shape[0] < 3:
        return None
    rel -= rel.mean(axis=0)
    principal = np.linalg.eigh(rel.T @ rel)[1][:, -1]
    axis_vec = np.zeros(pelvis.shape[1])
    axis_vec[horizontal] = principal
    with _quiet_nan_warnings():
        pointing = np.nanmean(feet_forward[in_place], axis=0)
    return -axis_vec if float(axis_vec @ pointing) < 0 else axis_vec


def _running_swing(signal: np.ndarray, rate_hz: float) -> np.ndarray:
    """Peak-to-peak of a signal (low-passed at 2 Hz) over a window of about one stride, per
    frame (0 where the signal is not seen)."""
    smooth = lowpass_array(signal, rate_hz, min(_SMOOTH_CUTOFF_HZ, 0.4 * rate_hz), order=2)
    half = max(1, round(_ALTERNATION_WINDOW_S * rate_hz / 2))
    swing = np.zeros(signal.shape[0])
    finite = np.isfinite(smooth)
    for i in range(signal.shape[0]):
        seg = smooth[max(0, i - half) : i + half + 1]
        seg = seg[np.isfinite(seg)]
        if finite[i] and seg.size > half:
            swing[i] = float(seg.max() - seg.min())
    return swing


def body_height_px(trial: Trial) -> np.ndarray:
    """The subject's apparent standing height in pixels, per frame (NaN where not seen).

    Per frame: the vertical image distance from the eyes (or nose/ears) to the lowest foot
    keypoint, divided by the eye height as a fraction of stature (knowledge/video_gait.yaml:
    0.936, Drillis R, Contini R
    (1966) Body segment parameters, Report 1166-03, New York University; reproduced in Winter DA
    (2009) Biomechanics and Motor Control of Human Movement, 4th ed., fig. 4.1), then a running
    median over one second so that the knee bend of walking and single bad frames do not count.
    During walking the legs are never fully straight, so this underestimates the standing
    height by a few per cent (docs/video-gait.md states the accuracy of a scale built on it).
    """
    heads = [trial.points[n][:, 1] for n in _HEAD_NAMES if n in trial.points]
    soles = [trial.points[n][:, 1] for n in _SOLE_NAMES if n in trial.points]
    n = trial.n_frames
    if not heads or not soles:
        return np.full(n, np.nan)
    with np.errstate(invalid="ignore"), _quiet_nan_warnings():
        top = np.nanmin(np.stack(heads), axis=0)
        bottom = np.nanmax(np.stack(soles), axis=0)
    extent = (bottom - top) / eye_height_fraction()
    extent[~(extent > 0)] = np.nan
    return running_nanmedian(extent, max(1, round(trial.point_rate_hz)))


@contextmanager
def _quiet_nan_warnings() -> Iterator[None]:
    """Silence numpy's all-NaN slice warnings (NaN results are expected and handled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def running_nanmedian(x: np.ndarray, window: int) -> np.ndarray:
    half = window // 2
    out = np.full_like(x, np.nan)
    finite = np.isfinite(x)
    with _quiet_nan_warnings():
        for i in range(len(x)):
            if not finite[i]:
                continue
            out[i] = np.nanmedian(x[max(0, i - half) : i + half + 1])
    return out


def leg_alternation(trial: Trial, axis: int, height_px: np.ndarray) -> np.ndarray:
    """Peak-to-peak swing of the left-right foot difference along an image axis, per frame.

    The difference of the left and right ankle (or heel) positions along ``axis``, in body
    heights, low-passed at 2 Hz, then its range over a window of about one stride. Walking
    moves the feet in antiphase (the difference swings every step); standing, swaying and
    two-legged exercises do not.
    """
    for part in ("ankle", "heel"):
        left, right = trial.points.get(f"left_{part}"), trial.points.get(f"right_{part}")
        if left is not None and right is not None:
            break
    else:
        return np.zeros(trial.n_frames)
    with np.errstate(invalid="ignore"):
        diff = (left[:, axis] - right[:, axis]) / height_px
    return _running_swing(diff, trial.point_rate_hz)


def facing_sign_x(trial: Trial) -> np.ndarray:
    """Which way a subject seen from the side faces, per frame: +1 image right, -1 left, NaN
    unknown.

    For walking on the spot in the picture (a treadmill, or a camera panning with the walker),
    where the pelvis's image travel cannot tell the walking direction. Two cues vote: each foot's
    heel-to-toe vector points forward, and the nose lies ahead of the ears; the sign of their
    sum is taken as a running median over about a stride. On the four side-view walkers of the
    reference clips the feet agree with the pelvis's travel in 96-100 % of frames and the head
    in 100 % (docs/video-gait.md, "Walking in place").
    """
    n = trial.n_frames
    votes = []
    for side in ("left", "right"):
        heel, toe = trial.points.get(f"{side}_heel"), trial.points.get(f"{side}_toe")
        if heel is not None and toe is not None:
            votes.append(np.sign(toe[:, 0] - heel[:, 0]))
    nose = trial.points.get("nose")
    ears = [
        trial.points[f"{side}_ear"][:, 0]
        for side in ("left", "right")
        if f"{side}_ear" in trial.points
    ]
    if nose is not None and ears:
        with _quiet_nan_warnings():
            votes.append(2.0 * np.sign(nose[:, 0] - np.nanmean(np.stack(ears), axis=0)))
    if not votes:
        return np.full(n, np.nan)
    with _quiet_nan_warnings():
        total = np.nansum(np.stack(votes), axis=0)
    total[~np.isfinite(np.stack(votes)).any(axis=0)] = np.nan
    smooth = running_nanmedian(
        np.sign(total), max(1, round(_FACING_WINDOW_S * trial.point_rate_hz))
    )
    out = np.sign(smooth)
    out[out == 0] = np.nan
    return out


def _image_stepping_in_place(trial: Trial, pelvis: np.ndarray, height_px: np.ndarray) -> np.ndarray:
    """:func:`stepping_in_place` for a side view: heel x relative to the mid-hip, in body
    heights (the ankle where a heel is missing from the keypoint set)."""
    rel = []
    for side in ("left", "right"):
        foot = trial.points.get(f"{side}_heel", trial.points.get(f"{side}_ankle"))
        if foot is None:
            return np.zeros(trial.n_frames, dtype=bool)
        with np.errstate(invalid="ignore"):
            rel.append((foot[:, 0] - pelvis[:, 0]) / height_px)
    return stepping_in_place(
        rel[0],
        rel[1],
        trial.point_rate_hz,
        MIN_SAGITTAL_ALTERNATION_HEIGHTS,
        STANDING_SPEED_HEIGHTS_PER_S,
    )


def _image_progression(trial: Trial, view: str) -> Progression:
    if view not in VIEWS_2D:
        raise InputError(f"Unknown camera view {view!r}.", f"Choose one of: {', '.join(VIEWS_2D)}.")
    pelvis, names = pelvis_centre(trial)
    rate = trial.point_rate_hz
    height = body_height_px(trial)
    smooth = lowpass_array(pelvis, rate, min(_SMOOTH_CUTOFF_HZ, 0.4 * rate), order=2)
    velocity = np.gradient(smooth, 1.0 / rate, axis=0)
    n = trial.n_frames
    direction = np.full((n, 2), np.nan)
    in_place = np.zeros(n, dtype=bool)
    if view == "sagittal":
        speed = np.abs(velocity[:, 0])
        with np.errstate(invalid="ignore"):
            crossing = np.isfinite(speed) & (speed >= STANDING_SPEED_HEIGHTS_PER_S * height)
        facing = facing_sign_x(trial)
        in_place = ~crossing & np.isfinite(facing) & _image_stepping_in_place(trial, pelvis, height)
        walking = crossing | in_place
        # People walk facing forward; the pelvis's image travel can reverse when a panning
        # camera overtakes the walker, so the facing decides where it is known.
        forward = np.where(np.isfinite(facing), facing, np.sign(velocity[:, 0]))
        direction[walking, 0] = forward[walking]
        direction[walking, 1] = 0.0
    else:
        speed = np.linalg.norm(velocity, axis=1)
        walking = leg_alternation(trial, 1, height) >= MIN_ALTERNATION_HEIGHTS
        # Away from the camera, forward is up the image (-y); toward it, down (+y).
        direction[walking, 0] = 0.0
        direction[walking, 1] = -1.0 if view == "frontal_posterior" else 1.0
    return Progression(
        pelvis=pelvis,
        direction=direction,
        speed_m_s=speed,
        vertical_axis=1,
        up_sign=-1.0,
        pelvis_markers=names,
        view=view,
        body_height_px=height,
        walking_mask=walking,
        in_place_mask=in_place,
        tracked={side: tracked_foot_frames(trial, side, height) for side in ("left", "right")},
        tracked_keypoint={
            f"{side}_{part}": tracked_foot_frames(trial, side, height, parts=(part,))
            for side in ("left", "right")
            for part in ("heel", "toe")
        },
    )


# Keypoints below this confidence were masked by cleaning (groundup.keypoints.cleaning, the
# Sports2D/Pose2Sim default); frames filled in over such a gap are estimates, not tracking.
_TRACKED_MIN_CONFIDENCE = 0.3


def tracked_foot_frames(
    trial: Trial,
    side: str,
    height_px: np.ndarray,
    parts: tuple[str, ...] = ("heel", "ankle", "toe"),
) -> np.ndarray:
    """Frames where one foot (``parts``: heel, ankle, toe) and both hips are tracked in the picture.

    A frame counts when each of these keypoints is finite, its confidence (where the source
    gives one) is at least the cleaning threshold (frames that cleaning filled in over a gap have
    a low confidence and do not count), and, when the image size is known, it lies at least
    ``edge_margin_heights`` body heights inside every border (knowledge/video_gait.yaml,
    ``event_guard``): pose models clamp or extrapolate keypoints that leave the picture, so a
    foot at the border is not measured.
    """
    names = [f"{side}_{part}" for part in parts] + ["left_hip", "right_hip"]
    n = trial.n_frames
    ok = np.ones(n, dtype=bool)
    margin_heights, _ = event_guard()
    with _quiet_nan_warnings():
        body = float(np.nanmedian(height_px)) if np.isfinite(height_px).any() else 0.0
    margin = np.where(np.isfinite(height_px), height_px, body) * margin_heights
    for name in names:
        xy = trial.points.get(name)
        if xy is None:
            return np.zeros(n, dtype=bool)
        ok &= np.isfinite(xy).all(axis=1)
        conf = trial.point_confidence.get(name)
        if conf is not None:
            ok &= np.asarray(conf, dtype=float) >= _TRACKED_MIN_CONFIDENCE
        if trial.image_size_px is not None:
            width, height = trial.image_size_px
            with np.errstate(invalid="ignore"):
                ok &= (xy[:, 0] >= margin) & (xy[:, 0] <= width - margin)
                ok &= (xy[:, 1] >= margin) & (xy[:, 1] <= height - margin)
    return ok


def require_walking(progression: Progression, rate_hz: float, min_walking_s: float = 0.6) -> None:
    """Refuse a trial in which the pelvis never moves at walking speed for long enough."""
    walking_s = float(progression.walking.sum()) / rate_hz
    if walking_s < min_walking_s and progression.body_height_px is not None:
        if progression.is_depth_proxy:
            found = (
                f"the feet alternated (left-right swing of at least {MIN_ALTERNATION_HEIGHTS:g} "
                f"body heights) for only {walking_s:.2f} s"
            )
        else:
            rel = progression.speed_heights_per_s
            top = float(np.nanmax(rel)) if rel is not None and np.isfinite(rel).any() else 0.0
            found = (
                f"the pelvis crossed the image faster than {STANDING_SPEED_HEIGHTS_PER_S:g} body "
                f"heights per second, or the feet alternated in place (a swing of at least "
                f"{MIN_SAGITTAL_ALTERNATION_HEIGHTS:g} body heights), for only {walking_s:.2f} s "
                f"(top pelvis speed {top:.2f} heights/s)"
            )
        raise NoWalkingError(
            f"No walking was found: {found}.",
            "Film the patient walking at least two full strides (four steps) across the view "
            "(or on a treadmill) for a side view, or walking straight away from or toward the "
            "camera for a rear or front view, with the whole body and feet in the picture.",
        )
    if walking_s < min_walking_s:
        top = (
            float(np.nanmax(progression.speed_m_s))
            if np.isfinite(progression.speed_m_s).any()
            else 0.0
        )
        raise NoWalkingError(
            f"No walking was found: the pelvis moved faster than {STANDING_SPEED_M_S} m/s for "
            f"only {walking_s:.2f} s (top speed {top:.2f} m/s).",
            "Gait analysis needs at least one stride of walking through the capture volume, or "
            "on a treadmill, where steps are found from the feet: that needs heel and toe "
            "markers on both feet. Check that this is a walking trial, not a static or "
            "standing trial.",
        )
