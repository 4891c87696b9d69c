"""The kinetic-chain explanation (chain.json) and the treatment plan (plan.json).

Both documents are written by the reasoning engine (``groundup plan``). The report reads them
as they are: links with the findings for and against, confidence and evidence level; exercises
with their dosage. Keys are read defensively so that an optional field left out by the engine
shows as absent, never as an error.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from groundup.report.labels import humanize
from groundup.report.numbers import digits_for, join_path, num


def _first(d: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in d and d[key] not in (None, "", [], {}):
            return d[key]
    return default


def _finding_text(base: str, finding: Any) -> Markup:
    if isinstance(finding, str):
        return Markup("{}").format(finding)
    if not isinstance(finding, dict):
        return Markup("")
    text = _first(finding, "text", "label", "description", "id", default="")
    parts = [Markup("{}").format(text)]
    value = finding.get("value")
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and str(value) not in str(text)
    ):
        unit = finding.get("unit", "")
        parts.append(Markup("({})").format(num(value, f"{base}/value", digits_for(value, 1), unit)))
    source = _first(finding, "source", "source_kind")
    if isinstance(source, str):
        parts.append(Markup('<span class="muted">[{}]</span>').format(source.replace("_", " ")))
    return Markup(" ").join(parts)


def _citation_keys(node: dict[str, Any]) -> list[str]:
    cites = _first(node, "citations", "sources", default=[])
    keys = []
    for c in cites if isinstance(cites, list) else []:
        if isinstance(c, str):
            keys.append(c)
        elif isinstance(c, dict):
            keys.append(str(_first(c, "key", "id", "citation", default="")))
    return keys


def _confidence(base: str, link: dict[str, Any]) -> Markup:
    conf = link.get("confidence")
    if isinstance(conf, int | float) and not isinstance(conf, bool):
        return num(conf, f"{base}/confidence", 2)
    if isinstance(conf, str):
        return Markup("{}").format(conf)
    if isinstance(conf, dict):
        label = conf.get("label") or conf.get("level") or ""
        value = conf.get("value") if isinstance(conf.get("value"), int | float) else None
        if value is not None:
            return Markup("{} ({})").format(label, num(value, f"{base}/confidence/value", 2))
        return Markup("{}").format(label)
    return Markup("–")


def chain_view(chain: dict[str, Any]) -> dict[str, Any]:
    chains_raw = _first(chain, "chains", default=None)
    if chains_raw is None and "links" in chain:
        chains_raw = [chain]
    chains = []
    for ci, ch in enumerate(chains_raw or []):
        cbase = join_path("chain", "chains", ci) if "chains" in chain else "chain"
        links = []
        for li, link in enumerate(ch.get("links") or []):
            lbase = f"{cbase}/links/{li}"
            supporting = _first(link, "supporting", "findings_for", "for", "support", default=[])
            against = _first(link, "contradicting", "findings_against", "against", default=[])
            sup_key = next(
                (k for k in ("supporting", "findings_for", "for", "support") if k in link),
                "supporting",
            )
            con_key = next(
                (k for k in ("contradicting", "findings_against", "against") if k in link),
                "contradicting",
            )
            links.append(
                {
                    "title": _first(link, "title", "label", "name", default="")
                    or " → ".join(str(x) for x in (link.get("from"), link.get("to")) if x),
                    "explanation": _first(
                        link, "text", "explanation", "therapist_text", default=""
                    ),
                    "confidence": _confidence(lbase, link),
                    "evidence": humanize(
                        str(_first(link, "evidence_level", "evidence", default=""))
                    )
                    if not isinstance(link.get("evidence"), dict)
                    else humanize(str(link["evidence"].get("level", ""))),
                    "supporting": [
                        _finding_text(f"{lbase}/{sup_key}/{i}", f) for i, f in enumerate(supporting)
                    ],
                    "against": [
                        _finding_text(f"{lbase}/{con_key}/{i}", f) for i, f in enumerate(against)
                    ],
                    "citations": _citation_keys(link),
                }
            )
        chains.append(
            {
                "title": _first(ch, "title", "label", "name", "id", default=f"Chain {ci + 1}"),
                "summary": _first(ch, "summary", "text", default=""),
                "confidence": _confidence(cbase, ch) if "confidence" in ch else None,
                "links": links,
            }
        )
    problems = []
    for pi, p in enumerate(_first(chain, "problems", "problem_list", default=[]) or []):
        if isinstance(p, dict):
            problems.append(
                {
                    "text": _first(p, "text", "title", "label", "problem", "id", default=""),
                    "region": humanize(str(p.get("region", ""))),
                    "side": p.get("side") or "",
                    "priority": p.get("priority", pi + 1),
                }
            )
        else:
            problems.append({"text": str(p), "region": "", "side": "", "priority": pi + 1})
    flags = []
    for f in _first(chain, "red_flags", "alerts", "flags", default=[]) or []:
        flags.append(f if isinstance(f, str) else _first(f, "text", "message", "flag", default=""))
    psycho = _first(chain, "psychosocial", "psychosocial_risk", default=None)
    return {
        "chains": chains,
        "problems": problems,
        "flags": [f for f in flags if f],
        "psychosocial": psycho
        if isinstance(psycho, str)
        else (
            _first(psycho, "text", "message", "risk", default="")
            if isinstance(psycho, dict)
            else ""
        ),
        "summary": _first(chain, "summary", "text", default=""),
        "no_chain_reason": _first(chain, "no_chain_reason", "message", default=""),
    }


def dosage_text(base: str, dosage: Any) -> Markup:
    """Sets x reps (or hold), frequency, weeks: each number read from plan.json."""
    if isinstance(dosage, str):
        return Markup("{}").format(dosage)
    if not isinstance(dosage, dict):
        return Markup("")
    if isinstance(dosage.get("text"), str) and len(dosage) == 1:
        return Markup("{}").format(dosage["text"])
    parts: list[Markup] = []
    labels = (
        ("sets", "sets", ""),
        ("reps", "repetitions", ""),
        ("hold_s", "hold", "s"),
        ("duration_s", "for", "s"),
        ("duration_min", "for", "min"),
        ("per_day", "times a day", ""),
        ("times_per_day", "times a day", ""),
        ("days_per_week", "days a week", ""),
        ("sessions_per_week", "sessions a week", ""),
        ("weeks", "weeks", ""),
    )
    for key, word, unit in labels:
        value = dosage.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            n = num(value, f"{base}/{key}", digits_for(value, 1), unit)
            parts.append(
                Markup("{} {}").format(word, n)
                if word in {"hold", "for"}
                else Markup("{} {}").format(n, word)
            )
        elif isinstance(value, str) and value:
            parts.append(Markup("{} {}").format(value, word))
    for key in ("frequency", "side", "notes", "text"):
        if isinstance(dosage.get(key), str) and dosage[key]:
            parts.append(Markup("{}").format(dosage[key]))
    return Markup(", ").join(parts)


def plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    exercises = []
    items = _first(plan, "exercises", "home_programme", "home_program", "items", default=[]) or []
    items_key = next(
        (k for k in ("exercises", "home_programme", "home_program", "items") if k in plan),
        "exercises",
    )
    for i, ex in enumerate(items):
        if not isinstance(ex, dict):
            continue
        ebase = join_path("plan", items_key, i)
        dose_key = next((k for k in ("dosage", "dose", "prescription") if k in ex), "dosage")
        exercises.append(
            {
                "id": _first(ex, "id", "exercise_id", "exercise", default=""),
                "name": _first(
                    ex, "name", "title", "label", default=humanize(str(ex.get("id", "")))
                ),
                "purpose": _first(ex, "purpose", "reason", "why", default=""),
                "targets": [
                    str(t) if not isinstance(t, dict) else _first(t, "text", "id", default="")
                    for t in (_first(ex, "targets", "target_findings", default=[]) or [])
                ],
                "dosage": dosage_text(f"{ebase}/{dose_key}", ex.get(dose_key)),
                "progression": _first(ex, "progression", "progress_when", default=""),
                "regression": _first(ex, "regression", "regress_when", default=""),
                "status": _first(ex, "decision", "status", "action", default=""),
                "instructions": _first(ex, "patient_instructions", "instructions", default=""),
                "stop_if": _first(ex, "stop_if", "patient_stop_if", default=""),
                "side": ex.get("side") or "",
                "citations": _citation_keys(ex),
                "evidence": humanize(str(_first(ex, "evidence_level", default=""))),
            }
        )
    manual = []
    for m in _first(plan, "manual_therapy", "therapist_techniques", default=[]) or []:
        if isinstance(m, dict):
            manual.append(
                {
                    "name": _first(m, "name", "title", "id", default=""),
                    "purpose": _first(m, "purpose", "reason", "text", default=""),
                    "citations": _citation_keys(m),
                }
            )
        else:
            manual.append({"name": str(m), "purpose": "", "citations": []})
    notes = []
    for n in _first(plan, "notes", "pathway_notes", "reasons", default=[]) or []:
        notes.append(n if isinstance(n, str) else _first(n, "text", "message", default=""))
    return {
        "exercises": exercises,
        "manual": manual,
        "notes": [n for n in notes if n],
        "summary": _first(plan, "summary", "rationale", default=""),
        "pathway": _first(plan, "pathway", default=""),
    }
