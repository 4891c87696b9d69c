"""The exam form is generated from the catalogue and checked by the CLI's scorer."""

from __future__ import annotations

from typing import Any

from groundup.exam.catalogue import load_catalogue
from groundup.exam.loader import load_exam_file
from groundup.exam.scoring import score_exam, score_exam_file
from groundup.web.exam_form import all_fields, build_form, check_exam, exam_input_from_post
from tests.store_fixtures import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "exam_example.yaml"


def test_every_catalogue_input_has_a_field():
    cat = load_catalogue()
    names = {f.name for f in all_fields(build_form(cat))}
    for key, entry in cat.tests().items():
        for name, spec in entry.inputs.items():
            if spec.get("type") == "path":
                continue
            sides = ("left", "right") if spec.get("sided") else (None,)
            for side in sides:
                assert f"tests.{key}.{name}" + (f".{side}" if side else "") in names
    for section in ("warning_signs", "red_flags"):
        items = next(v for v in cat.screening[section].values() if isinstance(v, dict))
        for item in items:
            assert f"screening.{section}.{item}" in names
    for key in cat.questionnaires():
        assert any(n.startswith(f"questionnaires.{key}.") for n in names), key


def test_fields_added_to_the_catalogue_appear_without_code():
    """A new screening section and a new test (as the precautions and the neurological screen
    are added to the catalogue) become form fields."""
    from dataclasses import replace

    from groundup.exam.catalogue import Entry

    cat = load_catalogue()
    screening = {**cat.screening, "precautions": {"items": {
        "pregnancy": {"text": "pregnant"}, "osteoporosis": {"text": "osteoporosis"},
        "anticoagulants": {"text": "takes anticoagulants", "type": "choice",
                           "choices": ["none", "warfarin", "doac"]}}}}
    neuro = Entry("neuro_screen", "neurological", "test", {"title": "Neurological screen",
        "inputs": {"slr_deg": {"type": "number", "min": 0, "max": 120, "unit": "deg",
                               "sided": True},
                   "reflexes": {"type": "choice", "choices": ["normal", "reduced"]}}})
    grown = replace(cat, screening=screening, entries={**cat.entries, "neuro_screen": neuro})
    fields = {f.name: f for f in all_fields(build_form(grown))}
    assert fields["screening.precautions.pregnancy"].kind == "yesno"
    assert fields["screening.precautions.anticoagulants"].choices == ["none", "warfarin", "doac"]
    assert fields["screening.precautions.anticoagulants"].label == "takes anticoagulants"
    assert fields["tests.neuro_screen.slr_deg.left"].unit == "°"
    assert fields["tests.neuro_screen.reflexes"].choices == ["normal", "reduced"]


def _post_of(exam: dict[str, Any]) -> dict[str, str]:
    """What a therapist would type into the form for the example exam."""
    post: dict[str, str] = {}

    def put(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                put(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(node, list) and prefix.endswith("ticked"):
            for n in node:
                post[f"{prefix}.{n}"] = "on"
        elif isinstance(node, list) and prefix.endswith("activities"):
            for i, row in enumerate(node, 1):
                post[f"{prefix}.{i}.activity"] = row["activity"]
                post[f"{prefix}.{i}.score"] = str(row["score"])
        elif isinstance(node, list):
            post[prefix] = " ".join(map(str, node))
        elif isinstance(node, bool):
            post[prefix] = "yes" if node else "no"
        elif node is not None:
            post[prefix] = str(node)

    put("", exam)
    return post


def test_the_form_scores_like_the_cli():
    """The example exam typed into the form gives the scores `groundup exam score` gives."""
    exam = load_exam_file(EXAMPLE)
    for q, key in (("odi", "baseline_pct"), ("rmdq", "baseline"), ("pain_nrs", "baseline"),
                   ("psfs", "baseline")):
        exam["questionnaires"][q].pop(key, None)  # baselines come from the store, not the form
    sections = build_form()
    form_input = exam_input_from_post(_post_of(exam), sections)
    check = check_exam(form_input, sections)
    assert check.errors == [] and check.general == []
    from_form = score_exam(form_input)
    from_cli = score_exam(exam)
    assert from_form["tests"] == from_cli["tests"]
    assert from_form["questionnaires"] == from_cli["questionnaires"]
    assert from_form["screening"] == from_cli["screening"]
    assert from_form["pathway"] == from_cli["pathway"]
    assert score_exam_file(EXAMPLE)["tests"] == from_cli["tests"]


def test_bad_values_get_the_cli_messages_beside_their_fields():
    sections = build_form()
    post = {"tests.navicular_drop.drop_mm.right": "1.2 cm",
            "tests.foot_posture_index.items.left": "1 1 1 1 2 9",
            "tests.heel_raise.count.left": "12.5", "patient.sex": "female"}
    check = check_exam(exam_input_from_post(post, sections), sections)
    by_name = {f.name: f for f in all_fields(sections)}
    cli = score_exam(exam_input_from_post(post, build_form()))
    assert {e["message"] for e in check.errors} == {e["message"] for e in cli["errors"]}
    assert "1.2 cm = 12 mm" in by_name["tests.navicular_drop.drop_mm.right"].error
    assert "-2 to 2" in by_name["tests.foot_posture_index.items.left"].error
    assert "whole number" in by_name["tests.heel_raise.count.left"].error
