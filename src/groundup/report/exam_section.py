"""Foot, balance, pelvis/hip/core tests and the outcome questionnaires (exam.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from groundup.report import plots
from groundup.report.labels import field_label, humanize, split_unit
from groundup.report.numbers import digits_for, join_path, num

DOMAIN_TITLES = {
    "history": "History and precautions",
    "foot": "Foot and ankle",
    "balance": "Balance",
    "pelvis_hip_core": "Pelvis, hip and core",
    "pelvis": "Pelvis and hip",
    "core": "Core",
    "neurological": "Neurological screen",
    "follow_up": "Patient report per home exercise (follow-up)",
    "safety": "Safety summary (precautions, falls risk, nerve-root signs, referrals)",
}
DOMAIN_ORDER = (
    "history",
    "foot",
    "balance",
    "pelvis_hip_core",
    "pelvis",
    "core",
    "neurological",
    "follow_up",
    "safety",
)
#: how the falls-risk group of exam.json reads in the report
FALLS_RISK_TEXT = {
    "high": "high (World Falls Guidelines 2022): refer for a multifactorial falls assessment",
    "intermediate": "intermediate: strength and balance exercise with support",
    "low": "low",
    "not_assessed": "not assessed (no falls history entered)",
}

# Questionnaire presentation (which stored result is "the score", its scale and direction):
# layout only, the numbers come from exam.json.
QUESTIONNAIRES: dict[str, dict[str, Any]] = {
    "odi": {
        "short": "ODI",
        "score": "score_pct",
        "unit": "%",
        "digits": 1,
        "scale_max": 100,
        "better": "lower",
    },
    "rmdq": {
        "short": "RMDQ",
        "score": "score",
        "unit": "/24",
        "digits": 0,
        "scale_max": 24,
        "better": "lower",
    },
    "pain_nrs": {
        "short": "Pain NRS",
        "score": "current",
        "unit": "/10",
        "digits": 0,
        "scale_max": 10,
        "better": "lower",
    },
    "psfs": {
        "short": "PSFS",
        "score": "score",
        "unit": "/10",
        "digits": 1,
        "scale_max": 10,
        "better": "higher",
    },
    "start_back": {
        "short": "STarT Back",
        "score": "total",
        "unit": "/9",
        "digits": 0,
        "scale_max": 9,
        "better": "lower",
    },
}
QUESTIONNAIRE_EXTRA = {
    "odi": ("band",),
    "start_back": ("risk_group", "psychosocial_subscale"),
    "pain_nrs": ("best_24h", "worst_24h"),
}


def _value_html(value: Any, src: str, key: str) -> Markup:
    if isinstance(value, bool):
        return Markup("yes") if value else Markup("no")
    if isinstance(value, int | float):
        unit = field_label(key)[1]
        return num(value, src, digits_for(value, 3 if abs(value) < 10 else 1), unit)
    if isinstance(value, list):
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return Markup(", ").join(
                num(v, f"{src}/{i}", digits_for(v, 1)) for i, v in enumerate(value)
            )
        if all(isinstance(v, str) for v in value):
            return Markup("{}").format(", ".join(value))
        return Markup("")
    if value is None:
        return Markup("–")
    if isinstance(value, str):
        return Markup("{}").format(value.replace("_", " "))
    return Markup("")


def result_rows(base: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows measure | left | right | value, from the stored results of one test."""
    rows: list[dict[str, Any]] = []
    left = results.get("left") if isinstance(results.get("left"), dict) else {}
    right = results.get("right") if isinstance(results.get("right"), dict) else {}
    for key in list(dict.fromkeys([*left.keys(), *right.keys()])):
        label, _ = field_label(key)
        rows.append(
            {
                "label": label,
                "left": _value_html(left[key], f"{base}/left/{key}", key) if key in left else "",
                "right": _value_html(right[key], f"{base}/right/{key}", key)
                if key in right
                else "",
                "value": "",
            }
        )
    for key, value in results.items():
        if key in {"left", "right", "mcid", "mdc", "change_from_baseline"}:
            continue
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                if isinstance(subvalue, dict | list) and not (
                    isinstance(subvalue, list) and all(isinstance(v, int | float) for v in subvalue)
                ):
                    continue
                group, _ = field_label(key)
                sub_label, sub_unit = field_label(sub)
                # a group like times_s carries the unit of its members (flexion -> flexion_s)
                unit_key = sub if sub_unit else sub + key[len(split_unit(key)[0]) :]
                rows.append(
                    {
                        "label": f"{group}: {sub_label.lower()}",
                        "left": "",
                        "right": "",
                        "value": _value_html(subvalue, f"{base}/{key}/{sub}", unit_key),
                    }
                )
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            continue
        rows.append(
            {
                "label": field_label(key)[0],
                "left": "",
                "right": "",
                "value": _value_html(value, f"{base}/{key}", key),
            }
        )
    return rows


