"""``groundup plan``: chain reasoning and treatment plan from analysis.json and/or exam.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from groundup.errors import GroundUpError

console = Console()
err_console = Console(stderr=True)


def plan_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for chain.json and plan.json.")
    ] = Path("groundup-output"),
    analysis: Annotated[
        Path | None,
        typer.Option(
            help="Gait analysis (analysis.json from `groundup analyze`).", show_default=False
        ),
    ] = None,
    exam: Annotated[
        Path | None,
        typer.Option(
            help="Clinical exam (exam.json from `groundup exam score`).", show_default=False
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="plan.json of the previous visit: exercises are progressed, held or regressed.",
            show_default=False,
        ),
    ] = None,
    precaution: Annotated[
        list[str] | None,
        typer.Option(
            help="A condition that removes or caps exercises and adds safety advice "
            "(repeatable): osteoporosis, vertebral_fracture, pregnancy, no_supine, fall_risk, "
            "anticoagulation, recent_surgery, radicular_pain, shoulder_pain, wrist_pain, "
            "acute_ankle_injury, knee_pain_on_loading. The exam's history adds its own.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Join the findings into kinetic chains and write a targeted home programme.

    Writes OUT/chain.json (chains, links with findings for and against, problem list, red
    flags and psychosocial risk first) and OUT/plan.json (exercises with dosage). Either input
    alone works; what was not assessed is listed in both files.
    """
    try:
        _run(out, analysis, exam, previous, precaution or [])
    except GroundUpError as exc:
        err_console.print(f"[bold red]Problem:[/] {exc.problem}")
        if exc.fix:
            err_console.print(f"[bold]What to do:[/] {exc.fix}")
        raise typer.Exit(code=2) from None


def _run(
    out: Path, analysis: Path | None, exam: Path | None, previous: Path | None, prec: list[str]
) -> None:
    from groundup.output import write_json
    from groundup.plan.build import plan_visit
    from groundup.plan.inputs import read_document

    if analysis is None and exam is None:
        raise GroundUpError(
            "Nothing to plan from: neither --analysis nor --exam was given.",
            "Give --analysis DIR/analysis.json, --exam DIR/exam.json, or both.",
        )
    a_doc = read_document(analysis, "analysis") if analysis else None
    e_doc = read_document(exam, "exam") if exam else None
    p_doc = read_document(previous, "plan") if previous else None
    chain, plan = plan_visit(a_doc, e_doc, p_doc, prec)
    write_json(chain, out / "chain.json", "chain")
    write_json(plan, out / "plan.json", "plan")
    _print(chain, plan)
    console.print(f"Wrote [bold]{out / 'chain.json'}[/] and [bold]{out / 'plan.json'}[/]")


def _print(chain: dict, plan: dict) -> None:
    pathway = chain["pathway"]
    if pathway["decision"] == "refer":
        console.print(f"[bold red]REFER:[/] {pathway['message']}")
    if chain["psychosocial"]["risk"] == "high":
        console.print(f"[bold yellow]{chain['psychosocial']['text']}[/]")
    for c in chain["chains"][:3]:
        console.print(f"[bold]{c['title']}[/] ({c['confidence']['label']} confidence)")
    if not chain["chains"] and chain["no_chain_reason"]:
        console.print(chain["no_chain_reason"])
    table = Table(title=f"Plan ({plan['status']})")
    for col in ("Exercise", "Side", "Level", "Decision"):
        table.add_column(col)
    for e in plan["exercises"]:
        table.add_row(e["name"], e["side"] or "-", e["level_name"], e["decision"])
    console.print(table)
    for note in plan["notes"]:
        console.print(f"[yellow]{note}[/]")
    missing = chain["not_assessed"]["inputs"]
    if missing:
        console.print("Not assessed: " + "; ".join(missing))
