"""``groundup serve`` and ``groundup createadmin``: the clinic web app from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from groundup.errors import GroundUpError

console = Console()
err_console = Console(stderr=True)


def _fail(exc: GroundUpError) -> None:
    err_console.print(f"[bold red]Problem:[/] {exc.problem}")
    if exc.fix:
        err_console.print(f"[bold]What to do:[/] {exc.fix}")
    raise typer.Exit(code=2)


def _set_data_dir(data_dir: Path | None) -> None:
    if data_dir is not None:
        os.environ["GROUNDUP_DATA_DIR"] = str(data_dir.resolve())


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (default: this computer "
                                           "only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(
        help="Data folder (default: GROUNDUP_DATA_DIR, else ~/.local/share/groundup).")] = None,
    threads: Annotated[int, typer.Option(help="Web server threads.")] = 4,
    worker: Annotated[bool, typer.Option(help="Run the analysis worker in this command "
                                              "(--no-worker when it runs as its own "
                                              "service).")] = True,
) -> None:
    """Start the clinic web app: the embedded store, the web server and the analysis worker.

    Open the address it prints in a browser on this computer. For a clinic network see the
    production note in docs/web-app.md (PostgreSQL, a WSGI server, HTTPS in front).
    """
    _set_data_dir(data_dir)
    try:
        from groundup.web.settings import configure_web

        where = configure_web()
        from groundup.web.jobs import fail_dead_jobs, remove_orphan_drafts

        fail_dead_jobs()
        remove_orphan_drafts()
    except GroundUpError as exc:
        _fail(exc)
        return
    from django.core.wsgi import get_wsgi_application
    from waitress import serve as waitress_serve

    keeper = _WorkerKeeper() if worker else None
    console.print(f"GroundUp is running at [bold]http://{host}:{port}/[/] "
                  f"(store: {where.backend}; stop with Ctrl+C)")
    try:
        waitress_serve(get_wsgi_application(), host=host, port=port, threads=threads,
                       ident="groundup", _quiet=True)
    finally:
        if keeper is not None:
            keeper.stop()


class _WorkerKeeper:
    """Runs the analysis worker as a child process (it ends with this one, even on SIGKILL)
    and starts it again if it stops on its own."""

    RESTART_AFTER_S = 5.0

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self.child = self._start()
        threading.Thread(target=self._watch, daemon=True).start()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "groundup.web.worker", "--with-parent"],
                                env=os.environ.copy())

    def _watch(self) -> None:
        while not self._stopping.is_set():
            code = self.child.wait()
            if self._stopping.wait(self.RESTART_AFTER_S):
                return
            err_console.print(f"The analysis worker stopped (exit code {code}); restarting it.")
            self.child = self._start()

    def stop(self) -> None:
        self._stopping.set()
        self.child.terminate()
        try:
            self.child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.child.kill()


def createadmin(
    username: Annotated[str, typer.Option(help="User name to sign in with.")],
    clinic: Annotated[str, typer.Option(help="The clinic's name.")] = "default clinic",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (for scripts).")]
    = False,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (as for serve).")] = None,
) -> None:
    """Make the first user: a clinic admin, who can then add clinicians in the app."""
    _set_data_dir(data_dir)
    try:
        from groundup.web.settings import configure_web

        configure_web()
    except GroundUpError as exc:
        _fail(exc)
        return
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from groundup.store import api
    from groundup.store.models import Clinic, ClinicMembership
    from groundup.web.models import CLINIC_ADMIN

    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        _fail(GroundUpError(f"The user {username!r} exists already.",
                            "Choose another user name, or sign in with this one."))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        validate_password(password, user_model(username=username))
    except ValidationError as exc:
        _fail(GroundUpError("The password is too weak: " + " ".join(exc.messages),
                            "Choose a longer password (at least 12 characters)."))
    with transaction.atomic():
        user = user_model.objects.create_user(username, password=password)
        clinic_row, _ = Clinic.objects.get_or_create(name=clinic.strip() or "default clinic")
        ClinicMembership.objects.create(user=user, clinic=clinic_row, role=CLINIC_ADMIN)
        api.audit("create", "user", str(user.pk), detail={"role": CLINIC_ADMIN, "via": "cli"})
    console.print(f"Clinic admin [bold]{username}[/] of {clinic_row.name} created. "
                  "Start the app with `groundup serve` and sign in.")


def mount_web_commands(app: typer.Typer) -> None:
    """Add ``serve`` and ``createadmin`` to the main ``groundup`` app."""
    app.command(name="serve")(serve)
    app.command(name="createadmin")(createadmin)
