"""Build the treatment plan from the chain: choose, dose and (at follow-up) progress exercises.

Choice: problems in priority order each get the library exercise that targets their most
specific finding tag and is not ruled out by a precaution; a second pass adds second choices
until the home programme reaches its minimum; the programme never exceeds its maximum
(``knowledge/exercises/programme.yaml``, after Henry et al. 1999, Phys Ther 79:270-7). What was
left out is listed with the reason. Red flags withhold the plan; STarT Back high risk adds pain
education and graded activity alongside (Hill et al. 2011, Lancet 378:1560-71). Follow-up
decisions compare re-measured findings and outcome changes with their MCID (Ostelo et al. 2008,
Spine 33:90-4; values from the exam catalogue).
"""

from __future__ import annotations

from typing import Any

from groundup import __version__
from groundup.chain.extract import (
    falls_risk_from_gait,
    findings_from_analysis,
    findings_from_exam,
)
from groundup.chain.findings import Finding
from groundup.chain.inference import infer_chain
from groundup.chain.knowledge import cite
from groundup.errors import InputError
from groundup.plan.inputs import check_document
from groundup.plan.library import advice, exercises, precaution_text, precautions, programme
from groundup.plan.progression import follow_up_decisions, outcome_snapshot

GENERATOR = {"name": "groundup", "version": __version__}
HOME_KINDS = ("home", "gait_cue")


