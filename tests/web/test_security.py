"""Security settings at work: headers, cookies, Argon2, sign-in throttling, HTTPS mode."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD, make_user


def _login(client: Client, username: str, password: str):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_headers_cookies_and_password_hash(web_store):
    from django.contrib.auth import get_user_model

    make_user("ana", "Clinic A", "clinician")
    assert get_user_model().objects.get(username="ana").password.startswith("argon2$argon2id$")
    client = Client()
    response = _login(client, "ana", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("web:patients")
    session = response.cookies["groundup_session"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["secure"]  # plain http on this computer; Secure with GROUNDUP_HTTPS=1
    page = client.get(reverse("web:patients"))
    csp = page["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "same-origin"
    # The pages load nothing from elsewhere.
    assert b"http://" not in page.content and b"https://" not in page.content


def test_sign_in_is_throttled(web_store):
    make_user("ana", "Clinic A", "clinician")
    client = Client()
    for _ in range(4):
        response = _login(client, "ana", "wrong password")
        assert response.status_code == 200 and b"not right" in response.content
    fifth = _login(client, "ana", "wrong password")
    assert fifth.status_code == 429 and b"paused" in fifth.content
    locked = _login(client, "ana", PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429 and b"paused" in locked.content
    assert "_auth_user_id" not in client.session
    # Another user name from the same address is not locked.
    make_user("bo", "Clinic A", "clinician")
    assert _login(Client(), "bo", PASSWORD).status_code == 302


def test_https_mode_settings(monkeypatch):
    from groundup.web.settings import web_settings

    monkeypatch.delenv("GROUNDUP_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("GROUNDUP_HTTPS", raising=False)
    base = {"INSTALLED_APPS": []}
    plain = web_settings(base)
    assert not plain["SESSION_COOKIE_SECURE"] and not plain["SECURE_SSL_REDIRECT"]
    assert plain["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    monkeypatch.setenv("GROUNDUP_HTTPS", "1")
    monkeypatch.setenv("GROUNDUP_ALLOWED_HOSTS", "groundup.clinic.example")
    https = web_settings(base)
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"]
    assert https["SECURE_SSL_REDIRECT"] and https["SECURE_HSTS_SECONDS"] >= 31536000
    assert https["ALLOWED_HOSTS"] == ["groundup.clinic.example"]
    assert https["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")


def test_no_patient_data_in_urls(web_store):
    """Every address the app links to holds opaque ids only."""
    import re

    from groundup.store import api

    make_user("ana", "Clinic A", "clinician")
    pseudonym = api.add_patient("Zelda Unique", clinic="Clinic A", actor="ana")
    client = Client()
    _login(client, "ana", PASSWORD)
    for url in (reverse("web:patients"), reverse("web:patient", args=[pseudonym])):
        body = client.get(url).content.decode()
        for href in re.findall(r'(?:href|src|action)="([^"]+)"', body):
            assert "Zelda" not in href and "Unique" not in href, href
