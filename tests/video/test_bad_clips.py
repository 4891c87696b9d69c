"""Bad clips get a message naming what to re-film: nobody in view, frame rates out of range,
feet cut off by the picture's edge."""

from __future__ import annotations

import itertools
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


def test_high_frame_rate_warns(tmp_path: Path) -> None:
    """Above 240 frames/s the clip may be slow motion stored at its capture rate: a warning."""
    info = probe_video(_write(tmp_path / "high.mp4", _grey(60), 480))
    issues = {q.code: q.message for q in info.issues}
    assert "high_frame_rate" in issues, issues


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


def _shrunk_sports2d(clip: Path, out: Path, scale: float) -> Path:
    """The Sports2D clip shrunk by ``scale`` into the middle of a grey frame of its own size:
    the same walk filmed from farther away with the same camera."""
    import cv2

    info = probe_video(clip)

    def frames() -> Iterable[np.ndarray]:
        for vf in iter_frames(clip, info):
            small = cv2.resize(vf.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            canvas = np.full_like(vf.image, 110)
            h, w = small.shape[:2]
            y0, x0 = (canvas.shape[0] - h) // 2, (canvas.shape[1] - w) // 2
            canvas[y0 : y0 + h, x0 : x0 + w] = small
            yield canvas

    return _write(out, frames(), 30)


def _assert_sports2d_walk(analysis, label: str) -> None:
    """The Sports2D walker's checks (ANNOTATIONS.md, revised table): at least 6 of the 9 annotated
    contacts within 3 frames, cadence within 95-102 steps/min (the table's 96.0-98.6 widened for
    a walker analysed from a smaller or tiled picture)."""
    from tests.keypoints.conftest import SPORTS2D_IC_FRAMES

    strikes = [e.frame for e in analysis.events if e.kind == "heel_strike"]
    found = sum(any(abs(f - ic) <= 3 for f in strikes) for ic in SPORTS2D_IC_FRAMES)
    print(f"\n{label}: {found} of 9 contacts within 3 frames, strikes {strikes}")
    assert found >= 6
    cadence = analysis.spatiotemporal.to_json()["cadence_steps_per_min"]
    assert cadence is not None and 95.0 <= cadence <= 102.0


def test_tiles_cover_the_picture() -> None:
    from groundup.video.blazepose import TiledPoseDetector

    detector = TiledPoseDetector()
    for width, height in ((1768, 994), (720, 1280), (640, 360)):
        tiles = detector.tiles(width, height)
        side = 0.5 * min(width, height)
        assert all(abs(t.size_px - side) < 1e-9 for t in tiles)
        xs = sorted({t.center_x_px for t in tiles})
        ys = sorted({t.center_y_px for t in tiles})
        assert xs[0] - side / 2 == 0 and abs(xs[-1] + side / 2 - width) < 1e-6
        assert ys[0] - side / 2 == 0 and abs(ys[-1] + side / 2 - height) < 1e-6
        # Neighbours overlap by at least a quarter of a tile.
        assert all(b - a <= 0.75 * side + 1e-6 for a, b in itertools.pairwise(xs))
        assert all(b - a <= 0.75 * side + 1e-6 for a, b in itertools.pairwise(ys))


@pytest.mark.slow
def test_small_walker_found_by_tiles_and_flagged(shared_data: Path, tmp_path: Path) -> None:
    """The walker at 35 % of their size (about 140 px tall in a 1768 x 994 frame): the
    whole-frame detector misses them, tiled detection finds them, and the result says the
    patient was small and to film closer."""
    from groundup.keypoints.pipeline import analyze_keypoints
    from tests.keypoints.landmark_cache import cached_video_trial

    clip = _shrunk_sports2d(shared_data / "video" / "sports2d_demo.mp4", tmp_path / "far.mp4", 0.35)
    analysis = analyze_keypoints(cached_video_trial(clip))
    small = [q for q in analysis.quality if q.code == "small_subject"]
    assert small and "film from closer" in small[0].message
    _assert_sports2d_walk(analysis, "walker at 35 %")


@pytest.mark.slow
def test_walker_too_small_even_for_tiles(shared_data: Path, tmp_path: Path) -> None:
    """At 12 % of their size (about 50 px tall) nobody usable is found: the error says to film
    from closer."""
    from groundup.keypoints.pipeline import analyze_keypoints
    from groundup.video.pose_run import video_to_trial

    source = shared_data / "video" / "sports2d_demo.mp4"
    clip = _shrunk_sports2d(source, tmp_path / "tiny.mp4", 0.12)
    with pytest.raises(NoWalkingError) as info:
        analyze_keypoints(video_to_trial(clip))
    assert "film from closer" in info.value.fix


@pytest.mark.slow
def test_small_walker_found_beside_a_larger_exerciser(shared_data: Path, tmp_path: Path) -> None:
    """Sports2D's person exercising on the box, enlarged to fill the left of the picture, with
    the whole clip shrunk to 30 % in a corner (the walker about 120 px tall, too small for the
    whole-frame detector; as a patient far down a corridor with someone large in front).

    The whole-frame pass finds only the exerciser, who moves 0.9 body heights about the box.
    His jumps used to give 15 events and a confident cadence (113, step asymmetry 67 %); the
    opposite-toe-off rule drops them, so he shows no stride. Tiled detection then finds the
    walker, who is analysed instead: the annotated contacts are found as on the 35 % clip
    (6 of 9 within 3 frames), the cadence is in range, and the result says what happened.
    Picked with ``--subject``, the exerciser is kept and refused as not walking: his hips rise
    and fall far more than walking's (the front view's foot-pitch events would give him steps)."""
    import cv2

    from groundup.keypoints.pipeline import analyze_keypoints
    from tests.keypoints.landmark_cache import cached_video_pose

    source = shared_data / "video" / "sports2d_demo.mp4"
    info = probe_video(source)
    scale = 0.3

    def frames() -> Iterable[np.ndarray]:
        for vf in iter_frames(source, info):
            canvas = np.full_like(vf.image, 110)
            exerciser = cv2.resize(vf.image[0:500, 400:900], None, fx=1.8, fy=1.8)
            canvas[40 : 40 + exerciser.shape[0], : exerciser.shape[1]] = exerciser
            whole = cv2.resize(vf.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            canvas[-whole.shape[0] :, -whole.shape[1] :] = whole
            yield canvas

    clip = _write(tmp_path / "box.mp4", frames(), 30)
    height, width = info.height_px, info.width_px
    corner_x0, corner_y0 = width - scale * width, height - scale * height

    pose = cached_video_pose(clip)
    codes = {q.code for q in pose.trial.quality}
    assert {"small_subject", "larger_person_not_walking"} <= codes
    choice = next(q.message for q in pose.trial.quality if q.code == "subject_choice")
    assert "(analysed first: no full stride)" in choice
    hip_x = (pose.trial.points["left_hip"][:, 0] + pose.trial.points["right_hip"][:, 0]) / 2
    hip_y = (pose.trial.points["left_hip"][:, 1] + pose.trial.points["right_hip"][:, 1]) / 2
    seen = np.isfinite(hip_x)
    assert seen.sum() > 60
    assert (hip_x[seen] > corner_x0).all() and (hip_y[seen] > corner_y0).all()  # never the box
    _assert_sports2d_walk(analyze_keypoints(pose.trial), "walker at 30 % beside the exerciser")

    box = pose.track_boxes_px[next(t for t in pose.track_boxes_px if t != pose.subject_track_id)]
    first = int(np.flatnonzero(np.isfinite(box).all(axis=1))[0])
    x0, y0, x1, y1 = box[first]
    assert x1 < corner_x0  # the exerciser's box, at the left
    picked = cached_video_pose(clip, subject_xy=((x0 + x1) / 2, (y0 + y1) / 2), subject_frame=first)
    assert "larger_person_not_walking" not in {q.code for q in picked.trial.quality}
    # His hips rise and fall by about 5 % of his height (walkers: under 2 %): not walking,
    # whatever his feet do (the foot-pitch events of a front view would give him steps).
    with pytest.raises(NoWalkingError, match="rise and fall"):
        analyze_keypoints(picked.trial)
