"""Stick-figure pictures of the home exercises, drawn with matplotlib from a pose table.

The pose table (knowledge/report/exercise_poses.yaml) holds one drawing per exercise id of the
exercise library, with aliases. An exercise without a drawing gets no picture (the handout says
so); drawing never fails the handout.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import matplotlib

from groundup.yaml_files import parse_yaml

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch

log = logging.getLogger(__name__)

NEAR = "#1d3557"
FAR = "#8aa1b9"
PROP = "#7a7a7a"
ACCENT = "#e07a1f"
HEAD_RADIUS = 0.1

_LIMBS = (
    ("neck", "hip", NEAR),
    ("shoulder", "elbow_f", FAR),
    ("elbow_f", "hand_f", FAR),
    ("hip", "knee_f", FAR),
    ("knee_f", "ankle_f", FAR),
    ("ankle_f", "toe_f", FAR),
    ("ankle_f", "heel_f", FAR),
    ("shoulder", "elbow_n", NEAR),
    ("elbow_n", "hand_n", NEAR),
    ("hip", "knee_n", NEAR),
    ("knee_n", "ankle_n", NEAR),
    ("ankle_n", "toe_n", NEAR),
    ("ankle_n", "heel_n", NEAR),
)


@cache
def load_poses() -> dict[str, dict[str, Any]]:
    path = files("groundup") / "knowledge" / "report" / "exercise_poses.yaml"
    return parse_yaml(path.read_text(encoding="utf-8"))["poses"]


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def find_pose(exercise_id: str, name: str = "") -> tuple[str, dict[str, Any]] | None:
    """The drawing for an exercise: by id, then alias, then by its name; None if none fits."""
    poses = load_poses()
    candidates = [_key(exercise_id), _key(name)]
    for cand in candidates:
        if not cand:
            continue
        if cand in poses:
            return cand, poses[cand]
        for pose_id, pose in poses.items():
            if cand in pose.get("aliases", []):
                return pose_id, pose
    # A library id may carry a level suffix (heel_raise_single_leg_2): match the longest known
    # id or alias it starts with.
    best: tuple[int, str] | None = None
    for cand in candidates:
        for pose_id, pose in poses.items():
            for known in [pose_id, *pose.get("aliases", [])]:
                if cand.startswith(known) and (best is None or len(known) > best[0]):
                    best = (len(known), pose_id)
    if best is not None:
        return best[1], poses[best[1]]
    return None


def _joints(pose: dict[str, Any]) -> dict[str, tuple[float, float]]:
    joints = {k: (float(v[0]), float(v[1])) for k, v in (pose.get("joints") or {}).items()}
    joints.update(
        {k: (float(v[0]), float(v[1])) for k, v in (pose.get("extra_joints") or {}).items()}
    )
    if "shoulder" not in joints and "neck" in joints and "hip" in joints:
        nx, ny = joints["neck"]
        hx, hy = joints["hip"]
        joints["shoulder"] = (nx + 0.06 * (hx - nx), ny + 0.06 * (hy - ny))
    return joints


def draw_pose(pose: dict[str, Any], path: Path) -> Path:
    """Draw one exercise pose to a PNG file."""
    fig = Figure(figsize=(3.2, 2.2))
    ax = fig.add_axes((0, 0, 1, 1))
    xs: list[float] = []
    ys: list[float] = []
    for line in pose.get("lines") or []:
        pts = line["points"]
        style = line.get("style", "prop")
        colour = {"prop": PROP, "ghost": "#b5b5b5", "accent": ACCENT}.get(style, PROP)
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            color=colour,
            lw=2.2 if style != "ghost" else 1.6,
            ls="--" if style == "ghost" else "-",
            solid_capstyle="round",
            zorder=1,
        )
        xs += [p[0] for p in pts]
        ys += [p[1] for p in pts]
    joints = _joints(pose)
    for a, b, colour in _LIMBS:
        if a in joints and b in joints:
            (x0, y0), (x1, y1) = joints[a], joints[b]
            ax.plot(
                [x0, x1],
                [y0, y1],
                color=colour,
                lw=4.2,
                solid_capstyle="round",
                zorder=3 if colour == NEAR else 2,
            )
    if "head" in joints:
        hx, hy = joints["head"]
        ax.add_patch(Circle((hx, hy), HEAD_RADIUS, color=NEAR, zorder=4))
        xs += [hx - HEAD_RADIUS, hx + HEAD_RADIUS]
        ys += [hy - HEAD_RADIUS, hy + HEAD_RADIUS]
        if "neck" in joints:
            nx, ny = joints["neck"]
            ax.plot([hx, nx], [hy, ny], color=NEAR, lw=4.2, solid_capstyle="round", zorder=3)
    xs += [p[0] for p in joints.values()]
    ys += [p[1] for p in joints.values()]
    for x0, y0, x1, y1 in pose.get("arrows") or []:
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=16,
                color=ACCENT,
                lw=2.2,
                zorder=5,
            )
        )
        xs += [x0, x1]
        ys += [y0, y1]
    pad = 0.12
    x0, x1 = min(xs) - pad, max(xs) + pad
    y0, y1 = min(ys) - pad, max(ys) + pad
    # widen the shorter range so the drawing keeps its proportions in the figure's frame
    width, height = fig.get_size_inches()
    if (x1 - x0) / (y1 - y0) > width / height:
        extra = (x1 - x0) * height / width - (y1 - y0)
        y0, y1 = y0 - extra / 2, y1 + extra / 2
    else:
        extra = (y1 - y0) * width / height - (x1 - x0)
        x0, x1 = x0 - extra / 2, x1 + extra / 2
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, facecolor="white")
    return path


def exercise_picture(exercise_id: str, name: str, assets_dir: Path) -> tuple[str, str] | None:
    """(PNG file name, caption) for an exercise, or None when there is no drawing for it."""
    found = find_pose(exercise_id, name)
    if found is None:
        return None
    pose_id, pose = found
    try:
        path = draw_pose(pose, assets_dir / f"exercise_{pose_id}.png")
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # a malformed table entry
        log.warning("exercise drawing %s failed: %s", pose_id, exc)
        return None
    return path.name, pose.get("caption", "")
