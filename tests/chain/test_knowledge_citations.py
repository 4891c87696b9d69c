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
