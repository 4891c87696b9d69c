"""Reports from partial inputs say what was not assessed; de-identification; exercise drawings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from groundup.cli import app
from groundup.exam.sway import analyze_cop_recording
from groundup.plan import plan_visit
from groundup.report import KeyFrame, blur_faces, render_visit_report
from groundup.report.cli import report_app
from groundup.report.figures import draw_pose, find_pose, load_poses
from tests.exercise_ids import REQUIRED_EXERCISES
from tests.report.helpers import pdf_image_count, pdf_image_encodings, pdf_text

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

LIBRARY_EXERCISES = REQUIRED_EXERCISES  # each needs a drawing


def _text(pdf: Path) -> str:
    return " ".join(pdf_text(pdf).split())


@pytest.fixture(scope="module")
def exam_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("exam")
    result = runner.invoke(
        app, ["exam", "score", str(REPO / "docs/examples/exam_example.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "exam.json").read_text())


@pytest.fixture(scope="module")
def chain_plan(exam_json: dict) -> tuple[dict, dict]:
    """chain.json and plan.json of the example exam alone, from the reasoning engine."""
    return plan_visit(None, exam_json)


@pytest.mark.slow
def test_only_a_gait_recording(c3d_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["analyze", str(c3d_dir / "smk_overground.c3d"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    analysis = json.loads((tmp_path / "analysis.json").read_text())
    files = render_visit_report(
        tmp_path / "r", analyses=[analysis], exam=None, chain=None, plan=None
    )
    text = _text(files.pdf)
    assert "Red flags not assessed" in text
    assert "Not assessed: no clinical exam was given" in text
    assert "Not assessed: no exam (questionnaires) was given" in text
    assert "Not assessed: no treatment plan" in text
    assert "Spatiotemporal parameters" in text and "Left–right symmetry" in text
    assert pdf_image_count(files.pdf) >= 1  # the symmetry chart
    handout = _text(files.handout_pdf)
    assert "No home exercises were set at this visit" in handout
    assert "Stop and get help" in handout


@pytest.mark.slow
def test_only_an_exam(exam_json: dict, tmp_path: Path) -> None:
    files = render_visit_report(tmp_path, analyses=[], exam=exam_json, chain=None, plan=None)
    text = _text(files.pdf)
    assert "Not assessed: no walking recording" in text
    assert "gait (no walking recording analysed)" in text
    assert "Navicular drop" in text and "Oswestry Disability Index" in text
    assert any("gait" in item for item in files.not_assessed)


def test_balance_recording_only(shared_data: Path, tmp_path: Path) -> None:
    analysis = analyze_cop_recording(shared_data / "cop" / "BDS00001.txt")
    files = render_visit_report(tmp_path, analyses=[analysis], exam=None, chain=None, plan=None)
    text = _text(files.pdf)
    assert "Standing balance (centre of pressure)" in text
    assert "Mean velocity" in text
    html = files.html.read_text()
    assert f"{analysis['sway']['mean_velocity_mm_s']:.1f}" in html


@pytest.mark.slow
def test_referral_replaces_the_exercises_in_the_handout(
    exam_json: dict, chain_plan: tuple[dict, dict], tmp_path: Path
) -> None:
    exam = json.loads(json.dumps(exam_json))
    exam["pathway"] = {
        "decision": "refer",
        "exercise_pathway": False,
        "urgency": "emergency",
        "reasons": ["cauda_equina_symptoms"],
        "message": "Refer now.",
    }
    plan = chain_plan[1]
    files = render_visit_report(tmp_path, analyses=[], exam=exam, chain=None, plan=plan)
    assert "Refer: emergency" in _text(files.pdf)
    handout = _text(files.handout_pdf)
    assert "Please see a doctor first" in handout
    assert plan["exercises"][0]["name"] not in handout


@pytest.mark.slow
def test_exam_only_visit_shows_chain_plan_and_an_exercise_without_drawing(
    exam_json: dict, chain_plan: tuple[dict, dict], tmp_path: Path
) -> None:
    chain, plan = chain_plan
    plan = json.loads(json.dumps(plan))
    plan["exercises"][0]["id"] = "pelvic_clock"  # an exercise the pose table does not know
    plan["exercises"][0]["name"] = "Pelvic clock"
    files = render_visit_report(tmp_path, analyses=[], exam=exam_json, chain=chain, plan=plan)
    text = _text(files.pdf)
    assert "Problem list (top 5)" in text and chain["problems"][0]["text"] in text
    assert "Links considered but not supported" in text or not chain["links_considered"]
    handout = _text(files.handout_pdf)
    assert "Pelvic clock" in handout and "Picture not available" in handout
    assert pdf_image_count(files.handout_pdf) == len(plan["exercises"]) - 1


@pytest.mark.slow
def test_folder_command_renders_what_is_there(exam_json: dict, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "exam.json").write_text(json.dumps(exam_json))
    result = runner.invoke(
        report_app, ["--from", str(tmp_path / "in"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "Not assessed" in result.output
    assert (tmp_path / "out" / "report.pdf").stat().st_size > 10_000
    empty = runner.invoke(
        report_app, ["--from", str(tmp_path / "out" / "report_files"), "--out", str(tmp_path / "x")]
    )
    assert empty.exit_code == 2 and "holds none of" in empty.output


def _textured(height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def test_blur_faces_hides_the_face_and_nothing_else() -> None:
    image = _textured(240, 320)
    face = np.array([[160, 60], [150, 55], [170, 55], [140, 60], [180, 60], [155, 72], [165, 72]])
    out = blur_faces(image, face)
    # detail inside the face box is gone: the pixel-to-pixel variation drops by > 90 %
    inner = (slice(50, 75), slice(145, 175))
    before = np.abs(np.diff(image[inner].astype(float), axis=1)).mean()
    after = np.abs(np.diff(out[inner].astype(float), axis=1)).mean()
    assert after < 0.1 * before
    # pixels far from the face are untouched
    assert np.array_equal(out[150:, :], image[150:, :])
    assert np.array_equal(out[:, :80], image[:, :80])


@pytest.mark.slow
def test_key_frames_are_blurred_withheld_or_shown_as_asked(exam_json: dict, tmp_path: Path) -> None:
    face = np.array([[160.0, 60.0], [150.0, 55.0], [170.0, 55.0]])
    frames = [
        KeyFrame(
            image=_textured(240, 320), label="left heel strike", side="left", face_points_px=face
        ),
        KeyFrame(image=_textured(240, 320), label="right toe off", side="right"),
    ]
    files = render_visit_report(
        tmp_path / "a", analyses=[], exam=exam_json, chain=None, plan=None, key_frames=frames
    )
    html = files.html.read_text()
    assert "face blurred" in html
    assert "right toe off&#39; was left out" in html or "right toe off' was left out" in html
    assert (tmp_path / "a" / "report_files" / "keyframe_1.jpg").is_file()
    assert not (tmp_path / "a" / "report_files" / "keyframe_2.jpg").exists()
    files = render_visit_report(
        tmp_path / "b",
        analyses=[],
        exam=exam_json,
        chain=None,
        plan=None,
        key_frames=frames,
        deidentify=False,
    )
    assert (tmp_path / "b" / "report_files" / "keyframe_2.jpg").is_file()
    assert "not de-identified" in files.html.read_text()
    # key frames are photographs: embedded in the PDF as JPEG, as written (not compressed again)
    assert pdf_image_encodings(files.pdf).count("jpeg") == 2
    # rendered again into the same folder, a frame now withheld does not linger from before
    render_visit_report(
        tmp_path / "b", analyses=[], exam=exam_json, chain=None, plan=None, key_frames=frames
    )
    assert not (tmp_path / "b" / "report_files" / "keyframe_2.jpg").exists()


def test_every_library_exercise_has_a_drawing(tmp_path: Path) -> None:
    for exercise_id in LIBRARY_EXERCISES:
        found = find_pose(exercise_id)
        assert found is not None, exercise_id
        path = draw_pose(found[1], tmp_path / f"{exercise_id}.png")
        assert path.stat().st_size > 2000
    assert find_pose("heel_raise_single_leg")[0] == "heel_raise"  # level suffix
    assert find_pose("no_such_exercise", "Pelvic clock") is None
    assert set(load_poses()) >= set(LIBRARY_EXERCISES)
