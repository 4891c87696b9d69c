"""Reading and checking the values a therapist entered, one field at a time.

Each problem becomes an :class:`ExamInputError` that names the field (as a dotted path in the
exam file), the value and what was expected, so that a form or the CLI can point at it. A value
may carry its unit as text (``"8 mm"``); a value in another unit than the field's is refused with
the converted value to enter instead.
"""

from __future__ import annotations

import math
import re
from typing import Any

from groundup.errors import InputError
from groundup.exam.loader import Duplicate

SIDES = ("left", "right")

# Conversion factors to a base unit per dimension, used only to suggest the right value.
_LENGTH_M = {"mm": 1e-3, "cm": 1e-2, "m": 1.0, "in": 0.0254}
_TIME_S = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0}
_ANGLE_DEG = {"deg": 1.0, "degrees": 1.0, "°": 1.0, "rad": 180.0 / math.pi}
_FORCE_N = {"n": 1.0, "kgf": 9.80665, "lbf": 4.4482216}
_DIMENSIONS = (_LENGTH_M, _TIME_S, _ANGLE_DEG, _FORCE_N)
_UNIT_WORDS = {
    "mm": "millimetres",
    "cm": "centimetres",
    "m": "metres",
    "s": "seconds",
    "deg": "degrees",
    "N": "newtons",
    "Hz": "hertz",
}

_VALUE_WITH_UNIT = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*([A-Za-z°]+)\s*$")


