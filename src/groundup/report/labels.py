"""Readable labels for JSON field names: ``force_n_per_kg`` -> ("Force", "N/kg")."""

from __future__ import annotations

# Unit suffixes of field names (the project's naming rule puts the unit last), longest first.
_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_n_per_kg", "N/kg"),
    ("_nm_per_kg", "N·m/kg"),
    ("_steps_per_min", "steps/min"),
    ("_m_s", "m/s"),
    ("_mm_s", "mm/s"),
    ("_mm2_s", "mm²/s"),
    ("_mm2", "mm²"),
    ("_pct_limb", "% limb length"),
    ("_si_pct", "%"),
    ("_pct", "%"),
    ("_deg", "°"),
    ("_hz", "Hz"),
    ("_mm", "mm"),
    ("_cm", "cm"),
    ("_kg", "kg"),
    ("_m", "m"),
    ("_s", "s"),
    ("_n", "N"),
)

_WORDS = {
    "fppa": "FPPA",
    "ahi": "AHI",
    "si": "SI",
    "ap": "AP",
    "ml": "ML",
    "rd": "RD",
    "cop": "COP",
    "odi": "ODI",
    "psfs": "PSFS",
    "rmdq": "RMDQ",
    "nrs": "NRS",
    "gps": "GPS",
    "gvs": "GVS",
    "24h": "24 h",
    "fpi": "FPI",
    "aslr": "ASLR",
    "sb": "SB",
}


def split_unit(key: str) -> tuple[str, str]:
    """(name without unit, unit text) of a field name."""
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], unit
    return key, ""


def humanize(name: str) -> str:
    words = [_WORDS.get(w, w) for w in name.replace("-", "_").split("_") if w]
    if not words:
        return name
    first = words[0]
    words[0] = first[:1].upper() + first[1:] if first not in _WORDS.values() else first
    return " ".join(words)


def field_label(key: str) -> tuple[str, str]:
    """(label, unit) for a JSON field name."""
    name, unit = split_unit(key)
    return humanize(name), unit


def side_label(side: str | None) -> str:
    return {"left": "Left", "right": "Right", None: ""}.get(side, str(side).capitalize())
