"""From a video file to one clean-identity landmark Trial of the walking subject.

One decoding pass does everything in the common case: every frame is decoded (in a background
thread), the BlazePose detector finds every person, the tracker links them into tracks, and the
landmark model runs on the crop of one person: the current best walking candidate (the same rule
as the final subject choice, applied to what has been seen so far). At the end the subject is
chosen on the whole clip (:func:`groundup.video.tracking.choose_subject`); if the subject's frames
were not all covered in the first pass (the candidate changed, or the user picked someone else),
a second pass decodes only as far as needed and runs the landmark model on the missing frames.

Landmark crops follow MediaPipe's tracking loop (the previous frame's auxiliary landmarks place
the next crop), but every crop is checked against the subject's own detection in that frame: a
crop whose landmarks drifted off the subject is replaced by the detection's crop, and in a frame
where the subject was not detected, landmarks that land on another detected person are dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groundup.errors import NoWalkingError, QualityIssue
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
)
from groundup.video.decode import DecodeLog, VideoInfo, iter_frames, probe_video
from groundup.video.extend import extend_backward, extend_forward
from groundup.video.tracking import (
    MIN_TRACK_S,
    PersonTracker,
    Track,
    choose_subject,
    covered_frames,
    summarize,
    track_at_point,
)

ProgressCallback = Callable[[int, int], None]

# A crop's landmarks belong to the subject when their mid-hip lies within this fraction of the
# full-body radius (about half a body height) from the subject's detected mid-hip.
MAX_HIP_OFFSET_RADII = 0.5
# Online candidate switching: another person must have walked this many body heights more.
SWITCH_MARGIN_BODY_HEIGHTS = 0.5
# Legs visible: knee and ankle of at least one side with confidence >= this, for >= MIN_LEGS_S.
LEG_CONFIDENCE = 0.5
MIN_LEGS_S = 1.0
# While a person is tracked by their landmarks, the full-frame detector runs every this many
# frames only (measured on the shared clips; see docs/video-pose.md).
DETECT_EVERY_FRAMES = 5


@dataclass
class FrameLandmarks:
    """The subject's landmarks in one frame (compact) and the crop for the next frame."""

    xy_px: np.ndarray  # (33, 2) float32
    confidence: np.ndarray  # (33,) float32, visibility x presence
    visibility: np.ndarray  # (33,) float32
    hip_px: np.ndarray  # (2,) auxiliary mid-hip
    aux_px: np.ndarray  # (2, 2) auxiliary mid-hip and full-body size point


@dataclass
class VideoPoseResult:
    """Everything the video front end found; ``trial`` is the subject's landmarks."""

    trial: Trial
    subject_track_id: int
    track_boxes_px: dict[int, np.ndarray]
    """Per track: (n_frames, 4) full-body boxes (x_min, y_min, x_max, y_max), NaN where absent."""
    track_faces_px: dict[int, np.ndarray]
    """Per track: (n_frames, 4) face boxes from the detector, NaN where absent."""
    info: VideoInfo
    frames_with_landmarks: int
    second_pass_frames: int
    timings_s: dict[str, float] = field(default_factory=dict)


class _OnlineScore:
    """Walked distance and time seen of each track so far (the final subject rule's robust
    measures, :func:`groundup.video.tracking.summarize`), refreshed when the detector runs."""

    def __init__(self, fps: float, max_gap_frames: int) -> None:
        self.fps = fps
        self.max_gap_frames = max_gap_frames
        self.count: dict[int, int] = {}
        """Frames each track has been in view."""
        self._walked: dict[int, float] = {}

    def refresh(self, track: Track) -> None:
        summary = summarize(track, self.fps, self.max_gap_frames)
        self.count[track.track_id] = round(summary.seen_s * self.fps)
        self._walked[track.track_id] = summary.walked_body_heights

    def walked(self, track_id: int) -> float:
        return self._walked.get(track_id, 0.0)


