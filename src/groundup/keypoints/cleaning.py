"""Cleaning of 2-D keypoint trajectories before gait analysis.

Three steps, in this order (:func:`clean_keypoints`):

1. **Confidence mask.** A keypoint whose confidence (BlazePose visibility x presence, OpenPose
   score) is below ``min_confidence`` in a frame becomes NaN there. The default of 0.3 is the
   keypoint likelihood threshold that Sports2D and Pose2Sim ship as their default (Pagnon D,
   Kim H (2024) Sports2D: Compute 2D human pose and angles from a video or a webcam, J Open
   Source Softw 9(101):6849; Pagnon D, Domalain M, Reveret L (2022) Pose2Sim, J Open Source Softw
   7(77):4362; their Config.toml files).
2. **Left/right swap repair** (:func:`repair_left_right_swaps`): the lower-limb chains (knee,
   ankle, heel, toe) are relabelled frame by frame where exchanging left and right makes the
   trajectories continuous. This is the continuity criterion Stenum et al. used to correct
   OpenPose's left/right swaps in side-view gait videos (Stenum J, Rossi C, Roemmich RT (2021)
   Two-dimensional video-based analysis of human gait using pose estimation. PLoS Comput Biol
   17(4):e1008935), solved for the whole clip at once by dynamic programming over the two states
   "as labelled" / "swapped" (Viterbi AJ (1967) IEEE Trans Inf Theory 13:260-269), so that a
   swap lasting several frames is repaired as one block and a single noisy frame does not start
   one.
3. **Gap filling**: gaps up to ``max_gap_s`` (default 0.2 s) are filled by cubic spline through
   the seen frames (:func:`groundup.signal.gaps.fill_gaps`; Howarth & Callaghan 2010 found splines
   the most accurate interpolation up to about 0.2 s). Longer gaps stay NaN with a
   ``long_keypoint_gap`` quality warning.

Low-pass filtering is separate (:func:`smooth_keypoints`), because event detection low-passes
each signal at its own cut-off and the Hreljac & Marshall refinement needs the unfiltered heel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from groundup.errors import QualityIssue
from groundup.signal.filters import butterworth_lowpass, finite_runs
from groundup.signal.gaps import fill_gaps, interior_gaps, seen_frames
from groundup.trial import Trial

DEFAULT_MIN_CONFIDENCE = 0.3
DEFAULT_MAX_GAP_S = 0.2
#: Zero-lag low-pass cut-off for keypoints of walking filmed at 30-60 frames/s. 6 Hz is the
#: cut-off Winter found by residual analysis for walking markers (Winter DA (2009) Biomechanics
#: and Motor Control of Human Movement, 4th ed., ch. 3) and the Butterworth default of Pose2Sim
#: and Sports2D for video keypoints (Pagnon et al. 2022; Pagnon & Kim 2024); Stenum et al. (2021)
#: also low-passed OpenPose gait keypoints at a few hertz before computing angles.
KEYPOINT_CUTOFF_HZ = 6.0

SWAP_PARTS: tuple[str, ...] = ("knee", "ankle", "heel", "toe")
"""The lower-limb chain exchanged as one block when left and right are swapped. The hips are
left alone: a side view sees them almost on top of each other, and in rear and front views
their labels are stable while the feet's are not."""

# Cost of holding a frame "swapped", in body heights: a relabelling must make the chain more
# continuous by more than this per frame (about 1.5-2 cm on an adult) to be chosen, so that
# frames where the legs cross (both labellings about equally good) keep their labels.
_SWAP_PRIOR_HEIGHTS = 0.01


@dataclass
class CleaningReport:
    """What cleaning changed, for the ``video`` section of analysis.json."""

    min_confidence: float
    max_gap_s: float
    masked_frames: dict[str, int] = field(default_factory=dict)
    swapped_frames: list[tuple[int, int]] = field(default_factory=list)
    long_gaps: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "min_confidence": self.min_confidence,
            "max_gap_filled_s": self.max_gap_s,
            "low_confidence_frames": {k: v for k, v in self.masked_frames.items() if v},
            "left_right_swaps_repaired": [
                {"start_frame": a, "stop_frame": b} for a, b in self.swapped_frames
            ],
            "long_gaps": self.long_gaps,
        }


def mask_low_confidence(trial: Trial, min_confidence: float) -> tuple[Trial, dict[str, int]]:
    """Set keypoints below ``min_confidence`` to NaN; returns the trial and frames masked."""
    points: dict[str, np.ndarray] = {}
    masked: dict[str, int] = {}
    for name, arr in trial.points.items():
        conf = trial.point_confidence.get(name)
        out = np.array(arr, dtype=float)
        if conf is not None:
            low = ~(np.asarray(conf, dtype=float) >= min_confidence)
            masked[name] = int((low & np.isfinite(out).all(axis=1)).sum())
            out[low] = np.nan
        points[name] = out
    return trial.replace(points=points), masked


def _chain(trial: Trial, side: str) -> np.ndarray | None:
    names = [f"{side}_{part}" for part in SWAP_PARTS if f"{side}_{part}" in trial.points]
    if len(names) != len(SWAP_PARTS):
        return None
    return np.stack([trial.points[n] for n in names], axis=1)  # (n_frames, parts, 2)