class ExamInputError(InputError):
    """One bad value in an exam file: which field, what value, what was expected."""

    def __init__(self, field: str, value: Any, expected: str, fix: str = "") -> None:
        self.field = field
        self.value = value
        self.expected = expected
        shown = _show(value)
        super().__init__(
            f"{field}: {shown} is not valid; expected {expected}.",
            fix or "Correct this value in the exam file (the rest of the exam is still scored).",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": _jsonable(self.value),
            "expected": self.expected,
            "message": f"{self.problem} {self.fix}".strip(),
        }


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "an empty value"
    return str(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def unit_of(name: str) -> str | None:
    """The unit suffix of a field name (``drop_mm`` -> ``mm``), if it has a known one."""
    suffix = name.rsplit("_", 1)[-1]
    for dim in _DIMENSIONS:
        if suffix.lower() in {u.lower() for u in dim}:
            return suffix
    return None


def _factor(unit: str) -> tuple[int, float] | None:
    for i, dim in enumerate(_DIMENSIONS):
        for u, f in dim.items():
            if u.lower() == unit.lower():
                return i, f
    return None


def convert(value: float, from_unit: str, to_unit: str) -> float | None:
    """Convert between units of one dimension; None when they are not of one dimension."""
    a, b = _factor(from_unit), _factor(to_unit)
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


def _range_text(spec: dict[str, Any]) -> str:
    unit = spec.get("unit", "")
    lo, hi = spec.get("min"), spec.get("max")
    unit_txt = f" {unit}" if unit and unit not in ("points", "repetitions", "ratio") else ""
    if lo is not None and hi is not None:
        return f"a number from {lo} to {hi}{unit_txt}"
    if lo is not None:
        return f"a number of at least {lo}{unit_txt}"
    return f"a number{unit_txt}"


def parse_number(path: str, raw: Any, spec: dict[str, Any], integer: bool = False) -> float:
    """A number within the spec's range, in the spec's unit."""
    unit = str(spec.get("unit", ""))
    expected = (
        _range_text(spec) if not integer else _range_text(spec).replace("number", "whole number")
    )
    value: float
    if isinstance(raw, bool) or raw is None:
        raise ExamInputError(path, raw, expected)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        m = _VALUE_WITH_UNIT.match(raw)
        plain = raw.strip().replace(",", ".")
        if m:
            number = float(m.group(1).replace(",", "."))
            given = m.group(2)
            if unit and given.lower() != unit.lower():
                conv = convert(number, given, unit)
                fix = (
                    f"Give it in {unit} ({_UNIT_WORDS.get(unit, unit)}): {raw.strip()} = "
                    f"{conv:g} {unit}."
                    if conv is not None
                    else f"Give it in {unit}."
                )
                raise ExamInputError(path, raw, f"{expected} (in {unit}, not {given})", fix)
            value = number
        else:
            try:
                value = float(plain)
            except ValueError:
                raise ExamInputError(path, raw, expected) from None
    else:
        raise ExamInputError(path, raw, expected)
    if not math.isfinite(value):
        raise ExamInputError(path, raw, expected)
    if integer and value != int(value):
        raise ExamInputError(path, raw, expected)
    lo, hi = spec.get("min"), spec.get("max")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ExamInputError(path, raw, expected, _unit_hint(value, spec))
    return int(value) if integer else value


def _unit_hint(value: float, spec: dict[str, Any]) -> str:
    """Guess whether an out-of-range value was entered in a neighbouring unit."""
    unit = str(spec.get("unit", ""))
    lo, hi = spec.get("min"), spec.get("max")
    dim = _factor(unit)
    if dim is not None and lo is not None and hi is not None:
        for other in _DIMENSIONS[dim[0]]:
            if other.lower() == unit.lower():
                continue
            conv = convert(value, other, unit)
            if conv is not None and lo <= conv <= hi and conv != value:
                return (
                    f"Was it measured in {other}? {value:g} {other} = {conv:g} {unit}; "
                    f"enter values in {unit}."
                )
    return "Check the measurement and enter it in the unit of the field name."


def parse_choice(path: str, raw: Any, spec: dict[str, Any]) -> str:
    choices = [str(c) for c in spec["choices"]]
    if isinstance(raw, bool) and set(choices) == {"positive", "negative"}:
        return "positive" if raw else "negative"
    if isinstance(raw, str):
        norm = raw.strip().lower().replace(" ", "_").replace("-", "_")
        if norm in choices:
            return norm
    raise ExamInputError(path, raw, "one of: " + ", ".join(choices))


def parse_boolean(path: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("yes", "no", "true", "false"):
        return raw.strip().lower() in ("yes", "true")
    raise ExamInputError(path, raw, "yes or no (true/false)")


def parse_integer_list(path: str, raw: Any, spec: dict[str, Any]) -> list[int]:
    n = int(spec["length"])
    expected = f"a list of {n} whole numbers from {spec['min']} to {spec['max']}"
    if not isinstance(raw, list) or len(raw) != n:
        got = f" (got {len(raw)} items)" if isinstance(raw, list) else ""
        raise ExamInputError(path, raw, expected + got)
    out = []
    for i, v in enumerate(raw):
        out.append(int(parse_number(f"{path}[{i + 1}]", v, spec, integer=True)))
    return out


def parse_trials(path: str, raw: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """A single value or a list of trials (the maximum is used)."""
    if isinstance(raw, list):
        if not 1 <= len(raw) <= 10:
            raise ExamInputError(path, raw, "a number or a list of 1 to 10 trials")
        trials = [parse_number(f"{path}[{i + 1}]", v, spec) for i, v in enumerate(raw)]
        return {"value": max(trials), "trials": trials}
    return {"value": parse_number(path, raw, spec), "trials": None}


def parse_value(path: str, raw: Any, spec: dict[str, Any]) -> Any:
    kind = spec.get("type", "number")
    if isinstance(raw, Duplicate):
        raise ExamInputError(
            path,
            list(raw),
            f"one value (it was given {len(raw)} times)",
            "Keep the one value that is right and delete the others.",
        )
    if kind == "number":
        return parse_number(path, raw, spec)
    if kind == "integer":
        return parse_number(path, raw, spec, integer=True)
    if kind == "boolean":
        return parse_boolean(path, raw)
    if kind == "choice":
        return parse_choice(path, raw, spec)
    if kind == "integer_list":
        return parse_integer_list(path, raw, spec)
    if kind == "number_or_trials":
        return parse_trials(path, raw, spec)
    if kind == "path":
        if not isinstance(raw, str) or not raw.strip():
            raise ExamInputError(path, raw, "a file path (text)")
        return raw.strip()
    raise ValueError(f"unknown field type {kind!r}")


def parse_fields(
    path: str, raw: Any, inputs: dict[str, dict[str, Any]], at_least_one_of: list[str] | None = None
) -> tuple[dict[str, Any], list[ExamInputError]]:
    """Check a test's fields against its catalogue inputs.

    Returns the parsed values (sided fields as ``{"left": v, "right": v}`` holding the sides that
    were given) and every error found; a bad field never hides the good ones.
    """
    errors: list[ExamInputError] = []
    values: dict[str, Any] = {}
    covered: set[str] = set()  # fields entered under another unit's name (already reported)
    if not isinstance(raw, dict):
        errors.append(ExamInputError(path, raw, "a mapping of fields: " + ", ".join(inputs)))
        return values, errors
    for name, given in raw.items():
        fpath = f"{path}.{name}"
        spec = inputs.get(str(name))
        if spec is None:
            err, meant = _unknown_field(fpath, str(name), given, inputs)
            errors.append(err)
            if meant:
                covered.add(meant)
            continue
        if given is None:
            continue  # left blank = not assessed
        if spec.get("sided"):
            if not isinstance(given, dict) or not given:
                errors.append(
                    ExamInputError(
                        fpath, given, "left and/or right values, e.g. {left: ..., right: ...}"
                    )
                )
                continue
            sided: dict[str, Any] = {}
            for side, v in given.items():
                if side not in SIDES:
                    errors.append(
                        ExamInputError(f"{fpath}.{side}", v, "the sides 'left' and 'right'")
                    )
                    continue
                if v is None:
                    continue
                try:
                    sided[side] = parse_value(f"{fpath}.{side}", v, spec)
                except ExamInputError as e:
                    errors.append(e)
            if sided:
                values[str(name)] = sided
        else:
            try:
                values[str(name)] = parse_value(fpath, given, spec)
            except ExamInputError as e:
                errors.append(e)
    depth = len(path.split("."))
    failed = {e.field.split(".")[depth] for e in errors if len(e.field.split(".")) > depth}
    for name, spec in inputs.items():
        if spec.get("required") and name not in values and name not in failed | covered:
            errors.append(
                ExamInputError(
                    f"{path}.{name}",
                    None,
                    f"{_describe(spec)} (required for this test)",
                    "Fill it in, or remove the whole test if it was not assessed.",
                )
            )
    if at_least_one_of and not any(n in values for n in at_least_one_of) and not errors:
        errors.append(
            ExamInputError(
                path,
                raw,
                "at least one of: " + ", ".join(at_least_one_of),
                "Fill in at least one measurement, or remove the test if it was not done.",
            )
        )
    return values, errors


def _describe(spec: dict[str, Any]) -> str:
    kind = spec.get("type", "number")
    base = {
        "choice": "one of: " + ", ".join(map(str, spec.get("choices", []))),
        "boolean": "yes or no",
        "integer_list": f"a list of {spec.get('length')} scores",
        "path": "a file path",
    }.get(kind, _range_text(spec))
    return base + (" for left and/or right" if spec.get("sided") else "")


def _unknown_field(
    fpath: str, name: str, given: Any, inputs: dict[str, dict[str, Any]]
) -> tuple[ExamInputError, str | None]:
    """The error for a field the test does not have, and the field probably meant."""
    unit = unit_of(name)
    if unit:
        stem = name[: -len(unit) - 1]
        for known in inputs:
            kunit = unit_of(known)
            if kunit and known[: -len(kunit) - 1] == stem:
                return ExamInputError(
                    fpath,
                    given,
                    f"the field {known} (in {kunit}, not {unit})",
                    f"Convert the value to {kunit} and enter it as {known}.",
                ), known
    return ExamInputError(
        fpath,
        given,
        "one of the fields: " + ", ".join(inputs),
        "Check the spelling against docs/exam.md or `groundup exam template`.",
    ), None
