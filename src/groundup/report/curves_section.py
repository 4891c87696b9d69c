"""Joint angles over the gait cycle against the normative band (analysis.json ``curves``).

Reads the ``curves`` section written by :func:`groundup.norms.compute_gait_curves` (schema
``groundup.curves/1``, docs/gait-curves.md): the per-side mean and SD curves (101 points), the
reference used (adults or children, chosen by age), Gait Variable Scores and the Gait Profile
Score (Baker R et al. 2009, Gait Posture 30:265-269) with the typical-adult range and the
variables that drive it, the key-instant deviations and range-of-motion symmetry.

The report draws one small-multiples figure of the curves over the reference band, the Movement
Analysis Profile (GVS per variable and side, then the GPS) and lists only the deviations whose
``flagged`` is true (beyond the norm's limit plus the input's measurement error); deviations
measured from video are worded as approximate. The band itself is not stored in analysis.json:
it is read from the same normative file the scores were computed against (``knowledge/norms``,
the dataset and speed group named in ``curves.reference``), mean ± ``band_sd`` SD as in
``variables.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from groundup.report import plots
from groundup.report.labels import humanize
from groundup.report.numbers import join_path, num

# Panel titles and the order of the figure: one row per plane (sagittal first), four columns.
VARIABLE_TITLES: dict[str, str] = {
    "pelvis_tilt": "Pelvic tilt (anterior +)",
    "hip_flexion": "Hip flexion (+)",
    "knee_flexion": "Knee flexion (+)",
    "ankle_dorsiflexion": "Ankle dorsiflexion (+)",
    "trunk_flexion": "Trunk flexion (forward +)",
    "pelvis_obliquity": "Pelvic obliquity (up +)",
    "hip_adduction": "Hip adduction (+)",
    "knee_varus": "Knee varus (+)",
    "knee_fppa": "Knee FPPA (valgus +)",
    "rearfoot_eversion": "Rearfoot eversion (+)",
    "trunk_lateral_lean": "Trunk lean (to side +)",
    "pelvis_rotation": "Pelvic rotation (forward +)",
    "hip_rotation": "Hip rotation (internal +)",
    "knee_rotation": "Knee rotation (internal +)",
    "foot_progression": "Foot progression (in +)",
}
PLANE_ROWS: tuple[tuple[str, ...], ...] = (
    ("pelvis_tilt", "hip_flexion", "knee_flexion", "ankle_dorsiflexion", "trunk_flexion"),
    (
        "pelvis_obliquity",
        "hip_adduction",
        "knee_varus",
        "knee_fppa",
        "rearfoot_eversion",
        "trunk_lateral_lean",
    ),
    ("pelvis_rotation", "hip_rotation", "knee_rotation", "foot_progression"),
)
PHASE_TEXT = {
    "initial_contact": "initial contact",
    "mid_stance": "mid-stance",
    "toe_off": "toe-off",
    "peak_swing": "peak in swing",
}
PHASE_ORDER = tuple(PHASE_TEXT)
SIDES = ("left", "right")
FIGURE_COLUMNS = 4


def variable_title(name: str) -> str:
    return VARIABLE_TITLES.get(name, humanize(name))


def variable_order(variables: list[str]) -> list[str]:
    """Variables in figure order (sagittal, frontal, transverse), unknown ones last."""
    known = [v for row in PLANE_ROWS for v in row]
    return sorted(variables, key=lambda v: known.index(v) if v in known else len(known))


def _reference_band(
    reference: dict[str, Any], variable: str
) -> tuple[list[float], list[float], list[float]] | None:
    """(pct, low, high) of the normative band the scores used, or None (no norm for it)."""
    from groundup.norms.data import reference_curve, variables_config

    dataset = reference.get("dataset")
    if not isinstance(dataset, str):
        return None
    norm = reference_curve(dataset, variable, str(reference.get("speed_group", "free")))
    if norm is None:
        return None
    band_sd = float(variables_config()["deviation_rule"]["band_sd"])
    return (
        norm.pct.tolist(),
        (norm.mean - band_sd * norm.sd).tolist(),
        (norm.mean + band_sd * norm.sd).tolist(),
    )


def _mean_toe_off_pct(side: dict[str, Any]) -> float | None:
    """Toe-off of the accepted cycles (drawn as a line, never shown as a number)."""
    values = [
        c["toe_off_pct"]
        for c in side.get("cycles") or []
        if c.get("accepted") and c.get("toe_off_pct") is not None
    ]
    return sum(values) / len(values) if values else None


def _figure(
    curves: dict[str, Any], ordered: list[str], path: Path
) -> tuple[Path | None, list[str]]:
    """The small-multiples figure and the variables it shows without a band."""
    reference = curves.get("reference") or {}
    sides = curves.get("sides") or {}
    norm_toe_off = (reference.get("events_pct") or {}).get("foot_off")
    toe_off = {s: _mean_toe_off_pct(sides.get(s) or {}) for s in SIDES}
    panels: list[plots.CurvePanel | None] = []
    no_band: list[str] = []
    for row in PLANE_ROWS:
        row_panels: list[plots.CurvePanel | None] = []
        for name in row:
            if name not in ordered:
                continue
            side_curves = {}
            for s in SIDES:
                data = ((sides.get(s) or {}).get("curves") or {}).get(name)
                if data:
                    side_curves[s] = (data["mean_deg"], data["sd_deg"])
            if not side_curves:
                continue
            band = _reference_band(reference, name)
            if band is None:
                no_band.append(variable_title(name))
            row_panels.append(
                plots.CurvePanel(
                    title=variable_title(name) + ("" if band else " – no reference"),
                    sides=side_curves,
                    band=band,
                    toe_off_pct={s: v for s, v in toe_off.items() if s in side_curves},
                    norm_toe_off_pct=norm_toe_off if band else None,
                )
            )
        while row_panels and len(row_panels) % FIGURE_COLUMNS:
            row_panels.append(None)
        panels.extend(row_panels)
    while panels and panels[-1] is None:
        panels.pop()
    return plots.curves_figure(panels, path, ncols=FIGURE_COLUMNS), no_band


def _reference_text(base: str, reference: dict[str, Any]) -> Markup:
    group = str(reference.get("speed_group", "")).replace("_", " ")
    text = Markup("{}. Population: {}, {} speed; patient: {}. Norm set: {}.").format(
        str(reference.get("citation", reference.get("dataset", ""))).rstrip("."),
        reference.get("population", ""),
        group,
        reference.get("patient_group", "unknown"),
        reference.get("selected_by", reference.get("dataset", "")),
    )
    if reference.get("dimensionless_speed") is not None:
        text += Markup(" Dimensionless walking speed {}.").format(
            num(reference["dimensionless_speed"], f"{base}/dimensionless_speed", 2)
        )
    return text


def _score_rows(base: str, curves: dict[str, Any], ordered: list[str]) -> list[dict[str, Any]]:
    gvs = curves.get("gait_variable_scores_deg") or {}
    symmetry = curves.get("symmetry") or {}
    rows = []
    for name in ordered:
        sym = symmetry.get(name) or {}
        cells: dict[str, Any] = {"label": variable_title(name).split(" (")[0]}
        for s in SIDES:
            key = f"{s}_{name}"
            cells[f"gvs_{s}"] = (
                num(gvs[key], f"{base}/gait_variable_scores_deg/{key}", 1) if key in gvs else ""
            )
            rom_key = f"{s}_rom_deg"
            cells[f"rom_{s}"] = (
                num(sym[rom_key], f"{base}/symmetry/{name}/{rom_key}", 1) if rom_key in sym else ""
            )
        for key, digits, signed in (
            ("rom_symmetry_index_pct", 1, True),
            ("rms_left_right_difference_deg", 1, False),
        ):
            cells[key] = (
                num(sym[key], f"{base}/symmetry/{name}/{key}", digits, signed=signed)
                if key in sym
                else ""
            )
        rows.append(cells)
    return rows


def _drivers_text(base: str, drivers: list[dict[str, Any]]) -> Markup:
    """ "driven by left hip rotation (curve shifted by +17.8°), ..."."""
    parts = []
    for i, d in enumerate(drivers):
        p = f"{base}/drivers/{i}"
        name = variable_title(str(d.get("variable", ""))).split(" (")[0].lower()
        if d.get("kind") == "offset":
            what = Markup("curve shifted by {}").format(
                num(d.get("offset_deg"), f"{p}/offset_deg", 1, "°", signed=True)
            )
        else:
            what = Markup("shape differs, GVS {}").format(
                num(d.get("gvs_deg"), f"{p}/gvs_deg", 1, "°")
            )
        parts.append(Markup("{} {} ({})").format(d.get("side", ""), name, what))
    return Markup("driven by ") + Markup(", ").join(parts) if parts else Markup("")


def _gps(base: str, curves: dict[str, Any]) -> dict[str, Any]:
    gps = curves.get("gait_profile_score") or {}
    out: dict[str, Any] = {"cells": {}, "values": {}, "incomplete": []}
    for key in ("left", "right", "overall"):
        entry = gps.get(key)
        if not isinstance(entry, dict):
            continue
        value = entry.get("value_deg")
        p = f"{base}/gait_profile_score/{key}"
        cell = num(value, f"{p}/value_deg", 1, "°")
        typical = entry.get("typical_adult")
        notes: list[Markup] = []
        if isinstance(typical, dict):
            upper = typical.get("upper_limit_deg")
            limit = num(upper, f"{p}/typical_adult/upper_limit_deg", 1, "°")
            word = "within" if typical.get("inside") else "above"
            notes.append(Markup("{} the typical adult range, up to {}").format(word, limit))
        if key == "overall" and entry.get("drivers"):
            notes.append(_drivers_text(p, entry["drivers"]))
        if notes:
            cell = Markup("{} ({})").format(cell, Markup("; ").join(notes))
        out["cells"][key] = cell
        out["values"][key] = value
        if not entry.get("complete", False):
            out["incomplete"].append(key)
    return out


def _summary(p: str, d: dict[str, Any]) -> Markup:
    """One flagged deviation in a sentence; from video worded as approximate, with the 2-D error
    that was allowed for."""
    reference = Markup("{} ± {}").format(
        num(d.get("norm_mean_deg"), f"{p}/norm_mean_deg", 1),
        num(d.get("norm_sd_deg"), f"{p}/norm_sd_deg", 1, "°"),
    )
    what = Markup("{} {} at {}").format(
        (d.get("side") or "").capitalize(),
        variable_title(str(d.get("variable", ""))).split(" (")[0].lower(),
        PHASE_TEXT.get(d.get("phase", ""), d.get("phase", "")),
    )
    value = num(d.get("value_deg"), f"{p}/value_deg", 1, "°")
    if d.get("approximate"):
        return Markup(
            "{}: approximately {} from video (reference {}; beyond the normal limit even "
            "allowing {} of measurement error: 2-D video and event timing)"
        ).format(
            what,
            value,
            reference,
            num(d.get("measurement_error_deg"), f"{p}/measurement_error_deg", 1, "°"),
        )
    return Markup("{}: {} (reference {}, z {})").format(
        what, value, reference, num(d.get("z_score"), f"{p}/z_score", 1, signed=True)
    )


def _deviation_rows(base: str, curves: dict[str, Any], ordered: list[str]) -> list[dict[str, Any]]:
    flagged = [
        (i, d) for i, d in enumerate(curves.get("deviations") or []) if d.get("flagged") is True
    ]

    def order(item: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        d = item[1]
        var = ordered.index(d["variable"]) if d.get("variable") in ordered else len(ordered)
        phase = PHASE_ORDER.index(d["phase"]) if d.get("phase") in PHASE_ORDER else 9
        return var, phase, SIDES.index(d["side"]) if d.get("side") in SIDES else 2

    rows = []
    for i, d in sorted(flagged, key=order):
        p = f"{base}/deviations/{i}"
        rows.append(
            {
                "variable": variable_title(str(d.get("variable", ""))).split(" (")[0],
                "side": d.get("side", ""),
                "phase": PHASE_TEXT.get(d.get("phase", ""), humanize(str(d.get("phase", "")))),
                "at": num(d.get("at_pct"), f"{p}/at_pct", 0, "%"),
                "value": (Markup("about ") if d.get("approximate") else Markup(""))
                + num(d.get("value_deg"), f"{p}/value_deg", 1, "°"),
                "norm": Markup("{} ± {}").format(
                    num(d.get("norm_mean_deg"), f"{p}/norm_mean_deg", 1),
                    num(d.get("norm_sd_deg"), f"{p}/norm_sd_deg", 1, "°"),
                ),
                "z": num(d.get("z_score"), f"{p}/z_score", 1, signed=True),
                "beyond": num(d.get("deviation_deg"), f"{p}/deviation_deg", 1, "°", signed=True),
                "summary": _summary(p, d),
                "abs_z": abs(d["z_score"]) if isinstance(d.get("z_score"), int | float) else 0.0,
            }
        )
    return rows


def _flag_rule(curves: dict[str, Any]) -> str:
    """How a check is flagged, in words (the rule of groundup.norms.curves)."""
    from groundup.norms.data import variables_config

    flag_sd = variables_config()["deviation_rule"]["flag_sd"]
    if curves.get("source") == "video":
        return (
            f"flagged only when beyond the reference mean ± {flag_sd:g} SD by more than the known "
            "2-D video error of that angle plus the error of the event timing (values from video "
            "are approximate; an angle with no known 2-D error is not flagged)"
        )
    return (
        f"flagged when beyond the reference mean ± {flag_sd:g} SD by more than the error of the "
        "event timing (the reference curve's slope over one frame)"
    )


def curves_block(index: int, curves: dict[str, Any], assets_dir: Path) -> dict[str, Any]:
    """Figure, profile chart, score table, flagged deviations and reference of one recording."""
    base = join_path("analysis", index, "curves")
    reference = curves.get("reference") or {}
    ordered = variable_order(list(curves.get("variables") or []))
    figure, no_band = _figure(curves, ordered, assets_dir / f"curves_{index + 1}.png")
    gps = _gps(base, curves)
    gvs = curves.get("gait_variable_scores_deg") or {}
    profile_vars = [n for n in ordered if any(f"{s}_{n}" in gvs for s in SIDES)]
    profile = plots.profile_chart(
        [variable_title(n).split(" (")[0] for n in profile_vars],
        {s: [gvs.get(f"{s}_{n}") for n in profile_vars] for s in SIDES},
        gps["values"],
        assets_dir / f"profile_{index + 1}.png",
    )
    deviations = _deviation_rows(base, curves, ordered)
    sides = curves.get("sides") or {}
    cycles = {
        s: num(
            (sides.get(s) or {}).get("n_cycles_accepted"),
            f"{base}/sides/{s}/n_cycles_accepted",
            0,
        )
        for s in SIDES
        if isinstance((sides.get(s) or {}).get("n_cycles_accepted"), int)
    }
    return {
        "figure": figure.name if figure else None,
        "profile": profile.name if profile else None,
        "view": curves.get("view", ""),
        "reference": _reference_text(f"{base}/reference", reference),
        "reference_note": reference.get("note", ""),
        "patient_group": reference.get("patient_group", ""),
        "scores": _score_rows(base, curves, ordered),
        "gps": gps["cells"],
        "gps_incomplete": gps["incomplete"],
        "deviations": deviations,
        "n_checked": len(curves.get("deviations") or []),
        "adult": [],
        "flag_rule": _flag_rule(curves),
        "dropped": [
            humanize(v.removesuffix("_deg")) for v in curves.get("dropped_variables") or []
        ],
        "no_band": no_band,
        "cycles": cycles,
    }
