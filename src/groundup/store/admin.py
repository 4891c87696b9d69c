"""Django admin for the records (the web app's staff pages). The audit trail is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from groundup.store import models


@admin.register(models.Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")


@admin.register(models.Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("pseudonym", "clinic", "created_at")
    search_fields = ("pseudonym",)


@admin.register(models.PatientIdentity)
class PatientIdentityAdmin(admin.ModelAdmin):
    list_display = ("patient", "full_name", "birth_date")
    search_fields = ("full_name", "patient__pseudonym")


@admin.register(models.Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("patient", "number", "visit_date", "recorded_by", "recorded_at")
    list_filter = ("visit_date",)


for model in (
    models.ClinicMembership,
    models.EpisodeOfCare,
    models.MediaFile,
    models.Analysis,
    models.Exam,
    models.Chain,
    models.Plan,
    models.Report,
):
    admin.site.register(model)


@admin.register(models.AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_ref", "patient_ref")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
