"""The clinician report's PDF laid out in two parts by the two printer processes at once.

WeasyPrint lays a document out in one thread, and the report's 12 pages take about 2 s of it
(docs/performance.md, "Sixth round"). The report's HTML has one cut, marked in its template
(:data:`CUT`), where a new page starts anyway. The part before the cut goes to the report's
printer and the part after it to the handout's printer, each without its page margins (running
header and footer), both as soon as the HTML exists. Once the second part is printed and the
first part's pages are laid out (the first printer tells their number before it writes them),
the handout's printer lays out a document of as many empty pages that holds only the page
margins (the same CSS, so "page N of M" counts the whole report); once the first part is
written, it stamps each of those pages onto the matching page of the parts and joins them into
``report.pdf`` (:func:`join_parts`, with pypdf), atomically. The words and pages are those of
the whole report printed in one process; where anything on this path fails, the whole report
is printed in this process instead (:func:`groundup.report.pdf.write_pdf`).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from groundup.report.pdf import PdfInAnotherProcess

# The cut in report.html.j2: between two sections, at the top level of <body>, before a heading
# that starts a new page.
CUT = "<!-- groundup: the PDF's second part starts here -->"
# Where the page-margins document holds its pages (filled in by the printer, which knows how
# many pages the parts have).
PAGES = "<!-- groundup: pages -->"
_NO_PAGE_MARGINS = (
    "<style>@page { @top-left { content: none } @top-center { content: none } "
    "@top-right { content: none } @bottom-left { content: none } "
    "@bottom-center { content: none } @bottom-right { content: none } }</style>"
)
_NEXT_PAGE = '<div style="break-before: page"></div>'


def split_for_print(html: str) -> tuple[str, str] | None:
    """The report's HTML as two documents without page margins (before and after :data:`CUT`),
    or None where it has no single cut at the top level of a plain ``<body>``."""
    if html.count(CUT) != 1 or html.count("</head>") != 1 or html.count("<body") != 1:
        return None
    head, rest = html.split("</head>", 1)
    body_start = rest.index("<body")
    body_open_end = rest.find(">", body_start) + 1
    if body_open_end == 0:
        return None
    body_open, body = rest[:body_open_end], rest[body_open_end:]
    before, after = body.split(CUT)
    if "</body>" not in after:
        return None
    head = f"{head}{_NO_PAGE_MARGINS}</head>"
    return f"{head}{body_open}{before}</body>\n</html>\n", f"{head}{body_open}{after}"


def fill_pages(margins_html: str, n_pages: int) -> str:
    """The page-margins document with ``n_pages`` empty pages."""
    if margins_html.count(PAGES) != 1 or n_pages < 1:
        raise ValueError("not a page-margins document, or no page")
    return margins_html.replace(PAGES, _NEXT_PAGE * (n_pages - 1))


def join_parts(
    parts: list[Path],
    margins_html: str,
    base_dir: Path,
    path: Path,
    n_pages: int,
    parts_written: Callable[[], None] = lambda: None,
) -> None:
    """In a printer: lay out the page margins of ``n_pages`` pages, wait for
    ``parts_written()``, stamp the margins onto the printed parts and join them into ``path``
    (atomically); the parts are removed. Raises where the page counts do not match."""
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    margins = HTML(string=fill_pages(margins_html, n_pages), base_url=str(base_dir)).write_pdf()
    margin_pages = PdfReader(io.BytesIO(margins)).pages
    parts_written()
    readers = [PdfReader(part) for part in parts]
    printed = sum(len(reader.pages) for reader in readers)
    if len(margin_pages) != n_pages or printed != n_pages:
        raise RuntimeError(f"{len(margin_pages)} pages of margins, {printed} printed, {n_pages}")
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader, import_outline=False)
    _copy_bookmarks(writer, readers)
    for page, margin in zip(writer.pages, margin_pages, strict=True):
        page.merge_page(margin)
        page.compress_content_streams()
    if readers[0].metadata:
        writer.add_metadata(dict(readers[0].metadata))
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as out:
        writer.write(out)
    tmp.replace(path)
    for part in parts:
        part.unlink(missing_ok=True)


def _copy_bookmarks(writer: Any, readers: list[Any]) -> None:
    """The parts' bookmarks (one per heading, WeasyPrint's) in the joined PDF, each pointing
    where it did. The later parts' top-level bookmarks (their sections) go under the first
    part's single top-level one (the report's title), as in the report printed whole."""
    from pypdf.generic import Fit

    def copy(reader: Any, items: list[Any], parent: Any, offset: int, top: list[Any]) -> None:
        last = None
        for item in items:
            if isinstance(item, list):
                copy(reader, item, last, offset, top)
                continue
            page = reader.get_destination_page_number(item) + offset
            fit = Fit.fit()
            if item.get("/Type") == "/XYZ":
                fit = Fit.xyz(left=item.get("/Left"), top=item.get("/Top"), zoom=item.get("/Zoom"))
            last = writer.add_outline_item(item.title, page, parent=parent, fit=fit)
            if parent is None:
                top.append(last)

    first_top: list[Any] = []
    copy(readers[0], readers[0].outline, None, 0, first_top)
    parent = first_top[0] if len(first_top) == 1 else None
    offset = len(readers[0].pages)
    for reader in readers[1:]:
        copy(reader, reader.outline, parent, offset, [])
        offset += len(reader.pages)


class ReportPdf:
    """The report's PDF: in two parts by the report's and the second printer where the HTML has
    its cut and the two printers are two processes, else whole by the report's printer. Call
    :meth:`start` with the HTML (its images may still be written), :meth:`images_ready`, then
    :meth:`wait`; :meth:`discard` in a ``finally`` after the printers are closed."""

    def __init__(
        self,
        report_printer: PdfInAnotherProcess,
        second_printer: PdfInAnotherProcess,
        base_dir: Path,
        path: Path,
    ) -> None:
        self._report_printer = report_printer
        self._second_printer = second_printer
        self._base_dir = base_dir
        self._path = path
        self._html = ""
        self._margins_html = ""
        self._jobs: list[tuple[Any, int | None]] = []
        self._parts = [path.with_name(f".{path.stem}-part{k}.pdf") for k in (1, 2)]

    def start(self, html: str, margins_html: str) -> None:
        """Hand the report's HTML to the printers (returns at once); its images may be written
        until :meth:`images_ready`."""
        self._html, self._margins_html = html, margins_html
        parts = split_for_print(html)
        processes = (self._report_printer.process, self._second_printer.process)
        if parts is None or processes[0] is processes[1]:
            self._report_printer.start(html, self._base_dir, self._path, images_later=True)
            return
        for process, part_html, part in zip(processes, parts, self._parts, strict=True):
            job = process.submit(part_html, self._base_dir, part, True, tell_pages=True)
            self._jobs.append((process, job))

    def images_ready(self) -> None:
        """Every image of the HTML is written."""
        if not self._jobs:
            self._report_printer.images_ready()
            return
        for process, job in self._jobs:
            if job is not None:
                process.release(job)

    def wait(self) -> None:
        """Wait for ``report.pdf``; raises :class:`GroundUpError` as ``write_pdf`` does."""
        if not self._jobs:
            self._report_printer.wait()
            return
        from groundup.report.pdf import write_pdf
        from groundup.report.printer_process import checked

        (first, first_job), (second, second_job) = self._jobs
        try:
            if first_job is not None and second_job is not None:
                # The second part (shorter, on the printer that also prints the handout) is
                # done first; the join lays the margins out as soon as the first part's pages
                # are laid out, while that part is written, and joins once it is written.
                second_reply = checked(second.reply(second_job))
                first_pages = first.laid_out(first_job)
                join = None
                if second_reply.get("ok") and first_pages and second_reply.get("pages"):
                    n_pages = first_pages + int(second_reply["pages"])
                    join = second.submit_join(
                        self._parts, self._margins_html, self._base_dir, self._path, n_pages
                    )
                first_reply = checked(first.reply(first_job))
                if join is not None and first_reply.get("ok"):
                    second.release(join)
                    if second.reply(join).get("ok"):
                        return
            write_pdf(self._html, self._base_dir, self._path)  # the whole report, here
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the parts (printed or half-written) if they are still there."""
        for part in self._parts:
            for name in (part, part.with_name(f".{part.name}.tmp")):
                with contextlib.suppress(OSError):
                    os.unlink(name)
