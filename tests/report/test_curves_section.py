"""The curves block of the report: flagged video deviations worded as approximate, the GPS
placed against the typical-adult range with its drivers, the norm set named."""

from __future__ import annotations

import re
from pathlib import Path

from groundup.norms import compute_gait_curves
from groundup.report.curves_section import curves_block
from tests.curves.test_cycles_and_scores import _norm_trial


def _text(markup: object) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", str(markup)).replace("\u202f", " ").split())


def test_flagged_video_deviation_is_worded_as_approximate(tmp_path: Path) -> None:
    angles, rate, events = _norm_trial(25.0)
    sagittal = {k: v for k, v in angles.items() if "flexion" in k}
    curves = compute_gait_curves(
        sagittal, rate, events, source="video", view="sagittal", age_years=46
    ).to_json()
    block = curves_block(0, curves, tmp_path)
    assert block["deviations"], "a 25 deg knee offset is beyond 2 SD plus the 2-D error"
    for row in block["deviations"]:
        assert "approximately" in _text(row["summary"]) and "from video" in _text(row["summary"])
        assert _text(row["value"]).startswith("about ")
    assert "2-D video error" in block["flag_rule"]
    assert "Norm set: age 46 y" in _text(block["reference"])
    # a partial (video) GPS is not compared with the typical adult range
    assert "typical adult" not in " ".join(_text(v) for v in block["gps"].values())


def test_marker_gps_is_placed_against_the_typical_adult_range(tmp_path: Path) -> None:
    angles, rate, events = _norm_trial(9.0, variable="hip_rotation")
    curves = compute_gait_curves(angles, rate, events, source="c3d", view="3d").to_json()
    overall = curves["gait_profile_score"]["overall"]
    assert overall["complete"] and overall["typical_adult"]["inside"] is True
    block = curves_block(0, curves, tmp_path)
    text = _text(block["gps"]["overall"])
    assert "within the typical adult range, up to 7.4" in text
    assert "driven by left hip rotation (curve shifted by +9.0" in text
    assert not [r for r in block["deviations"] if "about" in _text(r["value"])]
    assert "age not given" in _text(block["reference"])
