"""A stance symmetry index timed by video events is graded only beyond its band by the events'
timing error (``video_error`` of the measure in knowledge/findings/analysis.yaml); the same
index from lab markers is graded at the band itself (docs/video-gait.md, "Findings from video
events")."""

from __future__ import annotations

from typing import Any

import pytest

from groundup.chain.extract import findings_from_analysis
from groundup.chain.knowledge import load_yaml


def _stance_measure() -> dict[str, Any]:
    measures = load_yaml("findings", "analysis.yaml")["measures"]
    return next(m for m in measures if m["id"] == "stance_symmetry")


def _severity(kind: str, si_pct: float) -> str:
    doc: dict[str, Any] = {
        "source": {"kind": kind},
        "spatiotemporal": {"symmetry_index": {"stance_pct_si_pct": si_pct}},
    }
    if kind == "video":
        doc["video"] = {"view": "sagittal"}
    findings, _ = findings_from_analysis(doc)
    return next(f.severity for f in findings if f.measure == "stance_symmetry")


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_video_stance_index_within_timing_error_is_not_a_deficit(sign: float) -> None:
    measure = _stance_measure()
    band = float(measure["bands"][0]["value"])
    allowance = float(measure["video_error"]["value"])
    inside = sign * (band + allowance - 0.1)  # e.g. walker B's 7.65 % lies well inside
    beyond = sign * (band + allowance + 0.1)
    assert _severity("video", inside) == "none"
    assert _severity("video", beyond) == "mild"
    assert _severity("c3d", sign * (band + 0.1)) == "mild"
    assert _severity("c3d", sign * (band - 0.1)) == "none"
