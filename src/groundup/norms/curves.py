"""``compute_gait_curves``: the "curves" section of analysis.json (schema ``curves.schema.json``).

Steps: keep only the variables valid for the input's view (``knowledge/norms/variables.yaml``;
transverse rotations are never taken from one camera), turn unsided video variables into
per-side curves, time-normalise every cycle (:mod:`groundup.gait.cycles`), choose the normative
reference (:mod:`groundup.norms.reference`), then score (:mod:`groundup.norms.scores`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.gait.cycles import SideCurves, normalise_all
from groundup.norms.data import adult_summary, schwartz_curves, variables_config
from groundup.norms.reference import ReferenceChoice, choose_reference
from groundup.norms.scores import (
    band_deviation,
    gait_profile_score,
    gait_variable_score,
    norm_at,
    norm_swing_peak,
    swing_peak,
    symmetry_index_pct,
)
from groundup.trial import SIDES, GaitEvent, Side

CURVES_SCHEMA_ID = "groundup.curves/1"
VIEW_ALIASES = {
    "3d": "3d",
    "sagittal": "sagittal",
    "frontal": "frontal",
    "frontal_posterior": "frontal",
    "frontal_anterior": "frontal",
}


def _r(v: float | None, nd: int = 2) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


def valid_variables(view: str) -> list[str]:
    """Base variable names (``knee_flexion``) a view may report."""
    canon = VIEW_ALIASES.get(view)
    if canon is None:
        raise InputError(
            f"Unknown view {view!r} for gait curves.",
            f"Use one of: {', '.join(sorted(VIEW_ALIASES))}.",
        )
    return [n for n, v in variables_config()["variables"].items() if canon in v["views"]]


def select_for_view(angles_deg: dict[str, np.ndarray], view: str) -> tuple[dict, list[str]]:
    """Per-side angle dict with only the variables valid for the view, and the names dropped."""
    valid = set(valid_variables(view))
    unsided = variables_config()["unsided"]
    out: dict[str, np.ndarray] = {}
    dropped: list[str] = []
    for key, values in angles_deg.items():
        if not key.endswith("_deg"):
            dropped.append(key)
            continue
        stem = key[: -len("_deg")]
        side, _, base = stem.partition("_")
        if side in SIDES and base in valid:
            out[key] = np.asarray(values, dtype=float)
        elif stem in valid and stem in unsided:
            for s in SIDES:
                name = f"{s}_{stem}_deg"
                if name not in angles_deg:
                    out[name] = float(unsided[stem][s]) * np.asarray(values, dtype=float)
        else:
            dropped.append(key)
    return out, sorted(dropped)


@dataclass
class GaitCurves:
    """Normalised curves, reference, scores and symmetry of one trial."""

    source: str
    view: str
    rate_hz: float
    sides: dict[Side, SideCurves]
    reference: ReferenceChoice
    variables: list[str]
    dropped_variables: list[str]
    gvs: dict[str, float] = field(default_factory=dict)
    gps: dict[str, object] = field(default_factory=dict)
    deviations: list[dict[str, object]] = field(default_factory=list)
    symmetry: dict[str, dict[str, float | None]] = field(default_factory=dict)
    adult_context: list[dict[str, object]] = field(default_factory=list)
    quality: list[QualityIssue] = field(default_factory=list)
    kinematics: dict[str, object] | None = None

    def to_json(self, validate: bool = True) -> dict[str, object]:
        per_side: dict[str, object] = {}
        for side, sc in self.sides.items():
            curves = {}
            for name, arr in sc.curves.items():
                base = name[len(side) + 1 : -len("_deg")]
                if arr.shape[0] == 0:
                    continue
                curves[base] = {
                    "n_cycles": int(arr.shape[0]),
                    "mean_deg": [round(float(x), 3) for x in sc.mean(name)],
                    "sd_deg": [round(float(x), 3) for x in sc.sd(name)],
                }
            per_side[side] = {
                "cycles": [c.to_json() for c in sc.cycles],
                "n_cycles_accepted": len(sc.accepted_cycles),
                "curves": curves,
            }
        doc: dict[str, object] = {
            "schema": CURVES_SCHEMA_ID,
            "source": self.source,
            "view": self.view,
            "n_points": 101,
            "variables": list(self.variables),
            "dropped_variables": list(self.dropped_variables),
            "reference": self.reference.to_json(),
            "sides": per_side,
            "gait_variable_scores_deg": {k: round(v, 3) for k, v in self.gvs.items()},
            "gait_profile_score": self.gps,
            "deviations": self.deviations,
            "symmetry": self.symmetry,
            "adult_context": self.adult_context,
            "quality": [q.to_json() for q in self.quality],
        }
        if self.kinematics is not None:
            doc["kinematics"] = self.kinematics
        if validate:
            from groundup.output import validate as validate_document

            validate_document(doc, "curves")
        return doc


def _norm_for(base: str, speed: str):
    label = variables_config()["variables"][base]["norm"]
    return None if label is None else schwartz_curves()[(label, speed)]


def _event_pcts(sc: SideCurves, ref: ReferenceChoice) -> dict[str, tuple[float | None, float]]:
    """(patient %, norm %) of initial contact, mid-stance and toe-off."""
    norm_ms = 0.5 * (ref.events_pct["opposite_foot_off"] + ref.events_pct["opposite_foot_contact"])
    opp_off = sc.mean_event_pct("opposite_toe_off_pct")
    opp_on = sc.mean_event_pct("opposite_heel_strike_pct")
    toe_off = sc.mean_event_pct("toe_off_pct")
    if opp_off is not None and opp_on is not None:
        mid = 0.5 * (opp_off + opp_on)
    else:
        mid = 0.5 * toe_off if toe_off is not None else None
    return {
        "initial_contact": (0.0, 0.0),
        "mid_stance": (mid, norm_ms),
        "toe_off": (toe_off, ref.events_pct["foot_off"]),
    }


def _score(result: GaitCurves) -> None:
    cfg = variables_config()
    rule = cfg["deviation_rule"]
    band_sd, flag_sd = float(rule["band_sd"]), float(rule["flag_sd"])
    ref = result.reference
    norm_name = f"{ref.dataset} {ref.speed_group} ({ref.population})"
    gps_sets: dict[str, list[float]] = {"left": [], "right": [], "overall": []}
    gps_vars: dict[str, list[str]] = {"left": [], "right": [], "overall": []}
    for side in SIDES:
        sc = result.sides[side]
        instants = _event_pcts(sc, ref)
        for base in result.variables:
            name = f"{side}_{base}_deg"
            mean = sc.mean(name)
            norm = _norm_for(base, ref.speed_group)
            if mean is None or norm is None:
                continue
            spec = cfg["variables"][base]
            gvs = gait_variable_score(mean, norm)
            result.gvs[f"{side}_{base}"] = gvs
            if spec["gps"]:
                pelvis = bool(spec.get("pelvis"))
                if not pelvis or side == "left":
                    gps_sets["overall"].append(gvs)
                    gps_vars["overall"].append(f"{side}_{base}")
                if not pelvis or side == "left":
                    gps_sets[side].append(gvs)
                    gps_vars[side].append(base)
            checks = []
            for instant, (pct, norm_pct) in instants.items():
                if pct is None:
                    continue
                value = float(np.interp(pct, np.arange(101), mean))
                n_mean, n_sd = norm_at(norm, norm_pct)
                checks.append((instant, pct, value, n_mean, n_sd))
            kind = spec.get("peak_swing")
            toe_off = instants["toe_off"][0]
            if kind and toe_off is not None:
                value, pct = swing_peak(mean, toe_off, kind)
                n_mean, n_sd, _ = norm_swing_peak(norm, ref.events_pct["foot_off"], kind)
                checks.append(("peak_swing", pct, value, n_mean, n_sd))
            for instant, pct, value, n_mean, n_sd in checks:
                dev = band_deviation(value, n_mean, n_sd, band_sd)
                z = (value - n_mean) / n_sd if n_sd > 0 else None
                result.deviations.append(
                    {
                        "variable": base,
                        "side": side,
                        "phase": instant,
                        "at_pct": _r(pct, 1),
                        "value_deg": _r(value),
                        "norm_mean_deg": _r(n_mean),
                        "norm_sd_deg": _r(n_sd),
                        "deviation_deg": _r(dev),
                        "z_score": _r(z),
                        "flagged": bool(z is not None and abs(z) > flag_sd),
                        "norm": norm_name,
                    }
                )
    for key in ("left", "right", "overall"):
        n_expected = 9 if key == "left" else (6 if key == "right" else 15)
        if not gps_sets[key]:
            continue
        result.gps[key] = {
            "value_deg": _r(gait_profile_score(gps_sets[key]), 3),
            "variables": gps_vars[key],
            "complete": len(gps_sets[key]) == n_expected,
        }


def _symmetry(result: GaitCurves) -> None:
    left, right = result.sides["left"], result.sides["right"]
    for base in result.variables:
        lm, rm = left.mean(f"left_{base}_deg"), right.mean(f"right_{base}_deg")
        if lm is None or rm is None:
            continue
        l_rom, r_rom = float(np.ptp(lm)), float(np.ptp(rm))
        result.symmetry[base] = {
            "left_rom_deg": _r(l_rom),
            "right_rom_deg": _r(r_rom),
            "rom_symmetry_index_pct": _r(symmetry_index_pct(l_rom, r_rom)),
            "rms_left_right_difference_deg": _r(float(np.sqrt(np.mean((lm - rm) ** 2)))),
        }


def _adult_context(result: GaitCurves) -> None:
    if result.reference.patient_group != "adult":
        return
    lookup = {(d["side"], d["variable"], d["phase"]): d for d in result.deviations}
    for key, spec in adult_summary()["values"].items():
        for side in SIDES:
            d = lookup.get((side, spec["variable"], spec["instant"]))
            if d is None:
                continue
            lo, hi = spec["range_deg"]
            result.adult_context.append(
                {
                    "value_name": key,
                    "side": side,
                    "value_deg": d["value_deg"],
                    "typical_adult_range_deg": [lo, hi],
                    "inside": bool(lo <= d["value_deg"] <= hi),
                    "source": spec["source"],
                    "certainty": spec["certainty"],
                }
            )


def compute_gait_curves(
    angles_deg: dict[str, np.ndarray],
    rate_hz: float,
    events: list[GaitEvent],
    *,
    source: Literal["c3d", "video"] = "c3d",
    view: str = "3d",
    walking_speed_m_s: float | None = None,
    leg_length_m: float | None = None,
    age_years: float | None = None,
    speed_group: str | None = None,
    kinematics: dict[str, object] | None = None,
) -> GaitCurves:
    """Normalised gait curves with normative comparison (see the module docstring).

    ``angles_deg``: ``{side}_{name}_deg`` arrays per frame (or unsided video names such as
    ``pelvis_obliquity_deg``); ``events``: heel strikes and toe-offs (times from frame 0).
    """
    if rate_hz <= 0:
        raise InputError("The angle sampling rate must be positive.", "Pass the frame rate in Hz.")
    canon_view = VIEW_ALIASES.get(view)
    if canon_view is None:
        valid_variables(view)  # raises the explanatory error
    if source == "video" and canon_view == "3d":
        raise InputError(
            "Video input cannot report 3-D variables.",
            "Pass view='sagittal' or view='frontal' for video angles.",
        )
    selected, dropped = select_for_view(angles_deg, view)
    sides = normalise_all(selected, rate_hz, events)
    bases = sorted({k.split("_", 1)[1][: -len("_deg")] for k in selected})
    order = list(variables_config()["variables"])
    bases.sort(key=order.index)
    ref = choose_reference(age_years, walking_speed_m_s, leg_length_m, speed_group)
    result = GaitCurves(
        source=source,
        view=str(canon_view),
        rate_hz=rate_hz,
        sides=sides,
        reference=ref,
        variables=bases,
        dropped_variables=dropped,
        kinematics=kinematics,
    )
    for side in SIDES:
        sc = sides[side]
        if not sc.accepted_cycles:
            result.quality.append(
                QualityIssue(
                    "no_complete_cycle",
                    f"No complete {side} gait cycle (two {side} heel strikes with usable angles): "
                    f"no {side} curves. Record a longer walk.",
                )
            )
        for c in sc.cycles:
            if not c.accepted:
                result.quality.append(
                    QualityIssue("cycle_rejected", f"{side} cycle {c.index}: {c.reason}.")
                )
    _score(result)
    _symmetry(result)
    _adult_context(result)
    return result
