"""What the records-store tests and the web-app tests share: a fresh, migrated store on SQLite
or PostgreSQL, the environment of a ``groundup`` subprocess on it, and the lab sample analysed
into a visit folder.

PostgreSQL: ``GROUNDUP_TEST_DATABASE_URL`` names a database the tests connect to as a role
allowed to create databases (each store gets its own, dropped afterwards). Unset, the
PostgreSQL variants are skipped on a developer's machine but fail in CI (``CI`` set), where
.ci/run starts PostgreSQL and sets it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATABASE_URL_ENV = "GROUNDUP_TEST_DATABASE_URL"
GROUNDUP = [sys.executable, "-c", "from groundup.cli import main; main()"]
SAMPLE_C3D = REPO_ROOT / "samples" / "smk_overground.c3d"
EXAMPLE_EXAM = REPO_ROOT / "docs" / "examples" / "exam_example.yaml"
BACKENDS = ["sqlite", "postgresql"]


def postgres_admin_url() -> str:
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{TEST_DATABASE_URL_ENV} is not set in CI: the store and the web app must "
                    "be tested on PostgreSQL (.ci/run starts it).")
    pytest.skip(f"PostgreSQL tests need {TEST_DATABASE_URL_ENV} (set by .ci/run)")


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def store_env(data_dir: Path, url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a ``groundup`` subprocess on this store."""
    env = {k: v for k, v in os.environ.items() if k != "GROUNDUP_DATABASE_URL"}
    env.update(GROUNDUP_DATA_DIR=str(data_dir), COLUMNS="200", **extra)
    if url:
        env["GROUNDUP_DATABASE_URL"] = url
    return env


@dataclass
class FreshStore:
    backend: str
    data_dir: Path
    database_url: str | None


@contextmanager
def fresh_store(backend: str, data_dir: Path, prefix: str) -> Iterator[FreshStore]:
    """A new, migrated store (a new PostgreSQL database named ``prefix`` + random), configured
    in this process; its database is dropped afterwards. ``GROUNDUP_DATABASE_URL`` must be
    unset by the caller (monkeypatch) so that nothing else points at another database."""
    from groundup.store.setup import configure_store

    url = name = None
    if backend == "postgresql":
        admin = postgres_admin_url()
        name = f"{prefix}{secrets.token_hex(6)}"
        _admin_sql(admin, f"CREATE DATABASE {name}")
        url = _with_database(admin, name)
    configure_store(data_dir=data_dir, database_url=url)
    try:
        yield FreshStore(backend, data_dir, url)
    finally:
        from django.db import connections

        connections.close_all()
        if name is not None:
            _admin_sql(postgres_admin_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def analyse_sample(out: Path, *, report: bool, timeout_s: float = 900) -> Path:
    """The lab sample (C3D) with the example exam analysed into the visit folder ``out``."""
    subprocess.run(
        [*GROUNDUP, "analyze", str(SAMPLE_C3D), "--exam", str(EXAMPLE_EXAM), "--out", str(out),
         *([] if report else ["--no-report"])],
        check=True, capture_output=True, cwd=REPO_ROOT, timeout=timeout_s,
    )
    return out
