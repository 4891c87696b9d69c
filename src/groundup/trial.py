"""The one trial model that every input becomes.

A :class:`Trial` holds labelled point trajectories (2D or 3D), their units and sampling rate, force
plates with their geometry, other analog channels, gait events and metadata. Readers (C3D, TRC,
video keypoints) produce a Trial; signal conditioning returns a new Trial; gait analysis reads one.
Why a small own class rather than kineticstoolkit's TimeSeries or gaitmap's DataFrames is written
in docs/decisions/trial-model.md.

Conventions
-----------
- ``points[name]`` is an array of shape ``(n_frames, n_dims)`` (``n_dims`` is 2 or 3), ``NaN`` where
  the point was not seen. Names are canonical landmark names (``left_heel``, ``right_toe``,
  ``sacrum``...; see ``knowledge/marker_labels.yaml``) where the label map recognised the label, and
  the original label otherwise. ``point_labels[name]`` keeps the label from the source file.
- Lab positions are in metres (``point_units == "m"``); uncalibrated video is in pixels (``"px"``).
- Frame 0 is the first frame stored in the source. ``time_s`` counts from frame 0;
  ``start_time_s`` is the absolute time of frame 0 in the source's own clock (used to read stored
  events written in absolute time).
- Force-plate vectors are in the lab frame: force in N, moment in N·m about the plate origin
  expressed in the lab, centre of pressure in metres.
- Sides are always spelled out: ``"left"`` / ``"right"``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from groundup.errors import QualityIssue

Side = Literal["left", "right"]
EventKind = Literal["heel_strike", "toe_off"]
SIDES: tuple[Side, Side] = ("left", "right")


def other_side(side: Side) -> Side:
    """Return the contralateral side."""
    return "right" if side == "left" else "left"


@dataclass(frozen=True)
class GaitEvent:
    """One gait event.

    ``time_s`` counts from the first frame of the recording; ``frame`` is the nearest 0-based point
    frame (force-plate events fall between frames: ``time_s`` keeps the analog precision).
    """

    side: Side
    kind: EventKind
    time_s: float
    frame: int
    method: str

    def to_json(self) -> dict[str, object]:
        return {
            "side": self.side,
            "kind": self.kind,
            "time_s": round(float(self.time_s), 5),
            "frame": int(self.frame),
            "method": self.method,
        }


@dataclass
class ForcePlate:
    """A force platform with its geometry and its signals in the lab frame.

    ``corners_m`` is ``(4, 3)``: the plate's corners in the lab frame. Signals are sampled at
    ``rate_hz`` (the analog rate) and aligned with point frame 0.
    """

    index: int
    plate_type: int
    rate_hz: float
    force_n: np.ndarray
    moment_nm: np.ndarray
    cop_m: np.ndarray
    corners_m: np.ndarray
    origin_m: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.force_n.shape[0])

    @property
    def centre_m(self) -> np.ndarray:
        return self.corners_m.mean(axis=0)

    def contains(self, position_m: np.ndarray, margin_m: float = 0.0) -> bool:
        """Is a lab position inside the plate's outline (projected on the plate), with a margin?

        A positive ``margin_m`` tolerates that much outside the edge.
        """
        corners = self.corners_m
        centre = corners.mean(axis=0)
        # Plate axes from its corners: edges 0->1 and 1->2.
        e1 = corners[1] - corners[0]
        e2 = corners[2] - corners[1]
        half1 = np.linalg.norm(e1) / 2
        half2 = np.linalg.norm(e2) / 2
        d = position_m - centre
        u1 = abs(float(d @ (e1 / np.linalg.norm(e1))))
        u2 = abs(float(d @ (e2 / np.linalg.norm(e2))))
        return u1 <= half1 + margin_m and u2 <= half2 + margin_m


@dataclass
class Subject:
    """What gait analysis may know about the person. Never a name: GroundUp does not keep one."""

    mass_kg: float | None = None
    height_m: float | None = None
    leg_length_m: float | None = None


@dataclass
class Trial:
    """A recording in GroundUp's one model. See the module docstring for conventions."""

    points: dict[str, np.ndarray]
    point_rate_hz: float
    point_units: str = "m"
    point_labels: dict[str, str] = field(default_factory=dict)
    start_time_s: float = 0.0
    force_plates: list[ForcePlate] = field(default_factory=list)
    analogs: dict[str, np.ndarray] = field(default_factory=dict)
    analog_rate_hz: float | None = None
    events: list[GaitEvent] = field(default_factory=list)
    subject: Subject = field(default_factory=Subject)
    source_path: str = ""
    source_kind: str = "c3d"
    vertical_axis: int | None = None
    quality: list[QualityIssue] = field(default_factory=list)
    # Keypoints from video or pose tools: per-landmark confidence (n_frames,) in 0-1 (visibility
    # times presence for BlazePose, the score for OpenPose); empty for marker data.
    point_confidence: dict[str, np.ndarray] = field(default_factory=dict)
    # Video: the presentation time of each frame in the source (s from frame 0) when it differs
    # from ``frame / point_rate_hz`` (variable frame rate), and the image size (width, height) in
    # pixels after applying rotation metadata. Image coordinates: x to the right, y downward.
    frame_times_s: np.ndarray | None = None
    image_size_px: tuple[int, int] | None = None

    # ------------------------------------------------------------------ shape and time
    @property
    def n_frames(self) -> int:
        if not self.points:
            return 0
        return int(next(iter(self.points.values())).shape[0])

    @property
    def n_dims(self) -> int:
        if not self.points:
            return 3
        return int(next(iter(self.points.values())).shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.point_rate_hz

    @property
    def time_s(self) -> np.ndarray:
        return np.arange(self.n_frames) / self.point_rate_hz

    def frame_of(self, time_s: float) -> int:
        """Nearest 0-based point frame for a time counted from frame 0 (by the frames' own
        times where a video gives them)."""
        times = self.frame_times_s
        if times is not None and len(times) == self.n_frames and self.n_frames > 1:
            offsets = np.abs(np.asarray(times, dtype=float) - (times[0] + time_s))
            return int(np.nanargmin(offsets))
        return int(np.clip(round(time_s * self.point_rate_hz), 0, max(self.n_frames - 1, 0)))

    # ------------------------------------------------------------------ landmarks
    def has(self, name: str, min_valid_frames: int = 1) -> bool:
        """Is a landmark present with at least ``min_valid_frames`` finite frames?"""
        arr = self.points.get(name)
        if arr is None:
            return False
        return int(np.isfinite(arr).all(axis=1).sum()) >= min_valid_frames

    def missing(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """Those of ``names`` that are absent or hold no valid frame."""
        return [n for n in names if not self.has(n)]

    def valid_frames(self, name: str) -> int:
        arr = self.points.get(name)
        return 0 if arr is None else int(np.isfinite(arr).all(axis=1).sum())

    def describe_label(self, name: str) -> str:
        """Canonical name with the source label, for messages: ``left_heel (LHEE)``."""
        label = self.point_labels.get(name)
        return f"{name} ({label})" if label and label != name else name

    # ------------------------------------------------------------------ copies
    def replace(self, **changes: object) -> Trial:
        """A shallow copy with some fields replaced (the original is never modified)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_events(self, events: list[GaitEvent]) -> Trial:
        ordered = sorted(events, key=lambda e: (e.time_s, e.side, e.kind))
        return self.replace(events=ordered)

    def with_quality(self, *issues: QualityIssue) -> Trial:
        return self.replace(quality=[*self.quality, *issues])

    @property
    def source_name(self) -> str:
        return Path(self.source_path).name if self.source_path else ""