def _scale_px(trial: Trial, left: np.ndarray, right: np.ndarray) -> float:
    """A body-size scale: median hip-to-ankle length, times 2 (about the standing height)."""
    lengths = []
    for side, chain in (("left", left), ("right", right)):
        hip = trial.points.get(f"{side}_hip")
        if hip is not None:
            lengths.append(np.linalg.norm(chain[:, 1] - hip, axis=1))
    joined = np.concatenate(lengths) if lengths else np.array([])
    if np.isfinite(joined).any():
        leg = float(np.nanmedian(joined))
        if np.isfinite(leg) and leg > 0:
            return 2.0 * leg
    span = np.nanmax(np.abs(left - right)) if np.isfinite(left - right).any() else 1.0
    return float(max(span, 1.0))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance between corresponding keypoints seen in both (0 when none)."""
    d = np.linalg.norm(a - b, axis=-1)
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else 0.0


def swap_states(trial: Trial) -> np.ndarray:
    """Per frame, True where the left and right lower-limb chains are best exchanged.

    Viterbi over two states per frame (0: as labelled, 1: exchanged). The cost of going from
    state ``a`` at frame t-1 to state ``b`` at frame t is the mean displacement of the left
    chain plus that of the right chain between the two frames under those labellings, in body
    heights; being in state 1 costs ``_SWAP_PRIOR_HEIGHTS`` per frame. Frames without data cost
    nothing (their state is "as labelled").
    """
    left, right = _chain(trial, "left"), _chain(trial, "right")
    n = trial.n_frames
    if left is None or right is None or n < 2:
        return np.zeros(n, dtype=bool)
    scale = _scale_px(trial, left, right)
    views = (
        (left, right),
        (right, left),
    )
    cost = np.array([0.0, _SWAP_PRIOR_HEIGHTS])
    back = np.zeros((n, 2), dtype=np.int8)
    for t in range(1, n):
        new = np.empty(2)
        for b in (0, 1):
            lb, rb = views[b][0][t], views[b][1][t]
            options = []
            for a in (0, 1):
                la, ra = views[a][0][t - 1], views[a][1][t - 1]
                step = (_distance(lb, la) + _distance(rb, ra)) / scale
                options.append(cost[a] + step)
            best = int(np.argmin(options))
            back[t, b] = best
            seen = np.isfinite(lb).any() or np.isfinite(rb).any()
            new[b] = options[best] + (_SWAP_PRIOR_HEIGHTS if b == 1 and seen else 0.0)
        cost = new
    states = np.zeros(n, dtype=bool)
    state = int(np.argmin(cost))
    for t in range(n - 1, -1, -1):
        states[t] = bool(state)
        state = int(back[t, state])
    return states


def repair_left_right_swaps(trial: Trial) -> tuple[Trial, list[tuple[int, int]]]:
    """Exchange the left/right lower-limb chains where :func:`swap_states` says so.

    Returns the repaired trial (confidences exchanged with their keypoints) and the ``[start,
    stop)`` frame ranges that were exchanged.
    """
    states = swap_states(trial)
    runs = finite_runs(states)
    if not runs:
        return trial, []
    points = {k: np.array(v, dtype=float) for k, v in trial.points.items()}
    conf = {k: np.array(v, dtype=float) for k, v in trial.point_confidence.items()}
    for part in SWAP_PARTS:
        left, right = f"left_{part}", f"right_{part}"
        for store in (points, conf):
            if left in store and right in store:
                a, b = store[left], store[right]
                a[states], b[states] = b[states].copy(), a[states].copy()
    return trial.replace(points=points, point_confidence=conf), runs


def _long_gap_issues(trial: Trial, max_gap_s: float) -> tuple[list[QualityIssue], dict[str, int]]:
    rate = trial.point_rate_hz
    limit = int(np.floor(max_gap_s * rate + 1e-9))
    issues: list[QualityIssue] = []
    counts: dict[str, int] = {}
    for name, arr in trial.points.items():
        long = [g for g in interior_gaps(seen_frames(arr)) if g[1] - g[0] > limit]
        if not long:
            continue
        counts[name] = len(long)
        worst = max(long, key=lambda g: g[1] - g[0])
        issues.append(
            QualityIssue(
                "long_keypoint_gap",
                f"{name}: {len(long)} gap(s) longer than {max_gap_s:g} s where the pose model did "
                f"not see it (longest {(worst[1] - worst[0]) / rate:.2f} s from frame {worst[0]}); "
                "values there are left out. Re-film with the whole body in view and nothing "
                "passing between the camera and the patient.",
            )
        )
    return issues, counts


def clean_keypoints(
    trial: Trial,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    repair_swaps: bool = True,
) -> tuple[Trial, CleaningReport]:
    """Confidence mask, left/right swap repair and gap filling (see the module docstring)."""
    report = CleaningReport(min_confidence=min_confidence, max_gap_s=max_gap_s)
    masked, report.masked_frames = mask_low_confidence(trial, min_confidence)
    if repair_swaps:
        masked, report.swapped_frames = repair_left_right_swaps(masked)
    issues, report.long_gaps = _long_gap_issues(masked, max_gap_s)
    filled = fill_gaps(masked.replace(quality=[]), max_gap_s)
    kept = [q for q in filled.quality if q.code not in ("long_marker_gap", "empty_marker")]
    quality = [*trial.quality, *kept, *issues]
    if report.swapped_frames:
        n_frames = sum(b - a for a, b in report.swapped_frames)
        quality.append(
            QualityIssue(
                "left_right_swap_repaired",
                f"The pose model exchanged the left and right legs in {n_frames} frame(s) "
                f"({len(report.swapped_frames)} episode(s), first at frame "
                f"{report.swapped_frames[0][0]}); they were relabelled by continuity. Check the "
                "sides of the events there in the annotated video.",
            )
        )
    return filled.replace(quality=quality), report


def smooth_keypoints(trial: Trial, cutoff_hz: float = KEYPOINT_CUTOFF_HZ) -> Trial:
    """Zero-lag low-pass of every keypoint (:data:`KEYPOINT_CUTOFF_HZ`, capped below Nyquist)."""
    cutoff = min(cutoff_hz, 0.4 * trial.point_rate_hz)
    return butterworth_lowpass(trial, cutoff, order=2)
