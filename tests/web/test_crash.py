"""Must 3: kill -9 of the server and its worker during an analysis; after a restart the job is
marked failed with its message (never left running), no visit, exam or upload is lost, and
the analysis started again completes. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from typing import Any

import pytest

from tests.store_fixtures import SAMPLE_C3D
from tests.web.conftest import draft_with_upload_and_exam

# Bounds of the waits (never expected to be reached: a wait ends as soon as its state shows).
START_TIMEOUT_S = 120.0  # the worker takes a queued job; a restarted worker sweeps dead ones
RUN_TIMEOUT_S = 600.0  # the lab sample's analysis with its report, on a loaded machine


def _wait(predicate: Any, timeout_s: float, what: str, step_s: float = 0.2,
          give_up: Any = None) -> Any:
    """Poll ``predicate`` until it returns something true; fail at once with a message when
    ``give_up()`` names a reason, and after ``timeout_s`` at the latest."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        reason = give_up() if give_up is not None else None
        if reason:
            raise AssertionError(f"{what}: {reason}")
        time.sleep(step_s)
    raise AssertionError(f"{what}: not within {timeout_s:.0f} s")


def _gone(pid: int) -> bool:
    """The process has ended (or is a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _server_problem(server: Any) -> str | None:
    if server.proc.poll() is not None:
        return "groundup serve stopped:\n" + server.log.read_text()[-3000:]
    return None


def _job(job_id: Any) -> Any:
    from django.db import connections

    from groundup.web.models import AnalysisJob

    job = AnalysisJob.objects.get(id=job_id)
    connections.close_all()  # never hold the SQLite file between polls
    return job


@pytest.mark.slow
def test_kill_9_during_analysis_then_restart(server, web_store):
    from groundup.store import api
    from groundup.store.models import Visit
    from groundup.web import jobs
    from groundup.web.models import AnalysisJob, VisitDraft
    from groundup.web.uploads import upload_path

    pseudonym = api.add_patient("Hana Example", clinic="Clinic A", actor="therapist")
    draft = draft_with_upload_and_exam(pseudonym)
    exam_before = draft.exam_input
    upload = draft.uploads.get()
    job = jobs.start_analysis(draft, "therapist")

    # As soon as the analysis has recorded its first stage of its own (the job is marked
    # running and the pipeline is under way), kill -9 the worker and the server.
    def finished_first() -> str | None:
        j = _job(job.id)
        if j.finished:
            return f"the job ended ({j.state}) before it was seen running: {j.message}"
        return _server_problem(server)

    running = _wait(lambda: (j := _job(job.id)).state == "running"
                    and j.stage not in ("", "Starting") and j,
                    START_TIMEOUT_S, "the analysis to get under way", 0.05,
                    finished_first)
    workers = server.worker_pids()
    assert workers, "groundup serve runs no worker"
    for pid in [*workers, server.proc.pid]:
        os.kill(pid, signal.SIGKILL)
    server.proc.wait(timeout=30)
    _wait(lambda: all(_gone(pid) for pid in workers), 30, "the killed worker to end")
    killed_at = _job(job.id)
    print(f"killed at stage {running.stage!r} ({100 * killed_at.fraction_done:.0f} %)")
    assert killed_at.state == AnalysisJob.RUNNING  # nobody could mark it: it looks alive

    # Restart: the dead job is marked failed with its message.
    server.start()
    failed = _wait(lambda: (j := _job(job.id)).state != "running" and j, START_TIMEOUT_S,
                   "the dead job to be marked", give_up=lambda: _server_problem(server))
    assert failed.state == AnalysisJob.FAILED, failed.state
    assert failed.message == jobs.DIED_MESSAGE and failed.finished_at is not None
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(id=failed.task_id).status == "FAILED"

    # Nothing lost: the draft, its exam and its upload (same bytes); no half-recorded visit.
    draft = VisitDraft.objects.get(id=draft.id)
    assert draft.exam_input == exam_before
    assert list(draft.uploads.values_list("id", flat=True)) == [upload.id]
    stored = upload_path(draft.id, upload.id, upload.suffix).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == upload.sha256
    assert stored == SAMPLE_C3D.read_bytes()
    assert Visit.objects.filter(patient__pseudonym=pseudonym).count() == 0
    check = api.check_store(remove=False, actor="test")
    assert not check.missing_media and not check.visits_without_documents

    # The analysis started again completes and records the visit.
    again = jobs.start_analysis(draft, "therapist")
    done = _wait(lambda: (j := _job(again.id)).finished and j, RUN_TIMEOUT_S, "the second run",
                 0.5, give_up=lambda: _server_problem(server))
    assert done.state == AnalysisJob.DONE, done.message
    visit = Visit.objects.get(patient__pseudonym=pseudonym)
    assert VisitDraft.objects.get(id=draft.id).visit_id == visit.id
    assert hasattr(visit, "exam") and visit.analyses.count() == 1
    assert visit.media.filter(role="recording").get().sha256 == upload.sha256
    assert _job(job.id).state == AnalysisJob.FAILED  # the dead one stays failed


def test_a_dead_worker_is_found_by_its_heartbeat(web_store):
    """A running job on another machine (its pid cannot be checked here) is failed once its
    heartbeat is older than the limit, and not before."""
    from datetime import timedelta

    from django.utils import timezone

    from groundup.store import api
    from groundup.web import jobs
    from groundup.web.models import AnalysisJob
    from tests.web.conftest import make_user

    make_user("therapist", "Clinic A", "clinic_admin")
    pseudonym = api.add_patient("Ida Example", clinic="Clinic A", actor="therapist")
    draft = draft_with_upload_and_exam(pseudonym)
    job = jobs.start_analysis(draft, "therapist")
    AnalysisJob.objects.filter(id=job.id).update(
        state="running", worker_host="another-machine", worker_pid=1,
        heartbeat_at=timezone.now() - timedelta(seconds=10))
    assert jobs.fail_dead_jobs() == 0
    AnalysisJob.objects.filter(id=job.id).update(
        heartbeat_at=timezone.now() - timedelta(seconds=jobs.STALE_AFTER_S + 5))
    assert jobs.fail_dead_jobs() == 1
    assert AnalysisJob.objects.get(id=job.id).state == "failed"


def test_cancel_a_queued_job(web_store):
    from groundup.store import api
    from groundup.web import jobs
    from groundup.web.models import AnalysisJob
    from tests.web.conftest import make_user

    make_user("therapist", "Clinic A", "clinic_admin")
    pseudonym = api.add_patient("Jo Example", clinic="Clinic A", actor="therapist")
    job = jobs.start_analysis(draft_with_upload_and_exam(pseudonym), "therapist")
    jobs.cancel(job)
    assert AnalysisJob.objects.get(id=job.id).state == "cancelled"
    # The worker that takes it later does not run it.
    assert jobs.run_analysis.call(str(job.id)) == "cancelled"


def test_a_running_job_stops_at_its_next_step_when_cancelled(web_store):
    from groundup.store import api
    from groundup.web import jobs
    from groundup.web.models import AnalysisJob
    from groundup.web.progress import JobCancelledError, JobProgress
    from tests.web.conftest import make_user

    make_user("therapist", "Clinic A", "clinic_admin")
    pseudonym = api.add_patient("Kai Example", clinic="Clinic A", actor="therapist")
    job = jobs.start_analysis(draft_with_upload_and_exam(pseudonym), "therapist")
    AnalysisJob.objects.filter(id=job.id).update(state="running")
    progress = JobProgress(job.id, {"abc.mp4": "recording 1"})
    progress("Pose in abc.mp4 (10/100 frames)", 0.1)
    row = AnalysisJob.objects.get(id=job.id)
    assert row.stage == "Pose in recording 1 (10/100 frames)" and row.fraction_done == 0.1
    jobs.cancel(row)
    progress.last_write = 0.0
    with pytest.raises(JobCancelledError):
        progress("Pose in abc.mp4 (20/100 frames)", 0.2)
