"""Reading exam files (YAML or JSON): any common text encoding, bounded, and only exam fields.

- **Encodings**: UTF-8 (with or without BOM), UTF-16 (as Windows Notepad saves "Unicode") and
  Latin-1/Windows-1252 (one umlaut from an old editor) are recognised; anything else is refused
  with a message.
- **Limits**: the file size, the nesting depth and the number of values are bounded, and YAML
  anchors/aliases are refused (an exam never needs them, and they can expand without end).
- **Every parser error** (an impossible date, a number too large, a list used as a key, bad
  syntax) becomes an :class:`~groundup.errors.InputError` naming the field or line and saying
  what to do.
- **Duplicated keys**: YAML and JSON silently keep the last of two equal keys. An exam must not:
  an ODI section answered twice is an error to show. Duplicated keys are therefore kept as a
  :class:`Duplicate` list of all the values given, which the scorers report as "answered twice".
- **Allow-list**: the fields an exam may hold are those of the blank exam
  (:func:`groundup.exam.template.exam_template`, generated from the exam catalogue) plus the
  scorer's sections and patient fields. The value of any other field is replaced by
  :data:`HIDDEN` before scoring, so the scorer refuses the field by name and never repeats what
  was written there (a name, a birth date, a health-service number).
"""

from __future__ import annotations

import codecs
import datetime as _dt
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from groundup.errors import InputError

MAX_EXAM_BYTES = 1_000_000
"""An exam is a few kilobytes; a larger file is not an exam."""
MAX_NESTING = 12
"""The exam's deepest structure (questionnaire -> answers -> item -> list) is 5 levels."""
MAX_VALUES = 20_000
MAX_NUMBER_DIGITS = 30
HIDDEN = "(hidden: not an exam field)"
"""What an unknown field's value is replaced with (see the module docstring)."""

_FIX_SYNTAX = "Fix the syntax, or start again from `groundup exam template`."
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class Duplicate(list):  # type: ignore[type-arg]
    """All values given for a key that appeared more than once."""


class _BadValueError(Exception):
    """A value the exam cannot hold; carries the field path found so far."""

    def __init__(self, line: int, text: str, expected: str, fix: str) -> None:
        super().__init__(text)
        self.line, self.text, self.expected, self.fix = line, text, expected, fix
        self.path: list[str] = []


def _add(mapping: dict[Any, Any], key: Any, value: Any) -> None:
    if key in mapping:
        old = mapping[key]
        mapping[key] = (
            Duplicate([*old, value]) if isinstance(old, Duplicate) else Duplicate([old, value])
        )
    else:
        mapping[key] = value


class _ExamLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _BadValueError(
                key_node.start_mark.line + 1,
                "a list or mapping",
                "a field name as the key",
                "Write each field as `name: value`; a list or mapping cannot be a field name.",
            )
        key = loader.construct_object(key_node, deep=True)
        try:
            value = loader.construct_object(value_node, deep=True)
        except _BadValueError as bad:
            bad.path.insert(0, str(key))
            raise
        _add(out, key, value)
    return out


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        raise _BadValueError(
            node.start_mark.line + 1,
            str(node.value),
            "a date that exists (YYYY-MM-DD)",
            "Check the day and month (e.g. February has 28 or 29 days).",
        ) from None


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    if len(str(node.value)) > MAX_NUMBER_DIGITS:
        raise _BadValueError(
            node.start_mark.line + 1,
            f"a number of {len(str(node.value))} digits",
            "a measurement of ordinary size",
            "Enter the value measured (a few digits).",
        )
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value) or len(str(node.value)) > MAX_NUMBER_DIGITS + 10:
        raise _BadValueError(
            node.start_mark.line + 1,
            str(node.value)[:20],
            "a finite number of ordinary size",
            "Enter the value measured, or leave the field empty if it was not assessed.",
        )
    return value


_ExamLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]
_ExamLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)  # type: ignore[arg-type]
_ExamLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)  # type: ignore[arg-type]
_ExamLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)  # type: ignore[arg-type]


