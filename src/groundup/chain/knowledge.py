"""Read the chain, findings and exercise knowledge (YAML under ``groundup/knowledge``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from groundup.errors import GroundUpError
from groundup.yaml_files import parse_yaml


class KnowledgeError(GroundUpError):
    """A packaged knowledge file is broken (a developer error, not the user's)."""


@cache
def load_yaml(folder: str, name: str) -> dict[str, Any]:
    """A packaged YAML file, e.g. ``load_yaml("chain", "rules.yaml")``."""
    path = files("groundup") / "knowledge" / folder / name
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(
            f"The knowledge file {folder}/{name} cannot be read ({exc}).",
            "Reinstall GroundUp; report this if it persists.",
        ) from exc
    if not isinstance(data, dict):
        raise KnowledgeError(f"The knowledge file {folder}/{name} is empty.", "Reinstall GroundUp.")
    return data


def sources() -> dict[str, dict[str, Any]]:
    """Citation key -> {citation, evidence, note?} (``knowledge/chain/sources.yaml``)."""
    return load_yaml("chain", "sources.yaml")["sources"]


def cite(key: str) -> dict[str, Any]:
    """The citation object written into chain.json and plan.json."""
    try:
        src = sources()[key]
    except KeyError:
        raise KnowledgeError(
            f"The knowledge base cites an unknown source {key!r}.",
            "Add it to knowledge/chain/sources.yaml.",
        ) from None
    out = {"key": key, "citation": src["citation"], "evidence": src["evidence"]}
    if src.get("note"):
        out["note"] = src["note"]
    return out


def trust_classes() -> dict[str, dict[str, Any]]:
    return load_yaml("findings", "trust.yaml")["trust"]


def inference_settings() -> dict[str, Any]:
    return load_yaml("chain", "inference.yaml")


def rules() -> list[dict[str, Any]]:
    return load_yaml("chain", "rules.yaml")["rules"]


def problems() -> list[dict[str, Any]]:
    return load_yaml("chain", "problems.yaml")["problems"]
