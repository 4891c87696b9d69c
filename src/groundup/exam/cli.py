"""``groundup exam``: write a blank exam file, score a filled one.

Thin edge: the commands parse arguments and call :mod:`groundup.exam`. Errors are printed as
messages (never tracebacks) and give exit code 2. Patient data is never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from groundup.errors import GroundUpError
from groundup.exam.scoring import score_exam_file
from groundup.exam.template import exam_template
from groundup.output import write_json

exam_app = typer.Typer(
    help="Clinical examination: write a blank exam file, score a filled one into exam.json.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_INPUT = 2


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _fail(err: GroundUpError) -> None:
    c = _console()
    c.print(f"[bold red]Error:[/] {err.problem}")
    if err.fix:
        c.print(f"[yellow]What to do:[/] {err.fix}")
    raise typer.Exit(EXIT_INPUT)


@exam_app.command("template")
def template_command(
    out: Annotated[Path, typer.Option("--out", help="File to write (YAML).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a blank exam file with comments (every test, questionnaire and red flag)."""
    try:
        if out.exists() and not force:
            raise GroundUpError(f"{out} already exists.", "Choose another --out or add --force.")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(exam_template(), encoding="utf-8")
    except GroundUpError as e:
        _fail(e)
    except OSError as e:
        _fail(
            GroundUpError(f"Cannot write {out}: {e.strerror}.", "Check the folder and permissions.")
        )
    _console().print(
        f"Blank exam written to {out}. Fill it in, then run: "
        f"groundup exam score {out} --out RESULT_DIR"
    )


def _headline(key: str, t: dict[str, Any]) -> str:
    r = t.get("results") or {}
    if key == "odi" and "score_pct" in r:
        return f"{r['score_pct']} % ({r['band']})"
    if key == "rmdq" and "score" in r:
        return f"{r['score']}/24"
    if key == "start_back" and "risk_group" in r:
        psycho = r["psychosocial_subscale"]
        return f"{r['risk_group']} risk (total {r['total']}, psychosocial {psycho})"
    if key == "pain_nrs" and "current" in r:
        return f"{r['current']}/10"
    if key == "psfs" and "score" in r:
        return f"mean {r['score']}/10"
    if key == "cop_sway" and "sway" in r:
        s = r["sway"]
        velocity, area = s["mean_velocity_mm_s"], s["ellipse95_area_mm2"]
        return f"velocity {velocity:.1f} mm/s, ellipse {area:.0f} mm2"
    flagged = [f["text"] for f in t.get("findings", []) if f.get("flag")]
    if flagged:
        return "; ".join(flagged)
    return "no finding" if t.get("status") != "error" else ""


def _summary(doc: dict[str, Any], out_file: Path) -> None:
    c = _console()
    p = doc["pathway"]
    colour = {"refer": "bold red", "screening_incomplete": "yellow"}.get(p["decision"], "green")
    c.print(f"[{colour}]Pathway: {p['decision'].replace('_', ' ')}[/] - {p['message']}")
    for f in doc["screening"]["red_flags"]["present"]:
        c.print(f"  [red]red flag[/] {f['flag']}: {f['condition']} ({f['urgency']})")
    safety = doc.get("safety") or {}
    for r in safety.get("referrals", []):
        c.print(f"  [red]refer[/] {r['id']}: {r['condition']} ({r['urgency']})")
    if safety.get("precautions"):
        c.print("Precautions: " + ", ".join(p["id"] for p in safety["precautions"]))
    falls = (safety.get("falls") or {}).get("risk")
    if falls and falls != "not_assessed":
        c.print(f"Falls risk: {falls}")
    table = Table(title="Clinical examination", show_lines=False)
    table.add_column("test")
    table.add_column("status")
    table.add_column("result")
    for group in ("history", "tests", "questionnaires"):
        for key, t in (doc.get(group) or {}).items():
            status = t["status"]
            style = {"error": "red", "partly_scored": "yellow"}.get(status, "")
            table.add_row(
                t["title"], f"[{style}]{status}[/]" if style else status, _headline(key, t)
            )
    c.print(table)
    na = doc["not_assessed"]
    if na["tests"] or na["questionnaires"]:
        c.print("Not assessed: " + ", ".join(na["tests"] + na["questionnaires"]))
    for e in doc["errors"]:
        c.print(f"[red]Input error:[/] {e['message']}")
    c.print(f"Written: {out_file}")


@exam_app.command("score")
def score_command(
    exam: Annotated[Path, typer.Argument(help="Filled exam file (YAML or JSON).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for exam.json.")],
) -> None:
    """Score an exam file into OUT/exam.json and print a summary.

    Bad values are listed with their field; everything else is still scored and written. The exit
    code is 2 when the exam had input errors, 0 otherwise.
    """
    try:
        doc = score_exam_file(exam)
        out.mkdir(parents=True, exist_ok=True)
        out_file = out / "exam.json"
        write_json(doc, out_file)  # atomic: an earlier exam.json is never left half-written
    except GroundUpError as e:
        _fail(e)
    except OSError as e:
        _fail(
            GroundUpError(
                f"Cannot write to {out}: {e.strerror}.", "Check the folder and permissions."
            )
        )
    _summary(doc, out_file)
    if doc["errors"]:
        raise typer.Exit(EXIT_INPUT)