def decode_text(raw: bytes, name: str) -> str:
    """Text of an exam or data file in UTF-8 (BOM or not), UTF-16 (BOM, or detected from its
    zero bytes) or Windows-1252/Latin-1; InputError for anything else (a binary file)."""
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif len(raw) >= 4 and raw[1::2].count(0) > 0.4 * (len(raw) // 2) and raw[0] != 0:
        candidates = ["utf-16-le"]
    elif len(raw) >= 4 and raw[0::2].count(0) > 0.4 * (len(raw) // 2):
        candidates = ["utf-16-be"]
    else:
        candidates = ["utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not any(ord(c) < 32 and c not in "\t\n\r" for c in text) and "\x7f" not in text:
            return text
    raise InputError(
        f"{name} is not a text file GroundUp can read (not UTF-8, UTF-16 or Latin-1 text).",
        "Save it as text in UTF-8 (in Notepad: Save as, Encoding UTF-8), or start again from "
        "`groundup exam template`.",
    )


def _check_yaml_shape(text: str, name: str) -> None:
    """Refuse deep nesting, too many values and anchors/aliases before building anything
    (the event parser is not recursive, the constructor is)."""
    depth = values = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise InputError(
                    f"{name} uses YAML anchors or aliases (& or *, line "
                    f"{event.start_mark.line + 1}).",
                    "Write every value out; an exam file does not use anchors.",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    raise InputError(
                        f"{name} is nested {MAX_NESTING + 1} or more levels deep (line "
                        f"{event.start_mark.line + 1}); an exam has at most 5.",
                        "Start again from `groundup exam template`.",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent):
                values += 1
                if values > MAX_VALUES:
                    raise InputError(
                        f"{name} holds more than {MAX_VALUES} values; an exam holds a few hundred.",
                        "Give the exam file, not another data file.",
                    )
    except yaml.YAMLError as e:
        raise _yaml_error(e, name) from None


def _yaml_error(e: yaml.YAMLError, name: str) -> InputError:
    mark = getattr(e, "problem_mark", None)
    where = f" (line {mark.line + 1})" if mark is not None else ""
    problem = str(getattr(e, "problem", None) or "not valid YAML")
    if "for the tag" in problem:
        return InputError(
            f"{name} uses a YAML tag (!!...){where}, which an exam file cannot hold.",
            "Remove the tag and write the plain value.",
        )
    return InputError(f"{name} is not valid YAML{where}: {problem}.", _FIX_SYNTAX)


def _json_number(text: str) -> float | int:
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise ValueError(f"a number of {len(text)} characters")
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large")
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number an exam can hold")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        _add(out, k, v)
    return out


def _parse(text: str, name: str, is_json: bool) -> Any:
    if is_json:
        try:
            return json.loads(
                text,
                object_pairs_hook=_pairs,
                parse_int=_json_number,
                parse_float=_json_number,
                parse_constant=_no_constant,
            )
        except json.JSONDecodeError as e:
            raise InputError(
                f"{name} is not valid JSON (line {e.lineno}: {e.msg}).", _FIX_SYNTAX
            ) from None
        except ValueError as e:
            raise InputError(
                f"{name} holds a value an exam cannot hold: {e}.",
                "Enter measured values of ordinary size; leave a field empty if not assessed.",
            ) from None
        except RecursionError:
            raise InputError(
                f"{name} is nested too deeply to be an exam.",
                "Start again from `groundup exam template`.",
            ) from None
    _check_yaml_shape(text, name)
    try:
        return yaml.load(text, Loader=_ExamLoader)
    except _BadValueError as bad:
        field = ".".join(bad.path) or "a field"
        raise InputError(
            f"{name}, {field} (line {bad.line}): {bad.text} is not {bad.expected}.", bad.fix
        ) from None
    except yaml.YAMLError as e:
        raise _yaml_error(e, name) from None


def load_exam_file(path: str | Path) -> dict[str, Any]:
    """Read an exam file (see the module docstring); InputError when it cannot be an exam."""
    path = Path(path)
    name = path.name
    try:
        if path.is_dir():
            raise InputError(f"{name} is a folder, not an exam file.", "Give the exam file.")
        size = path.stat().st_size
        if size > MAX_EXAM_BYTES:
            raise InputError(
                f"{name} is {size / 1e6:.1f} MB; an exam file is a few kB.",
                "Give the exam file (YAML or JSON), not another file.",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"Exam file {name} not found.", "Check the path.") from None
    except OSError as e:
        raise InputError(
            f"Exam file {name} cannot be read ({e.strerror or type(e).__name__}).",
            "Check that the file exists and that you may read it.",
        ) from None
    text = decode_text(raw, name)
    data = _parse(text, name, path.suffix.lower() == ".json")
    if not isinstance(data, dict):
        raise InputError(
            f"{name} does not hold an exam (a mapping with patient, tests, ...).",
            "Start from `groundup exam template --out exam.yaml`.",
        )
    return keep_exam_fields(data)


# ---------------------------------------------------------------------------------------------
# The allow-list.

_LEAF = None  # any value (checked by the scorers)


@cache
def exam_fields() -> dict[str, Any]:
    """The tree of field names an exam may hold: mapping -> its allowed keys (as text), a leaf
    (any value below it) -> None. Derived from the blank exam of the catalogue and the scorer's
    own lists, so a field added to the catalogue is allowed without a change here."""
    from groundup.exam.scoring import PATIENT_FIELDS, TOP_LEVEL
    from groundup.exam.template import exam_template

    template = yaml.safe_load(exam_template())

    def tree(node: Any) -> Any:
        if isinstance(node, dict):
            return {str(k): tree(v) for k, v in node.items()}
        return _LEAF

    fields = tree(template) if isinstance(template, dict) else {}
    for section in TOP_LEVEL:
        fields.setdefault(section, _LEAF)
    patient = fields.get("patient")
    if isinstance(patient, dict):
        for name in (*PATIENT_FIELDS, "sex"):
            patient.setdefault(name, _LEAF)
    return fields


def keep_exam_fields(data: dict[Any, Any]) -> dict[Any, Any]:
    """The exam with the value of every field outside :func:`exam_fields` replaced by
    :data:`HIDDEN` (and field names that are not names replaced by a number)."""

    def walk(node: Any, allowed: Any) -> Any:
        if not isinstance(allowed, dict) or not isinstance(node, dict):
            return node
        out: dict[Any, Any] = {}
        for n, (key, value) in enumerate(node.items()):
            text = str(key)
            if text in allowed:
                out[key] = walk(value, allowed[text])
            elif isinstance(key, int | float | bool | _dt.date) or _FIELD_NAME.match(text):
                out[key] = HIDDEN
            else:
                out[f"(unnamed field {n + 1})"] = HIDDEN
        return out

    return walk(data, exam_fields())
