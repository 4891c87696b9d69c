"""Small helpers shared by the exam tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from groundup.exam.catalogue import load_catalogue
from groundup.exam.questionnaires import Q_SCORERS
from groundup.exam.results import Context, Outcome, Patient

ALL_RED_FLAGS_NO = {k: False for k in load_catalogue().screening["red_flags"]["flags"]}


def score_questionnaire(
    key: str, raw: dict[str, Any], patient: Patient | None = None
) -> tuple[Outcome, list[Any]]:
    cat = load_catalogue()
    ctx = Context(
        catalogue=cat, entry=cat.entry(key), patient=patient or Patient(), base_dir=Path(".")
    )
    return Q_SCORERS[key](f"questionnaires.{key}", raw, ctx)
