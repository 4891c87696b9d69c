"""``compute_gait_curves``: the "curves" section of analysis.json (schema ``curves.schema.json``).

Steps: keep only the variables valid for the input's view (``knowledge/norms/variables.yaml``;
transverse rotations are never taken from one camera), turn unsided video variables into
per-side curves, time-normalise every cycle (:mod:`groundup.gait.cycles`), choose the normative
reference by age (:mod:`groundup.norms.reference`), then score (:mod:`groundup.norms.scores`):
GVS and GPS (with the typical-adult range and the variables that drive the GPS), and the
key-instant deviations.

A key-instant deviation is ``flagged`` only when the value lies further from the normative mean
than the norm's limit (``flag_sd`` SD, ``variables.yaml``) plus the known measurement error of
the input for that variable and view (``measurement_error.yaml``; e.g. 2-D video angles against
3-D norms, Stenum et al. 2021). A video variable with no known error is never flagged. Video
deviations are marked ``approximate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.gait.cycles import SideCurves, normalise_all
from groundup.gait.cycles_reliability import LegLandmarks
from groundup.norms.data import (
    adult_typical_gps,
    measurement_error,
    measurement_errors,
    reference_curve,
    variables_config,
)
from groundup.norms.reference import ReferenceChoice, choose_reference
from groundup.norms.scores import (
    band_deviation,
    curve_difference,
    gait_profile_score,
    gait_variable_score,
    norm_at,
    norm_slope,
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
    quality: list[QualityIssue] = field(default_factory=list)
    kinematics: dict[str, object] | None = None
    near_side: Side | None = None

    def camera_leg(self, side: str) -> str | None:
        """ "near" / "far" for the legs of a side view whose walking direction is known."""
        if self.view != "sagittal" or self.near_side is None:
            return None
        return "near" if side == self.near_side else "far"

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
            "near_side": self.near_side,
            "reference": self.reference.to_json(),
            "sides": per_side,
            "gait_variable_scores_deg": {k: round(v, 3) for k, v in self.gvs.items()},
            "gait_profile_score": self.gps,
            "deviations": self.deviations,
            "symmetry": self.symmetry,
            "quality": [q.to_json() for q in self.quality],
        }
        if self.kinematics is not None:
            doc["kinematics"] = self.kinematics
        if validate:
            from groundup.output import validate as validate_document

            validate_document(doc, "curves")
        return doc


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


def _deviation(
    result: GaitCurves,
    base: str,
    side: str,
    check: tuple[str, float, float, float, float, float],
    timing_pct: float | None,
) -> dict[str, object]:
    """One key-instant check; ``flagged`` = beyond the norm's limit plus measurement error
    (the input's angle error for this variable and view, plus the event-timing error: the norm
    curve's slope at the instant times ``timing_pct``)."""
    instant, pct, value, n_mean, n_sd, slope = check
    rule = variables_config()["deviation_rule"]
    band_sd, flag_sd = float(rule["band_sd"]), float(rule["flag_sd"])
    ref = result.reference
    leg = result.camera_leg(side)
    error_view = "sagittal_far_leg" if leg == "far" else result.view
    error = measurement_error(result.source, error_view, base)
    timing_deg = abs(slope) * timing_pct if timing_pct is not None else 0.0
    error_deg = None if error is None else float(error["error_deg"]) + timing_deg
    z = (value - n_mean) / n_sd if n_sd > 0 else None
    limit = None if error_deg is None or n_sd <= 0 else flag_sd * n_sd + error_deg
    beyond = None if limit is None else band_deviation(value, n_mean, limit, 1.0)
    return {
        "variable": base,
        "side": side,
        "phase": instant,
        "at_pct": _r(pct, 1),
        "value_deg": _r(value),
        "norm_mean_deg": _r(n_mean),
        "norm_sd_deg": _r(n_sd),
        "deviation_deg": _r(band_deviation(value, n_mean, n_sd, band_sd)),
        "z_score": _r(z),
        "measurement_error_deg": _r(error_deg),
        "timing_error_deg": _r(timing_deg),
        "measurement_error_source": None if error is None else str(error["source"]),
        "flag_limit_deg": _r(limit),
        "beyond_limit_deg": _r(beyond),
        "flagged": bool(beyond is not None and beyond != 0.0),
        "approximate": result.source == "video",
        "camera_leg": leg,
        "norm": f"{ref.dataset} {ref.speed_group} ({ref.population})",
    }


def _timing_pct(sc: SideCurves, rate_hz: float) -> float | None:
    """The event-timing uncertainty (``measurement_error.yaml``, in frames) in % of the side's
    mean accepted stride; None without an accepted cycle."""
    strides = [c.duration_s for c in sc.accepted_cycles]
    if not strides:
        return None
    frames = float(measurement_errors()["event_timing"]["frames"])
    return 100.0 * frames / rate_hz / float(np.mean(strides))


def _score(result: GaitCurves) -> None:
    cfg = variables_config()
    ref = result.reference
    gps_sets: dict[str, list[float]] = {"left": [], "right": [], "overall": []}
    gps_vars: dict[str, list[str]] = {"left": [], "right": [], "overall": []}
    differences: dict[str, np.ndarray] = {}
    for side in SIDES:
        sc = result.sides[side]
        instants = _event_pcts(sc, ref)
        timing_pct = _timing_pct(sc, result.rate_hz)
        for base in result.variables:
            name = f"{side}_{base}_deg"
            mean = sc.mean(name)
            norm = reference_curve(ref.dataset, base, ref.speed_group)
            if mean is None or norm is None:
                continue
            spec = cfg["variables"][base]
            gvs = gait_variable_score(mean, norm)
            result.gvs[f"{side}_{base}"] = gvs
            if spec["gps"]:
                differences[f"{side}_{base}"] = curve_difference(mean, norm)
                if not spec.get("pelvis") or side == "left":
                    gps_sets["overall"].append(gvs)
                    gps_vars["overall"].append(f"{side}_{base}")
                    gps_sets[side].append(gvs)
                    gps_vars[side].append(base)
            checks = []
            for instant, (pct, norm_pct) in instants.items():
                if pct is None:
                    continue
                value = float(np.interp(pct, np.arange(101), mean))
                n_mean, n_sd = norm_at(norm, norm_pct)
                checks.append((instant, pct, value, n_mean, n_sd, norm_slope(norm, norm_pct)))
            kind = spec.get("peak_swing")
            toe_off = instants["toe_off"][0]
            if kind and toe_off is not None:
                value, pct = swing_peak(mean, toe_off, kind)
                n_mean, n_sd, _ = norm_swing_peak(norm, ref.events_pct["foot_off"], kind)
                checks.append(("peak_swing", pct, value, n_mean, n_sd, 0.0))
            for check in checks:
                result.deviations.append(_deviation(result, base, side, check, timing_pct))
    for key in ("left", "right", "overall"):
        n_expected = 9 if key == "left" else (6 if key == "right" else 15)
        if not gps_sets[key]:
            continue
        value = gait_profile_score(gps_sets[key])
        complete = len(gps_sets[key]) == n_expected
        keys = gps_vars[key] if key == "overall" else [f"{key}_{v}" for v in gps_vars[key]]
        entry: dict[str, object] = {
            "value_deg": _r(value, 3),
            "variables": gps_vars[key],
            "complete": complete,
            "drivers": gps_drivers({k: differences[k] for k in keys if k in differences}),
        }
        typical = _typical(ref.is_adult_set, key, value, complete)
        if typical is not None:
            entry["typical_adult"] = typical
        result.gps[key] = entry


def _typical(adult_set: bool, key: str, value: float | None, complete: bool) -> dict | None:
    """Whether a GPS is typical of healthy adults (``adult_typical_gps.yaml``); None when the
    comparison does not apply (children's curves, or a partial GPS from video)."""
    if not adult_set or not complete or value is None:
        return None
    data = adult_typical_gps()
    kind = data["kinds"][key]
    upper = float(kind["upper_limit_deg"])
    return {
        "upper_limit_deg": upper,
        "inside": bool(value <= upper),
        "subjects_mean_deg": float(kind["mean_deg"]),
        "subjects_sd_deg": float(kind["sd_deg"]),
        "n_subjects": int(kind["n_subjects"]),
        "method": " ".join(str(data["method"]).split()),
    }


def gps_drivers(differences: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """The variables that drive a GPS: GVS sorted by their share of the squared GPS, until the
    shares reach ``cumulative_share`` (at most ``max_drivers``), each split into its mean offset
    and its shape (GVS^2 = offset^2 + shape^2; rules in ``adult_typical_gps.yaml``)."""
    rule = adult_typical_gps()["drivers"]
    squares = {k: float(np.mean(d**2)) for k, d in differences.items()}
    total = sum(squares.values())
    if total <= 0:
        return []
    drivers: list[dict[str, object]] = []
    cumulative = 0.0
    for key in sorted(squares, key=lambda k: -squares[k]):
        if cumulative >= float(rule["cumulative_share"]) or len(drivers) >= rule["max_drivers"]:
            break
        diff = differences[key]
        offset = float(np.mean(diff))
        shape = float(np.sqrt(max(squares[key] - offset**2, 0.0)))
        share = squares[key] / total
        cumulative += share
        side, _, base = key.partition("_")
        drivers.append(
            {
                "variable": base,
                "side": side,
                "gvs_deg": _r(float(np.sqrt(squares[key]))),
                "share_pct": _r(100.0 * share, 1),
                "offset_deg": _r(offset),
                "shape_rms_deg": _r(shape),
                "kind": "offset"
                if offset**2 >= float(rule["offset_share"]) * squares[key]
                else "shape",
            }
        )
    return drivers


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


# A walker moving left to right in the picture shows their right side to the camera.
NEAR_SIDE_BY_DIRECTION: dict[str, Side] = {"left_to_right": "right", "right_to_left": "left"}


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
    walking_direction: str | None = None,
    landmarks: LegLandmarks | None = None,
) -> GaitCurves:
    """Normalised gait curves with normative comparison (see the module docstring).

    ``angles_deg``: ``{side}_{name}_deg`` arrays per frame (or unsided video names such as
    ``pelvis_obliquity_deg``); ``events``: heel strikes and toe-offs (times from frame 0);
    ``walking_direction`` (side views: "left_to_right" / "right_to_left") tells the leg facing
    the camera from the far one; ``landmarks`` (keypoint trials,
    :func:`groundup.gait.cycles_reliability.leg_landmarks`) leaves out the cycles whose legs are
    not reliably measured.
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
    sides = normalise_all(selected, rate_hz, events, landmarks)
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
        near_side=NEAR_SIDE_BY_DIRECTION.get(walking_direction or "")
        if canon_view == "sagittal"
        else None,
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
    return result
