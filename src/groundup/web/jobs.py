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
import socket
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from groundup.web.models import AnalysisJob, VisitDraft
from groundup.web.progress import JobCancelledError, JobProgress, heartbeat

log = logging.getLogger("groundup.web")

# A running job is taken for dead when its newest heartbeat (progress.HEARTBEAT_S) is
# older than STALE_AFTER_S (and its worker cannot be checked on this machine).
STALE_AFTER_S = 60.0
# An exam saved during the analysis makes it run again with it, this many runs at the most.
MAX_RUNS = 3
DIED_MESSAGE = ("The analysis stopped because the server or its worker was stopped while it "
                "ran. The recordings and the exam are kept: start the analysis again.")


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
    recordings = [upload_path(draft.id, u.id, u.suffix) for u in draft.uploads.all()]
    names = {p.name: f"recording {k + 1}" for k, p in enumerate(recordings)}
    progress = JobProgress(job.id, names)
    stop = threading.Event()
    threading.Thread(target=heartbeat, args=(progress, stop), daemon=True).start()
    state, message, visit = AnalysisJob.FAILED, "", None
    try:
        visit = _analyse_and_record(job, recordings, progress)
        state = AnalysisJob.DONE
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
        VisitDraft.objects.filter(id=draft.id, recording_by=job.id).update(
            recording_by=None, **({"visit": visit} if visit is not None else {}))
        done = {"fraction_done": 1.0} if state == AnalysisJob.DONE else {}
        AnalysisJob.objects.filter(id=job.id).update(
            state=state, message=message, finished_at=timezone.now(), frames_per_s=None,
            stage="Done" if state == AnalysisJob.DONE else state.capitalize(), **done,
        )
    return state


def _analyse_and_record(job: AnalysisJob, recordings: list[Path],
                        progress: JobProgress) -> Any:
    """The store's one-step follow-up (:func:`groundup.store.api.analyze_and_record`), with
    the previous plan as the therapist left it (their change, if any) and the exam as it is
    when the visit is recorded: an exam saved while the analysis ran makes it run again with
    it (the draft's exam version tells), up to :data:`MAX_RUNS` runs."""
    import json

    from groundup.errors import GroundUpError
    from groundup.pipeline import run_visit
    from groundup.store import api
    from groundup.store.models import Visit
    from groundup.web.reports import previous_plan

    draft, actor = job.draft, job.created_by
    pseudonym = draft.patient.pseudonym
    last, previous = previous_plan(draft.patient)
    if previous is not None and last is not None:
        api.audit("view", "plan", last.uid, patient_ref=pseudonym, actor=actor,
                  detail={"visit": last.number, "purpose": "follow-up", "via": "web"})
    exam_input, version = draft.exam_input, draft.exam_version
    for run in range(MAX_RUNS):
        with tempfile.TemporaryDirectory(prefix="groundup-job-") as name:
            tmp = Path(name)
            previous_path = None
            if previous is not None:
                previous_path = tmp / "previous_plan.json"
                previous_path.write_text(json.dumps(previous), encoding="utf-8")
            exam_path = _exam_file(exam_input, tmp)
            if exam_path is not None:
                exam_path = api.exam_with_baselines(
                    exam_path, api.first_visit_baselines(pseudonym), tmp)
            run_visit(list(recordings), tmp / "out", exam_path=exam_path,
                      previous_plan_path=previous_path, progress=progress)
            # The exam is closed for changes only if it is still the one this run used.
            if VisitDraft.objects.filter(id=draft.id, exam_version=version,
                                         recording_by__isnull=True).update(recording_by=job.id):
                progress("Recording the visit", 1.0)
                recorded = api.record_visit(pseudonym, tmp / "out",
                                            recordings=list(recordings), actor=actor)
                return Visit.objects.get(uid=recorded.uid)
        fresh = VisitDraft.objects.get(id=draft.id)
        exam_input, version = fresh.exam_input, fresh.exam_version
        progress.restart(f"Run {run + 2} with the exam saved during the analysis: ")
    raise GroundUpError("The exam was changed again and again while the analysis ran.",
                        "Save the exam, then start the analysis again.")


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
                stage="Stopped", frames_per_s=None,
            )
            VisitDraft.objects.filter(recording_by=job.id).update(recording_by=None)
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
