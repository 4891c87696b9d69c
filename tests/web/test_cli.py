"""``groundup createadmin`` and ``groundup serve`` from the command line."""

from __future__ import annotations

import subprocess

from tests.store_fixtures import GROUNDUP, REPO_ROOT


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*GROUNDUP, *args], env=env, input=stdin, capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=300)


def test_createadmin_makes_a_clinic_admin(web_store):
    from django.contrib.auth import get_user_model

    from groundup.store.models import ClinicMembership

    env = web_store.env
    weak = _run(env, "createadmin", "--username", "anna", "--password-stdin", stdin="12345\n")
    assert weak.returncode == 2 and "too weak" in weak.stderr
    ok = _run(env, "createadmin", "--username", "anna", "--clinic", "Clinic North",
              "--password-stdin", stdin="a long enough passphrase\n")
    assert ok.returncode == 0, ok.stderr
    assert "Clinic admin anna of Clinic North created" in " ".join(ok.stdout.split())
    user = get_user_model().objects.get(username="anna")
    assert user.check_password("a long enough passphrase")
    membership = ClinicMembership.objects.get(user=user)
    assert (membership.clinic.name, membership.role) == ("Clinic North", "clinic_admin")
    again = _run(env, "createadmin", "--username", "anna", "--password-stdin",
                 stdin="another long passphrase\n")
    assert again.returncode == 2 and "exists already" in again.stderr
    assert "Traceback" not in weak.stderr + again.stderr


def test_serve_help_names_the_defaults(web_store):
    out = _run(web_store.env, "serve", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "127.0.0.1" in text and "--no-worker" in text and "docs/web-app.md" in text
