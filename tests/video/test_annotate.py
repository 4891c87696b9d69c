"""The annotated video on a real clip: frames, size, duration, blurred faces, overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groundup.trial import Trial
from groundup.video.annotate import MAX_SIDE_PX, write_annotated_video
from groundup.video.blazepose import BLAZEPOSE_CANONICAL_NAMES
from groundup.video.decode import iter_frames, probe_video


def _trial_with_face(n_frames: int, face_xy: tuple[float, float], fps: float) -> Trial:
    points = {name: np.full((n_frames, 2), np.nan) for name in BLAZEPOSE_CANONICAL_NAMES}
    x, y = face_xy
    points["nose"][:] = (x, y)
    points["left_eye"][:] = (x - 15, y - 10)
    points["right_eye"][:] = (x + 15, y - 10)
    points["left_hip"][:] = (x - 20, y + 300)
    points["left_knee"][:] = (x - 20, y + 450)
    return Trial(
        points=points,
        point_rate_hz=fps,
        point_units="px",
        point_labels={n: n for n in BLAZEPOSE_CANONICAL_NAMES},
        source_kind="video",
    )


def test_annotated_video_real_clip(shared_data: Path, tmp_path: Path) -> None:
    import av

    clip = shared_data / "video" / "sports2d_demo.mp4"  # 1768x994, 230 frames, 30 fps
    info = probe_video(clip)
    n = info.n_frames_estimate
    face = (900.0, 300.0)
    trial = _trial_with_face(n, face, info.nominal_fps)
    boxes = {1: np.tile([700.0, 250.0, 1100.0, 900.0], (n, 1)), 2: np.full((n, 4), np.nan)}
    boxes[2][:50] = [100.0, 100.0, 400.0, 500.0]
    events = [{"side": "left", "kind": "heel_strike", "time_s": 1.0, "frame": 30, "method": "x"}]
    out = write_annotated_video(clip, tmp_path / "a.mp4", trial, events, boxes, 1)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        duration_s = float(stream.duration * stream.time_base) if stream.duration else None
    assert len(frames) == n
    height, width = frames[0].shape[:2]
    assert max(width, height) <= MAX_SIDE_PX and width == 1280
    if duration_s is not None:
        assert duration_s == pytest.approx(n / info.nominal_fps, abs=0.1)
    # The face region is blurred: far less fine detail than in the source frame.
    source = next(iter(iter_frames(clip, info))).image
    scale = width / info.width_px
    x, y = int(face[0] * scale), int(face[1] * scale)
    out_patch = frames[0][y - 8 : y + 8, x - 8 : x + 8].astype(float)
    src_small = source[int(face[1]) - 11 : int(face[1]) + 11, int(face[0]) - 11 : int(face[0]) + 11]
    detail_out = np.abs(np.diff(out_patch, axis=1)).mean()
    detail_src = np.abs(np.diff(src_small.astype(float), axis=1)).mean()
    assert detail_out < 0.5 * detail_src
    # The event label is drawn around frame 30 (orange/blue text top-left), not at frame 100.
    label_30 = np.abs(frames[30][15:40, 10:250].astype(int) - frames[100][15:40, 10:250]).mean()
    assert label_30 > 5


def test_annotated_video_without_blur_keeps_detail(shared_data: Path, tmp_path: Path) -> None:
    import av

    clip = shared_data / "video" / "sagittal_indoor_two_walkers.mp4"
    info = probe_video(clip)
    n = info.n_frames_estimate
    trial = _trial_with_face(n, (360.0, 400.0), info.nominal_fps)
    out = write_annotated_video(clip, tmp_path / "b.mp4", trial, [], {}, 1, blur_faces=False)
    with av.open(str(out)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == n
