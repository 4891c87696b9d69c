"""The annotated video's encoding thread: every frame encoded and muxed in order, the encoder
flushed at the end, an encoder error raised in the drawing thread, and an error while drawing
leaving no thread writing into the container."""

from __future__ import annotations

import threading
import time

import pytest

from groundup.video.annotate import _EncodingThread


class _Stream:
    """Stands in for a PyAV stream: one packet per frame, a last packet when flushed."""

    def __init__(self, fail_at: int | None = None, slow_s: float = 0.0) -> None:
        self.fail_at, self.slow_s = fail_at, slow_s
        self.thread_names: set[str] = set()

    def encode(self, frame: int | None = None) -> list[str]:
        self.thread_names.add(threading.current_thread().name)
        time.sleep(self.slow_s)
        if frame is None:
            return ["flushed"]
        if frame == self.fail_at:
            raise OSError(28, "No space left on device")
        return [f"packet {frame}"]


class _Container:
    def __init__(self) -> None:
        self.muxed: list[str] = []

    def mux(self, packet: str) -> None:
        self.muxed.append(packet)


def test_frames_are_encoded_in_order_in_their_own_thread_and_flushed() -> None:
    stream, container = _Stream(), _Container()
    encoder = _EncodingThread(stream, container)
    for frame in range(20):
        encoder.put(frame)
    encoder.finish()
    assert container.muxed == [f"packet {k}" for k in range(20)] + ["flushed"]
    assert stream.thread_names == {"groundup-encode"}


def test_an_encoder_error_reaches_the_drawing_thread() -> None:
    stream, container = _Stream(fail_at=3), _Container()
    encoder = _EncodingThread(stream, container)
    with pytest.raises(OSError, match="No space left"):
        for frame in range(50):  # the queue holds a few frames: put raises once it has failed
            encoder.put(frame)
        encoder.finish()
    assert container.muxed == ["packet 0", "packet 1", "packet 2"]


def test_abandon_stops_the_thread_before_the_container_is_closed() -> None:
    stream, container = _Stream(slow_s=0.05), _Container()
    encoder = _EncodingThread(stream, container)
    for frame in range(4):
        encoder.put(frame)
    encoder.abandon()
    assert not encoder._worker.is_alive()
    done = list(container.muxed)
    time.sleep(0.2)
    assert container.muxed == done  # nothing written after abandon returned
    assert "flushed" not in done and len(done) < 4
