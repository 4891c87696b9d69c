"""BlazePose person detector and landmark model, run directly on the ``.tflite`` files shipped in
the ``mediapipe`` wheel (no MediaPipe graph, no download).

Method: Bazarevsky V, Grishchenko I, Raveendran K, Zhu T, Zhang F, Grundmann M (2020) BlazePose:
On-device Real-time Body Pose tracking, arXiv:2006.10204. The detector is an SSD (Liu et al.
2016, ECCV) that returns, for every person, a face box and 4 keypoints (mid-hip centre, a point
whose distance from it encodes the full-body size and rotation, mid-shoulder centre, upper-body
size point). The landmark model runs on a rotated square crop around one person and returns 33
landmarks plus 2 auxiliary ones (mid-hip, full-body size point) used to place the next frame's
crop.

Every setting below is copied from MediaPipe's public graphs (google-ai-edge/mediapipe,
``mediapipe/modules/...``), with the file named at each constant; docs/video-pose.md lists them.
"""

from __future__ import annotations

import copy
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from groundup.errors import GroundUpError
from groundup.keypoints.blazepose import BLAZEPOSE_NAMES
from groundup.keypoints.knowledge import max_trunk_tilt_deg

# BlazePose landmark order -> GroundUp canonical names: one table, kept with the keypoint label
# aliases (foot_index -> toe; "left"/"right" are the person's anatomical sides).
BLAZEPOSE_CANONICAL_NAMES: tuple[str, ...] = tuple(BLAZEPOSE_NAMES)
N_LANDMARKS = 33
_SHOULDERS = (BLAZEPOSE_NAMES.index("left_shoulder"), BLAZEPOSE_NAMES.index("right_shoulder"))
_HIPS = (BLAZEPOSE_NAMES.index("left_hip"), BLAZEPOSE_NAMES.index("right_hip"))

# ---------------------------------------------------------------- pose_detection_cpu.pbtxt
DETECTOR_INPUT_PX = 224
ANCHOR_NUM_LAYERS = 5
ANCHOR_MIN_SCALE = 0.1484375
ANCHOR_MAX_SCALE = 0.75
ANCHOR_OFFSET = 0.5
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
ANCHOR_ASPECT_RATIOS = (1.0,)
ANCHOR_INTERPOLATED_SCALE_ASPECT_RATIO = 1.0  # ssd_anchors_calculator.proto default
N_ANCHORS = 2254
SCORE_CLIPPING = 100.0
NMS_MIN_SUPPRESSION_IOU = 0.3  # NonMaxSuppressionCalculator, WEIGHTED, IoU
# mediapipe.solutions.pose's default min_detection_confidence (it overrides the graph's 0.2).
DEFAULT_MIN_DETECTION_SCORE = 0.5
# Tiled detection (TiledPoseDetector): the score a tile's candidate needs (measured on the
# reference clips: false alarms up to 0.80, people 0.89-0.99; docs/video-pose.md).
TILE_MIN_DETECTION_SCORE = 0.85

# ---------------------------------------- pose_detection_to_roi.pbtxt, pose_landmarks_to_roi.pbtxt
ROI_SCALE = 1.25
ROI_TARGET_ANGLE_RAD = math.pi / 2  # rotation_vector_target_angle_degrees: 90

# ---------------------------------------------- pose_landmark_by_roi_cpu.pbtxt and its
# tensors_to_pose_landmarks_and_segmentation.pbtxt
LANDMARK_INPUT_PX = 256
N_MODEL_LANDMARKS = 39  # 33 body + 6 auxiliary; 33 and 34 place the next crop
HEATMAP_KERNEL = 7  # RefineLandmarksFromHeatmapCalculator kernel_size
HEATMAP_MIN_CONFIDENCE = 0.5  # its proto default min_confidence_to_refine
POSE_PRESENCE_THRESHOLD = 0.5  # ThresholdingCalculator (= min_tracking_confidence default)

# ------------------------------------------------------------- pose_landmark_filtering.pbtxt
# The auxiliary landmarks that place the next crop are always smoothed (even with
# smooth_landmarks off) by a One-Euro filter, with values scaled by the object size.
AUX_MIN_CUTOFF_HZ = 0.01
AUX_BETA = 10.0
AUX_DERIVATE_CUTOFF_HZ = 1.0

