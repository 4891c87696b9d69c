"""What the records-store tests and the web-app tests share: a fresh, migrated store on SQLite
or PostgreSQL, the environment of a ``groundup`` subprocess on it, and the lab sample analysed
into a visit folder.

PostgreSQL: ``GROUNDUP_TEST_DATABASE_URL`` names a database the tests connect to as a role
allowed to create databases (each store gets its own, dropped afterwards). Unset, the
PostgreSQL variants are skipped on a developer's machine but fail in CI (``CI`` set), where
.ci/run starts PostgreSQL and sets it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# A migrated store per backend, made once per test process and copied for each fresh store
# (copying is several times cheaper than running every migration again).
_TEMPLATES: dict[str, Any] = {}


def _template_folder() -> Path:
    import shutil

    top = tempfile.mkdtemp(prefix="groundup-template-")
    atexit.register(shutil.rmtree, top, ignore_errors=True)
    return Path(top) / "data"


def _sqlite_template() -> Path:
    from django.db import connections

    from groundup.store.setup import SQLITE_NAME, configure_store

    if "sqlite" not in _TEMPLATES:
        folder = _template_folder()
        configure_store(data_dir=folder)
        connections.close_all()
        _TEMPLATES["sqlite"] = folder / SQLITE_NAME
    return _TEMPLATES["sqlite"]


def _postgres_template(admin: str, prefix: str) -> str:
    from django.db import connections

    from groundup.store.setup import configure_store

    if "postgresql" not in _TEMPLATES:
        name = f"{prefix}tpl_{secrets.token_hex(6)}"
        _admin_sql(admin, f"CREATE DATABASE {name}")
        atexit.register(_admin_sql, admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        folder = _template_folder()
        configure_store(data_dir=folder, database_url=_with_database(admin, name))
        connections.close_all()  # a template database is copied only while nobody uses it
        _TEMPLATES["postgresql"] = name
    return _TEMPLATES["postgresql"]


def _copy_sqlite(template: Path, data_dir: Path) -> None:
    import sqlite3

    from groundup.store.setup import SQLITE_NAME

    data_dir.mkdir(parents=True)
    data_dir.chmod(0o700)
    with sqlite3.connect(template) as src, sqlite3.connect(data_dir / SQLITE_NAME) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@contextmanager
def fresh_store(backend: str, data_dir: Path, prefix: str) -> Iterator[FreshStore]:
    """A new, migrated store (a copy of this process's migrated template; on PostgreSQL a new
    database named ``prefix`` + random), configured in this process; its database is dropped
    afterwards. ``GROUNDUP_DATABASE_URL`` must be unset by the caller (monkeypatch) so that
    nothing else points at another database."""
    from groundup.store.setup import configure_store

    url = name = None
    if backend == "postgresql":
        admin = postgres_admin_url()
        template = _postgres_template(admin, prefix)
        name = f"{prefix}{secrets.token_hex(6)}"
        _admin_sql(admin, f"CREATE DATABASE {name} TEMPLATE {template}")
        url = _with_database(admin, name)
    else:
        _copy_sqlite(_sqlite_template(), data_dir)
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
