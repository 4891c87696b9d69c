"""Cleaning of 2-D keypoint trajectories before gait analysis.

The steps, in this order (:func:`clean_keypoints`):

1. **Confidence mask.** A keypoint whose confidence (BlazePose visibility x presence, OpenPose
   score) is below ``min_confidence`` in a frame becomes NaN there. The default of 0.3 is the
   keypoint likelihood threshold that Sports2D and Pose2Sim ship as their default (Pagnon D,
   Kim H (2024) Sports2D: Compute 2D human pose and angles from a video or a webcam, J Open
   Source Softw 9(101):6849; Pagnon D, Domalain M, Reveret L (2022) Pose2Sim, J Open Source Softw
   7(77):4362; their Config.toml files). Keypoints outside the picture become NaN too
   (:func:`mask_outside_image`): the model guessed them.
2. **Spikes** (:func:`reject_keypoint_spikes`): a lower-limb keypoint that jumps away for one
   frame and comes back becomes NaN there.
3. **Left/right swap repair** (:func:`repair_left_right_swaps`): the feet (ankle, heel, toe) and
   the knees are relabelled frame by frame where exchanging left and right makes the
   trajectories continuous. This is the continuity criterion Stenum et al. used to correct
   OpenPose's left/right swaps in side-view gait videos (Stenum J, Rossi C, Roemmich RT (2021)
   Two-dimensional video-based analysis of human gait using pose estimation. PLoS Comput Biol
   17(4):e1008935), taken one order further (each keypoint should keep its velocity, so that the
   relabelling lands where the legs really cross) and solved for the whole clip at once by
   dynamic programming over the labellings "as labelled" / "swapped" (Viterbi AJ (1967) IEEE
   Trans Inf Theory 13:260-269), so that a swap lasting several frames is repaired as one block
   and a single noisy frame does not start one.
4. **Gap filling**: gaps up to ``max_gap_s`` (default 0.2 s) are filled by cubic spline through
   the seen frames (:func:`groundup.signal.gaps.fill_gaps`; Howarth & Callaghan 2010 found splines
   the most accurate interpolation up to about 0.2 s). Longer gaps stay NaN with a
   ``long_keypoint_gap`` quality warning.

Low-pass filtering is separate (:func:`smooth_keypoints`), because event detection low-passes
each signal at its own cut-off and the Hreljac & Marshall refinement needs the unfiltered heel.
"""

from __future__ import annotations

import itertools
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
"""The lower-limb keypoints whose left/right labels are checked. The hips are left alone: a side
view sees them almost on top of each other, and in rear and front views their labels are stable
while the feet's are not."""
FOOT_PARTS: tuple[str, ...] = ("ankle", "heel", "toe")
"""The foot, relabelled as one block (the knee separately, see :func:`repair_left_right_swaps`)."""

# Cost of holding a frame "swapped", in body heights: a relabelling must make the chain more
# continuous by more than this per frame (about 1.5-2 cm on an adult) to be chosen, so that
# frames where the legs cross (both labellings about equally good) keep their labels.
_SWAP_PRIOR_HEIGHTS = 0.01
# Cost of a keypoint that appears with nothing to predict it from, in body heights (about
# 17 cm on an adult): the same for both labellings where a foot comes back into view, but it
# stops the relabelling from moving one leg's keypoints into the other leg's gap.
_APPEAR_HEIGHTS = 0.1
# A one-frame jump-and-return must exceed the neighbours' own distance by this much (about 8-9 cm
# on an adult) to count as a spike: far beyond the midpoint deviation of any walking limb motion.
_SPIKE_MARGIN_HEIGHTS = 0.05
# Spikes of up to this many frames are rejected (a jump away and back; two frames is the longest
# seen on the reference clips, and far shorter than any step).
_MAX_SPIKE_FRAMES = 2


@dataclass
class CleaningReport:
    """What cleaning changed, for the ``video`` section of analysis.json."""

    min_confidence: float
    max_gap_s: float
    masked_frames: dict[str, int] = field(default_factory=dict)
    outside_image_frames: dict[str, int] = field(default_factory=dict)
    spike_frames: dict[str, int] = field(default_factory=dict)
    swapped_frames: list[tuple[int, int]] = field(default_factory=list)
    long_gaps: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "min_confidence": self.min_confidence,
            "max_gap_filled_s": self.max_gap_s,
            "low_confidence_frames": {k: v for k, v in self.masked_frames.items() if v},
            "outside_image_frames": self.outside_image_frames,
            "spike_frames": self.spike_frames,
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


