"""Landmarks of a clip, computed once by the video front end and kept on disk between test runs.

Pose estimation dominates the video tests (minutes per clip on a laptop CPU), while the gait
code after it runs in well under a second. :func:`cached_video_pose` runs
:func:`groundup.video.pose_run.run_video_pose` once per clip and option set and stores the
subject's trial (landmarks, confidences, frame times, image size, quality notes) and the tracks'
boxes in ``.pytest_cache/groundup-landmarks`` (or ``$GROUNDUP_LANDMARK_CACHE``). The key holds
the clip's SHA-256, the options, the source of the video front end and of the gait engine it
uses to choose the walking person (``groundup/{video,keypoints,gait,signal}/*.py``, ``trial.py``)
and the MediaPipe version, so any change to that code or the clip computes the landmarks again:
the cache can only return what the current code would.
``GROUNDUP_LANDMARK_CACHE=off`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from groundup.errors import QualityIssue
from groundup.trial import Trial

_REPO = Path(__file__).resolve().parents[2]
_SRC = _REPO / "src" / "groundup"


@dataclass
class CachedPose:
    """What the tests need of a :class:`~groundup.video.pose_run.VideoPoseResult`."""

    trial: Trial
    subject_track_id: int
    track_boxes_px: dict[int, np.ndarray]


def _cache_dir() -> Path | None:
    setting = os.environ.get("GROUNDUP_LANDMARK_CACHE", "")
    if setting.lower() == "off":
        return None
    folder = Path(setting) if setting else _REPO / ".pytest_cache" / "groundup-landmarks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _front_end_digest() -> str:
    digest = hashlib.sha256()
    # The front end, and the gait engine it asks whether a person walks (the subject choice
    # depends on it: groundup.video.pose_run.shows_gait).
    sources = [
        *sorted(
            path
            for folder in ("video", "keypoints", "gait", "signal")
            for path in (_SRC / folder).glob("*.py")
        ),
        _SRC / "trial.py",
    ]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        digest.update(importlib.metadata.version("mediapipe").encode())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(clip: Path, options: dict[str, object]) -> str:
    text = json.dumps(
        {"clip": _file_digest(clip), "options": options, "front_end": _front_end_digest()},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _save(path: Path, result: CachedPose) -> None:
    trial = result.trial
    names = sorted(trial.points)
    arrays: dict[str, np.ndarray] = {
        "xy": np.stack([trial.points[n] for n in names], axis=1),
        "confidence": np.stack(
            [trial.point_confidence.get(n, np.full(trial.n_frames, np.nan)) for n in names], axis=1
        ),
        "track_ids": np.array(sorted(result.track_boxes_px), dtype=int),
    }
    for track, boxes in result.track_boxes_px.items():
        arrays[f"boxes_{track}"] = boxes
    if trial.frame_times_s is not None:
        arrays["frame_times_s"] = np.asarray(trial.frame_times_s)
    meta = {
        "names": names,
        "labels": trial.point_labels,
        "rate_hz": trial.point_rate_hz,
        "units": trial.point_units,
        "source_kind": trial.source_kind,
        "source_path": trial.source_path,
        "image_size_px": list(trial.image_size_px) if trial.image_size_px else None,
        "quality": [q.to_json() for q in trial.quality],
        "subject_track_id": result.subject_track_id,
    }
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)


def _load(path: Path) -> CachedPose:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        names = meta["names"]
        xy, confidence = data["xy"], data["confidence"]
        size = meta["image_size_px"]
        trial = Trial(
            points={n: xy[:, i].copy() for i, n in enumerate(names)},
            point_rate_hz=float(meta["rate_hz"]),
            point_units=meta["units"],
            point_labels=dict(meta["labels"]),
            source_kind=meta["source_kind"],
            source_path=meta["source_path"],
            point_confidence={n: confidence[:, i].copy() for i, n in enumerate(names)},
            frame_times_s=data["frame_times_s"].copy() if "frame_times_s" in data else None,
            image_size_px=(int(size[0]), int(size[1])) if size else None,
            quality=[QualityIssue(q["code"], q["message"]) for q in meta["quality"]],
        )
        boxes = {int(t): data[f"boxes_{t}"].copy() for t in data["track_ids"]}
    return CachedPose(trial, int(meta["subject_track_id"]), boxes)


def cached_video_pose(
    clip: Path,
    subject_xy: tuple[float, float] | None = None,
    subject_frame: int | None = None,
) -> CachedPose:
    """The front end's result for ``clip`` (see the module docstring); computed when not cached.

    :class:`~groundup.errors.NoWalkingError` and other errors of the front end are raised as they
    come (and not cached)."""
    from groundup.video.pose_run import run_video_pose

    clip = Path(clip)
    options = {"subject_xy": subject_xy, "subject_frame": subject_frame}
    folder = _cache_dir()
    path = folder / f"{clip.stem}-{_key(clip, options)}.npz" if folder else None
    if path is not None and path.is_file():
        return _load(path)
    result = run_video_pose(clip, subject_xy=subject_xy, subject_frame=subject_frame)
    cached = CachedPose(result.trial, result.subject_track_id, result.track_boxes_px)
    if path is not None:
        _save(path, cached)
    return cached


def cached_video_trial(clip: Path, subject_xy: tuple[float, float] | None = None) -> Trial:
    """The subject's landmarks as a trial, as :func:`groundup.video.pose_run.video_to_trial`."""
    return cached_video_pose(clip, subject_xy).trial
