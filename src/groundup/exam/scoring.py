"""Scoring a whole exam into the ``exam.json`` document (schema ``groundup.exam/1``).

Each test and questionnaire is scored on its own: a bad value is reported with its field, value
and expected range, and everything else in the exam is still scored. Tests of the catalogue that
are missing from the exam are listed under ``not_assessed``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import groundup
from groundup.errors import GroundUpError
from groundup.exam.catalogue import Catalogue, load_catalogue
from groundup.exam.fields import ExamInputError, parse_choice, parse_fields, parse_number
from groundup.exam.loader import load_exam_file
from groundup.exam.neuro import SCORERS as NEURO_SCORERS
from groundup.exam.physical import SCORERS as PHYSICAL_SCORERS
from groundup.exam.questionnaires import Q_SCORERS
from groundup.exam.results import Context, Outcome, Patient
from groundup.exam.safety import assess_safety
from groundup.exam.screening import URGENCY_ORDER, score_screening

EXAM_SCHEMA = "groundup.exam/1"
INPUT_FORMAT = "groundup.exam-input/1"
TOP_LEVEL = (
    "format",
    "exam_date",
    "patient",
    "screening",
    "history",
    "tests",
    "questionnaires",
    "exercise_report",
)
SCORERS = {**PHYSICAL_SCORERS, **NEURO_SCORERS}
PATIENT_FIELDS: dict[str, dict[str, Any]] = {
    "age_y": {"min": 5, "max": 120, "unit": "years"},
    "mass_kg": {"min": 10, "max": 400, "unit": "kg"},
    "height_cm": {"min": 50, "max": 250, "unit": "cm"},
}


def _patient(raw: Any, errors: list[ExamInputError]) -> Patient:
    if raw is None:
        return Patient()
    if not isinstance(raw, dict):
        errors.append(
            ExamInputError("patient", raw, "a mapping with age_y, sex, mass_kg, height_cm")
        )
        return Patient()
    values: dict[str, Any] = {}
    for k, v in raw.items():
        if k in ("name", "first_name", "last_name", "surname", "patient_name", "birth_date", "dob"):
            errors.append(
                ExamInputError(
                    f"patient.{k}",
                    "(hidden)",
                    "no identifying data: age_y, sex, mass_kg, height_cm",
                    "GroundUp does not store names or birth dates: remove this field and keep the "
                    "link to the patient in your own records.",
                )
            )
            continue
        if v is None:
            continue
        try:
            if k in PATIENT_FIELDS:
                values[k] = parse_number(f"patient.{k}", v, PATIENT_FIELDS[k])
            elif k == "sex":
                values[k] = parse_choice("patient.sex", v, {"choices": ["female", "male"]})
            else:
                errors.append(
                    ExamInputError(
                        f"patient.{k}", v, "one of the fields: age_y, sex, mass_kg, height_cm"
                    )
                )
        except ExamInputError as e:
            errors.append(e)
    return Patient(**values)


def _wrap(
    cat: Catalogue,
    key: str,
    status: str,
    outcome: Outcome | None,
    inputs: Any,
    errors: list[ExamInputError],
) -> dict[str, Any]:
    entry = cat.entry(key)
    out: dict[str, Any] = {
        "title": entry.title,
        "domain": entry.domain,
        "status": status,
        "interpretation": " ".join(str(entry.data.get("interpretation", "")).split()),
        "citations": [cat.source(c).to_json() for c in entry.citations],
        "errors": [e.to_json() for e in errors],
    }
    if inputs is not None:
        out["inputs"] = inputs
    if outcome is not None:
        out.update(
            {
                "results": outcome.results,
                "comparisons": outcome.comparisons,
                "findings": outcome.findings,
                "warnings": outcome.warnings,
            }
        )
    return out


def _status(outcome: Outcome | None, errors: list[ExamInputError]) -> str:
    if outcome is None:
        return "error"
    return "partly_scored" if errors else "scored"


@dataclass(frozen=True)
class _Section:
    """How an exam section (``tests`` or ``questionnaires``) names its entries in messages."""

    name: str
    expected_mapping: str
    shown_unknown: str
    expected_unknown: str
    misplaced_hint: str
    fix: str = ""


def _section_entries(
    raw: Any,
    section: _Section,
    known: dict[str, Any],
    elsewhere: dict[str, Any],
    errors: list[ExamInputError],
) -> Iterator[tuple[str, str, Any]]:
    """(key, path, body) of each filled entry of an exam section.

    A section that is not a mapping, and names the catalogue does not know (with a hint when the
    name belongs to the other section, ``elsewhere``), are reported in ``errors``; blank entries
    are skipped.
    """
    if raw is None:
        return
    if not isinstance(raw, dict):
        errors.append(ExamInputError(section.name, raw, section.expected_mapping))
        return
    for key, body in raw.items():
        path = f"{section.name}.{key}"
        if key not in known:
            hint = section.misplaced_hint if key in elsewhere else ""
            expected = f"{section.expected_unknown}{hint}: " + ", ".join(known)
            errors.append(ExamInputError(path, section.shown_unknown, expected, section.fix))
            continue
        if not _all_blank(body):
            yield key, path, body


_TESTS = _Section(
    "tests",
    "a mapping of test names to their fields",
    "(test)",
    "a test of the catalogue",
    " (it is a questionnaire: put it under questionnaires)",
    "Check the name against `groundup exam template`.",
)
_HISTORY = _Section(
    "history",
    "a mapping of history entries to their fields",
    "(history entry)",
    "a history entry of the catalogue",
    " (it is a test: put it under tests)",
    "Check the name against `groundup exam template`.",
)
_QUESTIONNAIRES = _Section(
    "questionnaires",
    "a mapping of questionnaire names",
    "(questionnaire)",
    "one of the questionnaires",
    " (it is a test: put it under tests)",
)


def _score_tests(
    raw: Any,
    cat: Catalogue,
    patient: Patient,
    base_dir: Path,
    errors: list[ExamInputError],
    section: _Section = _TESTS,
) -> dict[str, Any]:
    """Score the entries of a section laid out like tests (``tests`` or ``history``)."""
    tests: dict[str, Any] = {}
    known = cat.tests() if section is _TESTS else cat.history()
    elsewhere = cat.questionnaires() if section is _TESTS else cat.tests()
    for key, path, body in _section_entries(raw, section, known, elsewhere, errors):
        entry = known[key]
        values, test_errors = parse_fields(
            path, body, entry.inputs, entry.data.get("at_least_one_of")
        )
        outcome: Outcome | None = None
        if values:
            ctx = Context(catalogue=cat, entry=entry, patient=patient, base_dir=base_dir)
            try:
                outcome = SCORERS.get(key, _as_given)(values, ctx)
            except ExamInputError as e:
                test_errors.append(e)
            except GroundUpError as e:
                field = next(
                    (
                        f"{path}.{n}"
                        for n, s in entry.inputs.items()
                        if s.get("type") == "path" and n in values
                    ),
                    path,
                )
                test_errors.append(
                    ExamInputError(
                        field,
                        _first_path(values, entry.inputs),
                        "a usable recording",
                        f"{e.problem} {e.fix}".strip(),
                    )
                )
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                if not test_errors:
                    raise
        errors.extend(test_errors)
        tests[key] = _wrap(
            cat, key, _status(outcome, test_errors), outcome, _inputs_json(values), test_errors
        )
    return tests


def _as_given(values: dict[str, Any], ctx: Context) -> Outcome:
    """Entries scored as answered (the history): their meaning is decided in safety.yaml."""
    return Outcome(results=dict(values))


def _score_exercise_report(
    raw: Any, cat: Catalogue, errors: list[ExamInputError]
) -> dict[str, Any]:
    """The patient's report per home exercise of the previous plan (follow-up visits)."""
    from groundup.chain.knowledge import load_yaml

    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(
            ExamInputError("exercise_report", raw, "a mapping of exercise ids to their report")
        )
        return {}
    entry = cat.entry("exercise_report")
    known = [e["id"] for e in load_yaml("exercises", "library.yaml")["exercises"]]
    out: dict[str, Any] = {}
    for ex_id, body in raw.items():
        path = f"exercise_report.{ex_id}"
        if str(ex_id) not in known:
            errors.append(
                ExamInputError(
                    path,
                    "(exercise)",
                    "an exercise id of the plan: " + ", ".join(known),
                    "Use the ids of the previous plan.json (its exercises' `id`).",
                )
            )
            continue
        if _all_blank(body):
            continue
        values, report_errors = parse_fields(
            path, body, entry.inputs, entry.data.get("at_least_one_of")
        )
        errors.extend(report_errors)
        out[str(ex_id)] = {
            "status": _status(Outcome() if values else None, report_errors),
            "inputs": values,
            "errors": [e.to_json() for e in report_errors],
        }
    return out


