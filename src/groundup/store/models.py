"""The records: clinics, users, patients (identity kept apart), episodes, visits, recordings and
media, the JSON documents GroundUp writes, and the append-only audit trail.

Identity (name, birth date, contact) lives only in :class:`PatientIdentity`; everything clinical
refers to :class:`Patient`, whose key to the outside world is a pseudonym (``GU-...``), so that
exports and reports are de-identified unless identity is asked for. Media files (recordings,
report PDFs, annotated videos) stay in the content-addressed media folder; a :class:`MediaFile`
row holds their SHA-256, never their bytes.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from groundup.store.errors import AppendOnlyError

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


def new_pseudonym() -> str:
    """A random pseudonymous patient id such as ``GU-7K3QX9PA`` (40 bits of randomness)."""
    return "GU-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(8))


def new_visit_uid() -> str:
    """A random visit id (64 bits, hex) used in exports instead of database keys."""
    return secrets.token_hex(8)


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class ClinicMembership(models.Model):
    """A user (Django's auth user: the web app logs in with it) working at a clinic."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=40, default="therapist")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic")
        ]


class Patient(models.Model):
    """The pseudonymous patient: what clinical data refer to."""

    pseudonym = models.CharField(max_length=20, unique=True, default=new_pseudonym)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.pseudonym


class PatientIdentity(models.Model):
    """Who the patient is: the only table with identifying data."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="identity")
    full_name = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    contact = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "patient identities"

    def __str__(self) -> str:
        return f"identity of {self.patient.pseudonym}"


class EpisodeOfCare(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    started_on = models.DateField()
    reason = models.CharField(max_length=200, default="low back pain")
    status = models.CharField(
        max_length=20, choices=[("active", "active"), ("finished", "finished")], default="active"
    )


class Visit(models.Model):
    """One visit: its number counts the patient's visits from 1 (unique per patient)."""

    uid = models.CharField(max_length=32, unique=True, default=new_visit_uid)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="visits")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.CASCADE, related_name="visits")
    number = models.PositiveIntegerField()
    visit_date = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=150)

    class Meta:
        ordering: ClassVar = ["patient", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "number"], name="one_number_per_visit")
        ]

    def __str__(self) -> str:
        return f"{self.patient.pseudonym} visit {self.number}"


class MediaFile(models.Model):
    """A file of a visit kept in the content-addressed media folder (by its SHA-256)."""

    ROLES: ClassVar = [
        ("recording", "recording"),
        ("annotated_video", "annotated video"),
        ("report_pdf", "clinician report (PDF)"),
        ("handout_pdf", "patient handout (PDF)"),
    ]
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="media")
    role = models.CharField(max_length=30, choices=ROLES)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField()
    name = models.CharField(max_length=120, help_text="file name inside the visit, no folders")
    content_type = models.CharField(max_length=80)


class Document(models.Model):
    """A JSON document GroundUp wrote, with its schema (``groundup.analysis/1`` ...)."""

    schema = models.CharField(max_length=60)
    document = models.JSONField()
    file_name = models.CharField(max_length=120)

    class Meta:
        abstract = True


class Analysis(Document):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="analyses")
    index = models.PositiveSmallIntegerField()
    recording = models.ForeignKey(MediaFile, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering: ClassVar = ["visit", "index"]
        verbose_name_plural = "analyses"


class Exam(Document):
    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="exam")
    exam_date = models.DateField(null=True, blank=True)


class Chain(Document):
    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="chain")


class Plan(Document):
    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="plan")


class Report(models.Model):
    """The clinician report and the patient handout of a visit (their PDFs are media)."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="report")
    report_pdf = models.ForeignKey(
        MediaFile, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handout_pdf = models.ForeignKey(
        MediaFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class AppendOnlyQuerySet(models.QuerySet):
    """Rows can be added and read; any update or delete through the ORM raises."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError()

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError()

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError()

    def select_for_update(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError()


class AuditEntry(models.Model):
    """Who created, viewed, changed, exported or deleted what, when. Append-only: the model,
    its queryset and (in migration 0002) database triggers refuse updates and deletes.

    It refers to patients by pseudonym (no foreign key), so the trail outlives a deleted
    patient and holds no identifying data.
    """

    ACTIONS: ClassVar = [(a, a) for a in ("create", "view", "change", "export", "delete")]
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=10, choices=ACTIONS)
    object_type = models.CharField(max_length=40)
    object_ref = models.CharField(max_length=64)
    patient_ref = models.CharField(max_length=20, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["at", "id"]
        verbose_name_plural = "audit entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError()

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"