def mask_outside_image(trial: Trial) -> tuple[Trial, dict[str, int]]:
    """Set keypoints that lie outside the picture to NaN; returns the trial and frames masked.

    Pose models place every keypoint somewhere, also those of a foot that has left the frame;
    such positions are guesses (often a copy of the other, visible foot), not measurements. A
    trial without an image size (keypoints from a file without one) is returned unchanged.
    """
    if trial.image_size_px is None:
        return trial, {}
    width, height = trial.image_size_px
    points: dict[str, np.ndarray] = {}
    masked: dict[str, int] = {}
    for name, arr in trial.points.items():
        out = np.array(arr, dtype=float)
        with np.errstate(invalid="ignore"):
            outside = (out[:, 0] < 0) | (out[:, 0] > width) | (out[:, 1] < 0) | (out[:, 1] > height)
        if outside.any():
            masked[name] = int(outside.sum())
            out[outside] = np.nan
        points[name] = out
    return trial.replace(points=points), masked


def _chain(trial: Trial, side: str, parts: tuple[str, ...]) -> np.ndarray | None:
    names = [f"{side}_{part}" for part in parts if f"{side}_{part}" in trial.points]
    if len(names) != len(parts):
        return None
    return np.stack([trial.points[n] for n in names], axis=1)  # (n_frames, parts, 2)


def _scale_px(trial: Trial) -> float:
    """A body-size scale in pixels: median hip-to-ankle length, times 2 (about the standing
    height); the widest left/right spread of the lower limbs where no leg is seen."""
    lengths = []
    for side in ("left", "right"):
        hip, ankle = trial.points.get(f"{side}_hip"), trial.points.get(f"{side}_ankle")
        if hip is not None and ankle is not None:
            lengths.append(np.linalg.norm(np.asarray(ankle) - np.asarray(hip), axis=1))
    joined = np.concatenate(lengths) if lengths else np.array([])
    if np.isfinite(joined).any():
        leg = float(np.nanmedian(joined))
        if leg > 0:
            return 2.0 * leg
    return 1.0


def _spikes(
    arr: np.ndarray, width: int, margin: float, other: np.ndarray | None = None
) -> np.ndarray:
    """Frames of ``width``-frame spikes of one keypoint: every frame of the run lies further from
    the straight line between the frames just before and after it than those two lie from each
    other, plus ``margin``. With ``other`` (the same keypoint of the other leg), a run that lies
    as near the other leg's line is a left/right swap, not a spike."""
    n = len(arr)
    out = np.zeros(n, dtype=bool)
    if n < width + 2:
        return out

    def far_from(track: np.ndarray) -> np.ndarray:
        before, after = track[: n - width - 1], track[width + 1 :]
        span = np.linalg.norm(after - before, axis=1)
        far = np.ones(n - width - 1, dtype=bool)
        for k in range(1, width + 1):
            line = before + (after - before) * (k / (width + 1))
            with np.errstate(invalid="ignore"):
                far &= np.linalg.norm(arr[k : n - width - 1 + k] - line, axis=1) > span + margin
        return far

    far = far_from(arr)
    if other is not None:
        far &= far_from(other)
    for k in range(1, width + 1):
        out[k : n - width - 1 + k] |= far
    return out


def reject_keypoint_spikes(trial: Trial) -> tuple[Trial, dict[str, int]]:
    """Set one-frame spikes of the lower-limb keypoints to NaN (gap filling then bridges them).

    A keypoint at frame t is a spike when it lies further from the midpoint of its two
    neighbours (frames t-1 and t+1) than those neighbours lie from each other, plus
    :data:`_SPIKE_MARGIN_HEIGHTS` body heights: it jumped away and came back. The same holds for
    runs of up to :data:`_MAX_SPIKE_FRAMES` frames against the line between the frames around
    them, where the keypoint is not at the other leg's (that is a swap, repaired later): on the
    Sports2D clip at 640 x 360 the pose model put the right foot 40-60 px ahead for two frames as
    the other foot passed, with full confidence. Smooth motion
    never does this (its deviation from the midpoint is half the second difference, a few
    millimetres to centimetres at video frame rates), whereas BlazePose sometimes puts both feet
    somewhere else for a single frame as the legs cross. Such a frame would otherwise start a
    false left/right relabelling (:func:`swap_states`) or a false event.
    """
    scale = _scale_px(trial)
    points = dict(trial.points)
    rejected: dict[str, int] = {}
    for side in ("left", "right"):
        for part in SWAP_PARTS:
            name = f"{side}_{part}"
            if name not in points:
                continue
            arr = np.array(points[name], dtype=float)
            if len(arr) < 3:
                continue
            margin = _SPIKE_MARGIN_HEIGHTS * scale
            spike = _spikes(arr, 1, margin)
            # Longer runs only away from the other leg's path too: a block of frames on the other
            # leg's path is a left/right swap, which the repair undoes.
            other = trial.points.get(f"{'right' if side == 'left' else 'left'}_{part}")
            for width in range(2, _MAX_SPIKE_FRAMES + 1):
                spike |= _spikes(arr, width, margin, other)
            if spike.any():
                arr[spike] = np.nan
                points[name] = arr
                rejected[name] = int(spike.sum())
    return trial.replace(points=points), rejected


