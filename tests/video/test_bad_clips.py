"""Bad clips get a message naming what to re-film: nobody in view, frame rates out of range,
feet cut off by the picture's edge."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from groundup.errors import InputError, NoWalkingError
from groundup.video.decode import iter_frames, probe_video


def _write(path: Path, frames: Iterable[np.ndarray], rate: int) -> Path:
    """Encode RGB frames (streamed: one frame held at a time) as an H.264 MP4."""
    with av.open(str(path), "w") as out:
        stream = None
        for i, image in enumerate(frames):
            if stream is None:
                stream = out.add_stream("libx264", rate=rate)
                stream.height, stream.width = image.shape[:2]
                stream.pix_fmt = "yuv420p"
                stream.options = {"preset": "ultrafast"}
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        assert stream is not None
        for packet in stream.encode():
            out.mux(packet)
    return path


def _grey(n: int) -> list[np.ndarray]:
    return [np.full((360, 640, 3), 120, dtype=np.uint8) for _ in range(n)]


def test_clip_with_nobody(tmp_path: Path) -> None:
    from groundup.video.pose_run import run_video_pose

    with pytest.raises(NoWalkingError) as info:
        run_video_pose(_write(tmp_path / "empty_room.mp4", _grey(60), 30))
    assert "No person was found" in info.value.problem
    assert "whole body" in info.value.fix


def test_time_lapse_frame_rate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        probe_video(_write(tmp_path / "timelapse.mp4", _grey(20), 5))
    assert "5.0 frames/s" in info.value.problem and "at least 10" in info.value.problem
    assert "30 frames/s" in info.value.fix


def test_low_frame_rate_warns(tmp_path: Path) -> None:
    info = probe_video(_write(tmp_path / "low.mp4", _grey(45), 15))
    assert "low_frame_rate" in [q.code for q in info.issues]


@pytest.mark.slow
def test_feet_cut_off_by_the_picture(shared_data: Path, tmp_path: Path) -> None:
    """The Sports2D clip cropped just above the walker's ankles (image rows 0-839 of 994)."""
    from groundup.keypoints.pipeline import analyze_keypoints
    from groundup.video.pose_run import video_to_trial

    clip = shared_data / "video" / "sports2d_demo.mp4"
    frames = (vf.image[:840] for vf in iter_frames(clip, probe_video(clip)))
    cut = _write(tmp_path / "feet_cut.mp4", frames, 30)
    with pytest.raises(NoWalkingError) as info:
        analyze_keypoints(video_to_trial(cut))
    assert "feet are outside the picture" in info.value.problem
    assert "feet included" in info.value.fix
