"""The exercise library and programme rules (``knowledge/exercises/*.yaml``)."""

from __future__ import annotations

from typing import Any

from groundup.chain.knowledge import load_yaml


def exercises() -> list[dict[str, Any]]:
    """All library entries in file order (the order breaks ties when choosing)."""
    return load_yaml("exercises", "library.yaml")["exercises"]


def exercise(ex_id: str) -> dict[str, Any] | None:
    return next((e for e in exercises() if e["id"] == ex_id), None)


def precautions() -> dict[str, str]:
    return load_yaml("exercises", "precautions.yaml")["precautions"]


def programme() -> dict[str, Any]:
    return load_yaml("exercises", "programme.yaml")
