"""From a video file to one clean-identity landmark Trial of the walking subject.

Two decoding passes. The people pass decodes every frame (in a background thread, for the real
frame times) and runs the BlazePose detector about every 0.1 s; the tracker links everyone's
detections into tracks, fragments of one person are stitched, and the subject is chosen on the
whole clip (:func:`groundup.video.tracking.choose_subject`). The landmark pass seeks to the
keyframe before the subject's first detection and runs the landmark model on the subject only,
to the end of their track and onward while the landmarks keep following them; the frames before
their first landmark frame are filled backward (:mod:`groundup.video.extend`), in a thread of
its own on the other core, started as soon as that first frame is known. Nobody else
gets the landmark model, so the clip costs one detector run every few frames plus one landmark
run per frame of the subject.

Landmark crops follow MediaPipe's tracking loop (the previous frame's auxiliary landmarks place
the next crop), but every crop is checked against the subject's own detection in that frame: a
crop whose landmarks drifted off the subject is replaced by the detection's crop, and in a frame
where the subject was not detected, landmarks that land on another detected person are dropped.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from groundup.errors import NoWalkingError, QualityIssue
from groundup.in_thread import InThread
from groundup.trial import Trial
from groundup.video.blazepose import (
    BLAZEPOSE_CANONICAL_NAMES,
    N_LANDMARKS,
    PersonDetection,
    PoseDetector,
    PoseLandmarker,
    PoseLandmarks,
    Roi,
    RoiTracker,
    TiledPoseDetector,
)
from groundup.video.decode import (
    DecodeLog,
    VideoFrame,
    VideoInfo,
    iter_frames,
    packet_timeline,
    probe_video,
)
from groundup.video.extend import OnImage, continues, extend_backward
from groundup.video.frame_store import FrameStore
from groundup.video.small_people import FILM_CLOSER, small_people_seen, small_subject_issue
from groundup.video.tracking import (
    MAX_HIP_OFFSET_RADII,
    MAX_SIZE_RATIO,
    PersonTracker,
    Track,
    choose_subject,
    stitch_tracks,
    tracks_overlap,
)

ProgressCallback = Callable[[int, int], None]
Frames = Generator[VideoFrame, None, None]

# Legs visible: knee and ankle of at least one side with confidence >= this, for >= MIN_LEGS_S.
LEG_CONFIDENCE = 0.5
MIN_LEGS_S = 1.0
# Small copies for key frames (``keep_frames``) are made of the frames before the subject's first
# detection (the backward extension) and of this long after it: the report's key frames are the
# first heel strike and toe off of each side, within the first stride or two of the walk (a key
# frame later than that is decoded from the clip).
KEEP_FRAMES_S = 4.0
# The people pass runs the full-frame detector about this often (every 3 frames at 30 frames/s;
# measured on the shared clips, see docs/video-pose.md); tracks bridge the frames between.
DETECT_INTERVAL_S = 0.1
# While the landmark pass waits for the backward extension, its frames are reported this often.
PROGRESS_WAIT_S = 0.1
# The people pass decodes a clip in two halves at once where each half has at least this many
# frames (a shorter clip is not worth a second decoder).
MIN_HALF_FRAMES = 30
# Decoding threads where other work keeps the cores busy (the two halves of the people pass, the
# landmark pass beside its model runs): one thread costs the least CPU (measured on the sample
# clip, VP9 1768 x 994: 0.99 s CPU for 230 frames against 1.22 s with FFmpeg's frame threads).
BUSY_DECODE_THREADS = 1


@dataclass
class FrameLandmarks:
    """The subject's landmarks in one frame (compact) and the crop for the next frame."""

    xy_px: np.ndarray  # (33, 2) float32
    confidence: np.ndarray  # (33,) float32, visibility x presence
    visibility: np.ndarray  # (33,) float32
    aux_px: np.ndarray  # (2, 2) auxiliary mid-hip and full-body size point

    @classmethod
    def of(cls, result: PoseLandmarks) -> FrameLandmarks:
        return cls(
            xy_px=result.xyz_px[:, :2].astype(np.float32),
            confidence=result.confidence.astype(np.float32),
            visibility=result.visibility.astype(np.float32),
            aux_px=result.aux_px.copy(),
        )


