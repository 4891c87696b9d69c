"""The annotated video: the chosen subject's skeleton, every person's box, gait events, faces
hidden.

Frames are streamed (decoded, drawn and encoded one at a time, with a bounded delay; memory does
not grow with clip length), scaled down to at most ``MAX_SIDE_PX`` on the long side by the
decoder's scaler, kept in the encoder's I420 (YUV 4:2:0) from there on (hidden and drawn on
plane by plane; an RGB copy only of the frames a detector looks at), and written as H.264 MP4
with PyAV at the source's frame timestamps. Faces are hidden by default with the same
pixelate-and-blur as the report's key frames (:mod:`groundup.privacy`), for every person, not
only the patient: the subject's head from their face landmarks; every tracked person's head,
located from the person detector's trunk keypoints (:class:`groundup.privacy.heads.
TrackedHeads`); and every face a face detector finds, followed from frame to frame
(:class:`groundup.privacy.face_tracks.FaceTracks`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundup.errors import InputError
from groundup.in_thread import InThread
from groundup.keypoints.blazepose import BLAZEPOSE_NAMES
from groundup.privacy.face_tracks import FaceTracks
from groundup.privacy.heads import TrackedHeads
from groundup.privacy.pixelate import pixelate_boxes_i420
from groundup.trial import Trial
from groundup.video.decode import iter_frames, probe_video, rotate_image
from groundup.video.rgb import to_rgb

MAX_SIDE_PX = 1280
# libx264 "ultrafast" at quality 26: measured on sports2d_demo.mp4 (230 frames at 1280 px, CPU
# seconds of the encoder): 0.8 s for 2.7 MB, against 1.5 s for 2.5 MB with "superfast" at 23
# (the earlier setting) and 1.3 s for 1.5 MB with "superfast" at 26; about 21 MB a minute.
H264_PRESET = "ultrafast"
H264_CRF = "26"
# Colours (RGB): left side blue, right side orange (the report's side colours), midline green.
Colour = tuple[int, int, int]
Point = tuple[int, int]
LEFT_RGB = (31, 119, 180)
RIGHT_RGB = (255, 127, 14)
MIDLINE_RGB = (44, 160, 44)
SUBJECT_BOX_RGB = (255, 215, 0)
OTHER_BOX_RGB = (150, 150, 150)
# An event's label stays on screen this long either side of the event.
EVENT_LABEL_HALF_WINDOW_S = 0.15
BONES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_toe"),
    ("left_ankle", "left_toe"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_toe"),
    ("right_ankle", "right_toe"),
)
# BlazePose's face landmarks: nose, eyes, ears, mouth (the first eleven).
FACE_POINTS: tuple[str, ...] = BLAZEPOSE_NAMES[:11]


def bone_colour(a: str, b: str) -> Colour:
    if a.startswith("left") and b.startswith("left"):
        return LEFT_RGB
    if a.startswith("right") and b.startswith("right"):
        return RIGHT_RGB
    return MIDLINE_RGB


def _valid_box(boxes: np.ndarray, frame: int) -> np.ndarray | None:
    if frame >= boxes.shape[0] or not np.isfinite(boxes[frame]).all():
        return None
    return boxes[frame]


def _event_labels(
    events: Sequence[Mapping[str, Any]], time_s: float
) -> list[tuple[str, str, float]]:
    """Events whose time lies within the label window of ``time_s``: (side, kind, time)."""
    out = []
    for event in events:
        t = float(event.get("time_s", np.nan))
        if abs(t - time_s) <= EVENT_LABEL_HALF_WINDOW_S:
            out.append((str(event.get("side", "")), str(event.get("kind", "")), t))
    return out


@cache
def _i420_colour(rgb: Colour) -> Colour:
    """(Y, U, V) of an RGB colour, by the conversion the encoder's frames get (BT.601)."""
    patch = np.full((2, 2, 3), rgb, dtype=np.uint8)
    y, u, v = cv2.cvtColor(patch, cv2.COLOR_RGB2YUV_I420).ravel()[[0, 4, 5]]
    return int(y), int(u), int(v)


