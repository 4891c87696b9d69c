"""Must show 6 and the CLI: template, scoring of the documented example, messages not tracebacks."""

from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from groundup.exam.catalogue import load_catalogue
from groundup.exam.cli import exam_app

EXAMPLE = Path("docs") / "examples" / "exam_example.yaml"
DOCUMENTED_COMMAND = "groundup exam score docs/examples/exam_example.yaml --out out/exam-example"


def _schema() -> dict:
    return json.loads((files("groundup") / "schemas" / "exam.schema.json").read_text())


@pytest.fixture()
def in_repo(repo_root: Path) -> object:
    old = Path.cwd()
    os.chdir(repo_root)
    yield repo_root
    os.chdir(old)


def test_documented_example_scores_with_the_documented_command(
    in_repo: Path, tmp_path: Path
) -> None:
    docs = (in_repo / "docs" / "exam.md").read_text(encoding="utf-8")
    assert DOCUMENTED_COMMAND in docs
    assert DOCUMENTED_COMMAND in (in_repo / EXAMPLE).read_text(encoding="utf-8")
    out = tmp_path / "exam-example"
    args = DOCUMENTED_COMMAND.split()[2:]  # drop "groundup exam"
    args[args.index("--out") + 1] = str(out)
    result = CliRunner().invoke(exam_app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    doc = json.loads((out / "exam.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, _schema())
    assert doc["errors"] == []
    assert doc["pathway"]["decision"] == "exercise_pathway"
    cat = load_catalogue()
    # complete: every test and questionnaire of the catalogue except COP sway (needs a recording)
    assert doc["not_assessed"] == {
        "tests": ["cop_sway"],
        "questionnaires": [],
        "history": ["pregnancy", "recent_surgery"],
    }
    assert doc["safety"]["referrals"] == [] and doc["safety"]["falls"]["risk"] == "low"
    assert set(doc["tests"]) | {"cop_sway"} == set(cat.tests())
    assert all(
        t["status"] == "scored" for t in [*doc["tests"].values(), *doc["questionnaires"].values()]
    )
    # every comparison names the norm it used and its citation
    for t in [*doc["tests"].values(), *doc["questionnaires"].values()]:
        for c in t["comparisons"]:
            assert c["citation"]["citation"] and c["norm"]["id"]
    assert doc["questionnaires"]["odi"]["results"]["score_pct"] == pytest.approx(35.6)


def test_template_is_complete_and_scores_as_not_assessed(tmp_path: Path) -> None:
    blank = tmp_path / "blank.yaml"
    runner = CliRunner()
    result = runner.invoke(exam_app, ["template", "--out", str(blank)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(blank.read_text(encoding="utf-8"))
    cat = load_catalogue()
    assert set(data["tests"]) == set(cat.tests())
    assert set(data["questionnaires"]) == set(cat.questionnaires())
    assert set(data["screening"]["red_flags"]) == set(cat.screening["red_flags"]["flags"])
    assert "# " in blank.read_text(encoding="utf-8")  # commented
    out = tmp_path / "out"
    result = runner.invoke(exam_app, ["score", str(blank), "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "exam.json").read_text())
    jsonschema.validate(doc, _schema())
    assert doc["errors"] == [] and doc["tests"] == {}
    assert doc["pathway"]["decision"] == "screening_incomplete"
    # refuses to overwrite
    again = runner.invoke(exam_app, ["template", "--out", str(blank)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_red_flag_exam_on_the_command_line(tmp_path: Path, repo_root: Path) -> None:
    data = yaml.safe_load((repo_root / EXAMPLE).read_text(encoding="utf-8"))
    data["screening"]["red_flags"]["cancer_history_with_night_pain_or_weight_loss"] = True
    exam = tmp_path / "exam.yaml"
    exam.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(exam_app, ["score", str(exam), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "Pathway: refer" in result.output
    doc = json.loads((tmp_path / "o" / "exam.json").read_text())
    jsonschema.validate(doc, _schema())
    assert doc["pathway"]["exercise_pathway"] is False


def test_input_errors_are_messages_with_exit_code_2(tmp_path: Path) -> None:
    exam = tmp_path / "exam.yaml"
    exam.write_text(
        "tests:\n  navicular_drop: {drop_mm: {left: 8, right: '1.4 cm'}}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(exam_app, ["score", str(exam), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "tests.navicular_drop.drop_mm.right" in result.output
    assert "1.4 cm = 14 mm" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    doc = json.loads((tmp_path / "o" / "exam.json").read_text())  # still written
    assert doc["tests"]["navicular_drop"]["results"]["left"]["drop_mm"] == 8


def test_unreadable_exam_is_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        exam_app, ["score", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "Error:" in result.output and "not found" in result.output
    assert "Traceback" not in result.output


def test_exam_with_cop_recording(tmp_path: Path, cop_dir: Path) -> None:
    exam = tmp_path / "exam.yaml"
    exam.write_text(
        "tests:\n"
        f"  cop_sway: {{recording: {cop_dir / 'BDS00007.txt'}, vision: eyes_open, surface: foam}}\n"
        "  single_leg_stance: {eyes_closed_s: {left: 4}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(exam_app, ["score", str(exam), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o" / "exam.json").read_text())
    jsonschema.validate(doc, _schema())
    sway = doc["tests"]["cop_sway"]["results"]["sway"]
    assert sway["ellipse95_area_mm2"] == pytest.approx(394.9595, abs=0.05)  # 3.949595 cm2 published
    # a wrong recording is an error on that field only
    exam.write_text(
        "tests:\n  cop_sway: {recording: nowhere.csv}\n"
        "  single_leg_stance: {eyes_closed_s: {left: 4}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(exam_app, ["score", str(exam), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2
    doc = json.loads((tmp_path / "o2" / "exam.json").read_text())
    assert doc["errors"][0]["field"] == "tests.cop_sway.recording"
    assert doc["tests"]["single_leg_stance"]["status"] == "scored"
