"""Reading exam files (YAML or JSON) without losing duplicated answers.

YAML and JSON silently keep the last of two equal keys. An exam must not: an ODI section answered
twice is an error to show. Duplicated keys are therefore kept as a :class:`Duplicate` list of all
the values given, which the scorers report as "answered twice".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from groundup.errors import InputError


class Duplicate(list):  # type: ignore[type-arg]
    """All values given for a key that appeared more than once."""


def _add(mapping: dict[Any, Any], key: Any, value: Any) -> None:
    if key in mapping:
        old = mapping[key]
        mapping[key] = (
            Duplicate([*old, value]) if isinstance(old, Duplicate) else Duplicate([old, value])
        )
    else:
        mapping[key] = value


class _KeepDuplicatesLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        _add(out, key, value)
    return out


_KeepDuplicatesLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        _add(out, k, v)
    return out


def load_exam_file(path: str | Path) -> dict[str, Any]:
    """Read an exam file; raise InputError (with line) when it is not valid YAML/JSON."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Exam file {path.name} not found.", "Check the path.")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_pairs)
        else:
            data = yaml.load(text, Loader=_KeepDuplicatesLoader)
    except json.JSONDecodeError as e:
        raise InputError(
            f"{path.name} is not valid JSON (line {e.lineno}: {e.msg}).",
            "Fix the syntax, or start again from `groundup exam template`.",
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(
            f"{path.name} is not valid YAML{where}: {getattr(e, 'problem', e)}.",
            "Fix the syntax, or start again from `groundup exam template`.",
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            f"{path.name} does not hold an exam (a mapping with patient, tests, ...).",
            "Start from `groundup exam template --out exam.yaml`.",
        )
    return data
