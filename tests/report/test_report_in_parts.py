"""The report's PDF laid out in two parts by two printers and joined with its page margins.

A whole visit of the lab sample (its C3D trial and the example exam) is rendered; its report.pdf
must be the report printed whole in one process, page for page: the same words on the same
number of pages, "page N of M" and the running header on every page, the same bookmarks.
Where the join cannot be done, the whole report is printed here and no part is left behind.
"""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from groundup.cli import app
from groundup.report import pdf as pdf_module
from groundup.report import printer_process, render_visit_report
from groundup.report.pdf import start_printers
from groundup.report.pdf_parts import CUT, split_for_print
from tests.report.helpers import pdf_text

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "smk_overground.c3d"
EXAM_EXAMPLE = REPO / "docs" / "examples" / "exam_example.yaml"


def _pages(pdf: Path) -> list[str]:
    return [page for page in pdf_text(pdf).split("\f") if page.strip()]


def _words(pdf: Path) -> collections.Counter[str]:
    return collections.Counter(pdf_text(pdf).split())


def _bookmarks(pdf: Path) -> list[tuple[int, str, int]]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def _assert_margins_on_every_page(pdf: Path, visit_label: str) -> int:
    pages = _pages(pdf)
    for k, page in enumerate(pages, start=1):
        assert f"page {k} of {len(pages)}" in page, f"page {k}: no footer"
        assert "GroundUp visit report" in page and visit_label in page, f"page {k}: no header"
        assert "For the treating clinician" in page, f"page {k}: no footer text"
    return len(pages)


def test_split_for_print_cuts_once_at_the_mark() -> None:
    html = (
        '<!DOCTYPE html><html><head><style>p{}</style></head><body class="x">'
        f"<h1>T</h1><p>one</p>{CUT}<h2>two</h2><p>three</p></body></html>"
    )
    parts = split_for_print(html)
    assert parts is not None
    first, second = parts
    assert "<p>one</p>" in first and "two" not in first and first.rstrip().endswith("</html>")
    assert "<p>one</p>" not in second and "<h2>two</h2><p>three</p></body></html>" in second
    for part in parts:  # the page margins come from the margins document only
        assert part.count("@bottom-right { content: none }") == 1
        assert part.count('<body class="x">') == 1
    assert split_for_print(html.replace(CUT, "")) is None
    assert split_for_print(html.replace(CUT, CUT + CUT)) is None


@pytest.fixture(scope="module")
def sample_visit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lab sample's whole visit, its report printed in parts by the printer processes
    (printing here would raise)."""

    def printed_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the report was printed whole in this process")

    out = tmp_path_factory.mktemp("parts") / "visit"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_module, "write_pdf", printed_here)
        result = CliRunner().invoke(
            app, ["analyze", str(SAMPLE), "--exam", str(EXAM_EXAMPLE), "--out", str(out)]
        )
    assert result.exit_code == 0, result.output
    return out


def _docs(out: Path) -> dict[str, Any]:
    return {name: json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("analysis", "exam", "chain", "plan")}  # fmt: skip


@pytest.mark.slow
def test_report_in_two_parts_is_the_report_printed_whole(
    sample_visit: Path, tmp_path: Path
) -> None:
    out = sample_visit
    joined = out / "report.pdf"
    whole = tmp_path / "whole.pdf"
    pdf_module.write_pdf((out / "report.html").read_text(encoding="utf-8"), out, whole)

    exam_date = _docs(out)["exam"]["exam_date"]
    n_pages = _assert_margins_on_every_page(joined, f"exam {exam_date}")
    assert n_pages == _assert_margins_on_every_page(whole, f"exam {exam_date}")
    assert _words(joined) == _words(whole)
    assert _bookmarks(joined) == _bookmarks(whole)
    assert [depth for depth, _, _ in _bookmarks(joined)][:2] == [0, 1]  # sections under the title
    assert joined.stat().st_size < 1.3 * whole.stat().st_size
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def _render_again(out: Path, folder: Path, printers: Any = None) -> Path:
    docs = _docs(out)
    files = render_visit_report(
        folder, analyses=[docs["analysis"]], exam=docs["exam"], chain=docs["chain"],
        plan=docs["plan"], printers=printers,
    )  # fmt: skip
    _assert_margins_on_every_page(files.pdf, f"exam {docs['exam']['exam_date']}")
    assert _words(files.pdf) == _words(out / "report.pdf")
    assert [p.name for p in folder.iterdir() if re.match(r"\..*part", p.name)] == []
    return files.pdf


@pytest.mark.slow
def test_a_failed_join_prints_the_whole_report_here(
    sample_visit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printer_process.PrinterProcess, "submit_join", lambda *a, **k: None)
    _render_again(sample_visit, tmp_path / "again")


@pytest.mark.slow
def test_a_printer_gone_prints_the_whole_report_here(sample_visit: Path, tmp_path: Path) -> None:
    report_printer, handout_printer = start_printers()
    proc = handout_printer.process._proc
    assert proc is not None
    proc.kill()
    proc.wait()
    _render_again(sample_visit, tmp_path / "again", printers=(report_printer, handout_printer))
    assert (tmp_path / "again" / "handout.pdf").read_bytes().startswith(b"%PDF")
