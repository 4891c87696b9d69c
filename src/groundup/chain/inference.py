"""Kinetic-chain inference: rules as data, links with evidence for and against, a problem list.

The method is a transparent, rule-based weighing (no learned model): a rule
(``knowledge/chain/rules.yaml``) supports a link between two body regions when abnormal findings
are present at both ends on compatible sides. Support is the noisy-OR of the findings' weights
(trust x severity factor) at each end, combined by geometric mean; measured normal findings of the
same measures count against the link; the result is capped by the rule's evidence level
(``knowledge/chain/inference.yaml``). Red flags and psychosocial risk come first and set the
pathway, following the stratified care model of Hill et al. 2011 (Lancet 378:1560-71) and the
red-flag framework of Finucane et al. 2020 (JOSPT 50:350-72).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from groundup.chain.findings import Finding
from groundup.chain.knowledge import cite, inference_settings, load_yaml, problems, rules

REGION_TITLES = {
    "foot": "foot",
    "ankle": "ankle",
    "knee": "knee",
    "hip_pelvis": "hip/pelvis",
    "lumbar": "lumbar spine",
    "gait": "gait",
    "balance": "balance",
    "psychosocial": "psychosocial",
}


def _combine(weights: Iterable[float]) -> float:
    """Noisy-OR: 1 - prod(1 - w)."""
    prod = 1.0
    for w in weights:
        prod *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - prod


def _weight(f: Finding) -> float:
    return f.trust * inference_settings()["severity_factor"].get(f.severity, 0.0)


def _label(value: float, evidence_levels: Iterable[str] = ()) -> str:
    """Confidence word of a value, never stronger than the weakest evidence level allows
    (``evidence_label_cap`` of inference.yaml)."""
    settings = inference_settings()
    labels = [str(b["label"]) for b in settings["confidence_labels"]]
    word = next(
        (str(b["label"]) for b in settings["confidence_labels"] if value >= b["min"]), labels[-1]
    )
    caps = [settings["evidence_label_cap"][e] for e in evidence_levels]
    weakest = max((labels.index(c) for c in caps), default=0)
    return labels[max(labels.index(word), weakest)]


def measure_tags() -> dict[str, set[str]]:
    """Measure id -> the tags its bands can raise (to find normal findings against a link)."""
    out: dict[str, set[str]] = {}
    for name in ("exam.yaml", "analysis.yaml"):
        doc = load_yaml("findings", name)
        for m in doc["measures"]:
            out[m["id"]] = {b["tag"] for b in m.get("bands", [])}
        for var, meanings in (doc.get("curve_deviations") or {}).get("variables", {}).items():
            for m in meanings:
                out[f"curve_{var}_{m['tag']}"] = {m["tag"]}
    return out


def _on_side(f: Finding, side: str | None) -> bool:
    """Sided links use that side's findings and unsided ones; unsided links only unsided ones."""
    return f.side is None or f.side == side


def _finding_ref(f: Finding) -> dict[str, Any]:
    return {
        "id": f.key,
        "text": f.text(),
        "value": f.value,
        "unit": f.unit,
        "side": f.side,
        "severity": f.severity,
        "source": f.source.get("kind"),
        "trust": f.trust,
    }


