"""The one place that configures Django for the records store (no manage.py needed).

``configure_store()`` sets Django's settings programmatically, starts Django and brings the
database schema up to date (migrations run under a file lock, so two processes that start at
once do not race). Where the data live:

- the data folder: ``GROUNDUP_DATA_DIR``, else ``$XDG_DATA_HOME/groundup``, else
  ``~/.local/share/groundup``. It holds the SQLite database (``groundup.sqlite3``), the
  content-addressed media folder (``media/``) and the key Django signs sessions with;
- the database: ``GROUNDUP_DATABASE_URL`` (e.g. ``postgresql://user:pw@host:5432/groundup``,
  parsed by dj-database-url), else SQLite in the data folder, in WAL mode (readers never wait
  for a writer) with ``BEGIN IMMEDIATE`` transactions (two writers queue instead of failing).

Calling it again with another folder or URL points the process at that store (the tests do so
to give each test a fresh store).
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundup.store.errors import StoreError

DATA_DIR_ENV = "GROUNDUP_DATA_DIR"
DATABASE_URL_ENV = "GROUNDUP_DATABASE_URL"
SQLITE_NAME = "groundup.sqlite3"
# Seconds a writer waits for another writer's transaction (SQLite busy timeout, file locks).
WRITE_WAIT_S = 60


@dataclass(frozen=True)
class StoreLocation:
    """Where the store of this process lives."""

    data_dir: Path
    database_url: str | None

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url else "sqlite"


_current: StoreLocation | None = None


def default_data_dir() -> Path:
    """The data folder when ``GROUNDUP_DATA_DIR`` is not set (XDG base directory rules)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "groundup"


def _database_settings(location: StoreLocation) -> dict[str, Any]:
    if location.database_url:
        import dj_database_url

        try:
            db = dj_database_url.parse(location.database_url, conn_max_age=0)
        except (ValueError, KeyError) as exc:
            raise StoreError(
                f"{DATABASE_URL_ENV} is not a database URL ({exc}).",
                "Give e.g. postgresql://USER:PASSWORD@HOST:5432/DATABASE.",
            ) from exc
        if db.get("ENGINE") != "django.db.backends.postgresql":
            raise StoreError(
                f"{DATABASE_URL_ENV} names a database GroundUp does not support "
                f"({db.get('ENGINE')}).",
                "Use a postgresql:// URL, or unset it for the embedded SQLite store.",
            )
        return db
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(location.data_dir / SQLITE_NAME),
        "OPTIONS": {
            "timeout": WRITE_WAIT_S,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
            "PRAGMA foreign_keys=ON;",
        },
    }


def _secret_key(data_dir: Path) -> str:
    key = os.environ.get("GROUNDUP_SECRET_KEY")
    if key:
        return key
    path = data_dir / "secret_key"
    if not path.exists():
        # Written whole to a temporary file, then linked: a second process either sees no key
        # or the complete one, and exactly one key wins.
        tmp = data_dir / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _settings(location: StoreLocation) -> dict[str, Any]:
    return {
        "DEBUG": False,
        "SECRET_KEY": _secret_key(location.data_dir),
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "groundup.store.apps.StoreConfig",
        ],
        "DATABASES": {"default": _database_settings(location)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "MIGRATION_MODULES": {},
        "LOGGING_CONFIG": None,
        # What the admin needs (the web app adds its own on top).
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "groundup.store.urls",
        "STATIC_URL": "static/",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "django.template.context_processors.request",
                    ]
                },
            }
        ],
    }


def _prepare_folder(data_dir: Path) -> None:
    try:
        if not data_dir.exists():  # patient data: readable by its owner only
            data_dir.mkdir(parents=True)
            data_dir.chmod(0o700)
        (data_dir / "media").mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"The data folder cannot be created ({exc.strerror}).",
            f"Set {DATA_DIR_ENV} to a folder you can write to.",
        ) from exc


def configure_store(
    data_dir: Path | None = None, database_url: str | None = None
) -> StoreLocation:
    """Configure and start Django for the store, migrate it, and return where it lives.

    Without arguments the environment decides (see the module docstring). Safe to call often:
    the same location is configured once.
    """
    global _current
    data_dir = Path(data_dir or os.environ.get(DATA_DIR_ENV) or default_data_dir())
    database_url = database_url or os.environ.get(DATABASE_URL_ENV) or None
    location = StoreLocation(data_dir.resolve(), database_url)
    if _current == location:
        return location
    _prepare_folder(location.data_dir)

    import django
    from django.conf import settings

    values = _settings(location)
    if not settings.configured:
        settings.configure(**values)
        django.setup()
    else:
        _switch_database(values["DATABASES"])
    _current = location
    migrate()
    return location


def _switch_database(databases: dict[str, Any]) -> None:
    """Point the configured process at another database (Django's own test runner swaps
    ``settings_dict`` the same way when it moves to a test database)."""
    from asgiref.local import Local
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES = databases
    connections._settings = None
    connections.__dict__.pop("settings", None)
    connections._connections = Local(connections.thread_critical)


def location() -> StoreLocation:
    """The configured store (configuring it from the environment when needed)."""
    return _current if _current is not None else configure_store()


@contextmanager
def file_lock(path: Path, *, shared: bool = False) -> Iterator[None]:
    """An advisory lock on ``path`` between processes of this machine (released by the kernel
    when the process dies, also on SIGKILL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def migrate() -> None:
    """Apply the store's migrations that the database lacks (one process at a time)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    loc = _current
    assert loc is not None
    with file_lock(loc.data_dir / ".migrate.lock"):
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # a server that is down, a wrong password, ...
            raise StoreError(
                f"The records database cannot be opened ({type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}).",
                f"Check {DATABASE_URL_ENV} and that the database server runs.",
            ) from exc
        if plan:
            call_command("migrate", interactive=False, verbosity=0)