class _SubjectLandmarks:
    """Runs the landmark model on one person's crop, frame after frame (MediaPipe's tracking
    loop), with identity checks against the tracks."""

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
        return result if result.present else None

    def from_detection(self, image: np.ndarray, det: PersonDetection) -> PoseLandmarks | None:
        self.roi_tracker.reset()
        result = self.landmarker.run(image, det.roi())
        if result.present and _near(result.aux_px[0], det):
            return result
        return None

    def accept(self, frame: int, time_s: float, result: PoseLandmarks) -> FrameLandmarks:
        self.next_roi = self.roi_tracker.next_roi(result, time_s)
        self.last_frame = frame
        return FrameLandmarks(
            xy_px=result.xyz_px[:, :2].astype(np.float32),
            confidence=result.confidence.astype(np.float32),
            visibility=result.visibility.astype(np.float32),
            hip_px=result.aux_px[0].copy(),
            aux_px=result.aux_px.copy(),
        )


def _near(point: np.ndarray, det: PersonDetection, radii: float = MAX_HIP_OFFSET_RADII) -> bool:
    return bool(np.linalg.norm(point - det.hip_px) <= radii * det.body_radius_px)


def detection_from_landmarks(result: PoseLandmarks) -> PersonDetection:
    """A person observation made from landmarks (mid-hip, full-body point, face box)."""
    face = result.xyz_px[:11, :2]
    pad = 0.3 * float(np.ptp(face[:, 0]) + np.ptp(face[:, 1])) / 2
    x0, y0 = face.min(axis=0) - pad
    x1, y1 = face.max(axis=0) + pad
    aux = result.aux_px
    return PersonDetection(
        score=float(result.pose_score),
        face_box_px=(float(x0), float(y0), float(x1), float(y1)),
        keypoints_px=np.vstack([aux, aux]),
    )


def _tracked_belongs(
    result: PoseLandmarks, own: Track, others: list[Track], tracker: PersonTracker, frame: int
) -> bool:
    """Tracked landmarks stay with their person: their hip must be within the person's gate
    and not nearer another active person than its own."""
    obs = detection_from_landmarks(result)
    cost, valid = tracker.cost_matrix([own, *others], frame, [obs])
    if not valid[0, 0]:
        return False
    return not any(valid[1:, 0] & (cost[1:, 0] <= cost[0, 0] + 0.2))


