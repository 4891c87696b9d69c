"""Specificity on real healthy walkers: the Sports2D walker and walkers A and B of the two-walker
clip (B picked by a point on them, as ``--subject`` does), each analysed once per module through
the product path (pose, keypoint gait, adult curves with the example exam's age) and through the
gait report section.

- The report lists no gait deviation among its key findings.
- Knee flexion at initial contact of the leg facing the camera lies within the adult mean +/- 2 SD
  widened by the stated 2-D error of knee flexion (Stenum et al. 2021, measurement_error.yaml).

The same is checked with the contacts and toe offs of the reference annotations
(../shared/data/video/ANNOTATIONS.md, revision of 2026-12-02) in place of the detected events,
which separates the norms and the flag rule from event detection. The module prints one row per
walker and event source.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from groundup.norms.curves import compute_gait_curves
from groundup.norms.data import measurement_error, reference_curve, variables_config
from groundup.trial import GaitEvent
from tests.keypoints.conftest import video_front_end_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not video_front_end_available(),
        reason="groundup.video.pose_run (the video front end) is not available",
    ),
]

REPO = Path(__file__).resolve().parents[2]
EXAM_EXAMPLE = REPO / "docs" / "examples" / "exam_example.yaml"

# Reference events (ANNOTATIONS.md, revised tables): (side, frame) at 30 frames/s.
ANNOTATED: dict[str, dict[str, list[tuple[str, int]]]] = {
    "sports2d": {
        "heel_strike": [
            ("left", 42),
            ("right", 61),
            ("left", 80),
            ("right", 99),
            ("left", 117),
            ("right", 135),
            ("left", 153),
            ("right", 172),
            ("left", 190),
        ],
        "toe_off": [
            ("left", 64),
            ("right", 85),
            ("left", 103),
            ("right", 122),
            ("left", 140),
            ("right", 158),
            ("left", 176),
            ("right", 194),
        ],
    },
    "A": {
        "heel_strike": [
            ("right", 8),
            ("left", 25),
            ("right", 41),
            ("left", 57),
            ("right", 73),
            ("left", 89),
        ],
        "toe_off": [("right", 30), ("left", 46), ("right", 62), ("left", 78), ("right", 94)],
    },
    "B": {
        "heel_strike": [("left", 59), ("right", 76), ("left", 93), ("right", 110), ("left", 128)],
        "toe_off": [("left", 81), ("right", 99), ("left", 116), ("right", 134), ("left", 152)],
    },
}

EVENT_TIMING_REASON = (
    "initial contacts detected 4-5 frames early (late swing) on this branch: the cycle is "
    "phase-shifted, so the knee reads flexed at 'contact' and mid-stance; contact detection is "
    "being fixed separately (issue 18, decision A)"
)
_ROWS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> Iterator[None]:
    yield
    header = (
        f"{'walker':9s} {'events':10s} {'near':5s} {'knee IC near':>12s} {'band':>15s} "
        f"{'knee IC far':>11s}  flagged"
    )
    print("\n" + header + "\n" + "\n".join(_ROWS))


def _age() -> float:
    return float(yaml.safe_load(EXAM_EXAMPLE.read_text())["patient"]["age_y"])


def _is_walker_a(trial) -> bool:
    """Walker A is in view about frames 6-107, walker B about 55-160 (ANNOTATIONS.md)."""
    hip = trial.points["left_hip"]
    frames = np.flatnonzero(np.isfinite(hip).all(axis=1))
    return bool(frames.min() < 50 and frames.max() < 115)


@pytest.fixture(scope="module")
def trials(shared_data: Path) -> dict[str, Any]:
    """The keypoint trial of each walker, pose estimated once."""
    from groundup.video.pose_run import run_video_pose

    out = {"sports2d": run_video_pose(shared_data / "video" / "sports2d_demo.mp4").trial}
    clip = shared_data / "video" / "sagittal_indoor_two_walkers.mp4"
    first = run_video_pose(clip)
    other = next(t for t in first.track_boxes_px if t != first.subject_track_id)
    boxes = first.track_boxes_px[other]
    found = np.flatnonzero(np.isfinite(boxes).all(axis=1))
    frame = int(found[np.argmin(np.abs(found - 90))])
    x0, y0, x1, y1 = boxes[frame]
    second = run_video_pose(clip, subject_xy=((x0 + x1) / 2, (y0 + y1) / 2), subject_frame=frame)
    a, b = (first, second) if _is_walker_a(first.trial) else (second, first)
    out["A"], out["B"] = a.trial, b.trial
    return out


@pytest.fixture(scope="module")
def analyses(trials: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """analysis.json of each walker as ``groundup analyze`` makes it (example exam's age)."""
    from groundup.pipeline.recording import RecordingOptions
    from groundup.pipeline.video import analyse_keypoint_trial

    return {
        name: analyse_keypoint_trial(trial, RecordingOptions(), _age(), None)
        for name, trial in trials.items()
    }


def _gait_key_findings(analysis: dict[str, Any], tmp: Path) -> list[str]:
    """The report's key findings from gait (spatiotemporal and curves), as the report makes
    them from the gait blocks."""
    from groundup.report.gait_section import gait_blocks
    from groundup.report.render import _key_findings

    exam = {"patient": {"age_y": _age(), "sex": "female"}}
    blocks, _ = gait_blocks([analysis], exam, tmp, True, {})
    return [str(f["text"]) for f in _key_findings(None, blocks) if "Gait" in f["region"]]


def _knee_band() -> tuple[float, float, float]:
    """Adult knee flexion at initial contact: mean, and the half width 2 SD + 2-D error."""
    norm = reference_curve("WBDS2018", "knee_flexion", "comfortable")
    assert norm is not None
    flag_sd = float(variables_config()["deviation_rule"]["flag_sd"])
    error = measurement_error("video", "sagittal", "knee_flexion")
    assert error is not None
    return float(norm.mean[0]), flag_sd * float(norm.sd[0]) + float(error["error_deg"]), 0.0


def _knee_at_contact(curves: dict[str, Any]) -> dict[str, float]:
    return {
        d["side"]: d["value_deg"]
        for d in curves["deviations"]
        if d["variable"] == "knee_flexion" and d["phase"] == "initial_contact"
    }


def _check(name: str, source: str, curves: dict[str, Any], findings: list[str]) -> None:
    mean, half, _ = _knee_band()
    near = curves["near_side"]
    knee = _knee_at_contact(curves)
    far = "left" if near == "right" else "right"
    flagged = [
        f"{d['side']} {d['variable']} {d['phase']} {d['value_deg']}"
        for d in curves["deviations"]
        if d["flagged"]
    ]
    _ROWS.append(
        f"{name:9s} {source:10s} {near:5s} {knee.get(near, float('nan')):12.1f} "
        f"{mean - half:7.1f}-{mean + half:<7.1f} {knee.get(far, float('nan')):11.1f}  "
        f"{'; '.join(flagged) or '-'}"
    )
    assert curves["reference"]["dataset"] == "WBDS2018"
    assert near in ("left", "right")
    assert not findings, findings
    assert not flagged, flagged
    assert abs(knee[near] - mean) <= half, (knee, mean, half)


@pytest.mark.parametrize(
    "name",
    [
        *(
            pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=EVENT_TIMING_REASON))
            for n in ("sports2d", "A")
        ),
        "B",
    ],
)
def test_healthy_walker_report_has_no_gait_finding(
    analyses: dict[str, dict[str, Any]], name: str, tmp_path: Path
) -> None:
    analysis = analyses[name]
    _check(name, "detected", analysis["curves"], _gait_key_findings(analysis, tmp_path))


