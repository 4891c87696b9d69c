"""Printing HTML to PDF with WeasyPrint, here or in a separate process.

WeasyPrint lays pages out in pure Python, so two PDFs printed in two threads of one process take
as long as one after the other. :func:`write_pdf` prints in this process. A
:class:`PdfInAnotherProcess` is one PDF printed by a printer process
(:class:`groundup.report.printer_process.PrinterProcess`, its own or one shared with other PDFs),
which imports WeasyPrint as soon as it starts: started at the beginning of a visit, it has
imported WeasyPrint long before the report's HTML is ready. Where the process cannot be started
or fails for any reason other than a missing WeasyPrint, the PDF is printed in this process
instead: the same file either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from groundup.errors import GroundUpError
from groundup.report.printer_process import PrinterProcess, checked


def write_pdf(
    html: str,
    base_dir: Path,
    path: Path,
    url_fetcher: Any = None,
    laid_out: Callable[[int], None] | None = None,
) -> int:
    """Print ``html`` (relative links resolved from ``base_dir``) to ``path``, atomically; its
    number of pages. ``laid_out(pages)`` is called once the pages are laid out, before they are
    written."""
    # WeasyPrint logs every CSS property it does not support; keep the CLI quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html_document = weasyprint_html()
    tmp = path.with_name(f".{path.name}.tmp")
    options = {} if url_fetcher is None else {"url_fetcher": url_fetcher}
    document = html_document(string=html, base_url=str(base_dir), **options).render()
    if laid_out is not None:
        laid_out(len(document.pages))
    document.write_pdf(str(tmp))
    tmp.replace(path)
    return len(document.pages)


def weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, or a clear error where WeasyPrint cannot start."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz system libraries missing
        raise GroundUpError(
            f"The PDF renderer (WeasyPrint) cannot start: {exc}.",
            "Install GroundUp's dependencies (pip install -e .) and the Pango library "
            "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
            "fonts-dejavu-core).",
        ) from exc
    return HTML


class PdfInAnotherProcess:
    """One PDF printed by a child process (``process``, shared, or a new one of its own); create
    it early (the child imports WeasyPrint at once), then :meth:`start` with the HTML and
    :meth:`wait` for the file; :meth:`close` when done."""

    def __init__(self, process: PrinterProcess | None = None) -> None:
        self._process = process if process is not None else PrinterProcess()
        self._process.use()
        self._job: tuple[str, Path, Path] | None = None
        self._number: int | None = None
        self._closed = False

    @property
    def process(self) -> PrinterProcess:
        """The child process that prints this PDF (other PDFs may be queued to it)."""
        return self._process

    def start(self, html: str, base_dir: Path, path: Path, images_later: bool = False) -> None:
        """Hand the HTML to the child (returns at once). With ``images_later``, the images it
        shows are still being written: call :meth:`images_ready` once they are (the child
        reads and styles the HTML meanwhile)."""
        self._job = (html, base_dir, path)
        self._number = self._process.submit(html, base_dir, path, images_later)

    def images_ready(self) -> None:
        """Every image of the HTML given to :meth:`start` is written."""
        if self._number is not None:
            self._process.release(self._number)

    def wait(self) -> None:
        """Wait for the PDF; raises :class:`GroundUpError` as :func:`write_pdf` does."""
        if self._job is None:
            self.close()
            return
        reply = checked(self._process.reply(self._number) if self._number is not None else {})
        if reply.get("ok"):
            return
        write_pdf(*self._job)  # the child could not print it: do it here

    def close(self) -> None:
        """Done with this PDF; the child ends with the last PDF it prints."""
        if not self._closed:
            self._closed = True
            self._process.unuse()


Printers = tuple[PdfInAnotherProcess, PdfInAnotherProcess]

# Two children print the two PDFs side by side: the report's layout starts as soon as its HTML
# is ready. One child for both (the handout first, laid out while the report's plots are
# drawn) saves a WeasyPrint import but puts the handout's HTML on the report's path
# (docs/performance.md, "Report stage").
ONE_PRINTER_PROCESS = False


def start_printers() -> Printers:
    """The report's and the handout's PDF printers (a child process that imports WeasyPrint at
    once); give them to :func:`groundup.report.render.render_visit_report`, or end them with
    ``close()``."""
    if ONE_PRINTER_PROCESS:
        shared = PrinterProcess()
        return PdfInAnotherProcess(shared), PdfInAnotherProcess(shared)
    return PdfInAnotherProcess(), PdfInAnotherProcess()
