"""The new exam inputs: history (precautions), neurological screen and the per-exercise report.

Each is in the template, validated with a clear error (out of range, wrong unit, unknown key),
scored in exam.json (with the safety summary) and shown in the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from groundup.exam.catalogue import load_catalogue
from groundup.exam.scoring import score_exam
from groundup.exam.template import exam_template
from groundup.output import validate
from groundup.report.render import _env, build_context
from tests.vignettes.runner import healthy_exam, merge

KNOWN_SPEC_KEYS = {"type", "min", "max", "unit", "sided", "required", "help", "choices", "length"}


def _exam(over: dict[str, Any]) -> dict[str, Any]:
    doc = score_exam(merge(healthy_exam(), over))
    validate(doc, "exam")
    return doc


def _errors(doc: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in doc["errors"]}


def test_every_new_input_is_in_the_template() -> None:
    cat = load_catalogue()
    text = exam_template(cat)
    doc = yaml.safe_load(text)
    assert set(doc["history"]) == set(cat.history())
    for key, entry in cat.history().items():
        assert set(doc["history"][key]) == set(entry.inputs), key
    for key in ("straight_leg_raise", "slump", "neuro_screen"):
        assert set(doc["tests"][key]) == set(cat.entry(key).inputs), key
    for field in cat.entry("exercise_report").inputs:
        assert f"#       {field}:" in text
    assert "exercise_report: null" in text


def test_catalogue_inputs_have_only_known_spec_keys() -> None:
    # a comma in an unquoted help text splits it into spurious keys of the field's spec
    for entry in load_catalogue().entries.values():
        for name, spec in entry.inputs.items():
            assert set(spec) <= KNOWN_SPEC_KEYS, (entry.key, name, set(spec) - KNOWN_SPEC_KEYS)


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        (
            {"history": {"pregnancy": {"gestation_weeks": 50}}},
            "history.pregnancy.gestation_weeks",
            "0 to 42",
        ),
        (
            {"history": {"pregnancy": {"gestation_weeks": "7 months"}}},
            "history.pregnancy.gestation_weeks",
            "weeks",
        ),
        (
            {"history": {"pregnancy": {"gestation_weeks": 20, "bleeding": True}}},
            "history.pregnancy.bleeding",
            "vaginal_bleeding",
        ),
        ({"history": {"smoking": {"packs": 2}}}, "history.smoking", "pregnancy"),
        (
            {"history": {"falls": {"falls_last_12_months": -1}}},
            "history.falls.falls_last_12_months",
            "0 to 100",
        ),
        (
            {"history": {"falls": {"falls_last_12_months": 1.5}}},
            "history.falls.falls_last_12_months",
            "whole number",
        ),
        (
            {"history": {"recent_surgery": {"weeks_since": 3, "region": "neck"}}},
            "history.recent_surgery.region",
            "lumbar_spine",
        ),
        (
            {"tests": {"neuro_screen": {"power_ankle_dorsiflexion_mrc": {"left": 7}}}},
            "tests.neuro_screen.power_ankle_dorsiflexion_mrc.left",
            "0 to 5",
        ),
        (
            {"tests": {"neuro_screen": {"sensation_l5": {"left": "numb"}}}},
            "tests.neuro_screen.sensation_l5.left",
            "reduced",
        ),
        (
            {"tests": {"neuro_screen": {"reflex_patella": {"left": "normal"}}}},
            "tests.neuro_screen.reflex_patella",
            "reflex_knee",
        ),
        (
            {
                "tests": {
                    "straight_leg_raise": {
                        "result": {"left": "positive"},
                        "angle_deg": {"left": "0.7 rad"},
                    }
                }
            },
            "tests.straight_leg_raise.angle_deg.left",
            "deg",
        ),
        (
            {"tests": {"straight_leg_raise": {"result": {"middle": "positive"}}}},
            "tests.straight_leg_raise.result.middle",
            "left",
        ),
        (
            {"exercise_report": {"short_foot": {"adherence_pct": 120}}},
            "exercise_report.short_foot.adherence_pct",
            "0 to 100",
        ),
        (
            {"exercise_report": {"short_foot": {"hold_s_reached": "2 min"}}},
            "exercise_report.short_foot.hold_s_reached",
            "in s",
        ),
        (
            {"exercise_report": {"squats": {"adherence_pct": 50}}},
            "exercise_report.squats",
            "short_foot",
        ),
        (
            {"exercise_report": {"short_foot": {"pain": "worse"}}},
            "exercise_report.short_foot.pain",
            "pain_response",
        ),
    ],
)
def test_bad_inputs_get_a_clear_error(over: dict[str, Any], field: str, words: str) -> None:
    doc = _exam(over)
    errors = _errors(doc)
    assert field in errors, errors
    assert words in errors[field]
    # the rest of the exam is still scored
    assert doc["tests"]["foot_posture_index"]["status"] == "scored"


def test_wrong_unit_suggests_the_converted_value() -> None:
    doc = _exam({"exercise_report": {"short_foot": {"hold_s_reached": "2 min"}}})
    assert "120 s" in _errors(doc)["exercise_report.short_foot.hold_s_reached"]


def test_history_and_neuro_are_scored_with_the_safety_summary() -> None:
    doc = _exam(
        {
            "history": {
                "pregnancy": {"gestation_weeks": 26},
                "falls": {"falls_last_12_months": 1, "fall_with_injury": True},
            },
            "tests": {
                "straight_leg_raise": {"result": {"left": "positive"}, "angle_deg": {"left": 35}},
                "neuro_screen": {
                    "leg_pain_below_knee": {"left": True},
                    "sensation_l5": {"left": "reduced"},
                    "course": "stable",
                },
            },
        }
    )
    assert doc["history"]["pregnancy"]["inputs"] == {"gestation_weeks": 26.0}
    safety = doc["safety"]
    assert {p["id"] for p in safety["precautions"]} >= {"pregnancy", "no_supine", "fall_risk"}
    assert safety["falls"]["risk"] == "high"
    assert safety["falls"]["reasons"] == ["a fall with injury"]
    assert safety["neuro"]["radicular_sides"] == ["left"]
    assert safety["neuro"]["per_side"]["left"]["deficits"] == ["L5 sensation reduced"]
    assert safety["referrals"] == [] and doc["pathway"]["decision"] == "exercise_pathway"
    assert doc["tests"]["straight_leg_raise"]["results"]["left"] == {
        "result": "positive",
        "angle_deg": 35.0,
    }


def test_a_referral_from_the_neuro_screen_stops_the_pathway() -> None:
    doc = _exam(
        {
            "tests": {
                "neuro_screen": {
                    "leg_pain_below_knee": {"right": True},
                    "power_ankle_plantarflexion_mrc": {"right": 4},
                    "course": "worsening",
                }
            }
        }
    )
    assert doc["pathway"]["decision"] == "refer" and doc["pathway"]["urgency"] == "emergency"
    assert [r["id"] for r in doc["safety"]["referrals"]] == ["progressive_neurological_deficit"]
    assert "safety: progressive_neurological_deficit" in doc["pathway"]["reasons"]


def test_reduced_ankle_reflexes_alone_on_both_sides_are_no_emergency() -> None:
    # common in older adults: reflexes alone do not make a bilateral deficit
    doc = _exam(
        {"tests": {"neuro_screen": {"reflex_ankle": {"left": "reduced", "right": "reduced"}}}}
    )
    assert doc["safety"]["referrals"] == []


def test_new_inputs_are_shown_in_the_report(tmp_path: Path) -> None:
    exam = _exam(
        {
            "history": {"pregnancy": {"gestation_weeks": 30, "supine_intolerance": True}},
            "tests": {
                "straight_leg_raise": {"result": {"left": "positive"}},
                "neuro_screen": {"leg_pain_below_knee": {"left": True}},
            },
            "exercise_report": {"side_plank": {"adherence_pct": 75, "pain_response": "better"}},
        }
    )
    ctx = build_context(
        tmp_path, analyses=[], exam=exam, chain=None, plan=None, key_frames=None, deidentify=True
    )
    html = _env().get_template("report.html.j2").render(**ctx)
    for text in (
        "History and precautions",
        "Pregnancy",
        "gestation weeks",
        "Neurological screen",
        "Straight-leg raise (SLR)",
        "Nerve-root (radicular) signs",
        "No supine",
        "Patient report per home exercise",
        "Adherence",
    ):
        assert text in html, text


def test_exam_schema_rejects_a_bad_safety_section() -> None:
    doc = _exam({})
    doc["safety"]["falls"]["risk"] = "medium"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc, "exam")


def test_outcome_change_is_judged_against_the_mdc() -> None:
    # NRS MDC 2 points (Childs 2005): 5 -> 4 is within measurement error, 6 -> 3 is beyond it
    small = _exam({"questionnaires": {"pain_nrs": {"current": 4, "baseline": 5}}})
    change = small["questionnaires"]["pain_nrs"]["results"]["change_from_baseline"]
    assert change["beyond_mdc"] is False and change["meets"]["absolute"] is False
    large = _exam({"questionnaires": {"pain_nrs": {"current": 3, "baseline": 6}}})
    change = large["questionnaires"]["pain_nrs"]["results"]["change_from_baseline"]
    assert change["beyond_mdc"] is True and change["meets"]["absolute"] is True
