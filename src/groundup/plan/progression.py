"""Follow-up: progress, hold or regress each exercise on its own evidence.

Each exercise is judged from its own target (the dosage of its level), what the patient reported
for it (exam.json ``exercise_report``: adherence, pain response, repetitions or hold reached) and
its own re-measured target findings; load progresses when the target is reached with repetitions
to spare (ACSM 2009, Med Sci Sports Exerc 41:687-708). Outcome changes (ODI, RMDQ, NRS, PSFS) are
judged against their minimal detectable change (MDC) and minimal clinically important difference
(MCID) from the exam catalogue (Ostelo et al. 2008, Spine 33:90-4; Stratford et al. 1995) and
reported for the plan as a whole: one outcome no longer moves every exercise. Rules and
thresholds: ``knowledge/exercises/programme.yaml``.
"""

from __future__ import annotations

from typing import Any

from groundup.chain.findings import SEVERITIES, Finding
from groundup.chain.knowledge import cite
from groundup.exam.catalogue import load_catalogue
from groundup.plan.library import exercise, programme

#: dosage key of the exercise -> report field that says what the patient reached
REACHED = {
    "reps": "reps_reached",
    "hold_s": "hold_s_reached",
    "sets": "sets_reached",
    "duration_min": "duration_min_reached",
}


def outcome_snapshot(findings: list[Finding]) -> dict[str, Any]:
    """Outcome values of this visit, the baseline of the next one."""
    spec = programme()["follow_up"]["outcomes"]
    by_measure = {f.measure: f for f in findings}
    out = {}
    for name, rule in spec.items():
        f = by_measure.get(rule["finding"])
        if f is not None and isinstance(f.value, int | float):
            out[name] = {"value": f.value, "unit": f.unit, "direction": rule["direction"]}
    return out


def _cited(name: str, list_name: str) -> list[dict[str, Any]]:
    cat = load_catalogue()
    items = cat.entry(name).items_of(list_name)
    return [dict(item, citation=cat.cite(item)) for item in items]


def _limit(item: dict[str, Any], baseline: float) -> float:
    if item["unit"] == "pct_of_baseline":
        return abs(baseline) * float(item["value"]) / 100.0
    return float(item["value"])


def outcome_changes(previous: dict[str, Any], findings: list[Finding]) -> list[dict[str, Any]]:
    """Each outcome measured at both visits: its change, judged against its MDC and MCID.

    A change smaller than the MDC is within measurement error; an improvement counts as
    important when it reaches any MCID of the outcome (absolute or relative) and exceeds the MDC;
    a worsening when it reaches the absolute MCID and exceeds the MDC.
    """
    old = previous.get("outcomes") or {}
    new = outcome_snapshot(findings)
    out = []
    for name, now in new.items():
        before = old.get(name)
        if not before:
            continue
        sign = -1.0 if now["direction"] == "lower_is_better" else 1.0
        improvement = round(sign * (now["value"] - before["value"]), 3)
        mcids = _cited(name, "mcid")
        mdcs = [m for m in _cited(name, "mdc") if not str(m["id"]).endswith("_single")]
        mdc = max((_limit(m, before["value"]) for m in mdcs), default=0.0)
        # a change of at least the MDC is beyond measurement error (Childs 2005: MDC 2 points)
        beyond_mdc = abs(improvement) >= mdc if mdc > 0 else abs(improvement) > 0
        improved = worse = False
        used = []
        for item in mcids:
            limit = _limit(item, before["value"])
            if limit <= 0:
                continue
            used.append({"id": item["id"], "value": item["value"], "unit": item["unit"]})
            improved = improved or (improvement >= limit and beyond_mdc)
            if item["unit"] != "pct_of_baseline":
                worse = worse or (-improvement >= limit and beyond_mdc)
        if improved:
            judgement = "improved by at least its MCID"
        elif worse:
            judgement = "worse by at least its MCID"
        elif not beyond_mdc:
            judgement = "no change beyond measurement error (MDC)"
        else:
            judgement = "changed beyond the MDC but by less than the MCID"
        out.append(
            {
                "outcome": name,
                "before": before["value"],
                "now": now["value"],
                "improvement": improvement,
                "mcid": used,
                "mdc": [{"id": m["id"], "value": m["value"], "unit": m["unit"]} for m in mdcs],
                "beyond_mdc": beyond_mdc,
                "improved_by_mcid": improved,
                "worse_by_mcid": worse,
                "judgement": judgement,
                "citations": [m["citation"] for m in mcids + mdcs],
            }
        )
    return out


