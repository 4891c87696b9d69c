"""Printing HTML to PDF with WeasyPrint, here or in a separate process.

WeasyPrint lays pages out in pure Python, so two PDFs printed in two threads of one process take
as long as one after the other. :class:`PdfInAnotherProcess` prints one PDF in a child Python
process (``python -m groundup.report.pdf``): it starts, imports WeasyPrint while the caller is
still drawing plots, lays the page out on the other core while the caller prints the second
PDF, and writes the file atomically. The HTML goes through a pipe (no patient data on disk
beyond the outputs themselves). Where the child cannot be started or fails for any reason other
than a missing WeasyPrint, the PDF is printed in this process instead: the same file either way.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from groundup.errors import GroundUpError


def write_pdf(html: str, base_dir: Path, path: Path) -> None:
    """Print ``html`` (relative links resolved from ``base_dir``) to ``path``, atomically."""
    # WeasyPrint logs every CSS property it does not support; keep the CLI quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html_document = _weasyprint_html()
    tmp = path.with_name(f".{path.name}.tmp")
    html_document(string=html, base_url=str(base_dir)).write_pdf(str(tmp))
    tmp.replace(path)


def _weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, or a clear error where WeasyPrint cannot start."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz system libraries missing
        raise GroundUpError(
            f"The PDF renderer (WeasyPrint) cannot start: {exc}.",
            "Install GroundUp's dependencies (pip install -e .) and the Pango library "
            "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core).",
        ) from exc
    return HTML


class PdfInAnotherProcess:
    """One PDF printed by a child process; create it early (the child imports WeasyPrint at
    once), then :meth:`start` with the HTML and :meth:`wait` for the file."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._reply: dict[str, str] = {}
        self._job: tuple[str, Path, Path] | None = None
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "groundup.report.pdf"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None  # printed in this process by wait()

    def start(self, html: str, base_dir: Path, path: Path) -> None:
        """Hand the HTML to the child (returns at once)."""
        self._job = (html, base_dir, path)
        if self._proc is None:
            return
        proc = self._proc
        payload = json.dumps({"html": html, "base_dir": str(base_dir), "path": str(path)})

        def talk() -> None:
            try:
                out, _ = proc.communicate(payload.encode("utf-8"))
                self._reply = json.loads(out.decode("utf-8").strip().splitlines()[-1])
            except (OSError, ValueError, IndexError):
                self._reply = {}

        self._thread = threading.Thread(target=talk, name="groundup-pdf", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait for the PDF; raises :class:`GroundUpError` as :func:`write_pdf` does."""
        if self._job is None:
            self.close()
            return
        if self._thread is not None:
            self._thread.join()
        if self._reply.get("ok"):
            return
        if "problem" in self._reply:
            raise GroundUpError(self._reply["problem"], self._reply.get("fix", ""))
        write_pdf(*self._job)  # the child could not print it: do it here

    def close(self) -> None:
        """End the child if no job was given (the report stopped early)."""
        if self._proc is not None and self._thread is None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _child() -> int:
    """``python -m groundup.report.pdf``: import WeasyPrint, read one job as JSON from standard
    input, print it, answer on standard output."""
    try:
        _weasyprint_html()  # imported while the parent still prepares the HTML
        job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        write_pdf(job["html"], Path(job["base_dir"]), Path(job["path"]))
    except GroundUpError as exc:
        print(json.dumps({"problem": exc.problem, "fix": exc.fix}))
        return 1
    except Exception:  # the parent prints the PDF itself
        print(json.dumps({"failed": True}))
        return 1
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
