"""No deficit is graded from a value on the normal side of a published limit or cut-off.

Every graded band of the findings maps is tried at its own limit (and just inside it): the value
must come out as severity "none". And the whole exam of a healthy adult with every value at its
norm's mean yields no problem and no exercise.
"""

from __future__ import annotations

from typing import Any

import pytest

from groundup.chain.extract import grade
from groundup.chain.knowledge import load_yaml
from groundup.exam.scoring import score_exam
from groundup.plan.build import plan_visit
from tests.vignettes.runner import healthy_exam

NUMERIC_OPS = {"<", "<=", ">", ">=", "abs>"}


def _bands() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Per measure, sex and direction, the band nearest to normal: its limit is the published
    lower limit or cut-off (bands further out grade severity beyond it)."""
    out = []
    for name in ("exam.yaml", "analysis.yaml"):
        for m in load_yaml("findings", name)["measures"]:
            nearest: dict[tuple[str, str], dict[str, Any]] = {}
            for b in m.get("bands", []):
                if b["op"] not in NUMERIC_OPS or not isinstance(b["value"], int | float):
                    continue
                low = b["op"] in ("<", "<=")
                key = (str(b.get("sex", "any")), "low" if low else "high")
                best = nearest.get(key)
                if best is None or (
                    b["value"] > best["value"] if low else b["value"] < best["value"]
                ):
                    nearest[key] = b
            for b in nearest.values():
                out.append((f"{m['id']} {b['op']} {b['value']} {b.get('sex', '')}".strip(), m, b))
    return out


def _inside(op: str, limit: float) -> list[float]:
    """Values on the normal side of a limit: the limit itself where the op is strict, and a
    hair inside it."""
    eps = 1e-6
    return {
        "<": [limit, limit + eps],
        "<=": [limit + eps],
        ">": [limit, limit - eps],
        ">=": [limit - eps],
        "abs>": [limit, -limit, limit - eps],
    }[op]


@pytest.mark.parametrize(("label", "measure", "band"), _bands(), ids=[b[0] for b in _bands()])
def test_value_at_the_limit_is_not_a_deficit(
    label: str, measure: dict[str, Any], band: dict[str, Any]
) -> None:
    sex = band.get("sex", "female")
    for value in _inside(band["op"], float(band["value"])):
        graded = grade(measure, value, None if sex == "unknown" else sex, None)
        assert graded is not None and graded[0] == "none", (label, value, graded)


def test_no_band_is_compared_with_a_reference_mean() -> None:
    # "ref" bands graded a value against an age-group mean: a mean is never a deficit limit
    for name in ("exam.yaml", "analysis.yaml"):
        for m in load_yaml("findings", name)["measures"]:
            assert all(b["value"] != "ref" for b in m.get("bands", [])), m["id"]


def test_healthy_exam_at_the_norm_means_gives_no_problem_and_no_exercise() -> None:
    exam = score_exam(healthy_exam())
    assert exam["errors"] == []
    chain, plan = plan_visit(None, exam)
    abnormal = [f["id"] for f in chain["findings"] if f["severity"] != "none"]
    assert abnormal == []
    assert chain["problems"] == [] and chain["chains"] == []
    assert plan["exercises"] == [] and plan["manual_therapy"] == []
    assert "within its norm" in chain["no_chain_reason"]
    # and the exam itself flags nothing
    assert exam["findings"] == []
