"""Finding faces in a frame that no tracked person accounts for (bystanders the person detector
missed, people partly out of the picture).

MediaPipe's full-range face detector (BlazeFace, the model shipped in the mediapipe wheel, for
faces up to about 5 m from the camera; Bazarevsky V et al. 2019, "BlazeFace: sub-millisecond
neural face detection on mobile GPUs", arXiv:1907.05047) runs offline on the frame; where the
wheel does not ship it, OpenCV's Haar cascades (frontal and profile faces; Viola P, Jones M
2001, CVPR) are used instead. The detection threshold is low on purpose: a patch blurred for
nothing costs little, a face left sharp costs privacy.
"""

from __future__ import annotations

import contextlib
import threading

import cv2
import numpy as np

MIN_SCORE = 0.3
# The detector sees its input at 192 x 192 pixels: a face of 35 pixels in a 1768-pixel frame
# shrinks to 4 and is missed. The frame is therefore also searched in overlapping tiles of this
# size (half a tile apart), where such a face keeps about 40 model pixels (measured on the
# sample clip: the bystander's face found in tiles, never in the whole frame).
TILE_PX = 160
# A found box is widened by this fraction of its size on each side (hair, ears, chin).
WIDEN = 0.35

_local = threading.local()


def warm_up() -> None:
    """Import the face detector's modules now (call from the main thread before starting a
    thread that finds faces: two threads importing the same large packages in different orders
    can fail with an import deadlock)."""
    with contextlib.suppress(ImportError):
        import mediapipe.python.solutions.face_detection  # noqa: F401


def _mediapipe_detector() -> object:
    detector = getattr(_local, "detector", None)
    if detector is None:
        try:
            from mediapipe.python.solutions.face_detection import FaceDetection

            detector = FaceDetection(min_detection_confidence=MIN_SCORE, model_selection=1)
        except (ImportError, RuntimeError, OSError, ValueError):
            detector = False
        _local.detector = detector
    return detector


def _haar_boxes(gray: np.ndarray) -> list[tuple[float, float, float, float]]:
    cascades = getattr(_local, "cascades", None)
    if cascades is None:
        cascades = [
            cv2.CascadeClassifier(cv2.data.haarcascades + name)
            for name in ("haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml")
        ]
        _local.cascades = cascades
    width = gray.shape[1]
    boxes = []
    for k, cascade in enumerate(cascades):
        views = [(gray, False)] + ([(cv2.flip(gray, 1), True)] if k == 1 else [])
        for image, flipped in views:
            for x, y, w, h in cascade.detectMultiScale(image, 1.1, 4, minSize=(16, 16)):
                x0 = width - x - w if flipped else x
                boxes.append((float(x0), float(y), float(x0 + w), float(y + h)))
    return boxes


def _tiles(height: int, width: int) -> list[tuple[int, int, int, int]]:
    tiles = [(0, 0, width, height)]
    if max(height, width) > TILE_PX:
        step = TILE_PX // 2
        for y0 in range(0, max(1, height - step), step):
            for x0 in range(0, max(1, width - step), step):
                tiles.append((x0, y0, min(width, x0 + TILE_PX), min(height, y0 + TILE_PX)))
    return tiles


def find_faces_px(image: np.ndarray) -> list[np.ndarray]:
    """Every face found in an RGB image (the whole image and overlapping tiles), as 4x2 corner
    arrays of the widened box in pixels of ``image`` (the point sets
    :func:`~groundup.privacy.pixelate.pixelate_regions` takes)."""
    image = np.ascontiguousarray(image[:, :, :3])
    height, width = image.shape[:2]
    boxes: list[tuple[float, float, float, float]] = []
    detector = _mediapipe_detector()
    for x0, y0, x1, y1 in _tiles(height, width):
        tile = np.ascontiguousarray(image[y0:y1, x0:x1])
        tw, th = x1 - x0, y1 - y0
        if detector:
            result = detector.process(tile)
            for detection in result.detections or []:
                b = detection.location_data.relative_bounding_box
                left, top = x0 + b.xmin * tw, y0 + b.ymin * th
                boxes.append((left, top, left + b.width * tw, top + b.height * th))
        else:
            gray = cv2.cvtColor(tile, cv2.COLOR_RGB2GRAY)
            boxes += [(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d in _haar_boxes(gray)]
    out = []
    for x0, y0, x1, y1 in boxes:
        pad_x, pad_y = WIDEN * (x1 - x0), WIDEN * (y1 - y0)
        x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
        out.append(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=float))
    return out
