"""Gait events from force plates: vertical-force threshold with clean-contact checks.

A contact is the time the vertical ground reaction force stays above a threshold. It gives a
heel strike (force on) and a toe off (force off) only when it is *clean*: one foot on the plate,
the whole foot on it, and the contact starting and ending inside the recording. The side is the
foot whose markers are over the centre of pressure. Contacts that fail a check are reported with
the reason and give no event.

Method: vertical-force threshold detection as used for reference events in kinematic event
validation, e.g. Zeni JA Jr, Richards JG, Higginson JS (2008) Gait & Posture 27:710-714 and
O'Connor CM et al. (2007) Gait & Posture 25:469-474, with the plate-offset removal, dip bridging
and foot-placement checks described in docs/gait-events.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from groundup.trial import SIDES, ForcePlate, GaitEvent, Side, Trial, other_side


@dataclass(frozen=True)
class PlateContact:
    """One loaded period of one plate, accepted or not."""

    plate: int
    on_s: float
    off_s: float
    side: Side | None
    accepted: bool
    reason: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "plate": self.plate,
            "side": self.side,
            "on_s": round(self.on_s, 5),
            "off_s": round(self.off_s, 5),
            "accepted": self.accepted,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ForcePlateEventDetection:
    """Heel strike and toe off where the vertical force crosses ``threshold_n``.

    Parameters (units in names): ``threshold_n`` vertical force threshold (default 20 N);
    ``bridge_s`` dips shorter than this inside a contact are bridged (default 30 ms);
    ``min_contact_s`` / ``max_contact_s`` plausible stance durations (0.25-2 s);
    ``foot_to_cop_max_m`` the chosen foot's centre must lie this close to the mean centre of
    pressure (150 mm; farther means plate geometry or marker labels are suspect);
    ``edge_margin_m`` how far the heel marker (at strike) or toe marker (at toe off) may lie
    outside the plate outline (40 mm: a heel marker sits on the back of the calcaneus, about
    20-40 mm behind the skin contact).

    An unzeroed plate (constant offset when unloaded) is corrected by removing its baseline: the
    median of the lowest fifth of its samples.
    """

    threshold_n: float = 20.0
    bridge_s: float = 0.030
    min_contact_s: float = 0.25
    max_contact_s: float = 2.0
    foot_to_cop_max_m: float = 0.15
    edge_margin_m: float = 0.04
    name: str = "force_plate"
    contacts: list[PlateContact] = field(default_factory=list, compare=False)

    def detect_contacts(self, trial: Trial, vertical_axis: int = 2) -> list[PlateContact]:
        found: list[PlateContact] = []
        for plate in trial.force_plates:
            found.extend(self._plate_contacts(trial, plate, vertical_axis))
        return sorted(found, key=lambda c: c.on_s)

    def detect(self, trial: Trial, vertical_axis: int = 2) -> list[GaitEvent]:
        events: list[GaitEvent] = []
        for c in self.detect_contacts(trial, vertical_axis):
            if not c.accepted or c.side is None:
                continue
            events.append(
                GaitEvent(c.side, "heel_strike", c.on_s, trial.frame_of(c.on_s), self.name)
            )
            events.append(GaitEvent(c.side, "toe_off", c.off_s, trial.frame_of(c.off_s), self.name))
        return sorted(events, key=lambda e: e.time_s)

    # ------------------------------------------------------------------ internals
    def vertical_force(self, plate: ForcePlate, vertical_axis: int = 2) -> np.ndarray:
        fz = plate.force_n[:, vertical_axis].astype(float)
        fz = np.where(np.isfinite(fz), fz, 0.0)
        low = np.sort(fz)[: max(1, fz.size // 5)]
        return fz - float(np.median(low))

    def _loaded_periods(self, fz: np.ndarray, rate: float) -> list[tuple[int, int]]:
        loaded = fz > self.threshold_n
        edges = np.flatnonzero(np.diff(np.r_[0, loaded.astype(int), 0]))
        runs = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
        merged: list[list[int]] = []
        for start, stop in runs:
            if merged and (start - merged[-1][1]) / rate < self.bridge_s:
                merged[-1][1] = stop
            else:
                merged.append([start, stop])
        return [(a, b) for a, b in merged]

    def _plate_contacts(
        self, trial: Trial, plate: ForcePlate, vertical_axis: int
    ) -> list[PlateContact]:
        rate = plate.rate_hz
        fz = self.vertical_force(plate, vertical_axis)
        out: list[PlateContact] = []
        for start, stop in self._loaded_periods(fz, rate):
            on_s, off_s = start / rate, stop / rate
            duration = off_s - on_s
            if duration < 0.05:  # spikes and noise: not a foot
                continue

            def reject(
                reason: str, side: Side | None = None, on: float = on_s, off: float = off_s
            ) -> PlateContact:
                return PlateContact(plate.index, on, off, side, False, reason)

            if start == 0 or stop >= fz.size:
                out.append(
                    reject(
                        "the plate is already loaded at the start or still loaded at "
                        "the end of the recording"
                    )
                )
                continue
            if not self.min_contact_s <= duration <= self.max_contact_s:
                out.append(
                    reject(
                        f"lasts {duration:.2f} s, outside the plausible stance range "
                        f"{self.min_contact_s}-{self.max_contact_s} s"
                    )
                )
                continue
            out.append(self._check_feet(trial, plate, fz, start, stop, vertical_axis))
        return out

    def _check_feet(
        self,
        trial: Trial,
        plate: ForcePlate,
        fz: np.ndarray,
        start: int,
        stop: int,
        vertical_axis: int,
    ) -> PlateContact:
        rate = plate.rate_hz
        on_s, off_s = start / rate, stop / rate
        strong = np.arange(start, stop)[fz[start:stop] > 0.2 * fz[start:stop].max()]
        cop = np.nanmedian(plate.cop_m[strong], axis=0)
        f_on, f_off = trial.frame_of(on_s), trial.frame_of(off_s)
        f_mid = (f_on + f_off) // 2
        horizontal = [i for i in range(3) if i != vertical_axis]

        def foot_centre(side: Side, frame: int) -> np.ndarray | None:
            pts = [
                trial.points[n][frame]
                for n in _foot_markers(side)
                if n in trial.points and np.isfinite(trial.points[n][frame]).all()
            ]
            return np.mean(pts, axis=0) if pts else None

        distances: dict[Side, float] = {}
        for side in SIDES:
            centre = foot_centre(side, f_mid)
            if centre is not None:
                distances[side] = float(np.linalg.norm((centre - cop)[horizontal]))
        if not distances:
            return PlateContact(
                plate.index,
                on_s,
                off_s,
                None,
                False,
                "no foot markers at mid-contact to tell which foot is on the plate",
            )
        side = min(distances, key=lambda s: distances[s])
        if distances[side] > self.foot_to_cop_max_m:
            return PlateContact(
                plate.index,
                on_s,
                off_s,
                None,
                False,
                f"no foot marker near the centre of pressure (nearest: {side}, "
                f"{distances[side] * 1000:.0f} mm): plate geometry or marker labels suspect",
            )
        # The other foot must not stand on the plate while it is loaded (passing over it in
        # swing is fine: a foot counts as standing where its marker is low and nearly still).
        other = other_side(side)
        for name in _foot_markers(other):
            if name not in trial.points:
                continue
            standing = _standing_frames(trial.points[name], trial.point_rate_hz, vertical_axis)
            for f in range(f_on, f_off + 1):
                p = trial.points[name][f]
                if (
                    standing[f]
                    and np.isfinite(p).all()
                    and plate.contains(p, margin_m=-self.edge_margin_m)
                ):
                    return PlateContact(
                        plate.index,
                        on_s,
                        off_s,
                        side,
                        False,
                        f"the {other} foot is also on the plate",
                    )
        # The heel must land, and the toe leave, over the plate (whole foot on it).
        for part, frame, what in (("heel", f_on, "heel lands"), ("toe", f_off, "toe leaves from")):
            marker = trial.points.get(f"{side}_{part}")
            if (
                marker is not None
                and np.isfinite(marker[frame]).all()
                and not plate.contains(marker[frame], margin_m=self.edge_margin_m)
            ):
                return PlateContact(
                    plate.index, on_s, off_s, side, False, f"the {what} outside the plate"
                )
        return PlateContact(plate.index, on_s, off_s, side, True, "")


def _foot_markers(side: Side) -> tuple[str, ...]:
    return (f"{side}_heel", f"{side}_toe", f"{side}_ankle", f"{side}_meta5", f"{side}_meta1")


# A foot marker "stands" when it is within this height of its lowest level in the trial and
# moves slower than this speed (swing passes low over a plate, but fast).
_STANDING_HEIGHT_M = 0.03
_STANDING_SPEED_M_S = 0.3


def _standing_frames(marker: np.ndarray, rate_hz: float, vertical_axis: int) -> np.ndarray:
    height = marker[:, vertical_axis]
    if not np.isfinite(height).any():
        return np.zeros(len(marker), dtype=bool)
    speed = np.linalg.norm(np.gradient(marker, 1.0 / rate_hz, axis=0), axis=1)
    low = height <= np.nanmin(height) + _STANDING_HEIGHT_M
    with np.errstate(invalid="ignore"):
        return low & (speed < _STANDING_SPEED_M_S)
