"""The job worker: runs queued analyses (django-tasks-db's ``db_worker``) and, every
:data:`SWEEP_EVERY_S`, marks jobs whose worker died as failed.

``groundup serve`` starts it as a child process (``python -m groundup.web.worker``) that ends
with its parent; in production it runs as its own service with the same environment.
"""

from __future__ import annotations

import ctypes
import signal
import sys
import threading

SWEEP_EVERY_S = 30.0
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: get SIGTERM when the parent (``groundup serve``) dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _sweeper(stop: threading.Event) -> None:
    from django.db import connection

    from groundup.web.jobs import fail_dead_jobs, remove_orphan_drafts

    while not stop.wait(SWEEP_EVERY_S):
        try:
            fail_dead_jobs()
            remove_orphan_drafts()
        finally:
            connection.close()


def run_worker(interval_s: float = 1.0) -> None:
    from groundup.web.settings import configure_web

    configure_web()
    from django.core.management import call_command

    from groundup.web.jobs import fail_dead_jobs

    fail_dead_jobs()
    stop = threading.Event()
    threading.Thread(target=_sweeper, args=(stop,), daemon=True).start()
    try:
        call_command("db_worker", "--no-startup-delay", "--no-reload",
                     "--interval", str(interval_s), verbosity=0)
    finally:
        stop.set()


def main() -> None:
    if "--with-parent" in sys.argv:
        die_with_parent()
    run_worker()


if __name__ == "__main__":
    main()
