"""Scoring of the physical tests (foot, balance, pelvis/hip/core).

One function per test, named after it. Each receives the checked field values (sided fields as
``{"left": v, "right": v}``) and a :class:`~groundup.exam.results.Context`, and returns an
:class:`~groundup.exam.results.Outcome`. Norms and cut-offs come from the catalogue entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from groundup.exam.results import (
    Context,
    Outcome,
    band_label,
    beyond,
    compare,
    rounded,
    symmetry_pct,
)

Scorer = Callable[[dict[str, Any], Context], Outcome]


def _sides(v: dict[str, Any] | None) -> list[tuple[str, Any]]:
    return [(s, v[s]) for s in ("left", "right") if v and s in v]


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _diff(v: dict[str, Any] | None) -> float | None:
    """Right minus left, when both sides were measured."""
    if v and "left" in v and "right" in v:
        return float(v["right"]) - float(v["left"])
    return None


# ---------------------------------------------------------------------------------------- foot
def foot_posture_index(values: dict[str, Any], ctx: Context) -> Outcome:
    """FPI-6 (Redmond et al. 2006): total of six items per foot, category, right-left difference."""
    out = Outcome()
    entry = ctx.entry
    category = entry.cutoff("category")
    totals: dict[str, int] = {}
    for side, items in _sides(values.get("items")):
        total = int(sum(items))
        totals[side] = total
        label = band_label(total, category) or "out of range"
        out.results[side] = {"items": items, "total": total, "category": label}
        compare(ctx, out, "fpi_total", total, "points", category, label, side=side)
        if label != "normal":
            out.find(f"{side} foot {label} (FPI-6 {total:+d})", side)
    adult = entry.norm("adult_mean")
    for side, total in totals.items():
        rel = "above" if total > adult["value"] else "below" if total < adult["value"] else "at"
        compare(
            ctx,
            out,
            "fpi_total",
            total,
            "points",
            adult,
            f"{rel} the healthy adult mean",
            side=side,
        )
    diff = _diff(totals)
    if diff is not None:
        label = band_label(diff, entry.cutoff("right_minus_left")) or "out of range"
        out.results["right_minus_left"] = int(diff)
        out.results["asymmetry"] = label
        compare(
            ctx,
            out,
            "fpi_right_minus_left",
            diff,
            "points",
            entry.cutoff("right_minus_left"),
            label,
        )
        if label != "normal difference":
            out.find(f"FPI-6 {label} between feet (right - left = {int(diff):+d})")
    return out


def navicular_drop(values: dict[str, Any], ctx: Context) -> Outcome:
    """Navicular drop (Brody 1982), compared with Brody's cut-offs."""
    out = Outcome()
    brody = ctx.entry.cutoff("brody")
    for side, drop in _sides(values.get("drop_mm")):
        label = band_label(drop, brody) or "out of range"
        out.results[side] = {"drop_mm": drop, "category": label}
        compare(ctx, out, "navicular_drop_mm", drop, "mm", brody, label, side=side)
        if label != "normal":
            out.find(f"{side} navicular drop {drop:g} mm: {label}", side)
    diff = _diff(values.get("drop_mm"))
    if diff is not None:
        out.results["right_minus_left_mm"] = rounded(diff, 1)
    return out


def arch_height_index(values: dict[str, Any], ctx: Context) -> Outcome:
    """Arch height index (AHIMS definitions; Butler et al. 2008): height / truncated length."""
    out = Outcome()
    standing = values.get("dorsal_height_standing_mm", {})
    sitting = values.get("dorsal_height_sitting_mm", {})
    length = values.get("truncated_foot_length_mm", {})
    for side in ("left", "right"):
        if side not in standing or side not in length:
            continue
        res: dict[str, Any] = {"ahi_standing": rounded(standing[side] / length[side], 3)}
        if side in sitting:
            ahi_sit = sitting[side] / length[side]
            res["ahi_sitting"] = rounded(ahi_sit, 3)
            res["arch_rigidity_index"] = rounded((standing[side] / length[side]) / ahi_sit, 3)
            res["arch_drop_mm"] = rounded(sitting[side] - standing[side], 1)
        out.results[side] = res
    if not out.results:
        out.warn(
            "ahi_incomplete",
            "Standing height and truncated foot length are needed on the same side.",
        )
    return out


