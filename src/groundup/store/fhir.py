"""FHIR R4 export of a patient's visits, built and validated with fhir.resources (R4B models).

One ``collection`` Bundle: Patient (pseudonymous unless identity is asked for), one Encounter per
visit, Observations (LOINC codes where LOINC has the concept, checked against LOINC's term text;
otherwise GroundUp's own code system, see ``knowledge/store/fhir_codes.yaml`` and
docs/records.md), a QuestionnaireResponse per questionnaire, a CarePlan with the exercises and a
DiagnosticReport with the report PDF attached. Every resource is validated by its fhir.resources
model before it goes into the bundle, and the bundle as a whole again.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from functools import cache
from importlib.resources import files
from typing import Any

from groundup.store.errors import StoreError
from groundup.store.progress import progress_measures
from groundup.yaml_files import parse_yaml

UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PSEUDONYM_SYSTEM = "urn:groundup:pseudonym"
EXERCISE_SYSTEM = "urn:groundup:code-system:exercise"
REPORT_CODE = "visit-report"
_NAMESPACE = uuid.UUID("6f1c1f9e-2f55-4c1e-9a57-2b9c3c1a0d11")
START_BACK_RISK_ANSWERS = {"low": "LA9194-7", "medium": "LA8982-6", "high": "LA9193-9"}
QUESTIONNAIRE_MEASURES = {"odi": "odi_pct", "pain_nrs": "pain_nrs", "rmdq": "rmdq",
                          "psfs": "psfs", "start_back": "start_back_total"}


@cache
def fhir_codes() -> dict[str, Any]:
    text = (files("groundup") / "knowledge" / "store" / "fhir_codes.yaml").read_text("utf-8")
    return parse_yaml(text)


def _full_url(resource_type: str, rid: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{resource_type}/{rid}')}"


def _ref(resource_type: str, rid: str) -> dict[str, str]:
    return {"reference": _full_url(resource_type, rid)}


def validated(resource: dict[str, Any]) -> Any:
    """The fhir.resources model of ``resource`` (raises StoreError when it does not validate)."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except Exception as exc:  # pydantic.ValidationError: a bug in the export, not user input
        raise StoreError(
            f"The FHIR {resource['resourceType']} does not validate ({str(exc)[:300]}).",
            "Please report this (without patient data).",
        ) from exc


def measure_coding(measure_id: str, label: str) -> dict[str, Any]:
    """LOINC coding where a checked LOINC code exists, else GroundUp's own code."""
    codes = fhir_codes()
    loinc = codes["loinc"].get(measure_id)
    if loinc:
        return {"system": codes["loinc_system"], "code": loinc["code"],
                "display": loinc["display"]}
    return {"system": codes["groundup_system"], "code": measure_id, "display": label}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    ucum = fhir_codes()["ucum"].get(unit)
    out: dict[str, Any] = {"value": round(float(value), 4), "unit": unit}
    if ucum:
        out.update(system=UCUM, code=ucum)
    return out


def _patient(pseudonym: str, exam: dict[str, Any] | None, identity: Any | None) -> dict:
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pseudonym,
        "identifier": [{"system": PSEUDONYM_SYSTEM, "value": pseudonym}],
    }
    sex = ((exam or {}).get("patient") or {}).get("sex")
    if sex in ("female", "male"):
        res["gender"] = sex
    if identity is not None:
        res["name"] = [{"text": identity.full_name}]
        if identity.birth_date:
            res["birthDate"] = identity.birth_date.isoformat()
        if identity.contact:
            res["telecom"] = [{"system": "other", "value": identity.contact}]
    return res


def _observation(oid: str, coding: dict[str, Any], category: str, subject: dict,
                 encounter: dict, day: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": oid, "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": category}]}],
        "code": {"coding": [coding], "text": coding.get("display")},
        "subject": subject, "encounter": encounter, "effectiveDateTime": day, **value,
    }


