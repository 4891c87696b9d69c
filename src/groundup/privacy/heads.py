"""Where a person's head is, from what the analysis already knows, as a box to hide.

- The analysed person's face landmarks (nose, eyes, ears, mouth): the box around them, widened
  to the whole head (:func:`groundup.privacy.pixelate.face_box_px`).
- Anyone the person detector tracked (a full-body box): where the people pass found them, its
  mid-hip and mid-shoulder keypoints (``track_trunks_px``, widened by ``TRUNK_HEAD_WIDEN``);
  elsewhere the BlazePose detector is run once on a crop around that box
  (:class:`HeadLocator`). The mid-hip and mid-shoulder keypoints give the
  trunk's direction and length, and the head lies beyond the shoulders along that direction,
  standing, bent over or lying. Where the detector does not find the person in the crop, the
  head's position is unknown and the upper body is hidden instead.

Body proportions (fractions of standing height H, ``anthropometry`` in
``knowledge/video_gait.yaml``: Winter DA (2009) Biomechanics and Motor Control of Human
Movement, 4th ed., Wiley, Fig. 4.1, after Drillis & Contini 1966): hip joint 0.530 H, shoulder
0.818 H, chin 0.870 H, top of head 1.000 H. So the trunk (hip to shoulder) is 0.288 H, the head's
centre (0.935 H) lies 1.41 trunk lengths from the hip, and the head is 0.13 H = 0.45 trunk
lengths high.
"""

from __future__ import annotations

import numpy as np

from groundup.keypoints.knowledge import head_in_trunk_lengths
from groundup.privacy.picture import Image, pixels

HEAD_CENTRE_TRUNKS, HEAD_HEIGHT_TRUNKS = head_in_trunk_lengths()
# The hidden box is this many head heights wide and high (a head and about half a head of margin
# on every side: hair, ears, a head turned or tilted, the keypoints' own error).
HEAD_BOX_HEADS = 2.2
# Upper body (head position unknown): from the top of the box to a little below the mid-hip
# (a person bent over has the head at hip height), this share of the box width, centred.
UPPER_BODY_WIDTH = 0.8
UPPER_BODY_BELOW_HIP = 0.1
# A keypoint detection belongs to the tracked person when its mid-hip lies within this share of
# the box side from the box centre (the box is a square around the mid-hip).
SAME_PERSON_HIP = 0.25


def head_from_trunk(hip_px: np.ndarray, shoulder_px: np.ndarray) -> np.ndarray:
    """The head box (x0, y0, x1, y1) of a person whose mid-hip and mid-shoulder are given."""
    hip, shoulder = np.asarray(hip_px, float), np.asarray(shoulder_px, float)
    trunk = shoulder - hip
    centre = hip + HEAD_CENTRE_TRUNKS * trunk
    half = HEAD_BOX_HEADS * HEAD_HEIGHT_TRUNKS * float(np.hypot(*trunk)) / 2
    return np.array([centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half])


def upper_body(body_box: np.ndarray) -> np.ndarray:
    """The upper body in a full-body box: where the head is when its position is unknown."""
    x0, y0, x1, y1 = (float(v) for v in body_box)
    size, cx, cy = x1 - x0, (x0 + x1) / 2, (y0 + y1) / 2
    half = UPPER_BODY_WIDTH * size / 2
    return np.array([cx - half, y0, cx + half, cy + UPPER_BODY_BELOW_HIP * size])


class HeadLocator:
    """The head of a tracked person in one picture, from the BlazePose detector's keypoints in
    a crop around their body box (one detector run)."""

    def __init__(self) -> None:
        self._detector = None
        self.runs = 0

    def locate(self, image: np.ndarray, body_box: np.ndarray) -> np.ndarray | None:
        """The head box in ``image`` of the person in ``body_box`` (pixels of ``image``), or
        None when the detector does not find them there."""
        from groundup.video.blazepose import ROI_SCALE, PoseDetector, Roi, weighted_nms

        if self._detector is None:
            self._detector = PoseDetector(num_threads=1)
        x0, y0, x1, y1 = (float(v) for v in body_box)
        side = max(x1 - x0, y1 - y0) * ROI_SCALE
        if not np.isfinite(side) or side < 8:
            return None
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        boxes, keypoints, scores = self._detector.candidates(
            image, Roi(float(centre[0]), float(centre[1]), side, 0.0)
        )
        self.runs += 1
        if scores.size == 0:
            return None
        best = None
        for row in weighted_nms(boxes, keypoints, scores):
            points = (np.asarray(row[5:13], float).reshape(4, 2) - 0.5) * side + centre
            distance = float(np.hypot(*(points[0] - centre)))
            if distance <= SAME_PERSON_HIP * side / ROI_SCALE and (
                best is None or distance < best[0]
            ):
                best = (distance, points)
        if best is None:
            return None
        return head_from_trunk(best[1][0], best[1][2])