DETECTOR_FILE = ("modules", "pose_detection", "pose_detection.tflite")
LANDMARK_FILE = ("modules", "pose_landmark", "pose_landmark_full.tflite")


class PoseModelMissingError(GroundUpError):
    """The BlazePose model files that ship inside the mediapipe wheel cannot be found."""


def model_path(parts: tuple[str, ...]) -> Path:
    """Path of a model file inside the installed ``mediapipe`` package (not imported)."""
    spec = importlib.util.find_spec("mediapipe")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for base in locations:
        candidate = Path(base).joinpath(*parts)
        if candidate.is_file():
            return candidate
    raise PoseModelMissingError(
        f"The pose model file {'/'.join(parts)} was not found in the installed mediapipe package.",
        "Install the pinned version: pip install mediapipe==0.10.21 (its wheel ships the models; "
        "nothing is downloaded at run time).",
    )


def _interpreter(path: Path, num_threads: int):
    from tflite_runtime.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
    interpreter.allocate_tensors()
    return interpreter


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


# ======================================================================== geometry
@dataclass(frozen=True)
class Roi:
    """A rotated square region of the image, in pixels (rotation clockwise in image coordinates,
    i.e. MediaPipe's ``NormalizedRect.rotation`` with y pointing down)."""

    center_x_px: float
    center_y_px: float
    size_px: float
    rotation_rad: float

    def corners_px(self) -> np.ndarray:
        """Corners (4, 2): top-left, top-right, bottom-right, bottom-left of the crop."""
        half = self.size_px / 2
        local = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
        return local @ self.rotation_matrix().T + [self.center_x_px, self.center_y_px]

    def rotation_matrix(self) -> np.ndarray:
        c, s = math.cos(self.rotation_rad), math.sin(self.rotation_rad)
        return np.array([[c, -s], [s, c]])

    def crop_to_image_matrix(self, out_px: int) -> np.ndarray:
        """2x3 affine matrix from crop pixel coordinates (0..out_px) to image pixels."""
        scale = self.size_px / out_px
        rot = self.rotation_matrix() * scale
        centre = np.array([self.center_x_px, self.center_y_px])
        offset = centre - rot @ np.array([out_px / 2, out_px / 2])
        return np.hstack([rot, offset[:, None]])

    def normalized_to_image(self, uv: np.ndarray) -> np.ndarray:
        """Crop-normalised coordinates (N, 2) in 0..1 -> image pixels (LandmarkProjection)."""
        local = (np.asarray(uv, dtype=float) - 0.5) * self.size_px
        return local @ self.rotation_matrix().T + [self.center_x_px, self.center_y_px]


def roi_from_alignment_points(center_px: np.ndarray, scale_point_px: np.ndarray) -> Roi:
    """AlignmentPointsRectsCalculator + RectTransformationCalculator (scale 1.25, square_long).

    Box size = twice the distance centre -> scale point; rotation makes the centre->scale-point
    vector point up (target 90 degrees, y flipped because the image y axis points down).
    """
    dx = float(scale_point_px[0] - center_px[0])
    dy = float(scale_point_px[1] - center_px[1])
    box_size = 2.0 * math.hypot(dx, dy)
    rotation = _normalize_radians(ROI_TARGET_ANGLE_RAD - math.atan2(-dy, dx))
    return Roi(float(center_px[0]), float(center_px[1]), box_size * ROI_SCALE, rotation)


def crop(image: np.ndarray, roi: Roi, out_px: int, border_zero: bool) -> np.ndarray:
    """ImageToTensorCalculator's crop: the rotated ROI resampled to ``out_px`` x ``out_px``
    (bilinear; zero border for the detector, replicated border for the landmark model)."""
    matrix = roi.crop_to_image_matrix(out_px)
    return cv2.warpAffine(
        image,
        matrix,
        (out_px, out_px),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT if border_zero else cv2.BORDER_REPLICATE,
        borderValue=(0, 0, 0),
    )