def _questionnaire_response(qid: str, name: str, results: dict[str, Any], subject: dict,
                            encounter: dict, day: str) -> dict[str, Any] | None:
    items: list[dict[str, Any]] = []

    def add(link: str, text: str, answer: dict[str, Any]) -> None:
        items.append({"linkId": link, "text": text, "answer": [answer]})

    if name == "odi":
        for section, score in (results.get("section_scores") or {}).items():
            add(section, section.replace("_", " "), {"valueInteger": int(score)})
        if results.get("score_pct") is not None:
            add("score_pct", "ODI score (%)", {"valueDecimal": float(results["score_pct"])})
    elif name == "rmdq":
        for n in results.get("ticked") or []:
            add(f"item_{n}", f"statement {n} ticked", {"valueBoolean": True})
        if results.get("score") is not None:
            add("score", "RMDQ score", {"valueInteger": int(results["score"])})
    elif name == "start_back":
        for n, score in (results.get("item_scores") or {}).items():
            add(f"item_{n}", f"item {n}", {"valueInteger": int(score)})
        if results.get("total") is not None:
            add("total", "total score", {"valueInteger": int(results["total"])})
    elif name == "pain_nrs":
        for key in ("current", "best_24h", "worst_24h"):
            if results.get(key) is not None:
                add(key, key.replace("_", " "), {"valueDecimal": float(results[key])})
    elif name == "psfs":
        for k, act in enumerate(results.get("activities") or [], start=1):
            add(f"activity_{k}", f"activity {k}", {"valueDecimal": float(act["score"])})
        if results.get("score") is not None:
            add("score", "PSFS mean score", {"valueDecimal": float(results["score"])})
    if not items:
        return None
    return {
        "resourceType": "QuestionnaireResponse", "id": qid, "status": "completed",
        "questionnaire": f"{fhir_codes()['groundup_questionnaire_prefix']}{name}",
        "subject": subject, "encounter": encounter, "authored": day, "item": items,
    }


def _care_plan(cid: str, plan: dict[str, Any], subject: dict, encounter: dict,
               day: str) -> dict[str, Any] | None:
    activities = []
    for ex in plan.get("exercises") or []:
        dose = ex.get("dosage") or {}
        dose_text = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dose.items()
                              if v is not None)
        side = f" ({ex['side']})" if ex.get("side") else ""
        activities.append({"detail": {
            "status": "not-started",
            "code": {"coding": [{"system": EXERCISE_SYSTEM, "code": str(ex["id"]),
                                 "display": str(ex.get("name", ex["id"]))}]},
            "description": f"{ex.get('name', ex['id'])}{side}, level "
                           f"{ex.get('level_name', ex.get('level'))}: {dose_text}. "
                           f"{ex.get('patient_instructions', '')}".strip(),
        }})
    if not activities:
        return None
    return {
        "resourceType": "CarePlan", "id": cid, "status": "active", "intent": "plan",
        "title": "GroundUp home programme", "subject": subject, "encounter": encounter,
        "period": {"start": day}, "activity": activities,
    }


def _diagnostic_report(rid: str, pdf: bytes | None, chain: dict[str, Any] | None,
                       results: list[dict[str, str]], subject: dict, encounter: dict,
                       day: str) -> dict[str, Any]:
    codes = fhir_codes()
    res: dict[str, Any] = {
        "resourceType": "DiagnosticReport", "id": rid, "status": "final",
        "code": {"coding": [{"system": codes["groundup_system"], "code": REPORT_CODE,
                             "display": "GroundUp gait and back-pain evaluation"}]},
        "subject": subject, "encounter": encounter, "effectiveDateTime": day,
        "result": results,
    }
    summary = (chain or {}).get("summary")
    if isinstance(summary, str) and summary:
        res["conclusion"] = summary
    if pdf is not None:
        res["presentedForm"] = [{
            "contentType": "application/pdf", "title": "report.pdf",
            "data": base64.b64encode(pdf).decode("ascii"), "size": len(pdf),
            "hash": base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii"),  # FHIR: SHA-1
        }]
    return res


