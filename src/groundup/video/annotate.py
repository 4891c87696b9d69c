"""The annotated video: the chosen subject's skeleton, every person's box, gait events, faces
blurred.

Frames are streamed (decoded, drawn and encoded one at a time; memory does not grow with clip
length), scaled down to at most ``MAX_SIDE_PX`` on the long side, and written as H.264 (yuv420p)
MP4 with PyAV at the source's frame timestamps. Faces are hidden by default with the same
pixelate-and-blur as the report's key frames (:mod:`groundup.privacy`), for every person, not
only the patient: the subject's face landmarks (nose, eyes, ears, mouth); every tracked person's
face box from the detector, or the head end of their body box, also in the frames around those
where the tracker lost them (``FACE_HOLD_S``: a bystander does not vanish between two
detections); and every face the face detector finds in the frame, held the same way.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundup.errors import InputError
from groundup.keypoints.blazepose import BLAZEPOSE_NAMES
from groundup.privacy import find_faces_px, pixelate_regions
from groundup.trial import Trial
from groundup.video.decode import iter_frames, probe_video

MAX_SIDE_PX = 1280
# libx264 "superfast": measured on sports2d_demo.mp4 (230 frames, 1280 px), the whole video took
# 2.8 s against 3.5 s with "veryfast", for a file about twice as large (3 MB, about 24 MB a
# minute); "ultrafast" saved 0.5 s more for files 3x as large.
H264_PRESET = "superfast"
# Colours (RGB): left side blue, right side orange (the report's side colours), midline green.
LEFT_RGB = (31, 119, 180)
RIGHT_RGB = (255, 127, 14)
MIDLINE_RGB = (44, 160, 44)
SUBJECT_BOX_RGB = (255, 215, 0)
OTHER_BOX_RGB = (150, 150, 150)
# An event's label stays on screen this long either side of the event.
EVENT_LABEL_HALF_WINDOW_S = 0.15
# Head region inside a body box (body box = square around the full-body circle, whose top is
# about the top of the head): fractions of the box size, used only without detector face boxes.
HEAD_WIDTH_FRACTION = 0.3
HEAD_HEIGHT_FRACTION = 0.22
# A detector face box is trusted only when it is at most this fraction of the same person's
# body box (a head is about 1/8 of body height; the detector's face box of a small, far person
# can be as large as the body); otherwise the head end of the body box is used.
MAX_FACE_TO_BODY = 0.35
# A face seen (by the tracker or the face detector) is also hidden this long before and after:
# detectors miss a face for a few frames (motion blur, a turned head), the face stays there.
FACE_HOLD_S = 0.5
# Another track whose box overlaps the subject's this much (intersection over union) is the
# subject seen twice by the tracker; the subject's face landmarks already locate the face.
SAME_PERSON_OVERLAP = 0.5
# The face detector searches a frame this often (and its faces are held, above): searching every
# frame in tiles costs about as much as the pose estimation.
FACE_SEARCH_EVERY_S = 0.2

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


def bone_colour(a: str, b: str) -> tuple[int, int, int]:
    if a.startswith("left") and b.startswith("left"):
        return LEFT_RGB
    if a.startswith("right") and b.startswith("right"):
        return RIGHT_RGB
    return MIDLINE_RGB


def _valid_box(boxes: np.ndarray, frame: int) -> np.ndarray | None:
    if frame >= boxes.shape[0] or not np.isfinite(boxes[frame]).all():
        return None
    return boxes[frame]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _held_box(boxes: np.ndarray, frame: int, hold_frames: int) -> np.ndarray | None:
    """The box at ``frame``, or else the nearest one within ``hold_frames`` of it."""
    for offset in range(hold_frames + 1):
        for k in (frame - offset, frame + offset):
            if 0 <= k < boxes.shape[0] and np.isfinite(boxes[k]).all():
                return boxes[k]
    return None


def _head_box(body_box: np.ndarray) -> np.ndarray:
    x0, y0, x1, _y1 = body_box
    size = x1 - x0
    cx = (x0 + x1) / 2
    half = HEAD_WIDTH_FRACTION * size / 2
    return np.array([cx - half, y0, cx + half, y0 + HEAD_HEIGHT_FRACTION * size])


def _corners(box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=float)


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


def _draw_frame(
    image: np.ndarray,
    scale: float,
    frame: int,
    time_s: float,
    trial: Trial,
    events: Sequence[Mapping[str, Any]],
    track_boxes_px: Mapping[int, np.ndarray],
    subject_track_id: int,
    faces_px: list[np.ndarray] | None,
) -> np.ndarray:
    """One output frame (RGB, already scaled): faces hidden first, then the drawing."""
    if faces_px:
        image = pixelate_regions(image, [f * scale for f in faces_px], in_place=True)
    thick = max(2, round(3 * image.shape[1] / MAX_SIDE_PX))
    for track_id, boxes in track_boxes_px.items():
        box = _valid_box(boxes, frame)
        if box is None:
            continue
        p0 = tuple(int(v) for v in np.rint(box[:2] * scale))
        p1 = tuple(int(v) for v in np.rint(box[2:] * scale))
        subject = track_id == subject_track_id
        colour = SUBJECT_BOX_RGB if subject else OTHER_BOX_RGB
        cv2.rectangle(image, p0, p1, colour, thick if subject else 1, cv2.LINE_AA)
        if subject:
            cv2.putText(
                image, "subject", (p0[0], max(12, p0[1] - 6)), cv2.FONT_HERSHEY_SIMPLEX,
                0.6, colour, 2, cv2.LINE_AA,
            )  # fmt: skip

    def point(name: str) -> np.ndarray | None:
        arr = trial.points.get(name)
        if arr is None or frame >= arr.shape[0] or not np.isfinite(arr[frame]).all():
            return None
        return arr[frame] * scale

    for a, b in BONES:
        pa, pb = point(a), point(b)
        if pa is not None and pb is not None:
            cv2.line(
                image,
                tuple(int(v) for v in np.rint(pa)),
                tuple(int(v) for v in np.rint(pb)),
                bone_colour(a, b),
                thick,
                cv2.LINE_AA,
            )
    for row, (side, kind, t) in enumerate(_event_labels(events, time_s)):
        colour = LEFT_RGB if side == "left" else RIGHT_RGB if side == "right" else MIDLINE_RGB
        label = f"{side} {'heel strike' if kind == 'heel_strike' else kind.replace('_', ' ')}"
        foot = point(f"{side}_heel" if kind == "heel_strike" else f"{side}_toe")
        if foot is not None:
            radius = 4 * thick if abs(t - time_s) < 0.5 / max(trial.point_rate_hz, 1) else 2 * thick
            cv2.circle(image, tuple(int(v) for v in np.rint(foot)), radius, colour, -1, cv2.LINE_AA)
        cv2.putText(
            image, label, (10, 30 + 28 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.8, colour, 2,
            cv2.LINE_AA,
        )  # fmt: skip
    return image


def write_annotated_video(
    path_in: str | Path,
    path_out: str | Path,
    trial: Trial,
    events: Sequence[Mapping[str, Any]],
    track_boxes_px: Mapping[int, np.ndarray],
    subject_track_id: int,
    blur_faces: bool = True,
    track_faces_px: Mapping[int, np.ndarray] | None = None,
) -> Path:
    """Write the annotated H.264 MP4 of a clip and return its path.

    ``events``: analysis.json event dicts (``side``, ``kind``, ``time_s``, ``frame``);
    ``track_boxes_px`` / ``track_faces_px``: per track (n_frames, 4) boxes in source pixels.
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
                subject_track_id, blur_faces, track_faces_px)  # fmt: skip
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
    track_faces_px: Mapping[int, np.ndarray] | None,
) -> None:
    """Decode, draw and encode every frame into ``container`` (closed at the end)."""
    import av

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
        stream.options = {"preset": H264_PRESET, "crf": "23"}
        fps = float(info.nominal_fps or 30.0)
        hold = max(1, round(FACE_HOLD_S * fps))
        search_every = max(1, round(FACE_SEARCH_EVERY_S * fps))
        waiting: deque[tuple[Any, np.ndarray, list[np.ndarray]]] = deque()
        found_at: dict[int, list[np.ndarray]] = {}
        scale = width / info.width_px

        def flush(entry: tuple[Any, np.ndarray, list[np.ndarray]]) -> None:
            nonlocal last_pts
            vf, image, faces = entry
            if blur_faces:
                for k in range(vf.index - hold, vf.index + hold + 1):
                    faces = faces + found_at.get(k, [])
            image = _draw_frame(
                image, scale, vf.index, vf.time_s, trial, events, track_boxes_px,
                subject_track_id, faces,
            )  # fmt: skip
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            pts = max(last_pts + 1, round(vf.time_s / time_base))
            frame.pts, frame.time_base, last_pts = pts, time_base, pts
            for packet in stream.encode(frame):
                container.mux(packet)

        for vf in iter_frames(path_in, info):
            assert vf.image is not None
            # Bilinear, not INTER_AREA (10 ms a frame at 1768 px, measured): a 4K clip loses a
            # little fine detail to aliasing, acceptable in a preview.
            image = cv2.resize(vf.image, (width, height), interpolation=cv2.INTER_LINEAR)
            image = np.ascontiguousarray(image)
            faces: list[np.ndarray] = []
            if blur_faces:
                faces = face_regions(
                    trial, vf.index, track_boxes_px, track_faces_px, subject_track_id
                )
                if vf.index % search_every == 0:
                    found = [box / scale for box in find_faces_px(image)]
                    found_at[vf.index] = _not_the_subject(found, trial, vf.index)
            waiting.append((vf, image, faces))
            # A frame is written once the face detector has seen the frames after it.
            while waiting and waiting[0][0].index <= vf.index - hold:
                done = waiting.popleft()
                flush(done)
                found_at.pop(done[0].index - hold, None)  # no later frame needs it
        while waiting:
            flush(waiting.popleft())
        for packet in stream.encode():
            container.mux(packet)