def weight_bearing_lunge(values: dict[str, Any], ctx: Context) -> Outcome:
    """Weight-bearing lunge (knee to wall), distance and/or tibial angle, left/right difference."""
    out = Outcome()
    entry = ctx.entry
    dist = values.get("distance_cm")
    angle = values.get("tibial_angle_deg")
    healthy = entry.norm("healthy_distance")
    per_cm = entry.norm("cm_to_deg")
    for side in ("left", "right"):
        res: dict[str, Any] = {}
        if dist and side in dist:
            d = dist[side]
            res["distance_cm"] = d
            if not angle or side not in angle:
                res["approx_angle_deg"] = rounded(d * per_cm["value"], 1)
            z = (d - healthy["mean"]) / healthy["sd"]
            rel = "below" if d < healthy["mean"] else "at or above"
            compare(
                ctx,
                out,
                "distance_cm",
                d,
                "cm",
                healthy,
                f"{rel} the healthy mean (z = {z:+.1f})",
                side=side,
            )
        if angle and side in angle:
            res["tibial_angle_deg"] = angle[side]
        if res:
            out.results[side] = res
    asym = entry.cutoff("asymmetry")
    d_diff = _diff(dist)
    if d_diff is not None:
        out.results["right_minus_left_cm"] = rounded(d_diff, 1)
        flagged = beyond(abs(d_diff), asym)
        compare(
            ctx,
            out,
            "abs_left_right_difference_cm",
            abs(d_diff),
            "cm",
            asym,
            asym["label"] if flagged else "within the range of most healthy adults",
        )
        if flagged:
            short = "left" if d_diff > 0 else "right"
            out.find(
                f"lunge asymmetry {abs(d_diff):.1f} cm (less dorsiflexion on the {short})", short
            )
    a_diff = _diff(angle)
    if a_diff is not None:
        out.results["right_minus_left_deg"] = rounded(a_diff, 1)
    return out


def heel_raise(values: dict[str, Any], ctx: Context) -> Outcome:
    """Single-leg heel-raise count. Flat floor: graded against the lower limit of normal derived
    from Lunsford & Perry 1995 (mean 27.9 minus 2 SD); 10-degree incline: shown beside the sex
    median of Hébert-Losier 2017 and not graded (no lower limit is published)."""
    out = Outcome()
    counts = values.get("count", {})
    incline = bool(values.get("incline_10deg", False))
    norm = ctx.entry.norm("incline_median" if incline else "flat_mean")
    ref: float | None
    if "by_sex" in norm:
        ref = norm["by_sex"].get(ctx.patient.sex) if ctx.patient.sex else None
        if ref is None:
            out.warn(
                "no_sex", "patient.sex is needed to compare with the sex-specific heel-raise norm."
            )
    else:
        ref = float(norm["value"])
    lower = None if incline else ctx.entry.cutoff("flat_lower_limit")
    for side, n in _sides(counts):
        out.results[side] = {"count": n}
        if ref is not None:
            res = "under the reference (context)" if n < ref else "at or above the reference"
            compare(
                ctx, out, "heel_raise_count", n, "repetitions", norm, res, side=side, reference=ref
            )
        if lower is not None:
            flagged = beyond(n, lower)
            compare(
                ctx,
                out,
                "heel_raise_count",
                n,
                "repetitions",
                lower,
                lower["label"] if flagged else "within normal limits",
                side=side,
            )
            if flagged:
                out.find(f"{side} heel raises {n} (lower limit of normal {lower['value']:g})", side)
    if "left" in counts and "right" in counts:
        out.results["right_minus_left"] = counts["right"] - counts["left"]
        out.results["symmetry_pct"] = rounded(symmetry_pct(counts["left"], counts["right"]), 1)
    out.results["incline_10deg"] = incline
    return out


