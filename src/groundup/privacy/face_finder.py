"""Finding faces in a picture: MediaPipe's full-range face detector (BlazeFace), run directly on
the ``.tflite`` file shipped in the mediapipe wheel (no MediaPipe graph, no download).

Method: Bazarevsky V et al. (2019) "BlazeFace: sub-millisecond neural face detection on mobile
GPUs", arXiv:1907.05047; the full-range model is the one for faces up to about 5 m from the
camera. Its settings are copied from MediaPipe's public graph
(``mediapipe/modules/face_detection/face_detection_full_range.pbtxt``): 192 x 192 input scaled
to [-1, 1], one anchor layer of stride 4 (48 x 48 anchors of fixed size), weighted non-maximum
suppression at IoU 0.3.

Two ways to search:
- :meth:`FaceFinder.sweep`: the whole picture in overlapping square tiles a quarter of its long
  side wide (a 25-pixel face in a 1280-pixel frame keeps about 15 model pixels; on the whole
  frame it would keep 4 and be missed), for faces nobody told us about;
- :meth:`FaceFinder.near`: one square crop around a known face, to follow it frame by frame.
The score needed is low on purpose (``MIN_SCORE``): a patch blurred for nothing costs little, a
face left sharp costs privacy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

MODEL_FILE = ("modules", "face_detection", "face_detection_full_range_sparse.tflite")
INPUT_PX = 192
ANCHOR_GRID = 48  # stride 4 on 192 px
SCORE_CLIPPING = 100.0
NMS_IOU = 0.3
MIN_SCORE = 0.5
# Sweep tiles: this fraction of the picture's long side, overlapping by a quarter of a tile (a
# face up to a quarter tile wide lies whole in some tile; larger faces are found on the whole
# picture, searched too). Measured on the shared clips at 1280 px: tiles of 320 px found the
# bystander's 20-27 px face on the sample clip and both walkers' faces, tiles of 480 px missed
# some of them.
SWEEP_TILE_FRACTION = 0.25
SWEEP_TILE_OVERLAP = 0.25
# A sweep tile is not searched again while no 8 x 8 block of it (model pixels) changed by this
# many grey levels on average since it was last searched, unless something there scored
# SKIP_MAX_SCORE or more then. Measured on the sample clip and the two-walker clip (sweeps every
# 0.5 s, 416 tiles): among tiles that changed by less than 8 levels, the best score moved by at
# most 0.12 between two searches, so a tile that scored under 0.25 stays under 0.37, far from
# MIN_SCORE (0.5). Checked on the four walking clips by searching the skipped tiles anyway (816
# tiles with an earlier search): 25 % skipped on the sample clip (static camera; trees in the
# wind), 9 % on the two-walker clip, 0-1 % with a moving camera; the skipped tiles scored at
# most 0.25 (0.12 above their last search) and held no face.
SKIP_MAX_CHANGE = 8.0
SKIP_MAX_SCORE = 0.25
SKIP_BLOCK_PX = 8


@dataclass(frozen=True)
class Face:
    """One face found: box (x0, y0, x1, y1) in pixels of the searched picture, and its score."""

    box: np.ndarray
    score: float

    @property
    def centre(self) -> np.ndarray:
        return (self.box[:2] + self.box[2:]) / 2

    @property
    def size(self) -> float:
        return float(max(self.box[2] - self.box[0], self.box[3] - self.box[1]))


def _anchors() -> np.ndarray:
    grid = (np.arange(ANCHOR_GRID) + 0.5) / ANCHOR_GRID
    xs, ys = np.meshgrid(grid, grid)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


_local = threading.local()


class FaceFinder:
    """The face detector (one TensorFlow Lite interpreter: one per thread, see :func:`finder`)."""

    def __init__(self, min_score: float = MIN_SCORE) -> None:
        from groundup.video.blazepose import _interpreter, model_path

        self.interpreter = _interpreter(model_path(MODEL_FILE), 1)
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        outputs = {tuple(d["shape"]): d["index"] for d in self.interpreter.get_output_details()}
        self.boxes_index = outputs[(1, ANCHOR_GRID * ANCHOR_GRID, 16)]
        self.scores_index = outputs[(1, ANCHOR_GRID * ANCHOR_GRID, 1)]
        self.anchors = _anchors()
        self.min_score = min_score
        self.runs = 0

    def _square(self, image: np.ndarray, x0: float, y0: float, side: float) -> list[Face]:
        """Faces in the square (x0, y0, side) of ``image`` (parts outside it are black)."""
        return self._detect(_model_input(image, x0, y0, side), x0, y0, side)[0]

    def _detect(
        self, tensor: np.ndarray, x0: float, y0: float, side: float
    ) -> tuple[list[Face], float]:
        """Faces in a model input taken from the square (x0, y0, side), and the best score of
        any candidate (also those below ``min_score``)."""
        self.interpreter.set_tensor(
            self.input_index, (tensor.astype(np.float32) * (2.0 / 255.0) - 1.0)[None]
        )
        self.interpreter.invoke()
        self.runs += 1
        raw_scores = self.interpreter.get_tensor(self.scores_index)[0, :, 0]
        with np.errstate(over="ignore"):
            scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores, -SCORE_CLIPPING, SCORE_CLIPPING)))
        best = float(scores.max())
        keep = np.flatnonzero(scores >= self.min_score)
        if keep.size == 0:
            return [], best
        raw = self.interpreter.get_tensor(self.boxes_index)[0, keep, :4] / INPUT_PX
        centre = raw[:, :2] + self.anchors[keep]
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1) * side
        boxes += [x0, y0, x0, y0]
        return [Face(box, float(score)) for box, score in _nms(boxes, scores[keep])], best

    def near(self, image: np.ndarray, centre_px: np.ndarray, side_px: float) -> list[Face]:
        """Faces in the square of side ``side_px`` centred on ``centre_px``."""
        cx, cy = (float(v) for v in centre_px)
        return self._square(image, cx - side_px / 2, cy - side_px / 2, side_px)

    def sweep(self, image: np.ndarray, memory: SweepMemory | None = None) -> list[Face]:
        """Faces anywhere in the picture (the whole picture and overlapping tiles; one face
        found twice is kept once). With ``memory`` (one per stream of frames of one size), a
        tile is not searched again while it looks as it did when last searched and nothing
        there came near a face (:class:`SweepMemory`)."""
        height, width = image.shape[:2]
        side = max(16.0, SWEEP_TILE_FRACTION * max(height, width))
        squares = [(0.0, 0.0, float(max(height, width)))]
        squares += [(x0, y0, side) for y0 in _starts(height, side) for x0 in _starts(width, side)]
        found: list[Face] = []
        for x0, y0, size in squares:
            tensor = _model_input(image, x0, y0, size)
            if memory is not None and memory.unchanged((x0, y0, size), tensor):
                memory.skipped += 1
                continue
            faces, best = self._detect(tensor, x0, y0, size)
            if memory is not None:
                memory.remember((x0, y0, size), tensor, best)
            found += faces
        if not found:
            return []
        boxes = np.array([f.box for f in found])
        scores = np.array([f.score for f in found])
        return [Face(box, float(score)) for box, score in _nms(boxes, scores)]


class SweepMemory:
    """Each sweep tile as the detector last saw it (grey, at the model's input size) and the
    best score of anything there. A tile is searched again when any 8 x 8 block of it changed
    by ``SKIP_MAX_CHANGE`` grey levels on average since, or when something there scored
    ``SKIP_MAX_SCORE`` or more (a face the detector nearly found is looked at every time)."""

    def __init__(self) -> None:
        self.tiles: dict[tuple[float, float, float], tuple[np.ndarray, float]] = {}
        self.skipped = 0

    def unchanged(self, key: tuple[float, float, float], tensor: np.ndarray) -> bool:
        last = self.tiles.get(key)
        if last is None or last[1] >= SKIP_MAX_SCORE:
            return False
        return _block_change(_grey(tensor), last[0]) < SKIP_MAX_CHANGE

    def remember(self, key: tuple[float, float, float], tensor: np.ndarray, best: float) -> None:
        self.tiles[key] = (_grey(tensor), best)


def _grey(tensor: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(tensor, cv2.COLOR_RGB2GRAY)


def _block_change(a: np.ndarray, b: np.ndarray) -> float:
    """The largest mean absolute difference of two grey pictures over 8 x 8 pixel blocks."""
    blocks = INPUT_PX // SKIP_BLOCK_PX
    diff = cv2.absdiff(a, b)
    return float(cv2.resize(diff, (blocks, blocks), interpolation=cv2.INTER_AREA).max())


def _model_input(image: np.ndarray, x0: float, y0: float, side: float) -> np.ndarray:
    """The square (x0, y0, side) of ``image`` at the model's input size (uint8 RGB; parts
    outside the image black)."""
    scale = INPUT_PX / side
    matrix = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]])
    return cv2.warpAffine(
        image, matrix, (INPUT_PX, INPUT_PX), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
    )  # fmt: skip


def _starts(length: int, side: float) -> list[float]:
    if length <= side:
        return [0.0]
    n = int(np.ceil((length - side) / ((1.0 - SWEEP_TILE_OVERLAP) * side))) + 1
    return [float(v) for v in np.linspace(0.0, length - side, n)]


def _nms(boxes: np.ndarray, scores: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Weighted non-maximum suppression (MediaPipe's WEIGHTED mode): overlapping candidates are
    averaged, weighted by score; the cluster keeps its best score."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    left = np.ones(len(scores), dtype=bool)
    out = []
    for i in range(len(scores)):
        if not left[i]:
            continue
        iou = _iou(boxes[i], boxes)
        cluster = left & (iou > NMS_IOU)
        cluster[i] = True
        weights = scores[cluster][:, None]
        out.append(((boxes[cluster] * weights).sum(0) / weights.sum(), float(scores[i])))
        left &= ~cluster
    return out


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def finder() -> FaceFinder:
    """This thread's face detector (TensorFlow Lite interpreters are not shared by threads)."""
    found = getattr(_local, "finder", None)
    if found is None:
        found = _local.finder = FaceFinder()
    return found


def find_faces_px(image: np.ndarray) -> list[np.ndarray]:
    """Every face found anywhere in an RGB image: boxes (x0, y0, x1, y1) in its pixels."""
    image = np.ascontiguousarray(image[:, :, :3])
    return [face.box for face in finder().sweep(image)]