def run_video_pose(
    path: str | Path,
    subject_xy: tuple[float, float] | None = None,
    subject_frame: int | None = None,
    progress: ProgressCallback | None = None,
    num_threads: int = 1,
    detect_every_frames: int = DETECT_EVERY_FRAMES,
    extend: bool = True,
) -> VideoPoseResult:
    """Decode, detect and track everyone, choose the subject, and return their landmarks.

    ``subject_xy`` (pixels, after rotation) picks a person: the one whose body box contains or is
    nearest the point on ``subject_frame``, or, without a frame, on the first frame each person
    appears. ``progress(frames_done, frames_total)`` is called after each frame (the total grows
    if a second pass is needed).
    """
    import time

    path = Path(path)
    info = probe_video(path)
    fps = info.nominal_fps
    detector = PoseDetector(num_threads=num_threads)
    landmarker = PoseLandmarker(num_threads=num_threads)
    detect_every = max(1, int(detect_every_frames))
    tracker = PersonTracker(fps, min_gap_frames=2 * detect_every + 1)
    last_detection_frame = -detect_every
    detector_runs = 0
    online = _OnlineScore(fps, tracker.max_gap_frames)
    runner = _SubjectLandmarks(landmarker)
    landmarks: dict[int, dict[int, FrameLandmarks]] = {}
    times: list[float] = []
    log = DecodeLog()
    min_frames = max(5, round(MIN_TRACK_S * fps))
    candidate: int | None = None
    pinned: int | None = None
    tracks_by_id: dict[int, Track] = {}
    total = info.n_frames_estimate
    t_start = time.perf_counter()

    for vf in iter_frames(path, info, log):
        times.append(vf.time_s)
        result: PoseLandmarks | None = None
        exclude: set[int] = set()
        cand_track = tracks_by_id.get(candidate) if candidate is not None else None
        if cand_track is not None:
            result = runner.tracked(vf.index, vf.image)
            others = [t for t in tracker.active_tracks(vf.index) if t is not cand_track]
            if result is not None and not _tracked_belongs(
                result, cand_track, others, tracker, vf.index
            ):
                result = None
        # The detector runs when nobody is tracked by landmarks, when tracking failed, and every
        # ``detect_every`` frames to find new people and to re-anchor everyone else's track.
        run_detector = result is None or vf.index - last_detection_frame >= detect_every
        if subject_frame is not None and vf.index == subject_frame:
            run_detector = True
        detections: list[PersonDetection] = []
        if run_detector:
            detections = detector.detect(vf.image)
            last_detection_frame = vf.index
            detector_runs += 1
        if cand_track is not None and result is not None:
            tracker.observe(cand_track, vf.index, detection_from_landmarks(result))
            exclude.add(cand_track.track_id)
            hip = result.aux_px[0]
            radius = cand_track.last.body_radius_px
            detections = [d for d in detections if np.linalg.norm(d.hip_px - hip) > 0.6 * radius]
        assigned = tracker.update(vf.index, detections, exclude)
        for t in tracker.tracks[len(tracks_by_id) :]:
            tracks_by_id[t.track_id] = t
        if cand_track is not None and result is None:
            det = assigned.get(cand_track.track_id)
            if det is not None:
                result = runner.from_detection(vf.image, det)
        if cand_track is not None:
            if result is not None:
                landmarks.setdefault(cand_track.track_id, {})[vf.index] = runner.accept(
                    vf.index, vf.time_s, result
                )
            else:
                runner.reset()
        if run_detector:
            for t in tracker.tracks:
                if t.detections and t.last_frame == vf.index:
                    online.refresh(t)
        if subject_xy is not None and subject_frame is not None and vf.index == subject_frame:
            seen = [t for t in tracker.tracks if vf.index in t.detections]
            picked = track_at_point(seen, subject_xy, vf.index)
            pinned = picked.track_id if picked else None
            if picked is not None and vf.index not in landmarks.get(picked.track_id, {}):
                got = runner.from_detection(vf.image, picked.detections[vf.index])
                runner.reset()
                if got is not None:
                    landmarks.setdefault(picked.track_id, {})[vf.index] = runner.accept(
                        vf.index, vf.time_s, got
                    )
        # People seen since the last detector run; the current candidate stays in the running
        # while their track is alive (a missed detection must not hand the model to someone else).
        present = {
            t.track_id
            for t in tracker.tracks
            if t.detections
            and (
                t.last_frame >= min(last_detection_frame, vf.index)
                or (t.track_id == candidate and vf.index - t.last_frame <= tracker.max_gap_frames)
            )
        }
        if pinned is not None:
            new = pinned if pinned in present else None
        else:
            new = _online_candidate(candidate, present, online, min_frames)
        if new != candidate:
            if not (new is not None and runner.last_frame == vf.index and new == pinned):
                runner.reset()
            candidate = new
        if progress is not None:
            total = max(total, vf.index + 1)
            progress(vf.index + 1, total)
    t_first = time.perf_counter() - t_start
    n_frames = len(times)
    if n_frames == 0:
        raise NoWalkingError(
            f"{path.name}: no frame could be decoded.", "Check that the clip plays on a computer."
        )

    subject, reason = choose_subject(
        tracker.tracks, fps, subject_xy, subject_frame, tracker.max_gap_frames
    )
    sid = subject.track_id
    have = landmarks.setdefault(sid, {})
    needed = _frames_to_fill(subject, tracker.max_gap_frames, n_frames, have)
    if needed:
        total = n_frames + len(needed)
        done = n_frames
        runner.reset()
        wanted = set(needed)
        for vf in iter_frames(path, info, DecodeLog(), stop_after=max(needed)):
            if vf.index not in wanted:
                continue
            others = [t for t in tracker.tracks if t.track_id != sid and vf.index in t.detections]
            got = runner.tracked(vf.index, vf.image)
            if got is not None:
                own = subject.detections.get(vf.index)
                if own is not None:
                    ok = _near(got.aux_px[0], own)
                else:
                    ok = not any(_near(got.aux_px[0], t.detections[vf.index]) for t in others)
                got = got if ok else None
            if got is None and vf.index in subject.detections:
                got = runner.from_detection(vf.image, subject.detections[vf.index])
            if got is None and vf.index not in subject.detections:
                got = _redetect_subject(detector, runner, vf.image, subject, others, vf.index)
            if got is not None:
                have[vf.index] = runner.accept(vf.index, vf.time_s, got)
            else:
                runner.reset()
            done += 1
            if progress is not None:
                progress(done, total)
    frame_times = np.asarray(times, dtype=float)
    extended = 0
    if extend and have:
        # Other people the extension must not run onto. A short fragment (under MIN_TRACK_S)
        # wholly outside the subject's track is the subject missed by the tracker when the
        # landmarks run smoothly into it (the continuity gates still apply), so it is not one.
        first_det, last_det = subject.first_frame, subject.last_frame
        others = [
            t
            for t in tracker.tracks
            if t.track_id != sid
            and not (
                (t.last_frame < first_det or t.first_frame > last_det)
                and covered_frames(sorted(t.detections), tracker.max_gap_frames) < min_frames
            )
        ]

        def add(frame: int, time_s: float, got: PoseLandmarks) -> None:
            have[frame] = runner.accept(frame, time_s, got)

        args = (frame_times, others, tracker.max_gap_frames, add)
        first, last = min(have), max(have)
        extended += extend_backward(path, info, landmarker, first, have[first].aux_px, *args)
        extended += extend_forward(path, info, landmarker, last, have[last].aux_px, *args)
    t_total = time.perf_counter() - t_start

    trial = _build_trial(path, info, frame_times, have, n_frames)
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
        track_boxes_px=_boxes(tracker.tracks, n_frames, False, tracker.max_gap_frames),
        track_faces_px=_boxes(tracker.tracks, n_frames, True, tracker.max_gap_frames),
        info=info,
        frames_with_landmarks=len(have),
        second_pass_frames=len(needed),
        timings_s={
            "first_pass_s": t_first,
            "total_s": t_total,
            "detector_runs": float(detector_runs),
            "extended_frames": float(extended),
        },
    )


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
        if any(_near(det.hip_px, t.detections[frame]) for t in others):
            continue
        return runner.from_detection(image, det)
    return None


