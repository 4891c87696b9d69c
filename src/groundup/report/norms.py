"""Adult spatiotemporal reference values (knowledge/report/spatiotemporal_norms.yaml).

The report shows the patient's value beside the reference group that matches their age and sex
and says which group it is; it never turns the comparison into a new number.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from groundup.yaml_files import parse_yaml


@dataclass(frozen=True)
class NormChoice:
    """The reference chosen for one measure and how the value compares with it."""

    text: str
    comparison: str  # "within", "below", "above", "" (no band to compare with)
    source_key: str
    exact_match: bool


@cache
def load_spatiotemporal_norms() -> dict[str, Any]:
    path = files("groundup") / "knowledge" / "report" / "spatiotemporal_norms.yaml"
    return parse_yaml(path.read_text(encoding="utf-8"))


def _group_matches(group: dict[str, Any], age_y: float | None, sex: str | None) -> bool:
    if "sex" in group and group["sex"] != sex:
        return False
    if "age_min" not in group:
        return True
    return age_y is not None and group["age_min"] <= age_y <= group["age_max"]


def _group_text(group: dict[str, Any], unit: str, digits: int) -> str:
    who = []
    if "sex" in group:
        who.append({"female": "women", "male": "men"}[group["sex"]])
    if "age_min" in group:
        who.append(f"{group['age_min']}–{group['age_max']} y")
    prefix = (" ".join(who) + ": ") if who else ""
    if "range" in group:
        return prefix + group.get("text", f"{group['range'][0]}–{group['range'][1]} {unit}")
    value = f"{group['mean']:.{digits}f}"
    if "sd" in group:
        value += f" ± {group['sd']:.{digits}f}"
    return f"{prefix}{value} {unit}" + ("" if "sd" in group else " (mean)")


def choose_norm(
    measure: str, value: float | None, age_y: float | None, sex: str | None
) -> NormChoice | None:
    """The reference for ``measure`` (an analysis.json spatiotemporal key), or None if none."""
    data = load_spatiotemporal_norms()
    spec = data["measures"].get(measure)
    if spec is None:
        return None
    groups = spec["groups"]
    matching = [g for g in groups if _group_matches(g, age_y, sex)]
    exact = bool(matching)
    if not matching:
        # No group for this patient (age or sex unknown, or outside the groups): show all of
        # them so the therapist sees the reference, and say it is not matched.
        texts = "; ".join(_group_text(g, spec["unit"], spec["digits"]) for g in groups[:2])
        more = " …" if len(groups) > 2 else ""
        return NormChoice(
            text=f"{texts}{more} (no group matches this patient)",
            comparison="",
            source_key=groups[0]["source"],
            exact_match=False,
        )
    group = matching[0]
    comparison = ""
    if value is not None:
        if "range" in group:
            low, high = group["range"]
        elif "sd" in group:
            band = data["band_sd"] * group["sd"]
            low, high = group["mean"] - band, group["mean"] + band
        else:
            low = high = None
        if low is not None and high is not None:
            comparison = "below" if value < low else "above" if value > high else "within"
        elif "mean" in group:
            comparison = "below the mean" if value < group["mean"] else "at or above the mean"
    return NormChoice(
        text=_group_text(group, spec["unit"], spec["digits"]),
        comparison=comparison,
        source_key=group["source"],
        exact_match=exact,
    )


def norm_source(key: str) -> dict[str, Any]:
    src = load_spatiotemporal_norms()["sources"][key]
    return {"key": key, **src}
