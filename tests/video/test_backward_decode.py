"""The backward extension's frames: newest first, as a forward decode gives them, with little
decoding done again and one chunk held at a time (real clip: the Sports2D sample, VP9 with a
keyframe every 60 frames)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from groundup.video import extend
from groundup.video.decode import iter_frames, packet_timeline, probe_video


def _digest(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


@pytest.mark.slow
def test_reverse_chunks_give_the_forward_frames_newest_first(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = shared_data / "video" / "sports2d_demo.mp4"
    info = probe_video(clip)
    timeline = packet_timeline(clip, info)
    assert timeline is not None
    end = 59  # the frame before the sample walker's first detection (a keyframe at 60)
    forward = {
        vf.index: _digest(vf.image)
        for vf in iter_frames(clip, info, stop_after=end)
        if vf.image is not None
    }

    decodes: list[tuple[int, int]] = []  # (first frame kept, last frame) of each chunk decoded
    yielded: list[int] = []
    chunk_started_after: list[int] = []  # frames yielded when each chunk's decode began
    real_iter_frames = extend.iter_frames

    def counting_iter_frames(*args, **kwargs):  # type: ignore[no-untyped-def]
        decodes.append((kwargs["start_at"], kwargs["stop_after"]))
        chunk_started_after.append(len(yielded))
        return real_iter_frames(*args, **kwargs)

    monkeypatch.setattr(extend, "iter_frames", counting_iter_frames)
    chunk = extend.chunk_frames(info)
    seen = {}
    for index, image in extend._reverse_chunks(clip, info, end, chunk, timeline.times_s):
        yielded.append(index)
        seen[index] = _digest(image)

    assert yielded == list(range(end, -1, -1))
    assert seen == forward  # bit for bit what a forward decode gives

    def decoded(first: int, last: int) -> int:  # frames decoded: from the keyframe before
        keyframe = max(k for k in timeline.keyframes if k <= first)
        return last - keyframe + 1

    total = sum(decoded(a, b) for a, b in decodes)
    # 60 frames from one keyframe in chunks of 25: 60 + 35 decoded (two chunks of 12 decoded
    # 60 + 48 + 36 + 24 + 12 = 180).
    assert total <= 2 * (end + 1), (decodes, total)
    if extend.HELD_CHUNKS == 1:
        # each chunk after the first is decoded only once the one before was all handed out
        ends_of_chunks = np.cumsum([b - a + 1 for a, b in decodes])
        assert chunk_started_after[1:] == list(ends_of_chunks[:-1])


def test_raw_frames_transformed_in_the_decoding_thread(shared_data: Path) -> None:
    """``raw_as`` runs in the decoding thread on every kept raw frame, in order."""
    import threading

    clip = shared_data / "video" / "sports2d_demo.mp4"
    info = probe_video(clip)

    def where(frame: object) -> tuple[str, int]:
        return threading.current_thread().name, getattr(frame, "width", 0)

    seen = [vf.raw for vf in iter_frames(clip, info, keep_raw=True, raw_as=where, stop_after=9)]
    assert seen == [("groundup-video-decode", info.width_px)] * 10
