"""The Django app of the records store."""

from __future__ import annotations

from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "groundup.store"
    label = "groundup_store"
    verbose_name = "GroundUp records"
    default_auto_field = "django.db.models.BigAutoField"