def _merge_pathway(pathway: dict[str, Any], referrals: list[dict[str, Any]]) -> dict[str, Any]:
    """A referral from the history or neurological screen stops the pathway like a red flag."""
    if not referrals:
        return pathway
    urgencies = [r["urgency"] for r in referrals]
    if pathway.get("decision") == "refer" and pathway.get("urgency"):
        urgencies.append(pathway["urgency"])
    urgency = next(u for u in URGENCY_ORDER if u in urgencies)
    reasons = list(pathway.get("reasons", [])) if pathway.get("decision") == "refer" else []
    reasons += [f"safety: {r['id']}" for r in referrals]
    message = "Do not start the exercise pathway. Refer: " + "; ".join(r["text"] for r in referrals)
    if pathway.get("decision") == "refer":
        message = f"{pathway['message']} {message}"
    return {
        "decision": "refer",
        "exercise_pathway": False,
        "urgency": urgency,
        "reasons": reasons,
        "message": message,
    }


def _all_blank(body: Any) -> bool:
    """True when every leaf of a test/questionnaire body is empty (the template's blanks)."""
    if body is None:
        return True
    if isinstance(body, dict):
        return all(_all_blank(v) for v in body.values())
    if isinstance(body, list):
        return len(body) > 0 and all(_all_blank(v) for v in body)
    return False