def toe_flexor_strength(values: dict[str, Any], ctx: Context) -> Outcome:
    """Paper grip test (Menz et al. 2006) and optional toe-grip force."""
    out = Outcome()
    for side in ("left", "right"):
        res: dict[str, Any] = {}
        for part in ("hallux", "lesser_toes"):
            v = values.get(part, {})
            if side in v:
                res[f"{part}_paper_grip"] = v[side]
                if v[side] == "fail":
                    out.find(f"{side} {part.replace('_', ' ')} failed the paper grip test", side)
        force = values.get("grip_force_n", {})
        if side in force:
            res["grip_force_n"] = force[side]
        if res:
            out.results[side] = res
    acc = ctx.entry.cutoff("screening_accuracy")
    if any(values.get(p) for p in ("hallux", "lesser_toes")):
        compare(
            ctx, out, "paper_grip_accuracy_pct", acc["value"], "pct", acc, "test accuracy (context)"
        )
    d = _diff(values.get("grip_force_n"))
    if d is not None:
        out.results["right_minus_left_n"] = rounded(d, 1)
    return out


def windlass(values: dict[str, Any], ctx: Context) -> Outcome:
    """Windlass test (De Garceau et al. 2003)."""
    out = Outcome()
    wb = values.get("weight_bearing")
    sens = ctx.entry.cutoff(
        "sensitivity_weight_bearing" if wb is not False else "sensitivity_non_weight_bearing"
    )
    spec = ctx.entry.cutoff("specificity")
    for side, result in _sides(values.get("result")):
        out.results[side] = {"result": result}
        if result == "positive":
            out.find(f"{side} windlass test positive: plantar fasciitis likely", side)
    if values.get("result"):
        compare(
            ctx,
            out,
            "windlass_specificity_pct",
            spec["value"],
            "pct",
            spec,
            "test accuracy (context)",
        )
        compare(
            ctx,
            out,
            "windlass_sensitivity_pct",
            sens["value"],
            "pct",
            sens,
            "test accuracy (context)",
        )
    if wb is not None:
        out.results["weight_bearing"] = wb
    return out


# ------------------------------------------------------------------------------------- balance
def single_leg_stance(values: dict[str, Any], ctx: Context) -> Outcome:
    """Unipedal stance time. Eyes open: graded against the 5-s criterion of Vellas et al. 1997,
    with the age-group mean of Bohannon 2006 (60 and over) as context. Eyes closed: shown beside
    the age/sex group mean of Springer et al. 2007, not graded (no published lower limit)."""
    out = Outcome()
    ec_norm = ctx.entry.norm("eyes_closed_best_of_3")
    eo_cut = ctx.entry.cutoff("eyes_open_5s")
    eo_norm = ctx.entry.norm("eyes_open_older_adult_mean")
    ec_ref = _age_sex_lookup(ec_norm, ctx, out) if values.get("eyes_closed_s") else None
    eo_ref = _age_lookup(eo_norm, ctx)
    for cond in ("eyes_open_s", "eyes_closed_s"):
        v = values.get(cond)
        for side, t in _sides(v):
            out.results.setdefault(side, {})[cond] = t
            if cond == "eyes_closed_s" and ec_ref is not None:
                res = (
                    "under the age-group mean (context, not graded)"
                    if t < ec_ref
                    else ("at or above the age-group mean")
                )
                compare(ctx, out, cond, t, "s", ec_norm, res, side=side, reference=ec_ref)
            if cond == "eyes_open_s":
                flagged = beyond(t, eo_cut)
                compare(
                    ctx,
                    out,
                    cond,
                    t,
                    "s",
                    eo_cut,
                    eo_cut["label"] if flagged else "at or above the 5-s criterion",
                    side=side,
                )
                if eo_ref is not None:
                    res = (
                        "under the age-group mean (context)"
                        if t < eo_ref
                        else ("at or above the age-group mean")
                    )
                    compare(ctx, out, cond, t, "s", eo_norm, res, side=side, reference=eo_ref)
                if flagged:
                    out.find(
                        f"{side} single-leg stance eyes open {t:g} s "
                        f"(under the {eo_cut['value']:g}-s criterion)",
                        side,
                    )
        d = _diff(v)
        if d is not None:
            out.results[f"{cond[:-2]}_right_minus_left_s"] = rounded(d, 1)
    return out


def _age_lookup(norm: dict[str, Any], ctx: Context) -> float | None:
    """The value of an age table (rows with ``value``) for the patient's age, if it covers it."""
    age = ctx.patient.age_y
    if age is None:
        return None
    for row in norm["table"]:
        if row["age_min"] <= age <= row["age_max"] + 0.999:
            return float(row["value"])
    return None