def _evaluate_rule(
    rule: dict[str, Any],
    findings: list[Finding],
    side: str | None,
    tags_of: dict[str, set[str]],
    sex: str | None,
) -> dict[str, Any] | None:
    settings = inference_settings()
    ends = {}
    for end in ("from", "to"):
        wanted = set(rule[f"{end}_tags"])
        region = rule["link"][end]
        present = [f for f in findings if _on_side(f, side) and wanted & set(f.tags)]
        normal = [
            f
            for f in findings
            if _on_side(f, side)
            and not f.abnormal
            and wanted & tags_of.get(f.measure, set())
            and f.region == region
        ]
        ends[end] = (present, normal)
    (from_yes, from_no), (to_yes, to_no) = ends["from"], ends["to"]
    measured = from_yes or from_no or to_yes or to_no
    if not measured:
        return None
    against = sorted(from_no + to_no, key=lambda f: f.key)
    supported = bool(from_yes and to_yes)
    against_refs = [_finding_ref(f) for f in against]
    notes = []
    sex_note = (rule.get("sex_note") or {}).get(sex or "")
    if sex_note:
        notes.append(sex_note)
        against_refs.append({"id": "context.sex", "text": sex_note, "source": "context"})
    link: dict[str, Any] = {
        "rule": rule["id"],
        "from": rule["link"]["from"],
        "to": rule["link"]["to"],
        "title": f"{REGION_TITLES[rule['link']['from']]} → {REGION_TITLES[rule['link']['to']]}",
        "side": side,
        "supported": supported,
        "text": " ".join(rule["text"].split()),
        "evidence_level": rule["evidence_level"],
        "citations": [cite(k) for k in rule["citations"]],
        "supporting": [_finding_ref(f) for f in sorted(from_yes + to_yes, key=lambda f: f.key)],
        "contradicting": against_refs,
    }
    if not supported:
        missing = [REGION_TITLES[rule["link"][e]] for e, (yes, _) in ends.items() if not yes]
        link["reason"] = "no abnormal finding at the " + " and the ".join(missing)
        return link
    support = math.sqrt(
        _combine(_weight(f) for f in from_yes) * _combine(_weight(f) for f in to_yes)
    )
    against_w = _combine(f.trust * settings["normal_contradiction_factor"] for f in against)
    if sex_note:
        against_w = _combine([against_w, settings["normal_contradiction_factor"]])
    value = support * (1.0 - settings["against_penalty"] * against_w)
    value *= settings["evidence_cap"][rule["evidence_level"]]
    value = round(value, 3)
    link["confidence"] = {
        "value": value,
        "label": _label(value, [rule["evidence_level"]]),
        "support": round(support, 3),
        "against": round(against_w, 3),
    }
    return link


def _links(findings: list[Finding], sex: str | None) -> tuple[list[dict], list[dict]]:
    tags_of = measure_tags()
    supported: list[dict] = []
    considered: list[dict] = []
    for rule in rules():
        sided_results = []
        for side in ("left", "right"):
            link = _evaluate_rule(rule, findings, side, tags_of, sex)
            if link is None:
                continue
            refs = (
                link["supporting"]
                if link["supported"]
                else link["supporting"]
                + [r for r in link["contradicting"] if r.get("source") != "context"]
            )
            if any(r.get("side") == side for r in refs):
                sided_results.append(link)
        if not any(lk["supported"] for lk in sided_results):
            link = _evaluate_rule(rule, findings, None, tags_of, sex)
            if link is not None and (link["supported"] or not sided_results):
                sided_results.append(link)
        for link in sided_results:
            (supported if link["supported"] else considered).append(link)
    return supported, considered


def _paths(edges: list[dict]) -> list[list[dict]]:
    targets = {e["to"] for e in edges}
    starts = [e for e in edges if e["from"] not in targets]
    paths: list[list[dict]] = []

    def walk(path: list[dict]) -> None:
        nxt = [e for e in edges if e["from"] == path[-1]["to"]]
        if not nxt:
            paths.append(path)
        for e in nxt:
            walk([*path, e])

    for e in starts:
        walk([e])
    return paths


