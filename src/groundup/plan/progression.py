"""Follow-up: progress, hold or regress each exercise from re-measured findings and outcomes.

Outcome changes are judged against the MCIDs of the exam catalogue (Ostelo et al. 2008 for ODI,
RMDQ and NRS; Maughan & Lewis 2010 for the PSFS), rules in ``knowledge/exercises/programme.yaml``.
"""

from __future__ import annotations

from typing import Any

from groundup.chain.findings import SEVERITIES, Finding
from groundup.chain.knowledge import cite
from groundup.exam.catalogue import load_catalogue
from groundup.plan.library import exercise, programme


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


def _mcid(name: str) -> list[dict[str, Any]]:
    cat = load_catalogue()
    items = cat.entry(name).items_of("mcid")
    return [dict(item, citation=cat.cite(item)) for item in items]


def outcome_changes(previous: dict[str, Any], findings: list[Finding]) -> list[dict[str, Any]]:
    """Each outcome measured at both visits with its change and whether it passes its MCID."""
    old = previous.get("outcomes") or {}
    new = outcome_snapshot(findings)
    out = []
    for name, now in new.items():
        before = old.get(name)
        if not before:
            continue
        sign = -1.0 if now["direction"] == "lower_is_better" else 1.0
        improvement = round(sign * (now["value"] - before["value"]), 3)
        mcids = _mcid(name)
        improved = worse = False
        used = []
        for item in mcids:
            if item["unit"] == "pct_of_baseline":
                limit = abs(before["value"]) * item["value"] / 100.0
            else:
                limit = float(item["value"])
            if limit <= 0:
                continue
            used.append({"id": item["id"], "value": item["value"], "unit": item["unit"]})
            improved = improved or improvement >= limit
            if item["unit"] != "pct_of_baseline":
                worse = worse or -improvement >= limit
        out.append(
            {
                "outcome": name,
                "before": before["value"],
                "now": now["value"],
                "improvement": improvement,
                "mcid": used,
                "improved_by_mcid": improved,
                "worse_by_mcid": worse,
                "citations": [m["citation"] for m in mcids],
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


def follow_up_decisions(
    entries: list[dict[str, Any]],
    previous: dict[str, Any],
    findings: list[Finding],
    present: set[str],
) -> dict[str, Any]:
    """Set level, dosage and decision of each exercise; return the progress section."""
    changes = outcome_changes(previous, findings)
    out_better = [c["outcome"] for c in changes if c["improved_by_mcid"]]
    out_worse = [c["outcome"] for c in changes if c["worse_by_mcid"]]
    prev_by_id = {e["id"]: e for e in previous.get("exercises", [])}
    from groundup.plan.build import _entry, _max_level

    for i, entry in enumerate(entries):
        before = prev_by_id.get(entry["id"])
        if before is None:
            entry["decision"] = "new"
            continue
        ex = exercise(entry["id"])
        if ex is None:
            continue
        fc = _finding_change(entry, before)
        level = int(before.get("level", ex["start_level"]))
        top = _max_level(ex, present)
        reasons = []
        if fc["worse"] or out_worse:
            decision = "regress"
            level = max(0, level - 1)
            reasons += [f"worse: {w}" for w in fc["worse"]]
            reasons += [f"{o} worse by at least its MCID" for o in out_worse]
        elif fc["better"] or out_better:
            reasons += [f"better: {b}" for b in fc["better"]]
            reasons += [f"{o} improved by at least its MCID" for o in out_better]
            if level < top:
                decision = "progress"
                level += 1
            else:
                decision = "hold"
                reasons.append("already at the highest level allowed")
        else:
            decision = "hold"
            reasons.append("no change beyond measurement error or MCID")
        if fc["all_normal"] and decision != "regress":
            reasons.append("all target findings are within the norm: goal met for this exercise")
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
        entries[i] = entry
    dropped = [
        {"id": e["id"], "reason": "its problem is no longer found"}
        for e in previous.get("exercises", [])
        if e["id"] not in {x["id"] for x in entries}
    ]
    return {
        "outcome_changes": changes,
        "dropped": dropped,
        "citation": cite(programme()["follow_up"]["source"]),
    }
