"""Must show 4: a red flag yields a referral and no exercise pathway."""

from __future__ import annotations

from groundup.exam.scoring import score_exam

from .helpers import ALL_RED_FLAGS_NO


def _exam(red_flags: dict) -> dict:
    return {
        "screening": {
            "red_flags": red_flags,
            "warning_signs": {"uneven_shoe_wear": True, "unstable_or_off_balance": False},
        },
        "tests": {"navicular_drop": {"drop_mm": {"left": 9, "right": 16}}},
        "questionnaires": {"pain_nrs": {"current": 7}},
    }


def test_red_flag_refers_and_closes_the_exercise_pathway() -> None:
    flags = dict(ALL_RED_FLAGS_NO, cauda_equina_symptoms=True)
    doc = score_exam(_exam(flags))
    pathway = doc["pathway"]
    assert pathway["decision"] == "refer"
    assert pathway["exercise_pathway"] is False
    assert pathway["urgency"] == "emergency"
    assert "do not start the exercise pathway" in pathway["message"].lower()
    present = doc["screening"]["red_flags"]["present"]
    assert [p["flag"] for p in present] == ["cauda_equina_symptoms"]
    assert present[0]["citation"]["key"] == "finucane2020"
    # the measurements are still scored and kept for the referral letter
    assert doc["tests"]["navicular_drop"]["status"] == "scored"


def test_most_urgent_flag_sets_the_urgency() -> None:
    flags = dict(ALL_RED_FLAGS_NO, suspected_fracture=True, fever_or_infection_signs=True)
    doc = score_exam(_exam(flags))
    assert doc["pathway"]["urgency"] == "urgent"
    assert len(doc["pathway"]["reasons"]) == 2


def test_no_red_flag_opens_the_exercise_pathway() -> None:
    doc = score_exam(_exam(ALL_RED_FLAGS_NO))
    assert doc["pathway"]["decision"] == "exercise_pathway"
    assert doc["pathway"]["exercise_pathway"] is True
    signs = doc["screening"]["warning_signs"]
    assert [s["sign"] for s in signs["present"]] == ["uneven_shoe_wear"]
    assert "foot_posture_index" in signs["suggested_tests"]
    assert "back_tension_after_standing_or_walking" in signs["not_asked"]


def test_unasked_red_flags_keep_the_exercise_pathway_closed() -> None:
    flags = dict(ALL_RED_FLAGS_NO)
    del flags["suspected_fracture"]
    doc = score_exam(_exam(flags))
    assert doc["pathway"]["decision"] == "screening_incomplete"
    assert doc["pathway"]["exercise_pathway"] is False
    assert doc["screening"]["red_flags"]["not_asked"] == ["suspected_fracture"]


def test_unclear_red_flag_answer_is_an_error_and_not_a_yes_or_no() -> None:
    flags = dict(ALL_RED_FLAGS_NO, cauda_equina_symptoms="maybe")
    doc = score_exam(_exam(flags))
    assert doc["pathway"]["exercise_pathway"] is False
    assert doc["errors"][0]["field"] == "screening.red_flags.cauda_equina_symptoms"
