"""Report layout choices made for speed: no CSS multi-column flow, the exam's two balanced
columns, and the clinician PDF printed by a second process (or here, when it cannot start)."""

from __future__ import annotations

import io
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from groundup.report.pdf import ONE_PRINTER_PROCESS, PdfInAnotherProcess, start_printers
from groundup.report.printer_process import PrinterProcess, json_lines
from groundup.report.render import _test_lines, two_columns

HTML = "<html><body><h1>GroundUp</h1><p>One page.</p></body></html>"


def test_report_css_has_no_multi_column_flow() -> None:
    # WeasyPrint lays a multi-column block out again and again to balance it: 9 of the 11 s of
    # the report's layout went there (docs/performance.md)
    css = (files("groundup.report") / "templates" / "report.css").read_text(encoding="utf-8")
    assert "columns:" not in css and "column-count" not in css


def _test(rows: int, comparisons: int = 0) -> dict[str, object]:
    return {
        "title": f"t{rows}-{comparisons}",
        "rows": [{}] * rows,
        "comparisons": [{}] * comparisons,
    }


def test_two_columns_keep_the_order_and_balance_the_heights() -> None:
    tests = [_test(8, 4), _test(2), _test(3, 1), _test(5), _test(1), _test(6, 2), _test(2)]
    left, right = two_columns(tests)
    assert left + right == tests  # read down the first column, then the second
    assert left and right
    # no single test could move across the split and make the columns more even
    height = [_test_lines(t) for t in tests]
    gap = abs(sum(height[: len(left)]) - sum(height[len(left) :]))
    for k in (len(left) - 1, len(left) + 1):
        assert gap <= abs(sum(height[:k]) - sum(height[k:]))
    assert two_columns([]) == ([], [])
    one = [_test(3)]
    assert sum(len(c) for c in two_columns(one)) == 1


def test_pdf_printed_by_a_second_process(tmp_path: Path) -> None:
    printer = PdfInAnotherProcess()
    printer.start(HTML, tmp_path, tmp_path / "a.pdf")
    printer.wait()
    assert printer.process.reply(1).get("ok") is True  # printed by the child, not here
    printer.close()
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob(".*.tmp"))



def test_printer_protocol_skips_lines_that_are_not_json() -> None:
    # a library may print into the child's standard output; bad bytes are not an answer either
    stream = io.BytesIO(b'{"id": 1}\nWARNING: a font\n\xff\xfe\n{"id": 2, "ok": true}\n')
    assert list(json_lines(stream)) == [{"id": 1}, {"id": 2, "ok": True}]


def test_pdf_printed_here_when_no_process_can_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    printer = PdfInAnotherProcess()
    printer.start(HTML, tmp_path, tmp_path / "b.pdf")
    printer.wait()
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")


def test_unused_printer_process_is_ended() -> None:
    printer = PdfInAnotherProcess()
    proc = printer._process._proc
    printer.close()
    assert proc is None or proc.poll() is not None


def test_one_printer_process_prints_several_pdfs_in_order(tmp_path: Path) -> None:
    shared = PrinterProcess()
    first, second = PdfInAnotherProcess(shared), PdfInAnotherProcess(shared)
    proc = shared._proc
    assert proc is not None
    first.start(HTML, tmp_path, tmp_path / "first.pdf")
    second.start(HTML.replace("One page", "Another page"), tmp_path, tmp_path / "second.pdf")
    second.wait()
    first.wait()
    first.close()
    assert proc.poll() is None  # still in use by the second PDF
    second.close()
    assert proc.poll() == 0  # ended by its last user, after answering every PDF
    for name in ("first.pdf", "second.pdf"):
        assert (tmp_path / name).read_bytes().startswith(b"%PDF")
        assert (tmp_path / name).stat().st_mtime_ns > 0
    assert not list(tmp_path.glob(".*.tmp"))


def test_pdf_printed_here_when_the_printer_process_died(tmp_path: Path) -> None:
    printer = PdfInAnotherProcess()
    proc = printer._process._proc
    assert proc is not None
    proc.kill()
    proc.wait()
    printer.start(HTML, tmp_path, tmp_path / "c.pdf")
    printer.wait()
    printer.close()
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")


def test_printers_for_a_visit_are_two_processes_or_one_shared() -> None:
    report, handout = start_printers()
    procs = [report._process._proc, handout._process._proc]
    try:
        shared = report._process is handout._process
        assert shared == ONE_PRINTER_PROCESS
    finally:
        report.close()
        handout.close()
    assert all(proc is not None and proc.poll() is not None for proc in procs)  # none left


def _png(path: Path) -> None:
    import numpy as np
    from PIL import Image

    Image.fromarray(np.full((20, 30, 3), 200, dtype=np.uint8)).save(path)


def test_printer_reads_the_html_first_and_waits_for_its_images(tmp_path: Path) -> None:
    html = '<html><body><p>Plot:</p><img src="late.png" style="width: 30mm"></body></html>'
    printer = PdfInAnotherProcess()
    printer.start(html, tmp_path, tmp_path / "held.pdf", images_later=True)
    _png(tmp_path / "late.png")  # written after the HTML went to the printer
    printer.images_ready()
    printer.wait()
    printer.close()
    assert b"/Subtype /Image" in (tmp_path / "held.pdf").read_bytes()  # the image is in it


def test_plots_held_are_saved_when_asked_and_dropped_on_an_error(tmp_path: Path) -> None:
    from groundup.report import plots
    from groundup.report.held import writes_held

    spatio = {
        "left": {"stance_pct": 61.0, "step_length_m": 0.62},
        "right": {"stance_pct": 63.0, "step_length_m": 0.60},
    }
    with writes_held() as save_all:
        chart = plots.symmetry_chart(spatio, tmp_path / "symmetry.png")
        assert chart is not None and not chart.exists()  # named, not saved yet
        save_all()
    assert chart.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(RuntimeError), writes_held():
        dropped = plots.symmetry_chart(spatio, tmp_path / "dropped.png")
        raise RuntimeError("the report failed")
    assert dropped is not None and not dropped.exists()
    assert plots.symmetry_chart(spatio, tmp_path / "now.png") == tmp_path / "now.png"
    assert (tmp_path / "now.png").exists()  # outside: saved at once