def _finding_change(entry: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    old = {m["id"]: m for m in before.get("measured", [])}
    worse, better = [], []
    for m in entry.get("measured", []):
        prev = old.get(m["id"])
        if prev is None:
            continue
        delta = rank[m["severity"]] - rank[prev["severity"]]
        item = f"{m['id']} {prev['value']} → {m['value']} ({prev['severity']} → {m['severity']})"
        if delta > 0:
            worse.append(item)
        elif delta < 0:
            better.append(item)
    all_normal = bool(entry.get("measured")) and all(
        m["severity"] == "none" for m in entry["measured"]
    )
    return {"worse": worse, "better": better, "all_normal": all_normal}


def _target_check(dosage: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """Which parts of the prescribed dose the patient reached (only the parts reported)."""
    reached, short = [], []
    for key, field in REACHED.items():
        if key in dosage and field in report:
            target, got = float(dosage[key]), float(report[field])
            text = f"{key.replace('_', ' ')} {got:g} of {target:g}"
            (reached if got >= target else short).append(text)
    return {"reached": reached, "short": short, "reported": bool(reached or short)}


def _decide(
    entry: dict[str, Any],
    before: dict[str, Any],
    report: dict[str, Any],
    level: int,
    top: int,
) -> tuple[str, int, list[str]]:
    """(decision, level, reasons) for one exercise from its own evidence."""
    rules = programme()["follow_up"]["per_exercise"]
    fc = _finding_change(entry, before)
    target = _target_check(before.get("dosage") or {}, report)
    pain = report.get("pain_response")
    adherence = report.get("adherence_pct")
    reasons: list[str] = []
    if pain == "worse" or fc["worse"]:
        if pain == "worse":
            reasons.append("the patient reports more pain with this exercise")
        reasons += [f"its target finding got worse: {w}" for w in fc["worse"]]
        decision = "regress" if level > 0 else "hold"
        if level == 0:
            reasons.append("already at the easiest level: review the exercise")
        return decision, max(0, level - 1), reasons
    if isinstance(adherence, int | float) and adherence < float(rules["adherence_min_pct"]):
        reasons.append(
            f"done on {adherence:g} % of the planned days (under "
            f"{rules['adherence_min_pct']} %): the dose was not yet tried"
        )
        return "hold", level, reasons
    if target["reported"]:
        if target["short"]:
            reasons.append("target not yet reached: " + ", ".join(target["short"]))
            return "hold", level, reasons
        reasons.append("target reached: " + ", ".join(target["reached"]))
    elif fc["better"]:
        reasons += [f"its target finding improved: {b}" for b in fc["better"]]
    else:
        reasons.append(
            "no report of the dose reached and no change of its own findings beyond the norm grades"
        )
        return "hold", level, reasons
    if pain == "better":
        reasons.append("pain better with it")
    if level < top:
        return "progress", level + 1, reasons
    reasons.append("already at the highest level allowed")
    return "hold", level, reasons


def follow_up_decisions(
    entries: list[dict[str, Any]],
    previous: dict[str, Any],
    findings: list[Finding],
    present: set[str],
    reports: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Set level, dosage and decision of each exercise; return the progress section."""
    from groundup.plan.build import _entry, _max_level

    reports = reports or {}
    changes = outcome_changes(previous, findings)
    prev_by_id = {e["id"]: e for e in previous.get("exercises", [])}
    for i, entry in enumerate(entries):
        before = prev_by_id.get(entry["id"])
        if before is None:
            entry["decision"] = "new"
            continue
        ex = exercise(entry["id"])
        if ex is None:
            continue
        report = (reports.get(entry["id"]) or {}).get("inputs") or {}
        level = min(int(before.get("level", ex["start_level"])), len(ex["levels"]) - 1)
        top = _max_level(ex, present)
        decision, level, reasons = _decide(entry, before, report, min(level, top), top)
        fc = _finding_change(entry, before)
        if fc["all_normal"] and decision != "regress":
            reasons.append("all its target findings are within the norm: goal met")
            decision = "goal_met" if decision == "hold" else decision
        fresh = _entry(ex, level, entry["side"], None)
        entry.update(
            {
                "level": level,
                "level_name": fresh["level_name"],
                "dosage": fresh["dosage"],
                "patient_instructions": fresh["patient_instructions"],
                "decision": decision,
                "decision_reason": "; ".join(reasons),
                "previous_level": int(before.get("level", 0)),
            }
        )
        if report:
            entry["patient_report"] = report
        entries[i] = entry
    dropped = [
        {"id": e["id"], "reason": "its problem is no longer found"}
        for e in previous.get("exercises", [])
        if e["id"] not in {x["id"] for x in entries}
    ]
    planned = {e["id"] for e in previous.get("exercises", [])}
    unmatched = [
        {"id": ex_id, "reason": "reported, but not an exercise of the previous plan: not used"}
        for ex_id in reports
        if ex_id not in planned
    ]
    worse = [c["outcome"] for c in changes if c["worse_by_mcid"]]
    review = (
        [
            "Worse by at least the MCID: "
            + ", ".join(worse)
            + ". Review the plan as a whole (diagnosis, dose, adherence) rather than regressing "
            "every exercise."
        ]
        if worse
        else []
    )
    return {
        "outcome_changes": changes,
        "dropped": dropped,
        "unmatched_reports": unmatched,
        "review": review,
        "citation": cite(programme()["follow_up"]["source"]),
    }
