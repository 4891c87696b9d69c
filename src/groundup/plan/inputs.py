"""Read and check the JSON documents the plan command takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from groundup.errors import InputError
from groundup.output import validate

EXPECTED = {
    "analysis": ("groundup.analysis/1", "groundup analyze RECORDING --out DIR"),
    "exam": ("groundup.exam/1", "groundup exam score EXAM.yaml --out DIR"),
    "plan": ("groundup.plan/1", "groundup plan ... --out DIR"),
}


def check_document(doc: Any, kind: str, name: str = "") -> dict[str, Any]:
    """Raise InputError unless ``doc`` is a valid document of ``kind`` (analysis, exam, plan)."""
    schema_id, how = EXPECTED[kind]
    label = name or f"the {kind} document"
    if not isinstance(doc, dict) or doc.get("schema") != schema_id:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(
            f"{label} is not a GroundUp {kind} file (schema {found!r}, expected {schema_id!r}).",
            f"Give the {kind}.json written by `{how}`.",
        )
    try:
        validate(doc, kind)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "top level"
        raise InputError(
            f"{label} does not match the {schema_id} schema at {where}: {exc.message}.",
            f"Write it again with `{how}` (it may have been edited by hand or truncated).",
        ) from exc
    return doc


def read_document(path: Path, kind: str) -> dict[str, Any]:
    """Read a JSON file and check it is a valid ``kind`` document."""
    if not path.is_file():
        raise InputError(f"File not found: {path}.", "Check the path and the file name.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not a text file.", f"Give the {kind}.json file.") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            f"Write it again with `{EXPECTED[kind][1]}`.",
        ) from exc
    return check_document(doc, kind, path.name)
