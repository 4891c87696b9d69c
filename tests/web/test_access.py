"""Must 2: every URL pattern of the app is enumerated; anonymous access is refused on all of
them; another clinic's patient, visit, upload, job, media and report are refused on all of
them; a form without its CSRF token is refused. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.web.conftest import ClinicWorld

# Open without signing in: the sign-in page itself, signing out (a POST that ends a session,
# nothing to see) and the app's own CSS/JS (no data).
PUBLIC = {"web:login", "web:logout", "web:static"}
# URL kwargs not taken from clinic A's objects.
FIXED_KWARGS = {"path": "app.css"}


def url_patterns() -> dict[str, URLPattern]:
    """Every named URL pattern of the app (``web:<name>``), walked from the root URLconf."""
    out: dict[str, URLPattern] = {}

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                assert p.name, f"URL pattern {p.pattern} has no name"
                out[f"{namespace}{p.name}"] = p

    walk(get_resolver().url_patterns, "")
    return out


def url_of(name: str, pattern: URLPattern, ids: dict[str, Any]) -> str:
    keys = list(pattern.pattern.converters) or [
        k for k in pattern.pattern.regex.groupindex]
    kwargs = {k: FIXED_KWARGS.get(k, ids.get(k)) for k in keys}
    assert all(v is not None for v in kwargs.values()), f"no value for {name} {kwargs}"
    return reverse(name, kwargs=kwargs)


def sign_in(client: Client, username: str) -> None:
    """Sign in without the form (the form, throttling included, is tested in test_auth)."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))


@pytest.fixture(scope="module")
def world(module_world: ClinicWorld) -> ClinicWorld:
    """One clinic world for the module (per backend): its tests only read it, or add to it."""
    return module_world


def test_every_pattern_is_covered():
    names = set(url_patterns())
    assert len(names) >= 19
    assert names >= PUBLIC


def test_anonymous_is_refused_everywhere(world):
    client = Client()
    checked = 0
    for name, pattern in url_patterns().items():
        url = url_of(name, pattern, world.ids)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if name in PUBLIC:
                continue
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith(reverse("web:login")), (name, method)
            checked += 1
    assert checked == 2 * (len(url_patterns()) - len(PUBLIC))
    # The public ones show no patient data.
    for url in (reverse("web:login"), reverse("web:static", kwargs={"path": "app.css"})):
        body = b"".join(Client().get(url))
        assert b"Alma" not in body and world.ids["pseudonym"].encode() not in body


def test_another_clinics_objects_are_refused_everywhere(world):
    """Clinic B's clinician and admin get 404 on every URL naming clinic A's objects."""
    object_keys = {"pseudonym", "uid", "draft_id", "upload_id", "job_id", "media_id"}
    for username in ("bea", "bert"):
        client = Client()
        sign_in(client, username)
        checked = 0
        for name, pattern in url_patterns().items():
            if not object_keys & set(pattern.pattern.converters):
                continue
            url = url_of(name, pattern, world.ids)
            statuses = [getattr(client, method)(url, {"confirm": world.ids["pseudonym"]})
                        .status_code for method in ("get", "post")]
            # 404 for the method the view takes; 405 (before any lookup) for the other.
            assert 404 in statuses and set(statuses) <= {404, 405}, (username, name, statuses)
            checked += 1
        assert checked >= 15
    # Nothing of clinic A changed or leaked: the patient and its visit are still there.
    ana = Client()
    sign_in(ana, "ana")
    page = ana.get(reverse("web:patient", kwargs={"pseudonym": world.ids["pseudonym"]}))
    assert page.status_code == 200 and b"Visit 1" in page.content
    # Clinic B's patient list never shows clinic A's patients.
    bea = Client()
    sign_in(bea, "bea")
    listing = bea.post(reverse("web:patients"), {"q": "Alma"})
    assert b"Alma Example" not in listing.content and b"No patients found" in listing.content
    assert world.ids["pseudonym"].encode() not in bea.get(reverse("web:patients")).content


def test_own_clinic_sees_its_objects(world):
    """The control for the refusals above: clinic A's clinician opens every page."""
    client = Client()
    sign_in(client, "ana")
    opened = set()
    for name, pattern in url_patterns().items():
        if name in PUBLIC or name == "web:staff":
            continue
        response = client.get(url_of(name, pattern, world.ids))
        assert response.status_code in (200, 302, 405), (name, response.status_code)
        if response.status_code == 200:
            opened.add(name)
    assert {"web:patients", "web:patient", "web:progress_chart", "web:draft", "web:exam",
            "web:job", "web:job_status", "web:visit", "web:media", "web:plan_edit",
            "web:patient_new"} <= opened


def test_clinician_cannot_do_admin_things(world):
    client = Client()
    sign_in(client, "ana")
    assert client.get(reverse("web:staff")).status_code == 403
    assert b'href="/staff/"' not in client.get(reverse("web:patients")).content
    response = client.post(reverse("web:patient_delete",
                                   kwargs={"pseudonym": world.ids["pseudonym"]}),
                           {"confirm": world.ids["pseudonym"]})
    assert response.status_code == 403
    from groundup.store.models import Patient

    assert Patient.objects.filter(pseudonym=world.ids["pseudonym"]).exists()


def test_forms_without_csrf_token_are_refused(world):
    """Every URL that takes a POST refuses one without the CSRF token (403), and changes
    nothing; the same POST with the token goes through."""
    from groundup.store.models import AuditEntry

    client = Client(enforce_csrf_checks=True)
    sign_in(client, "adam")
    before = AuditEntry.objects.filter(action__in=["create", "change", "delete"]).count()
    refused = []
    for name, pattern in url_patterns().items():
        if name == "web:static":
            continue
        url = url_of(name, pattern, world.ids)
        response = client.post(url, {"confirm": world.ids["pseudonym"], "q": "Alma"})
        if response.status_code == 405:  # a GET-only page: no form posts here
            continue
        assert response.status_code == 403, (name, response.status_code)
        assert b"security token" in response.content
        refused.append(name)
    assert {"web:patient_new", "web:visit_new", "web:upload", "web:exam", "web:start",
            "web:job_cancel", "web:plan_edit", "web:patient_delete", "web:staff",
            "web:logout", "web:login", "web:patients"} <= set(refused)
    assert AuditEntry.objects.filter(action__in=["create", "change", "delete"]).count() == before
    # With the token the same form works (the refusal was the token, not the form).
    page = client.get(reverse("web:patient_new"))
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else \
        client.cookies["csrftoken"].value
    ok = client.post(reverse("web:patient_new"),
                     {"full_name": "Cora Example", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302


@pytest.mark.parametrize("bad", ["GU-AAAAAAAA", "../etc/passwd"])
def test_unknown_ids_are_not_found(world, bad):
    client = Client()
    sign_in(client, "ana")
    assert client.get(f"/patients/{bad}/").status_code == 404
