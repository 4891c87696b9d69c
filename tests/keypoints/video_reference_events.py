"""Reference gait events of the real clips in ../shared/data/video (ANNOTATIONS.md, revision of
2026-12-02), copied by hand: frame indices (0-based, decode order) of the first frame showing the
event, with the subject's anatomical side (None where the annotation gives none).

Each clip also carries the ranges its annotation states for cadence (steps/min), stance (% of the
stride) and double support (each period, % of the stride), and the tolerance of its suggested
checks. Contact and toe off follow the rule in ANNOTATIONS.md, "Conventions": contact is the first
frame whose heel displacement from the previous frame is below about 20 % of that foot's swing-peak
displacement, with the heel at floor level; toe off the first frame where the toe is visibly lifted
or its tip moves forward by at least about 15 % of the swing-peak displacement.
"""

from __future__ import annotations

from dataclasses import dataclass

Event = tuple[str | None, int]


@dataclass(frozen=True)
class ClipReference:
    clip: str
    subject: str
    contacts: tuple[Event, ...]
    toe_offs: tuple[Event, ...]
    cadence_range: tuple[float, float] | None
    stance_range_pct: tuple[float, float] | None
    double_support_max_pct: float | None  # each double-support period, % of the stride
    tolerance_frames: int


SPORTS2D = ClipReference(
    clip="sports2d_demo.mp4",
    subject="walker",
    contacts=(
        ("left", 42),
        ("right", 61),
        ("left", 80),
        ("right", 99),
        ("left", 117),
        ("right", 135),
        ("left", 153),
        ("right", 172),
        ("left", 190),
    ),
    toe_offs=(
        ("left", 64),
        ("right", 85),
        ("left", 103),
        ("right", 122),
        ("left", 140),
        ("right", 158),
        ("left", 176),
        ("right", 194),
    ),
    cadence_range=(96.0, 98.6),
    stance_range_pct=(58.0, 66.0),
    double_support_max_pct=16.0,
    tolerance_frames=2,
)

INDOOR_A = ClipReference(
    clip="sagittal_indoor_two_walkers.mp4",
    subject="walker A",
    contacts=(
        ("right", 8),
        ("left", 25),
        ("right", 41),
        ("left", 57),
        ("right", 73),
        ("left", 89),
    ),
    toe_offs=(("right", 30), ("left", 46), ("right", 62), ("left", 78), ("right", 94)),
    cadence_range=(108.0, 114.0),
    stance_range_pct=(60.0, 70.0),
    double_support_max_pct=20.0,
    tolerance_frames=2,
)

INDOOR_B = ClipReference(
    clip="sagittal_indoor_two_walkers.mp4",
    subject="walker B",
    contacts=(("left", 59), ("right", 76), ("left", 93), ("right", 110), ("left", 128)),
    toe_offs=(("left", 81), ("right", 99), ("left", 116), ("right", 134), ("left", 152)),
    cadence_range=(101.0, 108.0),
    stance_range_pct=(60.0, 70.0),
    double_support_max_pct=20.0,
    tolerance_frames=2,
)

# Rear view, follow camera, footage slowed down: timing in file frames (23.976 frames/s); stance
# about 70 % (right 71.8, left 68.9), each double support about 20 % (a slow walk).
POSTERIOR = ClipReference(
    clip="posterior_followcam_forest_road.mp4",
    subject="walker",
    contacts=(
        ("left", 2),
        ("right", 30),
        ("left", 60),
        ("right", 90),
        ("left", 120),
        ("right", 147),
    ),
    toe_offs=(
        ("right", 14),
        ("left", 42),
        ("right", 72),
        ("left", 102),
        ("right", 132),
        ("left", 160),
    ),
    cadence_range=(48.9, 50.3),
    stance_range_pct=(65.35, 75.35),  # the table's 70.35 % (mean of 71.8 and 68.9) +- 5
    double_support_max_pct=None,
    tolerance_frames=3,
)
POSTERIOR_STANCE_PCT = {"left": 68.9, "right": 71.8}

# Handheld oblique clip: low confidence, sides not determined, no toe offs (ANNOTATIONS.md, 3).
HANDHELD_CONTACTS: tuple[Event, ...] = ((None, 7), (None, 27), (None, 42), (None, 58), (None, 76))
