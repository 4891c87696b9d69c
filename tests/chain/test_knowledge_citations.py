"""Every rule, exercise and finding norm cites a known source; a test fails on one without."""

from __future__ import annotations

import pytest

from groundup.chain.knowledge import load_yaml, rules, sources
from groundup.plan.library import exercises
from tests.exercise_ids import REQUIRED_EXERCISES


def _known(key: str) -> bool:
    return key in sources() and sources()[key]["evidence"] in (
        "verified",
        "secondary",
        "unverified",
    )


def test_every_rule_cites_a_known_source() -> None:
    for rule in rules():
        assert rule["citations"], rule["id"]
        assert all(_known(k) for k in rule["citations"]), rule["id"]
        assert rule["evidence_level"] in load_yaml("chain", "inference.yaml")["evidence_cap"]


def test_every_exercise_cites_a_known_source_and_has_dosage() -> None:
    ids = [e["id"] for e in exercises()]
    assert len(ids) == len(set(ids))
    for ex in exercises():
        assert ex["citations"] and all(_known(k) for k in ex["citations"]), ex["id"]
        assert ex["levels"] and ex["progression_criteria"] and ex["purpose"]
        for level in ex["levels"]:
            assert level["dosage"], ex["id"]


@pytest.mark.parametrize("name", ["exam.yaml", "analysis.yaml"])
def test_every_finding_norm_cites_a_known_source(name: str) -> None:
    for m in load_yaml("findings", name)["measures"]:
        assert _known(m["norm"]["source"]), m["id"]


def test_required_exercises_present() -> None:
    ids = {e["id"] for e in exercises()}
    required = {*REQUIRED_EXERCISES, "ankle_joint_mobilisation"}
    assert required <= ids


def test_a_missing_citation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = [dict(rules()[0], citations=["no_such_source"])]
    assert not all(_known(k) for r in broken for k in r["citations"])


# ---- contraindications, level limits, advice texts, programme numbers and the safety rules ----
#: keys whose numbers are clinical (thresholds, dose, limits): each needs a source in reach
CLINICAL_NUMBER_KEYS = {
    "value",
    "max_level",
    "min_exercises",
    "max_exercises",
    "adherence_min_pct",
    "sets",
    "reps",
    "hold_s",
    "duration_min",
    "days_per_week",
    "weeks",
}
SOURCE_KEYS = ("source", "sources", "citations", "adherence_source")
KNOWLEDGE_FILES = (
    ("exercises", "library.yaml"),
    ("exercises", "precautions.yaml"),
    ("exercises", "advice.yaml"),
    ("exercises", "programme.yaml"),
    ("chain", "problems.yaml"),
    ("chain", "rules.yaml"),
    ("chain", "inference.yaml"),
    ("findings", "exam.yaml"),
    ("findings", "analysis.yaml"),
)


def _has_source(node: dict) -> bool:
    if any(k in node for k in SOURCE_KEYS):
        return True
    norm = node.get("norm")
    return isinstance(norm, dict) and "source" in norm


def unsourced_numbers(node: object, path: str = "", sourced: bool = False) -> list[str]:
    """Paths of clinical numbers with no source on their own mapping or an enclosing one."""
    bad: list[str] = []
    if isinstance(node, dict):
        here = sourced or _has_source(node)
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if (
                key in CLINICAL_NUMBER_KEYS
                and isinstance(value, int | float)
                and not isinstance(value, bool)
                and not here
            ):
                bad.append(where)
            bad += unsourced_numbers(value, where, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            bad += unsourced_numbers(item, f"{path}[{i}]", sourced)
    return bad


@pytest.mark.parametrize(("folder", "name"), KNOWLEDGE_FILES)
def test_every_clinical_number_has_a_source(folder: str, name: str) -> None:
    assert unsourced_numbers(load_yaml(folder, name)) == []


def test_an_unsourced_number_is_detected() -> None:
    broken = {"precautions": {"x": {"avoid": {"features": ["impact"]}, "max_level": 1}}}
    assert unsourced_numbers(broken) == ["precautions.x.max_level"]
    lib = {"exercises": [{"id": "e", "levels": [{"dosage": {"sets": 3}}]}]}
    assert unsourced_numbers(lib) == ["exercises[0].levels[0].dosage.sets"]


def test_precautions_level_limits_and_advice_cite_known_sources() -> None:
    precautions = load_yaml("exercises", "precautions.yaml")["precautions"]
    advice = load_yaml("exercises", "advice.yaml")["advice"]
    for pid, body in precautions.items():
        assert body["text"], pid
        avoid = body.get("avoid")
        if avoid:
            assert avoid["reason"] and avoid["sources"], pid
            assert all(_known(k) for k in avoid["sources"]), pid
        assert set(body.get("advice", [])) <= set(advice), pid
    for aid, body in advice.items():
        assert body["patient"] and body["clinician"] and body["sources"], aid
        assert all(_known(k) for k in body["sources"]), aid
    for ex in exercises():
        for lim in ex.get("level_limits", []):
            assert lim["precaution"] in precautions and _known(lim["source"]), ex["id"]
        tags = {t for p in load_yaml("chain", "problems.yaml")["problems"] for t in p["tags"]}
        for c in ex.get("contraindications", []):
            assert c in precautions or c in tags, (ex["id"], c)
    for prob in load_yaml("chain", "problems.yaml")["problems"]:
        assert set(prob.get("advice", [])) <= set(advice), prob["id"]


def test_exam_safety_rules_cite_known_sources() -> None:
    from groundup.exam.catalogue import load_catalogue

    cat = load_catalogue()
    precautions = load_yaml("exercises", "precautions.yaml")["precautions"]
    for group in ("precautions", "referrals"):
        for rid, body in cat.safety[group].items():
            assert body["source"] in cat.sources, rid
            if group == "precautions":
                assert rid in precautions, rid
