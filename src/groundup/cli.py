"""The ``groundup`` command line: thin, it parses input and calls the library.

Errors a user can cause are printed as two short lines (what is wrong, what to do) with exit code
2; nothing is written in that case and earlier results stay as they were.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from groundup import __version__
from groundup.errors import GroundUpError

app = typer.Typer(
    name="groundup",
    help=(
        "GroundUp: gait and clinical analysis for back pain, from the feet up.\n\n"
        "Start with `groundup analyze WALK.c3d --out results` to measure a walking trial."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True)


class EventChoice(StrEnum):
    auto = "auto"
    kinematic = "kinematic"
    force_plate = "force-plate"
    file = "file"


class KindChoice(StrEnum):
    auto = "auto"
    c3d = "c3d"
    trc = "trc"
    cop = "cop"


def _fail(exc: GroundUpError) -> None:
    err_console.print(f"[bold red]Problem:[/] {exc.problem}")
    if exc.fix:
        err_console.print(f"[bold]What to do:[/] {exc.fix}")
    raise typer.Exit(code=2)


def _kind_of(path: Path, kind: KindChoice) -> str:
    if kind is not KindChoice.auto:
        return kind.value
    suffix = path.suffix.lower()
    if suffix == ".c3d":
        return "c3d"
    if suffix == ".trc":
        return "trc"
    raise GroundUpError(
        f"GroundUp cannot tell what kind of recording {path.name} is from its extension.",
        "Give a .c3d or .trc file, or say what it is with --kind (c3d, trc, cop).",
    )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _summary_table(doc: dict) -> Table:
    st = doc["spatiotemporal"]
    table = Table(title="Gait summary", show_lines=False)
    table.add_column("Measure")
    table.add_column("Left", justify="right")
    table.add_column("Right", justify="right")
    table.add_column("Both", justify="right")
    rows = [
        ("Cadence (steps/min)", None, None, st["cadence_steps_per_min"], 1),
        (
            "Walking speed (m/s)",
            st["left"]["walking_speed_m_s"],
            st["right"]["walking_speed_m_s"],
            st["walking_speed_m_s"],
            2,
        ),
        (
            "Stride time (s)",
            st["left"]["stride_time_s"],
            st["right"]["stride_time_s"],
            st["stride_time_s"],
            3,
        ),
        (
            "Step time (s)",
            st["left"]["step_time_s"],
            st["right"]["step_time_s"],
            st["step_time_s"],
            3,
        ),
        (
            "Stance (% of stride)",
            st["left"]["stance_pct"],
            st["right"]["stance_pct"],
            st["stance_pct"],
            1,
        ),
        (
            "Double support (%)",
            st["left"]["double_support_pct"],
            st["right"]["double_support_pct"],
            st["double_support_pct"],
            1,
        ),
        (
            "Step length (m)",
            st["left"]["step_length_m"],
            st["right"]["step_length_m"],
            st["step_length_m"],
            3,
        ),
        ("Step width (m)", None, None, st["step_width_m"], 3),
        ("Step-time asymmetry (%)", None, None, st["step_time_asymmetry_pct"], 1),
    ]
    for label, left, right, both, digits in rows:
        table.add_row(label, _fmt(left, digits), _fmt(right, digits), _fmt(both, digits))
    return table


@app.command()
def analyze(
    recording: Annotated[
        Path,
        typer.Argument(
            help="The recording to analyse: a motion-capture trial (.c3d), a marker file (.trc), "
            "or a balance recording with --kind cop.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for the results (analysis.json). Created if needed."
        ),
    ] = Path("groundup-output"),
    events: Annotated[
        EventChoice,
        typer.Option(
            help="Where gait events come from. auto: force plates where the foot landed cleanly, "
            "then events saved in the file, then marker movement. kinematic: marker movement "
            "only. force-plate: force plates only. file: events saved in the file only."
        ),
    ] = EventChoice.auto,
    kind: Annotated[
        KindChoice,
        typer.Option(help="What the recording is; auto decides from the file extension."),
    ] = KindChoice.auto,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Extra marker names (YAML, see docs/marker-labels.md) when your lab names "
            "markers differently.",
            show_default=False,
        ),
    ] = None,
    cutoff_hz: Annotated[
        float, typer.Option(help="Low-pass filter cut-off for marker trajectories, in Hz.")
    ] = 6.0,
    max_gap_s: Annotated[
        float,
        typer.Option(
            help="Longest marker gap filled by interpolation, in seconds; longer gaps are left "
            "empty and reported."
        ),
    ] = 0.1,
) -> None:
    """Measure one recording and write OUT/analysis.json with a summary on screen.

    For a walking trial: gait events (heel strikes and toe offs), stride and step times,
    cadence, stance and swing, double support, step length and width, walking speed and
    left/right symmetry. Anything doubtful is listed under "quality".
    """
    try:
        _analyze(recording, out, events.value, kind, labels, cutoff_hz, max_gap_s)
    except GroundUpError as exc:
        _fail(exc)


def _analyze(
    recording: Path,
    out: Path,
    events: str,
    kind: KindChoice,
    labels: Path | None,
    cutoff_hz: float,
    max_gap_s: float,
) -> None:
    from groundup.output import write_json

    if not recording.exists():
        raise GroundUpError(f"File not found: {recording}.", "Check the path and the file name.")
    kind_name = _kind_of(recording, kind)
    if kind_name == "cop":
        from groundup.exam.sway import analyze_cop_recording

        with _progress() as progress:
            task = progress.add_task("Balance recording", total=2)
            doc = analyze_cop_recording(recording)
            progress.advance(task)
            path = write_json(doc, out / "analysis.json", "analysis")
            progress.advance(task)
        console.print(f"Wrote [bold]{path}[/]")
        return

    from groundup.gait.analysis import analyze_gait
    from groundup.io.labels import LabelMap

    label_map = LabelMap.load(labels)
    with _progress() as progress:
        task = progress.add_task(f"Reading {recording.name}", total=3)
        if kind_name == "c3d":
            from groundup.io.c3d import read_c3d

            trial = read_c3d(recording, label_map)
        else:
            from groundup.io.trc import read_trc

            trial = read_trc(recording, label_map)
        progress.update(task, advance=1, description="Finding gait events")
        result = analyze_gait(trial, events=events, cutoff_hz=cutoff_hz, max_gap_s=max_gap_s)
        progress.update(task, advance=1, description="Writing analysis.json")
        doc = result.to_json()
        path = write_json(doc, out / "analysis.json", "analysis")
        progress.update(task, advance=1, description="Done")
    console.print(_summary_table(doc))
    methods = ", ".join(f"{m}: {n}" for m, n in doc["event_detection"]["methods_used"].items())
    console.print(f"Events: {len(doc['events'])} ({methods})")
    warnings = doc["quality"]["warnings"]
    if warnings:
        console.print(
            f"[yellow]{len(warnings)} quality note(s)[/] - see 'quality' in the file. "
            f"First: {warnings[0]['message']}"
        )
    console.print(f"Wrote [bold]{path}[/]")


def _mount_optional_apps() -> None:
    """Sub-commands that live in their own packages."""
    try:
        from groundup.exam.cli import exam_app
    except ImportError:
        return
    app.add_typer(exam_app, name="exam")
    from groundup.plan.cli import plan_command

    app.command(name="plan")(plan_command)


@app.command()
def version() -> None:
    """Show the GroundUp version."""
    console.print(f"groundup {__version__}")


_mount_optional_apps()


def main() -> None:
    """Entry point: run the CLI; unexpected failures print a message, not a traceback."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # last resort: a bug, not the user's fault
        if "--debug" in sys.argv:
            raise
        err_console.print(
            f"[bold red]GroundUp stopped because of an internal error:[/] {type(exc).__name__}: "
            f"{exc}\nNothing was written. Please report it (without patient data)."
        )
        sys.exit(3)
