"""Angle curves over the gait cycle against the normative band (analysis.json "curves")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from groundup.report import plots
from groundup.report.labels import field_label, humanize
from groundup.report.numbers import join_path, num


def _scalar_rows(base: str, data: dict[str, Any], digits: int = 1) -> list[dict[str, Any]]:
    rows = []
    for key, value in data.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            label, unit = field_label(key)
            rows.append({"label": label, "value": num(value, f"{base}/{key}", digits, unit)})
    return rows


def curves_block(index: int, curves: dict[str, Any], assets_dir: Path) -> dict[str, Any]:
    """Plots per variable, the Gait Profile Score and the flagged deviations."""
    base = join_path("analysis", index, "curves")
    block: dict[str, Any] = {
        "plots": [],
        "scores": [],
        "deviations": [],
        "reference": "",
        "notes": [],
    }
    reference = curves.get("reference") or curves.get("norm") or {}
    if isinstance(reference, dict):
        block["reference"] = (
            reference.get("text") or reference.get("name") or reference.get("id", "")
        )
    gps = curves.get("gps") or curves.get("gait_profile_score")
    if isinstance(gps, dict):
        block["scores"] = _scalar_rows(
            f"{base}/{'gps' if 'gps' in curves else 'gait_profile_score'}", gps
        )
    variables = curves.get("variables") or {}
    for name, var in variables.items() if isinstance(variables, dict) else []:
        sides = {s: var.get(s) or {} for s in ("left", "right") if isinstance(var.get(s), dict)}
        norm = var.get("norm") or {}
        band = None
        if isinstance(norm.get("lower"), list) and isinstance(norm.get("upper"), list):
            band = (norm["lower"], norm["upper"])
        elif isinstance(norm.get("mean"), list) and isinstance(norm.get("sd"), list):
            band = (
                [m - s for m, s in zip(norm["mean"], norm["sd"], strict=True)],
                [m + s for m, s in zip(norm["mean"], norm["sd"], strict=True)],
            )
        if not sides:
            continue
        label, unit = field_label(name)
        path = plots.curve_panel(
            assets_dir / f"curve_{index + 1}_{name}.png",
            title=label,
            unit=unit or "deg",
            sides={s: {"mean": d.get("mean"), "sd": d.get("sd")} for s, d in sides.items()},
            band=band,
            band_label="norm ± 1 SD",
            events_pct={s: d.get("toe_off_pct") for s, d in sides.items()},
        )
        block["plots"].append({"file": path.name, "title": label})
        for side, d in sides.items():
            if isinstance(d.get("gvs_deg"), int | float):
                block["scores"].append(
                    {
                        "label": f"GVS {label}, {side}",
                        "value": num(
                            d["gvs_deg"], f"{base}/variables/{name}/{side}/gvs_deg", 1, "°"
                        ),
                    }
                )
    for i, dev in enumerate(curves.get("deviations") or []):
        if not isinstance(dev, dict):
            continue
        size_key = next(
            (
                k
                for k in dev
                if k.startswith(("size", "deviation")) and isinstance(dev[k], int | float)
            ),
            None,
        )
        block["deviations"].append(
            {
                "variable": humanize(str(dev.get("variable", ""))),
                "side": dev.get("side", ""),
                "phase": humanize(str(dev.get("phase", dev.get("event", "")))),
                "size": num(
                    dev[size_key], f"{base}/deviations/{i}/{size_key}", 1, field_label(size_key)[1]
                )
                if size_key
                else Markup(""),
                "text": dev.get("text", ""),
            }
        )
    return block
