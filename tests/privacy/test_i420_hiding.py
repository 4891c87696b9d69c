"""The annotated video hides heads and draws on the encoder's I420 planes: the same picture as
hiding and drawing on the RGB frame and converting it (a frame of the sample clip)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

# Boxes on the 1280 x 720 frame: two overlapping (one region), one cut by the picture's edge,
# one at fractional pixels.
BOXES = (
    (430.0, 20.0, 500.0, 95.0),
    (480.0, 60.0, 540.0, 120.0),
    (-10.0, 300.0, 40.0, 380.0),
    (700.5, 400.2, 731.7, 433.9),
)
# Measured: Y at most 2 levels apart, U and V at most 6 (rounding of the blur and resizes).
MAX_HIDDEN_Y_LEVELS = 3
MAX_HIDDEN_CHROMA_LEVELS = 8
# Drawing: Y matches OpenCV's RGB drawing (measured mean 0.1, 99th percentile 1 level over the
# drawn pixels); U and V are blended from the mask averaged over 2 x 2 pixels where OpenCV's
# conversion samples them (measured mean 6.9 levels over the drawn pixels).
MAX_DRAWN_Y_MEAN = 0.5
MAX_DRAWN_Y_P99 = 2.0
MAX_DRAWN_CHROMA_MEAN = 10.0


@pytest.fixture(scope="module")
def frame(shared_data: Path) -> np.ndarray:
    from groundup.video.decode import iter_frames

    clip = shared_data / "video" / "sports2d_demo.mp4"
    image = next(iter(iter_frames(clip))).image
    return cv2.resize(image, (1280, 720), interpolation=cv2.INTER_AREA)


def _planes(i420: np.ndarray) -> list[np.ndarray]:
    height, width = i420.shape[0] * 2 // 3, i420.shape[1]
    flat = i420.reshape(-1)
    quarter = height * width // 4
    return [
        flat[: height * width].reshape(height, width),
        flat[height * width : height * width + quarter].reshape(height // 2, width // 2),
        flat[height * width + quarter :].reshape(height // 2, width // 2),
    ]


def test_i420_hiding_is_the_rgb_hiding(frame: np.ndarray) -> None:
    from groundup.privacy.pixelate import pixelate_boxes, pixelate_boxes_i420

    boxes = [np.array(b) for b in BOXES]
    expected = cv2.cvtColor(pixelate_boxes(frame, boxes), cv2.COLOR_RGB2YUV_I420).astype(int)
    original = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
    got = original.copy()
    pixelate_boxes_i420(_planes(got), boxes)
    diff = np.abs(expected - got)
    assert diff[:720].max() <= MAX_HIDDEN_Y_LEVELS
    assert diff[720:].max() <= MAX_HIDDEN_CHROMA_LEVELS
    # The boxes were hidden (detail gone), and nothing outside them changed.
    x0, y0, x1, y1 = 430, 20, 500, 95
    before = cv2.Laplacian(original[y0:y1, x0:x1], cv2.CV_64F).var()
    after = cv2.Laplacian(got[y0:y1, x0:x1], cv2.CV_64F).var()
    assert after < 0.1 * before
    assert np.array_equal(got[600:720], original[600:720])


def test_i420_drawing_is_the_rgb_drawing(frame: np.ndarray) -> None:
    from groundup.video.annotate import LEFT_RGB, SUBJECT_BOX_RGB, _Canvas

    drawn_rgb = frame.copy()
    cv2.line(drawn_rgb, (100, 100), (400, 300), LEFT_RGB, 3, cv2.LINE_AA)
    cv2.rectangle(drawn_rgb, (600, 150), (900, 500), SUBJECT_BOX_RGB, 3, cv2.LINE_AA)
    cv2.putText(drawn_rgb, "subject", (600, 144), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                SUBJECT_BOX_RGB, 2, cv2.LINE_AA)  # fmt: skip
    expected = cv2.cvtColor(drawn_rgb, cv2.COLOR_RGB2YUV_I420).astype(int)
    original = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
    got = original.copy()
    canvas = _Canvas(_planes(got))
    canvas.lines([((100, 100), (400, 300))], LEFT_RGB, 3)
    canvas.rectangle((600, 150), (900, 500), SUBJECT_BOX_RGB, 3)
    canvas.text("subject", (600, 144), 0.6, SUBJECT_BOX_RGB, 2)
    drawn = expected != original
    assert drawn[:720].sum() > 2000  # the shapes are there
    diff = np.abs(expected - got)
    y_diff, chroma_diff = diff[:720][drawn[:720]], diff[720:][drawn[720:]]
    assert y_diff.mean() <= MAX_DRAWN_Y_MEAN
    assert np.percentile(y_diff, 99) <= MAX_DRAWN_Y_P99
    assert chroma_diff.mean() <= MAX_DRAWN_CHROMA_MEAN