def _chains(links: list[dict]) -> list[dict]:
    order = inference_settings()["region_order"]
    chains: list[dict] = []
    for side in ("left", "right", None):
        edges = (
            [lk for lk in links if lk["side"] in (side, None)]
            if side
            else [lk for lk in links if lk["side"] is None]
        )
        if side is not None and not any(lk["side"] == side for lk in edges):
            continue
        paths = _paths(edges)
        if side is None:
            covered = {lk["rule"] for c in chains for lk in c["links"]}
            paths = [p for p in paths if not {lk["rule"] for lk in p} <= covered]
        keep = []
        for p in paths:
            ends = (p[0]["from"], p[-1]["to"])
            longer_same_ends = any(
                len(q) > len(p) and (q[0]["from"], q[-1]["to"]) == ends for q in paths
            )
            if not longer_same_ends:
                keep.append(p)
        for p in keep:
            regions = [p[0]["from"], *[lk["to"] for lk in p]]
            conf = min(lk["confidence"]["value"] for lk in p)
            levels = [lk["evidence_level"] for lk in p]
            side_word = f"{side.capitalize()} " if side else ""
            chains.append(
                {
                    "id": f"{side or 'both'}_{regions[0]}_to_{regions[-1]}",
                    "title": f"{side_word}{REGION_TITLES[regions[0]]}-driven chain: "
                    + " → ".join(REGION_TITLES[r] for r in regions),
                    "side": side,
                    "driver": regions[0],
                    "regions": regions,
                    "reaches_lumbar": regions[-1] == "lumbar",
                    "confidence": {
                        "value": conf,
                        "label": _label(conf, levels),
                        "weakest_evidence": min(levels, key=_evidence_rank),
                    },
                    "summary": _chain_summary(p),
                    "links": p,
                }
            )
    chains.sort(
        key=lambda c: (
            not c["reaches_lumbar"],
            -len(c["regions"]),
            -c["confidence"]["value"],
            order.index(c["driver"]) if c["driver"] in order else 99,
            c["id"],
        )
    )
    return chains


def _evidence_rank(level: str) -> int:
    """Rank of an evidence level, strongest first (the order of ``evidence_cap``)."""
    return -list(inference_settings()["evidence_cap"]).index(level)


def _chain_summary(path: list[dict]) -> str:
    parts = []
    for lk in path:
        conf = lk["confidence"]
        parts.append(
            f"{lk['title']} ({conf['label']} confidence {conf['value']:.2f}, "
            f"evidence {lk['evidence_level'].replace('_', ' ')}; "
            f"{len(lk['supporting'])} finding(s) for, {len(lk['contradicting'])} against)"
        )
    return "; ".join(parts)


_SEVERITY_RANK = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


def _goal_activities(exam: dict[str, Any] | None) -> list[str]:
    """The PSFS activities the patient named (lower case), the patient's own goals."""
    psfs = ((exam or {}).get("questionnaires") or {}).get("psfs") or {}
    acts = (psfs.get("results") or {}).get("activities") or []
    return [str(a.get("activity", "")).lower() for a in acts if isinstance(a, dict)]


def _problems(
    findings: list[Finding], chains: list[dict], pathway: dict, exam: dict[str, Any] | None
) -> list[dict]:
    """The problem list, deduplicated and ranked.

    Order: a referral first; then problems that carry a safety risk (falls, nerve-root signs);
    psychosocial high risk; then the rest by severity beyond the norm, by whether the problem
    limits an activity the patient named in the PSFS, and by the evidence behind it (the trust
    of its strongest finding, raised when it lies on a chain). A problem whose definition says
    ``merge_into`` is folded into the first of those problems that is present (e.g. a left/right
    foot difference into the foot-posture problem of that foot).
    """
    settings = inference_settings()
    order = settings["region_order"]
    on_chain: set[tuple[str, str | None]] = set()
    for c in chains:
        for lk in c["links"]:
            for ref in lk["supporting"]:
                on_chain.add((ref["id"], c["side"]))
    goals = _goal_activities(exam)
    out = []
    for prob in problems():
        tags = set(prob["tags"])
        hits = [f for f in findings if f.abnormal and tags & set(f.tags)]
        if not hits:
            continue
        sided = sorted({f.side for f in hits if f.side})
        groups: list[tuple[str | None, list[Finding]]]
        if "{side}" in prob["text"] and sided:
            groups = [(s, [f for f in hits if f.side in (s, None)]) for s in sided]
        else:
            groups = [(None, hits)]
        for side, group in groups:
            weight = max(_weight(f) for f in group)
            chained = any((f.key, side) in on_chain or (f.key, None) in on_chain for f in group)
            if side is None:
                chained = chained or any(
                    (f.key, s) in on_chain for f in group for s in ("left", "right")
                )
            score = round(weight * (1 + (settings["chain_bonus"] if chained else 0.0)), 3)
            text = prob["text"].replace("{side}", side or "").strip()
            words = [w.lower() for w in prob.get("goal_words", [])]
            goal = [g for g in goals if any(w in g for w in words)]
            entry = {
                "id": f"{prob['id']}.{side}" if side else prob["id"],
                "problem": prob["id"],
                "text": text[0].upper() + text[1:],
                "region": prob["region"],
                "side": side,
                "tags": sorted(tags & {t for f in group for t in f.tags}),
                "on_chain": chained,
                "safety": bool(prob.get("safety", False)),
                "severity": max((f.severity for f in group), key=_SEVERITY_RANK.__getitem__),
                "goals": goal,
                "score": score,
                "findings": [_finding_ref(f) for f in sorted(group, key=lambda f: f.key)],
            }
            if prob.get("advice"):
                entry["advice"] = list(prob["advice"])
            out.append(entry)
    out = _merge_duplicates(out)
    out.sort(
        key=lambda p: (
            not p["safety"],
            p["problem"] != "psychosocial_risk",
            -_SEVERITY_RANK[p["severity"]],
            not p["goals"],
            -p["score"],
            order.index(p["region"]) if p["region"] in order else 99,
            p["id"],
        )
    )
    first = []
    if pathway["decision"] == "refer":
        first.append(
            {
                "id": "red_flags",
                "problem": "red_flags",
                "text": "Referral needed: "
                + "; ".join(f["text"] for f in pathway["red_flags"])
                + ". Refer for medical assessment before treatment",
                "region": "screening",
                "side": None,
                "tags": ["red_flag"],
                "on_chain": False,
                "safety": True,
                "severity": "severe",
                "goals": [],
                "score": 1.0,
                "findings": [],
            }
        )
        # While the pathway is stopped the other problems are not treated: only the referral
        # and the safety problems (which the referral letter should mention) are listed.
        out = [p for p in out if p["safety"]]
    ranked = first + out
    for i, p in enumerate(ranked, start=1):
        p["priority"] = i
    return ranked


