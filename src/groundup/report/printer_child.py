"""The child's side of a printer process (:mod:`groundup.report.printer_process`, whose
docstring gives the protocol): ``python -m groundup.report.printer_child`` imports WeasyPrint at
once, then prints the jobs it reads on standard input and answers each on standard output.
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from groundup.errors import GroundUpError
from groundup.report.pdf import weasyprint_html, write_pdf
from groundup.report.printer_process import json_line, json_lines

_LAYOUT_GC_THRESHOLDS = (10_000, 10, 10)


def _child() -> int:
    """Import WeasyPrint, then read jobs (one JSON object a line) from standard input until
    ``{"end": true}`` or its end, print each, answer each on standard output (one JSON object a
    line, with the job's ``id``). A job with ``"hold"`` waits for ``{"release": id}`` before it
    loads its first image; a job with ``"join"`` joins printed parts
    (:mod:`groundup.report.pdf_parts`)."""
    problem: GroundUpError | None = None
    try:
        weasyprint_html()  # imported while the parent still analyses and prepares the HTML
    except GroundUpError as exc:
        problem = exc
    with contextlib.suppress(ImportError):
        import pypdf  # noqa: F401  (for joining parts; imported now, as WeasyPrint is)
    # WeasyPrint's modules are kept out of the collector's scans, and the young objects of a
    # layout (every box and line lives until the PDF is written) collected every 10 000
    # allocations instead of 700: garbage collection during the report's layout 0.15 s -> 0.05 s.
    gc.freeze()
    gc.set_threshold(*_LAYOUT_GC_THRESHOLDS)
    inbox = _Inbox(sys.stdin.buffer)
    code = 0
    while (job := inbox.next_job()) is not None:
        try:
            if problem is not None:
                raise problem
            answer: dict[str, Any] = {"ok": True}
            if "join" in job:
                from groundup.report.pdf_parts import join_parts

                parts = [Path(part) for part in job["join"]]
                join_parts(
                    parts, job["html"], Path(job["base_dir"]), Path(job["path"]),
                    int(job["n_pages"]), _release_waiter(inbox, job["id"]),
                )  # fmt: skip
            else:
                fetcher = _held_fetcher(inbox, job["id"]) if job.get("hold") else None
                told = _pages_teller(job["id"]) if job.get("tell_pages") else None
                pages = write_pdf(
                    job["html"], Path(job["base_dir"]), Path(job["path"]), fetcher, told
                )
                if told is not None:
                    answer["pages"] = pages
        except GroundUpError as exc:
            answer, code = {"problem": exc.problem, "fix": exc.fix}, 1
        except Exception:  # the parent prints the PDF itself
            answer, code = {"failed": True}, 1
        answer["id"] = job.get("id")
        _say(answer)
    return code


def _say(message: dict[str, Any]) -> None:
    """Send ``message`` to the parent (standard output), at once."""
    sys.stdout.buffer.write(json_line(message))
    sys.stdout.buffer.flush()


class _Inbox:
    """The child's standard input, read by a thread: jobs in order, and the releases of held
    jobs as they come (while a job is being laid out)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._released: dict[Any, threading.Event] = {}
        self._lock = threading.Lock()
        self.parent_gone = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def next_job(self) -> dict[str, Any] | None:
        return self._jobs.get()

    def released(self, job: Any) -> threading.Event:
        with self._lock:
            return self._released.setdefault(job, threading.Event())

    def _read(self, stream: IO[bytes]) -> None:
        try:
            for message in json_lines(stream):
                if not isinstance(message, dict) or message.get("end"):
                    break
                if "release" in message:
                    self.released(message["release"]).set()
                else:
                    self.released(message.get("id"))
                    self._jobs.put(message)
        except (OSError, ValueError):
            pass
        self.parent_gone = True
        self._jobs.put(None)
        with self._lock:
            for event in self._released.values():
                event.set()  # a held job fails at its first image, nothing waits for ever


def _pages_teller(job: Any) -> Callable[[int], None]:
    """Tells the parent a job's number of pages once they are laid out."""

    def tell(pages: int) -> None:
        _say({"id": job, "laid_out": pages})

    return tell


def _release_waiter(inbox: _Inbox, job: Any) -> Callable[[], None]:
    """Waits for the job's release; ends this process where the parent is gone instead."""
    released = inbox.released(job)

    def wait() -> None:
        released.wait()
        if inbox.parent_gone:  # released by the end of the input: nobody waits for this PDF
            os._exit(1)

    return wait


def _held_fetcher(inbox: _Inbox, job: Any) -> Any:
    """WeasyPrint's URL fetcher, waiting for the job's release before the first image."""
    wait = _release_waiter(inbox, job)

    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 67: a function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            wait()
            return default_url_fetcher(url, *args, **kwargs)

        return fetch

    class HeldFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            wait()
            return super().fetch(url, headers)

    return HeldFetcher()


if __name__ == "__main__":
    # Every PDF is written and answered: end without tidying the laid-out documents away
    # (the interpreter's teardown took 0.15 s, which the parent waited for).
    exit_code = _child()
    sys.stdout.flush()
    os._exit(exit_code)
