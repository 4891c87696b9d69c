"""``groundup patient``, ``groundup visit`` and ``groundup store``: thin commands on
:mod:`groundup.store.api` (Django starts only when one of them runs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from groundup.errors import GroundUpError

console = Console()
err_console = Console(stderr=True)

patient_app = typer.Typer(
    help="Patients in the records store: add, list, show, progress, export, delete.",
    no_args_is_help=True,
)
visit_app = typer.Typer(help="Record visits in the records store.", no_args_is_help=True)
store_app = typer.Typer(help="The records store itself: where it is, check, audit trail.",
                        no_args_is_help=True)

PatientArg = Annotated[str, typer.Argument(help="The patient's id (GU-..., see `patient list`).")]


def mount_store_commands(app: typer.Typer) -> None:
    """Add the store's command groups to the main ``groundup`` app."""
    app.add_typer(patient_app, name="patient")
    app.add_typer(visit_app, name="visit")
    app.add_typer(store_app, name="store")


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except GroundUpError as exc:
        err_console.print(f"[bold red]Problem:[/] {exc.problem}")
        if exc.fix:
            err_console.print(f"[bold]What to do:[/] {exc.fix}")
        raise typer.Exit(code=2) from None


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GroundUpError(f"{text!r} is not a date.", "Write it as YYYY-MM-DD.") from None


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


# ---- patient --------------------------------------------------------------------------------


@patient_app.command("add")
def patient_add(
    name: Annotated[str, typer.Option(help="Full name (kept only in the identity table).")],
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    contact: Annotated[str, typer.Option(help="Phone or e-mail.")] = "",
    clinic: Annotated[str | None, typer.Option(help="Clinic name (default: default clinic).")]
    = None,
) -> None:
    """Add a patient; prints the pseudonymous id used everywhere else."""
    from groundup.store import api

    pseudonym = _run(lambda: api.add_patient(name, birth_date=_date(birth_date),
                                             contact=contact, clinic=clinic))
    console.print(f"Added patient [bold]{pseudonym}[/]")


@patient_app.command("list")
def patient_list(
    identified: Annotated[bool, typer.Option(help="Show names and birth dates.")] = False,
) -> None:
    """List the patients (pseudonyms; names only with --identified)."""
    from groundup.store import api

    rows = _run(lambda: api.list_patients(identified=identified))
    table = Table(title=f"{len(rows)} patient(s)")
    for col in ("Id", "Visits", "First visit", "Last visit", "Clinic"):
        table.add_column(col)
    if identified:
        table.add_column("Name")
        table.add_column("Born")
    for r in rows:
        cells = [r.pseudonym, str(r.n_visits), r.first_visit or "-", r.last_visit or "-",
                 r.clinic]
        if identified:
            cells += [r.full_name or "", r.birth_date or ""]
        table.add_row(*cells)
    console.print(table)


@patient_app.command("show")
def patient_show(
    patient: PatientArg,
    identified: Annotated[bool, typer.Option(help="Show name, birth date, contact.")] = False,
) -> None:
    """One patient and their visits."""
    from groundup.store import api

    rec = _run(lambda: api.show_patient(patient, identified=identified))
    console.print(f"[bold]{rec.pseudonym}[/] ({rec.clinic}), {rec.n_visits} visit(s)")
    if identified:
        console.print(f"Name: {rec.full_name}  Born: {rec.birth_date or '-'}  "
                      f"Contact: {rec.contact or '-'}")
    table = Table()
    for col in ("Visit", "Date", "Analyses", "Exam", "Plan", "Media", "Recorded by"):
        table.add_column(col)
    for v in rec.visits:
        table.add_row(str(v["number"]), v["date"], str(v["analyses"]),
                      "yes" if v["exam"] else "-", "yes" if v["plan"] else "-",
                      ", ".join(v["media"]) or "-", v["recorded_by"])
    console.print(table)


@patient_app.command("edit")
def patient_edit(
    patient: PatientArg,
    name: Annotated[str | None, typer.Option(help="Corrected full name.")] = None,
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    contact: Annotated[str | None, typer.Option(help="Phone or e-mail.")] = None,
) -> None:
    """Correct the patient's identity (the change is audited)."""
    from groundup.store import api

    _run(lambda: api.change_patient_identity(patient, full_name=name,
                                             birth_date=_date(birth_date), contact=contact))
    console.print("Saved.")


@patient_app.command("progress")
def patient_progress(
    patient: PatientArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for progress.png and "
                                      "progress.json.")] = Path("groundup-progress"),
) -> None:
    """Every outcome and key gait number across visits: change and verdict against the
    MCID/MDC ("improved", "no real change", "worse"; "not judged" without a published one).

    Each follow-up's value is followed by its verdict against the first visit."""
    from groundup.output import write_json
    from groundup.store import api

    plot = out / "progress.png"
    progress = _run(lambda: api.patient_progress(patient, plot_path=plot))
    table = Table(title=f"Progress of {progress.pseudonym} over {len(progress.visits)} visit(s)")
    table.add_column("Measure")
    for v in progress.visits:
        table.add_column(f"{v['number']}: {v['date']}", justify="right")
    table.add_column("Change from first", justify="right")
    table.add_column("From last", justify="right")
    table.add_column("MCID/MDC band", justify="right")
    table.add_column("Verdict (last vs first)")
    for m in progress.measures:
        cells = [
            _fmt(x) + (f" {v}" if v and v != "not judged" else "")
            for x, v in zip(m.values, m.verdicts, strict=True)
        ]
        table.add_row(m.label, *cells, _fmt(m.change_from_first),
                      _fmt(m.change_from_previous), "±" + _fmt(m.band) if m.band else "-",
                      m.verdict)
    console.print(table)
    write_json(progress.to_json(), out / "progress.json")
    console.print(f"Wrote [bold]{plot}[/] and [bold]{out / 'progress.json'}[/]")


