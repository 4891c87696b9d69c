"""Run a clinical vignette (tests/chain/vignettes/*.yaml) through exam scoring, chain and plan."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from groundup.exam.scoring import score_exam
from groundup.plan.build import plan_visit

VIGNETTES = Path(__file__).parent / "vignettes"


def merge(base: Any, over: Any) -> Any:
    """Deep merge; a key set to None in ``over`` is removed from tests/questionnaires."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return copy.deepcopy(over)
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = merge(out.get(key), value) if key in out else copy.deepcopy(value)
    return out


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((VIGNETTES / f"{name}.yaml").read_text(encoding="utf-8"))


def names() -> list[str]:
    return sorted(p.stem for p in VIGNETTES.glob("[0-9]*.yaml"))


@cache
def run(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    v = load(name)
    exam = None
    if v.get("exam", {}) is not None:
        base = yaml.safe_load((VIGNETTES / "_base_exam.yaml").read_text(encoding="utf-8"))
        exam = score_exam(merge(base, v.get("exam") or {}))
    previous = run(v["previous"])[1] if v.get("previous") else None
    return plan_visit(v.get("analysis"), exam, previous, v.get("precautions", []))
