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


class UserEnvironmentError(GroundUpError):
    """The computer, not the input, stopped the run: a folder that cannot be written, a full
    disk, a file where a folder should be. The user can fix it; it is not a GroundUp bug."""


_OS_FIXES: dict[str, tuple[str, str]] = {
    "ENOSPC": ("the disk is full", "Free some space on that disk, or choose --out on another one."),
    "EDQUOT": ("the disk quota is used up", "Free some space, or choose --out on another disk."),
    "EACCES": ("permission denied", "Choose a folder you may write to, or change its permissions."),
    "EPERM": ("permission denied", "Choose a folder you may write to, or change its permissions."),
    "EROFS": ("the disk is read-only", "Choose --out on a disk you can write to."),
    "EFBIG": (
        "the file grew beyond the size this system allows (a disk or quota limit)",
        "Free some space or lift the limit, or choose --out on another disk.",
    ),
    "EEXIST": ("a file is in the way", "Move that file away, or choose another --out."),
    "ENOTDIR": (
        "a file is in the way where a folder is needed",
        "Give --out a folder name (not an existing file), or move that file away.",
    ),
    "EISDIR": ("a folder is in the way where a file is needed", "Move that folder away."),
    "ENAMETOOLONG": ("the path is too long", "Choose a shorter --out path."),
    "EMFILE": ("too many open files", "Close other programs and run again."),
    "ENOMEM": ("the computer ran out of memory", "Close other programs and run again."),
}


def environment_problem(exc: OSError, doing: str) -> UserEnvironmentError:
    """The user-facing message for an operating-system error met while ``doing`` something
    (e.g. "writing the results"). File names only, never the full path."""
    import errno
    from pathlib import Path

    code = errno.errorcode.get(exc.errno or -1, "")
    what, fix = _OS_FIXES.get(
        code, (exc.strerror or type(exc).__name__, "Check the folder, the disk and permissions.")
    )
    name = Path(str(exc.filename)).name if exc.filename else ""
    where = f" ({name})" if name else ""
    return UserEnvironmentError(f"The computer refused {doing}: {what}{where}.", fix)