# ======================================================================== detector
def ssd_anchors() -> np.ndarray:
    """Anchor centres (N, 2) in 0..1, following SsdAnchorsCalculator with the options of
    pose_detection_cpu.pbtxt (fixed_anchor_size: every anchor is 1 x 1, so only centres matter).

    Layers with the same stride share one feature map; each layer contributes one anchor per
    aspect ratio plus one interpolated-scale anchor per cell.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < ANCHOR_NUM_LAYERS:
        n_per_cell = 0
        last = layer
        while last < ANCHOR_NUM_LAYERS and ANCHOR_STRIDES[last] == ANCHOR_STRIDES[layer]:
            n_per_cell += len(ANCHOR_ASPECT_RATIOS)
            if ANCHOR_INTERPOLATED_SCALE_ASPECT_RATIO > 0:
                n_per_cell += 1
            last += 1
        stride = ANCHOR_STRIDES[layer]
        size = math.ceil(DETECTOR_INPUT_PX / stride)
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        cx = (xs.ravel() + ANCHOR_OFFSET) / size
        cy = (ys.ravel() + ANCHOR_OFFSET) / size
        cell = np.stack([cx, cy], axis=1)
        centres.append(np.repeat(cell, n_per_cell, axis=0))
        layer = last
    anchors = np.concatenate(centres)
    if anchors.shape[0] != N_ANCHORS:  # the model's output count; a mismatch is a coding error
        raise RuntimeError(f"anchor count {anchors.shape[0]} != {N_ANCHORS}")
    return anchors


@dataclass(frozen=True)
class PersonDetection:
    """One detected person, in image pixels.

    ``face_box_px`` = (x_min, y_min, x_max, y_max) of the face region (what the detector's box
    encodes); ``keypoints_px`` (4, 2): mid-hip centre, full-body size point, mid-shoulder centre,
    upper-body size point.
    """

    score: float
    face_box_px: tuple[float, float, float, float]
    keypoints_px: np.ndarray

    @property
    def hip_px(self) -> np.ndarray:
        return self.keypoints_px[0]

    @property
    def body_radius_px(self) -> float:
        """Radius of the full-body circle (distance mid-hip -> full-body size point)."""
        return float(np.linalg.norm(self.keypoints_px[1] - self.keypoints_px[0]))

    @property
    def body_box_px(self) -> tuple[float, float, float, float]:
        """Square around the full-body circle (x_min, y_min, x_max, y_max)."""
        r = self.body_radius_px
        x, y = self.hip_px
        return (float(x - r), float(y - r), float(x + r), float(y + r))

    def hip_near(self, point_px: np.ndarray, radii: float) -> bool:
        """Whether ``point_px`` lies within ``radii`` full-body radii of this mid-hip."""
        return bool(
            np.linalg.norm(np.asarray(point_px) - self.hip_px) <= radii * self.body_radius_px
        )

    def roi(self) -> Roi:
        return roi_from_alignment_points(self.keypoints_px[0], self.keypoints_px[1])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between boxes a (N, 4) and b (M, 4) as (x_min, y_min, x_max, y_max)."""
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray
) -> list[int | np.ndarray]:
    """MediaPipe's WEIGHTED non-maximum suppression (NonMaxSuppressionCalculator).

    Candidates are taken by decreasing score; every remaining candidate whose IoU with the best
    one exceeds 0.3 joins its cluster, and the cluster's box and keypoints are the score-weighted
    mean (score = the best one's). Returns rows [score, box(4), keypoints(8)].
    """
    order = list(np.argsort(-scores, kind="stable"))
    out: list[np.ndarray] = []
    while order:
        best = order[0]
        ious = box_iou(boxes[best][None], boxes[order])[0]
        cluster = [order[i] for i in range(len(order)) if ious[i] > NMS_MIN_SUPPRESSION_IOU]
        if best not in cluster:
            cluster.insert(0, best)
        rest = [i for i in order if i not in set(cluster)]
        w = scores[cluster]
        total = float(w.sum())
        box = (boxes[cluster] * w[:, None]).sum(axis=0) / total
        kps = (keypoints[cluster] * w[:, None]).sum(axis=0) / total
        out.append(np.concatenate([[scores[best]], box, kps]))
        order = rest
    return out


