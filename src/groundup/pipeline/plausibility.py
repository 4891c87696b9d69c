"""Plausibility gates: numbers no person walking can give are refused, never "within the norm".

The limits are data (``knowledge/plausibility.yaml``, with their reasons and sources); they lie
far outside every norm band and catch wrong units, wrong sampling rates and broken marker data:

- :func:`check_marker_units`: the leg length seen in the markers (pelvis to ankle/heel) must be
  a person's; metres written under a millimetre header (or the reverse) give 1000 times too
  much or too little.
- :func:`repair_marker_spikes`: a marker that jumps away for a few frames faster than any body
  part moves and comes back is a spike (a reflection, a swapped label); those frames are
  removed (the gap filler then bridges them) and reported; a trial with spikes in more than the
  allowed fraction of frames is refused.
- :func:`check_gait_plausible`: cadence, walking speed and step length of the analysis must be
  those of walking; otherwise the header's sampling rate or unit is wrong and the analysis is
  refused before any finding or exercise is built on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.trial import Trial
from groundup.yaml_files import load_knowledge, plausibility

_PELVIS = ("asis", "psis", "hip")
_FOOT = ("ankle", "heel")
_TYPICAL_LEG_M = 0.9
# A spike lasts at most this long (longer departures are not spikes but bad tracking).
_MAX_SPIKE_S = 0.1


def leg_length_m(trial: Trial) -> float | None:
    """Median distance from each side's pelvis marker to its ankle (or heel) marker, in the
    trial's own units (metres when the header is right)."""
    if trial.n_dims != 3:
        return None
    lengths = []
    for side in ("left", "right"):
        top = next((trial.points[f"{side}_{p}"] for p in _PELVIS if f"{side}_{p}" in trial.points),
                   None)  # fmt: skip
        foot = next((trial.points[f"{side}_{f}"] for f in _FOOT if f"{side}_{f}" in trial.points),
                    None)  # fmt: skip
        if top is None or foot is None:
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.linalg.norm(top - foot, axis=1)
        d = d[np.isfinite(d)]
        if d.size:
            lengths.append(float(np.median(d)))
    return float(np.median(lengths)) if lengths else None


def check_marker_units(trial: Trial, name: str) -> None:
    """Refuse a marker trial whose leg length is not a person's (see the module docstring)."""
    length = leg_length_m(trial)
    if length is None or trial.point_units != "m":
        return
    limits = load_knowledge("plausibility.yaml")["gait"]["leg_length_m"]
    if limits["min"] <= length <= limits["max"]:
        return
    factor = length / _TYPICAL_LEG_M
    guess = (
        "the coordinates look like millimetres under a header that says metres"
        if 300 < factor < 3000
        else "the coordinates look like metres under a header that says millimetres"
        if 3e-4 < factor < 3e-3
        else "the coordinates are not in the unit the header says"
    )
    raise InputError(
        f"{name}: the legs measure {length:.4g} m from pelvis to ankle markers (a person's are "
        f"{limits['min']:g}-{limits['max']:g} m); {guess}.",
        "Correct the unit of the marker data (C3D: POINT:UNITS; TRC: the Units field) and "
        "export the trial again.",
    )


def repair_marker_spikes(trial: Trial, name: str) -> Trial:
    """The trial with marker spikes removed (see the module docstring)."""
    if trial.n_dims != 3 or trial.point_units != "m" or trial.n_frames < 3:
        return trial
    leg = leg_length_m(trial) or _TYPICAL_LEG_M
    max_step_m = (
        plausibility("gait", "max_marker_jump_leg_lengths_per_s") * leg / trial.point_rate_hz
    )
    max_frames = max(1, round(_MAX_SPIKE_S * trial.point_rate_hz))
    allowed = plausibility("gait", "max_spike_fraction")
    points: dict[str, np.ndarray] = {}
    removed: dict[str, int] = {}
    landmarks = set(load_knowledge("marker_labels.yaml")["landmarks"])
    for label, xyz in trial.points.items():
        if label not in landmarks:  # modelled outputs (angles, moments) stored as points
            points[label] = xyz
            continue
        fixed, n = _remove_spikes(xyz, max_step_m, max_frames)
        points[label] = fixed
        if n:
            removed[label] = n
    if not removed:
        return trial
    worst = max(removed, key=lambda k: removed[k])
    fraction = removed[worst] / trial.n_frames
    if fraction > allowed:
        raise InputError(
            f"{name}: the marker {worst} jumps away and back (spikes faster than any movement of "
            f"walking) in {100 * fraction:.0f} % of the frames; the marker labelling of this "
            "trial cannot be trusted.",
            "Clean the trajectories (gap filling and labelling) in the capture software and "
            "export the trial again.",
        )
    spikes = ", ".join(f"{k} ({v})" for k, v in sorted(removed.items()))
    return trial.replace(points=points).with_quality(
        QualityIssue(
            "marker_spikes_removed",
            f"Marker spikes (jumps away and back faster than any movement of walking) were "
            f"removed and bridged like gaps: frames per marker {spikes}. Check the labelling "
            "if this is more than a few frames.",
        )
    )


