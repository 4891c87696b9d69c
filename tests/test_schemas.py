"""Every packaged JSON Schema is itself a valid schema of the draft it names."""

from __future__ import annotations

from importlib.resources import files

import jsonschema
import pytest

from groundup.output import load_schema

SCHEMA_NAMES = sorted(
    p.name.removesuffix(".schema.json")
    for p in (files("groundup") / "schemas").iterdir()
    if p.name.endswith(".schema.json")
)


def test_all_documents_have_a_schema() -> None:
    assert {"analysis", "chain", "curves", "exam", "plan", "sway"} <= set(SCHEMA_NAMES)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_packaged_schema_is_valid(name: str) -> None:
    schema = load_schema(name)
    assert "$schema" in schema, f"{name} names no draft"
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)  # raises SchemaError on an invalid schema
    assert validator.META_SCHEMA["$schema"].rstrip("#") == schema["$schema"].rstrip("#")
