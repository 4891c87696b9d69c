"""`groundup analyze` as the whole visit: recordings and exam in, every document out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundup.cli import app
from groundup.output import validate
from groundup.pipeline import kind_of
from groundup.pipeline.visit import analysis_file_name

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
EXAM = REPO / "docs" / "examples" / "exam_example.yaml"


def _run(*args: str):
    return runner.invoke(app, list(args))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_c3d_visit_writes_every_document(c3d_dir: Path, tmp_path: Path) -> None:
    result = _run(
        "analyze", str(c3d_dir / "nantes_pig_motion3_ff.c3d"), "--exam", str(EXAM),
        "--out", str(tmp_path), "--no-report",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    analysis = _load(tmp_path / "analysis.json")
    validate(analysis, "analysis")
    # Curves from marker joint angles, valid against their own schema.
    validate(analysis["curves"], "curves")
    assert analysis["curves"]["view"] == "3d"
    gps = analysis["curves"]["gait_profile_score"]["overall"]["value_deg"]
    assert 0 < gps < 30
    exam = _load(tmp_path / "exam.json")
    validate(exam, "exam")
    chain, plan = _load(tmp_path / "chain.json"), _load(tmp_path / "plan.json")
    validate(chain, "chain")
    validate(plan, "plan")
    assert chain["not_assessed"]["inputs"] == []
    assert 4 <= len(plan["exercises"]) <= 6


@pytest.mark.slow
def test_several_recordings_go_into_one_visit(
    c3d_dir: Path, shared_data: Path, tmp_path: Path
) -> None:
    c3d = c3d_dir / "btk_functional_walk.c3d"
    result = _run("analyze", str(c3d), str(c3d_dir / "smk_overground.c3d"), "--exam", str(EXAM),
                  "--out", str(tmp_path), "--no-report")  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.glob("analysis*.json"))
    assert names == ["analysis_1_btk_functional_walk.json", "analysis_2_smk_overground.json"]
    assert not (tmp_path / "analysis.json").exists()
    chain = _load(tmp_path / "chain.json")
    assert chain["not_assessed"]["inputs"] == []


def test_exam_only_visit_says_gait_not_assessed(tmp_path: Path) -> None:
    result = _run("analyze", "--exam", str(EXAM), "--out", str(tmp_path), "--no-report")
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob("analysis*.json"))
    chain = _load(tmp_path / "chain.json")
    assert any("gait" in item for item in chain["not_assessed"]["inputs"])


def test_nothing_to_do_is_explained(tmp_path: Path) -> None:
    result = _run("analyze", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "Nothing to analyse" in result.output and "--exam" in result.output


def test_a_bad_recording_leaves_earlier_results_untouched(c3d_dir: Path, tmp_path: Path) -> None:
    previous = tmp_path / "analysis.json"
    previous.write_text('{"earlier": true}', encoding="utf-8")
    bad = tmp_path / "broken.mp4"
    bad.write_text("this is not a video", encoding="utf-8")
    result = _run("analyze", str(bad), "--exam", str(EXAM), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "Problem:" in result.output and "What to do:" in result.output
    assert previous.read_text(encoding="utf-8") == '{"earlier": true}'
    assert not (tmp_path / "exam.json").exists()  # nothing is written when an input fails


def test_kind_from_extension_and_clear_refusal(tmp_path: Path) -> None:
    assert kind_of(Path("walk.MP4")) == "video"
    assert kind_of(Path("trial.c3d")) == "c3d"
    assert kind_of(Path("markers.trc")) == "trc"
    with pytest.raises(Exception) as info:
        kind_of(tmp_path / "notes.docx")
    assert "--kind" in str(getattr(info.value, "fix", ""))


def test_file_names_for_one_and_several_recordings() -> None:
    assert analysis_file_name(0, Path("a/walk side.mp4"), 1) == "analysis.json"
    assert analysis_file_name(1, Path("a/walk side.mp4"), 2) == "analysis_2_walk-side.json"


def test_subject_option_is_checked(tmp_path: Path) -> None:
    result = _run("analyze", "clip.mp4", "--subject", "left", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "X,Y" in result.output