def _not_the_subject(found: list[np.ndarray], trial: Trial, frame: int) -> list[np.ndarray]:
    """Faces found by the face detector, without the subject's own (its landmarks hide it in
    every frame; held over half a second, a walking subject's face would smear into a band)."""
    pts = [
        arr[frame]
        for name in FACE_POINTS
        if (arr := trial.points.get(name)) is not None
        and frame < arr.shape[0]
        and np.isfinite(arr[frame]).all()
    ]
    if not pts:
        return found
    x0, y0 = np.min(pts, axis=0)
    x1, y1 = np.max(pts, axis=0)
    keep = []
    for box in found:
        cx, cy = box.mean(axis=0)
        pad = max(x1 - x0, y1 - y0, 10.0)
        if not (x0 - pad <= cx <= x1 + pad and y0 - pad <= cy <= y1 + pad):
            keep.append(box)
    return keep


def face_regions(
    trial: Trial,
    frame: int,
    track_boxes_px: Mapping[int, np.ndarray],
    track_faces_px: Mapping[int, np.ndarray] | None,
    subject_track_id: int | None = None,
) -> list[np.ndarray]:
    """Point sets (source pixels) of every face to hide in a frame.

    Where the subject's face landmarks are seen they locate the subject's face (more exactly
    than a box), and the subject's box is not used. Other people's boxes are held over
    ``FACE_HOLD_S`` around the frames where they were tracked.
    """
    hold = max(1, round(FACE_HOLD_S * (trial.point_rate_hz or 30.0)))
    regions: list[np.ndarray] = []
    pts = []
    for name in FACE_POINTS:
        arr = trial.points.get(name)
        if arr is not None and frame < arr.shape[0] and np.isfinite(arr[frame]).all():
            pts.append(arr[frame])
    if pts:
        regions.append(np.array(pts, dtype=float))
    subject_box = None
    if subject_track_id is not None and subject_track_id in track_boxes_px:
        subject_box = _valid_box(track_boxes_px[subject_track_id], frame)
    for track_id, boxes in track_boxes_px.items():
        if pts and track_id == subject_track_id:
            continue
        face = None
        held = 0 if track_id == subject_track_id else hold
        body = _held_box(boxes, frame, held)
        if (
            pts
            and track_id != subject_track_id
            and body is not None
            and subject_box is not None
            and _overlap(body, subject_box) > SAME_PERSON_OVERLAP
        ):
            continue  # a second track of the subject, whose face the landmarks already hide
        if track_faces_px is not None and track_id in track_faces_px:
            face = _held_box(track_faces_px[track_id], frame, held)
            if face is not None and body is not None:
                too_big = max(face[2] - face[0], face[3] - face[1]) > MAX_FACE_TO_BODY * (
                    body[3] - body[1]
                )
                face = None if too_big else face
        if face is None:
            face = _head_box(body) if body is not None else None
        if face is not None:
            regions.append(_corners(face))
    return regions
