"""Subject measurements the conventional gait model needs, from the C3D file or estimated.

The conventional gait model (CGM1 / Plug-in Gait) places the hip joint centre from the leg length,
the inter-ASIS distance and the marker diameter, and the knee and ankle centres from the knee and
ankle widths (Davis et al. 1991; Vicon Plug-in Gait Reference Guide). Vicon Nexus and Workstation
store these subject measurements in the C3D PROCESSING group (``LLegLength``, ``RLegLength``,
``InterAsisDistance``, ``LKneeWidth``, ``LAnkleWidth``, ``LAsisTrocanterDistance``,
``MarkerDiameter`` ...). Where a value is absent, :func:`resolve_anthropometry` estimates it and
records which values were estimated and how (the estimates and their reasons are data:
``knowledge/norms/anthropometry_defaults.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from groundup.trial import SIDES, Side, Trial
from groundup.yaml_files import parse_yaml

_DEFAULTS_FILE = (
    Path(__file__).resolve().parents[1] / "knowledge" / "norms" / ("anthropometry_defaults.yaml")
)


@lru_cache(maxsize=1)
def anthropometry_defaults() -> dict[str, Any]:
    """The estimation rules and default values (with their sources) from the data file."""
    with _DEFAULTS_FILE.open(encoding="utf-8") as fh:
        return parse_yaml(fh)


@dataclass
class Anthropometry:
    """Subject measurements in metres, per side where the model uses them per side."""

    leg_length_m: dict[Side, float]
    inter_asis_m: float
    asis_trochanter_m: dict[Side, float]
    knee_width_m: dict[Side, float]
    ankle_width_m: dict[Side, float]
    marker_diameter_m: float
    # Names of the values that were not in the file, with how each was estimated.
    estimated: dict[str, str] = field(default_factory=dict)

    @property
    def mean_leg_length_m(self) -> float:
        return 0.5 * (self.leg_length_m["left"] + self.leg_length_m["right"])

    def to_json(self) -> dict[str, object]:
        return {
            "leg_length_m": {s: round(v, 4) for s, v in self.leg_length_m.items()},
            "inter_asis_m": round(self.inter_asis_m, 4),
            "asis_trochanter_m": {s: round(v, 4) for s, v in self.asis_trochanter_m.items()},
            "knee_width_m": {s: round(v, 4) for s, v in self.knee_width_m.items()},
            "ankle_width_m": {s: round(v, 4) for s, v in self.ankle_width_m.items()},
            "marker_diameter_m": round(self.marker_diameter_m, 4),
            "estimated": dict(self.estimated),
        }


def _positive(value: Any) -> float | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=float).ravel()
    if arr.size == 0 or not np.isfinite(arr[0]) or arr[0] <= 0:
        return None
    return float(arr[0])


def read_c3d_processing(path: str | Path) -> dict[str, float]:
    """Positive numeric PROCESSING parameters of a C3D file; keys without spaces.

    Returns an empty dict when the file cannot be read or has no PROCESSING group.
    """
    import ezc3d

    try:
        c3d = ezc3d.c3d(str(path), extract_forceplat_data=False)
    except Exception:  # the file was read before; a failure here only loses metadata
        return {}
    group = c3d["parameters"].get("PROCESSING", {})
    out: dict[str, float] = {}
    for name, entry in group.items():
        if not isinstance(entry, dict) or "value" not in entry:
            continue
        value = _positive(entry["value"]) if np.size(entry["value"]) else None
        if value is not None:
            out[name.replace(" ", "")] = value
    return out


def _median_distance(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    if a is None or b is None:
        return None
    d = np.linalg.norm(a - b, axis=1)
    d = d[np.isfinite(d)]
    return float(np.median(d)) if d.size else None


def resolve_anthropometry(
    trial: Trial, processing: dict[str, float] | None = None
) -> Anthropometry:
    """Subject measurements from PROCESSING (millimetres in the file), else estimated.

    Estimates (each recorded in ``Anthropometry.estimated``):
    - inter-ASIS distance: median distance between the ASIS markers (what Plug-in Gait does when
      the value is not entered);
    - leg length: the marker path ASIS -> lateral knee -> lateral ankle (median over frames), a
      stand-in for the tape measurement ASIS -> medial malleolus through the knee;
    - ASIS-trochanter distance: the Davis et al. (1991) regression 0.1288 * leg length - 48.56 mm
      (Plug-in Gait Reference Guide);
    - knee and ankle widths and the marker diameter: defaults from
      ``knowledge/norms/anthropometry_defaults.yaml`` (documented there).
    """
    proc = processing or {}
    defaults = anthropometry_defaults()
    estimated: dict[str, str] = {}

    def mm(name: str) -> float | None:
        v = proc.get(name)
        return v / 1000.0 if v is not None else None

    marker_d = mm("MarkerDiameter")
    if marker_d is None:
        marker_d = float(defaults["marker_diameter_m"]["value"])
        estimated["marker_diameter_m"] = defaults["marker_diameter_m"]["basis"]

    inter_asis = mm("InterAsisDistance")
    if inter_asis is None:
        inter_asis = _median_distance(trial.points.get("left_asis"), trial.points.get("right_asis"))
        estimated["inter_asis_m"] = "median distance between the ASIS markers"
    if inter_asis is None:
        inter_asis = float("nan")

    leg: dict[Side, float] = {}
    asis_troch: dict[Side, float] = {}
    knee_w: dict[Side, float] = {}
    ankle_w: dict[Side, float] = {}
    letter = {"left": "L", "right": "R"}
    for side in SIDES:
        p = letter[side]
        value = mm(f"{p}LegLength") or mm("LegLength")
        if value is None:
            a = _median_distance(trial.points.get(f"{side}_asis"), trial.points.get(f"{side}_knee"))
            b = _median_distance(
                trial.points.get(f"{side}_knee"), trial.points.get(f"{side}_ankle")
            )
            value = (a + b) if a is not None and b is not None else float("nan")
            estimated[f"{side}_leg_length_m"] = (
                "marker path ASIS -> lateral knee -> lateral ankle (median over frames)"
            )
        leg[side] = value
        at = mm(f"{p}AsisTrocanterDistance")
        if at is None:
            reg = defaults["asis_trochanter_regression"]
            at = (float(reg["slope"]) * value * 1000.0 + float(reg["intercept_mm"])) / 1000.0
            estimated[f"{side}_asis_trochanter_m"] = reg["basis"]
        asis_troch[side] = at
        kw = mm(f"{p}KneeWidth")
        if kw is None:
            kw = float(defaults["knee_width_fraction_of_leg_length"]["value"]) * value
            estimated[f"{side}_knee_width_m"] = defaults["knee_width_fraction_of_leg_length"][
                "basis"
            ]
        knee_w[side] = kw
        aw = mm(f"{p}AnkleWidth")
        if aw is None:
            aw = float(defaults["ankle_width_fraction_of_leg_length"]["value"]) * value
            estimated[f"{side}_ankle_width_m"] = defaults["ankle_width_fraction_of_leg_length"][
                "basis"
            ]
        ankle_w[side] = aw
    return Anthropometry(
        leg_length_m=leg,
        inter_asis_m=inter_asis,
        asis_trochanter_m=asis_troch,
        knee_width_m=knee_w,
        ankle_width_m=ankle_w,
        marker_diameter_m=marker_d,
        estimated=estimated,
    )
