"""Faces nobody told us about, found and followed through a stream of frames.

The face detector searches the whole frame (:meth:`~groundup.privacy.face_finder.FaceFinder.
sweep`, about 28 detector runs) only every ``SWEEP_EVERY_S``; every face it finds that no known
head accounts for is then followed frame by frame, forward and backward through the frames not
yet written, with one detector run on a crop around it per frame. A face is hidden in the frames
where it was seen, between two sightings (the union of both boxes: it moved between them), and
``HOLD_S`` beyond its first and last sighting (a detector misses a face for a few frames: motion
blur, a turned head; the face is still there).

Measured on the shared clips (1280-pixel frames): a sweep costs about 0.09 s, one follow run
3 ms; searching every frame in tiles cost 0.45 s a frame.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from groundup.privacy.face_finder import Face, FaceFinder, SweepMemory, finder
from groundup.privacy.picture import Image, pixels

SWEEP_EVERY_S = 0.5
HOLD_S = 0.5
# A followed face is searched in a square this many face sizes wide around where it was, and
# taken when the face found there has a size within this ratio of the last one.
FOLLOW_CROP_FACES = 4.0
FOLLOW_MIN_CROP_PX = 64.0
FOLLOW_SIZE_RATIO = 2.0
# A followed face is looked for every this many frames (between two looks it is hidden in the
# union of both boxes): half the detector runs, measured on the shared clips without a face
# found by the test detectors left sharp.
FOLLOW_EVERY = 2
# The speed of a followed face is measured over its sightings this many frames apart at most.
VELOCITY_FRAMES = 6
# The face detector's box covers brows to chin and cheek to cheek, and only the visible side of
# a face in profile: the hidden box reaches this share of its size further on each side (the
# back of the head behind a profile, hair, ears, chin). With 0.45 the back of the bystander's
# head on the sample clip stayed sharp in frames where he looked aside. A quarter of a face more
# on every side is the detector's own jitter: the same frame of the sample clip scaled by two
# equally valid paths (1.3 grey levels apart on average) gave boxes of the bystander's 21-25
# pixel face up to 4 pixels (0.19 face) apart, and with 0.75 / 0.5 a 2-pixel shift left a
# strip of his forehead sharp.
MARGIN_SIDE = 1.0
MARGIN_TOP = 1.0
MARGIN_BOTTOM = 0.75

Box = np.ndarray


def widened(box: Box) -> Box:
    """A face detector's box grown to the whole head."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    return np.array(
        [x0 - MARGIN_SIDE * w, y0 - MARGIN_TOP * h, x1 + MARGIN_SIDE * w, y1 + MARGIN_BOTTOM * h]
    )


def _inside(point: np.ndarray, box: Box) -> bool:
    return bool(box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])


