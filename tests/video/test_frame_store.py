"""The small frame copies the landmark pass keeps for key frames, and the vectorised heatmap
refinement, on real frames and against a plain re-implementation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from groundup.video.blazepose import HEATMAP_KERNEL, HEATMAP_MIN_CONFIDENCE, refine_from_heatmap
from groundup.video.decode import iter_frames
from groundup.video.frame_store import FrameStore


def test_copies_of_real_frames_at_the_printed_width(shared_data: Path) -> None:
    clip = shared_data / "video" / "sports2d_demo.mp4"
    store = FrameStore(min_width_px=480)
    originals = {}
    for vf in iter_frames(clip, stop_after=9, on_image=store.add):
        originals[vf.index] = vf.image
    assert all(i in store for i in range(10))
    # 1768 px wide: a whole factor of 3 keeps at least 480 px (589 px)
    assert store.scale is not None and abs(store.scale - 589 / 1768) < 1e-9
    for index, original in originals.items():
        copy = store.image(index)
        assert copy is not None and copy.shape == (331, 589, 3)
        third = 1.0 / 3.0
        reference = cv2.resize(original, None, fx=third, fy=third, interpolation=cv2.INTER_AREA)
        # JPEG at quality 90 on a textured scene (foliage): 2.6 grey levels off on average
        assert float(np.mean(np.abs(copy.astype(int) - reference.astype(int)))) < 3.5
    assert store.image(10) is None


def test_budget_bounds_the_copies(shared_data: Path) -> None:
    clip = shared_data / "video" / "sports2d_demo.mp4"
    store = FrameStore(min_width_px=480, budget_bytes=1)
    for _ in iter_frames(clip, stop_after=4, on_image=store.add):
        pass
    assert 0 in store and not any(i in store for i in range(1, 5))
    assert store.n_bytes > 0


def _refine_loop(uv: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """MediaPipe's RefineLandmarksFromHeatmapCalculator written as its loops."""
    hm_h, hm_w, n = heatmap.shape
    out = np.array(uv, dtype=float)
    off = (HEATMAP_KERNEL - 1) // 2
    for i in range(n):
        col, row = int(uv[i, 0] * hm_w), int(uv[i, 1] * hm_h)
        if col < 0 or col >= hm_w or row < 0 or col >= hm_h:  # MediaPipe's own bounds test
            continue
        total = best = wx = wy = 0.0
        for r in range(row - off, row + off + 1):
            for c in range(col - off, col + off + 1):
                if 0 <= r < hm_h and 0 <= c < hm_w:
                    conf = 1.0 / (1.0 + np.exp(-float(heatmap[r, c, i])))
                    total, best = total + conf, max(best, conf)
                    wx, wy = wx + conf * c, wy + conf * r
        if best >= HEATMAP_MIN_CONFIDENCE and total > 0:
            out[i] = (wx / hm_w / total, wy / hm_h / total)
    return out


def test_heatmap_refinement_matches_the_calculator_loops() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        heatmap = (rng.normal(size=(64, 64, 39)) * 4).astype(np.float32)
        uv = rng.uniform(-0.1, 1.1, size=(39, 2))  # some landmarks near or past the edges
        assert np.allclose(refine_from_heatmap(uv, heatmap), _refine_loop(uv, heatmap), atol=1e-12)