def _age_sex_lookup(norm: dict[str, Any], ctx: Context, out: Outcome) -> float | None:
    p = ctx.patient
    if p.age_y is None or p.sex not in ("female", "male"):
        out.warn(
            "no_age_sex", "patient.age_y and patient.sex are needed to compare with age norms."
        )
        return None
    for row in norm["table"]:
        if row["age_min"] <= p.age_y <= row["age_max"] + 0.999:
            return float(row[p.sex])
    out.warn("age_outside_norm", f"No norm for age {p.age_y:g} y in {norm['id']}.")
    return None


def y_balance(values: dict[str, Any], ctx: Context) -> Outcome:
    """Y-Balance test: limb-length normalised reaches, composite and anterior asymmetry
    (Plisky et al. 2006, 2009)."""
    out = Outcome()
    entry = ctx.entry
    limb = values.get("limb_length_cm", {})
    dirs = ("anterior_cm", "posteromedial_cm", "posterolateral_cm")
    low = entry.cutoff("composite_low")
    for side in ("left", "right"):
        if side not in limb or not all(side in values.get(d, {}) for d in dirs):
            continue
        reach = {d: float(values[d][side]["value"]) for d in dirs}
        ll = float(limb[side])
        composite = sum(reach.values()) / (3 * ll) * 100
        res = {d: reach[d] for d in dirs}
        res.update({d.replace("_cm", "_pct_limb"): rounded(reach[d] / ll * 100, 1) for d in dirs})
        res["limb_length_cm"] = ll
        res["composite_pct"] = rounded(composite, 1)
        out.results[side] = res
        flagged = beyond(composite, low)
        compare(
            ctx,
            out,
            "composite_pct",
            composite,
            "pct",
            low,
            low["label"] if flagged else "not below the cut-off",
            side=side,
        )
        if flagged:
            out.find(f"{side} Y-balance composite {composite:.1f} % of limb length", side)
    ant = values.get("anterior_cm", {})
    if "left" in ant and "right" in ant:
        d = float(ant["right"]["value"]) - float(ant["left"]["value"])
        asym = entry.cutoff("anterior_asymmetry")
        flagged = beyond(abs(d), asym)
        out.results["anterior_right_minus_left_cm"] = rounded(d, 1)
        compare(
            ctx,
            out,
            "anterior_asymmetry_cm",
            abs(d),
            "cm",
            asym,
            asym["label"] if flagged else "within the cut-off",
        )
        if flagged:
            out.find(f"Y-balance anterior asymmetry {abs(d):.1f} cm")
    if not out.results:
        out.warn("y_balance_incomplete", "Limb length and all three reaches are needed on a side.")
    return out


def cop_sway(values: dict[str, Any], ctx: Context) -> Outcome:
    """COP sway of a recording (Prieto et al. 1996); see :mod:`groundup.exam.sway`."""
    from groundup.exam.sway import analyze_cop_recording

    out = Outcome()
    path = Path(values["recording"])
    if not path.is_absolute():
        path = ctx.base_dir / path
    doc = analyze_cop_recording(path, rate_hz=values.get("rate_hz"))
    out.results = {
        "recording": values["recording"],
        "vision": values.get("vision"),
        "surface": values.get("surface"),
        "sway": doc["sway"],
    }
    out.warnings.extend(doc["quality"]["warnings"])
    return out


# ---------------------------------------------------------------------------- pelvis/hip/core
def trendelenburg(values: dict[str, Any], ctx: Context) -> Outcome:
    """Trendelenburg sign per stance side (accuracy: Bird et al. 2001)."""
    out = Outcome()
    for side, r in _sides(values.get("result")):
        out.results[side] = {"result": r}
        if r == "positive":
            out.find(f"Trendelenburg positive standing on the {side}", side)
    for cid in ("sensitivity", "specificity"):
        c = ctx.entry.cutoff(cid)
        compare(
            ctx, out, f"trendelenburg_{cid}_pct", c["value"], "pct", c, "test accuracy (context)"
        )
    return out


