"""Read and write TRC marker files (OpenSim, Pose2Sim, Sports2D, OpenCap, Motion Analysis).

TRC ("track row column", Motion Analysis Corporation) is the tab-separated marker format that
OpenSim reads. The layout accepted here (see docs/trc.md)::

    PathFileType  4  (X/Y/Z)  <file name>
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  ...
    100       100         300        2           mm     100           1                   ...
    Frame#  Time  LHEE        RHEE
                  X1  Y1  Z1  X2  Y2  Z2
    <optional blank line>
    1       0.00  ...                       (one row per frame; empty cell or NaN = missing)

What is read: marker names (mapped to canonical landmark names through the label map,
io/labels.py), positions converted to metres (Units ``mm``, ``cm`` or ``m``) or kept in pixels
(Units ``px``, or a Sports2D ``*_px*.trc`` file, whose header says ``m``), the rate from
``DataRate`` and the time of the first row. The header separators may be tabs or spaces (OpenCap
writes ``PathFileType  4``), the first frame number may be 0 or 1, the time may start at 0 or at
one frame period (Pose2Sim), and a blank line may follow the column header (OpenSim, OpenCap).

Specification: Motion Analysis Corporation, EVaRT/Cortex user manual, appendix "TRC file format";
OpenSim documentation, "Marker (.trc) Files".
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.io.labels import LabelMap, valid_frame_counts
from groundup.trial import Trial

_LENGTH_TO_M = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}
_PIXEL_UNITS = {"px", "pixel", "pixels"}
# Decimals written per unit: 1e-9 m resolution in mm, cm and m; 1e-4 px.
_DECIMALS = {"mm": 6, "cm": 7, "m": 9, "px": 4}
# Largest relative difference between DataRate and the rate implied by the Time column that is
# still taken as rounding of the written times (0.05 %: far above the rounding of a 6-decimal
# time column over a second, below the 0.1 % between 30 and 29.97 frames per second).
_TIME_RATE_TOLERANCE = 5e-4
# Absolute slack for short files: times written with 6 decimals are off by up to 1e-6 s each.
_TIME_ROUNDING_S = 1e-5
# Sports2D writes pixel coordinates to "<video>_Sports2D_px.trc" (or "..._px_person00.trc") with
# "m" in the Units field; the file name is the only sign that they are pixels.
_SPORTS2D_PIXEL_NAME = re.compile(r"_px(_|$)", re.IGNORECASE)
_HEADER_LINES = 5


def _fail_not_trc(path: Path, why: str) -> InputError:
    return InputError(
        f"{path.name} is not a TRC marker file ({why}).",
        "Give a .trc file as written by OpenSim, Pose2Sim, Sports2D, OpenCap or a "
        "motion-capture system (first line 'PathFileType 4 (X/Y/Z) ...'), or use the reader for "
        "this file type (see `groundup analyze --help`).",
    )


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise InputError(f"File not found: {path}.", "Check the path and the file name.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a TRC file.", "Give the path of a .trc file.")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise _fail_not_trc(path, "it is a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # marker names written by older Windows tools
    return text.splitlines()


def _header_fields(lines: list[str], path: Path) -> dict[str, str]:
    keys = lines[1].split()
    values = lines[2].split()
    fields = {k.lower(): v for k, v in zip(keys, values, strict=False)}
    missing = [
        k for k in ("DataRate", "NumFrames", "NumMarkers", "Units") if k.lower() not in fields
    ]
    if missing:
        raise InputError(
            f"The header of {path.name} lacks {', '.join(missing)} (line 2 names the fields, "
            "line 3 gives their values).",
            "Export the file again; a TRC header reads 'DataRate CameraRate NumFrames NumMarkers "
            "Units OrigDataRate OrigDataStartFrame OrigNumFrames' followed by their values.",
        )
    return fields


def _header_number(fields: dict[str, str], key: str, path: Path) -> float:
    try:
        value = float(fields[key.lower()])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(
            f"{key} in the header of {path.name} is {fields[key.lower()]!r}, not a valid number.",
            "Correct the header (line 3) or export the file again.",
        )
    return value


def _marker_names(lines: list[str], path: Path) -> list[str]:
    name_fields = lines[3].split("\t")
    if len(name_fields) < 2 or name_fields[0].strip().lower() != "frame#":
        raise _fail_not_trc(path, "line 4 does not start with 'Frame#' and 'Time'")
    names = [f.strip() for f in name_fields[2:] if f.strip()]
    if not names:
        raise InputError(
            f"{path.name} holds no markers: its column header names none.",
            "Export the trial with its marker trajectories.",
        )
    n_coordinates = len(lines[4].split())
    if n_coordinates != 3 * len(names):
        raise InputError(
            f"{path.name} names {len(names)} markers but labels {n_coordinates} coordinate "
            f"columns (X1 Y1 Z1 ...); a TRC file has 3 per marker.",
            "The header is damaged or was edited by hand: export the file again.",
        )
    return names


def _parse_rows(lines: list[str], n_columns: int, path: Path) -> np.ndarray:
    rows: list[np.ndarray] = []
    for line_no, line in enumerate(lines[_HEADER_LINES:], start=_HEADER_LINES + 1):
        if not line.strip():
            continue
        cells = line.split("\t") if "\t" in line else line.split()
        extra = cells[n_columns:]
        if len(cells) < n_columns or any(c.strip() for c in extra):
            raise InputError(
                f"Line {line_no} of {path.name} has {len([c for c in cells if c.strip()])} "
                f"values in {len(cells)} columns, but every row needs {n_columns} columns "
                "(Frame#, Time and X, Y, Z per marker; an empty cell is a missing value).",
                "The file is truncated or its rows are ragged: export or copy it again.",
            )
        try:
            rows.append(np.array([c.strip() or "nan" for c in cells[:n_columns]], dtype=float))
        except ValueError as exc:
            raise InputError(
                f"Line {line_no} of {path.name} holds a value that is not a number ({exc}).",
                "Export the file again; missing values must be empty cells or NaN.",
            ) from exc
    if not rows:
        raise InputError(
            f"{path.name} has a header but no frames.",
            "The file is truncated: export or copy it again.",
        )
    return np.vstack(rows)


def _is_pixels(units: str, path: Path) -> bool:
    return units in _PIXEL_UNITS or bool(_SPORTS2D_PIXEL_NAME.search(path.stem))


def _time_issue(time_s: np.ndarray, rate_hz: float) -> QualityIssue | None:
    if time_s.size < 2 or not np.isfinite(time_s).all():
        return None
    span_s = float(time_s[-1] - time_s[0])
    if span_s <= 0:
        return QualityIssue(
            "trc_time_rate_mismatch",
            f"The Time column does not increase; the DataRate of {rate_hz:g} Hz is used. "
            "Check the export settings.",
        )
    expected_span_s = (time_s.size - 1) / rate_hz
    slack_s = max(_TIME_RATE_TOLERANCE * expected_span_s, _TIME_ROUNDING_S)
    if abs(span_s - expected_span_s) <= slack_s:
        return None
    implied_hz = (time_s.size - 1) / span_s
    return QualityIssue(
        "trc_time_rate_mismatch",
        f"The header's DataRate is {rate_hz:g} Hz but the Time column advances at "
        f"{implied_hz:.4g} frames per second; DataRate is used, so times may drift. Check the "
        "frame rate set when the file was exported.",
    )


def read_trc(path: str | Path, label_map: LabelMap | None = None) -> Trial:
    """Read a TRC marker file into a Trial (positions in metres, or pixels for 2-D video files).

    Parameters
    ----------
    path:
        The ``.trc`` file.
    label_map:
        Maps marker labels to canonical landmark names; the default map
        (``knowledge/marker_labels.yaml``) when ``None``. Unrecognised labels are kept as names.

    Raises
    ------
    InputError
        When the file is not a TRC file, its header is incomplete, it names no markers, the
        coordinate columns do not match the markers, a row is ragged or not numeric, or it holds
        fewer frames than its header declares (truncated).

    Quality issues (``Trial.quality``): ``trc_time_rate_mismatch`` when the Time column disagrees
    with DataRate (DataRate is used), ``trc_header_mismatch`` when NumMarkers or NumFrames disagree
    with the data that follows, ``trc_pixel_file_name`` when a Sports2D pixel file is recognised
    by its name, plus the label map's notes on duplicate labels.
    """
    path = Path(path)
    lines = _read_lines(path)
    if not lines or not lines[0].split() or lines[0].split()[0].lower() != "pathfiletype":
        raise _fail_not_trc(path, "its first line does not start with 'PathFileType'")
    if len(lines) < _HEADER_LINES:
        raise InputError(
            f"{path.name} ends inside its 5-line header.",
            "The file is truncated: export or copy it again.",
        )
    fields = _header_fields(lines, path)
    rate_hz = _header_number(fields, "DataRate", path)
    if rate_hz <= 0:
        raise InputError(
            f"DataRate in the header of {path.name} is {fields['datarate']!r}.",
            "Set DataRate to the capture's frame rate in Hz (line 3 of the file).",
        )
    declared_frames = int(_header_number(fields, "NumFrames", path))
    declared_markers = int(_header_number(fields, "NumMarkers", path))
    units = fields["units"].strip().lower()
    pixels = _is_pixels(units, path)
    if not pixels and units not in _LENGTH_TO_M:
        raise InputError(
            f"{path.name} gives its positions in {fields['units']!r}; GroundUp reads TRC files "
            "in mm, cm, m or px.",
            "Export the markers in millimetres or metres.",
        )

    names = _marker_names(lines, path)
    data = _parse_rows(lines, 2 + 3 * len(names), path)
    n_frames = data.shape[0]
    if n_frames < declared_frames:
        raise InputError(
            f"{path.name} is truncated: its header announces {declared_frames} frames but only "
            f"{n_frames} follow.",
            "The file was cut short while copying or exporting: copy or export it again.",
        )

    issues: list[QualityIssue] = []
    if n_frames > declared_frames or declared_markers != len(names):
        issues.append(
            QualityIssue(
                "trc_header_mismatch",
                f"The header announces {declared_frames} frames and {declared_markers} markers; "
                f"the file holds {n_frames} frames of {len(names)} markers, which were all read. "
                "Check that the export finished normally.",
            )
        )
    time_issue = _time_issue(data[:, 1], rate_hz)
    if time_issue:
        issues.append(time_issue)

    positions = data[:, 2:].reshape(n_frames, len(names), 3).transpose(1, 0, 2).copy()
    if pixels:
        if units not in _PIXEL_UNITS:
            issues.append(
                QualityIssue(
                    "trc_pixel_file_name",
                    f"{path.name} says its units are {fields['units']!r}, but its name marks a "
                    "Sports2D pixel file (_px); its positions were read as pixels. Use the "
                    "Sports2D _m.trc file for positions in metres.",
                )
            )
        depth = positions[:, :, 2]
        if np.all((depth == 0) | np.isnan(depth)):
            positions = positions[:, :, :2].copy()  # 2-D keypoints carry an empty Z column
    else:
        positions *= _LENGTH_TO_M[units]

    label_map = label_map or LabelMap.default()
    chosen, notes = label_map.assign(names, valid_frame_counts(positions))
    points: dict[str, np.ndarray] = {}
    source_labels: dict[str, str] = {}
    for name, idx in chosen.items():
        points[name] = positions[idx]
        source_labels[name] = names[idx]
    used = set(chosen.values())
    for idx, label in enumerate(names):
        if idx in used:
            continue
        if label in points:
            notes.append(f"Label {label!r} appears more than once; only its first column is used.")
            continue
        points[label] = positions[idx]
        source_labels[label] = label
    issues.extend(QualityIssue("duplicate_marker_label", n) for n in notes)

    first_time_s = float(data[0, 1])
    return Trial(
        points=points,
        point_rate_hz=rate_hz,
        point_units="px" if pixels else "m",
        point_labels=source_labels,
        start_time_s=first_time_s if math.isfinite(first_time_s) else 0.0,
        source_path=str(path),
        source_kind="trc",
        quality=issues,
    )


def _column_names(trial: Trial) -> list[str]:
    """The source label of each landmark where it is usable and unique, else the landmark name."""
    labels = [trial.point_labels.get(name) or name for name in trial.points]
    out: list[str] = []
    for name, label in zip(trial.points, labels, strict=True):
        clean = label.strip()
        usable = clean and not any(ch in clean for ch in "\t\r\n") and labels.count(label) == 1
        out.append(clean if usable else name)
    if len(set(out)) != len(out):
        return list(trial.points)
    return out


def write_trc(trial: Trial, path: str | Path, units: str | None = None) -> None:
    """Write a Trial's point trajectories to a TRC file that OpenSim reads.

    Parameters
    ----------
    trial:
        The trial. Markers are written under their source label (``point_labels``), so that an
        OpenSim marker set written for the lab's labels (LHEE, RCAL...) finds them; the canonical
        name is used where there is no label or labels collide. 2-D trials get a zero Z column.
    path:
        The ``.trc`` file to write (overwritten if it exists).
    units:
        ``"mm"`` (the default for trials in metres), ``"cm"`` or ``"m"``; pixel trials are
        written in ``"px"`` only.

    Frames are numbered from 1 and timed ``start_time_s + frame / point_rate_hz``. Missing values
    (NaN) are written as empty cells, as OpenSim expects. Reading the file back with
    :func:`read_trc` gives the same positions within 1e-6 m.
    """
    path = Path(path)
    if not trial.points:
        raise InputError(
            "The trial holds no marker trajectories to write.",
            "Read a recording with markers before exporting it to TRC.",
        )
    pixels = trial.point_units == "px"
    units = units or ("px" if pixels else "mm")
    if pixels and units != "px":
        raise InputError(
            f"This trial is in pixels and cannot be written in {units!r}.",
            "Write it with units='px', or calibrate the video to metres first.",
        )
    if not pixels and units not in _LENGTH_TO_M:
        raise InputError(
            f"TRC units {units!r} are not supported for a trial in metres.",
            "Use units='mm' (OpenSim's usual choice), 'cm' or 'm'.",
        )
    rate_hz = float(trial.point_rate_hz)
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(
            f"The trial's point rate is {rate_hz!r} Hz.", "Set the frame rate before exporting."
        )

    n_frames = trial.n_frames
    scale = 1.0 if pixels else 1.0 / _LENGTH_TO_M[units]
    columns: list[np.ndarray] = []
    for arr in trial.points.values():
        xyz = np.asarray(arr, dtype=float)
        if xyz.shape[1] == 2:
            xyz = np.column_stack([xyz, np.zeros(n_frames)])
        columns.append(xyz[:, :3] * scale)
    values = np.hstack(columns)
    names = _column_names(trial)
    decimals = _DECIMALS[units]
    rate_text = f"{rate_hz:.10g}"

    header = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{rate_text}\t{rate_text}\t{n_frames}\t{len(names)}\t{units}\t{rate_text}\t1\t{n_frames}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
        "",
    ]
    rows = []
    for frame in range(n_frames):
        time_s = trial.start_time_s + frame / rate_hz
        cells = ["" if math.isnan(v) else f"{v:.{decimals}f}" for v in values[frame]]
        rows.append(f"{frame + 1}\t{time_s:.6f}\t" + "\t".join(cells))
    try:
        path.write_text("\n".join([*header, *rows]) + "\n", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InputError(
            f"{path} could not be written ({exc.strerror or exc}).",
            "Check that the folder exists and that you may write there.",
        ) from exc
