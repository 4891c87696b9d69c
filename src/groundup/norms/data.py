"""Loading the normative data files of ``knowledge/norms`` (sources in ``sources.yaml``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from groundup.yaml_files import parse_yaml

NORMS_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "norms"
SCHWARTZ_CURVES = "schwartz2008_curves.csv"
SCHWARTZ_EVENTS = "schwartz2008_cycle_events.csv"
SCHWARTZ_SPEED_GROUPS = "schwartz2008_speed_groups.csv"
SCHWARTZ_SPEEDS = ("very_slow", "slow", "free", "fast", "very_fast")
ADULT_CURVES = "wbds2018_adult_curves.csv"
SCHWARTZ_DATASET = "Schwartz2008"
ADULT_DATASET = "WBDS2018"
ADULT_SPEED = "comfortable"


def _yaml(name: str) -> dict[str, Any]:
    with (NORMS_DIR / name).open(encoding="utf-8") as fh:
        return parse_yaml(fh)


@lru_cache(maxsize=1)
def sources() -> dict[str, Any]:
    return _yaml("sources.yaml")


@lru_cache(maxsize=1)
def variables_config() -> dict[str, Any]:
    return _yaml("variables.yaml")


@lru_cache(maxsize=1)
def adult_cycle_events() -> dict[str, Any]:
    return _yaml("adult_cycle_events.yaml")


@lru_cache(maxsize=1)
def adult_typical_gps() -> dict[str, Any]:
    return _yaml("adult_typical_gps.yaml")


@lru_cache(maxsize=1)
def measurement_errors() -> dict[str, Any]:
    return _yaml("measurement_error.yaml")


def measurement_error(source: str, view: str, variable: str) -> dict[str, Any] | None:
    """The known angle error of ``variable`` measured by ``source`` in ``view``
    (``measurement_error.yaml``): ``error_deg`` = the larger of the published total error and
    GroundUp's own measured floor, ``source`` = where that figure comes from; None when no total
    error is known (a floor alone is a lower bound, not the error)."""
    by_view = (measurement_errors()["errors"].get(source) or {}).get(view) or {}
    entry = by_view.get(variable, by_view.get("default"))
    if entry is None or entry.get("error_deg") is None:
        return None
    out = dict(entry)
    floor = entry.get("floor_deg")
    if floor is not None and float(floor) > float(entry["error_deg"]):
        out["error_deg"], out["source"] = float(floor), entry["floor_source"]
    return out


@lru_cache(maxsize=1)
def gps_reference() -> dict[str, Any]:
    return _yaml("gps_reference.yaml")


@dataclass(frozen=True)
class NormCurve:
    """One normative variable at one speed: 51 points, 0-100 % step 2."""

    pct: np.ndarray
    mean: np.ndarray
    sd: np.ndarray


@lru_cache(maxsize=1)
def schwartz_curves() -> dict[tuple[str, str], NormCurve]:
    """``(variable label, speed) -> NormCurve`` for the joint angles of Schwartz et al. 2008.

    SD = |plus_1sd - mean| (the workbook's -1SD column is not always below the mean).
    """
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with (NORMS_DIR / SCHWARTZ_CURVES).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["domain"] != "joint_angle":
                continue
            key = (row["variable"], row["speed"])
            mean = float(row["mean"])
            rows.setdefault(key, []).append(
                (float(row["gait_cycle_pct"]), mean, abs(float(row["plus_1sd"]) - mean))
            )
    out = {}
    for key, vals in rows.items():
        arr = np.array(sorted(vals))
        out[key] = NormCurve(pct=arr[:, 0], mean=arr[:, 1], sd=arr[:, 2])
    return out


@lru_cache(maxsize=1)
def schwartz_cycle_events() -> dict[tuple[str, str], float]:
    """``(parameter, speed) -> mean % of cycle``; parameters ``opposite_foot_off``,
    ``opposite_foot_contact``, ``foot_off``, ``double_support``."""
    names = {
        "opposite foot off": "opposite_foot_off",
        "opposite foot contact": "opposite_foot_contact",
        "ipsilateral foot off": "foot_off",
        "double support": "double_support",
    }
    out = {}
    with (NORMS_DIR / SCHWARTZ_EVENTS).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = row["parameter"].split("[")[0].strip().lower()
            out[(names[label], row["speed"])] = 100.0 * float(row["mean_fraction_of_cycle"])
    return out


@dataclass(frozen=True)
class SpeedGroup:
    """One Schwartz et al. 2008 speed group: its children's dimensionless speeds."""

    speed: str
    n: int
    mean: float
    sd: float
    minimum: float
    maximum: float


@lru_cache(maxsize=1)
def schwartz_speed_groups() -> tuple[SpeedGroup, ...]:
    """The five speed groups, slowest first (dimensionless speed v / sqrt(g L))."""
    with (NORMS_DIR / SCHWARTZ_SPEED_GROUPS).open(encoding="utf-8", newline="") as fh:
        groups = [
            SpeedGroup(
                speed=row["speed"],
                n=int(row["n"]),
                mean=float(row["mean"]),
                sd=float(row["sd"]),
                minimum=float(row["minimum"]),
                maximum=float(row["maximum"]),
            )
            for row in csv.DictReader(fh)
        ]
    return tuple(sorted(groups, key=lambda g: g.mean))


@lru_cache(maxsize=1)
def adult_curves() -> dict[str, NormCurve]:
    """``variable -> NormCurve`` of the WBDS healthy adults (Fukuchi et al. 2018), GroundUp names
    and signs (``wbds2018_adult_curves.csv``; see ``sources.yaml``)."""
    rows: dict[str, list[tuple[float, float, float]]] = {}
    with (NORMS_DIR / ADULT_CURVES).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["variable"], []).append(
                (float(row["gait_cycle_pct"]), float(row["mean_deg"]), float(row["sd_deg"]))
            )
    out = {}
    for name, vals in rows.items():
        arr = np.array(sorted(vals))
        out[name] = NormCurve(pct=arr[:, 0], mean=arr[:, 1], sd=arr[:, 2])
    return out


def reference_curve(dataset: str, variable: str, speed_group: str) -> NormCurve | None:
    """The normative curve of ``variable`` (a variables.yaml name) in a dataset, or None."""
    if dataset == ADULT_DATASET:
        return adult_curves().get(variable)
    spec = variables_config()["variables"].get(variable) or {}
    label = spec.get("norm")
    return None if label is None else schwartz_curves().get((label, speed_group))
