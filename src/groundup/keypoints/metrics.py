"""Per-cycle summary metrics from keypoint angles and gait events (analysis.json "video.metrics").

Each metric is computed per gait cycle or per stance phase of one side (heel strike to the next
same-side heel strike; stance = heel strike to toe off), then averaged per side. Definitions,
sources and known 2-D accuracy are in docs/video-gait.md; the table of which view measures which
metric is ``knowledge/video_gait.yaml`` (``valid_variables``), and only those are reported.

Sagittal: heel-rise timing (% of the gait cycle at which the heel leaves its stance level, Perry
& Burnfield 2010: heel rise at about 31 % of the cycle, terminal stance), knee flexion at heel
strike, peak knee flexion in swing, peak ankle dorsiflexion in stance, peak hip extension.

Cycles (and stances) whose legs are not reliably measured are left out, as from the gait curves
(:mod:`groundup.gait.cycles_reliability`): a walker partly hidden, entering or leaving the picture.

Frontal: contralateral pelvic drop in stance (largest drop of the pelvis toward the swing side
during a side's stance, relative to its obliquity at that side's heel strike), peak knee FPPA in
stance, peak trunk lean toward the stance side, step width (heel-to-heel distance across the
walking direction at heel strike) relative to the hip-joint-centre width and, with a height, in
metres; peak rearfoot eversion in stance (rear view).
"""

from __future__ import annotations

import itertools

import numpy as np

from groundup.gait.cycles_reliability import LegLandmarks, contact_problem, cycle_problem
from groundup.keypoints.knowledge import valid_variables, video_gait_knowledge
from groundup.keypoints.view import Scale
from groundup.trial import SIDES, GaitEvent, Side, Trial


def _frames(events: list[GaitEvent], side: Side, kind: str) -> list[int]:
    return sorted(e.frame for e in events if e.side == side and e.kind == kind)


def _cycles(events: list[GaitEvent], side: Side) -> list[tuple[int, int, int | None]]:
    """(heel strike, next heel strike, toe off between them or None) of one side."""
    hs = _frames(events, side, "heel_strike")
    to = _frames(events, side, "toe_off")
    out = []
    for a, b in itertools.pairwise(hs):
        between = [t for t in to if a < t < b]
        out.append((a, b, between[0] if len(between) == 1 else None))
    return out


def _stances(events: list[GaitEvent], side: Side) -> list[tuple[int, int]]:
    hs = _frames(events, side, "heel_strike")
    to = _frames(events, side, "toe_off")
    out = []
    for a in hs:
        after = [t for t in to if t > a]
        if after and after[0] - a > 0:
            nxt = [h for h in hs if h > a]
            if not nxt or after[0] < nxt[0]:
                out.append((a, after[0]))
    return out


def _measured_cycles(
    events: list[GaitEvent], side: Side, rate_hz: float, landmarks: LegLandmarks | None
) -> list[tuple[int, int, int | None]]:
    """This side's cycles whose legs are reliably measured (all of them without evidence)."""
    return [
        c
        for c in _cycles(events, side)
        if landmarks is None or cycle_problem(landmarks, c[0] / rate_hz, c[1] / rate_hz) is None
    ]


def _measured_stances(
    events: list[GaitEvent], side: Side, rate_hz: float, landmarks: LegLandmarks | None
) -> list[tuple[int, int]]:
    """This side's stances whose contact is reliably measured (all of them without evidence)."""
    return [
        s
        for s in _stances(events, side)
        if landmarks is None or contact_problem(landmarks, s[0] / rate_hz) is None
    ]


def _mean(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and np.isfinite(v)]
    return round(float(np.mean(vals)), 2) if vals else None


def _peak(series: np.ndarray, a: int, b: int, largest: bool = True) -> float | None:
    seg = series[a : b + 1]
    if seg.size == 0 or not np.isfinite(seg).any():
        return None
    return float(np.nanmax(seg) if largest else np.nanmin(seg))


def _at(series: np.ndarray, i: int) -> float | None:
    v = series[i] if 0 <= i < len(series) else np.nan
    return float(v) if np.isfinite(v) else None


def _heel_rise_pct(
    trial: Trial, side: Side, cycle: tuple[int, int, int | None], height_px: np.ndarray
) -> float | None:
    a, b, to = cycle
    heel = trial.points.get(f"{side}_heel")
    if heel is None or to is None:
        return None
    y = heel[a : to + 1, 1]
    if not np.isfinite(y).all() or y.size < 4:
        return None
    threshold = float(video_gait_knowledge()["heel_rise_threshold_heights"])
    scale = float(np.nanmedian(height_px[a : to + 1]))
    mid = y.size // 3  # search after the loading response
    stance_level = float(np.max(y[: mid + 1]))  # image y down: the lowest heel position
    risen = np.flatnonzero(stance_level - y[mid:] > threshold * scale)
    if risen.size == 0:
        return None
    return (mid + int(risen[0])) / (b - a) * 100.0


