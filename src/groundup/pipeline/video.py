"""A walking clip through the video front end and the shared keypoint gait engine.

Pose estimation (:mod:`groundup.video.pose_run`) gives the chosen person's landmarks as a Trial;
from there the clip follows exactly the path of keypoints from other tools
(:func:`analyse_keypoint_trial`). The clip adds key frames for the report (the frame of each
side's first heel strike and toe off, skeleton drawn, faces blurred unless the user turns that
off; taken from the small frame copies the landmark pass keeps, not from a second decode) and
the annotated video.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundup.errors import GroundUpError
from groundup.pipeline.recording import RecordingOptions, RecordingResult, StageProgress
from groundup.report.keyframes import KEY_FRAME_WIDTH_PX
from groundup.trial import Trial
from groundup.video.annotate import BONES, bone_colour
from groundup.video.frame_store import FrameStore


def analyse_keypoint_trial(
    trial: Trial,
    options: RecordingOptions,
    age_years: float | None,
    height_m: float | None,
    analysis: Any = None,
) -> dict[str, Any]:
    """analysis.json of a 2-D keypoint trial, with the curves valid for its view. ``analysis``:
    the gait engine's result for this trial with ``options.view`` and no height, when already
    made (the pose run's gait check); used only where ``height_m`` is None."""
    from groundup.gait.cycles_reliability import leg_landmarks
    from groundup.keypoints.pipeline import analyze_keypoints, angles_for
    from groundup.norms.curves import compute_gait_curves
    from groundup.pipeline.view_check import checked_view

    view, view_issues = checked_view(trial, options.view)
    if analysis is None or height_m is not None or view != options.view:
        analysis = analyze_keypoints(trial, view=view, height_m=height_m)
    doc = analysis.to_json()
    doc["quality"]["warnings"][:0] = [q.to_json() for q in view_issues]
    angles = angles_for(analysis)
    video = doc.get("video") or {}
    if angles:
        try:
            curves = compute_gait_curves(
                angles,
                analysis.trial.point_rate_hz,
                analysis.events,
                source="video",
                view=str(video.get("view", "sagittal")),
                age_years=age_years,
                walking_direction=video.get("direction"),
                landmarks=leg_landmarks(analysis.trial, analysis.progression, analysis.events),
            )
            doc["curves"] = curves.to_json()
        except GroundUpError as exc:
            doc["quality"]["warnings"].append(
                {"code": "curves_unavailable", "message": f"No gait curves: {exc.problem}"}
            )
    return doc


def analyse_video(
    path: Path,
    options: RecordingOptions,
    age_years: float | None,
    height_m: float | None,
    progress: StageProgress,
    annotated_video_path: Path | None,
) -> RecordingResult:
    """Pose, subject choice, gait, curves, key frames and the annotated video of one clip."""
    from groundup.video.pose_run import run_video_pose

    progress(f"Finding people in {path.name}", 0.0)

    def frames_done(done: int, total: int) -> None:
        progress(f"Pose in {path.name} ({done}/{total} frames)", 0.8 * done / max(total, 1))

    pose = run_video_pose(
        path, subject_xy=options.subject_xy, progress=frames_done, view=options.view,
        keep_frames=FrameStore(KEY_FRAME_WIDTH_PX) if options.key_frames else None,
    )  # fmt: skip
    progress(f"Gait from {path.name}", 0.8)
    doc = analyse_keypoint_trial(pose.trial, options, age_years, height_m, pose.gait_check)
    result = RecordingResult(
        doc=doc, make_key_frames=lambda: extract_key_frames(path, doc, pose, options.deidentify)
    )
    if options.annotated_video and annotated_video_path is not None:
        target = annotated_video_path
        result.annotated_video = target
        result.write_annotated_video = lambda: write_annotated(
            path, target, doc, pose, options.deidentify
        )
    return result


def _point(trial: Trial, name: str, frame: int) -> np.ndarray | None:
    arr = trial.points.get(name)
    if arr is None or frame >= arr.shape[0] or not np.isfinite(arr[frame]).all():
        return None
    return arr[frame]


def draw_skeleton(
    image: np.ndarray, trial: Trial, frame: int, thickness: int = 3, scale: float = 1.0
) -> None:
    """Draw the subject's skeleton on an RGB image in place (the annotated video's colours);
    ``scale``: the image's size relative to the trial's pixel coordinates."""
    for a, b in BONES:
        pa, pb = _point(trial, a, frame), _point(trial, b, frame)
        if pa is None or pb is None:
            continue
        cv2.line(
            image,
            tuple(int(v) for v in np.rint(pa * scale)),
            tuple(int(v) for v in np.rint(pb * scale)),
            bone_colour(a, b),
            thickness,
            cv2.LINE_AA,
        )


def _chosen_events(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The first heel strike and the first toe off of each side (index into doc["events"])."""
    chosen: list[tuple[int, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for i, event in enumerate(doc.get("events", [])):
        key = (event["side"], event["kind"])
        if key not in seen:
            seen.add(key)
            chosen.append((i, event))
    order = {"heel_strike": 0, "toe_off": 1}
    return sorted(chosen, key=lambda ie: (order.get(ie[1]["kind"], 2), ie[1]["time_s"]))


def _frames_from_clip(path: Path, pose: Any, wanted: list[int]) -> dict[int, np.ndarray]:
    """Frames decoded from the clip (from the keyframe before the first, a seek), converting
    only the frames wanted: for key frames the landmark pass did not keep."""
    from groundup.video.decode import iter_frames

    images: dict[int, np.ndarray] = {}
    if not wanted:
        return images
    decoded = iter_frames(
        path, start_at=wanted[0], stop_after=wanted[-1],
        frame_times_s=pose.trial.frame_times_s, want_image=set(wanted).__contains__,
    )  # fmt: skip
    for vf in decoded:
        if vf.image is not None:
            images[vf.index] = vf.image
    return images


def extract_key_frames(path: Path, doc: dict[str, Any], pose: Any, deidentify: bool) -> list[Any]:
    """Key frames at the chosen events, skeleton drawn; faces hidden here when asked (the
    subject's head from the face landmarks, every tracked person's head located in the frame,
    and every face the face detector finds in it). The frames come from the small copies the
    landmark pass kept (``pose.frames``, already at the report's size); a frame it did not keep
    is decoded from the clip."""
    from groundup.privacy import find_faces_px
    from groundup.privacy.face_tracks import widened
    from groundup.report.deidentify import blur_faces
    from groundup.report.model import KeyFrame
    from groundup.video.annotate import head_boxes

    wanted = {int(e["frame"]): (i, e) for i, e in _chosen_events(doc)}
    if not wanted:
        return []
    frame_numbers = sorted(wanted)
    kept: FrameStore | None = getattr(pose, "frames", None)
    scales: dict[int, float] = {}
    images: dict[int, np.ndarray] = {}
    if kept is not None and kept.scale is not None:
        for frame in frame_numbers:
            image = kept.image(frame)
            if image is not None:
                images[frame], scales[frame] = image, kept.scale
    from_clip = _frames_from_clip(path, pose, [f for f in frame_numbers if f not in images])
    images.update(from_clip)
    frames: list[Any] = []
    for frame in frame_numbers:
        if frame not in images:
            continue
        i, event = wanted[frame]
        image = np.array(images.pop(frame), dtype=np.uint8, order="C")  # drawn on: own copy
        scale = scales.get(frame, 1.0)
        if deidentify:
            faces = [widened(box) for box in find_faces_px(image)]
            heads = head_boxes(
                image, frame, pose.trial, pose.track_boxes_px, pose.subject_track_id, scale, faces
            )
            image = blur_faces(image, boxes_px=heads + faces, find_more=False)
        draw_skeleton(image, pose.trial, frame, thickness=2 if scale < 1 else 3, scale=scale)
        kind = "heel strike" if event["kind"] == "heel_strike" else "toe off"
        frames.append(
            KeyFrame(
                image=image,
                label=f"{event['side']} {kind}",
                side=event["side"],
                event=event["kind"],
                time_s=event["time_s"],
                face_points_px=None,
                faces_blurred=deidentify,
                time_src=f"events/{i}/time_s",  # prefixed with analysis/<n>/ by the visit
            )
        )
    return frames


def write_annotated(
    path: Path, out_path: Path, doc: dict[str, Any], pose: Any, deidentify: bool
) -> Path:
    """The annotated video (skeleton, chosen subject, events), through the video front end."""
    from groundup.video.annotate import write_annotated_video

    events = doc.get("events", [])
    return write_annotated_video(
        path,
        out_path,
        pose.trial,
        events,
        pose.track_boxes_px,
        pose.subject_track_id,
        blur_faces=deidentify,
        track_trunks_px=pose.track_trunks_px,
    )
