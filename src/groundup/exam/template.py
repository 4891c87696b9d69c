"""A blank, commented exam file generated from the catalogue (``groundup exam template``)."""

from __future__ import annotations

import textwrap
from typing import Any

from groundup.exam.catalogue import Catalogue, load_catalogue
from groundup.exam.scoring import INPUT_FORMAT


def _comment(text: str, indent: int, width: int = 96) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}" for line in textwrap.wrap(" ".join(text.split()), width - indent - 2)]


def _field_help(spec: dict[str, Any]) -> str:
    kind = spec.get("type", "number")
    if kind == "choice":
        what = " | ".join(map(str, spec["choices"]))
    elif kind == "boolean":
        what = "yes | no"
    elif kind == "integer_list":
        what = f"list of {spec['length']} scores {spec['min']}..{spec['max']}"
    elif kind == "path":
        what = "file path"
    else:
        what = f"{spec.get('min')}..{spec.get('max')} {spec.get('unit', '')}".strip()
        if kind == "number_or_trials":
            what += " (one value or a list of trials; the maximum is used)"
    req = ", required" if spec.get("required") else ""
    extra = f"; {spec['help']}" if spec.get("help") else ""
    return f"{what}{req}{extra}"


def exam_template(cat: Catalogue | None = None) -> str:
    """The blank exam file as YAML text with comments. Every value is empty (null)."""
    cat = cat or load_catalogue()
    lines: list[str] = [
        "# GroundUp clinical examination: fill in what you assessed, leave the rest empty.",
        "# Score with:  groundup exam score THIS_FILE --out RESULT_DIR",
        "# Format, units and scoring rules: docs/exam.md. Units are in the field names (_mm, _cm,",
        "# _deg, _s, _n); sided fields take {left: ..., right: ...}. Do not enter names: GroundUp",
        "# keeps no identifying data.",
        f"format: {INPUT_FORMAT}",
        "exam_date: null        # YYYY-MM-DD",
        "patient:",
        "  age_y: null          # years (needed for age norms)",
        "  sex: null            # female | male (needed for sex-specific norms)",
        "  mass_kg: null        # kg (needed to normalise strength)",
        "  height_cm: null",
        "",
        "screening:",
        "  # Warning signs from the clinic's evaluation: yes | no",
        "  warning_signs:",
    ]
    for name, body in cat.screening["warning_signs"]["signs"].items():
        lines.append(f"    {name}: null  # {body['text']}")
    lines += [
        "  # Red flags: answer EVERY one (yes | no). Any yes = refer to a doctor, no exercise",
        "  # pathway.",
        "  red_flags:",
    ]
    for name, body in cat.screening["red_flags"]["flags"].items():
        lines += _comment(f"{body['text']} ({body['condition']}, {body['urgency']})", 4)
        lines.append(f"    {name}: null")
    lines += [
        "",
        "history:",
        "  # Precautions and history that change which exercises are safe (knowledge/exam/",
        "  # safety.yaml says what each answer changes). Leave an entry empty if not applicable.",
    ]
    lines += _entries(cat.history())
    lines += ["", "tests:"]
    lines += _entries(cat.tests())
    lines += _questionnaires(cat)
    lines += [
        "",
        "# Follow-up visits only: what the patient reports for each home exercise of the last",
        "# plan, keyed by the exercise id of plan.json, e.g.",
        "#   exercise_report:",
        "#     short_foot: {adherence_pct: 80, pain_response: better, reps_reached: 10}",
    ]
    for entry in cat.follow_up().values():
        for fname, spec in entry.inputs.items():
            lines.append(f"#       {fname}: {_field_help(spec)}")
    lines.append("exercise_report: null")
    return "\n".join(lines) + "\n"


def _entries(entries: dict[str, Any]) -> list[str]:
    """The commented blank fields of catalogue entries (tests or history), by domain."""
    lines: list[str] = []
    domain = None
    for key, entry in entries.items():
        if entry.domain != domain:
            domain = entry.domain
            lines += [
                "",
                f"  # ---------------------------------------------------------- {domain}",
            ]
        lines += _comment(entry.title, 2)
        lines += _comment(str(entry.data.get("protocol", "")), 2)
        if entry.data.get("at_least_one_of"):
            lines += _comment(
                "Fill in at least one of: " + ", ".join(entry.data["at_least_one_of"]), 2
            )
        lines.append(f"  {key}:")
        for fname, spec in entry.inputs.items():
            blank = "{left: null, right: null}" if spec.get("sided") else "null"
            lines.append(f"    {fname}: {blank}  # {_field_help(spec)}")
    return lines


def _questionnaires(cat: Catalogue) -> list[str]:
    lines = ["", "questionnaires:"]
    q = cat.questionnaires()
    lines += _comment(
        q["odi"].title + ": score of the ticked statement per section, 0 (first) to "
        "5 (last); leave a section empty if it was not answered.",
        2,
    )
    lines += ["  odi:", "    answers:"]
    lines += [f"      {s}: null" for s in q["odi"].data["sections"]]
    lines += ["    baseline_pct: null   # an earlier ODI %, to judge the change against the MCID"]
    lines += _comment(
        q["rmdq"].title + ": the numbers (1-24) of the statements ticked; [] if none.", 2
    )
    lines += ["  rmdq:", "    ticked: null", "    baseline: null"]
    lines += _comment(
        q["start_back"].title + ": items 1-8 agree | disagree; item 9 not_at_all | "
        "slightly | moderately | very_much | extremely.",
        2,
    )
    lines += ["  start_back:", "    answers:"]
    for i, label in q["start_back"].data["items"].items():
        lines.append(f"      {i}: null  # {label}")
    lines += _comment(q["pain_nrs"].title + ": 0 (no pain) to 10 (worst imaginable).", 2)
    lines += [
        "  pain_nrs:",
        "    current: null",
        "    best_24h: null",
        "    worst_24h: null",
        "    baseline: null",
    ]
    lines += _comment(
        q["psfs"].title + ": up to 5 activities, each 0 (unable) to 10 (as before).", 2
    )
    lines += [
        "  psfs:",
        "    activities: null   # e.g. [{activity: standing 30 min, score: 4}]",
        "    baseline: null",
    ]
    return lines
