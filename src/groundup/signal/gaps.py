"""Marker gaps: find them, fill the short ones, report the rest.

Policy
------
- A frame is missing for a landmark when any coordinate is NaN, or when all its coordinates are
  exactly zero: several capture systems write (0, 0, 0) (or (0, 0) in 2-D keypoint files) for a
  marker they lost. A landmark that is zero in every frame is empty.
- A *gap* is a run of missing frames with seen frames on both sides. Its length is the number of
  missing frames divided by the point rate (one missing frame at 100 Hz is a 0.01 s gap).
- Gaps no longer than ``max_gap_s`` are filled by cubic-spline interpolation through the seen
  frames of that landmark (``scipy.interpolate.CubicSpline``, not-a-knot ends). Howarth &
  Callaghan (2010) compared linear, cubic-spline and local-coordinate-system reconstruction of
  marker gaps: splines were the most accurate for short gaps, and errors grew with the gap's
  duration; this is why long gaps are not filled.
- Longer gaps stay NaN and each landmark with one gets a ``QualityIssue("long_marker_gap", ...)``.
- Missing frames before the first or after the last seen frame are never filled (no
  extrapolation): the marker was outside the capture volume.

The default ``max_gap_s`` of 0.1 s is a processing default, not a clinical threshold; it stays
well below the 0.2 s beyond which Howarth & Callaghan found splines no longer the best choice.

Reference
---------
Howarth SJ, Callaghan JP (2010). Quantitative assessment of the accuracy for three interpolation
techniques in kinematic analysis of human movement. *Computer Methods in Biomechanics and
Biomedical Engineering* 13(6):847-855.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline

from groundup.errors import InputError, QualityIssue
from groundup.signal.filters import finite_runs
from groundup.trial import Trial

#: Default longest gap filled by interpolation, in seconds.
DEFAULT_MAX_GAP_S = 0.1

# How many unfilled gaps a long_marker_gap message lists before it says "and N more".
_GAPS_LISTED = 3


def seen_frames(positions: np.ndarray) -> np.ndarray:
    """Boolean mask of the frames where a point was seen: all coordinates finite, not all zero."""
    arr = np.asarray(positions, dtype=float)
    finite = np.isfinite(arr).all(axis=1)
    all_zero = (arr == 0.0).all(axis=1)
    return finite & ~all_zero


def interior_gaps(seen: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` frame ranges of the missing runs with seen frames on both sides."""
    return [
        (start, stop)
        for start, stop in finite_runs(~np.asarray(seen, dtype=bool))
        if start > 0 and stop < len(seen)
    ]


def _max_gap_frames(max_gap_s: float, rate_hz: float) -> int:
    if not (math.isfinite(max_gap_s) and max_gap_s >= 0):
        raise InputError(
            f"The longest gap to fill is {max_gap_s!r} s; it must be zero or a positive time.",
            "Give the gap limit in seconds, e.g. 0.1.",
        )
    # Tolerate float noise: 0.1 s at 100 Hz is 10 frames, not 9.
    return math.floor(max_gap_s * rate_hz + 1e-9)


def _fill_landmark(
    positions: np.ndarray, seen: np.ndarray, gaps: list[tuple[int, int]]
) -> np.ndarray:
    """Cubic-spline values through the seen frames, written into the given gaps only."""
    out = np.where(seen[:, None], positions, np.nan)
    if not gaps:
        return out
    frames = np.flatnonzero(seen)
    spline = CubicSpline(frames.astype(float), positions[frames], axis=0)
    for start, stop in gaps:
        out[start:stop] = spline(np.arange(start, stop, dtype=float))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _describe_gaps(gaps: list[tuple[int, int]], rate_hz: float) -> str:
    parts = [
        f"{(stop - start) / rate_hz:.3f} s at {start / rate_hz:.3f} s"
        for start, stop in gaps[:_GAPS_LISTED]
    ]
    more = len(gaps) - _GAPS_LISTED
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def fill_gaps(trial: Trial, max_gap_s: float = DEFAULT_MAX_GAP_S) -> Trial:
    """Fill interior marker gaps no longer than ``max_gap_s`` by cubic-spline interpolation.

    See the module docstring for the policy (Howarth & Callaghan 2010, Comput Methods Biomech
    Biomed Engin 13:847). Frames where a marker is exactly zero become NaN first. Longer gaps stay
    NaN and are reported per landmark as ``QualityIssue("long_marker_gap", ...)`` with each gap's
    length and start time (s from the first frame); a landmark that is zero in every frame is
    reported as ``QualityIssue("empty_marker", ...)``. Missing frames at the start or end of the
    recording are left as they are (never extrapolated).

    Parameters
    ----------
    trial:
        The trial whose ``points`` are filled.
    max_gap_s:
        Longest gap filled, in seconds (missing frames / point rate).

    Returns a new Trial; the input is not modified. :func:`gap_report` on the *input* trial tells
    how many frames this fills.
    """
    rate_hz = float(trial.point_rate_hz)
    max_frames = _max_gap_frames(float(max_gap_s), rate_hz)
    points: dict[str, np.ndarray] = {}
    issues: list[QualityIssue] = []
    for name, arr in trial.points.items():
        positions = np.asarray(arr, dtype=float)
        seen = seen_frames(positions)
        gaps = interior_gaps(seen)
        short = [g for g in gaps if g[1] - g[0] <= max_frames]
        long = [g for g in gaps if g[1] - g[0] > max_frames]
        points[name] = _fill_landmark(positions, seen, short)
        label = trial.describe_label(name)
        if positions.size and np.isfinite(positions).all() and not seen.any():
            issues.append(
                QualityIssue(
                    "empty_marker",
                    f"{label} is zero in every frame, which capture systems write for a marker "
                    "they never saw; it is treated as missing. Check the marker's labelling in "
                    "the capture software.",
                )
            )
        if long:
            issues.append(
                QualityIssue(
                    "long_marker_gap",
                    f"{label}: {_count(len(long), 'gap')} longer than {max_gap_s:g} s left "
                    f"unfilled ({_describe_gaps(long, rate_hz)}). Values there are missing; "
                    "fill the gap in the capture software (e.g. pattern or rigid-body fill) or "
                    "re-record the trial.",
                )
            )
    return trial.replace(points=points, quality=[*trial.quality, *issues])


def gap_report(
    trial: Trial, max_gap_s: float = DEFAULT_MAX_GAP_S
) -> dict[str, dict[str, float | int]]:
    """Per-landmark gap summary, for the ``quality`` section of ``analysis.json``.

    Call it on the trial *before* :func:`fill_gaps`. For each landmark:

    - ``valid_frames``: frames where the marker was seen (finite and not exactly zero);
    - ``filled_frames``: frames that :func:`fill_gaps` with the same ``max_gap_s`` fills;
    - ``longest_gap_s``: the longest interior gap (missing frames between seen ones) in seconds,
      0.0 when there is none; missing frames at the start or end are not gaps.
    """
    rate_hz = float(trial.point_rate_hz)
    max_frames = _max_gap_frames(float(max_gap_s), rate_hz)
    report: dict[str, dict[str, float | int]] = {}
    for name, arr in trial.points.items():
        seen = seen_frames(arr)
        lengths = [stop - start for start, stop in interior_gaps(seen)]
        report[name] = {
            "valid_frames": int(seen.sum()),
            "filled_frames": int(sum(n for n in lengths if n <= max_frames)),
            "longest_gap_s": round(max(lengths, default=0) / rate_hz, 6),
        }
    return report
