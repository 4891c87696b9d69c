"""Tracked people's heads come from the people pass's trunk keypoints where it found them; the
detector is run on a crop (HeadLocator) only where it did not."""

from __future__ import annotations

import numpy as np

from groundup.privacy.heads import TRUNK_HEAD_WIDEN, TrackedHeads, head_from_trunk

N_FRAMES = 10
FPS = 30.0  # the detector's interval: every 3rd frame
BODY = (100.0, 100.0, 300.0, 500.0)
HIP, SHOULDER = (200.0, 350.0), (200.0, 250.0)


class _CountingLocator:
    def __init__(self) -> None:
        self.frames: list[int] = []
        self.frame = -1

    def locate(self, image: np.ndarray, body_box: np.ndarray) -> np.ndarray | None:
        self.frames.append(self.frame)
        return np.array([150.0, 110.0, 250.0, 210.0])


def _heads(trunk_frames: list[int]) -> tuple[TrackedHeads, _CountingLocator]:
    boxes = np.tile(BODY, (N_FRAMES, 1))
    trunks = np.full((N_FRAMES, 4), np.nan)
    trunks[trunk_frames] = [*HIP, *SHOULDER]
    locator = _CountingLocator()
    heads = TrackedHeads({}, {1: boxes}, None, 1.0, FPS, locator, trunks_px={1: trunks})  # type: ignore[arg-type]
    image = np.zeros((600, 400, 3), dtype=np.uint8)
    for frame in range(N_FRAMES):
        locator.frame = frame
        heads.add(frame, lambda: image, shape=image.shape)
    return heads, locator


def test_trunks_replace_the_detector_runs() -> None:
    _, locator = _heads([0, 3, 6, 9])
    assert locator.frames == []
    _, locator = _heads([0, 3, 9])  # the people pass missed the person at frame 6
    assert locator.frames == [6]


def test_head_from_trunk_widened_above_the_shoulders() -> None:
    heads, _ = _heads([0, 3, 6, 9])
    (box,) = heads.boxes(3, (600, 400, 3))
    plain = head_from_trunk(np.array(HIP), np.array(SHOULDER))
    assert np.allclose((box[:2] + box[2:]) / 2, (plain[:2] + plain[2:]) / 2)
    assert np.allclose(box[2:] - box[:2], TRUNK_HEAD_WIDEN * (plain[2:] - plain[:2]))
    # The head's centre lies 1.41 trunk lengths from the hip: above the shoulder.
    assert (box[1] + box[3]) / 2 < SHOULDER[1]
