"""RGB conversion in pooled memory: the very images of PyAV's conversion, the memory reused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from groundup.video import rgb
from groundup.video.rgb import _PooledConverter, to_rgb

RNG = np.random.default_rng(7)


def _frame(fmt: str, width: int, height: int, colorspace: int = 0, color_range: int = 0) -> Any:
    if fmt == "yuv420p10le":
        planes = RNG.integers(0, 1024, (height * 3 // 2, width), dtype=np.uint16)
    else:
        planes = RNG.integers(0, 256, (height * 3 // 2, width), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(planes, format=fmt)
    if colorspace:
        frame.colorspace = colorspace
    if color_range:
        frame.color_range = color_range
    return frame


def _pyav(frame: Any, interpolation: str = "BILINEAR") -> np.ndarray:
    return frame.reformat(format="rgb24", interpolation=interpolation).to_ndarray()


# (pixel format, width, height, colour space, colour range): BT.601 and BT.709 (1), limited (1)
# and full range (2), 10-bit (BT.2020, 9), NV12, odd sizes.
CASES = [
    ("yuv420p", 640, 360, 0, 0),
    ("yuv420p", 640, 360, 1, 1),
    ("yuv420p", 642, 362, 1, 2),
    ("yuvj420p", 320, 240, 0, 0),
    ("nv12", 320, 240, 0, 0),
    ("yuv420p10le", 320, 240, 9, 1),
]


@pytest.mark.parametrize("interpolation", ["BILINEAR", "FAST_BILINEAR"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}x{c[2]}-cs{c[3]}-r{c[4]}")
def test_the_images_of_pyavs_conversion(case: tuple[str, int, int, int, int], interpolation: str):
    converter = _PooledConverter(interpolation)
    for _ in range(3):
        frame = _frame(*case)
        assert np.array_equal(converter.convert(frame), _pyav(frame, interpolation))
    assert converter.graph is not None  # the pooled graph does the work after the first check


def test_memory_is_reused_and_a_new_size_gets_its_own_graph():
    converter = _PooledConverter()
    converter.convert(_frame("yuv420p", 640, 360))  # checked against PyAV's conversion
    first = converter.convert(_frame("yuv420p", 640, 360))
    address = first.__array_interface__["data"][0]
    del first  # the image is dropped: its memory goes back to the pool
    again = converter.convert(_frame("yuv420p", 640, 360))
    assert again.__array_interface__["data"][0] == address
    held = again  # an image still held is never written over
    other = converter.convert(_frame("yuv420p", 640, 360))
    assert other.__array_interface__["data"][0] != held.__array_interface__["data"][0]
    frame = _frame("yuv420p", 320, 240)
    assert np.array_equal(converter.convert(frame), _pyav(frame))
    assert converter.key is not None and converter.key[:2] == (320, 240)


def test_a_graph_that_differs_is_not_used(monkeypatch: pytest.MonkeyPatch):
    real_through = rgb._through

    def off_by_one(graph: Any, frame: Any) -> np.ndarray | None:
        image = real_through(graph, frame)
        return None if image is None else image ^ np.uint8(1)

    monkeypatch.setattr(rgb, "_through", off_by_one)
    converter = _PooledConverter()
    for _ in range(2):
        frame = _frame("yuv420p", 320, 240, 1, 1)
        assert np.array_equal(converter.convert(frame), _pyav(frame))
    assert converter.graph is None


def test_each_thread_has_its_own_converter():
    import threading

    frame = _frame("yuv420p", 320, 240)
    out: dict[str, np.ndarray] = {}
    worker = threading.Thread(target=lambda: out.setdefault("other", to_rgb(frame)))
    worker.start()
    worker.join()
    assert np.array_equal(out["other"], to_rgb(frame))
    assert np.array_equal(out["other"], _pyav(frame))


@pytest.mark.slow
def test_the_reference_clips_convert_to_the_same_images(shared_data: Path):
    """Every reference clip (H.264 phone clips, BT.601 and BT.709, VP9 1768 x 994): every
    fifth frame the same as PyAV's conversion, through the pooled graph."""
    clips = sorted((shared_data / "video").glob("*.mp4"))
    assert clips
    for clip in clips:
        converter = _PooledConverter()
        with av.open(str(clip)) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index % 5 == 0:
                    assert np.array_equal(converter.convert(frame), _pyav(frame)), clip.name
        assert converter.graph is not None, clip.name


def test_a_forked_child_converts_too():
    """The visit's annotated video runs in a forked child, which inherits the converter of the
    thread that forked: the conversion must not wait there for threads the fork left behind."""
    import signal

    planes = RNG.integers(0, 256, (360 * 3 // 2, 640), dtype=np.uint8)

    def frame() -> Any:  # a new frame each time (PyAV keeps a frame's own scaler)
        return av.VideoFrame.from_ndarray(planes, format="yuv420p")

    expected = _pyav(frame())
    to_rgb(frame())
    to_rgb(frame())  # this thread's graph is made and used before the fork
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the conversions end and are right
        signal.alarm(20)
        same = all(np.array_equal(to_rgb(frame()), expected) for _ in range(3))
        os._exit(0 if same else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_graph_starts_no_threads():
    """Worker threads would not survive a fork (see above); the graph runs in its caller's."""
    import threading

    frame = _frame("yuv420p", 640, 360)
    graph = rgb._graph_for(frame, "BILINEAR")
    assert graph is not None
    before = set(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None
    for _ in range(3):
        assert rgb._through(graph, _frame("yuv420p", 640, 360)) is not None
    if before is not None:
        assert set(os.listdir("/proc/self/task")) <= before | {str(threading.get_native_id())}
