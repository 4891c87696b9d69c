"""The patient handout: plain words, large type, the home exercises with a picture each.

Text blocks come from knowledge/report/handout.yaml; the exercises, their dosage and the
patient instructions from plan.json (written by the plan builder from the exercise library).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from groundup.report.figures import exercise_picture
from groundup.report.reasoning_section import plan_view
from groundup.yaml_files import parse_yaml

#: advice whose points send the patient for help (shown in the handout's urgent style)
URGENT_ADVICE = frozenset(
    {"pregnancy_stop_signs", "radicular_safety_net", "anticoagulant_head_injury"}
)


@cache
def load_handout_text() -> dict[str, Any]:
    path = files("groundup") / "knowledge" / "report" / "handout.yaml"
    return parse_yaml(path.read_text(encoding="utf-8"))


def handout_context(
    *,
    exam: dict[str, Any] | None,
    chain: dict[str, Any] | None,
    plan: dict[str, Any] | None,
    assets_dir: Path,
) -> dict[str, Any]:
    text = load_handout_text()
    pathway = (exam or {}).get("pathway") or {}
    refer = pathway.get("decision") == "refer"
    exercises = []
    if plan is not None:
        for ex in plan_view(plan)["exercises"]:
            picture = exercise_picture(str(ex["id"]), str(ex["name"]), assets_dir)
            exercises.append(
                {
                    **ex,
                    "picture": picture[0] if picture else None,
                    "caption": picture[1] if picture else "",
                }
            )
    patient_summary = ""
    for doc in (plan, chain):
        if isinstance(doc, dict):
            for key in ("patient_summary", "patient_text"):
                if isinstance(doc.get(key), str) and doc[key]:
                    patient_summary = doc[key]
                    break
        if patient_summary:
            break
    return {
        "text": text,
        "refer": refer,
        "exam_date": (exam or {}).get("exam_date"),
        "exercises": exercises,
        "patient_summary": patient_summary,
        # safety-net and stop-sign advice of the plan (knowledge/exercises/advice.yaml), shown
        # even when the plan is withheld; advice that sends the patient for help stands out
        "advice": plan_view(plan)["advice"] if plan is not None else [],
    }
