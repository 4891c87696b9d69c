"""End-to-end `groundup plan` on a real C3D analysis and the example exam; bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundup.cli import app
from groundup.exam.scoring import score_exam_file
from groundup.output import validate
from groundup.plan import plan_visit

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def real_inputs(tmp_path_factory: pytest.TempPathFactory, c3d_dir: Path) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("inputs")
    c3d = sorted(c3d_dir.glob("*.c3d"))[0]
    res = runner.invoke(app, ["analyze", str(c3d), "--out", str(out / "gait")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["exam", "score", str(REPO / "docs/examples/exam_example.yaml"), "--out", str(out / "ex")],
    )
    assert res.exit_code == 0, res.output
    return out / "gait" / "analysis.json", out / "ex" / "exam.json"


def test_plan_end_to_end(real_inputs: tuple[Path, Path], tmp_path: Path) -> None:
    analysis, exam = real_inputs
    res = runner.invoke(
        app, ["plan", "--analysis", str(analysis), "--exam", str(exam), "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    chain = json.loads((tmp_path / "chain.json").read_text())
    plan = json.loads((tmp_path / "plan.json").read_text())
    validate(chain, "chain")
    validate(plan, "plan")
    # the example exam: left pronated foot, left knee valgus in the squat, left Trendelenburg
    assert chain["chains"][0]["title"].startswith("Left foot-driven chain")
    assert {f["source"]["kind"] for f in chain["findings"]} >= {"c3d_gait", "exam_test"}
    assert 4 <= len(plan["exercises"]) <= 6
    follow = tmp_path / "follow"
    res = runner.invoke(
        app,
        [
            "plan",
            "--exam",
            str(exam),
            "--previous",
            str(tmp_path / "plan.json"),
            "--out",
            str(follow),
        ],
    )
    assert res.exit_code == 0, res.output
    plan2 = json.loads((follow / "plan.json").read_text())
    assert plan2["visit"]["kind"] == "follow_up"
    assert "gait analysis (analysis.json)" in plan2["not_assessed"]["inputs"]


def test_deterministic_and_fast(real_inputs: tuple[Path, Path]) -> None:
    analysis = json.loads(real_inputs[0].read_text())
    exam = json.loads(real_inputs[1].read_text())
    plan_visit(analysis, exam)  # warm the knowledge caches
    start = time.perf_counter()
    first = plan_visit(analysis, exam)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert json.dumps(first, sort_keys=True) == json.dumps(
        plan_visit(analysis, exam), sort_keys=True
    )


def test_exam_only_says_gait_not_assessed(tmp_path: Path) -> None:
    exam = score_exam_file(REPO / "docs/examples/exam_example.yaml")
    chain, _plan = plan_visit(None, exam)
    assert any("gait" in s for s in chain["not_assessed"]["inputs"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "File not found"),
        ("{not json", "not valid JSON"),
        ('{"schema": "groundup.analysis/1"}', "not a GroundUp exam file"),
        ('{"schema": "groundup.exam/1"}', "does not match the groundup.exam/1 schema"),
    ],
)
def test_bad_input_gives_problem_and_fix(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "exam.json"
    if content is not None:
        path.write_text(content)
    res = runner.invoke(app, ["plan", "--exam", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Problem:" in res.output and expected in res.output and "What to do:" in res.output
    assert not (tmp_path / "o" / "plan.json").exists()


def test_no_input_and_unknown_precaution(tmp_path: Path) -> None:
    res = runner.invoke(app, ["plan", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "Problem:" in res.output
    exam = tmp_path / "exam.json"
    exam.write_text(json.dumps(score_exam_file(REPO / "docs/examples/exam_example.yaml")))
    res = runner.invoke(
        app, ["plan", "--exam", str(exam), "--precaution", "nope", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2 and "Unknown precaution" in res.output


def test_precaution_option_changes_the_plan(real_inputs: tuple[Path, Path], tmp_path: Path) -> None:
    # `--precaution pregnancy` without the weeks in the exam: supine work is avoided (ACOG 2020),
    # each removed exercise is listed with its reason, and the stop signs are given
    from groundup.plan.library import exercise

    _, exam = real_inputs
    plain, preg = tmp_path / "plain", tmp_path / "preg"
    for out, extra in ((plain, []), (preg, ["--precaution", "pregnancy"])):
        res = runner.invoke(app, ["plan", "--exam", str(exam), "--out", str(out), *extra])
        assert res.exit_code == 0, res.output
    before = json.loads((plain / "plan.json").read_text())
    after = json.loads((preg / "plan.json").read_text())
    assert "supine" in {p for e in before["exercises"] for p in exercise(e["id"])["positions"]}
    assert "supine" not in {p for e in after["exercises"] for p in exercise(e["id"])["positions"]}
    assert {"pregnancy", "no_supine"} <= set(after["precautions"])
    removed = {x["id"]: x for x in after["left_out"] if "no_supine" in x.get("precautions", [])}
    assert removed and all(x["citations"][0]["key"] == "acog2020" for x in removed.values())
    assert "pregnancy_stop_signs" in {a["id"] for a in after["advice"]}
    res = runner.invoke(
        app, ["plan", "--exam", str(exam), "--out", str(tmp_path / "x"), "--precaution", "pregnant"]
    )
    assert res.exit_code == 2 and "Unknown precaution" in res.output
