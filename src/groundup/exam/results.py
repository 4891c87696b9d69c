"""Building blocks of a scored test: comparisons with catalogue norms and findings."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundup.exam.catalogue import Catalogue, Entry

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Patient:
    """What scoring may know about the patient. Never a name."""

    age_y: float | None = None
    sex: str | None = None  # "female" | "male"
    mass_kg: float | None = None
    height_cm: float | None = None


@dataclass
class Context:
    catalogue: Catalogue
    entry: Entry
    patient: Patient
    base_dir: Path


@dataclass
class Outcome:
    """The scored part of one test: numbers, comparisons with norms, findings, warnings."""

    results: dict[str, Any] = field(default_factory=dict)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def find(self, text: str, side: str | None = None, flag: bool = True) -> None:
        item: dict[str, Any] = {"text": text, "flag": flag}
        if side:
            item["side"] = side
        self.findings.append(item)

    def warn(self, code: str, message: str) -> None:
        self.warnings.append({"code": code, "message": message})


def band_label(value: float, cutoff: dict[str, Any]) -> str | None:
    """Label of the band of ``cutoff['bands']`` that holds ``value`` (bounds inclusive unless
    marked ``min_exclusive``/``max_exclusive``)."""
    for b in cutoff["bands"]:
        lo_ok = value > b["min"] if b.get("min_exclusive") else value >= b["min"]
        hi_ok = value < b["max"] if b.get("max_exclusive") else value <= b["max"]
        if lo_ok and hi_ok:
            return str(b["label"])
    return None


def beyond(value: float, cutoff: dict[str, Any]) -> bool:
    """Is ``value`` on the flagged side of a threshold cut-off (``op`` and ``value``)?"""
    return bool(_OPS[str(cutoff["op"])](value, float(cutoff["value"])))


def compare(
    ctx: Context,
    outcome: Outcome,
    measure: str,
    value: float,
    unit: str,
    item: dict[str, Any],
    result: str,
    side: str | None = None,
    reference: float | None = None,
) -> dict[str, Any]:
    """Record that ``value`` was compared with catalogue ``item`` and gave ``result``."""
    norm = {k: v for k, v in item.items() if k != "source"}
    comp: dict[str, Any] = {
        "measure": measure,
        "value": round(float(value), 4),
        "unit": unit,
        "norm": norm,
        "result": result,
        "citation": ctx.catalogue.cite(item),
    }
    if side:
        comp["side"] = side
    if reference is not None:
        comp["reference_value"] = reference
    outcome.comparisons.append(comp)
    return comp


def rounded(value: float | None, ndigits: int = 2) -> float | None:
    return None if value is None else round(float(value), ndigits)


def left_right(values: dict[str, Any]) -> tuple[Any, Any]:
    return values.get("left"), values.get("right")


def symmetry_pct(left: float, right: float) -> float | None:
    """Weaker side as a percentage of the stronger side (100 = symmetric)."""
    hi = max(left, right)
    return None if hi <= 0 else 100.0 * min(left, right) / hi
