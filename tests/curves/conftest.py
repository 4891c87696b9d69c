"""Real C3D trials analysed once per test session for the gait-curve tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from groundup.gait.analysis import analyze_gait
from groundup.io.c3d import read_c3d
from groundup.kinematics import JointAngles, compute_cgm1_joint_angles
from groundup.trial import GaitEvent, Trial

# Trials that store Plug-in Gait model angles (shared/data/MANIFEST.md, c3d/ section).
PIG_TRIALS = (
    "nantes_pig_motion3_ff.c3d",
    "btk_pig_flatfoot_full.c3d",
    "c3dorg_sample09_plugingait.c3d",
    "btk_functional_walk.c3d",
    "smk_overground.c3d",
)


@dataclass
class Analysed:
    trial: Trial
    events: list[GaitEvent]
    angles: JointAngles


_CACHE: dict[str, Analysed] = {}


@pytest.fixture(scope="session")
def analysed(c3d_dir: Path):
    def get(name: str) -> Analysed:
        if name not in _CACHE:
            trial = read_c3d(c3d_dir / name)
            _CACHE[name] = Analysed(
                trial, analyze_gait(trial).events, compute_cgm1_joint_angles(trial)
            )
        return _CACHE[name]

    return get
