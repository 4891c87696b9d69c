"""Errors of the records store, shown to the user as "Problem / What to do"."""

from __future__ import annotations

from groundup.errors import GroundUpError


class StoreError(GroundUpError):
    """The records store cannot do what was asked (unknown patient, bad folder, bad database)."""


class AppendOnlyError(StoreError):
    """An audit entry was to be changed or deleted: the audit trail is append-only."""

    def __init__(self) -> None:
        super().__init__(
            "Audit entries cannot be changed or deleted.",
            "The audit trail is append-only; record a new entry instead.",
        )