def _online_candidate(
    current: int | None, present: set[int], online: _OnlineScore, min_frames: int
) -> int | None:
    """Who gets the landmark model in the next frame of the first pass: the person seen in
    this frame who walked the farthest so far (the final rule, applied online), with a margin
    before switching away from the current one."""
    if not present:
        return None

    def key(tid: int) -> tuple[float, int]:
        n = online.count.get(tid, 0)
        return (online.walked(tid) if n >= min_frames else -1.0, n)

    best = max(present, key=key)
    if current is None or current not in present or best == current:
        return best
    if key(current)[0] < 0 <= key(best)[0]:
        return best
    if key(best)[0] > key(current)[0] + SWITCH_MARGIN_BODY_HEIGHTS:
        return best
    return current


def _frames_to_fill(
    subject: Track, max_gap: int, n_frames: int, have: dict[int, FrameLandmarks]
) -> list[int]:
    """Frames in the subject's span (detections, and short gaps between them) without
    landmarks yet."""
    detected = sorted(subject.detections)
    span: set[int] = set(detected)
    for a, b in itertools.pairwise(detected):
        if b - a <= max_gap:
            span.update(range(a + 1, b))
    return sorted(f for f in span if f < n_frames and f not in have)


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


def _boxes(
    tracks: list[Track], n_frames: int, face: bool, max_gap_frames: int
) -> dict[int, np.ndarray]:
    """Per track, a box per frame; frames between two observations no more than
    ``max_gap_frames`` apart (the detector runs every k frames) are linearly interpolated."""
    out: dict[int, np.ndarray] = {}
    for t in tracks:
        arr = np.full((n_frames, 4), np.nan)
        frames = sorted(f for f in t.detections if f < n_frames)
        for f in frames:
            det = t.detections[f]
            arr[f] = det.face_box_px if face else det.body_box_px
        for a, b in itertools.pairwise(frames):
            if 1 < b - a <= max_gap_frames:
                w = (np.arange(a + 1, b) - a)[:, None] / (b - a)
                arr[a + 1 : b] = (1 - w) * arr[a] + w * arr[b]
        out[t.track_id] = arr
    return out


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