class _Canvas:
    """Drawing on a picture kept as its I420 planes (Y full size, U and V half size each way),
    coordinates in the Y plane's pixels. Each shape is drawn once, anti-aliased, into a mask
    the size of its bounding box; the mask blends the colour into Y, and the mask averaged over
    2 x 2 pixels blends it into U and V: what drawing on the RGB picture and converting it to
    I420 gave, without converting the whole picture there and back."""

    def __init__(self, planes: list[np.ndarray]) -> None:
        self.planes = planes

    @property
    def width(self) -> int:
        return int(self.planes[0].shape[1])

    def _blend(
        self, box: tuple[int, int, int, int], rgb: Colour, draw: Callable[[np.ndarray, Point], None]
    ) -> None:
        """Blend ``rgb`` where ``draw(mask, origin)`` draws 255 (``origin``: the mask's top-left
        corner in picture pixels) in ``box`` (x0, y0, x1, y1)."""
        luma = self.planes[0]
        height, width = luma.shape
        x0, y0 = max(0, box[0]) // 2 * 2, max(0, box[1]) // 2 * 2
        x1, y1 = min(width, box[2] + 1) // 2 * 2, min(height, box[3] + 1) // 2 * 2
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
        draw(mask, (x0, y0))
        half = cv2.resize(mask, ((x1 - x0) // 2, (y1 - y0) // 2), interpolation=cv2.INTER_AREA)
        regions = [(y0, y1, x0, x1, mask)] + [(y0 // 2, y1 // 2, x0 // 2, x1 // 2, half)] * 2
        for plane, value, (r0, r1, c0, c1, alpha) in zip(
            self.planes, _i420_colour(rgb), regions, strict=True
        ):
            if not alpha.any():
                continue
            region = plane[r0:r1, c0:c1]
            weight = alpha.astype(np.uint16)
            region[:] = (region * (255 - weight) + value * weight + 127) // 255

    def lines(self, segments: list[tuple[Point, Point]], rgb: Colour, thickness: int) -> None:
        """Line segments of one colour, blended through one mask."""
        if not segments:
            return
        ends = np.array(segments, dtype=int).reshape(-1, 2)
        reach = thickness + 2
        x0, y0 = (int(v) - reach for v in ends.min(0))
        x1, y1 = (int(v) + reach for v in ends.max(0))
        box = (x0, y0, x1, y1)

        def draw(mask: np.ndarray, origin: Point) -> None:
            for p0, p1 in segments:
                cv2.line(mask, _minus(p0, origin), _minus(p1, origin), 255, thickness, cv2.LINE_AA)

        self._blend(box, rgb, draw)

    def rectangle(self, p0: Point, p1: Point, rgb: Colour, thickness: int) -> None:
        for a, b in ((p0, (p1[0], p0[1])), ((p1[0], p0[1]), p1), (p1, (p0[0], p1[1])),
                     ((p0[0], p1[1]), p0)):  # fmt: skip
            self.lines([(a, b)], rgb, thickness)

    def disc(self, centre: Point, radius: int, rgb: Colour) -> None:
        reach = radius + 2
        box = (centre[0] - reach, centre[1] - reach, centre[0] + reach, centre[1] + reach)
        self._blend(box, rgb, lambda m, o: cv2.circle(m, _minus(centre, o), radius, 255, -1,
                                                        cv2.LINE_AA))  # fmt: skip

    def text(self, label: str, origin: Point, size: float, rgb: Colour, thickness: int) -> None:
        font = cv2.FONT_HERSHEY_SIMPLEX
        (w, h), baseline = cv2.getTextSize(label, font, size, thickness)
        reach = thickness + 2
        box = (origin[0] - reach, origin[1] - h - reach, origin[0] + w + reach,
               origin[1] + baseline + reach)  # fmt: skip
        self._blend(box, rgb, lambda m, o: cv2.putText(m, label, _minus(origin, o), font, size,
                                                         255, thickness, cv2.LINE_AA))  # fmt: skip


def _minus(p: Point, o: Point) -> Point:
    return p[0] - o[0], p[1] - o[1]


def _draw_frame(
    canvas: _Canvas,
    scale: float,
    frame: int,
    time_s: float,
    trial: Trial,
    events: Sequence[Mapping[str, Any]],
    track_boxes_px: Mapping[int, np.ndarray],
    subject_track_id: int,
    hide_px: list[np.ndarray] | None,
) -> None:
    """Draw one output frame in place (already scaled): heads hidden first (``hide_px``: boxes
    in the output frame's pixels), then the drawing."""
    if hide_px:
        pixelate_boxes_i420(canvas.planes, hide_px)
    thick = max(2, round(3 * canvas.width / MAX_SIDE_PX))
    for track_id, boxes in track_boxes_px.items():
        box = _valid_box(boxes, frame)
        if box is None:
            continue
        p0 = _px(box[:2] * scale)
        p1 = _px(box[2:] * scale)
        subject = track_id == subject_track_id
        colour = SUBJECT_BOX_RGB if subject else OTHER_BOX_RGB
        canvas.rectangle(p0, p1, colour, thick if subject else 1)
        if subject:
            canvas.text("subject", (p0[0], max(12, p0[1] - 6)), 0.6, colour, 2)

    def point(name: str) -> np.ndarray | None:
        arr = trial.points.get(name)
        if arr is None or frame >= arr.shape[0] or not np.isfinite(arr[frame]).all():
            return None
        return arr[frame] * scale

    segments: dict[Colour, list[tuple[Point, Point]]] = {}
    for a, b in BONES:
        pa, pb = point(a), point(b)
        if pa is not None and pb is not None:
            segments.setdefault(bone_colour(a, b), []).append((_px(pa), _px(pb)))
    for colour, lines in segments.items():
        canvas.lines(lines, colour, thick)
    for row, (side, kind, t) in enumerate(_event_labels(events, time_s)):
        colour = LEFT_RGB if side == "left" else RIGHT_RGB if side == "right" else MIDLINE_RGB
        label = f"{side} {'heel strike' if kind == 'heel_strike' else kind.replace('_', ' ')}"
        foot = point(f"{side}_heel" if kind == "heel_strike" else f"{side}_toe")
        if foot is not None:
            radius = 4 * thick if abs(t - time_s) < 0.5 / max(trial.point_rate_hz, 1) else 2 * thick
            canvas.disc(_px(foot), radius, colour)
        canvas.text(label, (10, 30 + 28 * row), 0.8, colour, 2)


def _px(xy: np.ndarray) -> Point:
    return int(np.rint(xy[0])), int(np.rint(xy[1]))


def write_annotated_video(
    path_in: str | Path,
    path_out: str | Path,
    trial: Trial,
    events: Sequence[Mapping[str, Any]],
    track_boxes_px: Mapping[int, np.ndarray],
    subject_track_id: int,
    blur_faces: bool = True,
    track_trunks_px: Mapping[int, np.ndarray] | None = None,
) -> Path:
    """Write the annotated H.264 MP4 of a clip and return its path.

    ``events``: analysis.json event dicts (``side``, ``kind``, ``time_s``, ``frame``);
    ``track_boxes_px``: per track (n_frames, 4) boxes in source pixels; ``track_trunks_px``: per
    track (n_frames, 4) detector mid-hip and mid-shoulder in source pixels, NaN where the person
    detector did not run or find them (:attr:`groundup.video.pose_run.VideoPoseResult.
    track_trunks_px`).
    """
    import av

    path_in, path_out = Path(path_in), Path(path_out)
    info = probe_video(path_in)
    scale = min(1.0, MAX_SIDE_PX / max(info.width_px, info.height_px))
    width = max(2, round(info.width_px * scale) // 2 * 2)
    height = max(2, round(info.height_px * scale) // 2 * 2)
    path_out.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name in the same folder, then renamed: an earlier annotated
    # video is never replaced by a half-written one.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path_out.stem}.", suffix=".mp4", dir=path_out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        container = av.open(str(tmp), "w")
    except (OSError, av.error.FFmpegError) as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(
            f"The annotated video {path_out} could not be created ({exc}).",
            "Choose an output folder you can write to.",
        ) from exc
    try:
        _encode(container, path_in, info, width, height, trial, events, track_boxes_px,
                subject_track_id, blur_faces, track_trunks_px)  # fmt: skip
        os.replace(tmp, path_out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path_out


def _encode(
    container: Any,
    path_in: Path,
    info: Any,
    width: int,
    height: int,
    trial: Trial,
    events: Sequence[Mapping[str, Any]],
    track_boxes_px: Mapping[int, np.ndarray],
    subject_track_id: int,
    blur_faces: bool,
    track_trunks_px: Mapping[int, np.ndarray] | None,
) -> None:
    """Decode, draw and encode every frame into ``container`` (closed at the end).

    A frame is written once the frames ``delay`` after it were decoded: the heads and faces
    found there (a face found later is followed back to it) are hidden in it too."""

    rate = Fraction(info.nominal_fps).limit_denominator(1001)
    time_base = Fraction(1, 1000)
    last_pts = -1
    with container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = time_base
        # The encoder counts in the same millisecond clock as the frames: with its default
        # clock of 1/fps, frames of a clip with uneven timing (33/67 ms steps, common in low
        # light) were rounded onto the same tick and the muxer refused them.
        stream.codec_context.time_base = time_base
        stream.options = {"preset": H264_PRESET, "crf": H264_CRF}
        fps = float(info.nominal_fps or 30.0)
        scale = width / info.width_px
        heads = TrackedHeads(
            dict(trial.points), dict(track_boxes_px), subject_track_id, scale, fps,
            trunks_px=dict(track_trunks_px or {}),
        )  # fmt: skip
        faces = FaceTracks(fps, lambda k: heads.known(k, (height, width)))
        delay = max(faces.delay_frames, heads.hold_frames) if blur_faces else 0
        waiting: deque[tuple[Any, _Picture]] = deque()
        shape = (height, width, 3)

        def flush(vf: Any, picture: _Picture) -> None:
            nonlocal last_pts
            hide = []
            if blur_faces:
                found = faces.boxes(vf.index)
                hide = heads.boxes(vf.index, shape, found) + found
                heads.forget_before(vf.index)
                faces.forget_before(vf.index)
            picture.drawn()
            _draw_frame(
                _Canvas(picture.planes), scale, vf.index, vf.time_s, trial, events,
                track_boxes_px, subject_track_id, hide,
            )  # fmt: skip
            frame = picture.frame
            pts = max(last_pts + 1, round(vf.time_s / time_base))
            frame.pts, frame.time_base, last_pts = pts, time_base, pts
            encoder.put(frame)

        # H.264 encoding in a thread of its own (PyAV lets go of the interpreter lock while
        # x264 works): the drawing of the next frames goes on meanwhile.
        encoder = _EncodingThread(stream, container)
        try:
            # Each frame is scaled in the decoding thread, beside the drawing of the frames
            # before it.
            def scaled(frame: Any) -> Any:
                return _scaled_i420(frame, info.rotation_deg, width, height)

            for vf in iter_frames(path_in, info, keep_raw=True, raw_as=scaled):
                picture = _Picture(vf.raw)
                vf.raw = None
                if blur_faces:
                    heads.add(vf.index, picture.rgb, shape=shape)
                    faces.add(vf.index, picture.rgb)
                waiting.append((vf, picture))
                if blur_faces and len(waiting) > faces.sweep_every + 1:
                    # No face search looks this far back: its RGB copy is not needed any more.
                    waiting[-2 - faces.sweep_every][1].forget_rgb()
                while waiting and waiting[0][0].index <= vf.index - delay:
                    flush(*waiting.popleft())
            while waiting:
                flush(*waiting.popleft())
        except BaseException:
            encoder.abandon()  # the container is not closed under the encoding thread
            raise
        encoder.finish()


# Frames drawn and waiting for the encoding thread: a few, so that drawing and encoding overlap
# (1.4 MB each at 1280 x 720) without the drawing running far ahead.
ENCODE_QUEUE_FRAMES = 4


class _EncodingThread:
    """``stream``'s frames encoded and muxed into ``container`` in a thread of their own, in
    the order given to :meth:`put`; :meth:`finish` flushes the encoder and raises the
    thread's error, if any; :meth:`abandon` ends it without finishing (an error elsewhere)."""

    def __init__(self, stream: Any, container: Any) -> None:
        self._stream, self._container = stream, container
        self._frames: queue.Queue[Any] = queue.Queue(maxsize=ENCODE_QUEUE_FRAMES)
        self._abandoned = False
        self._worker = InThread(self._run, "groundup-encode")

    def _run(self) -> None:
        while (frame := self._frames.get()) is not None and not self._abandoned:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        if not self._abandoned:
            for packet in self._stream.encode():  # the frames the encoder still holds
                self._container.mux(packet)

    def put(self, frame: Any) -> None:
        """Queue ``frame``; raises the thread's error where it has failed."""
        while True:
            if not self._worker.is_alive():
                self._worker.result()  # its error
                raise RuntimeError("the annotated video's encoding thread ended early")
            try:
                self._frames.put(frame, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self.put(None)
        self._worker.result()

    def abandon(self) -> None:
        self._abandoned = True
        with contextlib.suppress(queue.Empty):
            while True:
                self._frames.get_nowait()
        with contextlib.suppress(queue.Full):
            self._frames.put_nowait(None)
        self._worker.join()


_SCALER = "FAST_BILINEAR"


class _Picture:
    """One output frame as the encoder takes it (an I420 PyAV frame, drawn on in place through
    views of its planes), and its RGB copy for the face and person detectors, made only when
    one asks for it and never after drawing began (the detectors see the clip, not the
    drawing)."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame
        self.planes = [
            np.frombuffer(p, dtype=np.uint8).reshape(p.height, p.line_size)[:, : p.width]
            for p in frame.planes
        ]
        self._rgb: np.ndarray | None = None
        self._drawn = False

    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            if self._drawn:
                raise RuntimeError("the RGB copy of a frame was asked for after drawing on it")
            # The decoder's scaler, as for a frame scaled straight to RGB (it scales in YUV
            # first): the detectors see the same pixels as before (measured: identical).
            self._rgb = to_rgb(self.frame, _SCALER)
        return self._rgb

    def forget_rgb(self) -> None:
        self._rgb = None

    def drawn(self) -> None:
        """Drawing begins: the RGB copy is no longer needed."""
        self._drawn, self._rgb = True, None


def _scaled_i420(frame: Any, rotation_deg: int, width: int, height: int) -> Any:
    """A decoded frame as the upright I420 frame of the output size, scaled by the decoder's
    scaler without leaving YUV (bilinear; measured on the sample clip, 230 frames at 1280 px:
    0.47 s CPU against 0.97 s for the same scaling to RGB)."""
    import av

    turned = rotation_deg in (90, 270)
    w, h = (height, width) if turned else (width, height)
    scaled = frame.reformat(w, h, "yuv420p", interpolation=_SCALER)
    if rotation_deg % 360 == 0:
        return scaled
    upright = av.VideoFrame(width, height, "yuv420p")
    for source, target in zip(_Picture(scaled).planes, _Picture(upright).planes, strict=True):
        target[:] = rotate_image(source, rotation_deg)
    return upright


def head_boxes(
    image: np.ndarray,
    frame: int,
    trial: Trial,
    track_boxes_px: Mapping[int, np.ndarray],
    subject_track_id: int | None,
    scale: float = 1.0,
    faces: list[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Every known head in one picture (the frame ``frame`` at ``scale`` times the source
    size), as boxes in the picture's pixels: the subject's from their face landmarks, every
    tracked person's located in the picture itself (or by a face in ``faces`` found in their
    upper body, see :meth:`TrackedHeads.boxes`)."""
    heads = TrackedHeads(
        dict(trial.points), dict(track_boxes_px), subject_track_id, scale,
        float(trial.point_rate_hz or 30.0),
    )  # fmt: skip
    heads.add(frame, image, every_track=True)
    return heads.boxes(frame, image.shape, faces)
