"""One recording as one task: the visit pipeline of ``groundup analyze``, run in a worker.

:func:`run_recording_task` is what a worker process (of the local pool or of a Dask cluster)
runs. It calls :func:`groundup.pipeline.run_visit` exactly as ``groundup analyze`` does, into a
private temporary folder, and returns the files it wrote as bytes: the process that runs the
batch writes them into the output folder (atomically, :mod:`groundup.batch.outputs`), so Dask
workers need to see the input recordings but not the output folder. A failure is returned as a
message, never raised, so that one bad recording never stops the others.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from groundup import __version__


@dataclass(frozen=True)
class TaskSpec:
    """Everything a worker needs for one recording (plain values: it travels by pickle)."""

    recording_id: str
    path: str
    view: str | None = None
    height_m: float | None = None
    exam: str | None = None
    events: str = "auto"
    make_report: bool = False
    annotated_video: bool = False
    deidentify: bool = True


@dataclass
class TaskResult:
    """What came back from a worker: the files written, or the reason it failed."""

    recording_id: str
    ok: bool
    duration_s: float
    groundup_version: str
    cpu_s: float = 0.0
    """CPU seconds the task used in its worker."""
    worker: str = ""
    """Which worker ran it (host and process id): per-worker busy time in benchmarks."""
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None


_current_tmp: Path | None = None
"""The running task's temporary folder (removed by the watchdog if the batch dies)."""


def prepare_worker() -> None:
    """Initializer of local pool workers. A watchdog thread ends this worker as soon as the
    process that runs the batch is gone (killed with SIGKILL it cannot stop its pool), so no
    orphan keeps working on a result nobody will collect; Ctrl-C ends it quietly (the batch
    prints the one message)."""
    signal.signal(signal.SIGINT, lambda _sig, _frame: _quit(130))
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        _quit(1)

    threading.Thread(target=watch, name="groundup-batch-watchdog", daemon=True).start()


def _quit(code: int) -> None:
    if _current_tmp is not None:
        shutil.rmtree(_current_tmp, ignore_errors=True)
    os._exit(code)


def run_recording_task(spec: TaskSpec) -> TaskResult:
    """Run the visit pipeline on one recording (see the module docstring)."""
    global _current_tmp
    from groundup.errors import GroundUpError
    from groundup.pipeline import RecordingOptions, run_visit

    start, cpu_start = time.perf_counter(), time.process_time()
    options = RecordingOptions(
        events=spec.events,
        view=spec.view,
        height_m=spec.height_m,
        annotated_video=spec.annotated_video,
        deidentify=spec.deidentify,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="groundup-batch-") as tmp:
            out = _current_tmp = Path(tmp)
            run_visit(
                [Path(spec.path)],
                out,
                exam_path=Path(spec.exam) if spec.exam else None,
                options=options,
                make_report=spec.make_report,
            )
            files = {
                str(p.relative_to(out)): p.read_bytes()
                for p in sorted(out.rglob("*"))
                if p.is_file()
            }
    except GroundUpError as exc:
        return _failed(spec, start, cpu_start, _message(exc.problem, exc.fix))
    except Exception as exc:  # a bug: reported for this recording, the others go on
        return _failed(spec, start, cpu_start, f"Internal error ({type(exc).__name__}): {exc}")
    finally:
        _current_tmp = None
    return TaskResult(
        recording_id=spec.recording_id,
        ok=True,
        duration_s=time.perf_counter() - start,
        groundup_version=__version__,
        cpu_s=time.process_time() - cpu_start,
        worker=_worker_name(),
        files=files,
    )


def _message(problem: str, fix: str) -> str:
    return f"{problem} What to do: {fix}" if fix else problem


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _failed(spec: TaskSpec, start: float, cpu_start: float, message: str) -> TaskResult:
    return TaskResult(
        recording_id=spec.recording_id,
        ok=False,
        duration_s=time.perf_counter() - start,
        groundup_version=__version__,
        cpu_s=time.process_time() - cpu_start,
        worker=_worker_name(),
        error=scrub_paths(message, spec),
    )


def scrub_paths(message: str, spec: TaskSpec) -> str:
    """The message with the recording's and the exam's paths and file names replaced by
    ``<recording id>`` and ``<exam>``: failure lists and logs name no patient file."""
    replacements: dict[str, str] = {}
    for text, label in ((spec.exam, "<exam>"), (spec.path, f"<{spec.recording_id}>")):
        if text:
            path = Path(text)
            for name in (str(path.absolute()), str(path), path.name):
                replacements[name] = label
    for name in sorted(replacements, key=len, reverse=True):
        message = message.replace(name, replacements[name])
    return message
