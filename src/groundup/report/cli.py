"""``groundup report``: render the visit report from the JSON files already in a folder.

Mount with ``app.command("report")(report_command)`` (one command) in the main CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from groundup.errors import GroundUpError, InputError
from groundup.report.render import render_visit_report

EXIT_INPUT = 2


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg}).",
            "Write it again with the GroundUp command that made it.",
        ) from exc
    except OSError as exc:
        raise InputError(
            f"Cannot read {path}: {exc.strerror}.", "Check the file and its permissions."
        ) from exc
    if not isinstance(doc, dict):
        raise InputError(
            f"{path.name} does not hold a JSON object.", "Write it again with GroundUp."
        )
    return doc


def load_visit_folder(folder: Path) -> dict[str, Any]:
    """analyses (analysis.json and analysis_*.json, in name order), exam, chain and plan."""
    if not folder.is_dir():
        raise InputError(
            f"{folder} is not a folder.", "Give the folder that holds analysis.json / exam.json."
        )
    analyses = [_read_json(p) for p in sorted(folder.glob("analysis*.json"))]
    docs = {
        name: (_read_json(folder / f"{name}.json") if (folder / f"{name}.json").is_file() else None)
        for name in ("exam", "chain", "plan")
    }
    if not analyses and not any(docs.values()):
        raise InputError(
            f"{folder} holds none of analysis.json, exam.json, chain.json, plan.json.",
            "Run `groundup analyze ... --out FOLDER` or `groundup exam score ... --out FOLDER`"
            " first.",
        )
    return {"analyses": analyses, **docs}


def report_command(
    source: Annotated[
        Path,
        typer.Option(
            "--from", help="Folder with analysis*.json, exam.json, chain.json, plan.json."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write report.html, report.pdf, handout.pdf.")
    ],
    deidentify: Annotated[
        bool,
        typer.Option(
            "--deidentify/--no-deidentify",
            help="Blur faces on key frames and hide file names (default on).",
        ),
    ] = True,
) -> None:
    """Render the clinician report and patient handout from the JSON files in a folder."""
    console = Console(highlight=False, soft_wrap=True)
    try:
        inputs = load_visit_folder(source)
        files = render_visit_report(out, deidentify=deidentify, key_frames=None, **inputs)
    except GroundUpError as err:
        console.print(f"[bold red]Problem:[/] {err.problem}")
        if err.fix:
            console.print(f"[bold]What to do:[/] {err.fix}")
        raise typer.Exit(EXIT_INPUT) from None
    for item in files.not_assessed:
        console.print(f"[yellow]Not assessed:[/] {item}")
    console.print(f"Wrote {files.html}, {files.pdf} and {files.handout_pdf}")


report_app = typer.Typer(add_completion=False)
report_app.command("report")(report_command)

if __name__ == "__main__":  # pragma: no cover
    report_app()
