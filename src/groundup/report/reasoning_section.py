"""The kinetic-chain explanation (chain.json) and the treatment plan (plan.json).

Both documents are written by :func:`groundup.plan.plan_visit` (schemas ``groundup.chain/1``
and ``groundup.plan/1``, docs/chain-and-plan.md). The report shows them as they are: chains
with their links, each link with its evidence level, confidence and the findings for and
against it; the links considered but not supported; the problem list; exercises with dosage,
education, manual therapy and what was left out of the programme, and why.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from groundup.report.labels import humanize
from groundup.report.numbers import digits_for, join_path, num

EVIDENCE_TEXT = {
    "moderate": "moderate",
    "low": "low",
    "very_low": "very low",
    "expert_opinion": "expert opinion",
}
SOURCE_TEXT = {
    "exam_test": "exam",
    "questionnaire": "questionnaire",
    "c3d_gait": "C3D gait",
    "video_gait": "video gait",
}
DECISION_TEXT = {
    "new": "new",
    "progress": "progress",
    "hold": "hold",
    "regress": "regress",
    "goal_met": "goal met",
}


def _finding_text(finding: dict[str, Any]) -> Markup:
    """A finding as the engine wrote it (its text holds the value), with where it came from."""
    source = finding.get("source")
    if isinstance(source, dict):
        source = source.get("kind")
    tag = SOURCE_TEXT.get(str(source), str(source or "").replace("_", " "))
    text = Markup("{}").format(finding.get("text", finding.get("id", "")))
    return text + (Markup(' <span class="muted">[{}]</span>').format(tag) if tag else Markup(""))


def _citation_keys(node: dict[str, Any]) -> list[str]:
    return [str(c.get("key", "")) for c in node.get("citations") or [] if isinstance(c, dict)]


def _confidence(base: str, node: dict[str, Any]) -> Markup:
    conf = node.get("confidence")
    if not isinstance(conf, dict):
        return Markup("–")
    return Markup("{} ({})").format(
        conf.get("label", ""), num(conf.get("value"), f"{base}/confidence/value", 2)
    )


def _link_view(base: str, link: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": link.get("title") or f"{link.get('from', '')} → {link.get('to', '')}",
        "side": link.get("side") or "",
        "text": link.get("text", ""),
        "evidence": EVIDENCE_TEXT.get(link.get("evidence_level", ""), ""),
        "confidence": _confidence(base, link) if link.get("confidence") else Markup(""),
        "label": (link.get("confidence") or {}).get("label", ""),
        "supporting": [_finding_text(f) for f in link.get("supporting") or []],
        "against": [_finding_text(f) for f in link.get("contradicting") or []],
        "reason": link.get("reason", ""),
        "citations": _citation_keys(link),
    }


def chain_view(chain: dict[str, Any]) -> dict[str, Any]:
    """Chains (each link shown once even when two chains share it), problems, links considered."""
    chains = []
    links: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for ci, ch in enumerate(chain.get("chains") or []):
        cbase = join_path("chain", "chains", ci)
        numbers = []
        for li, link in enumerate(ch.get("links") or []):
            key = (str(link.get("rule")), str(link.get("side")))
            if key not in seen:
                seen[key] = len(links)
                links.append(_link_view(f"{cbase}/links/{li}", link))
            numbers.append(seen[key])
        chains.append(
            {
                "title": ch.get("title", f"Chain {ci + 1}"),
                "side": ch.get("side") or "",
                "confidence": _confidence(cbase, ch),
                "evidence": [
                    Markup("{} ({})").format(links[n]["title"], links[n]["evidence"] or "no level")
                    for n in numbers
                ],
                "links": numbers,
            }
        )
    considered = [
        _link_view(join_path("chain", "links_considered", i), link)
        for i, link in enumerate(chain.get("links_considered") or [])
    ]
    problems = []
    for p in chain.get("problems") or []:
        problems.append(
            {
                "priority": p.get("priority", len(problems) + 1),
                "text": p.get("text", humanize(str(p.get("problem", "")))),
                "region": humanize(str(p.get("region", ""))).replace("Hip pelvis", "Hip/pelvis"),
                "side": p.get("side") or "",
                "on_chain": bool(p.get("on_chain")),
                "findings": [f.get("text", "") for f in p.get("findings") or []],
            }
        )
    psycho = chain.get("psychosocial") or {}
    not_assessed = chain.get("not_assessed") or {}
    return {
        "summary": chain.get("summary", ""),
        "chains": chains,
        "links": links,
        "considered": considered,
        "problems": problems,
        "red_flags": [f.get("text", "") for f in chain.get("red_flags") or []],
        "psychosocial": psycho.get("text", "") if psycho.get("risk") != "not_assessed" else "",
        "psychosocial_actions": list(psycho.get("actions") or []),
        "no_chain_reason": chain.get("no_chain_reason") or "",
        "not_assessed_measures": [humanize(m) for m in not_assessed.get("measures") or []],
    }


DOSAGE_WORDS: tuple[tuple[str, str, str], ...] = (
    ("sets", "sets", ""),
    ("reps", "repetitions", ""),
    ("hold_s", "hold", "s"),
    ("duration_s", "for", "s"),
    ("duration_min", "for", "min"),
    ("times_per_day", "times a day", ""),
    ("days_per_week", "days a week", ""),
    ("weeks", "weeks", ""),
)


def dosage_text(base: str, dosage: dict[str, Any] | None) -> Markup:
    """Sets, repetitions, hold, frequency, weeks: each number read from plan.json."""
    parts: list[Markup] = []
    for key, word, unit in DOSAGE_WORDS:
        value = (dosage or {}).get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            n = num(value, f"{base}/{key}", digits_for(value, 1), unit)
            parts.append(
                Markup("{} {}").format(word, n)
                if word in {"hold", "for"}
                else Markup("{} {}").format(n, word)
            )
    return Markup(", ").join(parts)


def _item_view(base: str, item: dict[str, Any]) -> dict[str, Any]:
    n_levels = item.get("n_levels")
    level = item.get("level")
    return {
        "id": item.get("id", ""),
        "name": item.get("name") or humanize(str(item.get("id", ""))),
        "kind": item.get("kind", ""),
        "purpose": item.get("purpose", ""),
        "targets": list(item.get("targets") or []),
        "side": item.get("side") if item.get("side") not in (None, "both") else "",
        "level": (
            Markup("{} (level {} of {})").format(item.get("level_name", ""), level + 1, n_levels)
            if isinstance(level, int) and isinstance(n_levels, int) and n_levels > 1
            else item.get("level_name", "")
        ),
        "dosage": dosage_text(f"{base}/dosage", item.get("dosage")),
        "progression": item.get("progression", ""),
        "regression": item.get("regression", ""),
        "decision": DECISION_TEXT.get(item.get("decision", ""), item.get("decision", "")),
        "decision_reason": item.get("decision_reason", ""),
        "followed_up": item.get("decision") not in (None, "", "new"),
        "level_limits": [str(lim.get("text", "")) for lim in item.get("level_limits") or []],
        "instructions": item.get("patient_instructions", ""),
        "stop_if": item.get("stop_if", ""),
        "evidence": EVIDENCE_TEXT.get(item.get("evidence_level", ""), ""),
        "evidence_note": item.get("evidence_note", ""),
        "citations": _citation_keys(item),
    }


def plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": plan.get("status", ""),
        "summary": plan.get("summary", ""),
        "notes": [n for n in plan.get("notes") or [] if n],
        "precautions": [
            p if isinstance(p, str) else humanize(str(p.get("id", "")))
            for p in plan.get("precautions") or []
        ],
        "exercises": [
            _item_view(join_path("plan", "exercises", i), ex)
            for i, ex in enumerate(plan.get("exercises") or [])
        ],
        "education": [
            _item_view(join_path("plan", "education", i), ex)
            for i, ex in enumerate(plan.get("education") or [])
        ],
        "manual": [
            _item_view(join_path("plan", "manual_therapy", i), ex)
            for i, ex in enumerate(plan.get("manual_therapy") or [])
        ],
        "left_out": [
            {
                "name": item.get("name") or humanize(str(item.get("id", ""))),
                "reason": item.get("reason", ""),
            }
            for item in plan.get("left_out") or []
        ],
        "programme_rule": (plan.get("programme_rule") or {}).get("reason", ""),
        "precaution_details": [
            str(p.get("text", p.get("id", ""))) for p in plan.get("precaution_details") or []
        ],
        "advice": [
            {
                "id": a.get("id", ""),
                "title": a.get("title", ""),
                "clinician": a.get("clinician", ""),
                "patient": list(a.get("patient") or []),
                "urgent": bool(a.get("urgent")),
                "citations": _citation_keys(a),
            }
            for a in plan.get("advice") or []
        ],
        "outcome_changes": [
            {
                "outcome": humanize(str(c.get("outcome", ""))),
                "before": num(
                    c.get("before"),
                    join_path("plan", "progress", "outcome_changes", i, "before"),
                    digits_for(c.get("before"), 1),
                ),
                "now": num(
                    c.get("now"),
                    join_path("plan", "progress", "outcome_changes", i, "now"),
                    digits_for(c.get("now"), 1),
                ),
                "judgement": c.get("judgement", ""),
            }
            for i, c in enumerate((plan.get("progress") or {}).get("outcome_changes") or [])
        ],
        "review": list((plan.get("progress") or {}).get("review") or []),
    }
