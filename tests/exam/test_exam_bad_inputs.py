"""Must show 5: bad inputs give a clear error naming the field, the value and the expected range,
and nothing else in the exam is lost."""

from __future__ import annotations

from pathlib import Path

from groundup.exam.scoring import score_exam, score_exam_file

from .helpers import ALL_RED_FLAGS_NO

GOOD = {
    "screening": {"red_flags": ALL_RED_FLAGS_NO},
    "tests": {
        "foot_posture_index": {"items": {"left": [1, 1, 0, 1, 1, 0], "right": [1, 1, 0, 1, 1, 0]}}
    },
    "questionnaires": {"pain_nrs": {"current": 4}},
}


def _with(section: str, key: str, body: object) -> dict:
    doc = {k: dict(v) for k, v in GOOD.items()}
    doc[section][key] = body
    return doc


def _only_error(doc: dict) -> dict:
    assert len(doc["errors"]) == 1, doc["errors"]
    # nothing else is lost: the good test and questionnaire are still scored
    assert doc["tests"]["foot_posture_index"]["status"] == "scored"
    assert doc["questionnaires"]["pain_nrs"]["results"]["current"] == 4
    assert doc["pathway"]["decision"] == "exercise_pathway"
    return doc["errors"][0]


def test_navicular_drop_given_in_cm_as_text() -> None:
    err = _only_error(score_exam(_with("tests", "navicular_drop", {"drop_mm": {"left": "0.9 cm"}})))
    assert err["field"] == "tests.navicular_drop.drop_mm.left"
    assert err["value"] == "0.9 cm"
    assert "0 to 30 mm" in err["expected"] and "not cm" in err["expected"]
    assert "0.9 cm = 9 mm" in err["message"]


def test_navicular_drop_entered_under_a_cm_field_name() -> None:
    err = _only_error(score_exam(_with("tests", "navicular_drop", {"drop_cm": {"left": 0.9}})))
    assert err["field"] == "tests.navicular_drop.drop_cm"
    assert "drop_mm" in err["expected"] and "in mm, not cm" in err["expected"]


def test_lunge_distance_of_300() -> None:
    doc = score_exam(
        _with("tests", "weight_bearing_lunge", {"distance_cm": {"left": 300, "right": 11}})
    )
    err = doc["errors"][0]
    assert err["field"] == "tests.weight_bearing_lunge.distance_cm.left"
    assert err["value"] == 300
    assert err["expected"] == "a number from 0 to 25 cm"
    assert "300 mm = 30 cm" not in err["message"]  # 30 cm is still out of range: no false hint
    # the valid right side is still scored
    lunge = doc["tests"]["weight_bearing_lunge"]
    assert lunge["status"] == "partly_scored"
    assert lunge["results"]["right"]["distance_cm"] == 11
    assert doc["tests"]["foot_posture_index"]["status"] == "scored"


def test_out_of_range_value_with_a_unit_hint() -> None:
    err = _only_error(score_exam(_with("tests", "navicular_drop", {"drop_mm": {"right": 80}})))
    assert err["field"] == "tests.navicular_drop.drop_mm.right"
    assert err["expected"] == "a number from 0 to 30 mm"
    assert "Check the measurement" in err["message"]  # no unit makes 80 plausible: no guess
    err = _only_error(
        score_exam(_with("tests", "single_leg_stance", {"eyes_open_s": {"left": 30000}}))
    )
    assert "30000 ms = 30 s" in err["message"]


def test_missing_required_item() -> None:
    err = _only_error(
        score_exam(
            _with(
                "tests",
                "y_balance",
                {
                    "limb_length_cm": {"left": 90},
                    "anterior_cm": {"left": 60},
                    "posteromedial_cm": {"left": 90},
                },
            )
        )
    )
    assert err["field"] == "tests.y_balance.posterolateral_cm"
    assert err["value"] is None
    assert "required" in err["expected"]


def test_fpi_item_out_of_range_and_wrong_length() -> None:
    doc = score_exam(
        _with(
            "tests", "foot_posture_index", {"items": {"left": [1, 3, 0, 1, 1, 0], "right": [1, 1]}}
        )
    )
    fields = {e["field"]: e for e in doc["errors"]}
    assert (
        fields["tests.foot_posture_index.items.left[2]"]["expected"]
        == "a whole number from -2 to 2"
    )
    assert "got 2 items" in fields["tests.foot_posture_index.items.right"]["expected"]


def test_odi_section_answered_twice_as_a_list() -> None:
    doc = score_exam(
        _with("questionnaires", "odi", {"answers": {"pain_intensity": 2, "lifting": [1, 3]}})
    )
    err = doc["errors"][0]
    assert err["field"] == "questionnaires.odi.answers.lifting"
    assert err["value"] == [1, 3]
    assert "answered 2 times" in err["expected"]
    assert doc["questionnaires"]["odi"]["status"] == "error"
    assert doc["tests"]["foot_posture_index"]["status"] == "scored"


def test_odi_section_answered_twice_as_a_duplicate_yaml_key(tmp_path: Path) -> None:
    exam = tmp_path / "exam.yaml"
    exam.write_text(
        "questionnaires:\n"
        "  odi:\n"
        "    answers:\n"
        "      pain_intensity: 2\n"
        "      walking: 1\n"
        "      walking: 3\n"
        "  pain_nrs: {current: 4}\n",
        encoding="utf-8",
    )
    doc = score_exam_file(exam)
    assert [e["field"] for e in doc["errors"]] == ["questionnaires.odi.answers.walking"]
    assert doc["errors"][0]["value"] == [1, 3]
    assert doc["questionnaires"]["pain_nrs"]["status"] == "scored"


def test_odi_answer_out_of_range() -> None:
    doc = score_exam(_with("questionnaires", "odi", {"answers": {"pain_intensity": 6}}))
    err = doc["errors"][0]
    assert err["field"] == "questionnaires.odi.answers.pain_intensity"
    assert err["expected"] == "a whole number from 0 (first statement) to 5 (last statement)"


def test_unknown_test_name() -> None:
    err = _only_error(score_exam(_with("tests", "navicular_dorp", {"drop_mm": {"left": 8}})))
    assert err["field"] == "tests.navicular_dorp"
    assert "navicular_drop" in err["expected"]


def test_questionnaire_put_under_tests() -> None:
    err = _only_error(score_exam(_with("tests", "odi", {"answers": {}})))
    assert "put it under questionnaires" in err["expected"]


def test_patient_name_is_refused_and_not_echoed() -> None:
    doc = score_exam({**GOOD, "patient": {"name": "Jane Example", "age_y": 40}})
    err = doc["errors"][0]
    assert err["field"] == "patient.name"
    assert "Jane" not in str(doc)
    assert doc["patient"]["age_y"] == 40


def test_invalid_yaml_is_a_message_with_a_line(tmp_path: Path) -> None:
    import pytest

    from groundup.errors import InputError

    exam = tmp_path / "exam.yaml"
    exam.write_text("tests:\n  navicular_drop: {drop_mm: {left: 8}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not valid YAML \(line \d+\)"):
        score_exam_file(exam)
