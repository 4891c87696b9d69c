"""Error and warning types shown to users.

Every error a user can cause carries two parts: what is wrong and what to do about it. The CLI
prints both and never a traceback. Numbers that were computed but are shaky are not errors: they
are :class:`QualityIssue` entries that travel with the result into ``analysis.json``.
"""

from __future__ import annotations

from dataclasses import dataclass


class GroundUpError(Exception):
    """Base class for errors with a user-facing message and a suggested fix."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip())


class InputError(GroundUpError):
    """The input file cannot be used (wrong format, truncated, unreadable)."""


class MissingMarkersError(GroundUpError):
    """An algorithm needs landmarks that the recording does not contain (or holds empty)."""

    def __init__(self, method: str, missing: list[str], alternatives: list[str]) -> None:
        self.method = method
        self.missing = list(missing)
        self.alternatives = list(alternatives)
        alt = (
            f"Methods that can still run on this trial: {', '.join(alternatives)}."
            if alternatives
            else "No event method can run on this trial without them."
        )
        super().__init__(
            f"{method} needs markers that are missing or empty: {', '.join(missing)}.",
            f"Add or label these markers (see docs/marker-labels.md for accepted names). {alt}",
        )


class NoWalkingError(GroundUpError):
    """The recording holds no walking that gait analysis can use."""


@dataclass(frozen=True)
class QualityIssue:
    """A warning about numbers that were computed but deserve caution.

    ``code`` is stable and machine-readable (e.g. ``"long_marker_gap"``); ``message`` is the
    sentence shown to the therapist and says what to do.
    """

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
