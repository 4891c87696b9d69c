"""Findings from analysis.json and exam.json, driven by ``knowledge/findings/*.yaml``.

Each measure of the mapping names where its value lives in the JSON document, its body region,
the norm (with its source) and the bands that grade it. A key the document does not contain is
skipped and reported as not assessed, so older or newer documents work alike; a new key needs one
YAML entry and no code.
"""

from __future__ import annotations

from typing import Any

from groundup.chain.findings import Finding
from groundup.chain.knowledge import KnowledgeError, cite, load_yaml, trust_classes

SIDES = ("left", "right")
_MISSING = object()


def get_path(doc: Any, path: str) -> Any:
    """Value at a dotted path, or ``_MISSING``."""
    node = doc
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _compare(op: str, value: Any, limit: Any) -> bool:
    if op == "==":
        return value == limit
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if op == "abs>":
        return abs(value) > limit
    return {
        ">": value > limit,
        ">=": value >= limit,
        "<": value < limit,
        "<=": value <= limit,
    }[op]


def _widened(op: str, limit: Any, allowance: float) -> Any:
    """A band limit moved away from normal by a measurement-error allowance."""
    if not allowance or not isinstance(limit, int | float):
        return limit
    return limit - allowance if op in ("<", "<=") else limit + allowance


def grade(
    measure: dict[str, Any],
    value: Any,
    sex: str | None,
    reference: float | None,
    allowance: float = 0.0,
) -> tuple[str, tuple[str, ...], str, float | None] | None:
    """(severity, tags, result label, limit used) of a value, or None when it cannot be graded.
    ``allowance``: the input's measurement error, added beyond every band limit."""
    if not measure.get("bands"):
        text = measure.get("ungraded_result", "no norm: tracked for change between visits")
        return "none", (), str(text), None
    sex_key = sex if sex in ("female", "male") else "unknown"
    applicable = [b for b in measure.get("bands", []) if b.get("sex", sex_key) == sex_key]
    if any(b["value"] == "ref" for b in applicable) and reference is None:
        return None
    for band in applicable:
        limit = _widened(
            band["op"], reference if band["value"] == "ref" else band["value"], allowance
        )
        if _compare(band["op"], value, limit):
            return band["severity"], (band["tag"],), band["label"], limit
    limit = reference if reference is not None else None
    return "none", (), "within the norm", limit


def _norm(measure: dict[str, Any], limit: float | None) -> dict[str, Any]:
    norm = {"text": measure["norm"]["text"], "citation": cite(measure["norm"]["source"])}
    if limit is not None:
        norm["reference_value"] = limit
    return norm


def _trust(trust_class: str) -> float:
    try:
        return float(trust_classes()[trust_class]["weight"])
    except KeyError:
        raise KnowledgeError(
            f"Unknown trust class {trust_class!r} in the findings map.",
            "Add it to knowledge/findings/trust.yaml.",
        ) from None


def _make(
    measure: dict[str, Any],
    side: str | None,
    value: Any,
    sex: str | None,
    reference: float | None,
    trust_class: str,
    source: dict[str, Any],
    allowance: float = 0.0,
) -> Finding | None:
    graded = grade(measure, value, sex, reference, allowance)
    if graded is None:
        return None
    severity, tags, result, limit = graded
    if isinstance(value, float):
        value = round(value, 4)
    return Finding(
        measure=measure["id"],
        region=measure["region"],
        side=side,
        value=value,
        unit=measure["unit"],
        label=measure["label"],
        severity=severity,
        tags=tags,
        result=result,
        norm=_norm(measure, limit),
        source=source,
        trust=_trust(trust_class),
        trust_class=trust_class,
        outcome=bool(measure.get("outcome", False)),
        graded=bool(measure.get("bands")),
    )


def _side_of(measure: dict[str, Any], value: Any, results: Any) -> str | None:
    rule = measure.get("side_from_sign")
    if rule and isinstance(value, int | float) and not isinstance(value, bool):
        if value > 0:
            return rule["positive"]
        if value < 0:
            return rule["negative"]
        return None
    key = measure.get("side_from_result")
    if key:
        side = get_path(results, key)
        return side if side in SIDES else None
    return None


