"""Streaming video decoding with PyAV: one RGB frame at a time, real timestamps, rotation applied.

- Frames are yielded one by one (``uint8`` RGB, ``(height, width, 3)``); a bounded queue between a
  background decoding thread and the caller keeps memory flat whatever the clip length.
- Time of each frame = its presentation timestamp (``pts * time_base``) counted from the first
  decoded frame, so variable-frame-rate phone clips keep their true timing. A frame without a
  timestamp gets the previous time plus one nominal frame interval.
- Rotation: the display matrix side data (what phones write) or, failing that, the legacy
  ``rotate`` tag. Frames are rotated so that they look as the clip is meant to be displayed;
  ``VideoInfo.width_px`` / ``height_px`` are the size after rotation.
- Frame-rate limits (see docs/video-pose.md): below 10 frames/s a walking step (about 0.5 s)
  spans fewer than 5 frames, too few to time heel strikes and toe offs, so the clip is refused;
  above 1000 frames/s the timing metadata is almost certainly not a real camera rate (high-speed
  phone modes reach 960), so the clip is refused too. 10-20 and 240-1000 frames/s are accepted
  with a quality warning.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import math
import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.video.rgb import to_rgb

MIN_FPS_ERROR = 10.0
LOW_FPS_WARNING = 20.0
HIGH_FPS_WARNING = 240.0
MAX_FPS_ERROR = 1000.0

_REFILM = "Export or record the clip again as an ordinary video (mp4 or mov, H.264 or HEVC)."


@dataclass(frozen=True)
class VideoInfo:
    """What is known about a clip before decoding (size after rotation)."""

    path: str
    codec: str
    width_px: int
    height_px: int
    rotation_deg: int
    """Clockwise rotation applied to every decoded frame to display it upright (0/90/180/270)."""
    nominal_fps: float
    n_frames_estimate: int
    duration_s: float | None
    issues: tuple[QualityIssue, ...] = ()
    first_pts: int | None = None
    """Presentation timestamp of the first frame (times count from it); None if unknown."""
    time_base: Fraction | None = None


@dataclass
class VideoFrame:
    """One decoded frame: 0-based index in decode order, time from the first frame, RGB image
    (None where the caller asked for the timestamp only)."""

    index: int
    time_s: float
    image: np.ndarray | None
    raw: Any = None
    """The decoded PyAV frame (YUV, half the memory of RGB) where the caller asked for it
    (``keep_raw``): :func:`frame_to_rgb` gives the very image ``image`` would have held."""


def frame_to_rgb(frame: Any, rotation_deg: int) -> np.ndarray:
    """A decoded PyAV frame as the upright RGB ``uint8`` image every pass works on (PyAV's
    conversion, in reused memory: :func:`groundup.video.rgb.to_rgb`)."""
    return rotate_image(to_rgb(frame), rotation_deg)


@dataclass
class DecodeLog:
    """Filled while decoding: problems met after the first frame, and the timestamps seen."""

    issues: list[QualityIssue] = field(default_factory=list)
    n_frames: int = 0


def _not_video(path: Path, detail: str) -> InputError:
    return InputError(
        f"{path.name} is not a video GroundUp can read ({detail}).",
        f"Give a video file (mp4, mov, webm, mkv). {_REFILM}",
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"Video file not found: {path}.", "Check the path and the file name.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video file.", "Give the path of one clip.")
    if path.stat().st_size == 0:
        raise InputError(
            f"{path.name} is empty (0 bytes).",
            "The copy or the recording did not complete: copy the clip again from the phone.",
        )


def _open(path: Path):
    import av

    _check_file(path)
    try:
        container = av.open(str(path), mode="r")
    except av.error.InvalidDataError as exc:
        raise _not_video(path, "the content is not a known video format or is damaged") from exc
    except av.error.FFmpegError as exc:
        raise _not_video(path, f"the file cannot be opened: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise InputError(
            f"{path.name} contains no video stream (audio only or an empty container).",
            f"Give the video file itself. {_REFILM}",
        )
    return container


def _rate_of(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and float(rate) > 0:
            return float(rate)
    return 0.0


def _legacy_rotate_tag_deg(stream) -> int:
    tag = stream.metadata.get("rotate") if stream.metadata else None
    try:
        return round(float(tag)) % 360 if tag is not None else 0
    except ValueError:
        return 0


def clockwise_rotation_deg(display_ccw_deg: float | None, rotate_tag_deg: int) -> tuple[int, bool]:
    """Clockwise angle (0/90/180/270) that makes a frame upright, and whether it was rounded.

    ``display_ccw_deg`` is the display matrix angle (counter-clockwise, FFmpeg's
    ``av_display_rotation_get`` convention, as PyAV's ``VideoFrame.rotation``); the legacy
    ``rotate`` tag already says the clockwise angle.
    """
    if display_ccw_deg is not None and not math.isnan(display_ccw_deg) and display_ccw_deg != 0:
        clockwise = -float(display_ccw_deg)
    else:
        clockwise = float(rotate_tag_deg)
    snapped = round(clockwise / 90.0) * 90 % 360
    rounded = abs(((clockwise - snapped + 180) % 360) - 180) > 1.0
    return snapped, rounded


def rotate_image(image: np.ndarray, clockwise_deg: int) -> np.ndarray:
    """Rotate an image by a multiple of 90 degrees clockwise (contiguous result)."""
    k = (clockwise_deg // 90) % 4
    if k == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=-k))


def probe_video(path: str | Path) -> VideoInfo:
    """Open a clip, decode its first frame and describe it; clear errors for unusable files."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = _rate_of(stream)
        first = None
        try:
            for frame in container.decode(stream):
                first = frame
                break
        except Exception as exc:  # PyAV raises several error types for broken data
            raise InputError(
                f"{path.name} is damaged: no frame could be decoded ({exc}).",
                f"The file may be truncated or incompletely copied. {_REFILM}",
            ) from exc
        if first is None:
            raise InputError(
                f"{path.name} holds a video stream but no frame could be decoded from it.",
                f"The file may be truncated or empty. {_REFILM}",
            )
        rotation, rounded = clockwise_rotation_deg(first.rotation, _legacy_rotate_tag_deg(stream))
        width, height = int(first.width), int(first.height)
        if rotation in (90, 270):
            width, height = height, width
        issues: list[QualityIssue] = []
        if rounded:
            issues.append(
                QualityIssue(
                    "rotation_rounded",
                    f"The clip's rotation metadata is not a multiple of 90 degrees; frames were "
                    f"rotated by {rotation} degrees. Film with the phone held level.",
                )
            )
        issues.extend(_frame_rate_issues(path, fps))
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        n_est = int(stream.frames) if stream.frames else 0
        if n_est <= 0 and duration:
            n_est = round(duration * fps)
        return VideoInfo(
            path=str(path),
            codec=stream.codec_context.name,
            width_px=width,
            height_px=height,
            rotation_deg=rotation,
            nominal_fps=fps,
            n_frames_estimate=max(n_est, 1),
            duration_s=duration,
            issues=tuple(issues),
            first_pts=first.pts,
            time_base=stream.time_base,
        )
    finally:
        container.close()


@dataclass(frozen=True)
class PacketTimeline:
    """Every frame's time, as a full decode gives it, and the keyframes, read from the packets
    alone (no decoding): where a pass may start a second decoder."""

    times_s: np.ndarray
    keyframes: tuple[int, ...]


def packet_timeline(path: str | Path, info: VideoInfo) -> PacketTimeline | None:
    """The clip's frame times and keyframe indices from its packets, or None where the packets
    cannot tell for sure (a packet without a timestamp, two packets with one timestamp, a first
    timestamp other than the first decoded frame's). A decode must still confirm the count:
    a codec may hide frames inside packets."""
    import av

    if info.first_pts is None or info.time_base is None:
        return None
    try:
        with av.open(str(path), mode="r") as container:
            stream = container.streams.video[0]
            pts: list[int] = []
            key: list[int] = []
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream packet
                if packet.pts is None:
                    return None
                pts.append(int(packet.pts))
                if packet.is_keyframe:
                    key.append(int(packet.pts))
    except Exception:  # PyAV raises several error types for broken data
        return None
    ordered = sorted(pts)
    if not ordered or ordered[0] != info.first_pts or len(set(ordered)) != len(ordered):
        return None
    # The decoder's own arithmetic (see _decode_worker), so that times compare exactly.
    times = np.array([float((p - info.first_pts) * info.time_base) for p in ordered])
    index = {p: k for k, p in enumerate(ordered)}
    return PacketTimeline(times_s=times, keyframes=tuple(sorted(index[p] for p in key)))


def _frame_rate_issues(path: Path, fps: float) -> list[QualityIssue]:
    if fps <= 0 or math.isnan(fps):
        raise InputError(
            f"{path.name} does not state a frame rate, so frame times are unknown.",
            _REFILM,
        )
    if fps < MIN_FPS_ERROR:
        raise InputError(
            f"{path.name} has {fps:.1f} frames/s; gait events need at least "
            f"{MIN_FPS_ERROR:.0f} (a step lasts about half a second).",
            "Film at 30 frames/s or more (60 is better), not as a time-lapse.",
        )
    if fps > MAX_FPS_ERROR:
        raise InputError(
            f"{path.name} claims {fps:.0f} frames/s, above any camera rate "
            f"({MAX_FPS_ERROR:.0f}); its timing metadata is not trustworthy.",
            _REFILM,
        )
    if fps < LOW_FPS_WARNING:
        return [
            QualityIssue(
                "low_frame_rate",
                f"The clip has {fps:.1f} frames/s: event times are only accurate to about "
                f"{1000 / fps:.0f} ms. Film at 30 frames/s or more.",
            )
        ]
    if fps > HIGH_FPS_WARNING:
        return [
            QualityIssue(
                "high_frame_rate",
                f"The clip has {fps:.0f} frames/s: check that it is real time, not a slow-motion "
                "export (cadence would be wrong). Analysis takes longer at this rate.",
            )
        ]
    return []


_END = object()

# glibc raises its mmap threshold to the size of the largest block freed (up to 32 MB); from then
# on decoded frames (several MB each, allocated and freed by several threads) come from
# per-thread heaps that keep the memory, and peak memory grew with clip length (the sample clip
# looped 4x: +11 %). A fixed threshold keeps every frame-sized block mapped and returned to the
# system when freed. Measured on the sample clip re-encoded (analysis peak RSS, 2 runs each):
# 644-727 MB for the clip and 619-818 MB looped 4x without it; 543-548 and 540-551 MB with it.
_M_MMAP_THRESHOLD = -3  # mallopt parameter number (glibc malloc.h)
_MMAP_THRESHOLD_BYTES = 1 << 20


@functools.cache
def keep_frame_memory_mapped() -> None:
    """Fix glibc's mmap threshold at 1 MB for this process (once; nothing elsewhere)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(ctypes.c_int(_M_MMAP_THRESHOLD), ctypes.c_int(_MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return


class _SeekMissedError(Exception):
    """A seek did not land on a frame of the known timeline: decode from the start instead."""


@dataclass(frozen=True)
class _Request:
    """What the decoding thread should deliver."""

    rotation: int
    nominal_fps: float
    start_at: int = 0
    stop_after: int | None = None
    frame_times_s: np.ndarray | None = None
    first_pts: int | None = None
    time_base: Fraction | None = None
    want_image: Callable[[int], bool] | None = None
    on_image: Callable[[int, np.ndarray], None] | None = None
    keep_raw: bool = False
    raw_as: Callable[[Any], Any] | None = None
    threads: int = 0


def _open_video_stream(path: Path, threads: int) -> tuple[Any, Any]:
    """The clip's container and its video stream, decoded with ``threads`` threads (0: FFmpeg's
    own choice, frame and slice threads on every core)."""
    import av

    container = av.open(str(path), mode="r")
    stream = container.streams.video[0]
    if threads == 1:
        stream.thread_type = "NONE"
    else:
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = max(0, threads)
    return container, stream


def _seek_index(container, stream, request: _Request) -> tuple[object, int] | None:
    """Seek to the keyframe at or before ``start_at`` and return (frame iterator, index of its
    first frame), the index found from the frame's timestamp on the timeline of a full decode.
    None when seeking is not possible or not worth it."""
    times = request.frame_times_s
    if (
        request.start_at <= 0
        or times is None
        or request.first_pts is None
        or request.time_base is None
        or request.start_at >= len(times)
    ):
        return None
    target = request.first_pts + int(float(times[request.start_at]) / request.time_base)
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
    except Exception:  # some containers cannot seek: decode from the start
        return None
    frames = container.decode(stream)
    first = next(frames, None)
    if first is None or first.pts is None:
        raise _SeekMissedError
    time_s = float((first.pts - request.first_pts) * request.time_base)
    index = int(np.searchsorted(times, time_s - 1e-6))
    if index >= len(times) or abs(float(times[index]) - time_s) > 1e-6 or index > request.start_at:
        raise _SeekMissedError
    return itertools.chain([first], frames), index


def _decode_worker(
    path: Path,
    request: _Request,
    out: queue.Queue,
    stop: threading.Event,
    log: DecodeLog,
) -> None:
    try:
        container, stream = _open_video_stream(path, request.threads)
    except Exception as exc:  # reported to the consumer
        out.put(exc)
        return
    try:
        time_base = stream.time_base or Fraction(1, 1)
        first_pts: int | None = None
        last_time = -math.inf
        index = 0
        seeked = None
        try:
            seeked = _seek_index(container, stream, request)
        except _SeekMissedError:
            container.close()
            container, stream = _open_video_stream(path, request.threads)
        if seeked is not None:
            frames, index = seeked
        else:
            frames = container.decode(stream)
        timeline = request.frame_times_s if seeked is not None else None
        while not stop.is_set():
            try:
                frame = next(frames)
            except StopIteration:
                break
            except Exception as exc:
                if index == 0:
                    out.put(exc)
                    return
                log.issues.append(
                    QualityIssue(
                        "video_decode_error",
                        f"Decoding stopped after frame {index} ({exc}); the end of the clip is "
                        "missing. Copy the clip again from the phone.",
                    )
                )
                break
            if timeline is not None and index < len(timeline):
                time_s = float(timeline[index])  # the times of the full decode
            elif frame.pts is not None:
                if first_pts is None:
                    first_pts = frame.pts if request.first_pts is None else request.first_pts
                time_s = float((frame.pts - first_pts) * time_base)
            else:
                time_s = 0.0 if index == 0 else last_time + 1.0 / request.nominal_fps
            if time_s <= last_time:  # duplicated or reordered timestamp: keep time increasing
                time_s = last_time + 1.0 / request.nominal_fps
            last_time = time_s
            if index < request.start_at:
                index += 1
                continue
            image = None
            if request.keep_raw:
                raw = frame if request.raw_as is None else request.raw_as(frame)
                item = VideoFrame(index=index, time_s=time_s, image=None, raw=raw)
            else:
                if request.want_image is None or request.want_image(index):
                    image = frame_to_rgb(frame, request.rotation)
                    if request.on_image is not None:
                        request.on_image(index, image)
                item = VideoFrame(index=index, time_s=time_s, image=image)
            index += 1
            put_unless_stopped(out, item, stop)
            if request.stop_after is not None and item.index >= request.stop_after:
                break
        log.n_frames = index
    except Exception as exc:
        out.put(exc)
        return
    finally:
        container.close()
    out.put(_END)


def iter_frames(
    path: str | Path,
    info: VideoInfo | None = None,
    log: DecodeLog | None = None,
    max_queued: int = 3,
    stop_after: int | None = None,
    start_at: int = 0,
    frame_times_s: np.ndarray | None = None,
    want_image: Callable[[int], bool] | None = None,
    on_image: Callable[[int, np.ndarray], None] | None = None,
    keep_raw: bool = False,
    threads: int = 0,
    raw_as: Callable[[Any], Any] | None = None,
) -> Generator[VideoFrame, None, None]:
    """Yield the frames of a clip in decode order, decoded in a background thread.

    At most ``max_queued`` frames wait in memory. ``stop_after`` (a frame index) ends decoding
    early. ``start_at`` skips the frames before it; with ``frame_times_s`` (the times of a full
    decode of the same clip) decoding starts by seeking to the keyframe before it, and the
    frames found keep the indices and times of the full decode (if the seek lands anywhere
    else, the clip is decoded from its start). ``want_image(index)`` False yields the frame's
    time with ``image=None`` (no colour conversion). ``on_image(index, image)`` is called in the
    decoding thread with every converted frame (it must not change the image), e.g. to keep a
    small copy (:class:`groundup.video.frame_store.FrameStore`). ``keep_raw`` yields the decoded
    PyAV frames instead of RGB images (``raw``; converted later with :func:`frame_to_rgb`, e.g.
    only those used); ``raw_as(frame)``, where given, is applied to each of them in the decoding
    thread (e.g. scaling, which PyAV does without the interpreter lock). ``threads``: decoding
    threads (0: FFmpeg's choice, frame threads on every core; 1 costs least CPU where other work
    keeps the cores busy anyway: VP9 at 1768 x 994 took 0.99 s CPU for 230 frames on one thread,
    1.22 s with FFmpeg's choice). Problems after the first frame are appended to
    ``log.issues``; a clip whose first frame cannot be decoded raises :class:`InputError`.
    """
    path = Path(path)
    keep_frame_memory_mapped()
    info = info or probe_video(path)
    log = log if log is not None else DecodeLog()
    out: queue.Queue = queue.Queue(maxsize=max_queued)
    stop = threading.Event()
    request = _Request(
        rotation=info.rotation_deg,
        nominal_fps=info.nominal_fps,
        start_at=max(0, int(start_at)),
        stop_after=stop_after,
        frame_times_s=None if frame_times_s is None else np.asarray(frame_times_s, dtype=float),
        first_pts=info.first_pts,
        time_base=info.time_base,
        want_image=want_image,
        on_image=on_image,
        keep_raw=keep_raw,
        raw_as=raw_as,
        threads=threads,
    )
    worker = threading.Thread(
        target=_decode_worker,
        args=(path, request, out, stop, log),
        name="groundup-video-decode",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise InputError(
                    f"{path.name} could not be decoded ({item}).",
                    f"The file may be damaged or truncated. {_REFILM}",
                ) from item
            yield item
            if stop_after is not None and item.index >= stop_after:
                return
    finally:
        stop_worker(worker, out, stop)


def put_unless_stopped(out: queue.Queue, item: object, stop: threading.Event) -> None:
    """A background producer hands ``item`` on, waiting while the queue is full, unless the
    consumer stops it first (see :func:`stop_worker`)."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def stop_worker(worker: threading.Thread, out: queue.Queue, stop: threading.Event) -> None:
    """Stop a background producer: signal it, and empty its queue until it has ended (it may be
    blocked putting an item)."""
    stop.set()
    while worker.is_alive():
        try:
            out.get_nowait()
        except queue.Empty:
            worker.join(timeout=0.05)
