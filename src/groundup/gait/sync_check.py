"""Do the marker data and the force-plate data of a recording tell the same time?

In a gait lab the cameras and the force-plate amplifiers are sampled by different devices. When
their clocks are not aligned (a misconfigured synchronisation, an export that shifted one stream),
every kinematic event is off by the same amount against the plates. Neither stream looks wrong on
its own, so the check compares them where both see the same thing: the instant a foot lands on a
clean force-plate contact.

Method: for each clean contact, the heel strike from kinematics (GroundUp's default, which at lab
frame rates lies at the Hreljac & Marshall 2000 heel impact) nearest the force onset is paired
with it. On recordings whose streams
are in time, the heel impact lies within about one frame of the force onset (GroundUp's
validation over ten trials from six labs: -17 to +9 ms, docs/gait-events.md). A median signed
difference larger than the tolerance below, in the same direction on every contact, means that the
streams disagree by about that much. The result is reported as a quality warning: the plates are
used for the events they see, and the kinematic events elsewhere in the trial carry that offset.

Hreljac A, Marshall RN (2000). Algorithms to determine event timing during normal walking using
kinematic data. J Biomech 33(6):783-786.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groundup.errors import QualityIssue
from groundup.gait.events_forceplate import PlateContact
from groundup.trial import GaitEvent

# A kinematic heel strike farther than this from the force onset is not the same landing.
_PAIR_WINDOW_S = 0.15


@dataclass(frozen=True)
class MarkerPlateSync:
    """How far kinematic heel strikes lie from clean force onsets (positive: kinematics later).

    ``tolerance_s`` is the larger of 30 ms and two marker frames: the spread of the heel-impact
    method against force plates on recordings known to be in time, with a frame of rounding on
    each side.
    """

    offsets_s: tuple[float, ...]
    frame_s: float

    @property
    def tolerance_s(self) -> float:
        return max(0.030, 2.0 * self.frame_s)

    @property
    def median_offset_s(self) -> float | None:
        return float(np.median(self.offsets_s)) if self.offsets_s else None

    @property
    def out_of_sync(self) -> bool:
        median = self.median_offset_s
        if median is None or abs(median) <= self.tolerance_s:
            return False
        # Every pair must point the same way: one odd landing is not a clock offset.
        return all(np.sign(o) == np.sign(median) for o in self.offsets_s)

    def quality_issue(self) -> QualityIssue | None:
        if not self.out_of_sync:
            return None
        median_ms = 1000.0 * float(self.median_offset_s or 0.0)
        direction = "after" if median_ms > 0 else "before"
        return QualityIssue(
            "marker_plate_out_of_sync",
            f"The heel markers land {abs(median_ms):.0f} ms {direction} the force plates register "
            f"the contact (median of {len(self.offsets_s)} clean contacts; in-time recordings "
            f"agree within {1000.0 * self.tolerance_s:.0f} ms). The marker and analog data of "
            "this file look out of sync: events on the plates come from the plates, but events "
            "from kinematics elsewhere in the trial, and anything that combines markers with "
            "forces, carry this offset. Check the capture system's synchronisation or the "
            "export settings.",
        )


def check_marker_plate_sync(
    contacts: list[PlateContact], kinematic_events: list[GaitEvent], point_rate_hz: float
) -> MarkerPlateSync:
    """Pair each clean contact's force onset with the nearest same-side kinematic heel strike."""
    offsets: list[float] = []
    for contact in contacts:
        if not contact.accepted or contact.side is None:
            continue
        strikes = [
            e.time_s - contact.on_s
            for e in kinematic_events
            if e.side == contact.side and e.kind == "heel_strike"
        ]
        if not strikes:
            continue
        nearest = min(strikes, key=abs)
        if abs(nearest) <= _PAIR_WINDOW_S:
            offsets.append(nearest)
    return MarkerPlateSync(offsets_s=tuple(offsets), frame_s=1.0 / point_rate_hz)
