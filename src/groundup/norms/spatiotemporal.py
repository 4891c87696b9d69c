"""Cadence and step length of healthy adults at a given walking speed (WBDS treadmill data).

Cadence and step length change with speed, so a slow walker compared with adults at their own
comfortable speed looks abnormal for walking slowly. The WBDS adults (Fukuchi CA, Fukuchi RK,
Duarte M (2018) PeerJ 6:e4640; tabulated by BMClab, h2a_age_spt) walked on a treadmill at six
speeds each; ``wbds2018_adult_spatiotemporal.csv`` holds every subject's speed, cadence and step
length. At a patient's speed each subject's value is interpolated linearly between their two
nearest speeds (subjects whose speeds do not span it are left out: no extrapolation), then the
mean and SD (ddof 1) over the subjects give the reference.

Age group: the WBDS group whose age range holds the patient's age, or the nearer one; between
the two at equal distance, or with the age unknown, both groups together.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from groundup.norms.data import NORMS_DIR, sources

SPATIOTEMPORAL_FILE = "wbds2018_adult_spatiotemporal.csv"
MEASURES = ("cadence_steps_per_min", "step_length_m")


@dataclass(frozen=True)
class SpeedMatchedNorm:
    """Healthy adults' value of one measure at the patient's walking speed."""

    measure: str
    speed_m_s: float
    mean: float
    sd: float
    n_subjects: int
    groups: tuple[str, ...]

    def describe(self, unit: str, digits: int) -> str:
        meta = sources()["files"][SPATIOTEMPORAL_FILE]["age_groups"]
        who = " and ".join(f"{g} adults {meta[g][0]}-{meta[g][1]} y" for g in self.groups)
        return (
            f"{who} at {self.speed_m_s:.2f} m/s (treadmill, n = {self.n_subjects}): "
            f"{self.mean:.{digits}f} ± {self.sd:.{digits}f} {unit}"
        )


@lru_cache(maxsize=1)
def _subjects() -> dict[int, tuple[str, np.ndarray, dict[str, np.ndarray]]]:
    rows: dict[int, list[dict[str, str]]] = {}
    with (NORMS_DIR / SPATIOTEMPORAL_FILE).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(int(row["subject"]), []).append(row)
    out = {}
    for subject, items in rows.items():
        items.sort(key=lambda r: float(r["speed_m_s"]))
        speeds = np.array([float(r["speed_m_s"]) for r in items])
        values = {m: np.array([float(r[m]) for r in items]) for m in MEASURES}
        out[subject] = (items[0]["age_group"], speeds, values)
    return out


def age_groups_for(age_years: float | None) -> tuple[str, ...]:
    """The WBDS age group(s) for a patient (see the module docstring)."""
    ranges = sources()["files"][SPATIOTEMPORAL_FILE]["age_groups"]
    if age_years is None:
        return tuple(ranges)
    distance = {
        group: 0.0 if lo <= age_years <= hi else min(abs(age_years - lo), abs(age_years - hi))
        for group, (lo, hi) in ranges.items()
    }
    nearest = min(distance.values())
    return tuple(g for g, d in distance.items() if d == nearest)


def adult_value_at_speed(
    measure: str, speed_m_s: float | None, age_years: float | None
) -> SpeedMatchedNorm | None:
    """The adults' mean and SD of ``measure`` at ``speed_m_s``, or None (unknown speed, a speed
    outside the subjects' treadmill speeds, or too few subjects)."""
    if measure not in MEASURES or speed_m_s is None or not np.isfinite(speed_m_s):
        return None
    groups = age_groups_for(age_years)
    values = [
        float(np.interp(speed_m_s, speeds, by_measure[measure]))
        for group, speeds, by_measure in _subjects().values()
        if group in groups and speeds[0] <= speed_m_s <= speeds[-1]
    ]
    if len(values) < int(sources()["files"][SPATIOTEMPORAL_FILE]["min_subjects"]):
        return None
    return SpeedMatchedNorm(
        measure=measure,
        speed_m_s=float(speed_m_s),
        mean=float(np.mean(values)),
        sd=float(np.std(values, ddof=1)),
        n_subjects=len(values),
        groups=groups,
    )
