"""What the web app keeps beside the store: visits being prepared (uploads and exam input),
their analysis jobs, and the therapist's changes to a plan.

A :class:`VisitDraft` holds everything the therapist gave for the visit (the uploaded files on
disk, the exam input, which may be filled in while the analysis runs) from the moment it is
given: a server or worker that dies during an analysis loses neither, and the analysis can be
started again. When the analysis finishes, the store records the visit (as
:func:`groundup.store.api.analyze_and_record` does) and the draft points to it. Every object is
reached by a random id (UUID), never by a database key.

The keys to the store's tables carry no database constraint: the store's command line runs
Django without this app, so a patient it deletes cannot cascade here; the web app removes such
orphans (and their uploaded files) itself (:func:`groundup.web.jobs.remove_orphan_drafts`).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone

from groundup.store.models import Clinic, Patient, Visit

# Roles, kept in the store's ClinicMembership.role (the store's default "therapist" is a
# clinician).
CLINICIAN, CLINIC_ADMIN = "clinician", "clinic_admin"


class VisitDraft(models.Model):
    """A visit being prepared: uploads and exam input, kept until (and after) it is recorded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="web_drafts",
                                db_constraint=False)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    exam_input = models.JSONField(null=True, blank=True)
    # Counts the exam's saves: an analysis records the visit only with the exam it ran with,
    # so an exam saved while it ran is never left out (it runs again with it).
    exam_version = models.PositiveIntegerField(default=0)
    # The job recording the visit now: the exam can no longer change (set and cleared by it).
    recording_by = models.UUIDField(null=True, blank=True)
    visit = models.OneToOneField(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="web_draft",
        db_constraint=False,
    )

    class Meta:
        ordering: ClassVar = ["-created_at"]


class Upload(models.Model):
    """One uploaded recording of a draft, kept in the data folder under a random name."""

    KINDS: ClassVar = [("video", "video clip"), ("c3d", "C3D lab recording")]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(VisitDraft, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=10, choices=KINDS)
    suffix = models.CharField(max_length=10)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["uploaded_at"]


class AnalysisJob(models.Model):
    """The analysis of a draft as a background job: its state, live progress and outcome."""

    QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
    STATES: ClassVar = [(s, s) for s in (QUEUED, RUNNING, DONE, FAILED, CANCELLED)]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(VisitDraft, on_delete=models.CASCADE, related_name="jobs")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    task_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=10, choices=STATES, default=QUEUED)
    stage = models.CharField(max_length=200, blank=True)
    fraction_done = models.FloatField(default=0.0)
    frames_per_s = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    @property
    def finished(self) -> bool:
        return self.state in (self.DONE, self.FAILED, self.CANCELLED)


class PlanEdit(models.Model):
    """A therapist's change to a visit's plan: the whole edited plan, who, when and why.
    The newest is the plan in force; the store's plan stays as GroundUp proposed it."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="plan_edits",
                              db_constraint=False)
    edited_by = models.CharField(max_length=150)
    edited_at = models.DateTimeField(default=timezone.now)
    plan = models.JSONField()
    note = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["edited_at", "id"]