def _remove_spikes(xyz: np.ndarray, max_step_m: float, max_frames: int) -> tuple[np.ndarray, int]:
    """Frames between a jump away and the jump back to where the marker was (within
    ``max_frames``) set to NaN; the count of frames removed."""
    with np.errstate(invalid="ignore", over="ignore"):
        step = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
    jumps = np.flatnonzero(step > max_step_m)
    if jumps.size < 2:
        return xyz, 0
    out = np.array(xyz, copy=True)
    removed = 0
    k = 0
    while k < jumps.size - 1:
        start = jumps[k]
        matched = None
        for m in range(k + 1, jumps.size):
            end = jumps[m]
            if end - start > max_frames:
                break
            with np.errstate(invalid="ignore", over="ignore"):
                back = np.linalg.norm(xyz[end + 1] - xyz[start])
            if back <= max_step_m * (end - start + 1):
                matched = m
                break
        if matched is None:
            k += 1
            continue
        end = jumps[matched]
        out[start + 1 : end + 1] = np.nan
        removed += int(end - start)
        k = matched + 1
    return out, removed


def check_gait_plausible(
    doc: dict[str, Any], name: str, rate_hz: float | None = None, markers: bool = False
) -> None:
    """Refuse an analysis whose cadence, speed or step length no walking person has; for 3-D
    marker trials also a negative step length and a speed that does not match cadence x step
    length (events that do not belong to the marker data)."""
    st = dict(doc.get("spatiotemporal") or {})
    step_time_s = st.get("step_time_s")
    # Too few steps for a cadence: the step time alone still says how fast the steps come.
    if (
        st.get("cadence_steps_per_min") is None
        and isinstance(step_time_s, int | float)
        and step_time_s > 0
    ):
        st["cadence_steps_per_min"] = 60.0 / step_time_s
    rate = f" ({rate_hz:g} Hz in the file)" if rate_hz else ""
    fix = (
        "Check the file's header (sampling rate, units) against the capture settings and "
        "export the trial again."
    )
    if markers:
        _check_consistency(st, name, rate, fix)
    checks = [
        ("cadence_steps_per_min", "max_cadence_steps_per_min", "steps/min", "above",
         f"the sampling rate in the file's header{rate} is probably wrong (too low)"),
        ("cadence_steps_per_min", "min_cadence_steps_per_min", "steps/min", "below",
         f"the sampling rate in the file's header{rate} is probably wrong (too high)"),
        ("walking_speed_m_s", "max_walking_speed_m_s", "m/s", "above",
         "the unit of the marker data or the sampling rate in the header is probably wrong"),
        ("step_length_m", "max_step_length_m", "m", "above",
         "the unit of the marker data in the header is probably wrong"),
    ]  # fmt: skip
    for key, limit_name, unit, side, cause in checks:
        value = st.get(key)
        if not isinstance(value, int | float) or not np.isfinite(value):
            continue
        limit = plausibility("gait", limit_name)
        if (side == "above" and value > limit) or (side == "below" and value < limit):
            what = key.replace("_steps_per_min", "").replace("_m_s", "").replace("_m", "")
            raise InputError(
                f"{name}: the {what.replace('_', ' ')} comes out at {value:.4g} {unit}, "
                f"{side} anything a person walking can reach ({limit:g} {unit}); {cause}. "
                "No result was built on it.",
                fix,
            )


def _check_consistency(st: dict[str, Any], name: str, rate: str, fix: str) -> None:
    lengths = [st.get("step_length_m")] + [(st.get(s) or {}).get("step_length_m")
                                           for s in ("left", "right")]  # fmt: skip
    if any(isinstance(v, int | float) and v < 0 for v in lengths):
        raise InputError(
            f"{name}: a step length comes out negative (the foot landing behind the other); "
            "the gait events do not match the marker data, or the filter removed the steps. "
            "No result was built on it.",
            fix,
        )
    cadence, speed, step = (
        st.get("cadence_steps_per_min"),
        st.get("walking_speed_m_s"),
        st.get("step_length_m"),
    )
    if not all(isinstance(v, int | float) and v > 0 for v in (cadence, speed, step)):
        return
    ratio = speed / (cadence / 60.0 * step)
    limits = load_knowledge("plausibility.yaml")["gait"]["speed_per_step_rate_and_length"]
    if not limits["min"] <= ratio <= limits["max"]:
        raise InputError(
            f"{name}: the walking speed ({speed:.3g} m/s) is {ratio:.2g} times cadence x step "
            f"length ({cadence:.4g} steps/min x {step:.3g} m); in walking they agree. The gait "
            f"events do not belong to the marker data: the sampling rate in the header{rate} "
            "is probably wrong. No result was built on it.",
            fix,
        )
