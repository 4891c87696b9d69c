"""``groundup batch``: thin, it parses the command line and calls :func:`run_batch`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from groundup.errors import GroundUpError

console = Console()
err_console = Console(stderr=True)


class BatchEvents(StrEnum):
    auto = "auto"
    kinematic = "kinematic"
    force_plate = "force-plate"
    file = "file"


def batch_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Folders (searched with their sub-folders for .c3d, .trc and video files), "
            "glob patterns in quotes (e.g. 'study/**/*.c3d') or a manifest CSV with the columns "
            "path, subject_id, group, view, height_m, exam (see docs/batch.md).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for the results and the run manifest."),
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Local worker processes (default: one per CPU core). Ignored with --scheduler.",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786): the "
            "recordings run on that cluster's workers instead of local processes.",
            show_default=False,
        ),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Run again the recordings that failed before (by default they are listed "
            "as failed and skipped until their file changes).",
        ),
    ] = False,
    events: Annotated[
        BatchEvents,
        typer.Option(help="C3D: where gait events come from (as in `groundup analyze`)."),
    ] = BatchEvents.auto,
    report: Annotated[
        bool,
        typer.Option(help="Also write each recording's report.html, report.pdf, handout.pdf."),
    ] = False,
    annotated_video: Annotated[
        bool, typer.Option(help="Video: also write each clip's annotated video.")
    ] = False,
) -> None:
    """Analyse a whole cohort: every recording runs through the same pipeline as
    `groundup analyze`, locally or on a Dask cluster; rerun the same command to resume.

    Writes OUT/recordings/<recording id>/ (analysis.json, chain.json, plan.json, exam.json when
    an exam is given), results.parquet and results.csv (one row per recording and side),
    summary_by_group.parquet/.csv/.png, failures.csv, the run manifest
    batch_manifest.sqlite and batch.log.
    """
    from groundup.batch.inputs import collect_recordings
    from groundup.batch.progress import RichBatchProgress
    from groundup.batch.run import BatchSettings, run_batch

    settings = BatchSettings(
        workers=workers,
        scheduler=scheduler,
        retry_failed=retry_failed,
        events=events.value,
        make_report=report,
        annotated_video=annotated_video,
    )
    try:
        recordings = collect_recordings(inputs)
        with RichBatchProgress(console) as progress:
            summary = run_batch(recordings, out, settings, progress=progress)
    except GroundUpError as exc:
        err_console.print(f"[bold red]Problem:[/] {exc.problem}")
        if exc.fix:
            err_console.print(f"[bold]What to do:[/] {exc.fix}")
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        err_console.print(
            "Stopped. Finished recordings are kept; run the same command again to continue."
        )
        raise typer.Exit(code=130) from None
    assert summary.results is not None
    skipped = summary.n_skipped_done + summary.n_skipped_failed
    rate = summary.recordings_per_min
    console.print(
        f"{summary.n_recordings} recording(s): {summary.n_done} analysed now, "
        f"{summary.n_failed} failed now, {skipped} skipped (done or failed before)"
        + (f"; {rate:.1f} recordings per minute" if rate else "")
        + "."
    )
    console.print(
        f"Table: [bold]{summary.results.results_parquet}[/] and .csv "
        f"({summary.results.n_rows} rows); summary: {summary.results.summary_csv.name}, "
        f"{summary.results.summary_plot.name}."
    )
    if summary.results.failures:
        console.print(
            f"[red]{len(summary.results.failures)} failed[/] (messages in "
            f"{summary.results.failures_csv.name}): "
            + ", ".join(f.recording_id for f in summary.results.failures[:10])
            + (" ..." if len(summary.results.failures) > 10 else "")
        )