@dataclass
class VideoPoseResult:
    """Everything the video front end found; ``trial`` is the subject's landmarks."""

    trial: Trial
    subject_track_id: int
    track_boxes_px: dict[int, np.ndarray]
    """Per track: (n_frames, 4) full-body boxes (x_min, y_min, x_max, y_max), NaN where absent."""
    track_trunks_px: dict[int, np.ndarray]
    """Per track: (n_frames, 4) mid-hip and mid-shoulder (x_hip, y_hip, x_shoulder, y_shoulder)
    from the person detector's keypoints in the frames where it found that person, NaN
    elsewhere (where a head is: :func:`groundup.privacy.heads.head_from_trunk`)."""
    info: VideoInfo
    frames_with_landmarks: int
    timings_s: dict[str, float] = field(default_factory=dict)
    frames: FrameStore | None = None
    """Small copies of the frames the landmark pass decoded (``keep_frames``), for key frames."""
    gait_check: Any = None
    """The gait engine's analysis of ``trial`` (with the given ``view``, no height) made to
    check the subject walks, or None: the caller may reuse it instead of analysing again."""


class _SubjectLandmarks:
    """Runs the landmark model on one person's crop, frame after frame (MediaPipe's tracking
    loop)."""

    def __init__(self, landmarker: PoseLandmarker) -> None:
        self.landmarker = landmarker
        self.roi_tracker = RoiTracker()
        self.next_roi: Roi | None = None
        self.last_frame: int | None = None

    def reset(self) -> None:
        self.roi_tracker.reset()
        self.next_roi = None
        self.last_frame = None

    def tracked(self, frame: int, image: np.ndarray) -> PoseLandmarks | None:
        """Landmarks in the crop placed by the previous frame's landmarks (if any)."""
        if self.next_roi is None or self.last_frame != frame - 1:
            return None
        result = self.landmarker.run(image, self.next_roi)
        return result if result.usable else None

    def from_detection(self, image: np.ndarray, det: PersonDetection) -> PoseLandmarks | None:
        self.roi_tracker.reset()
        result = self.landmarker.run(image, det.roi())
        if result.usable and _on_detection(result, det):
            return result
        return None

    def accept(self, frame: int, time_s: float, result: PoseLandmarks) -> FrameLandmarks:
        self.next_roi = self.roi_tracker.next_roi(result, time_s)
        self.last_frame = frame
        return FrameLandmarks.of(result)


def _find_people(
    path: Path,
    info: VideoInfo,
    detector: PoseDetector,
    tracker: PersonTracker,
    detect_every: int,
    subject_frame: int | None,
    log: DecodeLog,
    progress: _PoseProgress,
    total: int,
) -> list[float]:
    """First pass: decode every frame (for its time), run the detector every ``detect_every``
    frames (and on ``subject_frame``) and link the detections into tracks. Returns the frame
    times. Frames without a detector run are not even converted to RGB.

    Where the clip has a keyframe near its middle, its two halves are decoded and detected at
    once, each in a thread of its own (:func:`_detect_in_halves`); the detections then join the
    tracks in frame order, exactly as one pass would link them."""

    def wanted(index: int) -> bool:
        return index % detect_every == 0 or index == subject_frame

    halves = _detect_in_halves(path, info, detector, wanted, progress, total)
    if halves is not None:
        times, found = halves
        for index in sorted(found):
            tracker.update(index, found[index])
        log.n_frames = len(times)
        return times
    times: list[float] = []
    for vf in iter_frames(path, info, log, want_image=wanted):
        times.append(vf.time_s)
        if vf.image is not None:
            tracker.update(vf.index, detector.detect(vf.image))
        progress.step(total)
    return times


class _Half:
    """One half of the people pass: decode, detect on the wanted frames, count the frames."""

    def __init__(self, detector: PoseDetector) -> None:
        self.detector = detector
        self.times: list[float] = []
        self.indices: list[int] = []
        self.found: dict[int, list[PersonDetection]] = {}
        self.log = DecodeLog()
        self.stop = threading.Event()

    def run(self, frames: Frames, on_frame: Callable[[], None]) -> None:
        try:
            for vf in frames:
                if self.stop.is_set():
                    break
                self.indices.append(vf.index)
                self.times.append(vf.time_s)
                if vf.image is not None:
                    self.found[vf.index] = self.detector.detect(vf.image)
                on_frame()
        finally:
            frames.close()


