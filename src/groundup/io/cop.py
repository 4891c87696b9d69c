"""Readers for centre-of-pressure (COP) recordings of quiet standing.

Every reader returns a :class:`CopRecording`: anterior-posterior (AP) and medio-lateral (ML) COP
in millimetres in the plate/lab frame (not zero-mean), the sampling rate, and the vertical force
when the file has it. Formats:

- **GroundUp CSV** (comma, semicolon or tab separated, one header line): ``time_s`` (optional),
  ``cop_ap_<unit>`` and ``cop_ml_<unit>`` with unit ``mm``, ``cm`` or ``m``, optional
  ``force_vertical_n``. Without ``time_s`` the rate must be given.
- **BDS text** (Santos & Duarte 2016, one plate): ``Time[s] ... Fz[N] ... COPx[cm] COPy[cm]``;
  COPx is AP and COPy is ML, in centimetres.
- **PDS text** (dos Santos et al. 2017, two plates): ``Time ... GRFNET_Y ... COPNET_X COPNET_Z``;
  lab frame with Y vertical, COPNET_X is AP and COPNET_Z is ML, in metres.
- **C3D** force plates through :func:`groundup.io.c3d.read_c3d` (net COP of all plates, weighted
  by vertical force). The lab's first horizontal axis is taken as AP: check it for your lab.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groundup.errors import InputError, QualityIssue

_UNIT_TO_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0}

GROUNDUP_COLUMNS = "time_s (optional), cop_ap_mm|cop_ap_cm|cop_ap_m, cop_ml_mm|cop_ml_cm|cop_ml_m"
BDS_COLUMNS = ("Time[s]", "COPx[cm]", "COPy[cm]")
PDS_COLUMNS = ("Time", "COPNET_X", "COPNET_Z")


@dataclass
class CopRecording:
    """A COP recording: AP and ML in mm (plate/lab frame), sampled at ``rate_hz``."""

    ap_mm: np.ndarray
    ml_mm: np.ndarray
    rate_hz: float
    source_format: str
    time_s: np.ndarray | None = None
    force_vertical_n: np.ndarray | None = None
    quality: list[QualityIssue] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return int(self.ap_mm.shape[0])


def read_cop(path: str | Path, rate_hz: float | None = None) -> CopRecording:
    """Read a COP recording (format chosen from the extension and the header line)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"COP recording {path.name} not found.", "Check the path.")
    if path.suffix.lower() == ".c3d":
        return _read_c3d_cop(path, rate_hz)
    header, data = _read_table(path)
    cols = {name: i for i, name in enumerate(header)}
    if all(c in cols for c in BDS_COLUMNS):
        rec = CopRecording(
            ap_mm=data[:, cols["COPx[cm]"]] * _UNIT_TO_MM["cm"],
            ml_mm=data[:, cols["COPy[cm]"]] * _UNIT_TO_MM["cm"],
            rate_hz=0.0,
            source_format="bds",
            time_s=data[:, cols["Time[s]"]],
            force_vertical_n=data[:, cols["Fz[N]"]] if "Fz[N]" in cols else None,
        )
    elif all(c in cols for c in PDS_COLUMNS):
        rec = CopRecording(
            ap_mm=data[:, cols["COPNET_X"]] * _UNIT_TO_MM["m"],
            ml_mm=data[:, cols["COPNET_Z"]] * _UNIT_TO_MM["m"],
            rate_hz=0.0,
            source_format="pds",
            time_s=data[:, cols["Time"]],
            force_vertical_n=data[:, cols["GRFNET_Y"]] if "GRFNET_Y" in cols else None,
        )
    else:
        ap = _unit_column(cols, "cop_ap")
        ml = _unit_column(cols, "cop_ml")
        if ap is None or ml is None:
            raise InputError(
                f"{path.name} does not have the columns of a COP recording; found: "
                f"{', '.join(header) or 'no header'}.",
                f"Expected a GroundUp COP CSV with {GROUNDUP_COLUMNS} (see docs/exam.md), or a "
                f"BDS ({', '.join(BDS_COLUMNS)}) or PDS ({', '.join(PDS_COLUMNS)}) text file.",
            )
        rec = CopRecording(
            ap_mm=data[:, cols[ap[0]]] * _UNIT_TO_MM[ap[1]],
            ml_mm=data[:, cols[ml[0]]] * _UNIT_TO_MM[ml[1]],
            rate_hz=0.0,
            source_format="groundup_csv",
            time_s=data[:, cols["time_s"]] if "time_s" in cols else None,
            force_vertical_n=data[:, cols["force_vertical_n"]]
            if "force_vertical_n" in cols
            else None,
        )
    rec.rate_hz = _rate(path, rec.time_s, rate_hz)
    check_cop_units(rec, path.name)
    return rec