def single_leg_squat(values: dict[str, Any], ctx: Context) -> Outcome:
    """Single-leg squat: clinical rating (Crossley et al. 2011) and 2-D video angles
    (frontal-plane projection angle, Gwynne & Curran 2014)."""
    out = Outcome()
    measured: dict[str, dict[str, float]] = {}
    if "keypoints" in values:
        from groundup.exam.squat import squat_angles_from_csv

        path = Path(values["keypoints"])
        if not path.is_absolute():
            path = ctx.base_dir / path
        measured = squat_angles_from_csv(path)
        out.results["keypoints"] = values["keypoints"]
    for side in ("left", "right"):
        res: dict[str, Any] = {}
        rating = values.get("rating", {})
        if side in rating:
            res["rating"] = rating[side]
            if rating[side] == "poor":
                out.find(f"{side} single-leg squat rated poor (hip abductor function)", side)
        for name in ("knee_fppa_deg", "pelvic_drop_deg", "trunk_lean_deg"):
            if side in values.get(name, {}):
                res[name] = values[name][side]
            elif side in measured and name in measured[side]:
                res[name] = rounded(measured[side][name], 1)
                res.setdefault("measured_from", "keypoints")
        if res:
            out.results[side] = res
    if any(
        name in r
        for r in out.results.values()
        if isinstance(r, dict)
        for name in ("knee_fppa_deg", "pelvic_drop_deg", "trunk_lean_deg")
    ):
        out.warn("no_squat_angle_norm", "Video angles are reported without norms (none verified).")
    return out


def hip_abductor_strength(values: dict[str, Any], ctx: Context) -> Outcome:
    """Hand-held dynamometry of the hip abductors normalised to body mass (force N/kg, torque
    N*m/kg), and side-to-side symmetry."""
    out = Outcome()
    force = values.get("force_n", {})
    lever = values.get("lever_arm_m", {})
    mass = ctx.patient.mass_kg
    if mass is None:
        out.warn("no_mass", "patient.mass_kg is needed to normalise strength to body mass.")
    for side, f in _sides(force):
        res: dict[str, Any] = {"force_n": f}
        if mass:
            res["force_n_per_kg"] = rounded(f / mass, 3)
            if side in lever:
                res["torque_nm_per_kg"] = rounded(f * lever[side] / mass, 3)
        out.results[side] = res
    if "left" in force and "right" in force:
        sym = symmetry_pct(force["left"], force["right"])
        out.results["symmetry_pct"] = rounded(sym, 1)
        out.results["weaker_side"] = (
            "left"
            if force["left"] < force["right"]
            else ("right" if force["right"] < force["left"] else "equal")
        )
    return out


def active_straight_leg_raise(values: dict[str, Any], ctx: Context) -> Outcome:
    """ASLR difficulty 0-5 per side, summed 0-10 (Mens et al. 2001)."""
    out = Outcome()
    diff = values.get("difficulty", {})
    for side, d in _sides(diff):
        out.results[side] = {"difficulty": d}
    if "left" in diff and "right" in diff:
        total = diff["left"] + diff["right"]
        out.results["total"] = total
        cut = ctx.entry.cutoff("positive")
        flagged = beyond(total, cut)
        compare(
            ctx, out, "aslr_total", total, "points", cut, cut["label"] if flagged else "negative"
        )
        if flagged:
            out.find(f"ASLR positive (score {total}/10)")
    else:
        out.warn("aslr_one_side", "Both sides are needed for the ASLR total (0-10).")
    return out


def prone_instability(values: dict[str, Any], ctx: Context) -> Outcome:
    """Prone instability test (Hicks et al. 2003, 2005)."""
    out = Outcome()
    out.results["result"] = values["result"]
    if values["result"] == "positive":
        out.find("prone instability test positive: stabilisation exercise may help")
    for cid in ("sensitivity", "specificity"):
        c = ctx.entry.cutoff(cid)
        compare(ctx, out, f"pit_{cid}_pct", c["value"], "pct", c, "test accuracy (context)")
    return out


