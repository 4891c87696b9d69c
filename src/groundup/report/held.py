"""Image files of the report named now and written a moment later.

The report's HTML needs only the names of its images; its printer spends its first 0.3-0.4 s
reading and styling the HTML before it loads any image. Inside :func:`writes_held`, plots and
key frames are made (their names known) but their files are written only when the function it
yields is called, after the HTML went to the printer (:mod:`groundup.report.render`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Writes waiting inside writes_held (per thread: a context variable).
_HELD: ContextVar[list[Callable[[], object]] | None] = ContextVar("held_writes", default=None)


def write_now_or_held(write: Callable[[], object]) -> None:
    """Run ``write`` now, or, inside :func:`writes_held`, when that says so."""
    held = _HELD.get()
    if held is None:
        write()
    else:
        held.append(write)


@contextmanager
def writes_held() -> Iterator[Callable[[], None]]:
    """Within, image writes wait; the function yielded runs them, in order. Writes not run
    when the block ends (an error) are dropped."""
    held: list[Callable[[], object]] = []
    token = _HELD.set(held)

    def write_all() -> None:
        while held:
            held.pop(0)()

    try:
        yield write_all
    finally:
        _HELD.reset(token)
        held.clear()