def _reference(entry: dict[str, Any], measure: dict[str, Any], side: str | None) -> float | None:
    name = measure.get("reference_measure")
    if not name:
        return None
    for comp in entry.get("comparisons", []):
        if comp.get("measure") == name and comp.get("side") == side:
            ref = comp.get("reference_value")
            return float(ref) if isinstance(ref, int | float) else None
    return None


def _values(measure: dict[str, Any], doc: Any) -> list[tuple[str | None, Any]]:
    """(side, value) pairs present in ``doc`` for this measure."""
    path = measure["path"]
    if "{side}" in path:
        out = []
        for side in SIDES:
            value = get_path(doc, path.replace("{side}", side))
            if value is not _MISSING and value is not None:
                out.append((side, value))
        return out
    value = get_path(doc, path)
    if value is _MISSING or value is None:
        return []
    return [(_side_of(measure, value, doc), value)]


def findings_from_exam(exam: dict[str, Any]) -> tuple[list[Finding], list[str]]:
    """Findings of a ``groundup.exam/1`` document and the measure ids it did not assess."""
    sex = (exam.get("patient") or {}).get("sex")
    findings: list[Finding] = []
    missing: list[str] = []
    for measure in load_yaml("findings", "exam.yaml")["measures"]:
        if measure["section"] == "safety":
            summary = exam.get("safety")
            entry = {"results": summary, "title": "safety summary"} if summary else None
        else:
            entry = (exam.get(measure["section"]) or {}).get(measure["test"])
        if not isinstance(entry, dict) or entry.get("status") == "error":
            missing.append(measure["id"])
            continue
        results = entry.get("results") or {}
        only_if = measure.get("only_if")
        if only_if and get_path(results, only_if["path"]) != only_if["equals"]:
            missing.append(measure["id"])
            continue
        kind = {"questionnaires": "questionnaire", "safety": "exam_safety"}.get(
            measure["section"], "exam_test"
        )
        test = measure.get("test") or measure["section"]
        source = {"kind": kind, "test": test, "title": entry.get("title", "")}
        made = False
        for side, value in _values(measure, results):
            ref = _reference(entry, measure, side)
            finding = _make(measure, side, value, sex, ref, measure["trust"], source)
            if finding is not None:
                findings.append(finding)
                made = True
        if not made:
            missing.append(measure["id"])
    return findings, missing


