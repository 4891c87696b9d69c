"""Small copies of the frames the landmark pass decodes, kept for the report's key frames.

The report shows a few frames of a clip (the first heel strike and toe off of each side) about
58 mm wide. Which frames is known only once the gait engine has found the events, after the
pose passes; rather than decoding the clip a second time, the landmark pass hands the frames it
converts in the first seconds of the walk (``pose_run.KEEP_FRAMES_S``) to a :class:`FrameStore`,
which keeps a JPEG copy scaled down by a whole factor to at least the printed width (made in the
decoding thread, beside the landmark model). Memory is bounded: past ``budget_bytes`` further
frames are not kept, and a key frame not kept is decoded from the clip instead. Nothing is
written to disk.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

# Memory for the copies: about 450 frames of a 1768 x 994 clip kept at 589 x 331 px (15 s of
# walking at 30 frames/s); the landmark pass of a longer walk keeps its first frames.
BUDGET_BYTES = 32 * 1024 * 1024
JPEG_QUALITY = 90


class FrameStore:
    """JPEG copies of frames by index, at ``scale`` of the clip's (rotated) frame size."""

    def __init__(self, min_width_px: int, budget_bytes: int = BUDGET_BYTES) -> None:
        self.min_width_px = min_width_px
        self.budget_bytes = budget_bytes
        self.scale: float | None = None
        self._jpeg: dict[int, bytes] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, index: int, image: np.ndarray) -> None:
        """Keep a copy of an RGB frame (called from a decoding thread; OpenCV releases the
        interpreter lock while it scales and encodes)."""
        with self._lock:
            if index in self._jpeg or self._bytes >= self.budget_bytes:
                return
        # A whole factor: OpenCV's area averaging is fast for it (a block mean per pixel).
        factor = max(1, image.shape[1] // self.min_width_px)
        small = image
        if factor > 1:
            small = cv2.resize(
                image, None, fx=1.0 / factor, fy=1.0 / factor, interpolation=cv2.INTER_AREA
            )
        ok, data = cv2.imencode(
            ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        )
        if not ok:
            return
        with self._lock:
            if index in self._jpeg:
                return
            self._jpeg[index] = data.tobytes()
            self._bytes += len(self._jpeg[index])
            self.scale = small.shape[1] / image.shape[1]

    def __contains__(self, index: object) -> bool:
        return index in self._jpeg

    def image(self, index: int) -> np.ndarray | None:
        """The kept copy of a frame as an RGB ``uint8`` array (own memory), or None."""
        data = self._jpeg.get(index)
        if data is None:
            return None
        bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    @property
    def n_bytes(self) -> int:
        return self._bytes