def _contains(outer: Box, inner: Box) -> bool:
    return bool(
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


class _Track:
    def __init__(self, frame: int, face: Face) -> None:
        self.seen: dict[int, Box] = {frame: face.box}
        self.active = True

    def last(self, frame: int, step: int) -> tuple[int, Box]:
        """The sighting nearest ``frame`` on the side ``step`` comes from."""
        frames = [f for f in self.seen if (f - frame) * step < 0]
        nearest = max(frames) if step > 0 else min(frames)
        return nearest, self.seen[nearest]

    def predicted(self, frame: int, step: int) -> Box:
        """The box at ``frame`` moved on from the nearest sighting on the ``step`` side at the
        speed of the sightings before it (a face the detector lost keeps moving)."""
        nearest, box = self.last(frame, step)
        earlier = [f for f in self.seen if 0 < (nearest - f) * step <= VELOCITY_FRAMES]
        if not earlier:
            return box
        other = min(earlier) if step > 0 else max(earlier)
        velocity = (self.seen[nearest] - self.seen[other]) / (nearest - other)
        shift = velocity[:2] + velocity[2:]
        return box + np.tile(shift / 2, 2) * (frame - nearest)


class FaceTracks:
    """Feed frames in order with :meth:`add`; ask :meth:`boxes` for a frame once
    :attr:`delay_frames` later frames have been added (the backward follow may still add to it
    until then)."""

    def __init__(
        self,
        fps: float,
        known_heads: Callable[[int], list[Box]] | None = None,
        face_finder: FaceFinder | None = None,
    ) -> None:
        self.sweep_every = max(1, round(SWEEP_EVERY_S * fps))
        self.hold = max(1, round(HOLD_S * fps))
        self.delay_frames = self.sweep_every + self.hold
        self.known_heads = known_heads or (lambda _frame: [])
        self.finder = face_finder or finder()
        self.tracks: list[_Track] = []
        self.images: dict[int, Image] = {}
        self.memory = SweepMemory()

    def add(self, frame: int, image: Image) -> None:
        """Search ``image`` (the frame ``frame``: an RGB array, or a function giving it, called
        only when the frame is searched; kept until it can no longer be needed)."""
        self.images[frame] = image
        for old in [f for f in self.images if f < frame - self.sweep_every]:
            del self.images[old]
        for track in self.tracks:
            if track.active and frame % FOLLOW_EVERY == 0:
                self._follow(track, frame, +1)
        if frame % self.sweep_every == 0:
            self._sweep(frame, pixels(image))

    def _sweep(self, frame: int, image: np.ndarray) -> None:
        known = self.known_heads(frame)
        for face in self.finder.sweep(image, self.memory):
            centre = face.centre
            # Already followed: seen there in this frame or the last one looked at (a face is
            # looked for every FOLLOW_EVERY frames; a sweep on a frame in between used to start
            # a second track on a followed face, following it twice).
            recent = range(frame - FOLLOW_EVERY + 1, frame + 1)
            if any(_inside(centre, widened(t.seen[f])) for t in self.tracks for f in recent
                   if f in t.seen):  # fmt: skip
                continue
            if any(_contains(head, face.box) for head in known):
                continue  # hidden whole as a known person's head
            track = _Track(frame, face)
            self.tracks.append(track)
            first = frame
            for back in range(frame - 1, min(self.images, default=frame) - 1, -1):
                if back % FOLLOW_EVERY or back not in self.images:
                    continue
                if self._follow(track, back, -1):
                    first = back
                elif first - back > self.hold:
                    break

    def _follow(self, track: _Track, frame: int, step: int) -> bool:
        """Look for the track's face in ``frame`` (next to its sighting on the ``step`` side)."""
        _, last = track.last(frame, step)
        box = track.predicted(frame, step)
        centre = (box[:2] + box[2:]) / 2
        size = float(max(box[2] - box[0], box[3] - box[1]))
        side = max(FOLLOW_MIN_CROP_PX, FOLLOW_CROP_FACES * size)
        best = None
        for face in self.finder.near(pixels(self.images[frame]), centre, side):
            ratio = face.size / max(float(max(last[2] - last[0], last[3] - last[1])), 1.0)
            if not 1 / FOLLOW_SIZE_RATIO <= ratio <= FOLLOW_SIZE_RATIO:
                continue
            distance = float(np.hypot(*(face.centre - centre)))
            if distance <= side / 2 and (best is None or distance < best[0]):
                best = (distance, face)
        if best is None:
            if step > 0 and frame - max(track.seen) > self.hold:
                track.active = False
            return False
        track.seen[frame] = best[1].box
        return True

    def boxes(self, frame: int) -> list[Box]:
        """Boxes to hide in ``frame`` (whole heads, pixels of the frames added)."""
        out = []
        for track in self.tracks:
            if frame in track.seen:
                out.append(widened(track.seen[frame]))
                continue
            before = [f for f in track.seen if frame - self.hold <= f < frame]
            after = [f for f in track.seen if frame < f <= frame + self.hold]
            near = [track.seen[max(before)]] if before else []
            near += [track.seen[min(after)]] if after else []
            if bool(before) != bool(after):  # before the first or after the last sighting
                near.append(track.predicted(frame, +1 if before else -1))
            if near:
                stacked = np.array([widened(b) for b in near])
                out.append(np.concatenate([stacked[:, :2].min(0), stacked[:, 2:].max(0)]))
        return out

    def forget_before(self, frame: int) -> None:
        """Drop sightings no frame from ``frame`` on can need (memory stays flat)."""
        for track in self.tracks:
            for f in [f for f in track.seen if f < frame - self.hold]:
                if len(track.seen) > 1:
                    del track.seen[f]
        self.tracks = [t for t in self.tracks if t.active or max(t.seen) >= frame - self.hold]
