"""Left/right swap repair and view detection on a real BlazePose landmark sequence."""

from __future__ import annotations

import numpy as np

from groundup.keypoints.cleaning import SWAP_PARTS, clean_keypoints
from groundup.keypoints.view import detect_view, scale_from_height
from groundup.trial import Trial


def _inject_swaps(trial: Trial, blocks: list[tuple[int, int]]) -> Trial:
    points = {k: v.copy() for k, v in trial.points.items()}
    conf = {k: v.copy() for k, v in trial.point_confidence.items()}
    for part in SWAP_PARTS:
        for store in (points, conf):
            a, b = store[f"left_{part}"], store[f"right_{part}"]
            for start, stop in blocks:
                a[start:stop], b[start:stop] = b[start:stop].copy(), a[start:stop].copy()
    return trial.replace(points=points, point_confidence=conf)


def test_injected_swaps_are_repaired(sports2d_landmarks: Trial) -> None:
    reference, ref_report = clean_keypoints(sports2d_landmarks)
    blocks = [(80, 85), (121, 124), (150, 158)]
    swapped, report = clean_keypoints(_inject_swaps(sports2d_landmarks, blocks))
    for start, stop in blocks:  # each injected block lies inside a repaired run
        assert any(a <= start and stop <= b for a, b in report.swapped_frames), report
    for part in SWAP_PARTS:
        for side in ("left", "right"):
            a, b = reference.points[f"{side}_{part}"], swapped.points[f"{side}_{part}"]
            both = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
            assert np.max(np.abs(a[both] - b[both])) < 1.0  # px
    assert any(q.code == "left_right_swap_repaired" for q in swapped.quality)
    # Repairs of the real sequence itself are short blocks (a few frames), not whole strides.
    assert all(stop - start <= 10 for start, stop in ref_report.swapped_frames)


def test_low_confidence_becomes_missing(sports2d_landmarks: Trial) -> None:
    cleaned, report = clean_keypoints(sports2d_landmarks, min_confidence=0.99)
    assert sum(report.masked_frames.values()) > 0
    conf = sports2d_landmarks.point_confidence["left_heel"]
    low = conf < 0.99
    # Masked frames are NaN unless a short gap was filled (gaps up to 0.2 s).
    assert np.isnan(cleaned.points["left_heel"][low]).sum() > 0


def test_view_and_direction_of_side_view(sports2d_landmarks: Trial) -> None:
    cleaned, _ = clean_keypoints(sports2d_landmarks)
    info = detect_view(cleaned)
    assert info.view == "sagittal"
    assert info.direction == "right_to_left"


def test_scale_needs_a_height(sports2d_landmarks: Trial) -> None:
    cleaned, _ = clean_keypoints(sports2d_landmarks)
    assert scale_from_height(cleaned, "sagittal", None) is None
    scale = scale_from_height(cleaned, "sagittal", 1.65)
    assert scale is not None
    # The walker is about 400 px tall in a 994-px frame.
    assert 150 < scale.px_per_m < 400
    assert scale.accuracy_pct > 0
