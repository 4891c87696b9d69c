"""Must show 1 (questionnaires): scoring against worked examples from the instruments' sources."""

from __future__ import annotations

import pytest

from groundup.exam.catalogue import load_catalogue

from .helpers import score_questionnaire

ODI_SECTIONS = load_catalogue().entry("odi").data["sections"]


def _odi_answers(scores: list[int | None]) -> dict[str, int | None]:
    return dict(zip(ODI_SECTIONS, scores, strict=True))


@pytest.mark.parametrize("example", load_catalogue().entry("odi").data["worked_examples"])
def test_odi_worked_examples_of_the_scoring_sheet(example: dict) -> None:
    # A patient whose answered sections sum to 16: 10 sections -> 16/50, 9 -> 16/45.
    scores: list[int | None] = [2, 1, 3, 2, 2, 3, 1, 1, 1, 0]
    if example["answered_sections"] == 9:
        scores[7] = None  # sex life not answered
        scores[9] = 1  # keep the sum at 16
    assert sum(s for s in scores if s is not None) == example["sum"]
    out, errors = score_questionnaire("odi", {"answers": _odi_answers(scores)})
    assert errors == []
    assert out.results["raw_sum"] == 16
    assert out.results["possible_sum"] == 5 * example["answered_sections"]
    exact = 16 / (5 * example["answered_sections"]) * 100
    assert out.results["score_pct"] == pytest.approx(exact, abs=0.05)
    # The sheet prints 32 % for 16/50 and 35.5 % for 16/45 (= 35.56 %, printed truncated).
    if example.get("as_printed"):
        assert int(exact * 10) / 10 == example["score_pct"]
    else:
        assert out.results["score_pct"] == pytest.approx(example["score_pct"], abs=1e-9)


def test_odi_skipped_sections_lower_the_denominator_and_are_listed() -> None:
    scores: list[int | None] = [4, 3, None, 3, 2, None, 2, None, 3, 2]
    out, errors = score_questionnaire("odi", {"answers": _odi_answers(scores)})
    assert errors == []
    assert out.results["score_pct"] == pytest.approx(19 / 35 * 100, abs=0.05)
    assert out.results["skipped_sections"] == ["lifting", "standing", "sex_life"]
    # Fairbank & Pynsent bands: 19/35 = 54.3 % lies in 41-60 %
    assert out.results["band"] == "severe disability"


def test_odi_bands_at_their_edges() -> None:
    # 10/50 = 20 % is minimal, 11/50 = 22 % moderate (Fairbank & Pynsent 0-20 / 21-40).
    out, _ = score_questionnaire("odi", {"answers": _odi_answers([1] * 10)})
    assert (out.results["score_pct"], out.results["band"]) == (20.0, "minimal disability")
    out, _ = score_questionnaire("odi", {"answers": _odi_answers([2] + [1] * 9)})
    assert (out.results["score_pct"], out.results["band"]) == (22.0, "moderate disability")


def test_odi_change_against_the_mcid() -> None:
    out, _ = score_questionnaire("odi", {"answers": _odi_answers([2] * 10), "baseline_pct": 52})
    change = out.results["change_from_baseline"]
    assert change["improvement"] == pytest.approx(12.0)
    assert change["meets"] == {"absolute": True, "relative": False}  # 12 >= 10 points; 23 % < 30 %
    # The relative MCID is compared with the improvement in percent of baseline (12 / 52 = 23 %).
    relative = [c for c in out.comparisons if c["unit"] == "pct_of_baseline"]
    assert [c["value"] for c in relative] == [pytest.approx(23.08, abs=0.01)]


def test_psfs_mcid_text_is_read_whole() -> None:
    out, _ = score_questionnaire("psfs", {"activities": [{"score": 5}], "baseline": 3})
    assert [m["text"] for m in out.results["mcid"]] == [
        "improvement of the mean score (SEM-based, chronic LBP)"
    ]
    assert all(None not in m for m in out.results["mcid"])


def test_start_back_high_risk_rule_uses_the_psychosocial_subscale() -> None:
    # Hill et al. 2008: total >= 4 and psychosocial (items 5-9) >= 4 -> high risk.
    answers = {
        1: "agree",
        2: "disagree",
        3: "disagree",
        4: "disagree",
        5: "agree",
        6: "agree",
        7: "agree",
        8: "disagree",
        9: "extremely",
    }
    out, errors = score_questionnaire("start_back", {"answers": answers})
    assert errors == []
    assert (out.results["total"], out.results["psychosocial_subscale"]) == (5, 4)
    assert out.results["risk_group"] == "high"


def test_start_back_medium_when_subscale_is_three() -> None:
    answers = {
        1: "agree",
        2: "agree",
        3: "agree",
        4: "disagree",
        5: "agree",
        6: "agree",
        7: "agree",
        8: "disagree",
        9: "moderately",
    }
    out, _ = score_questionnaire("start_back", {"answers": answers})
    # item 9 "moderately" scores 0: only "very much" / "extremely" score 1
    assert (out.results["total"], out.results["psychosocial_subscale"]) == (6, 3)
    assert out.results["risk_group"] == "medium"


def test_start_back_low_when_total_is_three_even_with_psychosocial_items() -> None:
    answers = {
        1: "disagree",
        2: "disagree",
        3: "disagree",
        4: "disagree",
        5: "agree",
        6: "agree",
        7: "disagree",
        8: "disagree",
        9: "very much",
    }
    out, _ = score_questionnaire("start_back", {"answers": answers})
    assert (out.results["total"], out.results["psychosocial_subscale"]) == (3, 3)
    assert out.results["risk_group"] == "low"


def test_start_back_needs_all_nine_items() -> None:
    answers = {i: "agree" for i in range(1, 9)}
    _, errors = score_questionnaire("start_back", {"answers": answers})
    assert [e.field for e in errors] == ["questionnaires.start_back.answers.9"]
    assert "all 9 items" in errors[0].expected


def test_rmdq_counts_ticked_statements() -> None:
    out, errors = score_questionnaire("rmdq", {"ticked": [2, 5, 9, 13, 24], "baseline": 11})
    assert errors == []
    assert out.results["score"] == 5
    assert out.results["change_from_baseline"]["meets"] == {"absolute": True, "relative": True}
    out, _ = score_questionnaire("rmdq", {"ticked": []})
    assert out.results["score"] == 0


def test_pain_nrs_and_its_mcid() -> None:
    out, errors = score_questionnaire("pain_nrs", {"current": 6, "worst_24h": 8, "baseline": 8})
    assert errors == []
    assert out.results["current"] == 6
    meets = out.results["change_from_baseline"]["meets"]
    assert meets == {"absolute": True, "relative": False}  # 2 points, 25 %


def test_psfs_is_the_mean_of_the_activity_scores() -> None:
    acts = [{"activity": "standing 30 min", "score": 3}, {"activity": "walking", "score": 8}]
    out, errors = score_questionnaire("psfs", {"activities": acts, "baseline": 3.5})
    assert errors == []
    assert out.results["score"] == pytest.approx(5.5)  # (3 + 8) / 2
    assert out.results["change_from_baseline"]["meets"] == {"absolute": True}  # +2.0 >= 1.4
    out, _ = score_questionnaire("psfs", {"activities": [{"score": s} for s in (4, 5, 6, 2, 9)]})
    assert out.results["score"] == pytest.approx(5.2)