def check_cop_units(rec: CopRecording, name: str) -> None:
    """Refuse COP values no person standing on a plate can give (``knowledge/plausibility.yaml``):
    a COP that never moves, one kilometres away or sweeping metres (metres under a millimetre
    header), or one that barely moves (centimetres under a millimetre header: sway ten times too
    small). Samples without a value are left to the sway check, which names them."""
    from groundup.exam.catalogue import load_catalogue
    from groundup.yaml_files import plausibility

    method = load_catalogue().entry("cop_sway").data["method"]
    if not method["min_rate_hz"] <= rec.rate_hz <= method["max_rate_hz"]:
        return  # the sway check refuses the rate first: sway speeds mean nothing at it
    ap, ml = rec.ap_mm, rec.ml_mm
    ok = np.isfinite(ap) & np.isfinite(ml)
    if ok.sum() < 3:
        return
    ap, ml = ap[ok], ml[ok]
    header = "Check the unit in the column names (mm, cm or m) against the device's export."
    largest = float(max(np.max(np.abs(ap)), np.max(np.abs(ml))))
    if largest > plausibility("cop", "max_abs_position_mm"):
        raise InputError(
            f"{name}: COP values reach {largest:.3g} mm from the plate origin, farther than any "
            "force plate; the values are not in the unit the header says.",
            header,
        )
    if np.ptp(ap) == 0 and np.ptp(ml) == 0:
        raise InputError(
            f"{name}: the COP never moves (every value is {ap[0]:g}); nobody stood on the plate "
            "or the export holds no data.",
            "Export the recording again with the COP columns filled.",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        span = float(
            max(np.ptp(np.percentile(ap, [2.5, 97.5])), np.ptp(np.percentile(ml, [2.5, 97.5])))
        )
        speed = float(np.nanmean(np.hypot(np.diff(ap), np.diff(ml)))) * rec.rate_hz
    if span > plausibility("cop", "max_sway_range_mm"):
        raise InputError(
            f"{name}: the COP sways over {span:.0f} mm, more than a foot's length; the values "
            "are larger than millimetres (metres or an unscaled export under a mm header?).",
            header,
        )
    low = plausibility("cop", "min_mean_velocity_mm_s")
    if np.isfinite(speed) and speed < low:
        raise InputError(
            f"{name}: the COP moves {speed:.2f} mm/s on average; a person standing sways at "
            f"least about {low:g} mm/s (values in centimetres under a millimetre header give a "
            "tenth of the real sway).",
            header,
        )


def _unit_column(cols: dict[str, int], stem: str) -> tuple[str, str] | None:
    for unit in _UNIT_TO_MM:
        if f"{stem}_{unit}" in cols:
            return f"{stem}_{unit}", unit
    return None


def _read_table(path: Path) -> tuple[list[str], np.ndarray]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(
            f"{path.name} cannot be read as text ({e}).",
            "Give a CSV/text COP recording or a C3D file.",
        ) from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise InputError(f"{path.name} has no data rows.", "Export the whole recording.")
    first = lines[0]
    delim = "\t" if "\t" in first else ";" if ";" in first else ","
    header = [h.strip() for h in next(csv.reader([first], delimiter=delim))]
    rows: list[list[float]] = []
    for lineno, line in enumerate(lines[1:], start=2):
        parts = [p.strip() for p in line.split(delim)]
        if len(parts) != len(header):
            raise InputError(
                f"{path.name} line {lineno} has {len(parts)} values but the header has "
                f"{len(header)} columns.",
                "Repair or re-export the file.",
            )
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise InputError(
                f"{path.name} line {lineno} holds a value that is not a number.",
                "Repair or re-export the file (decimal point, no units in cells).",
            ) from None
    data = np.asarray(rows, dtype=float)
    return header, data


def _rate(path: Path, time_s: np.ndarray | None, rate_hz: float | None) -> float:
    """The sampling rate from the time column, checked against a given rate."""
    if time_s is not None and time_s.size < 3:
        raise InputError(
            f"{path.name} holds only {time_s.size} sample(s).",
            "Export the whole recording (quiet standing is usually recorded for 60 s).",
        )
    if time_s is None:
        if rate_hz is None:
            raise InputError(
                f"{path.name} has no time column, so its sampling rate is unknown.",
                "Add a time_s column (seconds) to the file; in an exam file, the cop_sway "
                "test's rate_hz field gives the rate instead.",
            )
        if not (np.isfinite(rate_hz) and rate_hz > 0):
            raise InputError(
                f"{path.name}: the sampling rate {rate_hz:g} Hz is not a rate.",
                "Give the rate the device recorded at, in Hz.",
            )
        return float(rate_hz)
    if not np.all(np.isfinite(time_s)):
        raise InputError(
            f"{path.name}: the time column has empty or non-numeric values.",
            "Export the recording with its original time stamps.",
        )
    dt = np.diff(time_s)
    step = float(np.median(dt))
    if step <= 0 or np.any(dt <= 0):
        raise InputError(
            f"{path.name}: the time column does not increase steadily.",
            "Export the recording with its original time stamps.",
        )
    if np.max(np.abs(dt - step)) > 0.01 * step:
        raise InputError(
            f"{path.name}: irregular sampling (time steps from {dt.min():.4g} to "
            f"{dt.max():.4g} s).",
            "Use a recording with a constant sampling rate.",
        )
    file_rate = 1.0 / step
    if rate_hz is not None and abs(rate_hz - file_rate) > 0.01 * file_rate:
        raise InputError(
            f"{path.name}: rate_hz {rate_hz:g} Hz was given but the time column steps by "
            f"{step:.6g} s ({file_rate:.6g} Hz).",
            "Leave rate_hz out (the time column is used) or give the rate the device recorded at.",
        )
    return round(file_rate, 6)


def _read_c3d_cop(path: Path, rate_hz: float | None) -> CopRecording:
    try:
        from groundup.io.c3d import read_c3d
    except ImportError:  # pragma: no cover - the reader ships with the package
        raise InputError(
            "C3D reading is not available in this installation.",
            "Export the COP as CSV (docs/exam.md).",
        ) from None
    trial = read_c3d(path)
    if not trial.force_plates:
        raise InputError(
            f"{path.name} has no force plates.", "Use a recording with force-plate data."
        )
    force = np.stack([p.force_n for p in trial.force_plates])
    cop = np.stack([p.cop_m for p in trial.force_plates])
    vertical = int(np.argmax(np.nanmean(np.abs(force.sum(axis=0)), axis=0)))
    horizontal = [i for i in range(3) if i != vertical]
    fz = np.clip(force[:, :, vertical], 0.0, None)
    total = fz.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.nansum(cop * fz[:, :, None], axis=0) / total[:, None]
    rate = trial.force_plates[0].rate_hz
    if rate_hz is not None and abs(rate_hz - rate) > 0.01 * rate:
        raise InputError(
            f"{path.name}: rate_hz {rate_hz:g} Hz was given but the force plates "
            f"record at {rate:g} Hz.",
            "Leave rate_hz out for C3D files.",
        )
    return CopRecording(
        ap_mm=net[:, horizontal[0]] * 1000.0,
        ml_mm=net[:, horizontal[1]] * 1000.0,
        rate_hz=float(rate),
        source_format="c3d",
        force_vertical_n=total,
        quality=[
            QualityIssue(
                "ap_ml_from_lab_axes",
                f"AP/ML were taken as lab axes {'xyz'[horizontal[0]]}/"
                f"{'xyz'[horizontal[1]]}: check "
                "that the patient faced along the lab's first horizontal axis.",
            )
        ],
    )
