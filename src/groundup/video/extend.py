"""Extending the subject's landmark track before its first and after its last landmark frame.

The BlazePose detector sees the whole frame at 224 px and misses people who are small in a wide
frame (the Sports2D walker is visible about 40 frames before the detector first finds them).
Once the subject is known, their landmarks are followed from the first tracked frame backward in
time (and from the last one forward) with the landmark model placing its own crop from the
previous result: MediaPipe's tracking loop (Bazarevsky V, Grishchenko I, Raveendran K, Zhu T,
Zhang F, Grundmann M 2020, BlazePose: on-device real-time body pose tracking, CVPR workshop),
run in either direction.

The extension stops at the first frame where the pose-presence flag drops below 0.5, the legs
and torso are no longer visible (mean visibility of landmarks 11-28 below 0.5), the mid-hip
leaves the image, the mid-hip jumps more than a tracker gate or the body size changes more than
the tracker allows, or the mid-hip lands on another tracked person: the trajectory is never
continued onto someone else.

Memory stays bounded: backward frames are decoded in chunks of a few frames (each chunk by a
seek to the keyframe before it and a short forward decode, the next chunk prepared while the
current one is tracked); the forward extension runs inside the landmark pass
(:func:`groundup.video.pose_run.run_video_pose`), on frames that pass streams anyway.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from groundup.video.blazepose import (
    PoseDetector,
    PoseLandmarker,
    PoseLandmarks,
    Roi,
    RoiTracker,
    roi_from_alignment_points,
)
from groundup.video.decode import (
    DecodeLog,
    VideoInfo,
    frame_to_rgb,
    iter_frames,
    put_unless_stopped,
    stop_worker,
)
from groundup.video.tracking import MAX_HIP_JUMP_RADII, MAX_SIZE_RATIO, Track

# Body landmarks that must stay visible (shoulders to ankles) and how visible, on average.
BODY_LANDMARKS = slice(11, 29)
MIN_BODY_VISIBILITY = 0.5
# A hip within this many of another person's body radii from their mid-hip is on that person.
OTHER_PERSON_RADII = 0.5
# Memory for one backward chunk of decoded frames, held as YUV 4:2:0 (1.5 bytes a pixel) and
# converted to RGB one by one as the extension reaches them; HELD_CHUNKS chunks are held at most.
# A chunk is decoded from the keyframe before it, so a keyframe interval longer than a chunk is
# decoded again for every chunk: one chunk of 64 MB (the next decoded once this one is done)
# decodes fewer frames than two of 32 MB (one tracked, the next made meanwhile) in the same
# memory. The extension runs beside the forward landmark pass, off its critical path, so it need
# not have its next chunk ready. Measured on the sample clip (1768 x 994 VP9, a keyframe every
# 60 frames, 27 frames extended): 96 frames decoded against 168.
CHUNK_BYTES = 64 * 1024 * 1024
HELD_CHUNKS = 1
# Frames in a row the landmark model may be unsure of before an extension ends (the keypoint
# cleaning bridges such short gaps).
MAX_MISSED_FRAMES = 2

Accept = Callable[[int, float, PoseLandmarks], None]
OnImage = Callable[[int, np.ndarray], None]


def track_position_at(track: Track, frame: int, max_gap_frames: int) -> tuple[np.ndarray, float]:
    """A track's mid-hip and body radius at ``frame``, interpolated between its observations
    (no more than ``max_gap_frames`` apart); NaN hip where the track is not in view."""
    frames = sorted(track.detections)
    i = int(np.searchsorted(frames, frame))
    if i < len(frames) and frames[i] == frame:
        det = track.detections[frame]
        return det.hip_px, det.body_radius_px
    if i == 0 or i == len(frames) or frames[i] - frames[i - 1] > max_gap_frames:
        return np.array([np.nan, np.nan]), np.nan
    a, b = track.detections[frames[i - 1]], track.detections[frames[i]]
    w = (frame - frames[i - 1]) / (frames[i] - frames[i - 1])
    return (1 - w) * a.hip_px + w * b.hip_px, (1 - w) * a.body_radius_px + w * b.body_radius_px


class _Follower:
    """One direction of landmark-only tracking, with the stopping rules."""

    def __init__(
        self,
        landmarker: PoseLandmarker,
        start_aux_px: np.ndarray,
        others: list[Track],
        max_gap_frames: int,
        image_size_px: tuple[int, int],
        direction: int,
        detector: PoseDetector | None = None,
    ) -> None:
        self.landmarker = landmarker
        self.detector = detector
        self.aux = np.asarray(start_aux_px, dtype=float).copy()
        self.roi_tracker = RoiTracker()
        self.others = others
        self.max_gap_frames = max_gap_frames
        self.width, self.height = image_size_px
        self.direction = direction
        self.stopped = False
        self.missed = 0
        self._next_roi: Roi | None = None

    def step(self, frame: int, time_s: float, image: np.ndarray) -> PoseLandmarks | None:
        # The One-Euro filter needs increasing time: backward, time runs negated.
        t = time_s * self.direction
        roi = self._next_roi or roi_from_alignment_points(self.aux[0], self.aux[1])
        result = self.landmarker.run(image, roi)
        if not self._acceptable(result, frame):
            result = self._redetect(frame, image)
            if result is None:
                # A frame the model is unsure of (pose flag just under 0.5) is left out and the
                # same crop tried on the next one; several in a row end the extension.
                self.missed += 1
                self.stopped = self.missed > MAX_MISSED_FRAMES
                return None
            self.roi_tracker.reset()
        self.missed = 0
        self.aux = result.aux_px.copy()
        self._next_roi = self.roi_tracker.next_roi(result, t)
        return result

    def _redetect(self, frame: int, image: np.ndarray) -> PoseLandmarks | None:
        """Tracking lost: as MediaPipe's loop does, run the detector on this frame, and take
        the landmarks of the detection nearest the subject's last mid-hip if they continue the
        subject by the same rules."""
        if self.detector is None:
            return None
        hip = self.aux[0]
        radius = float(np.linalg.norm(self.aux[1] - hip))
        near = [
            d
            for d in self.detector.detect(image)
            if float(np.linalg.norm(d.hip_px - hip)) <= MAX_HIP_JUMP_RADII * radius
        ]
        for det in sorted(near, key=lambda d: float(np.linalg.norm(d.hip_px - hip))):
            result = self.landmarker.run(image, det.roi())
            if self._acceptable(result, frame):
                return result
        return None

    def _acceptable(self, result: PoseLandmarks, frame: int) -> bool:
        return continues(
            result, self.aux, (self.width, self.height), frame, self.others, self.max_gap_frames
        )


def continues(
    result: PoseLandmarks,
    previous_aux_px: np.ndarray,
    image_size_px: tuple[int, int],
    frame: int,
    others: list[Track],
    max_gap_frames: int,
    strict: bool = True,
) -> bool:
    """The landmark-only tracking rules: ``result`` continues the person whose previous
    auxiliary landmarks were ``previous_aux_px`` (pose present, no jump in position or size,
    not on another tracked person); ``strict`` adds body visible and mid-hip inside the image
    (the rules of the backward extension, before anyone detected the subject)."""
    if not result.usable:
        return False
    hip, size_point = result.aux_px
    if strict:
        if float(np.mean(result.visibility[BODY_LANDMARKS])) < MIN_BODY_VISIBILITY:
            return False
        width, height = image_size_px
        if not (0 <= hip[0] < width and 0 <= hip[1] < height):
            return False
    radius = float(np.linalg.norm(size_point - hip))
    prev_radius = float(np.linalg.norm(previous_aux_px[1] - previous_aux_px[0]))
    if radius <= 0 or prev_radius <= 0:
        return False
    if max(radius, prev_radius) / min(radius, prev_radius) > MAX_SIZE_RATIO:
        return False
    if float(np.linalg.norm(hip - previous_aux_px[0])) > MAX_HIP_JUMP_RADII * prev_radius:
        return False
    for other in others:
        other_hip, other_radius = track_position_at(other, frame, max_gap_frames)
        if np.isfinite(other_hip).all() and (
            float(np.linalg.norm(hip - other_hip)) <= OTHER_PERSON_RADII * other_radius
        ):
            return False
    return True


def chunk_frames(info: VideoInfo) -> int:
    """Frames in one backward chunk of this clip (``CHUNK_BYTES`` of YUV 4:2:0, at least 4)."""
    frame_bytes = max(1, info.width_px * info.height_px * 3 // 2)
    return max(4, CHUNK_BYTES // frame_bytes)


def _reverse_chunks(
    path: Path,
    info: VideoInfo,
    end: int,
    chunk: int,
    frame_times_s: np.ndarray,
    on_image: OnImage | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Frames ``end``, ``end - 1``, ... 0 as (index, RGB image), newest first.

    They are decoded in chunks of at most ``chunk`` frames, each forward from the keyframe
    before it (a seek, not a decode from the start), in a background thread; at most
    ``HELD_CHUNKS`` chunks are held (with more than one, the next is prepared while the caller
    works on the current one), as decoded YUV frames, each converted to RGB (and shown to
    ``on_image``) only when the caller reaches it.
    """
    out: queue.Queue = queue.Queue(maxsize=HELD_CHUNKS)
    stop = threading.Event()
    slots = threading.Semaphore(HELD_CHUNKS)  # a chunk is made once a held one is dropped

    def work() -> None:
        stop_at = end
        try:
            while stop_at >= 0 and not stop.is_set():
                while not slots.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                start = max(0, stop_at - chunk + 1)
                decoded = iter_frames(
                    path, info, DecodeLog(), start_at=start, stop_after=stop_at,
                    frame_times_s=frame_times_s, keep_raw=True, threads=1,
                )  # fmt: skip
                frames = []
                for vf in decoded:
                    if stop.is_set():
                        break
                    if vf.raw is not None:
                        frames.append((vf.index, vf.raw))
                decoded.close()
                put_unless_stopped(out, frames, stop)
                stop_at = start - 1
        except Exception as exc:  # handed to the caller
            out.put(exc)
            return
        out.put(None)

    worker = threading.Thread(target=work, name="groundup-reverse-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            while item:  # the chunk in decode order: newest frame last
                index, raw = item.pop()
                image = frame_to_rgb(raw, info.rotation_deg)
                del raw  # a frame tracked is no longer held
                if on_image is not None:
                    on_image(index, image)
                yield index, image
            slots.release()  # this chunk is done: the next may be decoded
    finally:
        stop_worker(worker, out, stop)


def extend_backward(
    path: Path,
    info: VideoInfo,
    landmarker: PoseLandmarker,
    detector: PoseDetector | None,
    first_frame: int,
    start_aux_px: np.ndarray,
    frame_times_s: np.ndarray,
    others: list[Track],
    max_gap_frames: int,
    accept: Accept,
    on_image: OnImage | None = None,
) -> int:
    """Follow the subject from ``first_frame`` back toward frame 0; returns frames added.
    ``on_image`` sees every decoded frame (see :func:`groundup.video.decode.iter_frames`)."""
    if first_frame <= 0:
        return 0
    follower = _Follower(
        landmarker,
        start_aux_px,
        others,
        max_gap_frames,
        (info.width_px, info.height_px),
        -1,
        detector,
    )
    chunk = chunk_frames(info)
    added = 0
    expected = first_frame - 1
    for frame, image in _reverse_chunks(
        path, info, first_frame - 1, chunk, frame_times_s, on_image
    ):
        if frame != expected:  # a frame missing from the decode: stop there
            return added
        result = follower.step(frame, float(frame_times_s[frame]), image)
        expected -= 1
        if follower.stopped:
            return added
        if result is not None:
            accept(frame, float(frame_times_s[frame]), result)
            added += 1
    return added
