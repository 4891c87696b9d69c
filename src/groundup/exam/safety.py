"""Safety of the whole exam: neurological and falls summaries, precautions and referrals.

Runs after every test and the history are scored, because its questions cross tests: radicular
signs join leg pain, neural tension tests and deficits (NICE NG59); the falls-risk group joins the
falls history with one-leg balance (World Falls Guidelines 2022, Montero-Odasso et al. 2022; the
5-s criterion of Vellas et al. 1997). Which answers raise which precaution or referral is data in
``knowledge/exam/safety.yaml``; a referral there stops the exercise pathway like a red flag.
"""

from __future__ import annotations

import operator
from typing import Any

from groundup.exam.catalogue import Catalogue

SIDES = ("left", "right")
STABLE_COURSES = ("stable", "improving")
_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_MISSING = object()


def _results(tests: dict[str, Any], key: str) -> dict[str, Any]:
    entry = tests.get(key) or {}
    return entry.get("results") or {} if entry.get("status") != "error" else {}


def neuro_summary(tests: dict[str, Any]) -> dict[str, Any]:
    """Radicular signs, deficits and their course, per side and overall.

    Radicular signs on a side: a positive straight-leg raise or slump (positive = the patient's
    own leg pain reproduced), or leg pain below the knee together with a sensory, motor or reflex
    deficit on that side. Progressive: a deficit with the course "worsening".
    """
    screen = _results(tests, "neuro_screen")
    slr = _results(tests, "straight_leg_raise")
    slump = _results(tests, "slump")
    assessed = bool(screen or slr or slump)
    course = screen.get("course")
    sides: dict[str, Any] = {}
    for side in SIDES:
        s = screen.get(side) or {}
        tension = [
            name
            for name, res in (("straight-leg raise", slr), ("slump", slump))
            if (res.get(side) or {}).get("result") == "positive"
        ]
        deficits = list(s.get("deficits") or [])
        sensorimotor = list(s.get("sensory_deficits") or []) + list(s.get("motor_deficits") or [])
        pain = bool(s.get("leg_pain_below_knee"))
        radicular = bool(tension) or (pain and bool(deficits))
        sides[side] = {
            "radicular_signs": radicular,
            "leg_pain_below_knee": pain,
            "positive_tension_tests": tension,
            "deficits": deficits,
            "sensorimotor_deficits": sensorimotor,
            "severe_motor_deficits": list(s.get("severe_motor_deficits") or []),
            "foot_drop": bool(s.get("foot_drop")),
        }
    radicular_sides = [side for side in SIDES if sides[side]["radicular_signs"]]
    deficit_sides = [side for side in SIDES if sides[side]["deficits"]]
    severe_sides = [side for side in SIDES if sides[side]["severe_motor_deficits"]]
    not_stable = course not in STABLE_COURSES
    return {
        "assessed": assessed,
        "course": course,
        "per_side": sides,
        "radicular": bool(radicular_sides),
        "radicular_sides": radicular_sides,
        "deficit_sides": deficit_sides,
        "progressive": bool(deficit_sides) and course == "worsening",
        "severe_motor_sides": severe_sides,
        "severe_motor_not_stable": bool(severe_sides) and not_stable,
        # Sensory or motor deficits in both legs with leg pain or radicular signs, not known to be
        # stable: suspected cauda equina syndrome. Reflexes alone do not count (reduced ankle
        # reflexes on both sides are common in older adults).
        "bilateral_deficit": not_stable
        and all(
            sides[side]["sensorimotor_deficits"]
            and (sides[side]["leg_pain_below_knee"] or sides[side]["radicular_signs"])
            for side in SIDES
        ),
    }


