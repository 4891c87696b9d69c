"""Camera view, walking direction and pixel-to-metre scale of a 2-D keypoint trial.

View (:func:`detect_view`), from the keypoints alone:

- **sagittal vs frontal**: the shoulders and the hips are about a quarter and a tenth of the
  body height apart when seen from behind or in front (biacromial breadth 0.259 H, hip width
  0.191 H in Drillis & Contini's proportions, Winter 2009 fig. 4.1; hip *joint centres* are
  closer), and nearly on top of each other in a side view. The median over the walking frames
  of (shoulder width + hip width) / body height decides: below 0.12 sagittal, above 0.2 frontal,
  in between "oblique" (reported as the nearer of the two, with a quality warning).
- **posterior vs anterior** (frontal only): seen from behind, the subject's left side is on the
  image left; seen from the front, on the image right. The sign of ``x(right) - x(left)`` of the
  shoulders and hips decides. This trusts the pose model's left/right labels (BlazePose's face
  visibility is no help: it stays high from behind, as on the reference rear-view clip).
- **direction**: side views, the way the subject faces ("left_to_right" or "right_to_left";
  :func:`groundup.gait.progression.facing_sign_x`: feet heel-to-toe and head ears-to-nose),
  which also holds on a treadmill or with a panning camera where the pelvis stays put; the
  pelvis's horizontal travel where neither feet nor head are seen; frontal views, "away" from
  behind and "toward" from the front (a person walks facing forward), checked against the
  trend of the apparent body height (shrinking when walking away from a still camera; a follow
  camera keeps it constant).

Scale (:func:`scale_from_height`): the subject's apparent standing height in pixels
(:func:`groundup.gait.progression.body_height_px`, eyes to soles / 0.936) divided by the height
the user gives. It holds at the subject's distance from the camera only; the stated accuracy is
in ``knowledge/video_gait.yaml``. Without a height there is no metre value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.gait.progression import (
    VIEWS_2D,
    body_height_px,
    facing_sign_x,
    pelvis_centre,
    running_nanmedian,
)
from groundup.keypoints.knowledge import scale_accuracy_pct
from groundup.signal.filters import finite_runs
from groundup.trial import Trial

_SAGITTAL_MAX_WIDTH = 0.12
_FRONTAL_MIN_WIDTH = 0.20
# A front or rear view where the subject faces the other way for at least this long (about a
# stride) walked back; shorter sign changes of the left/right order are label noise.
_MIN_FACING_RUN_S = 1.0
# A turn may leave the subject unseen (the pose model loses a body seen sideways) this long.
_MAX_TURN_UNSEEN_S = 0.5
DIRECTIONS = ("left_to_right", "right_to_left", "toward", "away", "unknown")


@dataclass(frozen=True)
class ViewInfo:
    view: str
    direction: str
    detected: bool
    width_ratio: float | None
    quality: tuple[QualityIssue, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "view": self.view,
            "direction": self.direction,
            "source": "detected" if self.detected else "user",
            "shoulder_hip_width_per_height": (
                None if self.width_ratio is None else round(self.width_ratio, 4)
            ),
        }


@dataclass(frozen=True)
class Scale:
    px_per_m: float
    accuracy_pct: float
    height_m: float
    body_height_px: float
    per_frame: bool

    def to_json(self) -> dict[str, object]:
        return {
            "px_per_m": round(self.px_per_m, 3),
            "accuracy_pct": self.accuracy_pct,
            "method": "subject height: eyes-to-soles pixel height / 0.936 (Drillis & Contini "
            "1966) divided by the given height",
            "height_m": self.height_m,
            "body_height_px": round(self.body_height_px, 2),
            "varies_per_frame": self.per_frame,
        }


def _width(trial: Trial, part: str) -> np.ndarray:
    left, right = trial.points.get(f"left_{part}"), trial.points.get(f"right_{part}")
    if left is None or right is None:
        return np.full(trial.n_frames, np.nan)
    return right[:, 0] - left[:, 0]


def _left_right_widths(trial: Trial, height_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the signed image width right minus left (mean of shoulders and hips; positive
    seen from behind) and (shoulder width + hip width) / body height (small in a side view)."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        signed = np.nanmean(np.stack([_width(trial, "shoulder"), _width(trial, "hip")]), axis=0)
        ratio = (np.abs(_width(trial, "shoulder")) + np.abs(_width(trial, "hip"))) / height_px
    return signed, ratio


def _median(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def detect_view(trial: Trial, view: str | None = None) -> ViewInfo:
    """The view and walking direction of a 2-D trial (``view`` given: only the direction)."""
    if view is not None and view not in VIEWS_2D:
        raise InputError(f"Unknown camera view {view!r}.", f"Choose one of: {', '.join(VIEWS_2D)}.")
    height = body_height_px(trial)
    signed, ratio_series = _left_right_widths(trial, height)
    ratio = _median(ratio_series)
    issues: list[QualityIssue] = []
    detected = view is None
    if view is None:
        if ratio is None:
            raise InputError(
                "The camera view could not be found: the shoulders, hips, eyes and feet are not "
                "seen together in any frame.",
                "Film the whole body, or give the view (--view sagittal, frontal_posterior or "
                "frontal_anterior).",
            )
        if ratio <= _SAGITTAL_MAX_WIDTH:
            view = "sagittal"
        elif ratio >= _FRONTAL_MIN_WIDTH:
            view = _frontal_side(signed)
        else:
            view = (
                "sagittal"
                if ratio < 0.5 * (_SAGITTAL_MAX_WIDTH + _FRONTAL_MIN_WIDTH)
                else (_frontal_side(signed))
            )
            issues.append(
                QualityIssue(
                    "oblique_view",
                    f"The camera sees the patient obliquely (shoulder + hip width "
                    f"{ratio:.2f} body heights); analysed as {view}. Angles are distorted in an "
                    "oblique view: film straight from the side (camera at right angles to the "
                    "walkway) or straight from behind.",
                )
            )
    direction = _direction(trial, view, height, issues)
    return ViewInfo(view, direction, detected, ratio, tuple(issues))


@dataclass(frozen=True)
class WalkBack:
    """Frames of a front or rear view where the subject walked back the other way (boolean, one
    per frame, with the turn), and the view of the frames kept."""

    frames: np.ndarray
    kept_view: str


def find_walk_back(trial: Trial, view: str | None = None) -> WalkBack | None:
    """The walk back after a turn in a front or rear view, or None.

    Facing comes from the left/right order of the shoulders and hips in the picture (as for
    posterior vs anterior in :func:`detect_view`), as a running median over about a stride. The
    facing kept is that of ``view`` when the user gave one, else that of most frames. A run of
    the other facing counts when it lasts at least ``_MIN_FACING_RUN_S`` and shows a turn: it is
    widened over the neighbouring frames seen sideways (shoulder + hip width under the side-view
    limit) or unseen for at most ``_MAX_TURN_UNSEEN_S``, and it must then reach the start or the
    end of the clip or have met sideways frames. A run in mid-clip with no sideways frames is a
    left/right label swap of the pose model, not a turn, and is left alone. Nothing is found
    where the kept facing is seen for less than ``_MIN_FACING_RUN_S`` (a given view that the
    keypoints contradict throughout).
    """
    n = trial.n_frames
    signed, width = _left_right_widths(trial, body_height_px(trial))
    window = max(1, round(_MIN_FACING_RUN_S * trial.point_rate_hz))
    max_unseen = max(1, round(_MAX_TURN_UNSEEN_S * trial.point_rate_hz))
    facing = np.sign(running_nanmedian(np.sign(signed), window))
    known = np.isfinite(facing) & (facing != 0)
    if not known.any():
        return None
    if view is not None:
        kept = 1.0 if view == "frontal_posterior" else -1.0
    else:
        kept = 1.0 if np.count_nonzero(facing[known] > 0) >= known.sum() / 2 else -1.0
    if np.count_nonzero(known & (facing == kept)) < window:
        return None
    sideways = np.isfinite(width) & (width < _SAGITTAL_MAX_WIDTH)
    seen = np.isfinite(width)

    def widen(i: int, step: int) -> tuple[int, bool]:
        """Step from frame i over the turn; the last frame reached and whether it was seen
        sideways anywhere."""
        unseen, turned = 0, False
        while 0 <= i + step < n:
            j = i + step
            if sideways[j]:
                unseen, turned = 0, True
            elif seen[j]:
                break
            else:
                unseen += 1
                if unseen > max_unseen:
                    break
            i = j
        return i, turned

    out = np.zeros(n, dtype=bool)
    for start, stop in finite_runs(known & (facing == -kept)):
        if stop - start < window:
            continue
        first, turned_before = widen(start, -1)
        last, turned_after = widen(stop - 1, 1)
        if first == 0 or last == n - 1 or turned_before or turned_after:
            out[first : last + 1] = True
    if not out.any():
        return None
    return WalkBack(out, "frontal_posterior" if kept > 0 else "frontal_anterior")


def _frontal_side(signed: np.ndarray) -> str:
    median = _median(signed)
    return "frontal_posterior" if median is None or median > 0 else "frontal_anterior"


def _direction(trial: Trial, view: str, height: np.ndarray, issues: list[QualityIssue]) -> str:
    if view == "sagittal":
        try:
            pelvis, _ = pelvis_centre(trial)
        except InputError:
            return "unknown"
        facing = facing_sign_x(trial)
        if np.isfinite(facing).any():
            # People walk facing forward; this also holds on a treadmill or with a camera
            # panning along, where the pelvis stays put in the picture.
            return "left_to_right" if np.nanmean(facing) > 0 else "right_to_left"
        x = pelvis[:, 0]
        idx = np.flatnonzero(np.isfinite(x))
        if idx.size < 2:
            return "unknown"
        travel = float(np.polyfit(idx, x[idx], 1)[0])  # px per frame
        return "left_to_right" if travel > 0 else "right_to_left"
    direction = "away" if view == "frontal_posterior" else "toward"
    idx = np.flatnonzero(np.isfinite(height))
    if idx.size > 2 * trial.point_rate_hz:
        slope = float(np.polyfit(idx / trial.point_rate_hz, height[idx], 1)[0])
        change = slope / float(np.nanmedian(height))  # relative change per second
        if (direction == "away" and change > 0.05) or (direction == "toward" and change < -0.05):
            issues.append(
                QualityIssue(
                    "direction_uncertain",
                    f"The patient looks {'larger' if change > 0 else 'smaller'} over the clip, "
                    f"which does not fit walking {direction} from the camera as the view "
                    "suggests. Check the view and give it with --view.",
                )
            )
    return direction


def scale_from_height(trial: Trial, view: str, height_m: float | None) -> Scale | None:
    """Pixels per metre from the patient's height, or None without a height."""
    if height_m is None:
        return None
    if not (np.isfinite(height_m) and 0.5 <= height_m <= 2.5):
        raise InputError(
            f"The patient height {height_m!r} m is not a plausible standing height.",
            "Give the height in metres, e.g. --height-m 1.72.",
        )
    height = body_height_px(trial)
    body_px = _median(height)
    if body_px is None:
        return None
    return Scale(
        px_per_m=body_px / height_m,
        accuracy_pct=scale_accuracy_pct(view),
        height_m=float(height_m),
        body_height_px=body_px,
        per_frame=view != "sagittal",
    )
