"""Uploads: the kind comes from the bytes (real recordings), the size is limited while the
upload streams, and a refused file leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

from django.test import Client
from django.urls import reverse

from groundup.web.uploads import HEAD_BYTES, sniff_kind
from tests.store_fixtures import SAMPLE_C3D
from tests.web.conftest import make_user


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def test_real_recordings_are_recognised_by_their_bytes(shared_data):
    c3d = sorted((shared_data / "c3d").glob("*.c3d"))
    videos = sorted((shared_data / "video").glob("*.mp4"))
    assert len(c3d) >= 5 and len(videos) >= 3
    for path in c3d:
        assert sniff_kind(_head(path)) == ("c3d", ".c3d"), path.name
    for path in videos:
        assert sniff_kind(_head(path)) == ("video", ".mp4"), path.name
    # Not recordings, whatever their names say.
    for text in (b"%PDF-1.7\n" + b"x" * 20000, b"\x02P" + b"\x00" * 1000,
                 b"name,age\nAnna,46\n" * 40, b"\x00" * 600,
                 (shared_data / "MANIFEST.md").read_bytes()[:600]):
        assert sniff_kind(text) is None


def _draft(client: Client) -> str:
    from groundup.store import api

    pseudonym = api.add_patient("Lena Example", clinic="Clinic A", actor="ana")
    response = client.post(reverse("web:visit_new", args=[pseudonym]))
    return response["Location"]


def test_upload_limits_and_refusals(web_store, monkeypatch, tmp_path):
    from django.contrib.auth import get_user_model

    from groundup.web.models import Upload

    make_user("ana", "Clinic A", "clinician")
    client = Client()
    client.force_login(get_user_model().objects.get(username="ana"))
    draft_url = _draft(client)
    upload_url = draft_url + "upload/"
    fake = tmp_path / "walk.mp4"
    fake.write_bytes(b"this is not a video " * 100)
    with fake.open("rb") as fh:
        page = client.post(upload_url, {"recordings": fh}, follow=True)
    assert "neither a video clip" in page.content.decode()
    monkeypatch.setenv("GROUNDUP_MAX_UPLOAD_MB", "0.5")  # the C3D sample is larger
    with SAMPLE_C3D.open("rb") as fh:
        page = client.post(upload_url, {"recordings": fh}, follow=True)
    assert "larger than 0 MB" in page.content.decode() or "larger than" in page.content.decode()
    assert Upload.objects.count() == 0
    uploads = web_store.data_dir / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))
    monkeypatch.delenv("GROUNDUP_MAX_UPLOAD_MB")
    with SAMPLE_C3D.open("rb") as fh:
        client.post(upload_url, {"recordings": fh})
    upload = Upload.objects.get()
    assert (upload.kind, upload.suffix, upload.size_bytes) == ("c3d", ".c3d",
                                                               SAMPLE_C3D.stat().st_size)
    kept = [p for p in uploads.rglob("*") if p.is_file()]
    assert [p.name for p in kept] == [f"{upload.id}.c3d"]  # a random name, not walk.c3d
    assert kept[0].read_bytes() == SAMPLE_C3D.read_bytes()
