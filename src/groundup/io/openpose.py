"""Read an OpenPose JSON folder (one ``*_keypoints.json`` per frame) into a 2-D keypoint Trial.

Format (OpenPose doc/02_output.md; Cao Z, Hidalgo G, Simon T, Wei SE, Sheikh Y (2021) OpenPose,
IEEE TPAMI 43(1):172-186): each file holds ``{"people": [{"pose_keypoints_2d": [x0, y0, c0, x1,
y1, c1, ...]}, ...]}`` in image pixels (x right, y down), ``c`` the confidence, (0, 0, 0) for a
keypoint not found. BODY_25 (25 keypoints, with feet) and COCO-18 (18, no feet) are recognised
by their length. Files are taken in name order (OpenPose numbers them by frame).

One person per frame: the first frame's person is the one with the most confident keypoints;
in each later frame the person whose mean keypoint position is nearest the chosen person's last
seen position is taken, and only if that distance is below half the person's apparent height
(else the frame is empty for the subject). Two people are never mixed in one trajectory: a frame
that no candidate matches stays empty. JSON files carry no frame rate: the user must give it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from groundup.errors import InputError
from groundup.trial import Trial

BODY_25: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
    "left_elbow", "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip",
    "left_knee", "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear", "left_toe",
    "left_small_toe", "left_heel", "right_toe", "right_small_toe", "right_heel",
)  # fmt: skip
"""Canonical names of OpenPose BODY_25 keypoints in order (LBigToe = left_toe)."""
BODY_25_LABELS: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip
COCO_18: tuple[str, ...] = BODY_25[:8] + BODY_25[9:19]
COCO_18_LABELS: tuple[str, ...] = BODY_25_LABELS[:8] + BODY_25_LABELS[9:19]


def _layout(n: int, path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if n == len(BODY_25):
        return BODY_25, BODY_25_LABELS
    if n == len(COCO_18):
        return COCO_18, COCO_18_LABELS
    raise InputError(
        f"{path.name} has {n} keypoints per person; GroundUp reads OpenPose BODY_25 (25) and "
        "COCO (18).",
        "Run OpenPose with --model_pose BODY_25 (recommended: it has heels and toes).",
    )


def _people(path: Path) -> list[np.ndarray]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        people = data["people"]
        arrays = [np.asarray(p["pose_keypoints_2d"], dtype=float).reshape(-1, 3) for p in people]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path.name} is not an OpenPose keypoint file ({exc}).",
            "Give the folder OpenPose wrote with --write_json (files *_keypoints.json).",
        ) from exc
    for a in arrays:
        a[(a[:, 2] <= 0) | ((a[:, 0] == 0) & (a[:, 1] == 0))] = np.nan
    return arrays


def _centre(person: np.ndarray) -> np.ndarray:
    return (
        np.nanmean(person[:, :2], axis=0)
        if np.isfinite(person[:, :2]).any()
        else np.full(2, np.nan)
    )


def _size(person: np.ndarray) -> float:
    ys = person[:, 1][np.isfinite(person[:, 1])]
    return float(ys.max() - ys.min()) if ys.size > 1 else np.nan


def read_openpose(folder: str | Path, fps: float | None) -> Trial:
    """Read an OpenPose JSON folder into a Trial (``source_kind="keypoints"``, pixels)."""
    folder = Path(folder)
    if fps is None:
        raise InputError(
            "OpenPose JSON files do not store the frame rate.",
            "Give the video's frame rate with --fps (e.g. --fps 30).",
        )
    if not (np.isfinite(fps) and 1.0 <= fps <= 1000.0):
        raise InputError(f"The frame rate {fps!r} is not plausible.", "Give --fps, e.g. 30.")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder.", "Give the folder of *_keypoints.json files.")
    files = sorted(folder.glob("*_keypoints.json")) or sorted(folder.glob("*.json"))
    if not files:
        raise InputError(
            f"{folder} holds no OpenPose JSON files.",
            "Give the folder OpenPose wrote with --write_json (files *_keypoints.json).",
        )
    frames = [_people(f) for f in files]
    n_kp = next((len(p[0]) for p in frames if p), None)
    if n_kp is None:
        raise InputError(f"Nobody was found in any frame of {folder}.", "Check the OpenPose run.")
    names, labels = _layout(n_kp, files[0])
    chosen = np.full((len(frames), n_kp, 3), np.nan)
    last: np.ndarray | None = None
    size = np.nan
    for i, people in enumerate(frames):
        people = [p for p in people if len(p) == n_kp and np.isfinite(p).any()]
        if not people:
            continue
        if last is None:
            pick = max(people, key=lambda p: float(np.nansum(p[:, 2])))
        else:
            dists = [float(np.linalg.norm(_centre(p) - last)) for p in people]
            j = int(np.argmin(dists))
            limit = 0.5 * size if np.isfinite(size) else np.inf
            if dists[j] > limit:
                continue
            pick = people[j]
        chosen[i] = pick
        last = _centre(pick)
        s = _size(pick)
        size = s if not np.isfinite(size) else 0.8 * size + 0.2 * s if np.isfinite(s) else size
    points = {name: chosen[:, k, :2].copy() for k, name in enumerate(names)}
    confidence = {name: np.nan_to_num(chosen[:, k, 2]) for k, name in enumerate(names)}
    return Trial(
        points=points,
        point_rate_hz=float(fps),
        point_units="px",
        point_labels=dict(zip(names, labels, strict=True)),
        source_path=str(folder),
        source_kind="keypoints",
        point_confidence=confidence,
    )


def write_openpose(trial: Trial, folder: str | Path, layout: str = "BODY_25") -> None:
    """Write a 2-D keypoint trial as OpenPose JSON files (one person per frame)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = BODY_25 if layout == "BODY_25" else COCO_18
    for i in range(trial.n_frames):
        flat: list[float] = []
        for name in names:
            xy = trial.points.get(name, np.full((trial.n_frames, 2), np.nan))[i]
            c = trial.point_confidence.get(name, np.ones(trial.n_frames))[i]
            if name == "mid_hip" and name not in trial.points:
                xy = 0.5 * (trial.points["left_hip"][i] + trial.points["right_hip"][i])
                c = 1.0
            seen = np.isfinite(xy).all()
            flat += [float(xy[0]), float(xy[1]), float(c)] if seen else [0.0, 0.0, 0.0]
        doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": flat}]}
        (folder / f"frame_{i:012d}_keypoints.json").write_text(json.dumps(doc), encoding="utf-8")