def _detect_in_halves(
    path: Path,
    info: VideoInfo,
    detector: PoseDetector,
    wanted: Callable[[int], bool],
    progress: _PoseProgress,
    total: int,
) -> tuple[list[float], dict[int, list[PersonDetection]]] | None:
    """The people pass's frame times and detections (by frame), the clip decoded in two halves
    at once: from the start to the keyframe nearest the middle (this thread), and from there to
    the end (another thread, with its own detector interpreter), on the timeline read from the
    packets. None where that cannot be done exactly as one pass would (no packet timeline or
    middle keyframe, a decode problem, a frame count or time that differs from the packets'):
    the caller then decodes the clip in one pass."""
    if 1 < info.n_frames_estimate < 2 * MIN_HALF_FRAMES:
        return None  # too short for two halves: the packets need not be read
    timeline = packet_timeline(path, info)
    if timeline is None:
        return None
    n = len(timeline.times_s)
    inner = [k for k in timeline.keyframes if MIN_HALF_FRAMES <= k <= n - MIN_HALF_FRAMES]
    if not inner:
        return None
    split = min(inner, key=lambda k: abs(k - n / 2))
    first, second = _Half(detector), _Half(detector.twin())
    later = iter_frames(
        path, info, second.log, start_at=split, frame_times_s=timeline.times_s,
        want_image=wanted, threads=BUSY_DECODE_THREADS,
    )  # fmt: skip
    # An error of the other half is kept, not raised: the one-pass decode reports it.
    other = InThread(
        lambda: second.run(later, progress.background_frame), "groundup-people-second-half"
    )
    try:
        # This half in this thread: a decode error or a cancel from ``progress`` is raised
        # as a one-pass decode raises it (the other half is stopped first).
        earlier = iter_frames(
            path, info, first.log, stop_after=split - 1, want_image=wanted,
            threads=BUSY_DECODE_THREADS,
        )  # fmt: skip
        first.run(earlier, lambda: progress.step(total))
    except BaseException:
        second.stop.set()
        other.join()
        raise
    other.join(lambda: progress.step(total, 0), PROGRESS_WAIT_S)
    exact = (
        other.error is None
        and not first.log.issues
        and not second.log.issues
        and first.indices + second.indices == list(range(n))
        and np.array_equal(first.times, timeline.times_s[:split])
    )
    if not exact:
        progress.restart()
        return None
    return first.times + second.times, {**first.found, **second.found}


def run_video_pose(
    path: str | Path,
    subject_xy: tuple[float, float] | None = None,
    subject_frame: int | None = None,
    progress: ProgressCallback | None = None,
    num_threads: int = 1,
    detect_every_frames: int | None = None,
    extend: bool = True,
    view: str | None = None,
    keep_frames: FrameStore | None = None,
) -> VideoPoseResult:
    """Decode, detect and track everyone, choose the subject, and return their landmarks.

    The detector first sees each whole frame. Where that finds nobody walking, or the person it
    chose shows no gait (no stride: someone exercising or standing while the walker is too small
    for the whole-frame detector), a probe of a few frames with tiled detection looks for people
    the whole-frame detector missed (:mod:`groundup.video.small_people`). If it sees some, the
    clip is analysed again with tiled detection, and that result is kept when its subject shows
    a gait; it carries a ``small_subject`` warning (and ``larger_person_not_walking`` where it
    replaces a person without gait). Otherwise the first result stands, or its error, with the
    advice to film closer added. A person picked with ``subject_xy`` is never replaced.
    ``view`` is the camera view the user gave, if any, for that gait check. ``keep_frames``
    receives a small copy of the frames the landmark passes decode before the subject's first
    detection and up to ``KEEP_FRAMES_S`` after it (``result.frames``).
    """
    path = Path(path)
    args = (
        subject_xy, subject_frame, progress, num_threads, detect_every_frames, extend, keep_frames,
    )  # fmt: skip
    whole = PoseDetector(num_threads=num_threads)
    try:
        result = _run_video_pose(path, whole, *args)
    except NoWalkingError as error:
        first_error = error
    else:
        if subject_xy is not None:
            return result
        check = gait_check(result.trial, view)
        if check is not None:
            result.gait_check = check
            return result
        tiled = TiledPoseDetector(num_threads=num_threads)
        return _small_walker_instead(path, whole, tiled, args, result, view)
    info = probe_video(path)
    tiled = TiledPoseDetector(num_threads=num_threads)
    if not small_people_seen(path, info, whole, tiled):
        raise NoWalkingError(first_error.problem, f"{first_error.fix} {FILM_CLOSER}")
    try:
        result = _run_video_pose(path, tiled, *args)
    except NoWalkingError as error:
        raise NoWalkingError(error.problem, f"{error.fix} {FILM_CLOSER}") from None
    return _as_small_subject(result)


def _small_walker_instead(
    path: Path,
    whole: PoseDetector,
    tiled: TiledPoseDetector,
    args: tuple[Any, ...],
    first: VideoPoseResult,
    view: str | None,
) -> VideoPoseResult:
    """The subject of an analysis with tiled detection, where the whole-frame subject (``first``)
    shows no gait and the tiles find a smaller person who does; else ``first``."""
    if not small_people_seen(path, first.info, whole, tiled):
        return first
    try:
        result = _run_video_pose(
            path, tiled, *args, not_subject_boxes_px=first.track_boxes_px[first.subject_track_id]
        )
    except NoWalkingError:
        return first
    if not shows_gait(result.trial, view):
        return first
    result = _as_small_subject(result)
    result.trial = result.trial.with_quality(
        QualityIssue(
            "larger_person_not_walking",
            "A larger person in view showed no walking (no full stride), so the smaller walking "
            "person found by searching the picture in parts was analysed. If that is not the "
            "patient, pick them with --subject x,y.",
        )
    )
    return result