def comparison_rows(base: str, comparisons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for i, comp in enumerate(comparisons):
        if comp.get("measure") == "improvement_from_baseline":
            continue  # shown in the outcome table from change_from_baseline
        cite = comp.get("citation") or {}
        ref = ""
        if comp.get("reference_value") is not None:
            ref = num(
                comp["reference_value"],
                f"{base}/{i}/reference_value",
                digits_for(comp["reference_value"]),
            )
        unit = comp.get("unit", "")
        unit = {"pct": "%", "points": "points", "ratio": ""}.get(unit, unit)
        rows.append(
            {
                "measure": field_label(comp.get("measure", ""))[0],
                "side": comp.get("side", ""),
                "value": num(
                    comp["value"],
                    f"{base}/{i}/value",
                    digits_for(comp["value"], 2 if unit == "" else 1),
                    unit,
                ),
                "norm": (comp.get("norm") or {}).get("text", ""),
                "reference": ref,
                "result": comp.get("result", ""),
                "context": comp.get("result") == "test accuracy (context)",
                "source": cite.get("key", ""),
                "secondary": cite.get("evidence") == "secondary",
            }
        )
    return rows


#: rendered values that are normal findings in a neurological screen (collapsed into one row)
NEURO_NORMAL = {"normal", "no", "negative", "5"}


def _compact_neuro_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A neurological screen lists its abnormal or one-sided rows; measures normal on both sides
    are named in one row, and derived lists that are empty on both sides are left out."""
    kept, normal = [], []
    for r in rows:
        left, right = str(r["left"]).strip(), str(r["right"]).strip()
        if r["value"]:
            kept.append(r)
        elif not left and not right:
            continue
        elif left in NEURO_NORMAL and right in NEURO_NORMAL:
            normal.append(r["label"].lower())
        else:
            kept.append(r)
    if normal:
        kept.insert(
            0,
            {
                "label": "Normal on both sides",
                "left": "",
                "right": "",
                "value": Markup("{}").format(", ".join(normal)),
            },
        )
    return kept


def history_item(exam: dict[str, Any]) -> dict[str, Any] | None:
    """The history entries of exam.json as one compact block: one row per entry, its answers
    in a line (they are precautions, not measurements)."""
    history = exam.get("history") or {}
    if not history:
        return None
    rows = []
    errors: list[str] = []
    for key, entry in history.items():
        base = join_path("exam", "history", key, "results")
        results = entry.get("results") or {}
        parts = [
            Markup("{}: {}").format(
                field_label(name)[0].lower(), _value_html(value, f"{base}/{name}", name)
            )
            for name, value in results.items()
        ]
        rows.append(
            {
                "label": entry.get("title", humanize(key)),
                "left": "",
                "right": "",
                "value": Markup("; ").join(parts),
            }
        )
        errors += [e.get("message", "") for e in entry.get("errors") or []]
    return {
        "id": "history",
        "title": "History",
        "status": "scored" if not errors else "partly_scored",
        "rows": rows,
        "sided": False,
        "comparisons": [],
        "accuracy": [],
        "findings": [],
        "warnings": [],
        "errors": errors,
        "interpretation": "What each answer changes is listed under Precautions below.",
        "citations": sorted(
            {str(c.get("key", "")) for e in history.values() for c in e.get("citations") or []}
        ),
    }


def safety_item(exam: dict[str, Any]) -> dict[str, Any] | None:
    """The safety summary of exam.json as one block of the exam section: falls-risk group,
    nerve-root signs and deficits per side, precautions for the plan and referrals."""
    safety = exam.get("safety")
    if not isinstance(safety, dict):
        return None
    base = join_path("exam", "safety")
    falls = safety.get("falls") or {}
    neuro = safety.get("neuro") or {}
    rows: list[dict[str, Any]] = [
        {
            "label": "Falls risk",
            "left": "",
            "right": "",
            "value": Markup("{}{}").format(
                FALLS_RISK_TEXT.get(str(falls.get("risk")), str(falls.get("risk", ""))),
                "; " + "; ".join(falls["reasons"]) if falls.get("reasons") else "",
            ),
        }
    ]
    per_side = neuro.get("per_side") or {}
    if neuro.get("assessed"):
        for key, label in (
            ("radicular_signs", "Nerve-root (radicular) signs"),
            ("deficits", "Neurological deficits"),
            ("positive_tension_tests", "Positive neural tension tests"),
        ):
            values = {side: (per_side.get(side) or {}).get(key) for side in ("left", "right")}
            if key != "radicular_signs" and not any(values.values()):
                continue  # no deficit and no positive test: the row would be empty
            cells = {
                side: _value_html(values[side], f"{base}/neuro/per_side/{side}/{key}", key)
                for side in ("left", "right")
            }
            rows.append({"label": label, **cells, "value": ""})
        if neuro.get("course"):
            rows.append(
                {"label": "Course", "left": "", "right": "", "value": Markup(neuro["course"])}
            )
    precautions = [
        Markup("{}{} [{}]").format(
            humanize(str(p.get("id", ""))),
            f": {p['text']}" if p.get("text") else "",
            (p.get("source") or {}).get("key", ""),
        )
        for p in safety.get("precautions") or []
    ]
    referrals = [
        Markup("REFER ({}): {} [{}]").format(
            r.get("urgency", ""), r.get("text", ""), (r.get("citation") or {}).get("key", "")
        )
        for r in safety.get("referrals") or []
    ]
    quiet = (
        not precautions
        and not referrals
        and not neuro.get("radicular")
        and not neuro.get("deficit_sides")
        and falls.get("risk") in ("low", "not_assessed", None)
    )
    if quiet:  # nothing that changes the plan: one line
        rows = [
            {
                "label": "Precautions",
                "left": "",
                "right": "",
                "value": Markup("none; no nerve-root sign; falls risk {}").format(
                    FALLS_RISK_TEXT.get(str(falls.get("risk")), "not assessed")
                ),
            }
        ]
    return {
        "id": "safety",
        "title": "Precautions, falls risk and nerve-root signs",
        "status": "scored",
        "rows": rows,
        "sided": any(r["left"] or r["right"] for r in rows),
        "comparisons": [],
        "accuracy": [],
        "findings": referrals + [Markup("Precaution: {}").format(p) for p in precautions],
        "warnings": [],
        "errors": [],
        "interpretation": ""
        if quiet
        else (
            "Precautions change the plan (exercises removed or capped, with the reason); a "
            "referral stops the exercise pathway like a red flag."
        ),
        "citations": sorted(
            {str((p.get("source") or {}).get("key", "")) for p in safety.get("precautions") or []}
        ),
    }


def exam_domains(exam: dict[str, Any]) -> list[dict[str, Any]]:
    domains: dict[str, list[dict[str, Any]]] = {}
    history = history_item(exam)
    if history is not None:
        domains["history"] = [history]
    for test_id, test in (exam.get("tests") or {}).items():
        base = join_path("exam", "tests", test_id)
        item = {
            "id": test_id,
            "title": test.get("title", humanize(test_id)),
            "status": test.get("status", ""),
            "rows": (
                rows := (
                    _compact_neuro_rows(result_rows(f"{base}/results", test.get("results") or {}))
                    if test.get("domain") == "neurological"
                    else result_rows(f"{base}/results", test.get("results") or {})
                )
            ),
            "sided": any(r["left"] or r["right"] for r in rows),
            "comparisons": [
                c
                for c in comparison_rows(f"{base}/comparisons", test.get("comparisons") or [])
                if not c["context"]
            ],
            "accuracy": [
                Markup("{} {} [{}]").format(c["measure"].lower(), c["value"], c["source"])
                for c in comparison_rows(f"{base}/comparisons", test.get("comparisons") or [])
                if c["context"]
            ],
            "findings": [
                f.get("text", "") for f in test.get("findings") or [] if f.get("flag", True)
            ],
            "warnings": [w.get("message", "") for w in test.get("warnings") or []],
            "errors": [e.get("message", "") for e in test.get("errors") or []],
            "interpretation": test.get("interpretation", ""),
            "citations": [c.get("key", "") for c in test.get("citations") or []],
        }
        domains.setdefault(test.get("domain", "other"), []).append(item)
    for ex_id, report in (exam.get("exercise_report") or {}).items():
        base = join_path("exam", "exercise_report", ex_id, "inputs")
        domains.setdefault("follow_up", []).append(
            {
                "id": ex_id,
                "title": humanize(ex_id),
                "status": report.get("status", ""),
                "rows": result_rows(base, report.get("inputs") or {}),
                "sided": False,
                "comparisons": [],
                "accuracy": [],
                "findings": [],
                "warnings": [],
                "errors": [e.get("message", "") for e in report.get("errors") or []],
                "interpretation": "",
                "citations": [],
            }
        )
    safety = safety_item(exam)
    if safety is not None:
        domains["safety"] = [safety]
    order = [d for d in DOMAIN_ORDER if d in domains] + [
        d for d in domains if d not in DOMAIN_ORDER
    ]
    return [
        {"id": d, "title": DOMAIN_TITLES.get(d, humanize(d)), "tests": domains[d]} for d in order
    ]


def _mcid_text(base: str, entries: list[dict[str, Any]]) -> Markup:
    parts = []
    for i, entry in enumerate(entries):
        unit = {"points": "points", "pct_of_baseline": "% of baseline"}.get(
            entry.get("unit"), entry.get("unit", "")
        )
        cite = (entry.get("citation") or {}).get("key", "")
        parts.append(
            Markup("{} [{}]").format(
                num(entry.get("value"), f"{base}/{i}/value", digits_for(entry.get("value")), unit),
                cite,
            )
        )
    return Markup(" or ").join(parts)


def outcome_rows(exam: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for qid, q in (exam.get("questionnaires") or {}).items():
        spec = QUESTIONNAIRES.get(
            qid,
            {
                "short": humanize(qid),
                "score": "score",
                "unit": "",
                "digits": 1,
                "scale_max": None,
                "better": "",
            },
        )
        results = q.get("results") or {}
        base = join_path("exam", "questionnaires", qid, "results")
        score_key = spec["score"]
        change = results.get("change_from_baseline") or {}
        meets = change.get("meets") or {}
        extra = []
        for key in QUESTIONNAIRE_EXTRA.get(qid, ()):
            if key in results:
                extra.append(
                    Markup("{}: {}").format(
                        field_label(key)[0], _value_html(results[key], f"{base}/{key}", key)
                    )
                )
        rows.append(
            {
                "id": qid,
                "title": q.get("title", humanize(qid)),
                "short": spec["short"],
                "status": q.get("status", ""),
                "score": num(
                    results.get(score_key), f"{base}/{score_key}", spec["digits"], spec["unit"]
                ),
                "score_value": results.get(score_key),
                "extra": Markup("; ").join(extra),
                "baseline": num(
                    change["baseline"],
                    f"{base}/change_from_baseline/baseline",
                    digits_for(change["baseline"]),
                )
                if "baseline" in change
                else "",
                "baseline_value": change.get("baseline"),
                "improvement": num(
                    change["improvement"],
                    f"{base}/change_from_baseline/improvement",
                    1,
                    signed=True,
                )
                if "improvement" in change
                else "",
                "mcid": _mcid_text(f"{base}/mcid", results.get("mcid") or []),
                "mdc": _mcid_text(f"{base}/mdc", results.get("mdc") or []),
                "mcid_met": any(meets.values()) if meets else None,
                "meets": ", ".join(
                    ("absolute" if k == "absolute" else "relative (%)")
                    + (": met" if v else ": not met")
                    for k, v in meets.items()
                ),
                "findings": [f.get("text", "") for f in q.get("findings") or []],
                "warnings": [w.get("message", "") for w in q.get("warnings") or []],
                "interpretation": q.get("interpretation", ""),
                "scale_max": spec["scale_max"],
                "better": spec["better"],
            }
        )
    return rows


def outcome_chart(rows: list[dict[str, Any]], assets_dir: Path) -> str | None:
    chart_rows = [
        {
            "short": r["short"],
            "baseline": r["baseline_value"],
            "score": r["score_value"],
            "mcid_met": r["mcid_met"],
            "scale_max": r["scale_max"],
            "better": r["better"],
        }
        for r in rows
        if r["scale_max"] is not None
    ]
    path = plots.outcome_chart(chart_rows, assets_dir / "outcomes.png")
    return path.name if path else None


def collect_citations(exam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if {"key", "citation", "evidence"} <= node.keys() and isinstance(
                node.get("citation"), str
            ):
                found.setdefault(node["key"], node)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(exam)
    return found