def build_bundle(
    pseudonym: str,
    visits: list[dict[str, Any]],
    *,
    identity: Any | None = None,
    report_pdfs: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    """The FHIR R4 bundle of ``visits`` (as ``api.visit_documents``), each resource validated.

    ``report_pdfs`` maps a visit uid to its report PDF (attached to its DiagnosticReport).
    """
    from groundup.store.progress import _value

    report_pdfs = report_pdfs or {}
    resources: list[dict[str, Any]] = []
    first_exam = next((v["exam"] for v in visits if v.get("exam")), None)
    resources.append(_patient(pseudonym, first_exam, identity))
    subject = _ref("Patient", pseudonym)
    measures = progress_measures()["measures"]
    for v in visits:
        uid, day = v["uid"], v["date"]
        enc_id = f"enc-{uid}"
        encounter = _ref("Encounter", enc_id)
        resources.append({
            "resourceType": "Encounter", "id": enc_id, "status": "finished",
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "subject": subject, "period": {"start": day, "end": day},
        })
        results = []
        for m in measures:
            value = _value(v, m)
            if value is None:
                continue
            oid = f"obs-{uid}-{m['id'].replace('_', '-')}"[:64]
            category = "survey" if m["path"].startswith("questionnaires.") else "exam"
            resources.append(_observation(oid, measure_coding(m["id"], m["label"]), category,
                                          subject, encounter, day,
                                          valueQuantity=_quantity(value, m["unit"])))
            results.append(_ref("Observation", oid))
        sb = (((v.get("exam") or {}).get("questionnaires") or {}).get("start_back") or {})
        sb_results = sb.get("results") or {}
        if sb_results.get("psychosocial_subscale") is not None:
            oid = f"obs-{uid}-start-back-distress"
            resources.append(_observation(
                oid, measure_coding("start_back_distress", "STarT Back distress subscore"),
                "survey", subject, encounter, day,
                valueQuantity=_quantity(sb_results["psychosocial_subscale"], "points")))
            results.append(_ref("Observation", oid))
        risk = sb_results.get("risk_group")
        if risk in START_BACK_RISK_ANSWERS:
            oid = f"obs-{uid}-start-back-risk"
            resources.append(_observation(
                oid, measure_coding("start_back_risk", "STarT Back risk level"), "survey",
                subject, encounter, day,
                valueCodeableConcept={"coding": [{"system": fhir_codes()["loinc_system"],
                                                  "code": START_BACK_RISK_ANSWERS[risk],
                                                  "display": risk.capitalize()}]}))
            results.append(_ref("Observation", oid))
        for name, q in ((v.get("exam") or {}).get("questionnaires") or {}).items():
            if name not in QUESTIONNAIRE_MEASURES or q.get("status") != "scored":
                continue
            qr = _questionnaire_response(f"qr-{uid}-{name.replace('_', '-')}", name,
                                         q.get("results") or {}, subject, encounter, day)
            if qr:
                resources.append(qr)
        if v.get("plan"):
            cp = _care_plan(f"careplan-{uid}", v["plan"], subject, encounter, day)
            if cp:
                resources.append(cp)
        resources.append(_diagnostic_report(f"report-{uid}", report_pdfs.get(uid),
                                            v.get("chain"), results, subject, encounter, day))
    entries = []
    for res in resources:
        model = validated(res)
        entries.append({"fullUrl": _full_url(res["resourceType"], res["id"]),
                        "resource": model.model_dump(mode="json", exclude_none=True)})
    bundle = {"resourceType": "Bundle", "id": f"export-{pseudonym}", "type": "collection",
              "entry": entries}
    return validated(bundle).model_dump(mode="json", exclude_none=True)
