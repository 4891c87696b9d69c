"""The background-thread helper: the value or the error comes back in the caller's thread."""

from __future__ import annotations

import threading

import pytest

from groundup.errors import InputError
from groundup.in_thread import InThread


def test_value_comes_back_and_waiting_is_called_meanwhile() -> None:
    release = threading.Event()
    calls = []

    def waiting() -> None:
        calls.append(1)
        if len(calls) == 3:
            release.set()

    job = InThread(lambda: release.wait(5) and 42, "test-value")
    assert job.result(waiting, every_s=0.01) == 42
    assert len(calls) >= 3
    assert not job.is_alive() and job.error is None


def test_error_is_raised_in_the_callers_thread_as_it_was() -> None:
    def fail() -> None:
        raise InputError("bad clip", "film again")

    job = InThread(fail, "test-error")
    job.join()
    assert isinstance(job.error, InputError)
    with pytest.raises(InputError, match="bad clip") as caught:
        job.result()
    assert caught.value.fix == "film again"


def test_keyboard_interrupt_in_the_thread_is_kept_not_lost() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    job = InThread(interrupted, "test-interrupt")
    with pytest.raises(KeyboardInterrupt):
        job.result()
