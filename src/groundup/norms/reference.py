"""Choosing the normative reference for a patient, and saying which was chosen and why.

Two curve sets are shipped (``knowledge/norms/sources.yaml``):

- ADULTS: the 24 healthy young adults of the WBDS data set (Fukuchi CA, Fukuchi RK, Duarte M
  (2018) PeerJ 6:e4640), overground at comfortable speed; cycle events of adult walking from
  Perry & Burnfield (2010) (``adult_cycle_events.yaml``).
- CHILDREN: typically developing children of Schwartz MH, Rozumalski A, Trost JP (2008) J Biomech
  41:1639-1650, in five walking-speed groups. Schwartz et al. grouped their children by
  dimensionless speed v / sqrt(g * leg length) (Hof AL (1996) Gait Posture 4:222-223); the
  group is the one whose range holds the patient's dimensionless speed, or the nearest range
  (:func:`speed_group_for`); "free" when speed or leg length is unknown.

The set is chosen by the age at the exam: under ``ADULT_AGE_YEARS`` the children's curves,
otherwise the adults'. When the age is not known the ADULT curves are used (GroundUp's patients
are adults with back pain) and the note says that a child's age must be given for the children's
curves. ``reference.selected_by`` says which rule chose the set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from groundup.errors import InputError
from groundup.norms.data import (
    ADULT_CURVES,
    ADULT_DATASET,
    ADULT_SPEED,
    SCHWARTZ_DATASET,
    SCHWARTZ_SPEEDS,
    SpeedGroup,
    adult_cycle_events,
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
    selected_by: str

    @property
    def is_adult_set(self) -> bool:
        return self.dataset == ADULT_DATASET

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
            "selected_by": self.selected_by,
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


EVENT_NAMES = ("opposite_foot_off", "opposite_foot_contact", "foot_off", "double_support")


def choose_reference(
    age_years: float | None,
    walking_speed_m_s: float | None,
    leg_length_m: float | None,
    speed_group: str | None = None,
) -> ReferenceChoice:
    """The normative reference for this patient (see the module docstring)."""
    if age_years is not None and not math.isfinite(float(age_years)):
        age_years = None
    if age_years is not None and age_years < ADULT_AGE_YEARS:
        return _children_reference(age_years, walking_speed_m_s, leg_length_m, speed_group)
    return _adult_reference(age_years, walking_speed_m_s, leg_length_m)


def _adult_reference(
    age_years: float | None, walking_speed_m_s: float | None, leg_length_m: float | None
) -> ReferenceChoice:
    meta = sources()["files"][ADULT_CURVES]
    events = adult_cycle_events()
    if age_years is None:
        patient = "unknown age"
        selected_by = "age not given: adult curves (GroundUp's default population)"
        note = (
            "Age not given: compared with healthy ADULTS' curves (WBDS, Fukuchi et al. 2018). "
            "For a child, give the age in the exam to use the children's curves."
        )
    else:
        patient = "adult"
        selected_by = f"age {age_years:g} y >= {ADULT_AGE_YEARS:g} y: adult curves"
        note = "Adult compared with healthy adults (WBDS, Fukuchi et al. 2018)."
    note += (
        " The adults walked overground at their comfortable speed; their cycle events are "
        "those of typical adult walking (Perry & Burnfield 2010)."
    )
    return ReferenceChoice(
        dataset=ADULT_DATASET,
        speed_group=ADULT_SPEED,
        population=meta["population"],
        patient_group=patient,
        citation=" ".join(str(meta["citation"]).split()),
        licence=meta["licence"],
        dimensionless_speed=dimensionless_speed(walking_speed_m_s, leg_length_m),
        note=note,
        events_pct={name: float(events["events_pct"][name]) for name in EVENT_NAMES},
        selected_by=selected_by,
    )


def _children_reference(
    age_years: float,
    walking_speed_m_s: float | None,
    leg_length_m: float | None,
    speed_group: str | None,
) -> ReferenceChoice:
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
    note = "Child compared with typically developing children (Schwartz et al. 2008)." + speed_note
    events = {name: schwartz_cycle_events()[(name, group)] for name in EVENT_NAMES}
    return ReferenceChoice(
        dataset=SCHWARTZ_DATASET,
        speed_group=group,
        population=meta["population"],
        patient_group="child",
        citation=" ".join(str(meta["citation"]).split()),
        licence=meta["licence"],
        dimensionless_speed=speed,
        note=note,
        events_pct=events,
        selected_by=f"age {age_years:g} y < {ADULT_AGE_YEARS:g} y: children's curves",
    )
