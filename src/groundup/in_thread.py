"""One function run in a background thread, its value or its error handed to the caller's thread.

The pose run (the second half of the people pass, the backward landmark extension) and the visit
(key frames or annotated videos where no child process can start) each run one function beside
their own work: this is the one place that keeps what it returned or raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class InThread(Generic[T]):
    """``work()`` in a daemon thread named ``name``, started at once.

    :meth:`result` waits for it and returns its value, or raises its error (any exception,
    ``KeyboardInterrupt`` included) in the caller's thread; :attr:`error` tells, once it has
    ended, whether it failed, without raising."""

    def __init__(self, work: Callable[[], T], name: str) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.value = work()
            except BaseException as exc:  # handed to the caller's thread by result()
                self.error = exc

        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, waiting: Callable[[], None] | None = None, every_s: float = 0.1) -> None:
        """Wait for the thread to end, calling ``waiting()`` (if given) every ``every_s``
        seconds meanwhile (e.g. to report progress from the caller's thread)."""
        while self.thread.is_alive():
            self.thread.join(every_s if waiting is not None else None)
            if waiting is not None:
                waiting()

    def result(self, waiting: Callable[[], None] | None = None, every_s: float = 0.1) -> T:
        """The function's value once it has ended (see :meth:`join`), or its error raised here."""
        self.join(waiting, every_s)
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]