def _as_small_subject(result: VideoPoseResult) -> VideoPoseResult:
    """``result`` (found with tiled detection) with the ``small_subject`` warning."""
    from groundup.gait.progression import body_height_px  # SciPy: imported only when needed

    height = body_height_px(result.trial)
    median = float(np.nanmedian(height)) if np.isfinite(height).any() else None
    result.trial = result.trial.with_quality(small_subject_issue(median, result.info.height_px))
    return result


def _inside_boxes(track: Track, boxes_px: np.ndarray) -> bool:
    """Whether the track is the person that ``boxes_px`` (per frame, NaN where absent) follow:
    in at least half of the frames where both exist, its mid-hip lies inside the box and its
    body size agrees with the box's (within the tracker's size ratio; a small person passing
    behind a large one is inside their box but not their size)."""
    same = []
    for f, det in track.detections.items():
        if f >= len(boxes_px) or not np.isfinite(boxes_px[f]).all():
            continue
        x0, y0, x1, y1 = boxes_px[f]
        inside = x0 <= det.hip_px[0] <= x1 and y0 <= det.hip_px[1] <= y1
        radius = max(0.5 * float(max(x1 - x0, y1 - y0)), 1e-6)
        low, high = sorted((radius, max(det.body_radius_px, 1e-6)))
        same.append(bool(inside and high / low <= MAX_SIZE_RATIO))
    return bool(same) and sum(same) >= 0.5 * len(same)


def shows_gait(trial: Trial, view: str | None = None) -> bool:
    """Whether the shared keypoint gait engine finds at least one stride in ``trial`` (a cadence):
    the test of "the person whose gait cycles span the clip" once a subject has been chosen."""
    return gait_check(trial, view) is not None


def gait_check(trial: Trial, view: str | None = None) -> Any:
    """The keypoint gait engine's analysis of ``trial`` when it finds at least one stride (a
    cadence), else None (see :func:`shows_gait`)."""
    from groundup.errors import GroundUpError
    from groundup.keypoints.pipeline import analyze_keypoints

    try:
        analysis = analyze_keypoints(trial, view=view)
    except GroundUpError:
        return None
    if analysis.spatiotemporal.to_json()["cadence_steps_per_min"] is None:
        return None
    return analysis


