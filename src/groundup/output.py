"""Write GroundUp's JSON documents safely and check them against their schema.

A document is validated before it is written and written atomically (to a temporary file in
the same folder, then renamed), so an error never leaves a half-written or damaged file behind
and never overwrites a good earlier result with a broken one.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from groundup.errors import GroundUpError


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A packaged JSON Schema by file stem, e.g. ``"analysis"``."""
    text = (files("groundup") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> Any:
    """One validator per schema (``jsonschema.validate`` checks the schema itself on every call,
    which costs more than the validation; the packaged schemas are checked by the tests
    instead, ``tests/test_schemas.py``)."""
    schema = load_schema(name)
    return jsonschema.validators.validator_for(schema)(schema)


def validate(document: dict[str, Any], schema_name: str) -> None:
    """Raise ``jsonschema.ValidationError`` when the document does not match its schema."""
    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(document))
    if error is not None:
        raise error


def write_json(document: dict[str, Any], path: Path, schema_name: str | None = None) -> Path:
    """Validate (when a schema is named) and write a JSON document atomically."""
    if schema_name is not None:
        try:
            validate(document, schema_name)
        except jsonschema.ValidationError as exc:  # a bug in GroundUp, not the user's input
            raise GroundUpError(
                f"The result does not match the {schema_name} schema ({exc.message}); "
                "nothing was written.",
                "Please report this with the input file type (not the file itself).",
            ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
