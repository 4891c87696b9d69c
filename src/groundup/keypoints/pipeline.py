"""Keypoint trials (video, OpenPose JSON, keypoint TRC) through the one gait pipeline.

:func:`analyze_keypoints` = check the lower body is seen -> :func:`~groundup.keypoints.cleaning.
clean_keypoints` -> :func:`~groundup.keypoints.view.detect_view` (or the user's view) ->
:func:`groundup.gait.analysis.analyze_gait` (the same progression, event and spatiotemporal code
as C3D) -> angles and per-cycle metrics valid for the view -> the ``video`` section of
analysis.json. Whatever the keypoints came from, the steps after pose estimation are these.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import InputError, NoWalkingError, QualityIssue
from groundup.gait.analysis import GaitAnalysis, analyze_gait
from groundup.gait.cycles_reliability import leg_landmarks
from groundup.gait.progression import body_height_px
from groundup.gait.spatiotemporal import implausible_phases
from groundup.keypoints.angles import keypoint_angles
from groundup.keypoints.cleaning import (
    DEFAULT_MAX_GAP_S,
    DEFAULT_MIN_CONFIDENCE,
    clean_keypoints,
    smooth_keypoints,
)
from groundup.keypoints.knowledge import (
    max_pelvis_bounce_heights,
    phase_plausibility,
    valid_variables,
)
from groundup.keypoints.metrics import video_metrics
from groundup.keypoints.view import (
    WalkBack,
    detect_view,
    find_walk_back,
    scale_from_height,
)
from groundup.signal.filters import finite_runs
from groundup.trial import SIDES, Trial

LOWER_BODY = tuple(
    f"{side}_{part}" for side in SIDES for part in ("hip", "knee", "ankle", "heel", "toe")
)
# The lower body must be seen in at least this many seconds of the clip (two strides of slow
# walking last about 2.5 s; one second is the least that can hold one stride).
_MIN_LOWER_BODY_S = 1.0
# The feet must be seen in at least half of the frames where hips and knees are: otherwise the clip
# cuts them off (events would come from the few frames a foot dips into the picture).
_MIN_FEET_SEEN_FRACTION = 0.5
# Plausible walking cadence (steps/min); outside it the clip's frame rate or content is suspect
# (slow-motion footage, running). Normal adult walking is about 90-125 steps/min.
_CADENCE_RANGE = (60.0, 150.0)


def _require_lower_body(trial: Trial) -> None:
    seen = np.ones(trial.n_frames, dtype=bool)
    missing = [n for n in LOWER_BODY if n not in trial.points]
    if missing:
        raise NoWalkingError(
            f"No usable lower body: the keypoints lack {', '.join(missing)}.",
            "Use a pose model that gives hips, knees, ankles, heels and toes (BlazePose, "
            "OpenPose BODY_25, Halpe-26), or film the whole body including the feet.",
        )
    for name in LOWER_BODY:
        seen &= np.isfinite(trial.points[name]).all(axis=1)
    legs = np.ones(trial.n_frames, dtype=bool)  # hips and knees seen
    for name in ("left_hip", "right_hip", "left_knee", "right_knee"):
        legs &= np.isfinite(trial.points[name]).all(axis=1)
    if legs.any() and seen[legs].mean() < _MIN_FEET_SEEN_FRACTION:
        frames = np.flatnonzero(legs)
        raise NoWalkingError(
            f"The feet are outside the picture or hidden in {100 * (1 - seen[legs].mean()):.0f} % "
            f"of the frames where the legs are seen (frames {frames[0]}-{frames[-1]}), so "
            "heel strikes and toe offs cannot be timed.",
            "Re-film with the whole body in the picture, feet included: step the camera back or "
            "tilt it down so that there is floor below the feet all the way across.",
        )
    seen_s = float(seen.sum()) / trial.point_rate_hz
    if seen_s < _MIN_LOWER_BODY_S:
        raise NoWalkingError(
            f"No usable lower body: hips, knees, ankles, heels and toes were seen together in "
            f"only {seen_s:.2f} s of the clip, so no walking can be measured.",
            "Film the patient walking with the whole body, feet included, in the picture for at "
            "least two full strides (four steps).",
        )


def pelvis_bounce_heights(trial: Trial, height_px: np.ndarray | None = None) -> float | None:
    """SD of the mid-hip's image height about its 1 s running median, in median body heights
    (``height_px``: the trial's :func:`body_height_px`, computed when not given); None where it
    cannot be measured."""
    from scipy.ndimage import median_filter  # SciPy: imported only when needed

    if "left_hip" not in trial.points or "right_hip" not in trial.points:
        return None
    hip_y = (trial.points["left_hip"][:, 1] + trial.points["right_hip"][:, 1]) / 2
    height = body_height_px(trial) if height_px is None else height_px
    seen = np.isfinite(hip_y)
    window = max(3, round(trial.point_rate_hz) | 1)
    if seen.sum() < 2 * window or not np.isfinite(height).any():
        return None
    y = hip_y[seen]
    wave = y - median_filter(y, size=window, mode="nearest")
    return float(np.std(wave)) / float(np.nanmedian(height))


def _require_no_bouncing(trial: Trial, height_px: np.ndarray) -> None:
    """Refuse a person whose hips rise and fall far more than walking's few centimetres
    (jumping, stepping onto a box, bouncing in place): their foot movements are not steps."""
    bounce = pelvis_bounce_heights(trial, height_px)
    limit = max_pelvis_bounce_heights()
    if bounce is not None and bounce > limit:
        raise NoWalkingError(
            f"No walking was found: the hips rise and fall by {100 * bounce:.1f} % of the "
            f"person's height (standard deviation; walking stays under {100 * limit:.1f} %): "
            "jumping, stepping up or bouncing in place, not walking.",
            "Film the patient walking at least two full strides on level ground, with the whole "
            "body and feet in the picture.",
        )


def _without_frames(trial: Trial, frames: np.ndarray) -> Trial:
    """The trial with every keypoint unseen (NaN) in ``frames`` (boolean, one per frame)."""
    points = {name: xy.copy() for name, xy in trial.points.items()}
    for xy in points.values():
        xy[frames] = np.nan
    return trial.replace(points=points)


def _walked_both_ways(walk_back: WalkBack) -> QualityIssue:
    """The warning for a front or rear view whose walk back after a turn was left out: one clip
    is analysed as one view, since the sides of the heel-vs-heel events and the frontal-plane
    angles depend on it."""
    spans = ", ".join(f"{a}-{b - 1}" for a, b in finite_runs(walk_back.frames))
    posterior = walk_back.kept_view == "frontal_posterior"
    kept = "away from" if posterior else "toward"
    other = "toward" if posterior else "away from"
    return QualityIssue(
        "walked_both_ways",
        f"The patient turned and walked {other} the camera as well (frames {spans}, with the "
        f"turn); those frames were left out and only the walking {kept} the camera was "
        "analysed. Film each direction as its own clip: from behind for walking away, from the "
        "front for walking toward the camera.",
    )


def _stride_quality(analysis: GaitAnalysis) -> list[QualityIssue]:
    issues: list[QualityIssue] = []
    strides = sum(
        max(0, len([e for e in analysis.events if e.side == s and e.kind == "heel_strike"]) - 1)
        for s in SIDES
    )
    if strides < 2:
        issues.append(
            QualityIssue(
                "under_two_strides",
                f"Only {strides} full stride(s) were found; numbers from so little walking are "
                "not reliable. Re-film with at least two full strides (four steps) in view, "
                "starting and ending a few steps outside the picture.",
            )
        )
    phases = implausible_phases(analysis.spatiotemporal.to_json(), phase_plausibility())
    if phases is not None:
        issues.append(phases)
    cadence = analysis.spatiotemporal.to_json().get("cadence_steps_per_min")
    if isinstance(cadence, float) and not (_CADENCE_RANGE[0] <= cadence <= _CADENCE_RANGE[1]):
        issues.append(
            QualityIssue(
                "implausible_cadence",
                f"The cadence is {cadence:.0f} steps/min by the clip's frame rate, outside "
                f"{_CADENCE_RANGE[0]:.0f}-{_CADENCE_RANGE[1]:.0f} for walking. The clip may be "
                "slow motion or time-lapse: re-film at normal speed, or check the frame rate.",
            )
        )
    return issues


def analyze_keypoints(
    trial: Trial,
    view: str | None = None,
    height_m: float | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> GaitAnalysis:
    """Gait analysis of a 2-D keypoint trial (see the module docstring and docs/video-gait.md).

    ``view``: ``"sagittal"``, ``"frontal_posterior"`` or ``"frontal_anterior"``; detected when
    None. ``height_m``: the patient's height, for a pixel-to-metre scale; without it lengths
    stay in pixels or relative to body size, never metres.

    Raises :class:`~groundup.errors.NoWalkingError` when the lower body is not seen or nobody
    walks, :class:`~groundup.errors.InputError` for a trial that is not 2-D keypoints.
    """
    if trial.n_dims != 2:
        raise InputError(
            "analyze_keypoints takes 2-D image keypoints; this trial is 3-D.",
            "Analyse 3-D keypoints (e.g. a Pose2Sim TRC in metres) with `groundup analyze` "
            "like marker data.",
        )
    if trial.point_rate_hz <= 0 or trial.n_frames == 0:
        raise InputError(
            "The keypoint trial is empty.", "Give a clip or keypoint files with frames."
        )
    subject_height = height_m if height_m is not None else trial.subject.height_m
    # Left/right swaps are repaired in side views only, where the legs cross in the picture and
    # the pose model exchanges them there; in front and rear views the feet never cross, and the
    # continuity repair turned a person jumping on the spot into alternating steps.
    cleaned, report = clean_keypoints(trial, min_confidence, max_gap_s, repair_swaps=False)
    _require_lower_body(cleaned)
    info = detect_view(cleaned, view)
    if info.view == "sagittal":
        cleaned, report = clean_keypoints(trial, min_confidence, max_gap_s)
        info = detect_view(cleaned, view)
    walk_back = find_walk_back(cleaned, view) if info.view != "sagittal" else None
    if walk_back is not None:
        cleaned = _without_frames(cleaned, walk_back.frames)
        info = detect_view(cleaned, view)
        cleaned = cleaned.with_quality(_walked_both_ways(walk_back))
    cleaned = cleaned.with_quality(*info.quality)
    height_px = body_height_px(cleaned)
    _require_no_bouncing(cleaned, height_px)
    scale = scale_from_height(cleaned, info.view, subject_height)
    analysis = analyze_gait(cleaned, events="kinematic", max_gap_s=max_gap_s, view=info.view)
    if analysis.progression is None:  # analyze_gait raises first; kept for type narrowing
        raise NoWalkingError("No walking was found.", "Film the patient walking.")
    # Gaps left after cleaning are already reported once, in keypoint words
    # (long_keypoint_gap); the gait engine's marker-worded copies are dropped.
    analysis.quality = [
        q for q in analysis.quality if q.code not in ("long_marker_gap", "empty_marker")
    ]
    analysis.quality += _stride_quality(analysis)

    smooth = smooth_keypoints(cleaned)
    angles = keypoint_angles(smooth, info.view, info.direction)
    landmarks = leg_landmarks(analysis.trial, analysis.progression, analysis.events)
    metrics = video_metrics(smooth, angles, analysis.events, info.view, height_px, scale, landmarks)
    valid = valid_variables(info.view)
    body = float(np.nanmedian(height_px)) if np.isfinite(height_px).any() else None
    analysis.video = {
        "view": info.view,
        "direction": info.direction,
        "view_detection": info.to_json(),
        "scale": scale.to_json() if scale is not None else None,
        "subject": {
            "height_m": subject_height,
            "body_height_px": round(body, 2) if body is not None else None,
        },
        "cleaning": report.to_json(),
        "valid_variables": valid,
        "metrics": metrics,
    }
    analysis.trial = analysis.trial.replace(subject=analysis.trial.subject)
    return analysis


def angles_for(analysis: GaitAnalysis) -> dict[str, np.ndarray]:
    """The valid angle time series of an analysed keypoint trial (at the trial's frames)."""
    if analysis.video is None:
        return {}
    view = str(analysis.video["view"])
    direction = str(analysis.video["direction"])
    angles = keypoint_angles(smooth_keypoints(analysis.trial), view, direction)
    keep = set(valid_variables(view).get("time_series", []))
    return {k: v for k, v in angles.items() if k in keep}
