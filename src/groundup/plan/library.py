"""Exercise library, precautions, advice and programme rules (``knowledge/exercises/*.yaml``)."""

from __future__ import annotations

from typing import Any

from groundup.chain.knowledge import load_yaml


def exercises() -> list[dict[str, Any]]:
    """All library entries in file order (the order breaks ties when choosing)."""
    return load_yaml("exercises", "library.yaml")["exercises"]


def exercise(ex_id: str) -> dict[str, Any] | None:
    return next((e for e in exercises() if e["id"] == ex_id), None)


def precautions() -> dict[str, dict[str, Any]]:
    """Precaution id -> {text, avoid?, advice?} (``precautions.yaml``)."""
    return load_yaml("exercises", "precautions.yaml")["precautions"]


def precaution_text(pid: str) -> str:
    return str(precautions().get(pid, {}).get("text", pid.replace("_", " ")))


def advice() -> dict[str, dict[str, Any]]:
    """Advice id -> {title, clinician, patient, sources} (``advice.yaml``)."""
    return load_yaml("exercises", "advice.yaml")["advice"]


def programme() -> dict[str, Any]:
    return load_yaml("exercises", "programme.yaml")
