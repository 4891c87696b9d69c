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


def test_adult_cadence_and_step_length_are_compared_at_the_patients_speed() -> None:
    """Adults with a speed in m/s: cadence and step length against the WBDS adults at that speed
    (a slow walk is not 'low cadence'); children and unknown speed keep the other references."""
    from groundup.report.gait_section import spatiotemporal_rows

    spatio = {
        "walking_speed_m_s": 0.7,
        "cadence_steps_per_min": 90.0,
        "step_length_m": 0.47,
        "left": {},
        "right": {},
    }
    rows, cited = spatiotemporal_rows(0, spatio, 30, "female")
    by_label = {r["label"]: r for r in rows}
    assert "at 0.70 m/s" in by_label["Cadence"]["norm"]
    cadence = by_label["Cadence"]
    assert cadence["comparison"].startswith("within") and not cadence["flag"]
    assert "fukuchi2018" in {c["key"] for c in cited}
    child_rows, _ = spatiotemporal_rows(0, spatio, 10, "female")
    assert "m/s (treadmill" not in " ".join(r["norm"] for r in child_rows)
    no_speed, _ = spatiotemporal_rows(0, dict(spatio, walking_speed_m_s=None), 30, "female")
    assert "m/s (treadmill" not in " ".join(r["norm"] for r in no_speed)
