"""The one findings model: every measurement from gait, exam and questionnaires.

A finding records where (body region, side), what (value, unit, the norm and its source), how
far off it is (severity and the tags it raises, e.g. ``foot_pronation``) and how far its source
can be trusted (``knowledge/findings/trust.yaml``). A measured value inside its norm is a
finding too, with severity ``none``: it is the evidence *against* a chain link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REGIONS = ("foot", "ankle", "knee", "hip_pelvis", "lumbar", "balance", "psychosocial", "gait")
SEVERITIES = ("none", "mild", "moderate", "severe")


@dataclass(frozen=True)
class Finding:
    measure: str
    region: str
    side: str | None
    value: float | str | bool
    unit: str
    label: str
    severity: str
    tags: tuple[str, ...]
    result: str
    norm: dict[str, Any]
    source: dict[str, Any]
    trust: float
    trust_class: str
    outcome: bool = False
    graded: bool = True  # False: no norm to grade it (tracked between visits only)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable id: measure and side, e.g. ``navicular_drop.left``."""
        return f"{self.measure}.{self.side}" if self.side else self.measure

    @property
    def abnormal(self) -> bool:
        return self.severity != "none"

    def text(self) -> str:
        side = f"{self.side} " if self.side else ""
        value = _fmt(self.value)
        unit = f" {self.unit}" if isinstance(self.value, int | float) and self.unit else ""
        return f"{side}{self.label} {value}{unit}: {self.result}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.key,
            "measure": self.measure,
            "text": self.text(),
            "region": self.region,
            "side": self.side,
            "value": self.value,
            "unit": self.unit,
            "severity": self.severity,
            "tags": list(self.tags),
            "result": self.result,
            "norm": self.norm,
            "source": self.source,
            "trust": self.trust,
            "trust_class": self.trust_class,
        }
        out.update(self.extra)
        return out


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)
