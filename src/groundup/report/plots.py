"""Static plots for the report (matplotlib, Agg canvas; PNG files embedded in HTML and PDF).

Every plotted value is read from the JSON documents; the plots add nothing the tables do not
hold, they make left/right differences and curve deviations visible at a glance.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: reports are rendered on servers and in CI

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from groundup.report.held import write_now_or_held
from groundup.report.labels import field_label

# One colour per side everywhere in GroundUp (report plots, key-frame skeletons, annotated
# videos): left blue, right orange (matplotlib's first two colours, distinguishable with the
# common red-green colour-vision deficiencies).
LEFT_COLOUR = "#1f77b4"
RIGHT_COLOUR = "#ff7f0e"
SIDE_COLOURS = {"left": LEFT_COLOUR, "right": RIGHT_COLOUR}
BAND_COLOUR = "#c8c8c8"
# Each plot is drawn once, straight to the pixel size it is printed at: the report template
# prints it FIGURE_WIDTH_MM wide (report.html.j2 reads this table), at PRINT_DPI. Figures are
# laid out in inches as designed (their font sizes) and saved at the dpi that gives that width.
PRINT_DPI = 170
FIGURE_WIDTH_MM = {"symmetry": 175.0, "profile": 175.0, "curves": 182.0, "outcomes": 125.0}
# Characters per line of a curve panel's title (a quarter of the figure's width at 7.5 pt).
TITLE_WRAP_CHARS = 30

# Sided measures drawn, with the decimals the report's table shows for them.
SYMMETRY_MEASURES = {
    "stride_time_s": 3,
    "step_time_s": 3,
    "stance_pct": 1,
    "double_support_pct": 1,
    "step_length_m": 3,
    "walking_speed_m_s": 2,
}


# Fixed margins, in inches, around and between the axes of each figure: the fonts are fixed, so
# the room their labels need is known without drawing the figure first (matplotlib's tight or
# constrained layouts draw it once more to measure it). Text width is taken as this many ems
# per character (DejaVu Sans averages about 0.55).
EM_PER_CHAR = 0.62
PT_PER_IN = 72.0


def _text_in(chars: int, size_pt: float) -> float:
    """Width in inches of ``chars`` characters at ``size_pt``."""
    return chars * size_pt * EM_PER_CHAR / PT_PER_IN


def _fixed_layout(
    fig: Figure,
    *,
    left_in: float,
    right_in: float,
    top_in: float,
    bottom_in: float,
    wspace_in: float = 0.0,
    hspace_in: float = 0.0,
    ncols: int = 1,
    nrows: int = 1,
) -> None:
    """Place the axes grid with margins and gaps given in inches."""
    width, height = fig.get_size_inches()
    axes_w = (width - left_in - right_in - wspace_in * (ncols - 1)) / ncols
    axes_h = (height - top_in - bottom_in - hspace_in * (nrows - 1)) / nrows
    fig.subplots_adjust(
        left=left_in / width,
        right=1 - right_in / width,
        bottom=bottom_in / height,
        top=1 - top_in / height,
        wspace=wspace_in / max(axes_w, 1e-6),
        hspace=hspace_in / max(axes_h, 1e-6),
    )


def _save(fig: Figure, path: Path, kind: str) -> Path:
    """Save at the printed width: one drawing (no tight bounding box or layout, each of which
    draws the figure once more; the fixed margins keep every label inside it). Inside
    :func:`groundup.report.held.writes_held`, the figure is saved when that says so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dpi = PRINT_DPI * FIGURE_WIDTH_MM[kind] / 25.4 / float(fig.get_figwidth())
    write_now_or_held(lambda: fig.savefig(path, dpi=dpi, facecolor="white"))
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
    ncols = min(len(measures), 6)
    nrows = (len(measures) + ncols - 1) // ncols
    fig = Figure(figsize=(7.4, 1.25 * nrows + 0.1))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, measure in enumerate(measures):
        ax = axes[i // ncols][i % ncols]
        label, unit = field_label(measure)
        values = [left[measure], right[measure]]
        bars = ax.barh(["Left", "Right"], values, color=[LEFT_COLOUR, RIGHT_COLOUR], height=0.65)
        ax.invert_yaxis()
        for bar, value in zip(bars, values, strict=True):
            ax.text(
                bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                f" {value:.{SYMMETRY_MEASURES[measure]}f}",
                va="center",
                fontsize=6.5,
            )
        ax.set_xlim(0, max(values) * 1.45)
        ax.set_xticks([])
        title = f"{label} ({unit})" if unit else label
        si_value = si.get(f"{measure}_si_pct")
        title += f"\nSI {si_value:+.1f} %" if si_value is not None else "\n"
        ax.set_title(title, fontsize=6.8)
        ax.tick_params(labelsize=6.5, length=0)
        if i % ncols:
            ax.set_yticklabels([])
        for spine in ("top", "right", "bottom"):
            ax.spines[spine].set_visible(False)
    for j in range(len(measures), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    title_in = (2 * 1.25 * 6.8 + 7) / PT_PER_IN  # two title lines and the pad
    _fixed_layout(
        fig, left_in=_text_in(5, 6.5) + 0.08, right_in=0.05, top_in=title_in + 0.03,
        bottom_in=0.05, wspace_in=0.12, hspace_in=title_in + 0.08, ncols=ncols, nrows=nrows,
    )  # fmt: skip
    return _save(fig, path, "symmetry")


@dataclass
class CurvePanel:
    """One variable of the small-multiples figure: mean and SD per side over the band."""

    title: str
    sides: dict[str, tuple[Sequence[float], Sequence[float]]]  # side -> (mean_deg, sd_deg)
    band: tuple[Sequence[float], Sequence[float], Sequence[float]] | None  # pct, low, high
    toe_off_pct: dict[str, float] = field(default_factory=dict)
    norm_toe_off_pct: float | None = None


def curves_figure(panels: list[CurvePanel | None], path: Path, ncols: int = 4) -> Path | None:
    """Angle curves over the gait cycle, one small panel per variable, in one figure.

    Each panel: the normative band (grey), each side's mean (line) and ±1 SD of its cycles
    (light shading), each side's toe-off (dashed, the mean over the accepted cycles) and the
    reference's toe-off (grey dotted). The layout follows the usual gait-report sheet: one row
    per plane when a panel list is given in that order; None leaves a cell empty.
    """
    if not any(panels):
        return None
    nrows = (len(panels) + ncols - 1) // ncols
    fig = Figure(figsize=(7.4, 1.5 * nrows + 0.35))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, panel in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        if panel is None:
            ax.set_visible(False)
            continue
        if panel.band is not None:
            pct, low, high = panel.band
            ax.fill_between(pct, low, high, color=BAND_COLOUR, lw=0, zorder=0)
        if panel.norm_toe_off_pct is not None:
            ax.axvline(panel.norm_toe_off_pct, color="#8a8a8a", ls=":", lw=0.9, zorder=1)
        for side, (mean, sd) in panel.sides.items():
            colour = SIDE_COLOURS.get(side, "black")
            x = [100.0 * k / (len(mean) - 1) for k in range(len(mean))]
            if sd is not None and len(sd) == len(mean):
                ax.fill_between(
                    x,
                    [m - s for m, s in zip(mean, sd, strict=True)],
                    [m + s for m, s in zip(mean, sd, strict=True)],
                    color=colour,
                    alpha=0.15,
                    lw=0,
                    zorder=2,
                )
            ax.plot(x, mean, color=colour, lw=1.3, zorder=3)
            if panel.toe_off_pct.get(side) is not None:
                ax.axvline(panel.toe_off_pct[side], color=colour, ls="--", lw=0.8, zorder=1)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 50, 100])
        # a long title on two lines: a panel's title must not reach past the figure's edge
        ax.set_title("\n".join(textwrap.wrap(panel.title, TITLE_WRAP_CHARS)), fontsize=7.5, pad=2)
        ax.tick_params(labelsize=6, length=2, pad=1)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        if i % ncols == 0:
            ax.set_ylabel("deg", fontsize=6.5, labelpad=1)
    for j in range(len(panels), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    handles = [
        Patch(color=BAND_COLOUR, label="reference mean ± 1 SD"),
        Line2D([], [], color=LEFT_COLOUR, lw=1.5, label="left (mean ± 1 SD)"),
        Line2D([], [], color=RIGHT_COLOUR, lw=1.5, label="right (mean ± 1 SD)"),
        Line2D([], [], color="#555555", ls="--", lw=0.9, label="toe-off (patient)"),
        Line2D([], [], color="#8a8a8a", ls=":", lw=0.9, label="toe-off (reference)"),
    ]
    fig.legend(handles=handles, loc="upper center", ncol=5, fontsize=6.3, frameon=False)
    fig.supxlabel("% of the gait cycle (0 = heel strike)", fontsize=6.5, y=0.005)
    title_in = 2.5 * 7.5 / PT_PER_IN  # up to two title lines and the pad
    ticks_in = 1.9 * 6 / PT_PER_IN  # tick labels below the axes and their pad
    _fixed_layout(
        fig, left_in=_text_in(3, 6) + 6.5 / PT_PER_IN + 0.12, right_in=0.1,
        top_in=0.26 + title_in, bottom_in=ticks_in + 1.6 * 6.5 / PT_PER_IN,
        wspace_in=_text_in(3, 6) + 0.12, hspace_in=title_in + ticks_in + 0.04,
        ncols=ncols, nrows=nrows,
    )  # fmt: skip
    return _save(fig, path, "curves")


def profile_chart(
    labels: list[str],
    gvs: dict[str, list[float | None]],
    gps: dict[str, float | None],
    path: Path,
) -> Path | None:
    """Movement Analysis Profile (Baker et al. 2009): Gait Variable Score bars per variable and
    side, then the Gait Profile Score (left, right, overall) as the last group."""
    if not labels or not any(v is not None for vals in gvs.values() for v in vals):
        return None
    fig = Figure(figsize=(7.4, 2.1))
    ax = fig.subplots()
    width = 0.38
    names = [*labels, "GPS"]
    for offset, side in ((-width / 2, "left"), (width / 2, "right")):
        values = [*gvs.get(side, [None] * len(labels)), gps.get(side)]
        xs = [k + offset for k, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        ax.bar(xs, ys, width=width, color=SIDE_COLOURS[side], label=side.capitalize())
    if gps.get("overall") is not None:
        ax.bar(
            [len(labels) + 1.5 * width],
            [gps["overall"]],
            width=width,
            color="#777777",
            label="Overall GPS",
        )
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=6.5)
    ax.axvline(len(labels) - 0.5, color="#999999", lw=0.6)
    ax.set_ylabel("RMS difference\nfrom the reference (deg)", fontsize=6.5)
    ax.tick_params(axis="y", labelsize=6.5)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.legend(fontsize=6.5, frameon=False, ncol=3, loc="lower left", bbox_to_anchor=(0.0, 1.0))
    # x labels at 30 degrees: their height is half their length
    label_in = _text_in(max(len(n) for n in names), 6.5) * 0.5 + 6.5 / PT_PER_IN
    _fixed_layout(
        fig, left_in=2 * 6.5 / PT_PER_IN + _text_in(3, 6.5) + 0.15, right_in=0.1,
        top_in=0.25, bottom_in=label_in + 0.08,
    )  # fmt: skip
    return _save(fig, path, "profile")


def outcome_chart(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Baseline and today's score per questionnaire that has a baseline, each on its own scale.

    Today's dot is green when the stored ``change_from_baseline.meets`` says an MCID was reached,
    amber when not; the scale runs over the instrument's range (``scale_max``).
    """
    rows = [r for r in rows if r.get("baseline") is not None and r.get("score") is not None]
    if not rows:
        return None
    fig = Figure(figsize=(7.0, 0.4 * len(rows) + 0.45))
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
    ticks_in = 2.0 * 7 / PT_PER_IN
    _fixed_layout(
        fig, left_in=_text_in(max(len(str(r["short"])) for r in rows), 8) + 0.15,
        right_in=_text_in(max(len(f"{r['better']} is better") for r in rows), 7) + 0.12,
        top_in=0.08, bottom_in=ticks_in + 2.0 * 8 / PT_PER_IN, hspace_in=ticks_in + 0.12,
        nrows=len(rows),
    )  # fmt: skip
    return _save(fig, path, "outcomes")