def sagittal_metrics(
    trial: Trial,
    angles: dict[str, np.ndarray],
    events: list[GaitEvent],
    height_px: np.ndarray,
    landmarks: LegLandmarks | None = None,
) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    for side in SIDES:
        knee = angles[f"{side}_knee_flexion_deg"]
        ankle = angles[f"{side}_ankle_dorsiflexion_deg"]
        hip = angles[f"{side}_hip_flexion_deg"]
        cycles = _measured_cycles(events, side, trial.point_rate_hz, landmarks)
        rise, knee_hs, knee_swing, dorsi, hip_ext = [], [], [], [], []
        for a, b, to in cycles:
            rise.append(_heel_rise_pct(trial, side, (a, b, to), height_px))
            knee_hs.append(_at(knee, a))
            if to is not None:
                knee_swing.append(_peak(knee, to, b))
                dorsi.append(_peak(ankle, a, to))
                hip_ext.append(_peak(-hip, a, to))
        out[side] = {
            "n_cycles": len(cycles),
            "heel_rise_pct_of_cycle": _mean(rise),
            "knee_flexion_at_heel_strike_deg": _mean(knee_hs),
            "peak_knee_flexion_swing_deg": _mean(knee_swing),
            "peak_ankle_dorsiflexion_stance_deg": _mean(dorsi),
            "hip_extension_peak_deg": _mean(hip_ext),
        }
    return out


def frontal_metrics(
    trial: Trial,
    angles: dict[str, np.ndarray],
    events: list[GaitEvent],
    view: str,
    height_px: np.ndarray,
    scale: Scale | None,
    landmarks: LegLandmarks | None = None,
) -> dict[str, dict[str, float | int | None]]:
    obliquity = angles["pelvis_obliquity_deg"]
    lean = angles["trunk_lateral_lean_deg"]
    out: dict[str, dict[str, float | int | None]] = {}
    for side in SIDES:
        # Obliquity is positive with the left hip up: in left stance the right (swing) side
        # drops, which raises the obliquity; in right stance it lowers it.
        sign = 1.0 if side == "left" else -1.0
        stances = _measured_stances(events, side, trial.point_rate_hz, landmarks)
        drop, fppa, trunk, rear = [], [], [], []
        for a, b in stances:
            start = _at(obliquity, a)
            peak = _peak(sign * obliquity, a, b)
            if start is not None and peak is not None:
                drop.append(peak - sign * start)
            fppa.append(_peak(angles[f"{side}_knee_fppa_deg"], a, b))
            trunk.append(_peak(sign * lean, a, b))
            key = f"{side}_rearfoot_eversion_deg"
            if key in angles:
                rear.append(_peak(angles[key], a, b))
        entry: dict[str, float | int | None] = {
            "n_stances": len(stances),
            "contralateral_pelvic_drop_deg": _mean(drop),
            "peak_knee_fppa_stance_deg": _mean(fppa),
            "peak_trunk_lean_stance_deg": _mean(trunk),
        }
        if view == "frontal_posterior":
            entry["peak_rearfoot_eversion_stance_deg"] = _mean(rear)
        widths, ratios, metres = _step_widths(trial, events, side, height_px, scale)
        entry["step_width_px"] = _mean(widths)
        entry["step_width_pelvis_ratio"] = _mean(ratios)
        entry["step_width_m"] = _mean(metres) if scale is not None else None
        out[side] = entry
    return out


def _step_widths(
    trial: Trial,
    events: list[GaitEvent],
    side: Side,
    height_px: np.ndarray,
    scale: Scale | None,
) -> tuple[list[float], list[float], list[float]]:
    """Heel-to-heel distance across the image (x) at this side's heel strikes."""
    widths, ratios, metres = [], [], []
    own, other = (
        trial.points.get(f"{side}_heel"),
        trial.points.get(f"{'right' if side == 'left' else 'left'}_heel"),
    )
    lh, rh = trial.points.get("left_hip"), trial.points.get("right_hip")
    if own is None or other is None or lh is None or rh is None:
        return widths, ratios, metres
    for i in _frames(events, side, "heel_strike"):
        w = abs(float(own[i, 0] - other[i, 0]))
        pelvis = abs(float(lh[i, 0] - rh[i, 0]))
        if not np.isfinite(w):
            continue
        widths.append(w)
        if np.isfinite(pelvis) and pelvis > 0:
            ratios.append(w / pelvis)
        if scale is not None and np.isfinite(height_px[i]) and height_px[i] > 0:
            metres.append(w / float(height_px[i]) * scale.height_m)
    return widths, ratios, metres


def video_metrics(
    trial: Trial,
    angles: dict[str, np.ndarray],
    events: list[GaitEvent],
    view: str,
    height_px: np.ndarray,
    scale: Scale | None,
    landmarks: LegLandmarks | None = None,
) -> dict[str, object]:
    """Per-side summaries of the metrics valid for ``view`` (and nothing else), from the cycles
    whose legs ``landmarks`` shows reliably measured (all cycles when None)."""
    if view == "sagittal":
        per_side = sagittal_metrics(trial, angles, events, height_px, landmarks)
    else:
        per_side = frontal_metrics(trial, angles, events, view, height_px, scale, landmarks)
    valid = set(valid_variables(view).get("metrics", []))
    cleaned = {
        side: {
            k: v for k, v in values.items() if k in valid or k.startswith("n_") or k.endswith("_px")
        }
        for side, values in per_side.items()
    }
    return {"per_side": cleaned}