class PoseDetector:
    """Every person in a frame (BlazePose detector, SSD decoding and weighted NMS)."""

    def __init__(self, num_threads: int = 1, min_score: float = DEFAULT_MIN_DETECTION_SCORE):
        self.num_threads = num_threads
        self.interpreter = _interpreter(model_path(DETECTOR_FILE), num_threads)
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        outputs = {tuple(d["shape"]): d["index"] for d in self.interpreter.get_output_details()}
        self.boxes_index = outputs[(1, N_ANCHORS, 12)]
        self.scores_index = outputs[(1, N_ANCHORS, 1)]
        self.anchors = ssd_anchors()
        self.min_score = min_score

    def twin(self) -> PoseDetector:
        """The same detector (same settings) with its own interpreter, for another thread: a
        TensorFlow Lite interpreter must not be invoked from two threads at once."""
        other = copy.copy(self)
        other.interpreter = _interpreter(model_path(DETECTOR_FILE), self.num_threads)
        return other

    def detect(self, image: np.ndarray) -> list[PersonDetection]:
        """Detect every person in an RGB ``uint8`` image."""
        height, width = image.shape[:2]
        # Whole image, letterboxed to a square (keep_aspect_ratio, BORDER_ZERO).
        whole = Roi(width / 2, height / 2, float(max(width, height)), 0.0)
        # Suppression in the square's normalised coordinates, then to pixels (as MediaPipe).
        return [
            _detection(row[0], _to_pixels(whole, row[1:5]), _to_pixels(whole, row[5:13]))
            for row in _suppressed(*self.candidates(image, whole))
        ]

    def candidates(
        self, image: np.ndarray, region: Roi
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The detector's candidates in one square, unrotated ``region`` of the image, before
        non-maximum suppression: face boxes (N, 4) and keypoints (N, 8) in the region's
        normalised coordinates (0-1, x first), scores (N,)."""
        tensor = crop(image, region, DETECTOR_INPUT_PX, border_zero=True)
        tensor = tensor.astype(np.float32) * (2.0 / 255.0) - 1.0  # to [-1, 1]
        self.interpreter.set_tensor(self.input_index, tensor[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.boxes_index)[0]
        raw_scores = self.interpreter.get_tensor(self.scores_index)[0, :, 0]
        scores = _sigmoid(np.clip(raw_scores, -SCORE_CLIPPING, SCORE_CLIPPING))
        keep = np.flatnonzero(scores >= self.min_score)
        raw = raw[keep].astype(np.float64) / DETECTOR_INPUT_PX  # reverse_output_order: x first
        anchors = self.anchors[keep]
        centre = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        keypoints = raw[:, 4:12].reshape(-1, 8) + np.tile(anchors, 4)
        return boxes, keypoints, scores[keep]


class TiledPoseDetector(PoseDetector):
    """The detector run on the whole image and on overlapping square tiles of it, for people too
    small for the whole-image pass.

    The detector sees its input at 224 x 224 px, so in a 1920 x 1080 frame a person 300 px tall
    is 35 px tall to it, and its face (what it finds first) a few pixels: it misses them.
    Running it on tiles of a fraction of the frame enlarges everyone by the inverse fraction,
    the way slicing-aided inference handles small objects (Akyon FC, Altinuc SO, Temizel A
    (2022) Slicing aided hyper inference and fine-tuning for small object detection. IEEE ICIP,
    pp. 966-970. doi:10.1109/ICIP46576.2022.9897990). Candidates of all tiles and of the whole
    image are merged by the detector's own weighted non-maximum suppression. Tiles overlap by a
    quarter so that a face cut by one tile's edge is whole in the next. Costs one detector run
    per tile: GroundUp uses it only when the whole-image pass finds nobody walking.

    A tile holds less context than the whole image, and the detector's false alarms there
    (shadows, foliage, parts of a body) score up to about 0.8 on the reference clips, while
    people score 0.89-0.99; a tile's candidates therefore need ``tile_min_score`` (0.85).
    """

    def __init__(
        self,
        num_threads: int = 1,
        min_score: float = DEFAULT_MIN_DETECTION_SCORE,
        tile_fraction: float = 0.5,
        overlap: float = 0.25,
        tile_min_score: float = TILE_MIN_DETECTION_SCORE,
    ):
        super().__init__(num_threads, min_score)
        self.tile_fraction = tile_fraction
        self.overlap = overlap
        self.tile_min_score = tile_min_score

    def tiles(self, width: int, height: int) -> list[Roi]:
        """Square tiles of ``tile_fraction`` of the shorter image side, covering the image."""
        side = self.tile_fraction * min(width, height)
        step = (1.0 - self.overlap) * side

        def starts(length: int) -> np.ndarray:
            n = max(1, math.ceil(max(0.0, length - side) / step) + 1)
            return np.linspace(0.0, max(0.0, length - side), n)

        return [
            Roi(float(x + side / 2), float(y + side / 2), side, 0.0)
            for y in starts(height)
            for x in starts(width)
        ]

    def detect(self, image: np.ndarray) -> list[PersonDetection]:
        height, width = image.shape[:2]
        whole = Roi(width / 2, height / 2, float(max(width, height)), 0.0)
        parts = []
        for region in (whole, *self.tiles(width, height)):
            boxes, keypoints, scores = self.candidates(image, region)
            sure = scores >= (self.min_score if region is whole else self.tile_min_score)
            parts.append(
                (_to_pixels(region, boxes[sure]), _to_pixels(region, keypoints[sure]), scores[sure])
            )
        boxes, keypoints, scores = (np.concatenate(a) for a in zip(*parts, strict=True))
        kept: list[PersonDetection] = []
        for row in _suppressed(boxes, keypoints, scores):  # best first
            det = _detection(row[0], row[1:5], row[5:13])
            if not any(_same_face(det, k) for k in kept):
                kept.append(det)
        return kept


def _same_face(a: PersonDetection, b: PersonDetection) -> bool:
    """Two detections of one face from different crops: face centres closer than one face
    width (their boxes can differ too much for the IoU test of non-maximum suppression)."""
    ca = np.add(a.face_box_px[:2], a.face_box_px[2:]) / 2
    cb = np.add(b.face_box_px[:2], b.face_box_px[2:]) / 2
    width = max(a.face_box_px[2] - a.face_box_px[0], b.face_box_px[2] - b.face_box_px[0])
    return bool(np.linalg.norm(ca - cb) < width)


def _to_pixels(region: Roi, uv: np.ndarray) -> np.ndarray:
    """Normalised (x, y) pairs of an unrotated square region -> image pixels (same shape)."""
    origin = np.array(
        [region.center_x_px - region.size_px / 2, region.center_y_px - region.size_px / 2]
    )
    flat = np.asarray(uv, dtype=float).reshape(-1, 2)
    return (flat * region.size_px + origin).reshape(np.shape(uv))


def _suppressed(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray
) -> list[int | np.ndarray]:
    return weighted_nms(boxes, keypoints, scores) if scores.size else []


def _detection(score: float, box: np.ndarray, keypoints: np.ndarray) -> PersonDetection:
    return PersonDetection(
        score=float(score),
        face_box_px=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        keypoints_px=np.asarray(keypoints, dtype=float).reshape(4, 2),
    )


# ======================================================================== landmarks
@dataclass(frozen=True)
class PoseLandmarks:
    """Landmarks of one person in one frame, in image pixels.

    ``xyz_px`` (33, 3): x, y in image pixels, z relative depth in the same pixel scale (smaller =
    nearer the camera; MediaPipe's z times the crop size). ``visibility`` and ``presence`` are the
    model's sigmoid outputs (0-1); ``pose_score`` is the pose-presence flag; ``aux_px`` (2, 2) the
    auxiliary mid-hip and full-body size points that place the next frame's crop.
    """

    xyz_px: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    pose_score: float
    aux_px: np.ndarray
    roi: Roi

    @property
    def present(self) -> bool:
        return self.pose_score >= POSE_PRESENCE_THRESHOLD

    @property
    def upright(self) -> bool:
        """The trunk (mid-hip to mid-shoulder) points up the image, within the
        ``max_trunk_tilt_deg`` of ``knowledge/video_gait.yaml`` of vertical (image y grows
        downward).

        Anyone walking is upright in a clip shown the right way up (rotation metadata is applied
        when decoding), so a skeleton lying sideways or upside down is a failure of the landmark
        model, not a pose. Two were seen with the pose flag set: on the rear-view reference clip
        one frame put the nose below the hips and the heels above them, and on the Sports2D clip
        mirrored left to right a crop turned sideways gave a skeleton lying at 86 degrees that the
        next crops followed for 15 frames (docs/video-pose.md).
        """
        shoulder = np.mean(self.xyz_px[list(_SHOULDERS), :2], axis=0)
        hip = np.mean(self.xyz_px[list(_HIPS), :2], axis=0)
        up = hip[1] - shoulder[1]
        if up <= 0:
            return False
        tilt_deg = math.degrees(math.atan2(abs(float(shoulder[0] - hip[0])), float(up)))
        return tilt_deg <= max_trunk_tilt_deg()

    @property
    def usable(self) -> bool:
        """Pose flag set and the skeleton upright: what every landmark pass accepts."""
        return self.present and self.upright

    @property
    def confidence(self) -> np.ndarray:
        """Per-landmark confidence = visibility x presence (0-1)."""
        return self.visibility * self.presence

    def next_roi(self) -> Roi:
        """PoseLandmarksToRoi: the next frame's crop from the auxiliary landmarks."""
        return roi_from_alignment_points(self.aux_px[0], self.aux_px[1])


def refine_from_heatmap(uv: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """RefineLandmarksFromHeatmapCalculator (kernel 7, min confidence 0.5), vectorised.

    Each landmark moves to the sigmoid-weighted mean cell of a 7x7 heatmap window around it, when
    the window's maximum confidence reaches 0.5. Cells outside the heatmap count as zero, as in
    MediaPipe (including its bounds test, which checks the column against the height).
    """
    hm_h, hm_w, _ = heatmap.shape
    uv = np.array(uv, dtype=float)
    cols = np.trunc(uv[:, 0] * hm_w).astype(int)
    rows = np.trunc(uv[:, 1] * hm_h).astype(int)
    inside = (cols >= 0) & (cols < hm_w) & (rows >= 0) & (cols < hm_h)
    off = (HEATMAP_KERNEL - 1) // 2
    k = np.arange(-off, off + 1)
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return uv
    r = rows[idx][:, None, None] + k[None, :, None]
    c = cols[idx][:, None, None] + k[None, None, :]
    r = np.broadcast_to(r, (idx.size, k.size, k.size))
    c = np.broadcast_to(c, (idx.size, k.size, k.size))
    ch = np.broadcast_to(idx[:, None, None], r.shape)
    # Window cells outside the heatmap weigh zero (sigmoid of minus infinity in MediaPipe).
    in_map = (r >= 0) & (r < hm_h) & (c >= 0) & (c < hm_w)
    values = heatmap[np.clip(r, 0, hm_h - 1), np.clip(c, 0, hm_w - 1), ch].astype(np.float64)
    conf = np.where(in_map, _sigmoid(values), 0.0)
    total = conf.sum(axis=(1, 2))
    best = conf.max(axis=(1, 2))
    wc = (conf * c).sum(axis=(1, 2))
    wr = (conf * r).sum(axis=(1, 2))
    ok = (best >= HEATMAP_MIN_CONFIDENCE) & (total > 0)
    uv[idx[ok], 0] = wc[ok] / hm_w / total[ok]
    uv[idx[ok], 1] = wr[ok] / hm_h / total[ok]
    return uv


class OneEuroFilter:
    """One-Euro filter (Casiez G, Roussel N, Vogel D 2012, 1-euro filter: a simple speed-based
    low-pass filter for noisy input in interactive systems, CHI'12), as in MediaPipe's
    LandmarksSmoothingCalculator: the speed is measured in object sizes per second
    (``value_scale`` = 1 / object size) and the first sample passes unchanged."""

    def __init__(self, min_cutoff_hz: float, beta: float, derivate_cutoff_hz: float):
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivate_cutoff_hz = derivate_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self.last_time_s: float | None = None
        self.last_raw: np.ndarray | None = None
        self.value: np.ndarray | None = None
        self.derivative: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff_hz)
        return 1.0 / (1.0 + tau / dt_s)

    def apply(self, time_s: float, value: np.ndarray, value_scale: float) -> np.ndarray:
        value = np.asarray(value, dtype=float)
        if self.last_time_s is None or self.value is None or self.last_raw is None:
            self.last_time_s, self.last_raw, self.value = time_s, value, value
            self.derivative = np.zeros_like(value)
            return value
        dt = time_s - self.last_time_s
        if dt <= 0:
            return value
        speed = (value - self.last_raw) * value_scale / dt
        a_d = self._alpha(self.derivate_cutoff_hz, dt)
        self.derivative = a_d * speed + (1 - a_d) * self.derivative
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self.derivative)
        a = self._alpha(cutoff, dt)
        self.value = a * value + (1 - a) * self.value
        self.last_time_s, self.last_raw = time_s, value
        return self.value


class RoiTracker:
    """Places the next frame's crop from a person's landmarks, as MediaPipe's tracking loop does:
    auxiliary landmarks -> One-Euro smoothing (scale = full-body box size) -> ROI."""

    def __init__(self) -> None:
        self.filter = OneEuroFilter(AUX_MIN_CUTOFF_HZ, AUX_BETA, AUX_DERIVATE_CUTOFF_HZ)

    def reset(self) -> None:
        self.filter.reset()

    def next_roi(self, landmarks: PoseLandmarks, time_s: float) -> Roi:
        aux = landmarks.aux_px
        object_scale = 2.0 * float(np.linalg.norm(aux[1] - aux[0]))
        if object_scale < 1e-6:
            return landmarks.next_roi()
        smoothed = self.filter.apply(time_s, aux, 1.0 / object_scale)
        return roi_from_alignment_points(smoothed[0], smoothed[1])


class PoseLandmarker:
    """BlazePose full landmark model on a rotated square crop around one person."""

    def __init__(self, num_threads: int = 1):
        self.interpreter = _interpreter(model_path(LANDMARK_FILE), num_threads)
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        outputs = {tuple(d["shape"]): d["index"] for d in self.interpreter.get_output_details()}
        self.landmarks_index = outputs[(1, N_MODEL_LANDMARKS * 5)]
        self.flag_index = outputs[(1, 1)]
        self.heatmap_index = outputs[(1, 64, 64, N_MODEL_LANDMARKS)]

    def run(self, image: np.ndarray, roi: Roi) -> PoseLandmarks:
        """Landmarks of the person inside ``roi`` of an RGB ``uint8`` image."""
        tensor = crop(image, roi, LANDMARK_INPUT_PX, border_zero=False)
        tensor = tensor.astype(np.float32) * (1.0 / 255.0)
        self.interpreter.set_tensor(self.input_index, tensor[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.landmarks_index)[0].reshape(N_MODEL_LANDMARKS, 5)
        flag = float(self.interpreter.get_tensor(self.flag_index)[0, 0])
        heatmap = self.interpreter.get_tensor(self.heatmap_index)[0]
        uv = raw[:, 0:2].astype(np.float64) / LANDMARK_INPUT_PX
        uv = refine_from_heatmap(uv, heatmap)
        xy = roi.normalized_to_image(uv[: N_LANDMARKS + 2])
        z = raw[:N_LANDMARKS, 2].astype(np.float64) / LANDMARK_INPUT_PX * roi.size_px
        return PoseLandmarks(
            xyz_px=np.column_stack([xy[:N_LANDMARKS], z]),
            visibility=_sigmoid(raw[:N_LANDMARKS, 3].astype(np.float64)),
            presence=_sigmoid(raw[:N_LANDMARKS, 4].astype(np.float64)),
            pose_score=flag,
            aux_px=xy[N_LANDMARKS : N_LANDMARKS + 2],
            roi=roi,
        )
