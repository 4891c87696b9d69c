"""Gait events timed by a recording's real frame times (video with dropped or uneven frames).

A phone records at a variable frame rate: frames are dropped under load, and a clip's frames
carry their own presentation times (:attr:`~groundup.trial.Trial.frame_times_s`). Filters and
derivatives assume evenly spaced samples, and an event timed as ``frame / rate`` comes one frame
period late for every frame dropped before it. :func:`detect_on_frame_times` therefore

1. resamples the trial onto an even grid at its frame rate spanning the real frame times
   (linear interpolation between the two frames around each grid instant; a grid instant next to
   an unseen frame stays unseen, and a keypoint's confidence there is the lower of the two);
2. runs the event detector on that grid, whose times are the real times;
3. gives each event back its real time, and as ``frame`` the recorded frame nearest to it.

A trial whose frames are evenly spaced (no ``frame_times_s``, or none further than a quarter of a
frame from ``frame / rate``), such as every marker trial, is detected as it is.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from groundup.gait.progression import Progression, compute_progression
from groundup.trial import GaitEvent, Trial

# Frame times within this share of a frame period of ``frame / rate`` count as evenly spaced.
_EVEN_TOLERANCE_FRAMES = 0.25


class EventDetector(Protocol):
    def detect(self, trial: Trial, progression: Progression | None = None) -> list[GaitEvent]: ...


def uneven_frame_times(trial: Trial) -> np.ndarray | None:
    """The trial's frame times (s from frame 0) when they are not ``frame / rate``; else None."""
    times = trial.frame_times_s
    if times is None or trial.point_rate_hz <= 0 or len(times) != trial.n_frames:
        return None
    times = np.asarray(times, dtype=float)
    if times.size < 2 or not np.isfinite(times).all() or np.any(np.diff(times) <= 0):
        return None
    even = (np.arange(times.size) / trial.point_rate_hz) + times[0]
    if np.max(np.abs(times - even)) * trial.point_rate_hz <= _EVEN_TOLERANCE_FRAMES:
        return None
    return times - times[0]


def _bracket(times: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each grid instant: the recorded frames before and after it and the weight of the
    later one (linear interpolation)."""
    after = np.clip(np.searchsorted(times, grid, side="left"), 1, times.size - 1)
    before = after - 1
    span = times[after] - times[before]
    weight = np.clip((grid - times[before]) / span, 0.0, 1.0)
    return before, after, weight


def resample_to_even_grid(trial: Trial, times: np.ndarray) -> Trial:
    """``trial`` on an even grid at its frame rate from 0 to its last frame time (see the module
    docstring). The grid's frame ``k`` is at ``k / rate`` s of real time."""
    rate = trial.point_rate_hz
    grid = np.arange(int(np.floor(times[-1] * rate + 1e-9)) + 1) / rate
    before, after, w = _bracket(times, grid)
    points = {}
    for name, xy in trial.points.items():
        with np.errstate(invalid="ignore"):
            blend = (1.0 - w)[:, None] * xy[before] + w[:, None] * xy[after]
        # A grid instant on a recorded frame takes that frame alone (a gap next to it stays out).
        blend = np.where((w == 0.0)[:, None], xy[before], blend)
        points[name] = np.where((w == 1.0)[:, None], xy[after], blend)
    confidence = {
        name: np.minimum(np.asarray(c, dtype=float)[before], np.asarray(c, dtype=float)[after])
        for name, c in trial.point_confidence.items()
    }
    return trial.replace(points=points, point_confidence=confidence, frame_times_s=None)


def detect_on_frame_times(
    detector: EventDetector, trial: Trial, progression: Progression | None = None
) -> list[GaitEvent]:
    """``detector``'s events on ``trial`` timed by its real frame times (module docstring).

    ``progression`` (of the trial as recorded) is passed on when the frames are evenly spaced;
    otherwise the walking frame of the resampled trial is computed with the same view.
    """
    times = uneven_frame_times(trial)
    if times is None:
        return detector.detect(trial, progression)
    even = resample_to_even_grid(trial, times)
    view = progression.view if progression is not None else None
    events = detector.detect(even, compute_progression(even, view))
    out = []
    for ev in events:
        frame = int(np.argmin(np.abs(times - ev.time_s)))
        out.append(GaitEvent(ev.side, ev.kind, ev.time_s, frame, ev.method))
    return out
