"""Static plots for the report (matplotlib, Agg canvas; PNG files embedded in HTML and PDF).

Every plotted value is read from the JSON documents; the plots add nothing the tables do not
hold, they make left/right differences and curve deviations visible at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: reports are rendered on servers and in CI

from matplotlib.figure import Figure

from groundup.report.labels import field_label

LEFT_COLOUR = "#c0392b"  # red = left, as in clinical gait lab convention
RIGHT_COLOUR = "#1f6fb2"  # blue/green = right (Vicon/PiG convention: left red, right green/blue)
BAND_COLOUR = "#bbbbbb"
DPI = 170

# Sided measures drawn, with the decimals the report's table shows for them.
SYMMETRY_MEASURES = {
    "stride_time_s": 3,
    "step_time_s": 3,
    "stance_pct": 1,
    "double_support_pct": 1,
    "step_length_m": 3,
    "walking_speed_m_s": 2,
}


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    return path


def symmetry_chart(spatiotemporal: dict[str, Any], path: Path) -> Path | None:
    """Left vs right bars for each sided measure, with Robinson's symmetry index when stored."""
    left = spatiotemporal.get("left") or {}
    right = spatiotemporal.get("right") or {}
    measures = [
        m for m in SYMMETRY_MEASURES if left.get(m) is not None and right.get(m) is not None
    ]
    if not measures:
        return None
    si = spatiotemporal.get("symmetry_index") or {}
    ncols = 3
    nrows = (len(measures) + ncols - 1) // ncols
    fig = Figure(figsize=(7.0, 1.9 * nrows + 0.3))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, measure in enumerate(measures):
        ax = axes[i // ncols][i % ncols]
        label, unit = field_label(measure)
        values = [left[measure], right[measure]]
        bars = ax.barh(["Left", "Right"], values, color=[LEFT_COLOUR, RIGHT_COLOUR], height=0.6)
        ax.invert_yaxis()
        for bar, value in zip(bars, values, strict=True):
            ax.text(
                bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                f" {value:.{SYMMETRY_MEASURES[measure]}f}",
                va="center",
                fontsize=8,
            )
        ax.set_xlim(0, max(values) * 1.3)
        title = f"{label} ({unit})" if unit else label
        si_value = si.get(f"{measure}_si_pct")
        if si_value is not None:
            title += f"\nSI {si_value:+.1f} %"
        ax.set_title(title, fontsize=8.5)
        ax.tick_params(labelsize=8)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
    for j in range(len(measures), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    fig.tight_layout()
    return _save(fig, path)


def curve_panel(
    path: Path,
    title: str,
    unit: str,
    sides: dict[str, dict[str, Sequence[float] | None]],
    band: tuple[Sequence[float], Sequence[float]] | None,
    band_label: str,
    events_pct: dict[str, float | None],
) -> Path:
    """One variable over the gait cycle: mean (and spread) per side over the normative band."""
    fig = Figure(figsize=(3.4, 2.3))
    ax = fig.subplots()
    if band is not None:
        low, high = band
        x_band = [100.0 * i / (len(low) - 1) for i in range(len(low))]
        ax.fill_between(x_band, low, high, color=BAND_COLOUR, alpha=0.55, lw=0, label=band_label)
    colours = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR}
    for side, data in sides.items():
        mean = data.get("mean")
        if mean is None:
            continue
        x = [100.0 * i / (len(mean) - 1) for i in range(len(mean))]
        ax.plot(x, mean, color=colours.get(side, "black"), lw=1.6, label=side.capitalize())
        sd = data.get("sd")
        if sd is not None and len(sd) == len(mean):
            ax.fill_between(
                x,
                [m - s for m, s in zip(mean, sd, strict=True)],
                [m + s for m, s in zip(mean, sd, strict=True)],
                color=colours.get(side, "black"),
                alpha=0.15,
                lw=0,
            )
    for side, toe_off in events_pct.items():
        if toe_off is not None:
            ax.axvline(toe_off, color=colours.get(side, "black"), ls="--", lw=0.8)
    ax.set_xlim(0, 100)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("gait cycle (%)", fontsize=8)
    ax.set_ylabel(unit, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.axhline(0, color="#888888", lw=0.5)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.legend(fontsize=6.5, frameon=False, loc="best")
    fig.tight_layout()
    return _save(fig, path)


def outcome_chart(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Baseline and today's score per questionnaire that has a baseline, each on its own scale.

    Today's dot is green when the stored ``change_from_baseline.meets`` says an MCID was reached,
    amber when not; the scale runs over the instrument's range (``scale_max``).
    """
    rows = [r for r in rows if r.get("baseline") is not None and r.get("score") is not None]
    if not rows:
        return None
    fig = Figure(figsize=(7.0, 0.62 * len(rows) + 0.5))
    axes = fig.subplots(len(rows), 1, squeeze=False)
    for ax, row in zip(axes[:, 0], rows, strict=True):
        baseline, score = row["baseline"], row["score"]
        ax.plot([baseline, score], [0, 0], color="#555555", lw=1.4, zorder=1)
        ax.scatter([baseline], [0], color="white", edgecolor="#555555", zorder=2, s=42)
        colour = "#2e8b57" if row.get("mcid_met") else "#d98c00"
        ax.scatter([score], [0], color=colour, zorder=3, s=50)
        ax.set_xlim(0, row["scale_max"])
        ax.set_yticks([0], [row["short"]], fontsize=8)
        ax.set_ylim(-0.6, 0.6)
        ax.tick_params(axis="x", labelsize=7)
        ax.text(
            1.01,
            0.5,
            f"{row['better']} is better",
            transform=ax.transAxes,
            fontsize=7,
            va="center",
        )
        for spine in ("top", "right", "left"):
            ax.spines[spine].set_visible(False)
    axes[-1, 0].set_xlabel(
        "○ baseline   ● today (green: MCID reached, amber: not reached)", fontsize=8
    )
    fig.tight_layout()
    return _save(fig, path)
