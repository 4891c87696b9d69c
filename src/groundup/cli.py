"""The ``groundup`` command line: thin, it parses input and calls the library.

Errors a user can cause are printed as two short lines (what is wrong, what to do) with exit code
2; nothing is written in that case and earlier results stay as they were.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from groundup import __version__
from groundup.errors import GroundUpError, UserEnvironmentError

if TYPE_CHECKING:
    from groundup.pipeline import RecordingOptions

app = typer.Typer(
    name="groundup",
    help=(
        "GroundUp: gait and clinical analysis for back pain, from the feet up.\n\n"
        "Start with `groundup analyze WALK.mp4 --exam EXAM.yaml --out results`: a walking clip "
        "(or a C3D trial) and the exam in, the report and the patient's handout out."
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
    video = "video"
    openpose = "openpose"


class ViewChoice(StrEnum):
    auto = "auto"
    sagittal = "sagittal"
    frontal_posterior = "frontal_posterior"
    frontal_anterior = "frontal_anterior"


EXIT_INPUT = 2
"""Exit code of a problem with the input or the options."""
EXIT_ENVIRONMENT = 1
"""Exit code of a problem of the computer: a folder that cannot be written, a full disk."""


def _fail(exc: GroundUpError) -> None:
    err_console.print(f"[bold red]Problem:[/] {exc.problem}", highlight=False)
    if exc.fix:
        err_console.print(f"[bold]What to do:[/] {exc.fix}", highlight=False)
    err_console.print(_what_was_written(), highlight=False)
    raise typer.Exit(code=EXIT_ENVIRONMENT if isinstance(exc, UserEnvironmentError) else EXIT_INPUT)


def _print_referral(exam: dict | None) -> None:
    """Red flags first: a referral must never be missed on screen."""
    if not exam:
        return
    pathway = exam.get("pathway") or {}
    flags = ((exam.get("screening") or {}).get("red_flags") or {}).get("present") or []
    if pathway.get("decision") == "refer" or flags:
        console.print(
            f"[bold red]REFER:[/] {pathway.get('message', 'a red flag is present')}",
            highlight=False,
        )
        for flag in flags:
            console.print(
                f"  [red]red flag[/] {flag.get('flag')}: {flag.get('condition', '')} "
                f"({flag.get('urgency', '')})",
                highlight=False,
            )


def _print_exam_errors(exam: dict | None) -> None:
    for error in (exam or {}).get("errors") or []:
        console.print(f"[red]Exam error:[/] {error.get('message', '')}", highlight=False)


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _summary_table(doc: dict, title: str = "") -> Table:
    st = doc["spatiotemporal"]
    table = Table(title=f"Gait summary {title}".strip(), show_lines=False)
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
    recordings: Annotated[
        list[Path] | None,
        typer.Argument(
            help="What to analyse: walking clips (.mp4, .mov, .webm), motion-capture trials "
            "(.c3d), marker or keypoint files (.trc), OpenPose folders, or a balance recording "
            "with --kind cop. Several recordings of one visit (side view, back view, C3D) go "
            "into one report.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for the results. Created if needed."),
    ] = Path("groundup-output"),
    exam: Annotated[
        Path | None,
        typer.Option(
            help="The filled clinical exam (YAML or JSON; `groundup exam template` makes one).",
            show_default=False,
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="plan.json of the last visit: exercises are progressed, held or regressed.",
            show_default=False,
        ),
    ] = None,
    precaution: Annotated[
        list[str] | None,
        typer.Option(
            help="A precaution the exam does not record (e.g. osteoporosis); repeat for more. "
            "See docs/chain-and-plan.md.",
            show_default=False,
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            help="Video: the person to analyse, as X,Y in pixels on the first frame they appear "
            "(default: the person who walks through the clip).",
            show_default=False,
        ),
    ] = None,
    view: Annotated[
        ViewChoice,
        typer.Option(help="Video: the camera view; auto detects it from the landmarks."),
    ] = ViewChoice.auto,
    height_m: Annotated[
        float | None,
        typer.Option(
            "--height-m",
            help="Video: the patient's height in metres, to give lengths in metres "
            "(default: the exam's height).",
            show_default=False,
        ),
    ] = None,
    fps: Annotated[
        float | None,
        typer.Option(
            help="OpenPose folders: the frame rate of the clip they came from.", show_default=False
        ),
    ] = None,
    events: Annotated[
        EventChoice,
        typer.Option(
            help="C3D: where gait events come from. auto: force plates where the foot landed "
            "cleanly, then events saved in the file, then marker movement. kinematic: marker "
            "movement only. force-plate: force plates only. file: events saved in the file only."
        ),
    ] = EventChoice.auto,
    kind: Annotated[
        KindChoice,
        typer.Option(help="What the recordings are; auto decides from the file extension."),
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
    report: Annotated[
        bool, typer.Option(help="Write report.html, report.pdf and handout.pdf.")
    ] = True,
    annotated_video: Annotated[
        bool, typer.Option(help="Video: write the annotated video (skeleton, events).")
    ] = True,
    deidentify: Annotated[
        bool,
        typer.Option(help="Blur faces in key frames and the annotated video (on by default)."),
    ] = True,
) -> None:
    """Run the visit: measure each recording, score the exam, find the kinetic chain, build the
    plan and write the report.

    Writes OUT/analysis.json (one per recording), exam.json, chain.json, plan.json,
    report.html, report.pdf, handout.pdf and, for a clip, the annotated video. For a walking
    trial: heel strikes and toe offs, stride and step times, cadence, stance and swing, double
    support, step length and width, walking speed, left/right symmetry and joint-angle curves
    against norms. Anything doubtful is listed under "quality" and in the report.
    """
    from groundup.pipeline import RecordingOptions
    from groundup.pipeline.visit import ExamNotUsableError

    try:
        options = RecordingOptions(
            events=events.value,
            kind=kind.value,
            labels=labels,
            cutoff_hz=cutoff_hz,
            max_gap_s=max_gap_s,
            subject_xy=_parse_xy(subject),
            view=None if view is ViewChoice.auto else view.value,
            height_m=height_m,
            fps=fps,
            annotated_video=annotated_video,
            deidentify=deidentify,
        )
        _run_visit(
            list(recordings or []),
            out,
            exam,
            previous,
            tuple(precaution or ()),
            options,
            report,
        )
    except ExamNotUsableError as exc:
        _print_referral(exc.exam_doc)
        _print_exam_errors(exc.exam_doc)
        _fail(exc)
    except GroundUpError as exc:
        _fail(exc)


def _parse_xy(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise GroundUpError(
            f"--subject {text!r} is not a point.",
            "Give the pixel position of the person as X,Y, e.g. --subject 640,820.",
        ) from exc
    return x, y


# Python collects its youngest objects every 700 allocations by default; a visit allocates
# millions of small objects it keeps (decoded metadata, report layout), and those collections
# cost 0.36-0.67 s of the main process on the sample visit (measured with gc.callbacks), against
# 0.14 s with a threshold of 10 000 (memory unchanged: a few thousand more small objects).
GC_YOUNG_THRESHOLD = 10_000


def fewer_collections() -> None:
    """Collect young objects less often for the rest of this process (a long batch job)."""
    import gc

    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(GC_YOUNG_THRESHOLD, young), middle, old)


def _run_visit(
    recordings: list[Path],
    out: Path,
    exam: Path | None,
    previous: Path | None,
    precautions: tuple[str, ...],
    options: RecordingOptions,
    make_report: bool,
) -> None:
    from groundup.pipeline import run_visit

    fewer_collections()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f} %"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Starting", total=100)

        def update(description: str, fraction: float) -> None:
            progress.update(task, description=description, completed=100 * fraction)

        outputs = run_visit(
            recordings,
            out,
            exam_path=exam,
            previous_plan_path=previous,
            precautions=precautions,
            options=options,
            make_report=make_report,
            progress=update,
        )
    _print_referral(outputs.exam_doc)
    for doc in outputs.analysis_docs:
        _print_analysis(doc)
    if outputs.plan_doc is not None:
        _print_plan(outputs.plan_doc)
    written = [
        *outputs.analyses,
        outputs.exam,
        outputs.chain,
        outputs.plan,
        *outputs.annotated_videos,
        outputs.report_html,
        outputs.report_pdf,
        outputs.handout_pdf,
    ]
    names = ", ".join(f"[bold]{p.name}[/]" for p in written if p is not None)
    console.print(f"Wrote into {out}: {names}", highlight=False)


def _print_analysis(doc: dict) -> None:
    source = doc.get("source", {})
    if "spatiotemporal" not in doc:
        console.print(f"Balance recording analysed ({source.get('path', '')}).")
        return
    title = Path(str(source.get("path", ""))).name
    console.print(_summary_table(doc, title))
    methods = ", ".join(f"{m}: {n}" for m, n in doc["event_detection"]["methods_used"].items())
    console.print(f"Events: {len(doc['events'])} ({methods})")
    warnings = doc["quality"]["warnings"]
    if warnings:
        console.print(
            f"[yellow]{len(warnings)} quality note(s)[/] - see 'quality' in the file. "
            f"First: {warnings[0]['message']}"
        )


def _print_plan(plan: dict) -> None:
    exercises = plan.get("exercises") or []
    if exercises:
        names = ", ".join(str(e.get("name", e.get("id"))) for e in exercises)
        console.print(f"Home programme: {len(exercises)} exercise(s): {names}")
    status = plan.get("status")
    if status and status not in ("active", "ok"):
        console.print(f"[yellow]Plan status:[/] {status}")


def _mount_optional_apps() -> None:
    """Sub-commands that live in their own packages."""
    try:
        from groundup.exam.cli import exam_app
    except ImportError:
        return
    app.add_typer(exam_app, name="exam")
    from groundup.plan.cli import plan_command

    app.command(name="plan")(plan_command)
    from groundup.batch.cli import batch_command

    app.command(name="batch")(batch_command)
    from groundup.store.cli import mount_store_commands

    mount_store_commands(app)
    app.command(name="report")(report_from_folder)
    from groundup.web.cli import mount_web_commands

    mount_web_commands(app)


REPORT_FILES = frozenset({"report.html", "report.pdf", "handout.pdf", "report_files"})


def report_from_folder(
    source: Annotated[
        Path,
        typer.Option(
            "--from", help="Folder with analysis*.json, exam.json, chain.json, plan.json."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for report.html, report.pdf, handout.pdf (default: the --from folder).",
            show_default=False,
        ),
    ] = None,
    deidentify: Annotated[
        bool,
        typer.Option(help="Blur faces and hide file names (on by default)."),
    ] = True,
) -> None:
    """Render the clinician report and the patient handout again from a visit's JSON files.

    The new report replaces the earlier one as a whole, only once it is complete; the JSON
    files and anything else in the folder are kept.
    """
    from groundup.output import check_output_folder, staged_folder
    from groundup.report.cli import load_visit_folder
    from groundup.report.render import render_visit_report

    target = out or source
    try:
        inputs = load_visit_folder(source)
        check_output_folder(target)
        with staged_folder(target, REPORT_FILES.__contains__) as folder:
            files = render_visit_report(folder, deidentify=deidentify, key_frames=None, **inputs)
    except GroundUpError as exc:
        _fail(exc)
    for item in files.not_assessed:
        console.print(f"[yellow]Not assessed:[/] {item}", highlight=False)
    console.print(f"Wrote into {target}: report.html, report.pdf, handout.pdf", highlight=False)


@app.command("sample-clip")
def sample_clip(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the clip (kept there as a cache).")
    ] = Path("samples"),
) -> None:
    """Fetch the sample walking clip once (the Sports2D demo video, BSD-3-Clause).

    It is taken from the sports2d 0.8.34 package on PyPI with `pip download` and checked by its
    SHA-256; afterwards `groundup analyze` works on it with no network.
    """
    from groundup.sample_clip import LICENCE, fetch_sample_clip

    try:
        path = fetch_sample_clip(out)
    except GroundUpError as exc:
        _fail(exc)
    console.print(f"Sample clip: [bold]{path}[/] ({LICENCE})")


@app.command()
def version() -> None:
    """Show the GroundUp version."""
    console.print(f"groundup {__version__}")


_mount_optional_apps()


def _what_was_written() -> str:
    from groundup.output import written_so_far

    written = written_so_far()
    if not written:
        return "Nothing was written; earlier results were left as they were."
    return "Written before it stopped: " + ", ".join(p.name for p in written) + "."


def main() -> None:
    """Entry point: run the CLI; unexpected failures print a message, not a traceback.

    Exit codes: 0 done, 1 the computer stopped it (disk full, permissions: the user can fix it),
    2 a problem with the input or options, 3 a bug in GroundUp.
    """
    from groundup.errors import environment_problem
    from groundup.output import file_names_only, reset_written

    reset_written()
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err_console.print(f"Stopped. {_what_was_written()}")
        sys.exit(130)
    except OSError as exc:  # the computer's refusal (disk full, permissions), not a bug
        problem = environment_problem(exc, "to go on")
        err_console.print(f"[bold red]Problem:[/] {problem.problem}", highlight=False)
        err_console.print(f"[bold]What to do:[/] {problem.fix} {_what_was_written()}")
        sys.exit(EXIT_ENVIRONMENT)
    except MemoryError:
        err_console.print(
            "[bold red]Problem:[/] the computer ran out of memory.\n[bold]What to do:[/] close "
            f"other programs, or analyse a shorter recording. {_what_was_written()}"
        )
        sys.exit(EXIT_ENVIRONMENT)
    except Exception as exc:  # last resort: a bug, not the user's fault
        if "--debug" in sys.argv:
            raise
        err_console.print(
            f"[bold red]GroundUp stopped because of an internal error:[/] {type(exc).__name__}: "
            f"{file_names_only(str(exc))[:300]}\n{_what_was_written()} Please report it "
            "(without patient data).",
            highlight=False,
        )
        sys.exit(3)
