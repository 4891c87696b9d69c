"""The job's live progress and the exam given while the analysis runs (the worker's side,
in this process: the pipeline's visit run is replaced by the recorded lab visit, so that what is
checked is the job's bookkeeping). On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.web.conftest import draft_with_upload_and_exam, make_user
from tests.web.test_exam_form import EXAMPLE, _post_of


def _row(job_id: Any) -> Any:
    from groundup.web.models import AnalysisJob

    return AnalysisJob.objects.get(id=job_id)


@pytest.fixture
def queued_job(web_store: Any) -> Any:
    from groundup.store import api
    from groundup.web import jobs

    make_user("therapist", "Clinic A", "clinic_admin")
    pseudonym = api.add_patient("Lena Example", clinic="Clinic A", actor="therapist")
    return jobs.start_analysis(draft_with_upload_and_exam(pseudonym), "therapist")


def test_each_stage_is_shown_at_once_and_no_count_is_left_behind(queued_job):
    """A new stage is written at once; a frame count held back by the write limit is written
    by the next flush (the heartbeat thread's), so a burst of reports followed by silence
    still ends on the newest count; frames per second come with every frame count once the
    frames have run a moment, and go with the pose stage."""
    from groundup.web.progress import MIN_FPS_SPAN_S, PROGRESS_EVERY_S, JobProgress

    progress = JobProgress(queued_job.id, {"abc.mp4": "recording 1"})
    progress("Finding people in abc.mp4", 0.0)
    assert _row(queued_job.id).stage == "Finding people in recording 1"
    progress.stage_began -= 4 * MIN_FPS_SPAN_S  # the person search took a while
    progress("Pose in abc.mp4 (10/100 frames)", 0.08)
    first = _row(queued_job.id)
    assert first.stage == "Pose in recording 1 (10/100 frames)"  # a new stage: at once
    assert first.frames_per_s is not None and 0 < first.frames_per_s <= 10 / (4 * MIN_FPS_SPAN_S)
    progress("Pose in abc.mp4 (60/100 frames)", 0.48)  # the rest of a burst: held back
    assert _row(queued_job.id).stage == first.stage
    progress.flush()  # too soon for the limit: still held
    assert _row(queued_job.id).stage == first.stage
    progress.last_write -= PROGRESS_EVERY_S
    progress.flush()
    later = _row(queued_job.id)
    assert later.stage == "Pose in recording 1 (60/100 frames)"
    assert later.frames_per_s is not None and later.frames_per_s > first.frames_per_s
    progress("Gait from abc.mp4", 0.8)
    gait = _row(queued_job.id)
    assert (gait.stage, gait.frames_per_s) == ("Gait from recording 1", None)
    assert gait.fraction_done == pytest.approx(0.8)


def test_an_exam_saved_during_the_analysis_is_in_the_recorded_visit(
        queued_job, c3d_visit_folder, monkeypatch):
    """The therapist saves the exam while the analysis runs: the job runs again with it and
    records the visit with that exam; once recorded, a further save is refused (with a
    message), never silently dropped."""
    import groundup.pipeline
    from groundup.exam.loader import load_exam_file
    from groundup.store.models import Visit
    from groundup.web import jobs
    from groundup.web.models import VisitDraft

    draft = VisitDraft.objects.get(id=queued_job.draft_id)
    client = Client()
    client.force_login(_user("therapist"))
    exam = load_exam_file(EXAMPLE)
    for q, key in (("odi", "baseline_pct"), ("rmdq", "baseline"), ("pain_nrs", "baseline"),
                   ("psfs", "baseline")):
        exam["questionnaires"][q].pop(key, None)
    exam["questionnaires"]["pain_nrs"]["current"] = 2  # what the therapist changes
    exam_url = reverse("web:exam", kwargs={"draft_id": draft.id})
    runs: list[Any] = []

    def run_visit(inputs: list[Path], out: Path, *, exam_path: Path | None = None,
                  progress: Any = None, **_: Any) -> None:
        pain = load_exam_file(exam_path)["questionnaires"]["pain_nrs"]["current"]
        runs.append(pain)
        progress(f"Analysing {inputs[0].name}", 0.5)
        if len(runs) == 1:  # the exam is saved in the middle of the first run
            saved = client.post(exam_url, _post_of(exam))
            assert saved.status_code == 302
            assert saved.url == reverse("web:job", kwargs={"job_id": queued_job.id})
        shutil.copytree(c3d_visit_folder, out)

    monkeypatch.setattr(groundup.pipeline, "run_visit", run_visit)
    assert jobs.run_analysis.call(str(queued_job.id)) == "done"
    first_pain = load_exam_file(EXAMPLE)["questionnaires"]["pain_nrs"]["current"]
    assert [float(r) for r in runs] == [first_pain, 2]  # the form keeps what was typed
    done = _row(queued_job.id)
    assert done.state == "done" and done.stage == "Done" and done.fraction_done == 1.0
    draft.refresh_from_db()
    visit = Visit.objects.get(id=draft.visit_id)
    assert draft.recording_by is None and draft.exam_version == 1
    assert visit.patient_id == draft.patient_id

    refused = client.post(exam_url, {**_post_of(exam), "questionnaires.pain_nrs.current": "1"},
                          follow=True)
    assert b"exam is not changed" in refused.content
    draft.refresh_from_db()
    assert float(draft.exam_input["questionnaires"]["pain_nrs"]["current"]) == 2


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)
