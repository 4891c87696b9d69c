"""Work run in a forked child process at a lower CPU priority, its result or error brought back.

The annotated video (decode, draw, encode every frame) runs beside the report stage. In a thread
of the visit's process it competed with the report's plots for Python's interpreter lock and,
at the same priority, for the two cores; in a child process at a lower priority it takes only
the CPU the report stage leaves. The child is forked: it starts with the visit's modules, models
and results already in memory (nothing to import, load or pickle), and it writes its files
itself (atomically, as in this process). Its return value, or its exception, comes back through
a pipe; an exception that cannot be brought back intact, or a child that ended without an
answer, makes :meth:`ForkedJobs.result` say so (``None``) and the caller runs the work here.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from groundup.errors import GroundUpError

# How much lower the child runs: at 10 it gets about a tenth of a core against a process at
# the normal priority (Linux weights 110 against 1024), the whole core when nothing else runs.
LOWER_PRIORITY_BY = 10
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class ForkedJobs:
    """Callables run one after the other in a forked child at a lower priority."""

    def __init__(
        self, jobs: list[Callable[[], Any]], name: str, lower_priority_by: int = LOWER_PRIORITY_BY
    ) -> None:
        """Start the child (``lower_priority_by``: its niceness above this process's); raises
        :class:`ChildNotStartedError` where no child can be forked."""
        try:
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(jobs, sender, os.getpid(), lower_priority_by),
                name=name,
                daemon=True,
            )
            process.start()
        except (ValueError, OSError, AssertionError) as exc:  # no fork here; daemonic parent
            raise ChildNotStartedError(str(exc)) from exc
        sender.close()
        self._receiver = receiver
        self._process = process

    def result(self) -> list[Any] | None:
        """The jobs' results; raises the first job's error as raised in the child; ``None``
        where the child ended without an answer that can be trusted (run the jobs here)."""
        try:
            kind, payload = self._receiver.recv()
        except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
            kind, payload = "lost", None
        finally:
            self._receiver.close()
            self._process.join()
        if kind == "ok":
            return list(payload)
        error = _rebuilt(payload) if kind == "error" else None
        if error is None:
            return None
        raise error

    def stop(self) -> None:
        """End the child now (the visit failed: its files are not wanted)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receiver.close()


class ChildNotStartedError(Exception):
    """No child process could be started (the caller runs the work another way)."""


def _child(
    jobs: list[Callable[[], Any]], sender: Connection, parent_pid: int, lower_priority_by: int
) -> None:
    _end_with(parent_pid)
    with contextlib.suppress(OSError):  # else at the same priority, still away from the lock
        if lower_priority_by:
            os.nice(lower_priority_by)
    # Ctrl-C ends the job as it would in the parent (its temporary file removed), not through
    # a handler the parent installed for itself.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        answer: tuple[str, Any] = ("ok", [job() for job in jobs])
    except BaseException as exc:  # sent to the parent, raised there
        answer = ("error", _portable(exc))
    try:
        sender.send(answer)
    except Exception:  # an unpicklable result: the parent runs the jobs itself
        sender.send(("lost", None))
    finally:
        sender.close()


def _end_with(parent_pid: int) -> None:
    """Linux: this child is killed when the visit's process dies (killed, it cannot stop it),
    instead of rendering on for nobody."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # died before the request took effect
        os._exit(1)


def _portable(exc: BaseException) -> bytes | None:
    """The exception as bytes that :func:`_rebuilt` turns back into an equal one, or None.
    A GroundUpError is rebuilt from its state, not through ``__init__`` (whose arguments
    differ from ``args`` in its subclasses)."""
    try:
        if isinstance(exc, GroundUpError):
            return pickle.dumps(("state", type(exc), exc.args, dict(vars(exc))))
        blob = pickle.dumps(("pickled", exc))
        again = pickle.loads(blob)[1]
        if type(again) is not type(exc) or str(again) != str(exc):
            return None
        return blob
    except Exception:
        return None


def _rebuilt(blob: bytes | None) -> BaseException | None:
    if blob is None:
        return None
    try:
        data = pickle.loads(blob)
        if data[0] == "pickled":
            return data[1] if isinstance(data[1], BaseException) else None
        _, cls, args, state = data
        error = cls.__new__(cls, *args)
        error.args = args
        error.__dict__.update(state)
        return error if isinstance(error, BaseException) else None
    except Exception:
        return None
