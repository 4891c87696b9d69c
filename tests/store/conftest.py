"""Fixtures of the records-store tests: a fresh store per test, on SQLite and on PostgreSQL.

PostgreSQL: ``GROUNDUP_TEST_DATABASE_URL`` names a database the tests may connect to as a role
allowed to create databases (each test gets its own, dropped afterwards). Unset, the PostgreSQL
tests are skipped on a developer's machine but fail in CI (``CI`` set), where .ci/run starts
PostgreSQL and sets it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATABASE_URL_ENV = "GROUNDUP_TEST_DATABASE_URL"
GROUNDUP = [sys.executable, "-c", "from groundup.cli import main; main()"]


def _postgres_admin_url() -> str:
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{TEST_DATABASE_URL_ENV} is not set in CI: the store must be tested on "
                    "PostgreSQL (.ci/run starts it).")
    pytest.skip(f"PostgreSQL store tests need {TEST_DATABASE_URL_ENV} (set by .ci/run)")


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class Store:
    """A fresh store: in this process (configured) and for subprocesses (``env``)."""

    backend: str
    data_dir: Path
    database_url: str | None
    env: dict[str, str]

    def cli(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*GROUNDUP, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
            cwd=REPO_ROOT, check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"groundup {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*GROUNDUP, *args], env=self.env, cwd=REPO_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _env(data_dir: Path, url: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "GROUNDUP_DATABASE_URL"}
    env.update(GROUNDUP_DATA_DIR=str(data_dir), GROUNDUP_USER="test-therapist", COLUMNS="200")
    if url:
        env["GROUNDUP_DATABASE_URL"] = url
    return env


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[Store]:
    """A fresh, migrated store on each backend, configured in this process as well."""
    from groundup.store.setup import configure_store

    monkeypatch.delenv("GROUNDUP_DATABASE_URL", raising=False)
    monkeypatch.setenv("GROUNDUP_USER", "test-therapist")
    data_dir = tmp_path / "data"
    url = None
    name = None
    if request.param == "postgresql":
        admin = _postgres_admin_url()
        name = f"groundup_t_{secrets.token_hex(6)}"
        _admin(admin, f"CREATE DATABASE {name}")
        url = _with_database(admin, name)
    configure_store(data_dir=data_dir, database_url=url)
    try:
        yield Store(request.param, data_dir, url, _env(data_dir, url))
    finally:
        from django.db import connections

        connections.close_all()
        if name is not None:
            _admin(_postgres_admin_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def c3d_visit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real visit folder: the lab sample (C3D) with the example exam, analysed once (no
    report, to stay fast); its recording is ``samples/smk_overground.c3d``."""
    out = tmp_path_factory.mktemp("c3d_visit") / "visit"
    subprocess.run(
        [*GROUNDUP, "analyze", str(REPO_ROOT / "samples" / "smk_overground.c3d"), "--exam",
         str(REPO_ROOT / "docs" / "examples" / "exam_example.yaml"), "--out", str(out),
         "--no-report"],
        check=True, capture_output=True, cwd=REPO_ROOT, timeout=600,
    )
    return out