def _merge_duplicates(found: list[dict]) -> list[dict]:
    """Fold problems marked ``merge_into`` into a present problem of the same side (or any)."""
    defs = {p["id"]: p for p in problems()}
    kept = []
    for p in found:
        targets = defs[p["problem"]].get("merge_into", [])
        host = next(
            (
                q
                for t in targets
                for q in found
                if q["problem"] == t and (p["side"] is None or q["side"] in (p["side"], None))
            ),
            None,
        )
        if host is None:
            kept.append(p)
            continue
        known = {r["id"] for r in host["findings"]}
        host["findings"] += [r for r in p["findings"] if r["id"] not in known]
        host["tags"] = sorted(set(host["tags"]) | set(p["tags"]))
        host.setdefault("merged", []).append(p["id"])
    return kept


def _pathway(exam: dict[str, Any] | None, findings: list[Finding]) -> dict[str, Any]:
    red_flags: list[dict[str, Any]] = []
    if exam is None:
        decision, message = (
            "not_screened",
            "Red flags were not screened (no exam): screen them before starting treatment.",
        )
        reasons = ["no clinical exam given"]
    else:
        pw = exam.get("pathway") or {}
        decision = str(pw.get("decision", "screening_incomplete"))
        message = str(pw.get("message", ""))
        reasons = list(pw.get("reasons", []))
        for flag in (exam.get("screening") or {}).get("red_flags", {}).get("present", []):
            red_flags.append(
                {
                    "flag": flag.get("flag"),
                    "text": flag.get("text", flag.get("flag")),
                    "urgency": flag.get("urgency"),
                    "citation": flag.get("citation"),
                }
            )
        for ref in (exam.get("safety") or {}).get("referrals", []):
            red_flags.append(
                {
                    "flag": ref.get("id"),
                    "text": ref.get("text", ref.get("id")),
                    "urgency": ref.get("urgency"),
                    "citation": ref.get("citation"),
                }
            )
    risk = next((f for f in findings if f.measure == "start_back_risk"), None)
    psycho: dict[str, Any] = {"risk": str(risk.value) if risk else "not_assessed"}
    if risk is not None and risk.value == "high":
        psycho["text"] = (
            "STarT Back high risk: psychological factors (fear, worry, low mood) are likely to "
            "keep the back pain going. Add pain education and graded activity alongside the "
            "exercises (psychologically informed physiotherapy, Hill 2011)."
        )
        psycho["actions"] = ["pain_education", "graded_activity"]
    elif risk is not None:
        psycho["text"] = f"STarT Back {risk.value} risk."
        psycho["actions"] = []
    else:
        psycho["text"] = "STarT Back not assessed: psychosocial risk unknown."
        psycho["actions"] = []
    psycho["citations"] = [cite("hill2008"), cite("hill2011")]
    return {
        "decision": decision,
        "exercise_pathway": decision == "exercise_pathway",
        "message": message,
        "reasons": reasons,
        "red_flags": red_flags,
        "psychosocial": psycho,
        "citations": [cite("finucane2020")],
    }