def _step_cost(
    now: np.ndarray, last: np.ndarray, before: np.ndarray, appear_px: float = 0.0
) -> np.ndarray:
    """Mean distance (over the chain's keypoints seen) between each frame's keypoints and their
    constant-velocity prediction from the two frames before; where the frame before last is
    missing the prediction is the last position. A keypoint seen with nothing to predict it
    from (missing in the frame before) costs ``appear_px``; where nothing is seen the cost is 0.
    Arrays are (frames, parts, 2); returns (frames,)."""
    predicted = np.where(np.isfinite(before), 2.0 * last - before, last)
    d = np.linalg.norm(now - predicted, axis=-1)
    appeared = np.isfinite(now).all(axis=-1) & ~np.isfinite(predicted).all(axis=-1)
    d = np.where(appeared, appear_px, d)
    seen = np.isfinite(d)
    total = np.where(seen, d, 0.0).sum(axis=1)
    count = seen.sum(axis=1)
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def _bridge_single_frames(chain: np.ndarray) -> np.ndarray:
    """The chain with keypoints missing for a single frame between two seen ones set to the
    midpoint of their neighbours (for the continuity cost only): a spike removed by
    :func:`reject_keypoint_spikes` must not cut the velocity that predicts the next frames, or a
    swinging foot is predicted to stand still there and a relabelling lands in the wrong place."""
    out = chain.copy()
    prev, cur, nxt = chain[:-2], chain[1:-1], chain[2:]
    gap = ~np.isfinite(cur) & np.isfinite(prev) & np.isfinite(nxt)
    out[1:-1] = np.where(gap, (prev + nxt) / 2, cur)
    return out


def swap_states(trial: Trial, parts: tuple[str, ...] = FOOT_PARTS) -> np.ndarray:
    """Per frame, True where the left and right chains of ``parts`` are best exchanged.

    Viterbi over two labellings per frame (0: as labelled, 1: exchanged), with the state of the
    two previous frames in the cost: each chain should go on at the velocity it had (a
    constant-velocity motion model, as in target tracking; Bar-Shalom Y, Li XR, Kirubarajan T
    (2001) Estimation with Applications to Tracking and Navigation, Wiley, ch. 6). A
    position-only criterion cannot tell where the relabelling belongs when the legs cross (both
    labellings are equally continuous there); the swinging foot's velocity can. The cost of a
    frame is the distance of the left chain plus that of the right chain from their predictions,
    in body heights; being in state 1 costs :data:`_SWAP_PRIOR_HEIGHTS` per frame with data.
    """
    left, right = _chain(trial, "left", parts), _chain(trial, "right", parts)
    n = trial.n_frames
    if left is None or right is None or n < 3:
        return np.zeros(n, dtype=bool)
    left, right = _bridge_single_frames(left), _bridge_single_frames(right)
    scale = _scale_px(trial)
    views = ((left, right), (right, left))
    seen = np.isfinite(left).any(axis=(1, 2)) | np.isfinite(right).any(axis=(1, 2))
    prior = np.where(seen, _SWAP_PRIOR_HEIGHTS, 0.0)
    # step[a, b, c][t - 2]: cost of states a, b, c at frames t-2, t-1, t.
    step = np.zeros((2, 2, 2, n - 2))
    # A keypoint appearing from nothing costs _APPEAR_HEIGHTS: otherwise, where one chain is
    # missing, moving the other chain's keypoints into its place would hide their motion (a
    # prediction from a missing frame costs nothing) and spread one leg's gap over both legs.
    appear = _APPEAR_HEIGHTS * scale
    for a, b, c in itertools.product((0, 1), repeat=3):
        for k in (0, 1):
            step[a, b, c] += _step_cost(
                views[c][k][2:], views[b][k][1:-1], views[a][k][:-2], appear
            )
    step /= scale
    # cost[a, b]: best total with states a, b at frames t-1, t.
    first = np.zeros((2, 2))
    for a, b in itertools.product((0, 1), repeat=2):
        moved = sum(
            float(_step_cost(views[b][k][1:2], views[a][k][:1], views[a][k][:1])[0]) for k in (0, 1)
        )
        first[a, b] = moved / scale + a * prior[0] + b * prior[1]
    cost = first
    back = np.zeros((n, 2, 2), dtype=np.int8)  # back[t, b, c]: best a
    for t in range(2, n):
        total = cost[:, :, None] + step[:, :, :, t - 2]  # (a, b, c)
        best = np.argmin(total, axis=0)  # (b, c)
        back[t] = best
        cost = np.take_along_axis(total, best[None], axis=0)[0] + np.array([0.0, prior[t]])[None, :]
    states = np.zeros(n, dtype=bool)
    b, c = np.unravel_index(int(np.argmin(cost)), (2, 2))
    states[n - 1], states[n - 2] = bool(c), bool(b)
    for t in range(n - 1, 1, -1):
        a = int(back[t, b, c])
        states[t - 2] = bool(a)
        b, c = a, b
    return states


