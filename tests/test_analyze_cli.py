"""`groundup analyze` end to end on real trials, its JSON schema, and bad input (Must 3-4)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from reference_contacts import CLEAN_CONTACTS
from typer.testing import CliRunner

from groundup.cli import app
from groundup.errors import GroundUpError, MissingMarkersError, NoWalkingError
from groundup.gait.analysis import analyze_gait
from groundup.io.c3d import read_c3d
from groundup.io.trc import write_trc
from groundup.output import validate

runner = CliRunner()


def _run(*args: str):
    # These tests check the gait analysis; the report has its own tests (tests/report).
    extra = ["--no-report"] if args[:1] == ("analyze",) and "--help" not in args else []
    return runner.invoke(app, [*args, *extra])


def _output(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_analyze_writes_valid_analysis_json(c3d_dir: Path, tmp_path: Path, name: str) -> None:
    result = _run("analyze", str(c3d_dir / name), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "analysis.json").read_text())
    validate(doc, "analysis")
    assert doc["schema"] == "groundup.analysis/1"
    assert doc["source"]["kind"] == "c3d" and doc["source"]["n_frames"] > 0
    st = doc["spatiotemporal"]
    assert 70 < st["cadence_steps_per_min"] < 160
    for side in ("left", "right"):
        assert st[side]["stance_pct"] is None or 50 < st[side]["stance_pct"] < 70
    # auto records which source each event came from; clean contacts come from the plates
    assert "force_plate" in doc["event_detection"]["methods_used"]
    assert "Gait summary" in result.output


@pytest.mark.parametrize("events", ["kinematic", "force-plate", "file"])
def test_each_event_source_can_be_chosen(c3d_dir: Path, tmp_path: Path, events: str) -> None:
    result = _run(
        "analyze",
        str(c3d_dir / "nantes_pig_motion3_ff.c3d"),
        "--out",
        str(tmp_path),
        "--events",
        events,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "analysis.json").read_text())
    validate(doc, "analysis")
    expected = {"kinematic": "footstop", "force-plate": "force_plate", "file": "file"}
    assert set(doc["event_detection"]["methods_used"]) == {expected[events]}


def test_not_a_c3d_file(tmp_path: Path) -> None:
    bad = tmp_path / "walk.c3d"
    bad.write_text("this is a spreadsheet, not a recording")
    result = _run("analyze", str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "is not a C3D file" in _output(result) and "Traceback" not in result.output
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_truncated_c3d(c3d_dir: Path, tmp_path: Path) -> None:
    data = (c3d_dir / "nantes_pig_motion3_ff.c3d").read_bytes()
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(data[: len(data) // 3])
    result = _run("analyze", str(cut), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "truncated" in _output(result) and "announces 293 frames" in _output(result)


def test_failed_run_keeps_earlier_result(c3d_dir: Path, tmp_path: Path) -> None:
    ok = _run("analyze", str(c3d_dir / "smk_overground.c3d"), "--out", str(tmp_path))
    assert ok.exit_code == 0
    before = (tmp_path / "analysis.json").read_bytes()
    bad = tmp_path / "bad.c3d"
    bad.write_bytes(b"\x02\x50" + b"\x00" * 100)
    failed = _run("analyze", str(bad), "--out", str(tmp_path))
    assert failed.exit_code == 2
    assert (tmp_path / "analysis.json").read_bytes() == before


def test_missing_heel_markers_named_with_alternatives(c3d_extra_dir: Path, tmp_path: Path) -> None:
    # c3d.org gait-raw: LHEE/RHEE declared but empty
    path = c3d_extra_dir / "c3dorg_sample03_gait_raw.c3d"
    result = _run("analyze", str(path), "--events", "kinematic", "--out", str(tmp_path))
    text = _output(result)
    assert result.exit_code == 2
    assert "left_heel (LHEE)" in text and "right_heel (RHEE)" in text
    assert "force-plate" in text
    # auto falls back to the plates: one left and one right contact make no stride, so the
    # trial is refused, saying why the markers could not time the steps
    auto = _run("analyze", str(path), "--out", str(tmp_path))
    text = _output(auto)
    assert auto.exit_code == 2, auto.output
    assert "no complete stride" in text and "1 left contact and 1 right contact" in text
    assert "left_heel (LHEE)" in text and "What to do" in text
    assert not (tmp_path / "analysis.json").exists()


def test_marker_set_without_heels(c3d_extra_dir: Path) -> None:
    trial = read_c3d(c3d_extra_dir / "btk_bts_gait9.c3d")
    with pytest.raises(MissingMarkersError) as err:
        analyze_gait(trial, events="kinematic")
    assert "left_heel" in err.value.problem and "force-plate" in err.value.fix


def test_nan_filled_markers(c3d_dir: Path) -> None:
    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    points = dict(trial.points)
    points["left_toe"] = np.full_like(points["left_toe"], np.nan)
    with pytest.raises(MissingMarkersError, match="left_toe"):
        analyze_gait(trial.replace(points=points), events="kinematic")


def test_zero_filled_markers_are_missing_not_data(c3d_dir: Path, tmp_path: Path) -> None:
    """A system writing (0, 0, 0) for a dropped marker must not produce events at the origin."""
    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    points = dict(trial.points)
    heel = points["right_heel"].copy()
    heel[100:140] = 0.0  # 0.4 s dropped marker
    points["right_heel"] = heel
    path = tmp_path / "dropped.trc"
    write_trc(trial.replace(points=points), path)
    result = _run("analyze", str(path), "--out", str(tmp_path), "--events", "kinematic")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "analysis.json").read_text())
    codes = [w["code"] for w in doc["quality"]["warnings"]]
    assert "long_marker_gap" in codes
    gap = doc["quality"]["marker_gaps"]["right_heel"]
    assert gap["longest_gap_s"] == pytest.approx(0.4, abs=0.011)
    strikes = [
        e["time_s"] for e in doc["events"] if e["side"] == "right" and e["kind"] == "heel_strike"
    ]
    assert not any(1.0 <= t <= 1.4 for t in strikes)


def test_trial_with_no_walking(c3d_dir: Path, tmp_path: Path) -> None:
    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    still = {k: np.repeat(v[:1], trial.n_frames, axis=0) for k, v in trial.points.items()}
    path = tmp_path / "standing.trc"
    write_trc(trial.replace(points=still), path)
    result = _run("analyze", str(path), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "No walking was found" in _output(result) and "Traceback" not in result.output
    with pytest.raises(NoWalkingError):
        analyze_gait(trial.replace(points=still), events="kinematic")


def test_force_plate_with_no_contact(c3d_dir: Path) -> None:
    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    unloaded = [p for p in trial.force_plates]
    for p in unloaded:
        p.force_n = np.zeros_like(p.force_n)
    empty = trial.replace(force_plates=unloaded)
    result = analyze_gait(empty, events="auto").to_json()
    assert "no_force_plate_contact" in {w["code"] for w in result["quality"]["warnings"]}
    assert "force_plate" not in result["event_detection"]["methods_used"]
    with pytest.raises(GroundUpError, match="No clean force-plate contact"):
        analyze_gait(empty, events="force-plate")


def test_file_events_requested_but_none_stored(c3d_dir: Path, tmp_path: Path) -> None:
    result = _run(
        "analyze", str(c3d_dir / "btk_coda_demo.c3d"), "--events", "file", "--out", str(tmp_path)
    )
    assert result.exit_code == 2 and "stores no gait events" in _output(result)


def test_unknown_extension(tmp_path: Path) -> None:
    f = tmp_path / "walk.xyz"
    f.write_text("1,2,3")
    result = _run("analyze", str(f), "--out", str(tmp_path))
    assert result.exit_code == 2 and "--kind" in _output(result)


def test_missing_file(tmp_path: Path) -> None:
    result = _run("analyze", str(tmp_path / "nope.c3d"))
    assert result.exit_code == 2 and "File not found" in _output(result)


def test_user_label_map_extends_names(c3d_dir: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.yaml"
    labels.write_text("landmarks:\n  left_heel: [LANK]\n")
    result = _run(
        "analyze",
        str(c3d_dir / "nantes_pig_motion3_ff.c3d"),
        "--labels",
        str(labels),
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "analysis.json").read_text())
    assert doc["source"]["landmarks"]["left_heel"] == "LANK"


def test_help_is_readable() -> None:
    result = _run("analyze", "--help")
    assert result.exit_code == 0
    assert "heel strikes" in result.output


def test_analyze_cop_recording_validates(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "cop" / "BDS00001.txt"
    result = _run("analyze", str(path), "--kind", "cop", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "analysis.json").read_text())
    validate(doc, "analysis")
    assert doc["source"]["kind"] == "cop" and doc["sway"]["mean_velocity_mm_s"] > 0