def _run_video_pose(
    path: Path,
    detector: PoseDetector,
    subject_xy: tuple[float, float] | None,
    subject_frame: int | None,
    progress: ProgressCallback | None,
    num_threads: int,
    detect_every_frames: int | None,
    extend: bool,
    keep_frames: FrameStore | None = None,
    not_subject_boxes_px: np.ndarray | None = None,
) -> VideoPoseResult:
    """One analysis of the clip with the given person detector (see :func:`run_video_pose`).

    Two passes over the clip: the first finds and tracks every person with the detector (every
    ``detect_every_frames`` frames, by default about every 0.1 s), the subject is chosen on the
    whole clip, and the second runs the landmark model on the subject only: from the keyframe
    before their first detection to the end of their track, then onward while the landmarks
    keep following them (forward extension), and backward from their first landmark frame
    (backward extension, :mod:`groundup.video.extend`).

    ``subject_xy`` (pixels, after rotation) picks a person: the one whose body box contains or is
    nearest the point on ``subject_frame``, or, without a frame, on the first frame each person
    appears. ``progress(frames_done, frames_total)`` is called, from this thread, as frames of
    the people pass, the landmark pass and the backward extension are done
    (the total is re-estimated once the subject is known).
    """
    info = probe_video(path)
    fps = info.nominal_fps
    landmarker = PoseLandmarker(num_threads=num_threads)
    if detect_every_frames is None:
        detect_every = max(1, round(DETECT_INTERVAL_S * fps))
    else:
        detect_every = max(1, int(detect_every_frames))
    tracker = PersonTracker(fps, min_gap_frames=2 * detect_every + 1)
    log = DecodeLog()
    t_start = time.perf_counter()
    estimate = info.n_frames_estimate
    counter = _PoseProgress(progress)
    times = _find_people(
        path, info, detector, tracker, detect_every, subject_frame, log, counter, 2 * estimate
    )
    t_first = time.perf_counter() - t_start
    n_frames = len(times)
    if n_frames == 0:
        raise NoWalkingError(
            f"{path.name}: no frame could be decoded.", "Check that the clip plays on a computer."
        )
    frame_times = np.asarray(times, dtype=float)

    tracker.tracks = stitch_tracks(tracker.tracks, fps, tracker.max_gap_frames)
    not_subject = frozenset(
        t.track_id
        for t in tracker.tracks
        if not_subject_boxes_px is not None and _inside_boxes(t, not_subject_boxes_px)
    )
    subject, reason = choose_subject(
        tracker.tracks, fps, subject_xy, subject_frame, tracker.max_gap_frames, not_subject
    )
    sid = subject.track_id
    max_gap = tracker.max_gap_frames
    in_span = _subject_span(subject, max_gap, n_frames)
    # Other people the extension must not run onto: those in view while the subject's track
    # is. A track wholly before or after it may be the subject themself, missed by the detector
    # for a while (a small person, a follow camera): the landmarks may run into it, as long as
    # they move on continuously (the continuity gates of the extension still apply).
    ext_others = [t for t in tracker.tracks if t.track_id != sid and tracks_overlap(t, subject)]
    runner = _SubjectLandmarks(landmarker)
    have: dict[int, FrameLandmarks] = {}
    # The backward extension needs only the first landmark frame: it runs on the other core
    # while this loop goes on (started at the first frame accepted below).
    backward: _BackwardExtension | None = None
    # Frames to go: the landmark pass from the subject's first detection on, and the backward
    # extension (at most the frames before it); the people pass did n_frames.
    total = n_frames + (n_frames - subject.first_frame) + (subject.first_frame if extend else 0)
    size_px = (info.width_px, info.height_px)
    keep = _keep_early_frames(keep_frames, subject.first_frame + round(KEEP_FRAMES_S * fps))
    for vf in iter_frames(
        path, info, DecodeLog(), start_at=subject.first_frame, frame_times_s=frame_times,
        on_image=keep, threads=BUSY_DECODE_THREADS,
    ):  # fmt: skip
        image = vf.image
        assert image is not None  # every frame is converted in this pass
        frame = vf.index
        past_end = frame > subject.last_frame
        if past_end and not extend:
            break
        own = subject.detections.get(frame)
        previous = have.get(frame - 1)
        tracked = runner.tracked(frame, image) if previous is not None else None
        continuing = False
        if tracked is not None and previous is not None:
            # Landmarks that continue the previous frame's (no jump in position or size) and
            # sit on nobody else (past the track's end: nobody else's interpolated track either).
            others = ext_others if past_end else _others_detected(tracker, subject, frame)
            continuing = continues(
                tracked, previous.aux_px, size_px, frame, others, max_gap, strict=False
            )
        got = None
        if tracked is not None and own is not None and _on_detection(tracked, own):
            got = tracked
        elif continuing and (own is None or not _same_size(tracked, own)):
            got = tracked  # no detection, or a poor one (the detector's size is off)
        if got is None and own is not None:
            got = runner.from_detection(image, own)
        if got is None and continuing:
            got = tracked  # the landmark model found nobody at the subject's detection
        if got is None and own is None and frame in in_span:
            others = [t for t in tracker.tracks if t is not subject and frame in t.detections]
            got = _redetect_subject(detector, runner, image, subject, others, frame)
        if got is not None:
            have[frame] = runner.accept(frame, vf.time_s, got)
            if extend and backward is None:
                backward = _BackwardExtension(
                    path, info, detector, frame, have[frame].aux_px, frame_times, ext_others,
                    max_gap, counter.counting(keep),
                )  # fmt: skip
        else:
            runner.reset()
            if past_end:
                break
        counter.step(total)
    extended = sum(1 for f in have if f > subject.last_frame)
    if backward is not None:
        earlier = backward.result(lambda: counter.step(total, 0))
        extended += len(earlier)
        have.update(earlier)
    counter.finish()
    t_total = time.perf_counter() - t_start

    trial = _build_trial(path, info, frame_times, have, n_frames)
    joined = _absorb_own_fragments(tracker, subject, have)
    if joined:
        reason += (
            " The landmark model followed the analysed person through "
            + ", ".join(f"person {n} (frames {a}-{b})" for n, a, b in joined)
            + ": the same person, missed by the detector in between."
        )
    issues = [*info.issues, *log.issues, QualityIssue("subject_choice", reason)]
    ambiguous = sorted(set(subject.ambiguous_frames))
    if ambiguous:
        issues.append(
            QualityIssue(
                "subject_identity_uncertain",
                f"In {len(ambiguous)} frame(s) the subject overlapped another person and was "
                "left out (never mixed with the other person). Film with nobody between the "
                "camera and the patient.",
            )
        )
    _check_legs(trial, fps, path)
    trial = trial.with_quality(*issues)
    return VideoPoseResult(
        trial=trial,
        subject_track_id=sid,
        track_boxes_px=_with_subject_boxes(
            _boxes(tracker.tracks, n_frames, tracker.max_gap_frames), sid, have
        ),
        track_trunks_px=_trunks(tracker.tracks, n_frames),
        info=info,
        frames=keep_frames,
        frames_with_landmarks=len(have),
        timings_s={
            "people_pass_s": t_first,
            "total_s": t_total,
            "detector_runs": float(sum(1 for f in range(n_frames) if f % detect_every == 0)),
            "extended_frames": float(extended),
        },
    )


