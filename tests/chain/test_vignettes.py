"""Clinical vignettes: findings in, expected chain links, priorities and plan contents out."""

from __future__ import annotations

import pytest

from groundup.output import validate
from tests.chain.vignette_runner import load, names, run


def _links(chain: dict) -> set[tuple]:
    return {(lk["side"], lk["from"], lk["to"]) for c in chain["chains"] for lk in c["links"]}


def _all_links(chain: dict) -> list[dict]:
    return [lk for c in chain["chains"] for lk in c["links"]]


def test_at_least_twelve_vignettes() -> None:
    assert len(names()) >= 12


@pytest.mark.parametrize("name", names())
def test_vignette(name: str) -> None:
    exp = load(name)["expect"]
    chain, plan = run(name)
    validate(chain, "chain")
    validate(plan, "plan")
    home = [e["id"] for e in plan["exercises"]]
    if "pathway" in exp:
        assert chain["pathway"]["decision"] == exp["pathway"]
    if "plan_status" in exp:
        assert plan["status"] == exp["plan_status"]
    if "chain_title_contains" in exp:
        assert exp["chain_title_contains"] in chain["chains"][0]["title"]
    for side, a, b in exp.get("links", []):
        assert (side, a, b) in _links(chain), sorted(_links(chain), key=str)
    for side, a, b in exp.get("links_absent", []):
        assert (side, a, b) not in _links(chain)
    for side, a, b, fid in exp.get("considered_with_contradicting", []):
        hits = [
            lk
            for lk in chain["links_considered"]
            if (lk["side"], lk["from"], lk["to"]) == (side, a, b)
        ]
        assert hits and fid in {r["id"] for r in hits[0]["contradicting"]}
    for side, a, b, fid in exp.get("link_contradicting_contains", []):
        lk = next(x for x in _all_links(chain) if (x["side"], x["from"], x["to"]) == (side, a, b))
        assert fid in {r["id"] for r in lk["contradicting"]}
    if "max_link_confidence_label" in exp:
        assert all(
            lk["confidence"]["label"] in exp["max_link_confidence_label"]
            for lk in _all_links(chain)
        )
    if "max_link_trust" in exp:
        for lk in _all_links(chain):
            assert all(r["trust"] <= exp["max_link_trust"] for r in lk["supporting"])
    if exp.get("no_chain"):
        assert chain["chains"] == []
        assert exp["no_chain_reason_contains"] in chain["no_chain_reason"]
    problems = [p["problem"] for p in chain["problems"]]
    if "first_problem" in exp:
        assert problems[0] == exp["first_problem"]
    for pid in exp.get("top_problems_include", []):
        assert pid in problems[:4], problems
    if "psychosocial" in exp:
        assert chain["psychosocial"]["risk"] == exp["psychosocial"]
    for ex in exp.get("exercises_include", []):
        assert ex in home, home
    for ex in exp.get("exercises_exclude", []):
        assert ex not in home
    for ex in exp.get("left_out_contraindicated", []):
        out = {x["id"]: x["reason"] for x in plan["left_out"]}
        assert out[ex].startswith("contraindicated")
    if "n_exercises" in exp:
        lo, hi = exp["n_exercises"]
        assert lo <= len(home) <= hi
    for ed in exp.get("education", []):
        assert ed in [e["id"] for e in plan["education"]]
    for m in exp.get("manual_include", []):
        assert m in [e["id"] for e in plan["manual_therapy"]]
    if "notes_contain" in exp:
        assert any(exp["notes_contain"] in n for n in plan["notes"])
    if "visit" in exp:
        assert plan["visit"]["kind"] == exp["visit"]
    for ex_id, decision in exp.get("decisions", {}).items():
        entry = next(e for e in plan["exercises"] if e["id"] == ex_id)
        assert entry["decision"] == decision, entry["decision_reason"]
    changes = {c["outcome"]: c for c in (plan["progress"] or {}).get("outcome_changes", [])}
    for o in exp.get("outcome_improved", []):
        assert changes[o]["improved_by_mcid"]
    for o in exp.get("outcome_worse", []):
        assert changes[o]["worse_by_mcid"]
    for ex_id, top in exp.get("max_level", {}).items():
        entry = next(e for e in plan["exercises"] if e["id"] == ex_id)
        assert entry["level"] <= top
    if "not_assessed_input_contains" in exp:
        assert any(exp["not_assessed_input_contains"] in s for s in chain["not_assessed"]["inputs"])


def test_every_link_explains_findings_for_and_against_with_values() -> None:
    for name in names():
        chain, _ = run(name)
        for lk in _all_links(chain) + chain["links_considered"]:
            assert lk["citations"] and lk["text"]
            for ref in lk["supporting"]:
                assert ref["value"] is not None and ref["text"]
            for ref in lk["contradicting"]:
                assert ref["text"]
            if lk["supported"]:
                assert lk["supporting"]