def _gait_trust(analysis: dict[str, Any], table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    src = analysis.get("source") or {}
    kind = str(src.get("kind", ""))
    view = (analysis.get("video") or {}).get("view")
    choice = table.get(kind)
    if isinstance(choice, dict):
        trust_class = choice.get(str(view), "video_frontal")
        return trust_class, {"kind": "video_gait", "view": view}
    if isinstance(choice, str):
        return choice, {"kind": f"{kind}_gait"}
    return "video_frontal", {"kind": f"{kind or 'unknown'}_gait"}


def findings_from_analysis(
    analysis: dict[str, Any], sex: str | None = None
) -> tuple[list[Finding], list[str]]:
    """Findings of a ``groundup.analysis/1`` gait document and the measures it did not hold.

    ``sex`` (from the exam, when there is one) picks sex-specific bands.
    """
    table = load_yaml("findings", "analysis.yaml")
    gait_trust, base_source = _gait_trust(analysis, table["trust_by_source"])
    findings: list[Finding] = []
    missing: list[str] = []
    for measure in table["measures"]:
        trust_class = gait_trust if measure["trust"] == "from_source" else measure["trust"]
        source = dict(base_source, field=measure["path"])
        # Values timed by video events carry the events' error (the measure's video_error).
        video_error = measure.get("video_error") if base_source["kind"] == "video_gait" else None
        allowance = float(video_error["value"]) if video_error else 0.0
        made = False
        for side, value in _values(measure, analysis):
            finding = _make(measure, side, value, sex, None, trust_class, source, allowance)
            if finding is not None:
                findings.append(finding)
                made = True
        if not made:
            missing.append(measure["id"])
    findings.extend(_curve_findings(analysis, table["curve_deviations"], gait_trust, base_source))
    return findings, missing


def _direction_matches(direction: str, dev: dict[str, Any]) -> bool:
    value, mean = dev.get("value_deg"), dev.get("norm_mean_deg")
    if not isinstance(value, int | float) or not isinstance(mean, int | float):
        z = dev.get("z_score")
        if not isinstance(z, int | float):
            return direction == "either"
        value, mean = z, 0.0
    if direction == "above":
        return value > mean
    if direction == "below":
        return value < mean
    return True


def _curve_findings(
    analysis: dict[str, Any], spec: dict[str, Any], trust_class: str, base: dict[str, Any]
) -> list[Finding]:
    """Findings of the flagged key-instant curve deviations, by the curve vocabulary.

    The ``flagged`` field of each deviation is read, not re-derived: the curves stage decides
    whether a value lies beyond the norm band by more than the measurement error. A flagged
    deviation counts only in the direction and at the phases its variable lists.
    """
    deviations = get_path(analysis, spec["path"])
    if not isinstance(deviations, list):
        return []
    flag_key = spec.get("flag_key", "flagged")
    out: dict[tuple[str, str | None], Finding] = {}
    for dev in deviations:
        if not isinstance(dev, dict) or dev.get(flag_key) is not True:
            continue
        for meaning in spec["variables"].get(str(dev.get("variable")), []):
            phase = str(dev.get("phase") or "")
            if phase not in meaning["phases"] or not _direction_matches(meaning["direction"], dev):
                continue
            size = next(
                (dev[k] for k in spec["size_keys"] if isinstance(dev.get(k), int | float)), None
            )
            side = dev.get("side") if dev.get("side") in SIDES else None
            measure = f"curve_{dev['variable']}_{meaning['tag']}"
            value = round(abs(float(size)), 3) if size is not None else True
            previous = out.get((measure, side))
            if previous is not None and (
                not isinstance(value, float)
                or not isinstance(previous.value, float)
                or value <= previous.value
            ):
                continue
            shown = dev.get("value_deg")
            norm_mean = dev.get("norm_mean_deg")
            result = str(
                dev.get("text")
                or (
                    f"{shown:g} deg at {phase.replace('_', ' ')} (norm mean {norm_mean:g} deg), "
                    "flagged beyond the norm band"
                    if isinstance(shown, int | float) and isinstance(norm_mean, int | float)
                    else f"flagged beyond the norm band at {phase.replace('_', ' ')}"
                )
            )
            if dev.get("approximate"):
                result += " (approximate: 2-D video)"
            out[(measure, side)] = Finding(
                measure=measure,
                region=meaning["region"],
                side=side,
                value=value,
                unit="deg" if size is not None else "",
                label=meaning["label"],
                severity="mild",
                tags=(meaning["tag"],),
                result=result,
                norm={"text": spec["norm"]["text"], "citation": cite(spec["norm"]["source"])},
                source=dict(base, field=spec["path"], variable=dev["variable"], phase=phase),
                trust=_trust(trust_class),
                trust_class=trust_class,
            )
    return list(out.values())


def falls_risk_from_gait(exam: dict[str, Any] | None, findings: list[Finding]) -> list[Finding]:
    """A falls-risk finding when a fall (or fear of falling) in the exam's history meets a slow
    walking speed from the gait analysis (under 0.8 m/s, World Falls Guidelines 2022:
    intermediate risk) and the exam alone did not already rate the risk intermediate or high."""
    falls = ((exam or {}).get("safety") or {}).get("falls") or {}
    history = (((exam or {}).get("history") or {}).get("falls") or {}).get("inputs") or {}
    concern = int(history.get("falls_last_12_months") or 0) >= 1 or bool(
        history.get("fear_of_falling")
    )
    if not concern or falls.get("risk") in ("high", "intermediate"):
        return []
    spec = load_yaml("findings", "exam.yaml")["falls_from_gait"]
    slow = [
        f
        for f in findings
        if f.measure == spec["gait_measure"]
        and isinstance(f.value, int | float)
        and f.value < float(spec["below"])
    ]
    if not slow:
        return []
    return [
        Finding(
            measure="falls_risk_gait",
            region="balance",
            side=None,
            value=spec["risk"],
            unit="risk group",
            label="falls risk (a fall or fear of falling with slow walking)",
            severity=spec["severity"],
            tags=("falls_risk",),
            result=f"walking speed {slow[0].value:g} m/s with a fall history: {spec['risk']} risk",
            norm={"text": spec["text"], "citation": cite(spec["source"])},
            source={"kind": "exam_and_gait", "test": "falls", "field": spec["gait_measure"]},
            trust=slow[0].trust,
            trust_class=slow[0].trust_class,
        )
    ]
