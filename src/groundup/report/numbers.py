"""Numbers in the report, always read from the JSON documents and tagged with where they came from.

Every number the report shows goes through :func:`num`. It writes the value rounded for reading
and the JSON path it was read from (``data-src``), e.g.
``<span class="num" data-src="analysis/0/spatiotemporal/left/stride_time_s">0.966</span>``.
The test suite resolves every ``data-src`` in the rendered HTML against the JSON files and checks
the shown number equals the stored one within its rounding, so the report cannot drift from the
data (no number is recomputed in the report).
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

MISSING_TEXT = "–"


def format_number(value: float | int, digits: int, *, signed: bool = False) -> str:
    """``value`` rounded to ``digits`` decimals (integers stay integers), minus sign as ``-``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and digits == 0:
        text = f"{value:d}"
    else:
        text = f"{float(value):.{digits}f}"
        if text in {"-0", "-0.0", "-0.00", "-0.000"}:
            text = text[1:]
    if signed and not text.startswith("-") and float(value) != 0:
        text = "+" + text
    return text


def num(
    value: Any,
    src: str,
    digits: int = 1,
    unit: str = "",
    *,
    signed: bool = False,
) -> Markup:
    """HTML for one number read from ``src`` (JSON path), or a dash when it is missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Markup('<span class="num na" data-src="{}" title="not measurable">{}</span>').format(
            src, MISSING_TEXT
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Markup("{}").format(str(value))
    shown = format_number(value, digits, signed=signed)
    unit_html = Markup('<span class="unit">&#8239;{}</span>').format(unit) if unit else ""
    return Markup('<span class="num" data-src="{}" data-digits="{}">{}</span>{}').format(
        src, digits, shown, unit_html
    )


def digits_for(value: Any, default: int = 1) -> int:
    """Decimals to show for a stored value: whole numbers 0, else ``default``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 0
    if isinstance(value, float) and value.is_integer():
        return 0
    return default


def join_path(*parts: object) -> str:
    return "/".join(str(p) for p in parts)


def text(value: object) -> Markup:
    """Escaped text."""
    return escape("" if value is None else str(value))
