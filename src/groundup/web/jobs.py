"""Analyses as background jobs on the database-backed task queue (django-tasks-db).

:func:`start_analysis` records an :class:`AnalysisJob` and enqueues :func:`run_analysis` in the
same transaction; a worker (``groundup serve`` runs one beside the web server) takes it and
runs the whole visit with the store (:func:`groundup.store.api.analyze_and_record`). The job
row holds the live progress (stage, fraction, frames per second, a heartbeat); a cancel is a
flag the running job reads at its next progress step.

A job whose worker died (killed, machine restarted) is found by :func:`fail_dead_jobs`: its
worker process is gone (same machine) or its heartbeat is older than :data:`STALE_AFTER_S`.
It is marked failed with a message, never left running; the visit's uploads and exam input
stay with the draft, so the analysis can simply be started again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from groundup.web.models import AnalysisJob, VisitDraft

log = logging.getLogger("groundup.web")

# A running job writes a heartbeat this often, and is taken for dead when the newest heartbeat
# is older than STALE_AFTER_S (and its worker cannot be checked on this machine).
HEARTBEAT_S = 5.0
STALE_AFTER_S = 60.0
# Progress is written to the database at most this often (seconds).
PROGRESS_EVERY_S = 0.5
FPS_WINDOW_S = 2.0
DIED_MESSAGE = ("The analysis stopped because the server or its worker was stopped while it "
                "ran. The recordings and the exam are kept: start the analysis again.")
_FRAMES = re.compile(r"\((\d+)/(\d+) frames\)")


class JobCancelledError(Exception):
    """The therapist cancelled the analysis."""


def start_analysis(draft: VisitDraft, actor: str) -> AnalysisJob:
    """Record the job and put it on the queue (one transaction: both or neither)."""
    with transaction.atomic():
        job = AnalysisJob.objects.create(draft=draft, created_by=actor)
        result = run_analysis.enqueue(str(job.id))
        AnalysisJob.objects.filter(id=job.id).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def cancel(job: AnalysisJob) -> None:
    """Cancel a queued job at once; ask a running one to stop at its next step."""
    with transaction.atomic():
        if job.state == AnalysisJob.QUEUED:
            AnalysisJob.objects.filter(id=job.id, state=AnalysisJob.QUEUED).update(
                state=AnalysisJob.CANCELLED, cancel_requested=True, finished_at=timezone.now(),
                message="Cancelled before it started.",
            )
        AnalysisJob.objects.filter(id=job.id).update(cancel_requested=True)


class _Progress:
    """The pipeline's progress callback: writes stage, fraction and frames per second to the
    job row, and raises :class:`JobCancelledError` when a cancel was asked for."""

    def __init__(self, job_id: Any, names: dict[str, str] | None = None) -> None:
        self.job_id = job_id
        self.names = names or {}
        self.last_write = 0.0
        self.frames: tuple[float, int] | None = None
        self.fps: float | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        for stored, shown in self.names.items():
            stage = stage.replace(stored, shown)
        m = _FRAMES.search(stage)
        if m:
            # Frames done per second of wall time, over windows of at least FPS_WINDOW_S
            # (a shorter window would show the bursts in which frames are reported).
            done = int(m.group(1))
            if self.frames is None or done < self.frames[1]:
                self.frames = (now, done)  # first report, or the next recording
            elif now - self.frames[0] >= FPS_WINDOW_S:
                rate = (done - self.frames[1]) / (now - self.frames[0])
                self.fps = rate if self.fps is None else 0.5 * self.fps + 0.5 * rate
                self.frames = (now, done)
        if now - self.last_write < PROGRESS_EVERY_S and fraction < 1.0:
            return
        self.last_write = now
        # The stage text names the recording by its stored (random) file name only.
        AnalysisJob.objects.filter(id=self.job_id).update(
            stage=stage[:200], fraction_done=max(0.0, min(1.0, fraction)),
            frames_per_s=round(self.fps, 1) if m and self.fps else None,
            heartbeat_at=timezone.now(),
        )
        if AnalysisJob.objects.filter(id=self.job_id, cancel_requested=True).exists():
            raise JobCancelledError()


def _heartbeat(job_id: Any, stop: threading.Event) -> None:
    from django.db import connection

    try:
        while not stop.wait(HEARTBEAT_S):
            AnalysisJob.objects.filter(id=job_id).update(heartbeat_at=timezone.now())
    finally:
        connection.close()


def _exam_file(exam_input: dict[str, Any] | None, folder: Path) -> Path | None:
    if not exam_input:
        return None
    import yaml

    path = folder / "exam.yaml"
    path.write_text(yaml.safe_dump(exam_input, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


@task()
def run_analysis(job_id: str) -> str:
    """Run the visit of the job's draft and record it in the store."""
    from groundup.errors import GroundUpError
    from groundup.web.uploads import upload_path

    with transaction.atomic():
        job = AnalysisJob.objects.select_related("draft__patient").get(id=job_id)
        if job.state != AnalysisJob.QUEUED or job.cancel_requested:
            if not job.finished:
                AnalysisJob.objects.filter(id=job.id).update(
                    state=AnalysisJob.CANCELLED, finished_at=timezone.now())
            return job.state
        now = timezone.now()
        AnalysisJob.objects.filter(id=job.id).update(
            state=AnalysisJob.RUNNING, started_at=now, heartbeat_at=now,
            worker_pid=os.getpid(), worker_host=socket.gethostname(), stage="Starting",
        )
    draft = job.draft
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(job.id, stop), daemon=True)
    beat.start()
    state, message, visit = AnalysisJob.FAILED, "", None
    names: dict[str, str] = {}
    try:
        recordings = [upload_path(draft.id, u.id, u.suffix) for u in draft.uploads.all()]
        names = {p.name: f"recording {k + 1}" for k, p in enumerate(recordings)}
        with tempfile.TemporaryDirectory(prefix="groundup-job-") as tmp:
            recorded = _analyse_and_record(draft, recordings, Path(tmp),
                                           _Progress(job.id, names), job.created_by)
        from groundup.store.models import Visit

        visit = Visit.objects.get(uid=recorded.uid)
        state, message = AnalysisJob.DONE, ""
    except JobCancelledError:
        state, message = AnalysisJob.CANCELLED, "Cancelled by the therapist."
    except GroundUpError as exc:
        message = f"{exc.problem} {exc.fix}".strip()
        for stored, shown in names.items():
            message = message.replace(stored, shown)
    except Exception as exc:  # a bug: the message and the log name its kind only (no paths)
        log.error("an analysis job failed: %s", type(exc).__name__)
        message = (f"The analysis stopped because of an internal error ({type(exc).__name__}). "
                   "The recordings and the exam are kept; please report it.")
    finally:
        stop.set()
    with transaction.atomic():
        if visit is not None:
            VisitDraft.objects.filter(id=draft.id).update(visit=visit)
        AnalysisJob.objects.filter(id=job.id).update(
            state=state, message=message, finished_at=timezone.now(),
            fraction_done=1.0 if state == AnalysisJob.DONE else job.fraction_done,
            stage="Done" if state == AnalysisJob.DONE else state.capitalize(),
        )
    return state