class _PoseProgress:
    """Frames done across the whole pose run (people pass, landmark pass and backward
    extension), told to the caller's ``progress(frames_done, frames_total)`` as they are done.

    The callback is only ever called from the caller's thread (a web job writes its database
    row there and may raise to cancel): the backward extension's thread only counts its frames
    (:meth:`counting`), and the caller's thread reports them with its own, or while it waits
    for that thread (:meth:`_BackwardExtension.result`)."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.done = 0  # frames done in the caller's thread
        self.background = 0  # frames done by the backward extension (one writer: its thread)
        self.reported = -1

    def step(self, total: int, frames: int = 1) -> None:
        """``frames`` more done in the caller's thread; report the count if it changed."""
        self.done += frames
        done = self.done + self.background
        if self.progress is not None and done != self.reported:
            self.reported = done
            self.progress(done, max(total, done))

    def background_frame(self) -> None:
        """One more frame done in another thread (reported by the caller's thread)."""
        self.background += 1

    def restart(self) -> None:
        """Nothing done yet after all (a pass that must be made again)."""
        self.done = self.background = 0

    def counting(self, on_image: OnImage | None) -> OnImage:
        """``on_image`` (the backward extension sees each frame through it) that also counts
        the frame as done (it is tracked right after)."""

        def count(index: int, image: np.ndarray) -> None:
            self.background_frame()
            if on_image is not None:
                on_image(index, image)

        return count

    def finish(self) -> None:
        done = self.done + self.background
        if self.progress is not None:
            self.progress(done, done)


def _keep_early_frames(store: FrameStore | None, last_frame: int) -> OnImage | None:
    """The store's ``add`` for frames up to ``last_frame`` (None without a store)."""
    if store is None:
        return None

    def keep(index: int, image: np.ndarray) -> None:
        if index <= last_frame:
            store.add(index, image)

    return keep


# The backward extension (and the decoding threads it starts, which inherit it) runs at this
# lower CPU priority (Linux nice value): it is not on the critical path, the forward landmark
# pass is. With equal priority the forward pass got about 0.55 of a core while the backward
# extension ran (four busy threads on two cores).
BACKGROUND_NICE = 10


