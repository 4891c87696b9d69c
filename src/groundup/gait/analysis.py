"""The gait pipeline on one trial: condition, find events, compute parameters, build analysis.json.

``analyze_gait(trial, events="auto")`` is what ``groundup analyze`` runs for lab recordings; 2-D
keypoint trials (video, OpenPose, Pose2Sim/Sports2D TRC) reach the same function through
:func:`groundup.keypoints.pipeline.analyze_keypoints`, which cleans them, finds the view and adds
the ``video`` section. Event sources:

- ``kinematic``: :class:`~groundup.gait.events_kinematic.FootStopEventDetection` (contact where
  the heel's forward velocity collapses, toe off where the toe's rises; fixed on force plates);
- ``force-plate``: clean force-plate contacts only;
- ``file``: events stored in the recording;
- ``auto``: every event from the best source that has it: a clean force-plate contact first, then
  a stored event, then kinematics for the rest of the trial. Each event records its method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from groundup import __version__
from groundup.errors import (
    GroundUpError,
    InputError,
    MissingMarkersError,
    NoWalkingError,
    QualityIssue,
)
from groundup.gait.events_forceplate import ForcePlateEventDetection, PlateContact
from groundup.gait.events_kinematic import (
    FootStopEventDetection,
    bridge_short_losses,
    guard_keypoint_events,
    max_lost_frames,
)
from groundup.gait.events_timebase import detect_on_frame_times
from groundup.gait.progression import Progression, compute_progression, require_walking
from groundup.gait.spatiotemporal import Spatiotemporal, compute_spatiotemporal
from groundup.gait.sync_check import check_marker_plate_sync
from groundup.io.labels import LabelMap
from groundup.keypoints.knowledge import event_guard, max_untracked_run_s, min_opposite_strike_s
from groundup.signal.filters import butterworth_lowpass
from groundup.signal.gaps import fill_gaps, gap_report
from groundup.trial import SIDES, GaitEvent, Trial

EventSource = Literal["auto", "kinematic", "force-plate", "file"]
EVENT_SOURCES: tuple[str, ...] = ("auto", "kinematic", "force-plate", "file")
SCHEMA_ID = "groundup.analysis/1"

# An event from a lower-priority source is dropped when a higher-priority event of the same side
# and kind lies closer than this (they are the same event measured twice).
_SAME_EVENT_S = 0.25


@dataclass
class GaitAnalysis:
    """Everything ``analysis.json`` reports for one trial."""

    trial: Trial
    events: list[GaitEvent]
    requested_events: str
    spatiotemporal: Spatiotemporal
    progression: Progression | None
    contacts: list[PlateContact] = field(default_factory=list)
    quality: list[QualityIssue] = field(default_factory=list)
    marker_gaps: dict[str, dict[str, float | int]] = field(default_factory=dict)
    # Keypoint trials: view, direction, scale, cleaning and per-cycle video metrics
    # (groundup.keypoints.pipeline); None for marker trials.
    video: dict[str, object] | None = None

    def to_json(self) -> dict[str, object]:
        trial = self.trial
        counts: dict[str, int] = {}
        for e in self.events:
            counts[e.method] = counts.get(e.method, 0) + 1
        walking: dict[str, object] = {"direction": "unknown"}
        if self.progression is not None:
            p = self.progression
            moving = p.speed_m_s[p.walking]
            walking = {
                "direction": p.dominant_direction_label(),
                "vertical_axis": "xyz"[p.vertical_axis],
                "pelvis_speed_m_s": round(float(np.median(moving)), 4) if moving.size else None,
                "walking_duration_s": round(float(p.walking.sum()) / trial.point_rate_hz, 3),
                "direction_reversals": p.n_direction_reversals(),
                "pelvis_markers": list(p.pelvis_markers),
            }
            rel = p.speed_heights_per_s
            if rel is not None:
                # Pixels: no m/s; speed in body heights per second instead.
                walking["pelvis_speed_m_s"] = None
                moving_rel = rel[p.walking & np.isfinite(rel)]
                walking["pelvis_speed_heights_per_s"] = (
                    round(float(np.median(moving_rel)), 4) if moving_rel.size else None
                )
                walking["view"] = p.view
        doc: dict[str, object] = {
            "schema": SCHEMA_ID,
            "generator": {"name": "groundup", "version": __version__},
            "source": {
                "path": trial.source_path,
                "kind": trial.source_kind,
                "rate_hz": trial.point_rate_hz,
                "n_frames": trial.n_frames,
                "duration_s": round(trial.duration_s, 4),
                "start_time_s": round(trial.start_time_s, 5),
                "point_units": trial.point_units,
                "n_force_plates": len(trial.force_plates),
                "landmarks": {
                    name: trial.point_labels.get(name, name)
                    for name in sorted(trial.points)
                    if trial.point_labels.get(name, name) != name
                },
            },
            "subject": {
                "mass_kg": trial.subject.mass_kg,
                "height_m": trial.subject.height_m,
            },
            "walking": walking,
            "event_detection": {
                "requested": self.requested_events,
                "methods_used": counts,
            },
            "events": [e.to_json() for e in self.events],
            "force_plate_contacts": [c.to_json() for c in self.contacts],
            "spatiotemporal": self.spatiotemporal.to_json(),
            "quality": {
                "warnings": [q.to_json() for q in self.quality],
                "marker_gaps": self.marker_gaps,
            },
        }
        if self.video is not None:
            doc["video"] = self.video
        return doc


def _merge(primary: list[GaitEvent], secondary: list[GaitEvent]) -> list[GaitEvent]:
    """Primary events plus those secondary events that are not the same event again."""
    merged = list(primary)
    for ev in secondary:
        duplicate = any(
            p.side == ev.side and p.kind == ev.kind and abs(p.time_s - ev.time_s) < _SAME_EVENT_S
            for p in primary
        )
        if not duplicate:
            merged.append(ev)
    return sorted(merged, key=lambda e: e.time_s)


def _contacts_quality(contacts: list[PlateContact]) -> list[QualityIssue]:
    issues = []
    for c in contacts:
        if c.accepted:
            continue
        code = (
            "plate_geometry_suspect" if "geometry" in c.reason else "force_plate_contact_rejected"
        )
        issues.append(
            QualityIssue(
                code,
                f"Force plate {c.plate + 1} contact at {c.on_s:.2f}-{c.off_s:.2f} s was not used: "
                f"{c.reason}.",
            )
        )
    if not contacts:
        issues.append(
            QualityIssue(
                "no_force_plate_contact",
                "No foot contact was found on any force plate: events come from other sources.",
            )
        )
    return issues


def analyze_gait(
    trial: Trial,
    events: str = "auto",
    cutoff_hz: float = 6.0,
    max_gap_s: float = 0.1,
    view: str | None = None,
) -> GaitAnalysis:
    """Run the gait pipeline on a trial (see the module docstring).

    ``view`` matters for 2-D trials only (``"sagittal"``, ``"frontal_posterior"``,
    ``"frontal_anterior"``; sagittal when not given): see :mod:`groundup.gait.progression`.
    """
    if events not in EVENT_SOURCES:
        raise InputError(
            f"Unknown event source {events!r}.", f"Choose one of: {', '.join(EVENT_SOURCES)}."
        )
    # The gait pipeline uses the recognised landmarks only; other points (model outputs, wands,
    # virtual markers) are neither conditioned nor reported.
    landmarks = set(LabelMap.default().aliases)
    trial = trial.replace(points={k: v for k, v in trial.points.items() if k in landmarks})
    marker_gaps = gap_report(trial, max_gap_s)
    filled = fill_gaps(trial, max_gap_s)
    quality: list[QualityIssue] = list(filled.quality)

    progression: Progression | None = None
    progression_error: GroundUpError | None = None
    try:
        progression = compute_progression(filled, view)
        require_walking(progression, filled.point_rate_hz)
    except GroundUpError as exc:
        progression_error = exc
        if progression is not None and events in ("auto", "kinematic"):
            raise
    vertical_axis = progression.vertical_axis if progression is not None else 2

    plate_detector = ForcePlateEventDetection()
    contacts: list[PlateContact] = []
    plate_events: list[GaitEvent] = []
    if trial.force_plates and events in ("auto", "force-plate"):
        contacts = plate_detector.detect_contacts(filled, vertical_axis)
        plate_events = plate_detector.detect(filled, vertical_axis)
        quality += _contacts_quality(contacts)

    kinematic: list[GaitEvent] = []
    kinematic_error: GroundUpError | None = None
    if events in ("auto", "kinematic"):
        try:
            # Video with dropped or uneven frames: events on the clip's real frame times.
            kinematic = detect_on_frame_times(FootStopEventDetection(), filled, progression)
        except MissingMarkersError as exc:
            if events == "kinematic":
                raise
            kinematic_error = exc
            quality.append(QualityIssue("kinematic_events_unavailable", str(exc)))
    usable: dict[str, np.ndarray] | None = None
    if kinematic and progression is not None and progression.tracked is not None:
        kinematic, dropped = guard_keypoint_events(
            kinematic,
            progression,
            filled.point_rate_hz,
            event_guard()[1],
            min_opposite_strike_s(),
            max_untracked_run_s(),
        )
        usable = _usable_frames(progression, dropped, filled.point_rate_hz)
        if dropped:
            quality.append(_dropped_events_issue(dropped))
    if contacts and kinematic:
        sync_issue = check_marker_plate_sync(
            contacts, kinematic, trial.point_rate_hz
        ).quality_issue()
        if sync_issue is not None:
            quality.append(sync_issue)

    chosen = _choose_events(events, plate_events, trial.events, kinematic, trial)
    if not chosen:
        raise _no_events_error(events, trial, progression_error, kinematic_error, contacts)
    quality += _event_quality(chosen)

    if progression is not None:
        quality += _in_place_quality(progression, filled.point_rate_hz)
    conditioned = butterworth_lowpass(filled, cutoff_hz)
    spatiotemporal = compute_spatiotemporal(conditioned, chosen, progression, usable)
    return GaitAnalysis(
        trial=conditioned,
        events=chosen,
        requested_events=events,
        spatiotemporal=spatiotemporal,
        progression=progression,
        contacts=contacts,
        quality=quality,
        marker_gaps=marker_gaps,
    )


def _in_place_quality(progression: Progression, rate_hz: float) -> list[QualityIssue]:
    """A note when most of the walking happened in place (treadmill; in video also a camera
    panning with the walker): see :mod:`groundup.gait.progression`."""
    if progression.in_place_mask is None:
        return []
    walking_s = float(progression.walking.sum()) / rate_hz
    in_place_s = float(progression.in_place_mask.sum()) / rate_hz
    if walking_s <= 0 or in_place_s < 0.5 * walking_s:
        return []
    video = progression.body_height_px is not None
    where = "a treadmill, or a camera following them" if video else "a treadmill"
    pointing = "the way the feet and face point" if video else "the line the heels travel along"
    return [
        QualityIssue(
            "walking_in_place",
            f"The patient walked in place for {in_place_s:.1f} of {walking_s:.1f} s of walking "
            f"({where}): steps were found from the feet moving against the pelvis and the "
            f"walking direction from {pointing}. Events, cadence and joint angles "
            "hold; walking speed and stride length are not measured there (on a treadmill they "
            "come from the belt).",
        )
    ]


def _usable_frames(
    progression: Progression, dropped: list[GaitEvent], rate_hz: float
) -> dict[str, np.ndarray]:
    """Per side, the frames a step or stride may span: tracked (losses short enough for an
    event's window bridged, as gap filling bridges them), and not at a dropped event."""
    assert progression.tracked is not None
    allowed = max_lost_frames(max_untracked_run_s(), rate_hz)
    usable = {
        side: bridge_short_losses(mask, allowed) for side, mask in progression.tracked.items()
    }
    for ev in dropped:
        for mask in usable.values():
            mask[min(max(ev.frame, 0), len(mask) - 1)] = False
    return usable


def _dropped_events_issue(dropped: list[GaitEvent]) -> QualityIssue:
    listed = ", ".join(f"{e.side} {e.kind.replace('_', ' ')} at {e.time_s:.2f} s" for e in dropped)
    return QualityIssue(
        "events_dropped_untracked",
        f"{len(dropped)} gait event(s) were not used because the foot was at the edge of the "
        f"picture, hidden or tracked with low confidence around them, or contradicted by the "
        f"other foot ({listed}); steps and "
        "strides across them are left out of the averages. Film with the whole walk, feet "
        "included, inside the picture.",
    )


def _choose_events(
    source: str,
    plate: list[GaitEvent],
    stored: list[GaitEvent],
    kinematic: list[GaitEvent],
    trial: Trial,
) -> list[GaitEvent]:
    if source == "force-plate":
        if not plate:
            raise GroundUpError(
                "No clean force-plate contact was found in this trial"
                + (" (it has no force plates)." if not trial.force_plates else "."),
                "Use --events auto or --events kinematic; the 'quality' section of a run with "
                "--events auto lists why each contact was rejected.",
            )
        return plate
    if source == "file":
        if not stored:
            raise GroundUpError(
                "This file stores no gait events (Foot Strike / Foot Off).",
                "Use --events auto, kinematic or force-plate.",
            )
        return sorted(stored, key=lambda e: e.time_s)
    if source == "kinematic":
        return kinematic
    return _merge(_merge(plate, stored), kinematic)


def _no_events_error(
    source: str,
    trial: Trial,
    progression_error: GroundUpError | None,
    kinematic_error: GroundUpError | None,
    contacts: list[PlateContact],
) -> GroundUpError:
    if progression_error is not None:
        return progression_error
    if kinematic_error is not None:
        return kinematic_error
    if trial.point_units == "px":
        return NoWalkingError(
            f"No gait events were found in {trial.source_name or 'the clip'}.",
            "Film at least two full strides (four steps) with the whole body, heels and toes "
            "included, in the picture; if the patient was far from the camera, film from "
            "closer.",
        )
    return GroundUpError(
        f"No gait events were found in {trial.source_name or 'the trial'}.",
        "Check that the trial holds at least one full stride of walking with heel and toe "
        "markers visible.",
    )


def _event_quality(events: list[GaitEvent]) -> list[QualityIssue]:
    issues: list[QualityIssue] = []
    for side in SIDES:
        hs = [e for e in events if e.side == side and e.kind == "heel_strike"]
        if len(hs) < 2:
            issues.append(
                QualityIssue(
                    "too_few_strides",
                    f"Fewer than two {side} heel strikes were found: no full {side} stride, so "
                    f"{side} stride time and stance % cannot be computed. Record a longer walk.",
                )
            )
    return issues
