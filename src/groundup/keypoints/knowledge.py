"""Loader for ``knowledge/video_gait.yaml``: anthropometric ratios, scale accuracy, and which
variables each camera view measures (docs/video-gait.md)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from groundup.yaml_files import parse_yaml


@cache
def video_gait_knowledge() -> dict[str, Any]:
    text = (files("groundup") / "knowledge" / "video_gait.yaml").read_text(encoding="utf-8")
    return dict(parse_yaml(text))


def eye_height_fraction() -> float:
    """Ground-to-eye height as a fraction of stature (Drillis & Contini 1966)."""
    return float(video_gait_knowledge()["anthropometry"]["eye_height_fraction_of_stature"])


def head_in_trunk_lengths() -> tuple[float, float]:
    """(head centre's distance from the mid-hip, head height), in hip-to-shoulder trunk lengths,
    from the body proportions of the YAML (Drillis & Contini 1966)."""
    ratios = video_gait_knowledge()["anthropometry"]
    hip = float(ratios["hip_joint_fraction_of_stature"])
    trunk = float(ratios["shoulder_fraction_of_stature"]) - hip
    centre = (float(ratios["head_centre_fraction_of_stature"]) - hip) / trunk
    height = (1.0 - float(ratios["chin_fraction_of_stature"])) / trunk
    return centre, height


def valid_variables(view: str) -> dict[str, list[str]]:
    """The time series and metrics that ``view`` measures."""
    table = video_gait_knowledge()["valid_variables"]
    return {k: list(v) for k, v in table.get(view, {}).items()}


def scale_accuracy_pct(view: str) -> float:
    return float(video_gait_knowledge()["scale_accuracy_pct"][view])


def min_opposite_strike_s() -> float:
    """Opposite-foot heel strikes closer than this contradict each other (see the YAML)."""
    return float(video_gait_knowledge()["event_guard"]["min_opposite_strike_s"])


def max_untracked_run_s() -> float:
    """The longest loss of tracking tolerated inside an event's window (see the YAML)."""
    return float(video_gait_knowledge()["event_guard"]["max_untracked_run_s"])


def max_trunk_tilt_deg() -> float:
    """The largest trunk angle from vertical of a usable landmark result (see the YAML)."""
    return float(video_gait_knowledge()["landmark_plausibility"]["max_trunk_tilt_deg"])


def event_guard() -> tuple[float, float]:
    """(edge margin in body heights, window either side of an event in s) for keypoint events."""
    guard = video_gait_knowledge()["event_guard"]
    return float(guard["edge_margin_heights"]), float(guard["window_s"])


def phase_plausibility() -> dict[str, tuple[float, float]]:
    """Ranges of stance, swing and double support (% of the stride) from video beyond which a
    phase gets the warning ``implausible_gait_phases`` (see the YAML)."""
    table = video_gait_knowledge()["phase_plausibility"]
    return {k: (float(v[0]), float(v[1])) for k, v in table.items() if k != "source"}


def max_pelvis_bounce_heights() -> float:
    """Largest SD of the mid-hip's height about its 1 s running median, in body heights,
    that still counts as walking (see the YAML: bouncing or jumping is not walking)."""
    return float(video_gait_knowledge()["max_pelvis_bounce_heights"])
