"""Scoring of the neurological screen: straight-leg raise, slump, dermatomes, myotomes, reflexes.

Accuracy figures of the neural tension tests (Majlesi et al. 2008) and the MRC grades that mark
weakness and a severe motor deficit come from ``knowledge/exam/neuro.yaml``. What a finding
changes (radicular problem, referral) is decided later from the whole exam
(:mod:`groundup.exam.safety`).
"""

from __future__ import annotations

from typing import Any

from groundup.exam.results import Context, Outcome, beyond, compare

SIDES = ("left", "right")
SENSATION = ("sensation_l3", "sensation_l4", "sensation_l5", "sensation_s1")
POWER = (
    "power_knee_extension_mrc",
    "power_ankle_dorsiflexion_mrc",
    "power_great_toe_extension_mrc",
    "power_ankle_plantarflexion_mrc",
)
REFLEXES = ("reflex_knee", "reflex_ankle")
#: The myotome whose severe weakness is a foot drop.
FOOT_DROP_MUSCLE = "power_ankle_dorsiflexion_mrc"


def _label(name: str) -> str:
    """``sensation_l5`` -> ``L5``; ``power_great_toe_extension_mrc`` -> ``great toe extension``."""
    if name.startswith("sensation_"):
        return name.removeprefix("sensation_").upper()
    return (
        name.removeprefix("power_").removeprefix("reflex_").removesuffix("_mrc").replace("_", " ")
    )


def _tension_test(values: dict[str, Any], ctx: Context, name: str) -> Outcome:
    out = Outcome()
    angles = values.get("angle_deg") or {}
    for side in SIDES:
        result = (values.get("result") or {}).get(side)
        if result is None:
            continue
        res: dict[str, Any] = {"result": result}
        if side in angles:
            res["angle_deg"] = angles[side]
        out.results[side] = res
        if result == "positive":
            at = f" at {angles[side]:g} deg" if side in angles else ""
            out.find(f"{name} positive on the {side}{at}: the patient's leg pain reproduced", side)
    for cid in ("sensitivity", "specificity"):
        c = ctx.entry.cutoff(cid)
        compare(ctx, out, f"{cid}_pct", c["value"], "pct", c, "test accuracy (context)")
    return out


def straight_leg_raise(values: dict[str, Any], ctx: Context) -> Outcome:
    """Straight-leg raise per leg (accuracy: Majlesi et al. 2008)."""
    return _tension_test(values, ctx, "straight-leg raise")


def slump(values: dict[str, Any], ctx: Context) -> Outcome:
    """Slump test per leg (accuracy: Majlesi et al. 2008)."""
    return _tension_test(values, ctx, "slump test")


def neuro_screen(values: dict[str, Any], ctx: Context) -> Outcome:
    """Dermatomes, myotomes (MRC 0-5), reflexes and leg pain per side; deficits listed per side.

    A sensory deficit is reduced or absent sensation; a motor deficit is power under MRC 5 (the
    catalogue's ``full_power`` cut-off), severe at MRC 3 or less (``severe_weakness``); a reflex
    deficit is a reduced or absent reflex (a brisk reflex is reported as an upper motor neurone
    sign).
    """
    out = Outcome()
    weak = ctx.entry.cutoff("full_power")
    severe = ctx.entry.cutoff("severe_weakness")
    for side in SIDES:
        res: dict[str, Any] = {}
        sensory: list[str] = []
        motor: list[str] = []
        reflex: list[str] = []
        severe_motor: list[str] = []
        pain = (values.get("leg_pain_below_knee") or {}).get(side)
        if pain is not None:
            res["leg_pain_below_knee"] = pain
        for name in SENSATION:
            v = (values.get(name) or {}).get(side)
            if v is None:
                continue
            res[name] = v
            if v in ("reduced", "absent"):
                sensory.append(f"{_label(name)} sensation {v}")
        for name in POWER:
            v = (values.get(name) or {}).get(side)
            if v is None:
                continue
            res[name] = v
            if beyond(v, weak):
                motor.append(f"{_label(name)} MRC {v}")
                compare(ctx, out, name, v, "MRC grade", weak, weak["label"], side=side)
            if beyond(v, severe):
                severe_motor.append(f"{_label(name)} MRC {v}")
                compare(ctx, out, name, v, "MRC grade", severe, severe["label"], side=side)
        for name in REFLEXES:
            v = (values.get(name) or {}).get(side)
            if v is None:
                continue
            res[name] = v
            if v in ("reduced", "absent"):
                reflex.append(f"{_label(name)} reflex {v}")
            elif v == "brisk":
                out.warn(
                    f"brisk_reflex_{side}",
                    f"{side} {_label(name)} reflex brisk: an upper motor neurone sign, outside "
                    "the radicular screen; consider medical review.",
                )
        if not res:
            continue
        deficits = sensory + motor + reflex
        ankle = (values.get(FOOT_DROP_MUSCLE) or {}).get(side)
        res.update(
            {
                "sensory_deficits": sensory,
                "motor_deficits": motor,
                "reflex_deficits": reflex,
                "deficits": deficits,
                "severe_motor_deficits": severe_motor,
                "foot_drop": bool(ankle is not None and beyond(ankle, severe)),
            }
        )
        out.results[side] = res
        if deficits:
            out.find(f"{side} leg: " + ", ".join(deficits), side)
        if pain:
            out.find(f"{side} leg pain below the knee", side)
    if values.get("course"):
        out.results["course"] = values["course"]
    return out


SCORERS = {
    "straight_leg_raise": straight_leg_raise,
    "slump": slump,
    "neuro_screen": neuro_screen,
}