def falls_summary(history: dict[str, Any], tests: dict[str, Any], cat: Catalogue) -> dict[str, Any]:
    """Falls-risk group after the World Falls Guidelines 2022 algorithm (see the catalogue).

    High: a fall with injury, two or more falls, frailty, a long lie or loss of consciousness.
    Intermediate: a fall or fear of falling with impaired one-leg balance (eyes open under the
    5-s criterion). Low: a fall history without these. Not assessed: no falls history entered.
    """
    falls = (history.get("falls") or {}).get("inputs") or {}
    sls = _results(tests, "single_leg_stance")
    cut = cat.entry("single_leg_stance").cutoff("eyes_open_5s")
    impaired = [
        side
        for side in SIDES
        if isinstance((sls.get(side) or {}).get("eyes_open_s"), int | float)
        and sls[side]["eyes_open_s"] < float(cut["value"])
    ]
    balance = {
        "impaired_one_leg_balance_sides": impaired,
        "criterion_s": float(cut["value"]),
    }
    if not falls:
        return {"risk": "not_assessed", "reasons": [], **balance}
    n = int(falls.get("falls_last_12_months") or 0)
    if any(falls.get(k) for k in ("fall_with_injury", "unable_to_get_up", "loss_of_consciousness")):
        n = max(n, 1)  # an answer about a fall means there was one, even if the count is missing
    recurrent = cat.entry("falls").cutoff("recurrent_falls")
    severity = []
    if n >= int(recurrent["value"]):
        severity.append(f"{n} falls in the last 12 months")
    if n >= 1:
        for key, words in (
            ("fall_with_injury", "a fall with injury"),
            ("unable_to_get_up", "lay on the floor unable to get up"),
            ("loss_of_consciousness", "loss of consciousness"),
            ("frailty", "frailty"),
        ):
            if falls.get(key):
                severity.append(words)
    if severity:
        return {"risk": "high", "reasons": severity, "falls_last_12_months": n, **balance}
    concern = n >= 1 or bool(falls.get("fear_of_falling"))
    if concern and impaired:
        reasons = [f"{'a fall' if n else 'fear of falling'} with one-leg stance under 5 s"]
        return {"risk": "intermediate", "reasons": reasons, "falls_last_12_months": n, **balance}
    reasons = [f"{n} fall(s) in the last 12 months"] if n else []
    return {"risk": "low", "reasons": reasons, "falls_last_12_months": n, **balance}


def _value(context: dict[str, Any], path: str) -> Any:
    node: Any = context
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _holds(rule: dict[str, Any], context: dict[str, Any]) -> bool:
    for cond in rule.get("when", []):
        value = _value(context, str(cond["path"]))
        if cond["op"] == "present":
            if value is not _MISSING and value is not None:
                return True
            continue
        if value is _MISSING or value is None:
            continue
        if isinstance(value, bool) != isinstance(cond["value"], bool):
            continue
        try:
            if _OPS[str(cond["op"])](value, cond["value"]):
                return True
        except TypeError:
            continue
    return False


def assess_safety(history: dict[str, Any], tests: dict[str, Any], cat: Catalogue) -> dict[str, Any]:
    """The ``safety`` section of exam.json: summaries, precautions and referrals."""
    neuro = neuro_summary(tests)
    falls = falls_summary(history, tests, cat)
    context = {
        "history": {k: (v.get("inputs") or {}) for k, v in history.items()},
        "neuro": neuro,
        "falls": falls,
    }
    rules = cat.safety
    precautions = [
        {"id": pid, "source": cat.source(body["source"]).to_json()}
        | ({"text": " ".join(str(body["text"]).split())} if body.get("text") else {})
        for pid, body in (rules.get("precautions") or {}).items()
        if _holds(body, context)
    ]
    referrals = [
        {
            "id": rid,
            "text": " ".join(str(body["text"]).split()),
            "condition": body["condition"],
            "urgency": body["urgency"],
            "citation": cat.source(body["source"]).to_json(),
        }
        for rid, body in (rules.get("referrals") or {}).items()
        if _holds(body, context)
    ]
    return {
        "neuro": neuro,
        "falls": falls,
        "precautions": precautions,
        "referrals": referrals,
    }