def mcgill_endurance(values: dict[str, Any], ctx: Context) -> Outcome:
    """McGill trunk endurance battery: times and ratios (McGill, Childs & Liebenson 1999)."""
    out = Outcome()
    entry = ctx.entry
    flex = values.get("flexion_s")
    ext = values.get("extension_s")
    sb = values.get("side_bridge_s", {})
    out.results["times_s"] = {
        "flexion": flex,
        "extension": ext,
        "side_bridge_left": sb.get("left"),
        "side_bridge_right": sb.get("right"),
    }
    ratios: dict[str, float | None] = {}
    sb_mean = (sb["left"] + sb["right"]) / 2 if "left" in sb and "right" in sb else None
    if flex is not None and ext:
        ratios["flexion_to_extension"] = flex / ext
    if sb_mean is not None and sb["left"] > 0:
        ratios["side_bridge_right_to_left"] = sb["right"] / sb["left"]
    if ext:
        for side, t in _sides(sb):
            ratios[f"side_bridge_{side}_to_extension"] = t / ext
        if sb_mean is not None:
            ratios["side_bridge_mean_to_extension"] = sb_mean / ext
    if flex and sb_mean is not None:
        ratios["side_bridge_mean_to_flexion"] = sb_mean / flex
    out.results["ratios"] = {k: rounded(v, 3) for k, v in ratios.items()}
    # (ratio key, cut-off id, words in the finding); targets and their sources are in the catalogue
    targets = (
        ("flexion_to_extension", "flexion_to_extension", "trunk flexion/extension"),
        ("side_bridge_mean_to_extension", "side_bridge_to_extension", "side bridge/extension"),
    )
    for key, cutoff_id, words in targets:
        if key not in ratios:
            continue
        c = entry.cutoff(cutoff_id)
        r = ratios[key]
        flagged = beyond(r, c)
        compare(ctx, out, key, r, "ratio", c, c["label"] if flagged else "below the target")
        if flagged:
            out.find(f"{words} endurance ratio {r:.2f} (target below {float(c['value'])})")
    if "side_bridge_right_to_left" in ratios:
        band = entry.cutoff("side_bridge_right_to_left")
        r = ratios["side_bridge_right_to_left"]
        label = band_label(r, band) or "out of range"
        compare(ctx, out, "side_bridge_right_to_left", r, "ratio", band, label)
        if label != "balanced":
            weaker = "right" if r < 1 else "left"
            out.results["side_bridge_weaker_side"] = weaker
            out.find(
                f"side bridge {weaker} {sb[weaker]:g} s vs {sb[_other(weaker)]:g} s "
                f"(right/left {r:.2f}, target 1.0 +/- 0.05)",
                weaker,
            )
    if "side_bridge_mean_to_extension" in ratios:
        r = ratios["side_bridge_mean_to_extension"]
        sex = ctx.patient.sex
        n = entry.norm("side_bridge_to_extension")
        if sex in n["by_sex"]:
            ref = float(n["by_sex"][sex])
            compare(
                ctx,
                out,
                "side_bridge_mean_to_extension",
                r,
                "ratio",
                n,
                "above the healthy mean" if r > ref else "at or below the healthy mean",
                reference=ref,
            )
    if "side_bridge_mean_to_flexion" in ratios and ctx.patient.sex in ("female", "male"):
        n = entry.norm("side_bridge_to_flexion")
        r = ratios["side_bridge_mean_to_flexion"]
        ref = float(n["by_sex"][ctx.patient.sex])
        compare(
            ctx,
            out,
            "side_bridge_mean_to_flexion",
            r,
            "ratio",
            n,
            "above the healthy mean" if r > ref else "at or below the healthy mean",
            reference=ref,
        )
    return out


SCORERS: dict[str, Scorer] = {
    "foot_posture_index": foot_posture_index,
    "navicular_drop": navicular_drop,
    "arch_height_index": arch_height_index,
    "weight_bearing_lunge": weight_bearing_lunge,
    "heel_raise": heel_raise,
    "toe_flexor_strength": toe_flexor_strength,
    "windlass": windlass,
    "single_leg_stance": single_leg_stance,
    "y_balance": y_balance,
    "cop_sway": cop_sway,
    "trendelenburg": trendelenburg,
    "single_leg_squat": single_leg_squat,
    "hip_abductor_strength": hip_abductor_strength,
    "active_straight_leg_raise": active_straight_leg_raise,
    "prone_instability": prone_instability,
    "mcgill_endurance": mcgill_endurance,
}
