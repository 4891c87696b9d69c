"""The whole visit from a real walking clip and the example exam: every file, and a report whose
pages hold the video sections, key frames and plots, with every number read from the JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundup.cli import app
from tests.report.helpers import (
    pdf_image_count,
    pdf_pages_to_png,
    pdf_text,
    rendered_numbers,
    resolve,
)

REPO = Path(__file__).resolve().parents[2]
EXAM = REPO / "docs" / "examples" / "exam_example.yaml"


@pytest.mark.slow
def test_video_clip_visit_report(shared_data: Path, tmp_path: Path) -> None:
    clip = shared_data / "video" / "sports2d_demo.mp4"
    result = CliRunner().invoke(
        app, ["analyze", str(clip), "--exam", str(EXAM), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    for name in ("analysis.json", "exam.json", "chain.json", "plan.json", "annotated.mp4"):
        assert (tmp_path / name).stat().st_size > 0, name
    analysis = json.loads((tmp_path / "analysis.json").read_text(encoding="utf-8"))
    assert analysis["source"]["kind"] == "video"
    assert analysis["video"]["view"] == "sagittal"
    # Only sagittal variables from a side view.
    assert set(analysis["curves"]["variables"]) <= {
        "hip_flexion", "knee_flexion", "ankle_dorsiflexion", "trunk_flexion", "pelvis_tilt",
    }  # fmt: skip

    pages = pdf_pages_to_png(tmp_path / "report.pdf", tmp_path / "pages")
    assert 3 <= len(pages) <= 14
    text = " ".join(pdf_text(tmp_path / "report.pdf").split())
    for section in (
        "Summary",
        "Gait",
        "Key frames",
        "face blurred",
        "Clinical examination",
        "Outcome scores",
        "Kinetic chain",
        "Treatment plan",
        "Data quality",
    ):
        assert section in text, section  # fmt: skip
    assert "video, sagittal view" in text
    assert pdf_image_count(tmp_path / "report.pdf") >= 6  # plots, key frames
    handout_pages = pdf_pages_to_png(tmp_path / "handout.pdf", tmp_path / "handout_pages")
    assert len(handout_pages) >= 2
    handout = " ".join(pdf_text(tmp_path / "handout.pdf").split())
    assert "exercise" in handout.lower()
    assert pdf_image_count(tmp_path / "handout.pdf") >= 4  # a drawing per exercise

    docs = {
        "analysis": [analysis],
        "exam": json.loads((tmp_path / "exam.json").read_text(encoding="utf-8")),
        "chain": json.loads((tmp_path / "chain.json").read_text(encoding="utf-8")),
        "plan": json.loads((tmp_path / "plan.json").read_text(encoding="utf-8")),
    }
    numbers = rendered_numbers((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert any(path.startswith("analysis/0/video/") for path, *_ in numbers)
    for path, digits, shown, missing in numbers:
        stored = resolve(docs, path)
        if missing:
            assert stored is None, path
            continue
        assert digits is not None
        value = float(shown.replace("+", ""))
        assert math.isclose(value, float(stored), abs_tol=0.5 * 10 ** (-digits) + 1e-9), path
