"""Read C3D motion-capture files into a :class:`~groundup.trial.Trial` through ezc3d.

What is read:
- markers, relabelled to canonical landmark names through the label map (io/labels.py), in metres;
  frames a system wrote as exactly (0, 0, 0) or as invalid (negative residual) become NaN;
- force platforms (ezc3d's FORCE_PLATFORM processing: force, moment and centre of pressure in the
  lab frame, corners and origin), converted to N, N·m and metres; a plate that reports the action
  force (vertical force mostly negative) is turned to the reaction force;
- all other analog channels by label;
- events stored in the EVENT group (Foot Strike / Foot Off with Left/Right context);
- subject mass and height from PROCESSING (never names: GroundUp keeps no identifying data).

C3D format reference: Motion Lab Systems, "The C3D File Format: A Technical User Guide" (2008).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.io.labels import LabelMap, valid_frame_counts
from groundup.trial import ForcePlate, GaitEvent, Side, Subject, Trial

_LENGTH_TO_M = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}
_MOMENT_TO_NM = {"nmm": 1e-3, "n.mm": 1e-3, "nm": 1.0, "n.m": 1.0}
_EVENT_KINDS = {"footstrike": "heel_strike", "footoff": "toe_off"}


def _param(params: dict[str, Any], group: str, name: str) -> Any:
    try:
        return params[group][name]["value"]
    except (KeyError, TypeError):
        return None


def _first_number(value: Any) -> float | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=float).ravel()
    return float(arr[0]) if arr.size and np.isfinite(arr[0]) and arr[0] > 0 else None


def _open_c3d(path: Path) -> dict[str, Any]:
    import ezc3d  # imported here so that `groundup --help` stays fast

    if not path.exists():
        raise InputError(f"File not found: {path}.", "Check the path and the file name.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a C3D file.", "Give the path of a .c3d file.")
    with path.open("rb") as fh:
        head = fh.read(2)
    # Byte 2 of every C3D file is 0x50, the key that identifies the format (C3D user guide, ch. 3).
    if len(head) < 2 or head[1] != 0x50:
        raise InputError(
            f"{path.name} is not a C3D file (its header does not carry the C3D signature).",
            "Export the trial as C3D from your motion-capture software, or use the command for "
            "this file type (see `groundup analyze --help`).",
        )
    try:
        return ezc3d.c3d(str(path), extract_forceplat_data=True)
    except Exception as exc:  # ezc3d raises OSError/RuntimeError/ValueError on broken files
        raise InputError(
            f"{path.name} could not be read as C3D: the file is damaged or incomplete ({exc}).",
            "Export the trial again from the capture software and copy the whole file.",
        ) from exc


def _header_frame_count(path: Path) -> int | None:
    """Frames announced by the file's own header (words 4 and 5), or None when unknown.

    ezc3d adjusts its header copy to the frames it could read, so a truncated file is found by
    reading the original header: the parameter section's 4th byte gives the processor type
    (84 Intel, 85 DEC: little-endian; 86 MIPS: big-endian), C3D user guide ch. 3.
    """
    with path.open("rb") as fh:
        header = fh.read(512)
        if len(header) < 512:
            return None
        fh.seek((header[0] - 1) * 512 + 3)
        proc = fh.read(1)
    order = "big" if proc and proc[0] == 86 else "little"
    first = int.from_bytes(header[6:8], order)
    last = int.from_bytes(header[8:10], order)
    if last == 0xFFFF or last < first:  # long files keep the count in parameters only
        return None
    return last - first + 1


def _check_complete(c3d: dict[str, Any], path: Path) -> None:
    expected = _header_frame_count(path)
    got = int(c3d["data"]["points"].shape[2])
    if expected is not None and got < expected:
        raise InputError(
            f"{path.name} is truncated: its header announces {expected} frames but only {got} "
            "could be read.",
            "The file was cut short while copying or exporting: copy or export it again.",
        )


def _point_labels(c3d: dict[str, Any]) -> list[str]:
    params = c3d["parameters"]
    labels: list[str] = list(_param(params, "POINT", "LABELS") or [])
    k = 2
    while len(labels) < c3d["data"]["points"].shape[1]:
        more = _param(params, "POINT", f"LABELS{k}")
        if not more:
            break
        labels.extend(more)
        k += 1
    n = c3d["data"]["points"].shape[1]
    labels += [f"point{i}" for i in range(len(labels), n)]
    return [str(lbl).strip() for lbl in labels[:n]]


def _points(c3d: dict[str, Any], label_map: LabelMap) -> tuple[dict, dict, list[QualityIssue]]:
    raw = np.asarray(c3d["data"]["points"][:3], dtype=float)  # (3, n_points, n_frames)
    positions = np.transpose(raw, (1, 2, 0)).copy()  # (n_points, n_frames, 3)
    residuals = c3d["data"].get("meta_points", {}).get("residuals")
    if residuals is not None and np.size(residuals):
        invalid = np.asarray(residuals)[0] < 0
        positions[invalid] = np.nan
    dropped = np.all(positions == 0.0, axis=2)  # systems that write zeros for a lost marker
    positions[dropped] = np.nan
    units = str((_param(c3d["parameters"], "POINT", "UNITS") or ["mm"])[0]).strip().lower()
    positions *= _LENGTH_TO_M.get(units, 1e-3)

    labels = _point_labels(c3d)
    counts = valid_frame_counts(positions)
    chosen, notes = label_map.assign(labels, counts)
    points: dict[str, np.ndarray] = {}
    source_labels: dict[str, str] = {}
    for name, idx in chosen.items():
        points[name] = positions[idx]
        source_labels[name] = labels[idx]
    used = set(chosen.values())
    for idx, label in enumerate(labels):
        if idx in used or label in points:
            continue
        points[label] = positions[idx]
        source_labels[label] = label
    issues = [QualityIssue("duplicate_marker_label", n) for n in notes]
    if units not in _LENGTH_TO_M:
        issues.append(
            QualityIssue(
                "unknown_point_units",
                f"POINT:UNITS is {units!r}; millimetres were assumed. Check the export settings.",
            )
        )
    return points, source_labels, issues


def _force_plates(c3d: dict[str, Any]) -> list[ForcePlate]:
    plates: list[ForcePlate] = []
    analog_rate = float(c3d["header"]["analogs"]["frame_rate"] or 0.0)
    types = _param(c3d["parameters"], "FORCE_PLATFORM", "TYPE")
    for i, pf in enumerate(c3d["data"].get("platform", [])):
        pos_scale = _LENGTH_TO_M.get(str(pf["unit_position"]).strip().lower(), 1e-3)
        mom_scale = _MOMENT_TO_NM.get(str(pf["unit_moment"]).strip().lower(), 1e-3)
        force = np.asarray(pf["force"], dtype=float).T.copy()
        moment = np.asarray(pf["moment"], dtype=float).T * mom_scale
        cop = np.asarray(pf["center_of_pressure"], dtype=float).T * pos_scale
        fz = force[:, 2]
        if np.nanmax(fz) < -np.nanmin(fz):  # action force: turn into the ground reaction force
            force = -force
            moment = -moment
        plates.append(
            ForcePlate(
                index=i,
                plate_type=int(np.asarray(types).ravel()[i]) if types is not None else 0,
                rate_hz=analog_rate,
                force_n=force,
                moment_nm=moment,
                cop_m=cop,
                corners_m=np.asarray(pf["corners"], dtype=float).T * pos_scale,
                origin_m=np.asarray(pf["origin"], dtype=float) * pos_scale,
            )
        )
    return plates


def _analogs(c3d: dict[str, Any]) -> dict[str, np.ndarray]:
    data = np.asarray(c3d["data"]["analogs"], dtype=float)
    if data.ndim != 3 or data.shape[1] == 0:
        return {}
    labels = list(_param(c3d["parameters"], "ANALOG", "LABELS") or [])
    out: dict[str, np.ndarray] = {}
    for i in range(data.shape[1]):
        name = str(labels[i]).strip() if i < len(labels) else f"analog{i}"
        while name in out:
            name += "_dup"
        out[name] = data[0, i]
    return out


def _stored_events(
    c3d: dict[str, Any], start_time_s: float, rate_hz: float, n_frames: int
) -> tuple[list[GaitEvent], list[QualityIssue]]:
    params = c3d["parameters"]
    times = _param(params, "EVENT", "TIMES")
    if times is None:
        return [], []
    arr = np.asarray(times, dtype=float)
    if arr.ndim == 1:  # some writers store [min, s, min, s, ...] flat
        arr = arr.reshape(-1, 2).T
    if arr.size == 0:
        return [], []
    seconds = arr[0] * 60.0 + arr[1]
    contexts = list(_param(params, "EVENT", "CONTEXTS") or [])
    labels = list(_param(params, "EVENT", "LABELS") or [])
    events: list[GaitEvent] = []
    skipped: list[str] = []
    for i, t_abs in enumerate(seconds):
        ctx = str(contexts[i]).strip().lower() if i < len(contexts) else ""
        kind = _EVENT_KINDS.get(str(labels[i]).replace(" ", "").lower() if i < len(labels) else "")
        if ctx not in ("left", "right") or kind is None:
            skipped.append(
                f"{contexts[i] if i < len(contexts) else '?'} "
                f"{labels[i] if i < len(labels) else '?'}"
            )
            continue
        t = float(t_abs) - start_time_s
        if t < -0.5 / rate_hz or t > (n_frames - 0.5) / rate_hz:
            skipped.append(f"{ctx} {labels[i]} at {t_abs:.3f} s (outside the recording)")
            continue
        side: Side = "left" if ctx == "left" else "right"
        events.append(
            GaitEvent(side, kind, t, round(t * rate_hz), "file")  # type: ignore[arg-type]
        )
    issues = []
    if skipped:
        issues.append(
            QualityIssue(
                "stored_events_skipped",
                f"{len(skipped)} stored event(s) were not gait events GroundUp uses and were "
                f"ignored: {', '.join(skipped[:6])}.",
            )
        )
    return sorted(events, key=lambda e: e.time_s), issues


def read_c3d(path: str | Path, label_map: LabelMap | None = None) -> Trial:
    """Read a C3D file into a Trial (see the module docstring for what is read and how)."""
    path = Path(path)
    c3d = _open_c3d(path)
    _check_complete(c3d, path)
    label_map = label_map or LabelMap.default()
    header = c3d["header"]
    rate = float(header["points"]["frame_rate"] or 0.0)
    if rate <= 0 or c3d["data"]["points"].shape[1] == 0:
        raise InputError(
            f"{path.name} holds no marker data (point rate {rate:g} Hz, "
            f"{c3d['data']['points'].shape[1]} points).",
            "Export the trial with its marker trajectories (not only analog data).",
        )
    points, labels, issues = _points(c3d, label_map)
    n_frames = int(c3d["data"]["points"].shape[2])
    start_time_s = float(header["points"]["first_frame"]) / rate
    events, event_issues = _stored_events(c3d, start_time_s, rate, n_frames)
    params = c3d["parameters"]
    mass = _first_number(_param(params, "PROCESSING", "Bodymass"))
    height_mm = _first_number(_param(params, "PROCESSING", "Height"))
    # Plug-in Gait stores LLegLength/RLegLength (mm); some exports spell them out. The mean of
    # the sides that are given, ignoring zeros (unset).
    legs = [
        _first_number(_param(params, "PROCESSING", name))
        for name in ("LLegLength", "RLegLength", "LeftLegLength", "RightLegLength")
    ]
    given = [v for v in legs if v]
    leg_mm = sum(given) / len(given) if given else None
    analog_rate = float(header["analogs"]["frame_rate"] or 0.0)
    return Trial(
        points=points,
        point_rate_hz=rate,
        point_units="m",
        point_labels=labels,
        start_time_s=start_time_s,
        force_plates=_force_plates(c3d),
        analogs=_analogs(c3d),
        analog_rate_hz=analog_rate or None,
        events=events,
        subject=Subject(
            mass_kg=mass,
            height_m=height_mm / 1000.0 if height_mm else None,
            leg_length_m=leg_mm / 1000.0 if leg_mm else None,
        ),
        source_path=str(path),
        source_kind="c3d",
        quality=[*issues, *event_issues],
    )