# A head placed from the people pass's trunk keypoints (the detector's keypoints on the whole
# frame at 224 pixels, coarser than HeadLocator's crop) is hidden in a box this much wider and
# higher than head_from_trunk's. Measured on the four walking clips of the reference data (heads
# of tracked people placed by the tiled detector on the original frames, every third frame, 203
# heads): the worst head's margin inside the hidden boxes, in head heights, was -0.04 with
# HeadLocator, -0.35 with trunk heads as they are (the bystander on the sample clip, frame 222,
# crouching), +0.01 with 1.3. On the sample clip the two placements of the same head were 0.1-1.3
# head heights apart (median 0.7); once 5 (arms raised over the head: the whole-frame detector
# put the shoulders above the hands), covered there by the heads of the frames around it.
TRUNK_HEAD_WIDEN = 1.3
# The detector is run on each tracked person this often (the people pass's own detector
# interval); between two runs the head is the union of the heads found around it.
LOCATE_EVERY_S = 0.1
# A tracked person's head stays hidden this long beyond the frames where they were tracked
# (a detector loses a person for a few frames; the person is still there).
HOLD_S = 0.5
# The subject's face landmarks: nose, eyes, ears, mouth (BlazePose's first eleven landmarks).
FACE_LANDMARKS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
)  # fmt: skip


def _centre_in(box: np.ndarray, region: np.ndarray) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return bool(region[0] <= cx <= region[2] and region[1] <= cy <= region[3])


def _union(boxes: list[np.ndarray]) -> np.ndarray:
    stacked = np.array(boxes, dtype=float)
    return np.concatenate([stacked[:, :2].min(0), stacked[:, 2:].max(0)])


