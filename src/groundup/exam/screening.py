"""Screening: the clinic's four warning signs and red flags for serious spinal pathology.

A red flag answered "yes" gives a referral and no exercise pathway (IFOMPT framework, Finucane et
al. 2020). Red flags that were not asked, or not answered clearly, also keep the exercise pathway
closed until screening is complete: safety before exercise.
"""

from __future__ import annotations

from typing import Any

from groundup.exam.catalogue import Catalogue
from groundup.exam.fields import ExamInputError, parse_boolean

URGENCY_ORDER = ("emergency", "urgent")


def _answers(
    path: str, raw: Any, known: dict[str, Any], errors: list[ExamInputError]
) -> tuple[dict[str, bool], list[str]]:
    answers: dict[str, bool] = {}
    invalid: list[str] = []
    if raw is None:
        return answers, invalid
    if not isinstance(raw, dict):
        errors.append(ExamInputError(path, raw, "a mapping of " + ", ".join(known) + " to yes/no"))
        return answers, invalid
    for name, v in raw.items():
        fpath = f"{path}.{name}"
        if str(name) not in known:
            errors.append(ExamInputError(fpath, v, "one of: " + ", ".join(known)))
            continue
        if v is None:
            continue
        try:
            answers[str(name)] = parse_boolean(fpath, v)
        except ExamInputError as e:
            errors.append(e)
            invalid.append(str(name))
    return answers, invalid


def score_screening(
    raw: Any, cat: Catalogue
) -> tuple[dict[str, Any], dict[str, Any], list[ExamInputError]]:
    """Return (screening, pathway, errors) for the exam's ``screening`` section."""
    errors: list[ExamInputError] = []
    raw = raw if isinstance(raw, dict) else {}
    for k in raw:
        if k not in ("warning_signs", "red_flags"):
            errors.append(ExamInputError(f"screening.{k}", raw[k], "warning_signs or red_flags"))
    ws_cat = cat.screening["warning_signs"]
    rf_cat = cat.screening["red_flags"]
    signs, _ = _answers(
        "screening.warning_signs", raw.get("warning_signs"), ws_cat["signs"], errors
    )
    flags, _unclear = _answers("screening.red_flags", raw.get("red_flags"), rf_cat["flags"], errors)

    present_signs = [k for k, v in signs.items() if v]
    suggested: list[str] = []
    for k in present_signs:
        for t in ws_cat["signs"][k]["suggests"]:
            if t not in suggested:
                suggested.append(t)
    warning_signs = {
        "present": [{"sign": k, "text": ws_cat["signs"][k]["text"]} for k in present_signs],
        "absent": [k for k, v in signs.items() if not v],
        "not_asked": [k for k in ws_cat["signs"] if k not in signs],
        "suggested_tests": suggested,
        "citations": [cat.source(c).to_json() for c in ws_cat["citations"]],
    }
    present_flags = [k for k, v in flags.items() if v]
    not_asked = [k for k in rf_cat["flags"] if k not in flags]
    red_flags = {
        "present": [
            {
                "flag": k,
                "text": " ".join(str(rf_cat["flags"][k]["text"]).split()),
                "condition": rf_cat["flags"][k]["condition"],
                "urgency": rf_cat["flags"][k]["urgency"],
                "citation": cat.source(rf_cat["flags"][k]["source"]).to_json(),
            }
            for k in present_flags
        ],
        "absent": [k for k, v in flags.items() if not v],
        "not_asked": not_asked,
        "citations": [cat.source(c).to_json() for c in rf_cat["citations"]],
    }
    if present_flags:
        urgency = next(
            u
            for u in URGENCY_ORDER
            if any(rf_cat["flags"][k]["urgency"] == u for k in present_flags)
        )
        pathway = {
            "decision": "refer",
            "exercise_pathway": False,
            "urgency": urgency,
            "reasons": [f"red flag: {k}" for k in present_flags],
            "message": " ".join(str(rf_cat["referral_text"]).split()).format(urgency=urgency),
        }
    elif not_asked:
        pathway = {
            "decision": "screening_incomplete",
            "exercise_pathway": False,
            "urgency": None,
            "reasons": [f"red flag not asked: {k}" for k in not_asked],
            "message": "Ask every red-flag question before starting the exercise pathway.",
        }
    else:
        pathway = {
            "decision": "exercise_pathway",
            "exercise_pathway": True,
            "urgency": None,
            "reasons": ["no red flag present"],
            "message": "No red flag: the exercise pathway may start.",
        }
    return {"warning_signs": warning_signs, "red_flags": red_flags}, pathway, errors