@patient_app.command("export")
def patient_export(
    patient: PatientArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the export.")],
    identified: Annotated[bool, typer.Option(help="Put name, birth date and contact into the "
                                             "FHIR Patient (de-identified by default).")] = False,
    visit: Annotated[int | None, typer.Option(help="Only this visit (its number).",
                                              show_default=False)] = None,
) -> None:
    """FHIR R4 bundle (fhir_bundle.json) and the JSON documents of every visit."""
    from groundup.store import api

    result = _run(lambda: api.export_patient(patient, out, identified=identified,
                                             visit_number=visit))
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.resource_types.items()))
    console.print(f"Wrote [bold]{result.bundle}[/] ({result.n_resources} resources: {kinds}) "
                  f"and {len(result.documents)} JSON documents")


@patient_app.command("delete")
def patient_delete(
    patient: PatientArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the patient, all their visits, documents and media files (audited)."""
    from groundup.store import api

    if not yes and not typer.confirm(f"Delete {patient} with all visits and media?"):
        raise typer.Exit(code=1)
    result = _run(lambda: api.delete_patient(patient))
    console.print(f"Deleted {patient}: {result['visits']} visit(s), "
                  f"{result['media_removed']} media file(s) removed")


# ---- visit ----------------------------------------------------------------------------------


@visit_app.command("record")
def visit_record(
    patient: PatientArg,
    recordings: Annotated[list[Path] | None, typer.Argument(
        help="Recordings to analyse now (with --exam and --out), as for `groundup analyze`; "
        "leave out with --from.", show_default=False)] = None,
    from_dir: Annotated[Path | None, typer.Option(
        "--from", help="A finished `groundup analyze` output folder to record.",
        show_default=False)] = None,
    exam: Annotated[Path | None, typer.Option(
        help="One step: the filled exam (questionnaire baselines left out are taken from the "
        "first visit).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="One step: folder for the visit's results.", show_default=False)]
    = None,
    precaution: Annotated[list[str] | None, typer.Option(
        help="One step: a precaution the exam does not record.", show_default=False)] = None,
    report: Annotated[bool, typer.Option(help="One step: write the report and handout.")] = True,
    annotated_video: Annotated[bool, typer.Option(
        help="One step: write the annotated video.")] = True,
) -> None:
    """Record a visit: `--from DIR` records a `groundup analyze` folder; or give the recordings
    with --exam and --out to analyse and record in one step (the previous plan then comes from
    the patient's last visit in the store)."""
    from groundup.store import api

    def run() -> Any:
        if from_dir is not None:
            if exam is not None or out is not None:
                raise GroundUpError("--from records a finished folder; --exam and --out belong "
                                    "to the one-step form.", "Use one form or the other.")
            return api.record_visit(patient, from_dir, recordings=list(recordings or []))
        if out is None:
            raise GroundUpError("Nothing to record.", "Give --from DIR, or recordings with "
                                "--exam EXAM.yaml --out DIR.")
        from groundup.pipeline import RecordingOptions

        return api.analyze_and_record(
            patient, list(recordings or []), out, exam_path=exam,
            precautions=tuple(precaution or ()),
            options=RecordingOptions(annotated_video=annotated_video), make_report=report,
        )

    visit = _run(run)
    console.print(f"Recorded visit {visit.number} ({visit.visit_date}) of [bold]"
                  f"{visit.pseudonym}[/]: {visit.n_analyses} analysis document(s), "
                  f"{len(visit.media)} media file(s)")


# ---- store ----------------------------------------------------------------------------------


@store_app.command("info")
def store_info() -> None:
    """Where the store is (data folder, database kind)."""
    from groundup.store.setup import configure_store

    loc = _run(configure_store)
    console.print(f"Data folder: {loc.data_dir}\nDatabase: {loc.backend}\n"
                  f"Media: {loc.media_dir}")


@store_app.command("check")
def store_check(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; remove nothing.")]
    = False,
) -> None:
    """Find media files no row refers to (left by an interrupted recording or deletion) and
    remove them; report rows whose media file is missing."""
    from groundup.store import api

    result = _run(lambda: api.check_store(remove=not dry_run))
    verb = "would remove" if dry_run else "removed"
    console.print(f"{result.media_files} media file(s), {result.media_rows} media row(s); "
                  f"{len(result.orphan_media)} orphan media file(s) {verb}, "
                  f"{result.unfinished_copies} unfinished copy(ies) {verb}")
    for line in result.missing_media:
        console.print(f"[red]Missing media:[/] {line}")
    for line in result.visits_without_documents:
        console.print(f"[red]Visit without documents:[/] {line}")
    if result.missing_media or result.visits_without_documents:
        raise typer.Exit(code=1)


@store_app.command("audit")
def store_audit(
    patient: Annotated[str | None, typer.Argument(help="Only this patient's entries.")] = None,
) -> None:
    """The audit trail: who created, viewed, changed, exported or deleted what, when."""
    from groundup.store import api

    entries = _run(lambda: api.audit_trail(patient))
    table = Table(title=f"{len(entries)} audit entr{'y' if len(entries) == 1 else 'ies'}")
    for col in ("When (UTC)", "Who", "Action", "What", "Ref", "Patient"):
        table.add_column(col)
    for e in entries:
        table.add_row(e["at"], e["actor"], e["action"], e["object_type"], e["object_ref"],
                      e["patient_ref"])
    console.print(table)
