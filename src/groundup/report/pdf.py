"""Printing HTML to PDF with WeasyPrint, here or in a separate process.

WeasyPrint lays pages out in pure Python, so two PDFs printed in two threads of one process take
as long as one after the other. A :class:`PrinterProcess` is a child Python process
(``python -m groundup.report.pdf``) that imports WeasyPrint as soon as it starts, then prints the
PDFs it is given, one after the other in the order given, each written atomically. Started at
the beginning of a visit, it has imported WeasyPrint long before the report's HTML is ready. The
HTML goes through a pipe (no patient data on disk beyond the outputs themselves).

A :class:`PdfInAnotherProcess` is one PDF printed by such a process (its own, or one shared with
other PDFs). Where the process cannot be started or fails for any reason other than a missing
WeasyPrint, the PDF is printed in this process instead: the same file either way.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from groundup.errors import GroundUpError

_END_TIMEOUT_S = 5.0  # a child told to end that has not within this is killed
_LAYOUT_GC_THRESHOLDS = (10_000, 10, 10)


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
    html_document = _weasyprint_html()
    tmp = path.with_name(f".{path.name}.tmp")
    options = {} if url_fetcher is None else {"url_fetcher": url_fetcher}
    document = html_document(string=html, base_url=str(base_dir), **options).render()
    if laid_out is not None:
        laid_out(len(document.pages))
    document.write_pdf(str(tmp))
    tmp.replace(path)
    return len(document.pages)


def _weasyprint_html() -> Any:
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


class PrinterProcess:
    """A child process that imports WeasyPrint at once and prints the PDFs given to
    :meth:`submit`, in order. Shared by the :class:`PdfInAnotherProcess` made with it; it ends
    when the last of them is closed (or with :meth:`close`)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._replies: dict[int, dict[str, Any]] = {}
        self._laid_out: dict[int, int] = {}
        self._answered = threading.Condition()
        self._reading = False
        self._sent = 0
        self._users = 0
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "groundup.report.pdf"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return  # every PDF is printed in this process
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._reading = True
        # A writer thread, because a pipe takes only 64 kB while the child lays a PDF out; a
        # reader thread files each answer under its job's number.
        threading.Thread(
            target=self._write, args=(self._proc.stdin,), name="groundup-pdf-in", daemon=True
        ).start()
        threading.Thread(
            target=self._read, args=(self._proc.stdout,), name="groundup-pdf-out", daemon=True
        ).start()

    def submit(
        self,
        html: str,
        base_dir: Path,
        path: Path,
        images_later: bool = False,
        tell_pages: bool = False,
    ) -> int | None:
        """Queue one PDF; its job number, or None where the process is not running. With
        ``images_later`` the child reads and styles the HTML, then waits for :meth:`release`
        before it loads the first image. With ``tell_pages`` the child tells its number of
        pages as soon as they are laid out (:meth:`laid_out`) and in its answer (``pages``)."""
        job: dict[str, Any] = {"html": html, "base_dir": str(base_dir), "path": str(path)}
        if images_later:
            job["hold"] = True
        if tell_pages:
            job["tell_pages"] = True
        return self._queue(job)

    def submit_join(
        self, parts: list[Path], margins_html: str, base_dir: Path, path: Path, n_pages: int
    ) -> int | None:
        """Queue the joining of the parts (``n_pages`` in all) into one PDF with its page
        margins (:func:`groundup.report.pdf_parts.join_parts`); its job number, or None. The
        child lays the margins out at once, then waits for :meth:`release` (every part
        written) before it reads the parts."""
        return self._queue(
            {"join": [str(p) for p in parts], "html": margins_html, "base_dir": str(base_dir),
             "path": str(path), "n_pages": n_pages, "hold": True}
        )  # fmt: skip

    def _queue(self, job: dict[str, Any]) -> int | None:
        """Number ``job`` and send it; None where the process is not running."""
        if self._proc is None or self._proc.poll() is not None:
            return None
        self._sent += 1
        self._outbox.put(json.dumps({"id": self._sent, **job}).encode("utf-8") + b"\n")
        return self._sent

    def release(self, job: int) -> None:
        """The images of ``job`` are written: the child may load them."""
        self._outbox.put(json.dumps({"release": job}).encode("utf-8") + b"\n")

    def reply(self, job: int) -> dict[str, Any]:
        """Wait for the answer to ``job`` (empty where the process ended without one)."""
        with self._answered:
            self._answered.wait_for(lambda: job in self._replies or not self._reading)
            return self._replies.get(job, {})

    def laid_out(self, job: int) -> int | None:
        """Wait until ``job`` (submitted with ``tell_pages``) is laid out: its number of pages,
        or None where it failed before (or the process ended)."""
        with self._answered:
            self._answered.wait_for(
                lambda: job in self._laid_out or job in self._replies or not self._reading
            )
            return self._laid_out.get(job)

    def use(self) -> None:
        self._users += 1

    def unuse(self) -> None:
        self._users -= 1
        if self._users <= 0:
            self.close()

    def close(self) -> None:
        """End the child: after its "end" where it has answered every PDF, else at once (the
        report stopped early: its PDFs are not wanted)."""
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        with self._answered:
            done = all(job in self._replies for job in range(1, self._sent + 1))
        self._outbox.put(None)  # "end"
        if done:
            try:
                proc.wait(timeout=_END_TIMEOUT_S)
                return
            except subprocess.TimeoutExpired:
                pass
        proc.kill()
        proc.wait()

    def _write(self, pipe: IO[bytes]) -> None:
        try:
            while (line := self._outbox.get()) is not None:
                pipe.write(line)
                pipe.flush()
            pipe.write(b'{"end": true}\n')
            pipe.flush()
        except OSError:
            pass  # the child is gone: its PDFs are printed here
        finally:
            with contextlib.suppress(OSError):
                pipe.close()

    def _read(self, pipe: IO[bytes]) -> None:
        try:
            for line in pipe:
                try:
                    answer = json.loads(line.decode("utf-8"))
                except ValueError:
                    continue  # not an answer (a library printed something)
                if isinstance(answer, dict) and isinstance(answer.get("id"), int):
                    with self._answered:
                        if "laid_out" in answer:  # a message during the job, not its answer
                            self._laid_out[answer["id"]] = int(answer["laid_out"])
                        else:
                            self._replies[answer["id"]] = answer
                        self._answered.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._answered:
                self._reading = False
                self._answered.notify_all()


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


def checked(reply: dict[str, Any]) -> dict[str, Any]:
    """A printer's answer; its problem (WeasyPrint cannot start) raised as the user's error."""
    if "problem" in reply:
        raise GroundUpError(reply["problem"], reply.get("fix", ""))
    return reply


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


def _child() -> int:
    """``python -m groundup.report.pdf``: import WeasyPrint, then read jobs (one JSON object a
    line) from standard input until ``{"end": true}`` or its end, print each, answer each on
    standard output (one JSON object a line, with the job's ``id``). A job with ``"hold"``
    waits for ``{"release": id}`` before it loads its first image; a job with ``"join"``
    joins printed parts (:mod:`groundup.report.pdf_parts`)."""
    problem: GroundUpError | None = None
    try:
        _weasyprint_html()  # imported while the parent still analyses and prepares the HTML
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
        print(json.dumps(answer), flush=True)
    return code


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
            for line in stream:
                try:
                    message = json.loads(line.decode("utf-8"))
                except ValueError:
                    continue
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
        print(json.dumps({"id": job, "laid_out": pages}), flush=True)

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
