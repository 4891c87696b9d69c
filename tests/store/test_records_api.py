"""The records store's library API on SQLite and PostgreSQL: patients with identity kept apart,
visits recorded from a real analyze folder, follow-up input from the store, deletion with media,
and an audit entry for every create, view, change, export and delete."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from groundup.store import api
from groundup.store.errors import AppendOnlyError, StoreError


def _actions(pseudonym: str | None = None) -> list[tuple[str, str]]:
    return [(e["action"], e["object_type"]) for e in api.audit_trail(pseudonym)]


def test_patient_identity_is_kept_apart_and_every_action_is_audited(store, c3d_visit_dir):
    from groundup.store import models

    p = api.add_patient("Anna Example", contact="0123 456")
    assert p.startswith("GU-") and len(p) == 11
    listed = api.list_patients()
    assert [r.pseudonym for r in listed] == [p] and listed[0].full_name is None
    assert api.list_patients(identified=True)[0].full_name == "Anna Example"
    api.change_patient_identity(p, contact="0987 654")
    visit = api.record_visit(p, c3d_visit_dir)
    assert (visit.number, visit.visit_date, visit.n_analyses) == (1, "2025-03-14", 1)
    shown = api.show_patient(p)
    assert shown.n_visits == 1 and shown.full_name is None
    # Clinical rows refer to the pseudonymous patient only; the name is in one table.
    assert models.PatientIdentity.objects.get().full_name == "Anna Example"
    for row in models.Analysis.objects.all():
        assert "Anna" not in json.dumps(row.document)
    trail = api.audit_trail(p)
    assert [(e["action"], e["object_type"]) for e in trail] == [
        ("create", "patient"), ("change", "patient_identity"), ("create", "visit"),
        ("view", "patient"),
    ]
    assert all(e["actor"] == "test-therapist" for e in trail)
    assert trail[1]["detail"] == {"fields": ["contact"]}  # which field, never the value
    assert all("Anna" not in json.dumps(e) and "0987" not in json.dumps(e) for e in trail)
    api.export_patient(p, store.data_dir.parent / "export")
    api.delete_patient(p)
    assert _actions(p)[-3:] == [("view", "audit_trail"), ("export", "patient"),
                                ("delete", "patient")]
    assert models.PatientIdentity.objects.count() == 0


def test_audit_entries_cannot_be_changed_or_deleted(store):
    from django.db import connection, transaction

    from groundup.store.models import AuditEntry

    api.add_patient("Ben Example")
    entry = AuditEntry.objects.get()
    entry.action = "view"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="view")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["action"])
    # Beneath the model, database triggers refuse raw SQL too.
    for sql in (f"UPDATE {AuditEntry._meta.db_table} SET action = 'view'",
                f"DELETE FROM {AuditEntry._meta.db_table}"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEntry.objects.get().action == "create"


def test_follow_up_reads_previous_plan_and_first_scores_from_the_store(store, c3d_visit_dir):
    p = api.add_patient("Cleo Example")
    assert api.previous_plan(p) is None
    api.record_visit(p, c3d_visit_dir)
    plan = api.previous_plan(p)
    saved = json.loads((c3d_visit_dir / "plan.json").read_text())
    assert plan == saved
    assert api.first_visit_baselines(p) == {"odi": 35.6, "rmdq": 8.0, "pain_nrs": 5.0,
                                            "psfs": 5.0}
    assert ("view", "plan") in _actions(p)


def test_delete_removes_rows_and_media_but_keeps_media_still_used(store, c3d_visit_dir,
                                                                 tmp_path):
    from groundup.store import media, models

    recording = Path(__file__).resolve().parents[2] / "samples" / "smk_overground.c3d"
    a, b = api.add_patient("Dana Example"), api.add_patient("Eli Example")
    api.record_visit(a, c3d_visit_dir, recordings=[recording])
    api.record_visit(b, c3d_visit_dir, recordings=[recording])  # the same file, kept once
    own = tmp_path / "own.c3d"
    own.write_bytes(recording.read_bytes() + b"\n")
    api.record_visit(a, c3d_visit_dir, recordings=[own])
    assert len(dict(media.stored_blobs())) == 2
    result = api.delete_patient(a)
    assert result == {"visits": 2, "media_removed": 1}
    assert models.Visit.objects.count() == 1
    assert set(dict(media.stored_blobs())) == {media.sha256_of(recording)}
    with pytest.raises(StoreError, match="No patient"):
        api.show_patient(a)


def test_bad_folders_change_nothing(store, c3d_visit_dir, tmp_path):
    from groundup.store import media, models

    p = api.add_patient("Finn Example")
    with pytest.raises(StoreError, match="No folder"):
        api.record_visit(p, tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StoreError, match=r"no analysis\.json or exam\.json"):
        api.record_visit(p, empty)
    broken = tmp_path / "broken"
    shutil.copytree(c3d_visit_dir, broken)
    doc = json.loads((broken / "plan.json").read_text())
    del doc["exercises"]
    (broken / "plan.json").write_text(json.dumps(doc))
    with pytest.raises(StoreError, match="plan schema"):
        api.record_visit(p, broken, recordings=[broken / "exam.json"])
    with pytest.raises(StoreError, match="No patient"):
        api.record_visit("GU-NOSUCH22", c3d_visit_dir)
    assert models.Visit.objects.count() == 0
    assert not list(media.stored_blobs())


def test_sqlite_store_runs_in_wal_mode(store):
    if store.backend != "sqlite":
        pytest.skip("SQLite only")
    from django.db import connection

    api.add_patient("Gus Example")
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        assert cur.fetchone()[0] == "wal"


def test_django_app_checks_and_migrations_match_the_models(store):
    from django.contrib import admin
    from django.core.management import call_command
    from django.test import RequestFactory

    from groundup.store.models import AuditEntry

    call_command("check", fail_level="WARNING", stdout=io.StringIO())
    call_command("makemigrations", "groundup_store", check=True, dry_run=True, verbosity=0)
    audit_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    assert not audit_admin.has_change_permission(request)
    assert not audit_admin.has_delete_permission(request)
