"""FHIR R4 export of a recorded real visit: every resource validates in fhir.resources (R4B),
LOINC codes where they exist, GroundUp's own code system where they do not, de-identified by
default."""

from __future__ import annotations

import json

from fhir.resources.R4B.bundle import Bundle

from groundup.store import api
from groundup.store.fhir import fhir_codes


def _by_type(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def _observation(resources: dict[str, list[dict]], code: str) -> dict:
    found = [o for o in resources["Observation"] if o["code"]["coding"][0]["code"] == code]
    assert len(found) == 1, code
    return found[0]


def test_export_validates_and_uses_loinc_where_it_exists(store, c3d_visit_dir, tmp_path):
    p = api.add_patient("Hana Example", contact="hana@example.org")
    api.record_visit(p, c3d_visit_dir)
    result = api.export_patient(p, tmp_path / "export")
    text = result.bundle.read_text()
    bundle = json.loads(text)
    Bundle.model_validate(bundle)  # the whole bundle, every resource in it, parsed again
    resources = _by_type(bundle)
    assert {k: len(v) for k, v in resources.items() if k != "Observation"} == {
        "Patient": 1, "Encounter": 1, "QuestionnaireResponse": 5, "CarePlan": 1,
        "DiagnosticReport": 1,
    }
    loinc = fhir_codes()["loinc_system"]
    odi = _observation(resources, "97909-6")
    assert odi["code"]["coding"][0]["system"] == loinc
    assert odi["valueQuantity"]["value"] == 35.6 and odi["valueQuantity"]["code"] == "%"
    assert _observation(resources, "72514-3")["valueQuantity"]["value"] == 5
    assert _observation(resources, "91351-7")["valueQuantity"]["value"] == 4
    assert _observation(resources, "91350-9")["valueQuantity"]["value"] == 2
    risk = _observation(resources, "91352-5")["valueCodeableConcept"]["coding"][0]
    assert (risk["code"], risk["display"]) == ("LA8982-6", "Medium")
    own = fhir_codes()["groundup_system"]
    rmdq = _observation(resources, "rmdq")
    assert rmdq["code"]["coding"][0]["system"] == own and rmdq["valueQuantity"]["value"] == 8
    speed = _observation(resources, "walking_speed_m_s")["valueQuantity"]
    measured = json.loads((c3d_visit_dir / "analysis.json").read_text())["spatiotemporal"]
    assert speed["code"] == "m/s"
    assert abs(speed["value"] - measured["walking_speed_m_s"]) < 1e-4
    plan = json.loads((c3d_visit_dir / "plan.json").read_text())
    care = resources["CarePlan"][0]
    assert [a["detail"]["code"]["coding"][0]["code"] for a in care["activity"]] == [
        e["id"] for e in plan["exercises"]
    ]
    report = resources["DiagnosticReport"][0]
    assert len(report["result"]) == len(resources["Observation"])
    # De-identified by default: no name, no contact, no recording path.
    patient = resources["Patient"][0]
    assert patient["id"] == p and "name" not in patient and "telecom" not in patient
    assert "Hana" not in text and "example.org" not in text
    analysis = json.loads((tmp_path / "export" / "visit_1" / "analysis.json").read_text())
    assert analysis["source"]["path"] == "recording_1.c3d"
    identified = api.export_patient(p, tmp_path / "identified", identified=True)
    patient = _by_type(json.loads(identified.bundle.read_text()))["Patient"][0]
    assert patient["name"] == [{"text": "Hana Example"}]
    exports = [e for e in api.audit_trail(p) if e["action"] == "export"]
    assert [e["detail"]["identified"] for e in exports] == [False, True]
    assert exports[0]["detail"]["visits"] == [1]
