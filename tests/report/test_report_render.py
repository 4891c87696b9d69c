"""Clinician report and patient handout rendered from a real C3D trial and the example exam.

The C3D trial is analysed with `groundup analyze`, the example exam scored with `groundup exam
score`; the report is rendered, its PDF pages turned into images (pdftoppm) and its text read
back (pdftotext). Chain and plan come from hand-written documents in tests/report/data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from groundup.cli import app
from groundup.errors import GroundUpError
from groundup.report import render_visit_report
from tests.report.helpers import (
    pdf_image_count,
    pdf_pages_to_png,
    pdf_text,
    rendered_numbers,
    resolve,
    word_heights_pt,
)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
TRIAL = "nantes_pig_motion3_ff.c3d"  # adult, three clean plate contacts (shared/data MANIFEST)
runner = CliRunner()


def _analyze(path: Path, out: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["analyze", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "analysis.json").read_text())


def _exam(out: Path) -> dict[str, Any]:
    example = REPO / "docs" / "examples" / "exam_example.yaml"
    result = runner.invoke(app, ["exam", "score", str(example), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "exam.json").read_text())


@pytest.fixture(scope="module")
def visit(c3d_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("visit")
    docs = {
        "analysis": [_analyze(c3d_dir / TRIAL, work / "analysis")],
        "exam": _exam(work / "exam"),
        "chain": json.loads((DATA / "chain_example.json").read_text()),
        "plan": json.loads((DATA / "plan_example.json").read_text()),
    }
    files = render_visit_report(
        work / "report",
        analyses=docs["analysis"],
        exam=docs["exam"],
        chain=docs["chain"],
        plan=docs["plan"],
    )
    return {"docs": docs, "files": files, "work": work}


@pytest.mark.slow
def test_clinician_pdf_pages_sections_and_plots(visit: dict[str, Any]) -> None:
    files = visit["files"]
    pages = pdf_pages_to_png(files.pdf, visit["work"] / "pages")
    assert len(pages) >= 4, "report too short to hold every section"
    assert all(p.stat().st_size > 3000 for p in pages), "a page rendered empty"
    text = " ".join(pdf_text(files.pdf).split())
    order = [
        "1. Summary",
        "Key findings",
        "2. Gait",
        "Spatiotemporal parameters",
        "Left–right symmetry",
        "3. Clinical examination",
        "Foot and ankle",
        "Balance",
        "Pelvis, hip and core",
        "4. Outcome scores",
        "5. Kinetic chain: explanation",
        "6. Treatment plan",
        "7. Data quality",
        "References",
    ]
    position = 0
    for heading in order:  # each section present, in this order
        found = text.find(heading, position)
        assert found >= 0, f"section '{heading}' missing or out of order"
        position = found
    # values of this trial and this exam appear as the JSON holds them
    spatio = visit["docs"]["analysis"][0]["spatiotemporal"]
    assert f"{spatio['cadence_steps_per_min']:.1f}" in text
    assert "Oswestry Disability Index" in text and "35.6" in text
    assert "Foot → knee" in text and "Short foot" in text and "Clamshell" in text
    # plots: the symmetry chart and the outcome chart are raster images in the PDF
    assert pdf_image_count(files.pdf) >= 2
    assert (files.html.parent / "report_files" / "symmetry_1.png").is_file()


@pytest.mark.slow
def test_handout_pdf_plain_large_with_pictures(visit: dict[str, Any]) -> None:
    files = visit["files"]
    pages = pdf_pages_to_png(files.handout_pdf, visit["work"] / "handout_pages")
    assert 1 <= len(pages) <= 6
    text = " ".join(pdf_text(files.handout_pdf).split())
    for needed in (
        "Why your feet matter for your back",
        "Your exercises",
        "Stop and get help",
        "Short foot exercise",
        "3 sets, 10 repetitions",
        "Picture not available",  # the plan's "pelvic_clock_custom" has no drawing
    ):
        assert needed in text, needed
    # one drawing for each of the four exercises the pose table knows
    assert pdf_image_count(files.handout_pdf) == 4
    # large type: the median word box is at least 14 pt high (body text set at 14 pt)
    heights = sorted(word_heights_pt(files.handout_pdf))
    assert heights[len(heights) // 2] >= 14.0


@pytest.mark.slow
def test_numbers_in_report_equal_numbers_in_json(visit: dict[str, Any]) -> None:
    html = visit["files"].html.read_text(encoding="utf-8")
    numbers = rendered_numbers(html)
    assert len(numbers) > 150, "fewer numbers than the inputs hold: tagging lost"
    sources = {path.split("/")[0] for path, *_ in numbers}
    assert {"analysis", "exam", "plan"} <= sources
    for path, digits, shown, missing in numbers:
        stored = resolve(visit["docs"], path)
        if missing:
            assert stored is None, path
            continue
        assert digits is not None
        value = float(shown.replace("+", ""))
        tolerance = 0.5 * 10 ** (-digits) + 1e-9
        assert math.isclose(value, float(stored), abs_tol=tolerance), (path, shown, stored)


def test_nothing_to_report_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GroundUpError) as err:
        render_visit_report(tmp_path, analyses=[], exam=None, chain=None, plan=None)
    assert "nothing to report" in err.value.problem
