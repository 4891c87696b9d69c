"""Fixtures of the web-app tests: a fresh store per test (SQLite and PostgreSQL), two clinics
with their staff, a patient with a real recorded visit in each, and a running ``groundup
serve`` for the browser tests.

Django is configured with the web app when this file is imported (at collection, before any
test runs), so the store's own tests in the same run use the same settings.

The store itself (SQLite or PostgreSQL, each test its own) comes from ``tests/store_fixtures.py``,
shared with the store's tests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from groundup.web.settings import configure_web
from tests.store_fixtures import (
    BACKENDS,
    EXAMPLE_EXAM,
    GROUNDUP,
    REPO_ROOT,
    SAMPLE_C3D,
    analyse_sample,
    fresh_store,
    store_env,
)

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
PASSWORD = "walk-the-chain-2026"


def _bootstrap() -> None:
    """Configure Django with the web app on a throw-away store (each test then points the
    process at its own store)."""
    from django.conf import settings

    if not settings.configured:
        import tempfile

        # Django's test client calls itself "testserver".
        os.environ.setdefault("GROUNDUP_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
        configure_web(data_dir=Path(tempfile.mkdtemp(prefix="groundup-web-boot-")))


_bootstrap()


@dataclass
class WebStore:
    backend: str
    data_dir: Path
    database_url: str | None
    env: dict[str, str]


@contextmanager
def _web_store(backend: str, data_dir: Path) -> Iterator[WebStore]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GROUNDUP_DATABASE_URL", raising=False)
        with fresh_store(backend, data_dir, "groundup_w_") as fresh:
            yield WebStore(fresh.backend, fresh.data_dir, fresh.database_url,
                           store_env(fresh.data_dir, fresh.database_url))


@pytest.fixture(params=BACKENDS)
def web_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WebStore]:
    """A fresh, migrated store with the web app's tables, on each backend."""
    with _web_store(request.param, tmp_path / "data") as store:
        yield store


@pytest.fixture(scope="module", params=BACKENDS)
def module_web_store(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStore]:
    """One store for a module whose tests only add to it (each backend)."""
    with _web_store(request.param, tmp_path_factory.mktemp("web_store") / "data") as store:
        yield store


def make_user(username: str, clinic_name: str, role: str) -> Any:
    from django.contrib.auth import get_user_model

    from groundup.store.models import Clinic, ClinicMembership

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    clinic, _ = Clinic.objects.get_or_create(name=clinic_name)
    ClinicMembership.objects.create(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture(scope="session")
def c3d_visit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real visit with its report: the lab sample (C3D) with the example exam, analysed
    once per session."""
    return analyse_sample(tmp_path_factory.mktemp("web_c3d_visit") / "visit", report=True)


@dataclass
class ClinicWorld:
    """Clinic A and clinic B, each with staff and a patient with a recorded visit, and the
    web objects of clinic A's patient (a draft with an upload, a finished job)."""

    ids: dict[str, Any] = field(default_factory=dict)  # url kwargs of clinic A's objects


@pytest.fixture
def world(web_store: WebStore, c3d_visit_folder: Path) -> ClinicWorld:
    return build_world(c3d_visit_folder)


@pytest.fixture(scope="module")
def module_world(module_web_store: WebStore, c3d_visit_folder: Path) -> ClinicWorld:
    """The clinic world once for a module whose tests change nothing in it but add (the
    access checks)."""
    return build_world(c3d_visit_folder)


def build_world(c3d_visit_folder: Path) -> ClinicWorld:
    from groundup.store import api
    from groundup.store.models import Visit
    from groundup.web.models import CLINIC_ADMIN, CLINICIAN, AnalysisJob, Upload, VisitDraft
    from groundup.web.uploads import uploads_dir

    make_user("ana", "Clinic A", CLINICIAN)
    make_user("adam", "Clinic A", CLINIC_ADMIN)
    make_user("bea", "Clinic B", CLINICIAN)
    make_user("bert", "Clinic B", CLINIC_ADMIN)
    a = api.add_patient("Alma Example", clinic="Clinic A", actor="ana")
    b = api.add_patient("Bruno Example", clinic="Clinic B", actor="bea")
    for pseudonym, actor in ((a, "ana"), (b, "bea")):
        api.record_visit(pseudonym, c3d_visit_folder, recordings=[SAMPLE_C3D], actor=actor)
    visit = Visit.objects.get(patient__pseudonym=a)
    draft = VisitDraft.objects.create(clinic=visit.patient.clinic, patient=visit.patient,
                                      created_by="ana")
    upload = Upload.objects.create(draft=draft, kind="c3d", suffix=".c3d",
                                   size_bytes=SAMPLE_C3D.stat().st_size, sha256="-")
    uploads_dir(draft.id).mkdir(parents=True, exist_ok=True)
    (uploads_dir(draft.id) / f"{upload.id}.c3d").write_bytes(SAMPLE_C3D.read_bytes())
    job = AnalysisJob.objects.create(draft=draft, created_by="ana", state="failed")
    media = visit.media.filter(role="report_pdf").first()
    return ClinicWorld(ids={
        "pseudonym": a, "uid": visit.uid, "draft_id": draft.id, "upload_id": upload.id,
        "job_id": job.id, "media_id": media.pk, "other_pseudonym": b,
    })


def draft_with_upload_and_exam(pseudonym: str) -> Any:
    """A draft of the patient with the lab sample uploaded and the example exam filled in."""
    from django.core.files import File

    from groundup.exam.loader import load_exam_file
    from groundup.store.models import Patient
    from groundup.web.models import Upload, VisitDraft
    from groundup.web.uploads import keep_upload

    patient = Patient.objects.get(pseudonym=pseudonym)
    draft = VisitDraft.objects.create(clinic=patient.clinic, patient=patient,
                                      created_by="therapist")
    exam = load_exam_file(EXAMPLE_EXAM)
    draft.exam_input = json.loads(json.dumps(exam, default=str))
    draft.save()
    with SAMPLE_C3D.open("rb") as fh:
        f = File(fh, name="walk.c3d")
        upload = Upload(draft=draft)
        kind, suffix, size, sha = keep_upload(f, draft.id, upload.id)
    upload.kind, upload.suffix, upload.size_bytes, upload.sha256 = kind, suffix, size, sha
    upload.save()
    return draft


# ---- a running server (browser and crash tests) ------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    port: int
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def start(self) -> None:
        assert self.log is not None
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [*GROUNDUP, "serve", "--port", str(self.port)], env=self.env, cwd=REPO_ROOT,
                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "login/", timeout=2)
                return
            except OSError as exc:
                if self.proc.poll() is not None:
                    raise AssertionError("groundup serve stopped:\n"
                                         + self.log.read_text()) from exc
                time.sleep(0.5)
        raise AssertionError("groundup serve did not answer:\n" + self.log.read_text())

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server_env(web_store: WebStore) -> dict[str, str]:
    """The environment of a server on the test's store, with a clinic admin to sign in."""
    from groundup.web.models import CLINIC_ADMIN

    make_user("therapist", "Clinic A", CLINIC_ADMIN)
    from django.db import connections

    connections.close_all()
    return web_store.env


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    srv = Server(f"http://127.0.0.1:{port}/", server_env, port, log=tmp_path / "serve.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