def _yield_to_other_threads() -> None:
    """Lower this thread's CPU priority (Linux: nice is per thread; elsewhere nothing)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    except (AttributeError, OSError):
        return


class _BackwardExtension:
    """:func:`groundup.video.extend.extend_backward` from the subject's first landmark frame, in
    a background thread with its own landmark and detector interpreters (the forward landmark
    pass goes on meanwhile; TensorFlow Lite releases Python's interpreter lock while it runs)."""

    def __init__(
        self,
        path: Path,
        info: VideoInfo,
        detector: PoseDetector,
        first_frame: int,
        start_aux_px: np.ndarray,
        frame_times_s: np.ndarray,
        others: list[Track],
        max_gap_frames: int,
        on_image: OnImage | None,
    ) -> None:
        self.found: dict[int, FrameLandmarks] = {}
        start_px = start_aux_px.copy()

        def add(frame: int, time_s: float, got: PoseLandmarks) -> None:
            self.found[frame] = FrameLandmarks.of(got)

        def run() -> None:
            _yield_to_other_threads()
            extend_backward(
                path, info, PoseLandmarker(num_threads=detector.num_threads), detector.twin(),
                first_frame, start_px, frame_times_s, others, max_gap_frames, add, on_image,
            )  # fmt: skip

        self.thread = InThread(run, "groundup-extend-backward")

    def result(self, waiting: Callable[[], None] | None = None) -> dict[int, FrameLandmarks]:
        """The landmarks found before the first frame (waits for the thread, calling
        ``waiting`` every ``PROGRESS_WAIT_S`` meanwhile; its error is raised here)."""
        self.thread.result(waiting, PROGRESS_WAIT_S)
        return self.found


def _absorb_own_fragments(
    tracker: PersonTracker, subject: Track, have: dict[int, FrameLandmarks]
) -> list[tuple[int, int, int]]:
    """Tracks outside the subject's span whose every detection sits on the subject's landmarks
    of that frame are the subject (the landmark model followed them there): their detections
    join the subject's track, so that nobody else is drawn or counted there. Returns (person
    number in the subject-choice message, first frame, last frame) of each joined track."""
    numbers = {t.track_id: k + 1 for k, t in enumerate(tracker.tracks)}
    joined: list[tuple[int, int, int]] = []
    for track in list(tracker.tracks):
        if track is subject or tracks_overlap(track, subject):
            continue
        on_subject = all(
            f in have and det.hip_near(have[f].aux_px[0], MAX_HIP_OFFSET_RADII)
            for f, det in track.detections.items()
        )
        if on_subject:
            joined.append((numbers[track.track_id], track.first_frame, track.last_frame))
            # Detections are kept in frame order (first_frame/last_frame rely on it).
            subject.detections = dict(sorted({**subject.detections, **track.detections}.items()))
            tracker.tracks.remove(track)
    return sorted(joined, key=lambda j: j[1])


def _on_detection(result: PoseLandmarks, det: PersonDetection) -> bool:
    """Landmarks sit on a detection: mid-hips within half a body radius (the larger of the
    detection's and the landmarks' own, as the detector's size is poor on small people)."""
    hip, size_point = result.aux_px
    radius = max(float(np.linalg.norm(size_point - hip)), det.body_radius_px)
    return bool(np.linalg.norm(hip - det.hip_px) <= MAX_HIP_OFFSET_RADII * radius)


def _same_size(result: PoseLandmarks, det: PersonDetection) -> bool:
    """The detection's body size agrees with the landmarks' within the tracker's size ratio."""
    radius = float(np.linalg.norm(result.aux_px[1] - result.aux_px[0]))
    low, high = sorted((max(radius, 1e-6), max(det.body_radius_px, 1e-6)))
    return high / low <= MAX_SIZE_RATIO


def _others_detected(tracker: PersonTracker, subject: Track, frame: int) -> list[Track]:
    """Everyone else detected in this frame (as single-frame tracks for the continuity rules)."""
    return [
        Track(t.track_id, {frame: t.detections[frame]})
        for t in tracker.tracks
        if t is not subject and frame in t.detections
    ]


def video_to_trial(
    path: str | Path,
    subject_xy: tuple[float, float] | None = None,
    progress: ProgressCallback | None = None,
    subject_frame: int | None = None,
) -> Trial:
    """The walking subject's (or the chosen person's) BlazePose landmarks as a 2-D Trial.

    ``source_kind="video"``, ``point_units="px"`` (x right, y down, after rotation), NaN where
    the subject was not seen, ``point_confidence`` = visibility x presence, real frame times in
    ``frame_times_s``; ``quality`` says who was analysed and why (code ``subject_choice``).
    Raises :class:`groundup.errors.InputError` for unreadable clips and
    :class:`groundup.errors.NoWalkingError` when nobody, or nobody's legs, can be seen.
    """
    return run_video_pose(path, subject_xy, subject_frame, progress).trial


def _redetect_subject(
    detector: PoseDetector,
    runner: _SubjectLandmarks,
    image: np.ndarray,
    subject: Track,
    others: list[Track],
    frame: int,
) -> PoseLandmarks | None:
    """Second pass, tracking lost between two detector runs: detect in this frame and take the
    detection at the subject's interpolated mid-hip, unless it is on anybody else."""
    expected = _subject_hip_at(subject, frame)
    if expected is None:
        return None
    hip, radius = expected
    for det in detector.detect(image):
        if np.linalg.norm(det.hip_px - hip) > MAX_HIP_OFFSET_RADII * radius:
            continue
        if any(t.detections[frame].hip_near(det.hip_px, MAX_HIP_OFFSET_RADII) for t in others):
            continue
        return runner.from_detection(image, det)
    return None


def _subject_span(subject: Track, max_gap: int, n_frames: int) -> set[int]:
    """Frames in the subject's span: their detections and the short gaps between them."""
    detected = sorted(subject.detections)
    span: set[int] = set(detected)
    for a, b in itertools.pairwise(detected):
        if b - a <= max_gap:
            span.update(range(a + 1, b))
    return {f for f in span if f < n_frames}


def _build_trial(
    path: Path,
    info: VideoInfo,
    frame_times: np.ndarray,
    have: dict[int, FrameLandmarks],
    n_frames: int,
) -> Trial:
    xy = np.full((n_frames, N_LANDMARKS, 2), np.nan)
    conf = np.zeros((n_frames, N_LANDMARKS))
    for f, lm in have.items():
        if f < n_frames:
            xy[f] = lm.xy_px
            conf[f] = lm.confidence
    points = {name: xy[:, i, :].copy() for i, name in enumerate(BLAZEPOSE_CANONICAL_NAMES)}
    confidence = {name: conf[:, i].copy() for i, name in enumerate(BLAZEPOSE_CANONICAL_NAMES)}
    fps = _nominal_rate(info.nominal_fps, frame_times)
    return Trial(
        points=points,
        point_rate_hz=fps,
        point_units="px",
        point_labels={name: name for name in BLAZEPOSE_CANONICAL_NAMES},
        source_path=str(path),
        source_kind="video",
        point_confidence=confidence,
        frame_times_s=frame_times,
        image_size_px=(info.width_px, info.height_px),
    )


def _nominal_rate(stream_fps: float, frame_times: np.ndarray) -> float:
    """The stream's frame rate, unless the timestamps' median interval says otherwise by > 5 %
    (some variable-rate files state an average rate)."""
    if frame_times.size >= 3:
        step = float(np.median(np.diff(frame_times)))
        if step > 0 and abs(1.0 / step - stream_fps) > 0.05 * stream_fps:
            return 1.0 / step
    return stream_fps


def _check_legs(trial: Trial, fps: float, path: Path) -> None:
    legs = np.zeros(trial.n_frames, dtype=bool)
    for side in ("left", "right"):
        knee = trial.point_confidence[f"{side}_knee"] >= LEG_CONFIDENCE
        ankle = trial.point_confidence[f"{side}_ankle"] >= LEG_CONFIDENCE
        legs |= knee & ankle
    if legs.sum() < max(3, MIN_LEGS_S * fps):
        raise NoWalkingError(
            f"No person with visible legs was found in {path.name} (legs seen in "
            f"{int(legs.sum())} frame(s), at least {MIN_LEGS_S:.0f} s needed).",
            "Film the whole body, feet included, from the side or from behind.",
        )


def _trunks(tracks: list[Track], n_frames: int) -> dict[int, np.ndarray]:
    """Per track, the detector's mid-hip and mid-shoulder keypoints in the frames where it found
    the person (n_frames, 4), NaN elsewhere."""
    out: dict[int, np.ndarray] = {}
    for t in tracks:
        arr = np.full((n_frames, 4), np.nan)
        for f, det in t.detections.items():
            if f < n_frames:
                arr[f] = np.concatenate([det.keypoints_px[0], det.keypoints_px[2]])
        out[t.track_id] = arr
    return out


def _boxes(tracks: list[Track], n_frames: int, max_gap_frames: int) -> dict[int, np.ndarray]:
    """Per track, a box per frame; frames between two observations no more than
    ``max_gap_frames`` apart (the detector runs every k frames) are linearly interpolated."""
    out: dict[int, np.ndarray] = {}
    for t in tracks:
        arr = np.full((n_frames, 4), np.nan)
        frames = sorted(f for f in t.detections if f < n_frames)
        for f in frames:
            det = t.detections[f]
            arr[f] = det.body_box_px
        for a, b in itertools.pairwise(frames):
            if 1 < b - a <= max_gap_frames:
                w = (np.arange(a + 1, b) - a)[:, None] / (b - a)
                arr[a + 1 : b] = (1 - w) * arr[a] + w * arr[b]
        out[t.track_id] = arr
    return out


def _with_subject_boxes(
    boxes: dict[int, np.ndarray], subject_id: int, have: dict[int, FrameLandmarks]
) -> dict[int, np.ndarray]:
    """The subject's body box from their landmarks wherever they have landmarks (the square
    around the full-body circle, as for detections): it follows them between detections."""
    arr = boxes[subject_id]
    for frame, lm in have.items():
        if frame < arr.shape[0]:
            hip, size_point = lm.aux_px
            r = float(np.linalg.norm(size_point - hip))
            arr[frame] = (hip[0] - r, hip[1] - r, hip[0] + r, hip[1] + r)
    return boxes


def _subject_hip_at(subject: Track, frame: int) -> tuple[np.ndarray, float] | None:
    """The subject's mid-hip and body radius at ``frame``, interpolated between the nearest
    observations before and after it (None outside the track)."""
    frames = sorted(subject.detections)
    before = [f for f in frames if f <= frame]
    after = [f for f in frames if f >= frame]
    if not before or not after:
        return None
    a, b = before[-1], after[0]
    da, db = subject.detections[a], subject.detections[b]
    w = 0.0 if b == a else (frame - a) / (b - a)
    hip = (1 - w) * da.hip_px + w * db.hip_px
    return hip, (1 - w) * da.body_radius_px + w * db.body_radius_px
