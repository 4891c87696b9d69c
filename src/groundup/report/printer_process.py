"""The parent's side of a printer process: a child Python process
(``python -m groundup.report.printer_child``) that imports WeasyPrint as soon as it starts, then
prints the PDFs it is given, one after the other in the order given, each written atomically.
The HTML goes through a pipe (no patient data on disk beyond the outputs themselves).

The protocol, one JSON object a line each way:

- to the child: a job ``{"id", "html", "base_dir", "path"}``, with ``"hold": true`` (wait for
  ``{"release": id}`` before loading the first image), ``"tell_pages": true`` (say the number
  of pages once laid out) or ``"join": [parts]`` with ``"n_pages"`` (join printed parts,
  :mod:`groundup.report.pdf_parts`); ``{"release": id}``; ``{"end": true}``;
- from the child: ``{"id", "laid_out": pages}`` during a job; its answer ``{"id", "ok": true}``
  (with ``"pages"``), ``{"id", "problem", "fix"}`` (WeasyPrint cannot start) or
  ``{"id", "failed": true}`` (the parent prints that PDF itself).
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from groundup.errors import GroundUpError

_END_TIMEOUT_S = 5.0  # a child told to end that has not within this is killed


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
                [sys.executable, "-m", "groundup.report.printer_child"],
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
        self._outbox.put(json_line({"id": self._sent, **job}))
        return self._sent

    def release(self, job: int) -> None:
        """The images of ``job`` are written: the child may load them."""
        self._outbox.put(json_line({"release": job}))

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
            pipe.write(json_line({"end": True}))
            pipe.flush()
        except OSError:
            pass  # the child is gone: its PDFs are printed here
        finally:
            with contextlib.suppress(OSError):
                pipe.close()

    def _read(self, pipe: IO[bytes]) -> None:
        try:
            for answer in json_lines(pipe):
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


def json_line(message: dict[str, Any]) -> bytes:
    """One message of the protocol as the line that carries it."""
    return json.dumps(message).encode("utf-8") + b"\n"


def json_lines(stream: IO[bytes]) -> Iterator[Any]:
    """The JSON values of ``stream``, one a line, as both sides of the protocol read them; a
    line that is not JSON (a library printed something) is skipped."""
    for line in stream:
        try:
            yield json.loads(line.decode("utf-8"))
        except ValueError:
            continue


def checked(reply: dict[str, Any]) -> dict[str, Any]:
    """A printer's answer; its problem (WeasyPrint cannot start) raised as the user's error."""
    if "problem" in reply:
        raise GroundUpError(reply["problem"], reply.get("fix", ""))
    return reply
