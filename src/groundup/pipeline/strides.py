"""A walking analysis needs at least one complete stride, or it is refused.

A stride runs from one foot's contact (heel strike) to the next contact of the same foot. Stride
time, stance and swing %, double support, stride length and walking speed are all defined per
stride: a recording in which no stride is complete on either side has none of them, and a
"result" made of empty cells and warnings would only look like an analysis (issue 24: such
recordings are failures of a cohort run, with their message, not rows of the table). This is a
definition, not a threshold: one complete stride on either side is enough to analyse, and the
usual quality warnings (``too_few_strides``, ``under_two_strides``) still say when there are few.

Balance (centre-of-pressure) recordings are not gait and are not checked here.
"""

from __future__ import annotations

import re
from typing import Any

from groundup.errors import NoWalkingError
from groundup.trial import SIDES

_SOURCE_WORDS = {"force_plate": "the force plates", "file": "the events stored in the file"}
_MISSING_MARKERS = re.compile(r"missing or empty: ([^.]+)\.")


def count_strides(doc: dict[str, Any]) -> dict[str, int]:
    """Complete strides per side in an analysis document (``spatiotemporal.<side>.n_strides``)."""
    st = doc.get("spatiotemporal") or {}
    counts = {}
    for side in SIDES:
        n = (st.get(side) or {}).get("n_strides")
        counts[side] = int(n) if isinstance(n, int | float) else 0
    return counts


def require_complete_stride(doc: dict[str, Any], name: str, *, markers: bool) -> None:
    """Refuse (``NoWalkingError``) an analysis without a complete stride on either side.

    ``markers``: a motion-capture trial (C3D, TRC in metres) rather than a clip or pixel
    keypoints; it only chooses the advice given."""
    if any(count_strides(doc).values()):
        return
    contacts = {
        side: sum(
            1
            for e in doc.get("events") or []
            if e.get("side") == side and e.get("kind") == "heel_strike"
        )
        for side in SIDES
    }
    found = f"{_count(contacts['left'], 'left')} and {_count(contacts['right'], 'right')}"
    methods = (doc.get("event_detection") or {}).get("methods_used") or {}
    sources = sorted({_SOURCE_WORDS.get(m, "the movement of the feet") for m in methods})
    if sources:
        found += f", from {' and '.join(sources)}"
    problem = (
        f"{name}: no complete stride was found on either side (a stride runs from a foot's "
        f"contact to that foot's next contact); found {found}. Without a stride there is no "
        "stride time, stance, swing or walking speed, so no result was built on it."
    )
    missing = _missing_foot_markers(doc)
    if missing:
        problem += f" Steps could not be timed from the markers: {missing} are missing or empty."
    if markers:
        fix = (
            "Analyse a trial with at least two contacts of the same foot (walk through the "
            "whole capture volume, or on a treadmill); to time steps from the markers, label "
            "the heel and toe markers of both feet (see docs/marker-labels.md for accepted "
            "names)."
        )
    else:
        fix = (
            "Film at least two full strides (four steps) with the whole body, heels and toes "
            "included, in the picture; if the patient was far from the camera, film from "
            "closer."
        )
    raise NoWalkingError(problem, fix)


def _count(n: int, side: str) -> str:
    return f"{n} {side} contact" + ("" if n == 1 else "s")


def _missing_foot_markers(doc: dict[str, Any]) -> str | None:
    """The markers the kinematic event detection missed, from its quality warning."""
    for warning in (doc.get("quality") or {}).get("warnings") or []:
        if warning.get("code") == "kinematic_events_unavailable":
            match = _MISSING_MARKERS.search(str(warning.get("message", "")))
            if match:
                return match.group(1).strip()
    return None