class TrackedHeads:
    """The heads of the subject and of every tracked person, frame by frame, as boxes in the
    pixels of the frames fed to :meth:`add` (source pixels times ``scale``).

    ``points``: the subject's landmarks by name ((n_frames, 2) source pixels);
    ``track_boxes_px``: every tracked person's (n_frames, 4) full-body boxes, NaN where absent;
    ``trunks_px``: per track (n_frames, 4) mid-hip and mid-shoulder from the people pass, NaN
    where it did not find them (their head is then located with ``locator``). Feed frames in
    order with :meth:`add`; :meth:`boxes` of a frame is final once the frames up
    to ``hold_frames`` after it were added.
    """

    def __init__(
        self,
        points: dict[str, np.ndarray],
        track_boxes_px: dict[int, np.ndarray],
        subject_track_id: int | None,
        scale: float,
        fps: float,
        locator: HeadLocator | None = None,
        trunks_px: dict[int, np.ndarray] | None = None,
    ) -> None:
        self.points = points
        self.tracks = track_boxes_px
        self.trunks = trunks_px or {}
        self.subject = subject_track_id
        self.scale = scale
        self.locate_every = max(1, round(LOCATE_EVERY_S * fps))
        self.hold_frames = max(1, round(HOLD_S * fps))
        self.locator = locator or HeadLocator()
        self.found: dict[int, dict[int, np.ndarray | None]] = {t: {} for t in track_boxes_px}

    def _point(self, name: str, frame: int) -> np.ndarray | None:
        arr = self.points.get(name)
        if arr is None or not 0 <= frame < arr.shape[0] or not np.isfinite(arr[frame]).all():
            return None
        return np.asarray(arr[frame], dtype=float)

    def subject_face(self, frame: int, image_shape: tuple[int, ...]) -> np.ndarray | None:
        """The subject's head from their face landmarks, joined with the head placed from
        their hip and shoulder landmarks (a face landmark off by a few pixels, an ear the
        model guessed, must not leave the back of the head out); None without face
        landmarks."""
        from groundup.privacy.pixelate import face_box_px

        pts = [p for name in FACE_LANDMARKS if (p := self._point(name, frame)) is not None]
        if not pts:
            return None
        boxes = [np.array(face_box_px(np.array(pts) * self.scale, image_shape), dtype=float)]
        trunk = [self._point(n, frame) for n in ("left_hip", "right_hip", "left_shoulder",
                                                  "right_shoulder")]  # fmt: skip
        if all(p is not None for p in trunk):
            hip = (trunk[0] + trunk[1]) / 2 * self.scale
            shoulder = (trunk[2] + trunk[3]) / 2 * self.scale
            boxes.append(head_from_trunk(hip, shoulder))
        return _union(boxes)

    def _body(self, track: int, frame: int) -> np.ndarray | None:
        boxes = self.tracks[track]
        if 0 <= frame < boxes.shape[0] and np.isfinite(boxes[frame]).all():
            return boxes[frame] * self.scale
        return None

    def _trunk(self, track: int, frame: int) -> np.ndarray | None:
        """The head placed from the people pass's trunk keypoints, where it found the person."""
        trunks = self.trunks.get(track)
        if trunks is None or not 0 <= frame < trunks.shape[0]:
            return None
        trunk = trunks[frame]
        if not np.isfinite(trunk).all():
            return None
        head = head_from_trunk(trunk[:2] * self.scale, trunk[2:] * self.scale)
        centre, half = (head[:2] + head[2:]) / 2, (head[2:] - head[:2]) / 2 * TRUNK_HEAD_WIDEN
        return np.concatenate([centre - half, centre + half])

    def add(
        self,
        frame: int,
        image: Image,
        every_track: bool = False,
        shape: tuple[int, ...] | None = None,
    ) -> None:
        """Locate the tracked people's heads in ``image`` (the frame ``frame``; an RGB array,
        or a function giving it, called only when a head is looked for, with the picture's
        ``shape``): every ``locate_every`` frames, at the first and last frame of a track, or
        always with ``every_track``."""
        shape = shape if shape is not None else np.shape(image)
        for track in self.tracks:
            body = self._body(track, frame)
            if body is None:
                continue
            if track == self.subject and self.subject_face(frame, shape) is not None:
                continue
            trunk = self._trunk(track, frame)
            if trunk is not None:
                self.found[track][frame] = trunk
                continue
            edge = self._body(track, frame - 1) is None or self._body(track, frame + 1) is None
            if every_track or edge or frame % self.locate_every == 0:
                self.found[track][frame] = self.locator.locate(pixels(image), body)

    def known(self, frame: int, image_shape: tuple[int, ...]) -> list[np.ndarray]:
        """Heads whose position is known at ``frame`` (landmarks, or found by the detector)."""
        out = [h for t in self.found if (h := self.found[t].get(frame)) is not None]
        face = self.subject_face(frame, image_shape)
        return out + ([face] if face is not None else [])

    def boxes(
        self, frame: int, image_shape: tuple[int, ...], faces: list[np.ndarray] | None = None
    ) -> list[np.ndarray]:
        """Every head to hide in ``frame``. ``faces``: head boxes around the faces a face
        detector found in the frame (hidden by the caller); where the person detector did not
        place a person's head, a face found in their upper body is taken as their head instead
        of the whole upper body."""
        face = self.subject_face(frame, image_shape)
        out = [face] if face is not None else []
        for track in self.tracks:
            if track == self.subject and face is not None:
                continue
            body, held = None, 0
            for offset in range(self.hold_frames + 1):
                for k in (frame - offset, frame + offset):
                    if body is None and (box := self._body(track, k)) is not None:
                        body, held = box, offset
            if body is None:
                continue
            found = self.found[track]
            reach = self.locate_every + held
            near = {f: h for f, h in found.items() if abs(f - frame) <= reach}
            heads = [h for h in near.values() if h is not None]
            if len(heads) < len(near) or not heads:
                # The detector lost the person next to this frame (an unusual pose, a turn,
                # motion blur): where it did find them may be wrong too.
                upper = upper_body(body)
                seen = [f for f in faces or [] if _centre_in(f, upper)]
                heads += seen if seen else [upper]
            out.append(_union(heads))
        return out

    def forget_before(self, frame: int) -> None:
        """Drop what no frame from ``frame`` on can need (memory stays flat)."""
        limit = frame - self.locate_every - 2 * self.hold_frames
        for found in self.found.values():
            for f in [f for f in found if f < limit]:
                del found[f]
