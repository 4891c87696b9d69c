"""Clinician report and patient handout of a whole visit: a real C3D trial and the example exam.

`groundup analyze TRIAL --exam EXAM --out DIR` runs the real pipeline (gait with curves, exam
scoring, chain and plan through groundup.plan.plan_visit, report). The report's PDF pages are
turned into images (pdftoppm) and its text read back (pdftotext); every number in the HTML is
checked against the JSON files the same run wrote.
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
from groundup.report import ReportFiles, render_visit_report
from tests.report.helpers import (
    pdf_image_count,
    pdf_pages_to_png,
    pdf_text,
    rendered_numbers,
    resolve,
    word_heights_pt,
)

REPO = Path(__file__).resolve().parents[2]
TRIAL = "nantes_pig_motion3_ff.c3d"  # adult, three clean plate contacts (shared/data MANIFEST)
runner = CliRunner()


EXAM_EXAMPLE = REPO / "docs" / "examples" / "exam_example.yaml"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def visit(c3d_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("visit")
    out = work / "report"
    result = runner.invoke(
        app, ["analyze", str(c3d_dir / TRIAL), "--exam", str(EXAM_EXAMPLE), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    docs = {
        "analysis": [_load(out / "analysis.json")],
        "exam": _load(out / "exam.json"),
        "chain": _load(out / "chain.json"),
        "plan": _load(out / "plan.json"),
    }
    files = ReportFiles(
        html=out / "report.html", pdf=out / "report.pdf", handout_pdf=out / "handout.pdf"
    )
    return {"docs": docs, "files": files, "work": work}


@pytest.mark.slow
def test_clinician_pdf_pages_sections_and_plots(visit: dict[str, Any]) -> None:
    files = visit["files"]
    pages = pdf_pages_to_png(files.pdf, visit["work"] / "pages")
    # every section of the issue, summary first, within a length usable in a 45-minute visit
    assert 6 <= len(pages) <= 12, f"{len(pages)} pages"
    assert all(p.stat().st_size > 3000 for p in pages), "a page rendered empty"
    page_texts = pdf_text(files.pdf).split("\f")
    first = " ".join(page_texts[0].split())
    for needed in ("1. Summary", "Key findings", "Problem list (top 5)", "The chain"):
        assert needed in first, f"'{needed}' not on the summary page"
    assert "Plan at a glance" in first and "Glute bridge" in first
    text = " ".join(pdf_text(files.pdf).split())
    order = [
        "1. Summary",
        "Key findings",
        "Plan at a glance",
        "2. Gait",
        "Spatiotemporal parameters",
        "Left–right symmetry",
        "Movement Analysis Profile",
        "Joint angles over the gait cycle",
        "Flagged deviations at key instants",
        "3. Clinical examination",
        "Foot and ankle",
        "Balance",
        "Pelvis, hip and core",
        "4. Outcome scores",
        "5. Kinetic chain: explanation",
        "Problem list (priority order)",
        "Chains and their links",
        "Links considered but not supported",
        "6. Treatment plan",
        "7. Data quality",
        "References",
    ]
    position = 0
    for heading in order:  # each section present, in this order
        found = text.find(heading, position)
        assert found >= 0, f"section '{heading}' missing or out of order"
        position = found
    docs = visit["docs"]
    spatio = docs["analysis"][0]["spatiotemporal"]
    assert f"{spatio['cadence_steps_per_min']:.1f}" in text
    assert "Oswestry Disability Index" in text and "35.6" in text
    # the adult patient is compared with the adult curves, and the report names the norm set
    curves = docs["analysis"][0]["curves"]
    assert curves["reference"]["patient_group"] == "adult"
    assert curves["reference"]["dataset"] == "WBDS2018"
    assert "Adult compared with healthy adults (WBDS, Fukuchi et al. 2018)" in text
    assert "Norm set: age" in text and "adult curves" in text
    # the GPS is placed against the typical-adult range and its drivers are named
    overall = curves["gait_profile_score"]["overall"]
    word = "within" if overall["typical_adult"]["inside"] else "above"
    assert f"{word} the typical adult range" in text and "driven by" in text
    # only the flagged deviations are listed, one row each
    n_flagged = sum(d["flagged"] for d in curves["deviations"])
    if n_flagged:
        assert f"{n_flagged} of {len(curves['deviations'])} checks flagged" in text
    assert "beyond the reference mean ± 2 SD by more than the error of the event timing" in text
    # chain and plan as the reasoning engine wrote them
    assert docs["chain"]["chains"][0]["title"] in text
    for exercise in docs["plan"]["exercises"]:
        assert exercise["name"] in text
    for left_out in docs["plan"]["left_out"]:
        assert left_out["name"] in text
    # plots: symmetry chart, MAP, curves figure and outcome chart are images in the PDF
    assert pdf_image_count(files.pdf) >= 4
    assets = files.html.parent / "report_files"
    for name in ("symmetry_1.png", "curves_1.png", "profile_1.png", "outcomes.png"):
        assert (assets / name).is_file(), name


@pytest.mark.slow
def test_handout_pdf_plain_large_with_pictures(visit: dict[str, Any]) -> None:
    files = visit["files"]
    pages = pdf_pages_to_png(files.handout_pdf, visit["work"] / "handout_pages")
    assert 1 <= len(pages) <= 6
    text = " ".join(pdf_text(files.handout_pdf).split())
    plan = visit["docs"]["plan"]
    for needed in (
        "Why your feet matter for your back",
        "Your exercises",
        "Stop and get help",
        plan["exercises"][0]["name"],
        "3 sets, 10 repetitions",
    ):
        assert needed in text, needed
    # one drawing for each exercise of the plan (every library exercise has one)
    assert pdf_image_count(files.handout_pdf) == len(plan["exercises"])
    # large type: the median word box is at least 14 pt high (body text set at 14 pt)
    heights = sorted(word_heights_pt(files.handout_pdf))
    assert heights[len(heights) // 2] >= 14.0


@pytest.mark.slow
def test_numbers_in_report_equal_numbers_in_json(visit: dict[str, Any]) -> None:
    html = visit["files"].html.read_text(encoding="utf-8")
    numbers = rendered_numbers(html)
    assert len(numbers) > 250, "fewer numbers than the inputs hold: tagging lost"
    sources = {path.split("/")[0] for path, *_ in numbers}
    assert {"analysis", "exam", "chain", "plan"} <= sources
    curve_paths = {path for path, *_ in numbers if "/curves/" in path}
    for part in ("gait_variable_scores_deg", "gait_profile_score", "deviations", "symmetry"):
        assert any(f"/curves/{part}/" in path for path in curve_paths), part
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