def plan_visit(
    analysis: dict[str, Any] | list[dict[str, Any]] | None,
    exam: dict[str, Any] | None,
    previous: dict[str, Any] | None = None,
    precautions_present: list[str] | tuple[str, ...] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chain.json and plan.json documents of one visit (either input may be None).

    ``analysis`` may be a list: the analyses of several recordings of the same visit.
    """
    if not analysis and exam is None:
        raise InputError(
            "Neither a gait analysis nor an exam was given.",
            "Give --analysis DIR/analysis.json, --exam DIR/exam.json, or both.",
        )
    analyses = [] if analysis is None else analysis if isinstance(analysis, list) else [analysis]
    for doc in analyses:
        check_document(doc, "analysis")
    if exam is not None:
        check_document(exam, "exam")
    if previous is not None:
        check_document(previous, "plan")
    known = precautions()
    unknown = [p for p in precautions_present if p not in known]
    if unknown:
        raise InputError(
            f"Unknown precaution(s): {', '.join(unknown)}.",
            f"Use one of: {', '.join(sorted(known))}.",
        )
    present = _present_precautions(precautions_present, exam)
    sex = (exam or {}).get("patient", {}).get("sex") if exam else None
    findings: list[Finding] = []
    missing: list[str] = []
    inputs_missing = []
    if exam is not None:
        f, m = findings_from_exam(exam)
        findings += f
        missing += m
    else:
        inputs_missing.append("clinical exam (exam.json): red flags, tests and questionnaires")
    gait = [doc for doc in analyses if doc.get("source", {}).get("kind") != "cop"]
    if analyses and not gait:
        inputs_missing.append("gait analysis (the analysis given is a balance recording)")
    elif not analyses:
        inputs_missing.append("gait analysis (analysis.json)")
    # Several recordings of one visit (side view, back view, C3D) each add their findings; a
    # measure counts as not assessed only when no recording held it.
    per_doc_missing: list[set[str]] = []
    for doc in gait:
        f, m = findings_from_analysis(doc, sex)
        findings += f
        per_doc_missing.append(set(m))
    if per_doc_missing:
        missing += sorted(set.intersection(*per_doc_missing))
    findings += falls_risk_from_gait(exam, findings)
    not_assessed = {"inputs": inputs_missing, "measures": sorted(set(missing))}
    body = infer_chain(findings, exam=exam, sex=sex, not_assessed=not_assessed)
    chain = {"schema": "groundup.chain/1", "generator": GENERATOR, **body}
    plan = build_plan(body, findings, present, previous, exam)
    return chain, plan


def _present_precautions(
    given: list[str] | tuple[str, ...], exam: dict[str, Any] | None
) -> list[str]:
    """Precautions given on the command line and those the exam's history and neurological
    screen raise (exam.json ``safety.precautions``), in that order, without repeats; a
    precaution given without the exam details that refine it brings the safer precautions it
    implies (programme.yaml ``implied_precautions``)."""
    from_exam = [p["id"] for p in ((exam or {}).get("safety") or {}).get("precautions", [])]
    present = list(dict.fromkeys([*given, *from_exam]))
    for _pid, rule in _implied(present, exam):
        present += [p for p in rule["add"] if p not in present]
    return present


def _implied(
    present: list[str] | set[str], exam: dict[str, Any] | None
) -> list[tuple[str, dict[str, Any]]]:
    """Precautions present without the exam answer that refines them (programme.yaml
    ``implied_precautions``), with their rule."""
    history = (exam or {}).get("history") or {}
    out = []
    for pid, rule in programme().get("implied_precautions", {}).items():
        detail = rule["detail"]
        answered = ((history.get(detail["entry"]) or {}).get("inputs") or {}).get(detail["field"])
        if pid in present and answered is None:
            out.append((pid, rule))
    return out


def _dosage(ex: dict[str, Any], level: int) -> dict[str, Any]:
    return dict(ex["levels"][level]["dosage"])


def _blocked(ex: dict[str, Any], present: set[str], tags: set[str]) -> list[dict[str, Any]]:
    """Why an exercise is ruled out: precautions it lists as contraindications (or finding tags
    it must not be given with), and precautions that avoid its positions or features."""
    out: list[dict[str, Any]] = []
    for c in ex.get("contraindications", []):
        if c in present or c in tags:
            out.append({"precaution": c, "reason": precaution_text(c), "sources": []})
    for pid in sorted(present):
        avoid = precautions().get(pid, {}).get("avoid")
        if not avoid or any(b["precaution"] == pid for b in out):
            continue
        hit = set(avoid.get("positions", [])) & set(ex.get("positions", [])) or set(
            avoid.get("features", [])
        ) & set(ex.get("features", []))
        if hit:
            out.append(
                {
                    "precaution": pid,
                    "reason": " ".join(str(avoid["reason"]).split()),
                    "sources": list(avoid.get("sources", [])),
                }
            )
    return out


def _blocked_reason(blocked: list[dict[str, Any]]) -> str:
    return "contraindicated: " + "; ".join(b["reason"] for b in blocked)


def _max_level(ex: dict[str, Any], present: set[str]) -> int:
    top = len(ex["levels"]) - 1
    for lim in ex.get("level_limits", []):
        if lim["precaution"] in present:
            top = min(top, int(lim["max_level"]))
    return top


def _level_limits(ex: dict[str, Any], present: set[str]) -> list[dict[str, Any]]:
    return [
        {"precaution": lim["precaution"], "max_level": int(lim["max_level"]), "text": lim["text"]}
        | ({"citation": cite(lim["source"])} if lim.get("source") else {})
        for lim in ex.get("level_limits", [])
        if lim["precaution"] in present
    ]


def _entry(
    ex: dict[str, Any], level: int, side: str | None, problem: dict[str, Any] | None
) -> dict[str, Any]:
    lv = ex["levels"][level]
    out = {
        "id": ex["id"],
        "name": ex["name"],
        "kind": ex["kind"],
        "purpose": ex["purpose"],
        "side": side,
        "problems": [problem["id"]] if problem else [],
        "targets": [problem["text"]] if problem else [],
        "target_tags": list(ex["targets"]),
        "level": level,
        "level_name": lv["name"],
        "n_levels": len(ex["levels"]),
        "dosage": _dosage(ex, level),
        "progression": ex["progression_criteria"],
        "regression": ex["regression_criteria"],
        "patient_instructions": lv.get("instructions", ""),
        "stop_if": ex.get("stop_if", ""),
        "decision": "new",
        "decision_reason": "chosen for " + (problem["text"] if problem else "the plan"),
        "evidence_level": ex["evidence_level"],
        "citations": [cite(k) for k in ex["citations"]],
    }
    if ex.get("evidence_note"):
        out["evidence_note"] = ex["evidence_note"]
    return out


def _merge_side(a: str | None, b: str | None) -> str | None:
    if a == b:
        return a
    return "both"


def _snapshot(findings: list[Finding], tags: list[str], side: str | None) -> list[dict[str, Any]]:
    out = []
    for f in findings:
        tag_hit = set(tags) & (set(f.tags) | _possible_tags(f))
        if tag_hit and (side in (None, "both") or f.side in (None, side)):
            out.append({"id": f.key, "value": f.value, "severity": f.severity})
    return sorted(out, key=lambda r: r["id"])


def _possible_tags(f: Finding) -> set[str]:
    from groundup.chain.inference import measure_tags

    return measure_tags().get(f.measure, set())


def _advice(present: set[str], problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Safety-net and stop-sign advice of the precautions and the problems, each once."""
    ids: list[str] = []
    for pid in sorted(present):
        ids += precautions().get(pid, {}).get("advice", [])
    for prob in problems:
        ids += prob.get("advice", [])
    out = []
    for aid in dict.fromkeys(ids):
        body = advice()[aid]
        out.append(
            {
                "id": aid,
                "title": body["title"],
                "clinician": " ".join(str(body["clinician"]).split()),
                "patient": [" ".join(str(t).split()) for t in body["patient"]],
                "urgent": bool(body.get("urgent", False)),
                "citations": [cite(k) for k in body["sources"]],
            }
        )
    return out


def build_plan(
    chain: dict[str, Any],
    findings: list[Finding],
    present: list[str],
    previous: dict[str, Any] | None,
    exam: dict[str, Any] | None,
) -> dict[str, Any]:
    """The plan.json document for the chain of this visit."""
    rules = programme()
    home = rules["home_programme"]
    pathway = chain["pathway"]
    decision = pathway["decision"]
    tags = {t for f in findings if f.abnormal for t in f.tags}
    present_set = set(present)
    notes: list[str] = []
    status = "active"
    if decision == "refer":
        status = "withheld"
        flags = "; ".join(f["text"] for f in pathway["red_flags"]) or "a red flag"
        notes.append(
            f"Plan withheld: {flags}. Refer for medical assessment first; "
            "the exercise pathway starts only once serious pathology is ruled out."
        )
    elif decision != "exercise_pathway":
        status = "provisional"
        notes.append(
            "Provisional plan: red-flag screening is not complete "
            f"({pathway['message'] or decision}). Complete it before the patient starts."
        )
    for pid, rule in _implied(present_set, exam):
        notes.append(
            f"{precaution_text(pid).capitalize()} given without its details: "
            f"{rule['reason']} ({cite(rule['source'])['citation'].split('.')[0]})."
        )
    plan: dict[str, Any] = {
        "schema": "groundup.plan/1",
        "generator": GENERATOR,
        "visit": {
            "kind": "follow_up" if previous else "initial",
            "exam_date": (exam or {}).get("exam_date"),
            "previous_exam_date": (previous or {}).get("visit", {}).get("exam_date"),
        },
        "status": status,
        "pathway": decision,
        "summary": "",
        "notes": notes,
        "precautions": sorted(present_set),
        "precaution_details": [
            {"id": pid, "text": precaution_text(pid)} for pid in sorted(present_set)
        ],
        "advice": _advice(present_set, chain["problems"]),
        "programme_rule": {
            "min_exercises": home["min_exercises"],
            "max_exercises": home["max_exercises"],
            "reason": " ".join(home["reason"].split()),
            "citation": cite(home["source"]),
        },
        "exercises": [],
        "education": [],
        "manual_therapy": [],
        "left_out": [],
        "outcomes": outcome_snapshot(findings),
        "progress": None,
        "not_assessed": chain["not_assessed"],
    }
    if status == "withheld":
        plan["summary"] = notes[0]
        return plan
    problems = [p for p in chain["problems"] if p["problem"] not in ("red_flags",)]
    chosen: dict[str, dict[str, Any]] = {}
    left_out: dict[str, dict[str, Any]] = {}
    library = exercises()

    def candidates(problem: dict[str, Any]) -> list[dict[str, Any]]:
        ptags = set(problem["tags"])
        hits = []
        for i, ex in enumerate(library):
            if ex["kind"] not in HOME_KINDS:
                continue
            ranks = [ex["targets"].index(t) for t in ptags if t in ex["targets"]]
            if ranks:
                hits.append((min(ranks), i, ex))
        return [ex for _, _, ex in sorted(hits, key=lambda h: (h[0], h[1]))]

    def count() -> int:
        return sum(1 for e in chosen.values() if e["kind"] in home["counts_kinds"])

    def add(ex: dict[str, Any], problem: dict[str, Any]) -> bool:
        if ex["id"] in chosen:
            entry = chosen[ex["id"]]
            entry["side"] = _merge_side(entry["side"], problem["side"])
            if problem["id"] not in entry["problems"]:
                entry["problems"].append(problem["id"])
                entry["targets"].append(problem["text"])
            return True
        blocked = _blocked(ex, present_set, tags)
        if blocked:
            left_out[ex["id"]] = {
                "id": ex["id"],
                "name": ex["name"],
                "reason": _blocked_reason(blocked),
                "precautions": [b["precaution"] for b in blocked],
                "for_problem": problem["id"],
                "citations": [cite(k) for b in blocked for k in b["sources"]]
                or [cite(k) for k in ex["citations"]],
            }
            return False
        over_limit = count() >= home["max_exercises"]
        served = any(problem["id"] in e["problems"] for e in chosen.values())
        if over_limit and (not problem.get("safety") or served):
            left_out.setdefault(
                ex["id"],
                {
                    "id": ex["id"],
                    "name": ex["name"],
                    "reason": f"home programme full (at most {home['max_exercises']} "
                    f"exercises); an alternative for: {problem['text']}",
                    "citations": [cite(home["source"])],
                },
            )
            return False
        level = min(int(ex["start_level"]), _max_level(ex, present_set))
        entry = _entry(ex, level, problem["side"], problem)
        limits = _level_limits(ex, present_set)
        if limits:
            entry["level_limits"] = limits
        if over_limit:
            entry["decision_reason"] += (
                f"; added beyond the usual {home['max_exercises']} exercises because the "
                "problem carries a safety risk"
            )
        chosen[ex["id"]] = entry
        left_out.pop(ex["id"], None)
        return True

    for before in (previous or {}).get("exercises", []):
        ex = next((x for x in library if x["id"] == before["id"]), None)
        if ex is None or ex["kind"] not in HOME_KINDS:
            continue
        blocked = _blocked(ex, present_set, tags)
        if blocked:
            left_out[ex["id"]] = {
                "id": ex["id"],
                "name": ex["name"],
                "reason": _blocked_reason(blocked) + " (stopped since the last visit)",
                "precautions": [b["precaution"] for b in blocked],
                "citations": [cite(k) for b in blocked for k in b["sources"]]
                or [cite(k) for k in ex["citations"]],
            }
            continue
        level = min(int(before.get("level", 0)), _max_level(ex, present_set))
        entry = _entry(ex, level, before.get("side"), None)
        entry["problems"] = list(before.get("problems", []))
        entry["targets"] = list(before.get("targets", []))
        entry["measured"] = before.get("measured", [])
        limits = _level_limits(ex, present_set)
        if limits:
            entry["level_limits"] = limits
        chosen[ex["id"]] = entry
    treatable = [p for p in problems if p["problem"] != "psychosocial_risk"]
    for problem in treatable:
        for ex in candidates(problem):
            if add(ex, problem):
                break
    for problem in treatable:
        if count() >= home["min_exercises"]:
            break
        extra = [ex for ex in candidates(problem) if ex["id"] not in chosen]
        for ex in extra:
            if add(ex, problem):
                break
    for problem in treatable:
        for ex in candidates(problem):
            if (
                ex["id"] not in chosen
                and ex["id"] not in left_out
                and count() >= home["max_exercises"]
            ):
                add(ex, problem)
    for item in left_out.values():
        if item.get("for_problem"):
            used = [
                e["name"]
                for e in chosen.values()
                if any(p == item["for_problem"] for p in e["problems"])
            ]
            if used:
                item["replaced_by"] = used
                item["reason"] += "; replaced by " + ", ".join(used)
    for ex in library:
        if ex["kind"] == "manual" and set(ex["targets"]) & tags:
            blocked = _blocked(ex, present_set, tags)
            if blocked:
                left_out[ex["id"]] = {
                    "id": ex["id"],
                    "name": ex["name"],
                    "reason": _blocked_reason(blocked),
                    "citations": [cite(k) for k in ex["citations"]],
                }
                continue
            entry = _entry(ex, 0, None, None)
            entry["targets"] = sorted(set(ex["targets"]) & tags)
            plan["manual_therapy"].append(entry)
        if ex["kind"] == "education" and ex["id"] in pathway["psychosocial"].get("actions", []):
            entry = _entry(ex, 0, None, None)
            entry["decision_reason"] = "STarT Back high risk"
            plan["education"].append(entry)
    entries = list(chosen.values())
    for e in entries:
        e["measured"] = _snapshot(findings, e["target_tags"], e["side"])
    unaddressed = [
        p["text"]
        for p in treatable
        if p.get("safety") and not any(p["id"] in e["problems"] for e in entries)
    ]
    for text in unaddressed:
        notes.append(f"Safety problem without a home exercise: {text}; see the advice section.")
    if previous is not None:
        plan["progress"] = follow_up_decisions(
            entries, previous, findings, present_set, (exam or {}).get("exercise_report") or {}
        )
    plan["exercises"] = entries
    plan["left_out"] = sorted(left_out.values(), key=lambda x: x["id"])
    n = count()
    plan["summary"] = _summary(plan, n)
    return plan


def _summary(plan: dict[str, Any], n: int) -> str:
    parts = [f"{n} home exercise(s)"]
    if plan["education"]:
        parts.append("pain education and graded activity alongside")
    if plan["manual_therapy"]:
        parts.append(f"{len(plan['manual_therapy'])} manual-therapy suggestion(s)")
    text = ", ".join(parts) + "."
    if plan["status"] == "provisional":
        text = "Provisional: " + text
    if plan["progress"]:
        counts: dict[str, int] = {}
        for e in plan["exercises"]:
            counts[e["decision"]] = counts.get(e["decision"], 0) + 1
        text += " Follow-up: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "."
    return text
