"""The web app's Django settings: the store's programmatic configuration, extended.

:func:`configure_web` starts Django with the store's settings (database, data folder, secret
key; :mod:`groundup.store.setup`) plus what a browser app needs: sessions, CSRF, Argon2
password hashing, login throttling (django-axes), a content security policy (django-csp), the
database-backed task queue (django-tasks with django-tasks-db) and this app. It then hands over
to ``configure_store``, which points the process at the store and migrates every app.

Environment (besides the store's ``GROUNDUP_DATA_DIR`` / ``GROUNDUP_DATABASE_URL`` /
``GROUNDUP_SECRET_KEY``):

- ``GROUNDUP_ALLOWED_HOSTS``: comma-separated host names the app answers to (default: the
  loopback names only, which is what ``groundup serve`` binds to);
- ``GROUNDUP_HTTPS=1``: the app runs behind HTTPS (cookies marked Secure, HSTS, redirect to
  https); set it whenever a TLS proxy is in front;
- ``GROUNDUP_MAX_UPLOAD_MB``: the largest file accepted (default 500).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ALLOWED_HOSTS_ENV = "GROUNDUP_ALLOWED_HOSTS"
HTTPS_ENV = "GROUNDUP_HTTPS"
MAX_UPLOAD_ENV = "GROUNDUP_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 500
# Minutes a signed-in session lasts without activity (ASVS 3.3.2 asks for a limit).
SESSION_IDLE_MIN = 60
# django-axes: a user name is locked after this many failed sign-ins from one address, for the
# cool-off time (ASVS 2.2.1: anti-automation against credential stuffing).
LOGIN_FAILURE_LIMIT = 5
LOGIN_COOLOFF_MIN = 15

WEB_APPS = [
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "groundup.web.apps.WebConfig",
]


def max_upload_bytes() -> int:
    return int(float(os.environ.get(MAX_UPLOAD_ENV, DEFAULT_MAX_UPLOAD_MB)) * 1024 * 1024)


def https_enabled() -> bool:
    return os.environ.get(HTTPS_ENV, "") not in ("", "0", "false", "no")


def web_settings(store_settings: dict[str, Any]) -> dict[str, Any]:
    """The store's settings with the web app's added (nothing of the store's is removed)."""
    values = dict(store_settings)
    https = https_enabled()
    hosts = os.environ.get(ALLOWED_HOSTS_ENV, "")
    values.update(
        {
            "INSTALLED_APPS": [*store_settings["INSTALLED_APPS"], *WEB_APPS],
            "TEMPLATES": _templates(store_settings.get("TEMPLATES") or []),
            "ROOT_URLCONF": "groundup.web.root_urls",
            "ALLOWED_HOSTS": [h.strip() for h in hosts.split(",") if h.strip()]
            or ["127.0.0.1", "localhost", "[::1]"],
            "MIDDLEWARE": [
                "django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
                "django.middleware.clickjacking.XFrameOptionsMiddleware",
                "csp.middleware.CSPMiddleware",
                "groundup.web.middleware.NoStoreMiddleware",
                # Last, as django-axes asks: it turns a lock-out into the lock-out page.
                "axes.middleware.AxesMiddleware",
            ],
            "AUTHENTICATION_BACKENDS": [
                "axes.backends.AxesStandaloneBackend",
                "django.contrib.auth.backends.ModelBackend",
            ],
            # Argon2id first (new and re-hashed passwords); the others only verify old hashes.
            "PASSWORD_HASHERS": [
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            ],
            "AUTH_PASSWORD_VALIDATORS": [
                {"NAME": "django.contrib.auth.password_validation."
                         "UserAttributeSimilarityValidator"},
                {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                 "OPTIONS": {"min_length": 12}},
                {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
                {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
            ],
            "LOGIN_URL": "web:login",
            "LOGIN_REDIRECT_URL": "web:patients",
            "LOGOUT_REDIRECT_URL": "web:login",
            # Sessions: HttpOnly, SameSite=Lax, Secure behind HTTPS, ended after idle time and
            # when the browser closes.
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": https,
            "SESSION_COOKIE_AGE": SESSION_IDLE_MIN * 60,
            "SESSION_SAVE_EVERY_REQUEST": True,
            "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
            "SESSION_COOKIE_NAME": "groundup_session",
            "CSRF_COOKIE_HTTPONLY": True,
            "CSRF_COOKIE_SAMESITE": "Lax",
            "CSRF_COOKIE_SECURE": https,
            "CSRF_FAILURE_VIEW": "groundup.web.views.csrf_failure",
            "SECURE_SSL_REDIRECT": https,
            "SECURE_HSTS_SECONDS": 31536000 if https else 0,
            "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if https else None,
            "SECURE_CONTENT_TYPE_NOSNIFF": True,
            "SECURE_REFERRER_POLICY": "same-origin",
            "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
            "X_FRAME_OPTIONS": "DENY",
            # Only this server's own files: no CDN, no inline script or style.
            "CONTENT_SECURITY_POLICY": {
                "DIRECTIVES": {
                    "default-src": ["'self'"],
                    "script-src": ["'self'"],
                    "style-src": ["'self'"],
                    "img-src": ["'self'", "data:"],
                    "media-src": ["'self'"],
                    "connect-src": ["'self'"],
                    "object-src": ["'none'"],
                    "base-uri": ["'none'"],
                    "form-action": ["'self'"],
                    "frame-ancestors": ["'none'"],
                }
            },
            "AXES_FAILURE_LIMIT": LOGIN_FAILURE_LIMIT,
            "AXES_COOLOFF_TIME": LOGIN_COOLOFF_MIN / 60.0,
            "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
            "AXES_RESET_ON_SUCCESS": True,
            "AXES_LOCKOUT_TEMPLATE": "web/locked_out.html",
            "AXES_VERBOSE": False,
            "TASKS": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
            # Uploads are streamed to temporary files on disk from the first byte (never held
            # in memory), then checked on their bytes and moved into the data folder.
            "FILE_UPLOAD_MAX_MEMORY_SIZE": 0,
            "FILE_UPLOAD_HANDLERS": ["groundup.web.uploads.SizeLimitedUploadHandler"],
            "DATA_UPLOAD_MAX_NUMBER_FIELDS": 2000,
            "STATIC_URL": "/static/",
            "USE_I18N": False,
            "DATE_FORMAT": "j M Y",
            "LOGGING_CONFIG": "logging.config.dictConfig",
            "LOGGING": _logging(),
        }
    )
    return values


def _templates(store_templates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The store's template settings with the web app's context processor added."""
    out = []
    for spec in store_templates:
        spec = {**spec, "OPTIONS": dict(spec.get("OPTIONS") or {})}
        processors = list(spec["OPTIONS"].get("context_processors") or [])
        spec["OPTIONS"]["context_processors"] = [*processors, "groundup.web.context.roles"]
        out.append(spec)
    return out


def _logging() -> dict[str, Any]:
    """Warnings and errors to stderr, without request lines: URLs hold no patient data, but a
    request body or a form value could, so nothing of a request is logged beyond its status."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "loggers": {
            "django.request": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "django.security": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "groundup.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }


def configure_web(data_dir: Path | None = None, database_url: str | None = None) -> Any:
    """Start Django with the web app's settings on the store at ``data_dir`` / ``database_url``
    (else the environment's), migrate every app, and return the store location."""
    from django.conf import settings

    from groundup.store import setup

    if not settings.configured:
        import django

        folder = Path(data_dir or os.environ.get(setup.DATA_DIR_ENV) or setup.default_data_dir())
        url = database_url or os.environ.get(setup.DATABASE_URL_ENV) or None
        location = setup.StoreLocation(folder.resolve(), url)
        setup._prepare_folder(location.data_dir)
        settings.configure(**web_settings(setup._settings(location)))
        django.setup()
    elif "groundup.web.apps.WebConfig" not in settings.INSTALLED_APPS:
        from groundup.store.errors import StoreError

        raise StoreError(
            "The records store was started without the web app in this process.",
            "Start the web app first (groundup serve), or use a separate process.",
        )
    return setup.configure_store(data_dir=data_dir, database_url=database_url)