def infer_chain(
    findings: list[Finding],
    *,
    exam: dict[str, Any] | None,
    sex: str | None,
    not_assessed: dict[str, Any],
) -> dict[str, Any]:
    """The body of chain.json (without schema/generator) from the findings."""
    findings = sorted(findings, key=lambda f: (f.key, str(f.value)))
    pathway = _pathway(exam, findings)
    refer = pathway["decision"] == "refer"
    links, considered = _links(findings, sex) if not refer else ([], [])
    chains = _chains(links)
    problem_list = _problems(findings, chains, pathway, exam)
    lower_limb = {"foot", "ankle", "knee", "hip_pelvis"}
    lumbar = any(f.abnormal and f.region == "lumbar" for f in findings)
    limb = any(f.abnormal and f.region in lower_limb for f in findings)
    no_chain_reason = None
    if refer:
        no_chain_reason = (
            "Referral first: while a red flag or a safety referral stands, no kinetic chain is "
            "offered as an explanation of the symptoms."
        )
    elif not chains:
        if findings and not any(f.graded for f in findings):
            no_chain_reason = (
                "Nothing measured has a norm to grade it: the values are tracked between "
                "visits, and no chain is drawn from them."
            )
        elif findings and not any(f.abnormal for f in findings):
            no_chain_reason = (
                "Every measured value lies within its norm: no finding beyond a published "
                "limit, so no chain and no problem to treat."
            )
        elif lumbar and not limb:
            no_chain_reason = (
                "Back pain without lower-limb findings: no chain from the ground up was found; "
                "treat the back directly."
            )
        elif not findings:
            no_chain_reason = "Nothing was measured that the chain rules use."
        else:
            no_chain_reason = (
                "The findings do not join into a chain: no rule had abnormal findings at both "
                "of its ends on the same side."
            )
    measured_regions = {f.region for f in findings}
    regions_missing = [r for r in REGION_TITLES if r not in measured_regions]
    summary = _summary(pathway, chains, problem_list, no_chain_reason)
    return {
        "pathway": pathway,
        "red_flags": pathway["red_flags"],
        "psychosocial": pathway["psychosocial"],
        "summary": summary,
        "chains": chains,
        "no_chain_reason": no_chain_reason,
        "problems": problem_list,
        "links_considered": considered,
        "findings": [f.to_json() for f in findings],
        "not_assessed": dict(not_assessed, regions=regions_missing),
    }


def _summary(pathway: dict, chains: list[dict], problems_: list[dict], no_chain: str | None) -> str:
    parts = []
    if pathway["decision"] == "refer":
        flags = ", ".join(f["text"] for f in pathway["red_flags"]) or "red flag"
        parts.append(f"REFER: {flags}.")
    elif pathway["decision"] in ("screening_incomplete", "not_screened"):
        parts.append("Red-flag screening is not complete.")
    if pathway["psychosocial"]["risk"] == "high":
        parts.append("STarT Back high risk: pain education and graded activity alongside.")
    if chains:
        top = chains[0]
        parts.append(
            f"{top['title']} ({top['confidence']['label']} confidence; weakest evidence "
            f"{top['confidence']['weakest_evidence'].replace('_', ' ')})."
        )
    elif no_chain:
        parts.append(no_chain)
    if problems_ and pathway["decision"] != "refer":
        parts.append("Top problems: " + "; ".join(p["text"] for p in problems_[:3]) + ".")
    return " ".join(parts)