def _annotated_events(name: str, rate_hz: float) -> list[GaitEvent]:
    events = [
        GaitEvent(side, kind, frame / rate_hz, frame, "annotation")  # type: ignore[arg-type]
        for kind, rows in ANNOTATED[name].items()
        for side, frame in rows
    ]
    return sorted(events, key=lambda e: e.time_s)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "sports2d",
            marks=pytest.mark.xfail(
                strict=False,
                reason="the first contact (frame 42) comes as she steps out from behind the tree: "
                "the pose reads her knee 41 deg there, and the mean of four cycles 20 deg",
            ),
        ),
        "A",
        "B",
    ],
)
def test_healthy_walker_flags_nothing_with_the_annotated_events(
    trials: dict[str, Any], analyses: dict[str, dict[str, Any]], name: str, tmp_path: Path
) -> None:
    """The norms and the flag rule alone: the same walkers' angles, cycles cut at the reference
    contacts and toe offs."""
    from groundup.keypoints.pipeline import analyze_keypoints, angles_for

    analysis = analyze_keypoints(trials[name])
    video = analysis.video or {}
    curves = compute_gait_curves(
        angles_for(analysis),
        analysis.trial.point_rate_hz,
        _annotated_events(name, analysis.trial.point_rate_hz),
        source="video",
        view=str(video.get("view")),
        age_years=_age(),
        walking_direction=str(video.get("direction")),
    ).to_json()
    doc = dict(analyses[name], curves=curves)
    _check(name, "annotated", curves, _gait_key_findings(doc, tmp_path))