def _analyse_and_record(draft: VisitDraft, recordings: list[Path], tmp: Path,
                        progress: _Progress, actor: str) -> Any:
    """The store's one-step follow-up (:func:`groundup.store.api.analyze_and_record`), with
    the previous plan as the therapist left it (their change, if any)."""
    import json

    from groundup.pipeline import run_visit
    from groundup.store import api
    from groundup.web.reports import previous_plan

    pseudonym = draft.patient.pseudonym
    previous_path = None
    last, previous = previous_plan(draft.patient)
    if previous is not None and last is not None:
        previous_path = tmp / "previous_plan.json"
        previous_path.write_text(json.dumps(previous), encoding="utf-8")
        api.audit("view", "plan", last.uid, patient_ref=pseudonym, actor=actor,
                  detail={"visit": last.number, "purpose": "follow-up", "via": "web"})
    exam_path = _exam_file(draft.exam_input, tmp)
    if exam_path is not None:
        exam_path = api.exam_with_baselines(exam_path, api.first_visit_baselines(pseudonym),
                                            tmp)
    out = tmp / "out"
    run_visit(list(recordings), out, exam_path=exam_path, previous_plan_path=previous_path,
              progress=progress)
    return api.record_visit(pseudonym, out, recordings=list(recordings), actor=actor)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_dead_jobs(*, stale_after_s: float = STALE_AFTER_S) -> int:
    """Mark every running job whose worker is gone as failed (with its message) and close its
    queue entry; return how many. Safe to run from any process at any time."""
    from django_tasks_db.models import DBTaskResult

    host = socket.gethostname()
    cutoff = timezone.now() - timedelta(seconds=stale_after_s)
    n = 0
    for job in AnalysisJob.objects.filter(state=AnalysisJob.RUNNING):
        on_this_host = job.worker_host == host
        dead = (
            (on_this_host and job.worker_pid is not None and not _pid_alive(job.worker_pid))
            or job.heartbeat_at is None or job.heartbeat_at < cutoff
        )
        if not dead:
            continue
        with transaction.atomic():
            changed = AnalysisJob.objects.filter(id=job.id, state=AnalysisJob.RUNNING).update(
                state=AnalysisJob.FAILED, message=DIED_MESSAGE, finished_at=timezone.now(),
                stage="Stopped",
            )
            if changed and job.task_id:
                with contextlib.suppress(Exception):
                    DBTaskResult.objects.filter(id=job.task_id, status="RUNNING").update(
                        status="FAILED", finished_at=timezone.now(),
                        exception_class_path="groundup.web.jobs.WorkerDied",
                        traceback=DIED_MESSAGE,
                    )
        n += changed
        if changed:
            log.warning("an analysis job was marked failed: its worker had stopped")
    return n


def remove_orphan_drafts() -> int:
    """Remove drafts (and their uploaded files) whose patient was deleted outside the web app
    (``groundup patient delete`` runs without it); return how many."""
    from groundup.store.models import Patient
    from groundup.web.uploads import remove_draft_files

    orphans = list(VisitDraft.objects.exclude(
        patient_id__in=Patient.objects.values("id")).values_list("id", flat=True))
    for draft_id in orphans:
        VisitDraft.objects.filter(id=draft_id).delete()
        remove_draft_files(draft_id)
    return len(orphans)
