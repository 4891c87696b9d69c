"""Pixelating face regions: the hiding itself (which regions to hide: :mod:`groundup.privacy`).

The face region is the box around the face landmarks (nose, eyes, ears, mouth, as the pose model
gives them), widened to cover the whole head and hair: the landmarks cover only the middle of the
face. Inside it the image is pixelated (blocks of about a sixth of the head width), the blocks
Gaussian-blurred and enlarged smoothly, so neither the blocks nor the blur can be undone into a
recognisable face.
Pixelation alone can sometimes be reversed by matching (McPherson, Shokri & Shmatikov 2016,
"Defeating image obfuscation with deep learning", arXiv:1609.00408); the coarse blocks plus the
blur used here remove the detail such attacks need.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from groundup.errors import InputError

# How far the box reaches beyond the landmarks, in head sizes (landmark spread): the landmarks
# span roughly the eyes-to-mouth part of the face; hair, forehead, chin and ears lie outside it.
_PAD_SIDE = 1.2
_PAD_TOP = 1.2
_PAD_BOTTOM = 1.0
_MIN_HEAD_PX = 12.0
_BLOCKS_ACROSS = 6
# Blocks are never smaller than this: a face cut by the picture edge leaves a narrow region,
# whose blocks would otherwise keep detail.
_MIN_BLOCK_PX = 5
# The same floor in the half-size colour planes of an I420 picture (rounded up: 6 pixels of the
# full-size picture).
_MIN_CHROMA_BLOCK_PX = 3


def face_box_px(
    face_points_px: np.ndarray, image_shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the region to hide, clipped to the image."""
    pts = np.asarray(face_points_px, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if pts.size == 0:
        raise InputError(
            "No usable face landmark was given for a key frame.",
            "Pass the face landmarks in pixels, or blur the frame before adding it to the report.",
        )
    x_min, y_min = pts.min(axis=0)
    x_max, y_max = pts.max(axis=0)
    head = max(x_max - x_min, y_max - y_min, _MIN_HEAD_PX)
    height, width = image_shape[:2]
    x0 = int(np.floor(max(0.0, x_min - _PAD_SIDE * head)))
    x1 = int(np.ceil(min(float(width), x_max + _PAD_SIDE * head)))
    y0 = int(np.floor(max(0.0, y_min - _PAD_TOP * head)))
    y1 = int(np.ceil(min(float(height), y_max + _PAD_BOTTOM * head)))
    return x0, y0, x1, y1


def pixelate_regions(
    image: np.ndarray, face_points_px: np.ndarray | list[np.ndarray], in_place: bool = False
) -> np.ndarray:
    """``image`` with the given face regions hidden: a copy, or ``image`` itself when
    ``in_place`` (a contiguous RGB ``uint8`` array, as the annotated video draws on).

    ``face_points_px``: an (n, 2) array of one person's face landmarks in pixels, or a list of
    such arrays (one per person). Points outside the image are allowed (clipped).
    """
    _check_colour(image)
    out = image if in_place else np.array(image, dtype=np.uint8, copy=True)
    people = face_points_px if isinstance(face_points_px, list) else [face_points_px]
    for points in people:
        if np.size(points) == 0:
            continue
        _pixelate_box(out, *face_box_px(points, out.shape))
    return out


def pixelate_boxes(
    image: np.ndarray, boxes_px: list[np.ndarray], in_place: bool = False
) -> np.ndarray:
    """``image`` with the given boxes (x0, y0, x1, y1, pixels; parts outside the image allowed)
    hidden as they are (no widening: the caller's boxes already hold the whole head).

    Overlapping boxes (two estimates of one head, two people close together) are hidden as one
    region in one pass: hidden one after the other, the seam between two block grids would be a
    sharp edge across the head."""
    _check_colour(image)
    out = image if in_place else np.array(image, dtype=np.uint8, copy=True)
    height, width = out.shape[:2]
    for group in _overlapping_groups(_clipped(boxes_px, width, height)):
        _hide_group(out, group, _block_px(group), _MIN_BLOCK_PX)
    return out


def pixelate_boxes_i420(planes: Sequence[np.ndarray], boxes_px: list[np.ndarray]) -> None:
    """The hiding of :func:`pixelate_boxes`, in place on a picture kept as its three I420
    planes (Y full size; U and V half size each way: as decoded and as encoded), boxes in the
    Y plane's pixels. Each plane is averaged into the same blocks (half as many pixels across
    in U and V), blurred and enlarged; these steps are linear, like the RGB to YUV conversion,
    so the result is the RGB hiding's up to rounding, without converting the picture to RGB
    and back."""
    luma = planes[0]
    height, width = luma.shape[:2]
    for group in _overlapping_groups(_clipped(boxes_px, width, height)):
        block = _block_px(group)
        _hide_group(luma, group, block, _MIN_BLOCK_PX)
        half = [(x0 // 2, y0 // 2, -(-x1 // 2), -(-y1 // 2)) for x0, y0, x1, y1 in group]
        for chroma in planes[1:]:
            _hide_group(chroma, half, block / 2, _MIN_CHROMA_BLOCK_PX)


Box = tuple[int, int, int, int]


def _clipped(boxes_px: list[np.ndarray], width: int, height: int) -> list[Box]:
    """The boxes as whole pixels inside the picture (boxes of less than 2 x 2 pixels dropped)."""
    clipped = []
    for box in boxes_px:
        b = np.asarray(box, dtype=float)
        if b.shape != (4,) or not np.isfinite(b).all():
            continue
        x0, y0 = int(np.floor(max(0.0, b[0]))), int(np.floor(max(0.0, b[1])))
        x1, y1 = int(np.ceil(min(float(width), b[2]))), int(np.ceil(min(float(height), b[3])))
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            clipped.append((x0, y0, x1, y1))
    return clipped


def _block_px(group: list[Box]) -> float:
    return max(max(b[2] - b[0], b[3] - b[1]) for b in group) / _BLOCKS_ACROSS


def _hide_group(out: np.ndarray, group: list[Box], block_px: float, min_block_px: int) -> None:
    """Pixelate the union of overlapping boxes as one region (one block grid)."""
    x0, y0 = min(b[0] for b in group), min(b[1] for b in group)
    x1, y1 = max(b[2] for b in group), max(b[3] for b in group)
    if len(group) == 1:
        _pixelate_box(out, x0, y0, x1, y1, block_px, min_block_px)
        return
    region = out[y0:y1, x0:x1].copy()
    _pixelate_box(region, 0, 0, x1 - x0, y1 - y0, block_px, min_block_px)
    mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for bx0, by0, bx1, by1 in group:
        mask[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] = True
    out[y0:y1, x0:x1][mask] = region[mask]


def _overlapping_groups(boxes: list[Box]) -> list[list[Box]]:
    """Boxes joined into groups of boxes that overlap, directly or through others."""
    groups: list[list[Box]] = []
    for box in boxes:
        joined = [box]
        rest = []
        for group in groups:
            if any(_touch(box, other) for other in group):
                joined += group
            else:
                rest.append(group)
        groups = [*rest, joined]
    return groups


def _touch(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check_colour(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InputError(
            f"A key frame must be a colour image (height x width x 3); got shape {image.shape}.",
            "Pass the frame as an RGB uint8 array.",
        )


def _pixelate_box(
    out: np.ndarray,
    x0: int,
    y0: int,
    x1: int,
    y1: int,
    block_px: float | None = None,
    min_block_px: int = _MIN_BLOCK_PX,
) -> None:
    """Pixelate and blur ``out[y0:y1, x0:x1]`` in place (blocks of ``block_px``, by default a
    sixth of the region's size, never under ``min_block_px``)."""
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    region = out[y0:y1, x0:x1]
    size = block_px if block_px is not None else max(x1 - x0, y1 - y0) / _BLOCKS_ACROSS
    block = max(min_block_px, round(size))
    small = cv2.resize(
        region,
        (max(1, (x1 - x0) // block), max(1, (y1 - y0) // block)),
        interpolation=cv2.INTER_AREA,
    )
    # The blocks are blurred where they are small (3x3 Gaussian, about a block's width once
    # enlarged) and enlarged bilinearly: the region keeps only the block averages, with no
    # sharp block edges, at a cost that does not grow with the face size.
    small = cv2.GaussianBlur(small, (3, 3), 0, borderType=cv2.BORDER_REPLICATE)
    out[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