def repair_left_right_swaps(trial: Trial) -> tuple[Trial, list[tuple[int, int]]]:
    """Exchange left/right where :func:`swap_states` says so, for the feet (ankle, heel, toe) and
    the knees separately: in a side view the swinging knee passes the standing one several
    frames before the feet cross, so one relabelling frame for the whole leg would be wrong for
    one of them.

    Returns the repaired trial (confidences exchanged with their keypoints) and the ``[start,
    stop)`` frame ranges where anything was exchanged.
    """
    points = {k: np.array(v, dtype=float) for k, v in trial.points.items()}
    conf = {k: np.array(v, dtype=float) for k, v in trial.point_confidence.items()}
    any_swapped = np.zeros(trial.n_frames, dtype=bool)
    for group in (FOOT_PARTS, ("knee",)):
        states = swap_states(trial, group)
        if not states.any():
            continue
        any_swapped |= states
        for part in group:
            left, right = f"left_{part}", f"right_{part}"
            for store in (points, conf):
                if left in store and right in store:
                    a, b = store[left], store[right]
                    a[states], b[states] = b[states].copy(), a[states].copy()
    runs = finite_runs(any_swapped)
    if not runs:
        return trial, []
    return trial.replace(points=points, point_confidence=conf), runs


# How many keypoints the long-gap warning names before it says "and N more".
_MAX_GAP_NAMES = 8


def _long_gap_issues(trial: Trial, max_gap_s: float) -> tuple[list[QualityIssue], dict[str, int]]:
    """One ``long_keypoint_gap`` warning naming every keypoint with gaps too long to fill (a
    warning per keypoint would bury the others), and the number of such gaps per keypoint."""
    rate = trial.point_rate_hz
    limit = int(np.floor(max_gap_s * rate + 1e-9))
    counts: dict[str, int] = {}
    worst: dict[str, tuple[int, int]] = {}
    for name, arr in trial.points.items():
        long = [g for g in interior_gaps(seen_frames(arr)) if g[1] - g[0] > limit]
        if long:
            counts[name] = len(long)
            worst[name] = max(long, key=lambda g: g[1] - g[0])
    if not counts:
        return [], counts
    longest = max(worst, key=lambda n: worst[n][1] - worst[n][0])
    start, stop = worst[longest]
    shown = sorted(counts)
    listed = ", ".join(f"{n} ({counts[n]})" for n in shown[:_MAX_GAP_NAMES])
    more = f" and {len(shown) - _MAX_GAP_NAMES} more" if len(shown) > _MAX_GAP_NAMES else ""
    return [
        QualityIssue(
            "long_keypoint_gap",
            f"{len(shown)} keypoint(s) have gaps longer than {max_gap_s:g} s where the pose model "
            f"did not see them: {listed}{more} (longest {(stop - start) / rate:.2f} s, "
            f"{longest} from frame {start}); values there are left out. Re-film with the whole "
            "body in view and nothing passing between the camera and the patient.",
        )
    ], counts


def clean_keypoints(
    trial: Trial,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    repair_swaps: bool = True,
) -> tuple[Trial, CleaningReport]:
    """Confidence mask, left/right swap repair and gap filling (see the module docstring)."""
    report = CleaningReport(min_confidence=min_confidence, max_gap_s=max_gap_s)
    masked, report.masked_frames = mask_low_confidence(trial, min_confidence)
    masked, report.outside_image_frames = mask_outside_image(masked)
    masked, report.spike_frames = reject_keypoint_spikes(masked)
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
