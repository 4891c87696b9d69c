"""Reference force-plate contacts and stored events of the walking trials in ../shared/data/c3d.

Copied from shared/data/MANIFEST.md (computed there by an independent force-plate script); times in
seconds from the first frame of each file. Used to check GroundUp's own detections.
"""

from __future__ import annotations

# file -> list of (side, on_s, off_s)
CLEAN_CONTACTS: dict[str, list[tuple[str, float, float]]] = {
    "nantes_pig_motion3_ff.c3d": [
        ("left", 0.6130, 1.2710),
        ("right", 1.1420, 1.8050),
        ("left", 1.6910, 2.3550),
    ],
    "btk_pig_flatfoot_full.c3d": [("left", 1.5830, 2.1920)],
    "c3dorg_sample09_plugingait.c3d": [("right", 1.1025, 1.8958), ("left", 1.7958, 2.4550)],
    "btk_functional_walk.c3d": [
        ("left", 1.0565, 1.7102),
        ("right", 1.5843, 2.2287),
        ("left", 2.1185, 2.7657),
    ],
    "c3dorg_sample25_analogfpscale04.c3d": [("right", 1.2565, 2.1509)],
    "btk_motionanalysis_gait.c3d": [("right", 2.0830, 2.6600), ("left", 2.5690, 3.1460)],
    "c3dorg_sample06_newwalk.c3d": [("left", 1.7990, 2.3052), ("right", 2.2229, 2.7198)],
    "btk_coda_demo.c3d": [("right", 0.9525, 1.5325)],
    "opensim_walking2.c3d": [("right", 2.6720, 3.2490)],
    "smk_overground.c3d": [("right", 1.1846, 1.7829)],
}

# Files with stored (Vicon) events: number of stored gait events.
STORED_EVENT_COUNTS: dict[str, int] = {
    "nantes_pig_motion3_ff.c3d": 12,
    "btk_pig_flatfoot_full.c3d": 12,
    "c3dorg_sample09_plugingait.c3d": 8,
    "btk_functional_walk.c3d": 11,
    "smk_overground.c3d": 5,
}
