"""Choosing the normative reference for a patient, and saying which was chosen.

The only normative curves shipped are those of typically developing CHILDREN (Schwartz MH,
Rozumalski A, Trost JP (2008) J Biomech 41:1639-1650), in five walking-speed groups. Schwartz et
al. grouped their children by dimensionless speed v / sqrt(g * leg length) (Hof AL (1996) Scaling
gait data to body size. Gait Posture 4:222-223). Their workbook gives each group's range of
dimensionless speeds (``schwartz2008_speed_groups.csv``; the five ranges do not overlap), so when
the walking speed and leg length are known the group is the one whose range holds the patient's
dimensionless speed, or the nearest range (:func:`speed_group_for`). Otherwise the self-selected
("free") group is used; a caller may name the group (``speed_group``). The choice and its reason
are in ``reference.note``.

Adults (age >= 18 years, or unknown age with a leg length above the children's range) are compared
with the same children's curves, labelled as such: adult sagittal kinematics at matched
dimensionless speed are close to those of older children, but the comparison is approximate and
every output says so. Adult summary values (``adult_summary.yaml``) are added as context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from groundup.errors import InputError
from groundup.norms.data import (
    SCHWARTZ_SPEEDS,
    SpeedGroup,
    schwartz_cycle_events,
    schwartz_speed_groups,
    sources,
)

ADULT_AGE_YEARS = 18.0
G_M_S2 = 9.81


@dataclass(frozen=True)
class ReferenceChoice:
    dataset: str
    speed_group: str
    population: str
    patient_group: str
    citation: str
    licence: str
    dimensionless_speed: float | None
    note: str
    events_pct: dict[str, float]

    def to_json(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "speed_group": self.speed_group,
            "population": self.population,
            "patient_group": self.patient_group,
            "citation": self.citation,
            "licence": self.licence,
            "dimensionless_speed": None
            if self.dimensionless_speed is None
            else round(self.dimensionless_speed, 4),
            "note": self.note,
            "events_pct": {k: round(v, 2) for k, v in self.events_pct.items()},
        }


def dimensionless_speed(speed_m_s: float | None, leg_length_m: float | None) -> float | None:
    """Walking speed / sqrt(g * leg length) (Hof 1996), or None when either is unknown."""
    if not speed_m_s or not leg_length_m:
        return None
    speed, leg = float(speed_m_s), float(leg_length_m)
    if not (math.isfinite(speed) and math.isfinite(leg)) or leg <= 0:
        return None
    return speed / math.sqrt(G_M_S2 * leg)


def speed_group_for(dimensionless: float) -> tuple[str, str]:
    """The Schwartz et al. 2008 speed group for a dimensionless walking speed, and why.

    The group whose children's range (minimum-maximum) holds the speed; between two ranges, or
    beyond the slowest or fastest child, the nearest range.
    """
    groups = schwartz_speed_groups()
    for group in groups:
        if group.minimum <= dimensionless <= group.maximum:
            return group.speed, (
                f"dimensionless speed {dimensionless:.3f} lies in the range of the "
                f"'{group.speed}' group ({group.minimum:.3f}-{group.maximum:.3f}, "
                f"{group.n} children)"
            )

    def distance(group: SpeedGroup) -> float:
        return min(abs(dimensionless - group.minimum), abs(dimensionless - group.maximum))

    nearest = min(groups, key=distance)
    if dimensionless < groups[0].minimum:
        where = f"slower than every child of the reference (slowest {groups[0].minimum:.3f})"
    elif dimensionless > groups[-1].maximum:
        where = f"faster than every child of the reference (fastest {groups[-1].maximum:.3f})"
    else:
        where = "between two groups' ranges"
    return nearest.speed, (
        f"dimensionless speed {dimensionless:.3f} is {where}; the nearest range is the "
        f"'{nearest.speed}' group's ({nearest.minimum:.3f}-{nearest.maximum:.3f})"
    )


def choose_reference(
    age_years: float | None,
    walking_speed_m_s: float | None,
    leg_length_m: float | None,
    speed_group: str | None = None,
) -> ReferenceChoice:
    """The normative reference for this patient (see the module docstring)."""
    speed = dimensionless_speed(walking_speed_m_s, leg_length_m)
    if speed_group is not None:
        group, speed_note = speed_group, f" Speed group '{speed_group}', as requested."
    elif speed is not None:
        group, why = speed_group_for(speed)
        speed_note = f" Speed group '{group}': {why}."
    else:
        group = "free"
        speed_note = (
            " Speed group: self-selected ('free'), because the walking speed or the leg length "
            "is not known."
        )
    if group not in SCHWARTZ_SPEEDS:
        raise InputError(
            f"Unknown normative speed group {group!r}.",
            f"Choose one of: {', '.join(SCHWARTZ_SPEEDS)}.",
        )
    meta = sources()["files"]["schwartz2008_curves.csv"]
    if age_years is None:
        patient = "unknown age"
        note = (
            "Age not given: compared with typically developing children's curves (Schwartz et al. "
            "2008). If the patient is an adult, read deviations as approximate."
        )
    elif age_years >= ADULT_AGE_YEARS:
        patient = "adult"
        note = (
            "Adult patient compared with CHILDREN's normative curves (Schwartz et al. 2008; no "
            "adult curves under an open licence are available): deviations and the GPS are "
            "approximate; adult summary values are given as context."
        )
    else:
        patient = "child"
        note = "Child compared with typically developing children (Schwartz et al. 2008)."
    note += speed_note
    events = {
        name: schwartz_cycle_events()[(name, group)]
        for name in ("opposite_foot_off", "opposite_foot_contact", "foot_off", "double_support")
    }
    return ReferenceChoice(
        dataset="Schwartz2008",
        speed_group=group,
        population=meta["population"],
        patient_group=patient,
        citation=" ".join(str(meta["citation"]).split()),
        licence=meta["licence"],
        dimensionless_speed=speed,
        note=note,
        events_pct=events,
    )