def _first_path(values: dict[str, Any], inputs: dict[str, dict[str, Any]]) -> Any:
    for n, s in inputs.items():
        if s.get("type") == "path" and n in values:
            return values[n]
    return None


def _inputs_json(values: dict[str, Any]) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        if isinstance(v, dict) and set(v) == {"value", "trials"}:
            return v["value"] if v["trials"] is None else {"max": v["value"], "trials": v["trials"]}
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v

    return {k: conv(v) for k, v in values.items()}


def _score_questionnaires(
    raw: Any, cat: Catalogue, patient: Patient, base_dir: Path, errors: list[ExamInputError]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = cat.questionnaires()
    for key, path, body in _section_entries(raw, _QUESTIONNAIRES, known, cat.tests(), errors):
        if not isinstance(body, dict):
            q_errors = [ExamInputError(path, body, "a mapping (see docs/exam.md)")]
            outcome: Outcome | None = None
        else:
            ctx = Context(catalogue=cat, entry=known[key], patient=patient, base_dir=base_dir)
            outcome, q_errors = Q_SCORERS[key](path, body, ctx)
            if q_errors and not outcome.results:
                outcome = None
        errors.extend(q_errors)
        out[key] = _wrap(cat, key, _status(outcome, q_errors), outcome, None, q_errors)
    return out


def score_exam(doc: dict[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    """Score an exam (the parsed exam file) into the exam.json document."""
    cat = load_catalogue()
    base_dir = base_dir or Path.cwd()
    errors: list[ExamInputError] = []
    for k in doc:
        if k not in TOP_LEVEL:
            errors.append(
                ExamInputError(str(k), "(section)", "one of the sections: " + ", ".join(TOP_LEVEL))
            )
    fmt = doc.get("format")
    if fmt is not None and fmt != INPUT_FORMAT:
        errors.append(ExamInputError("format", fmt, INPUT_FORMAT))
    exam_date = doc.get("exam_date")
    if isinstance(exam_date, date | datetime):
        exam_date = exam_date.isoformat()
    elif exam_date is not None and not isinstance(exam_date, str):
        errors.append(ExamInputError("exam_date", exam_date, "a date YYYY-MM-DD"))
        exam_date = None
    patient = _patient(doc.get("patient"), errors)
    screening, pathway, s_errors = score_screening(doc.get("screening"), cat)
    errors.extend(s_errors)
    history = _score_tests(doc.get("history"), cat, patient, base_dir, errors, _HISTORY)
    tests = _score_tests(doc.get("tests"), cat, patient, base_dir, errors)
    questionnaires = _score_questionnaires(
        doc.get("questionnaires"), cat, patient, base_dir, errors
    )

    exercise_report = _score_exercise_report(doc.get("exercise_report"), cat, errors)
    safety = assess_safety(history, tests, cat)
    pathway = _merge_pathway(pathway, safety["referrals"])

    findings: list[dict[str, Any]] = []
    warnings: list[dict[str, str]] = []
    for group in (history, tests, questionnaires):
        for key, t in group.items():
            findings.extend({"test": key, **f} for f in t.get("findings", []) if f.get("flag"))
            warnings.extend({"test": key, **w} for w in t.get("warnings", []))
    not_assessed = {
        "tests": [k for k in cat.tests() if k not in tests],
        "questionnaires": [k for k in cat.questionnaires() if k not in questionnaires],
        "history": [k for k in cat.history() if k not in history],
    }
    return {
        "schema": EXAM_SCHEMA,
        "groundup_version": groundup.__version__,
        "exam_date": exam_date,
        "patient": {k: v for k, v in vars(patient).items()},
        "screening": screening,
        "pathway": pathway,
        "history": history,
        "tests": tests,
        "questionnaires": questionnaires,
        "exercise_report": exercise_report,
        "safety": safety,
        "findings": findings,
        "not_assessed": not_assessed,
        "errors": [e.to_json() for e in errors],
        "warnings": warnings,
    }


def score_exam_file(path: str | Path) -> dict[str, Any]:
    """Read and score an exam file; relative recording paths are taken from the file's folder."""
    path = Path(path)
    return score_exam(load_exam_file(path), base_dir=path.resolve().parent)
