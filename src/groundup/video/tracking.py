"""Tracking every detected person across frames, and choosing the walking subject.

Association follows SORT (Bewley A, Ge Z, Ott L, Ramos F, Upcroft B 2016, Simple online and
realtime tracking, ICIP): a cost for every track-detection pair, the pairing solved with the
Hungarian method (``scipy.optimize.linear_sum_assignment``; Kuhn 1955), pairs beyond a gate
refused, an unpaired detection starts a new track and a track unseen for longer than
``max_gap_s`` ends. Unlike SORT the cost is not 1 - IoU of Kalman-predicted boxes: the BlazePose
detector's body size jumps by tens of percent between frames on small people, so the cost is
the mid-hip distance in body radii (a zero-velocity prediction; walking moves the hip about 0.05
radius per frame at 30 frames/s). The walking subject's own landmarks, when they are tracked,
are that track's observation (more stable than its detections).

Identity safety (GroundUp's addition): a detection that overlaps two tracks almost equally is
given to neither (the frame stays empty for both) and a detection whose size jumps is refused,
so one trajectory never continues on another person; a track that stays unmatched for longer
than ``max_gap_s`` ends, and whoever appears next starts a new track.

Subject choice (see docs/video-pose.md): among people seen for at least 0.5 s who moved at least
``MIN_WALK_BODY_HEIGHTS`` (walked distance = robust 5-95 % range of the mid-hip position in their
own body heights, plus the log change of body size for walking toward or away from the camera),
the walking subject is the one with the largest walked distance x time seen: distance in body
heights grows with the number of strides and time seen with the part of the clip their gait
spans, so a patient walking through the clip wins over a brief passer-by. When nobody moved at least
``MIN_WALK_BODY_HEIGHTS``, the person in view the longest is chosen (treadmill, follow camera).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from groundup.errors import NoWalkingError
from groundup.video.blazepose import PersonDetection

# A crop's landmarks belong to a detected person, and two detections are one person, when the
# mid-hips lie within this fraction of the full-body radius (about half a body height).
MAX_HIP_OFFSET_RADII = 0.5
MAX_HIP_JUMP_RADII = 0.6
GAP_ALLOWANCE_RADII = 0.05
AMBIGUITY_MARGIN_RADII = 0.2
NEW_TRACK_CLEARANCE_RADII = 1.0
MAX_SIZE_RATIO = 1.6
MAX_GAP_S = 0.3
MIN_TRACK_S = 0.5
MIN_WALK_BODY_HEIGHTS = 0.75
# Track fragments of one person are joined across gaps up to this long; the velocity that
# carries a fragment's end forward is fitted over this much of it.
STITCH_MAX_GAP_S = 0.5
# A point picks a person when it lies in their body box or within this fraction of its size.
PICK_MARGIN_BOXES = 0.25
STITCH_FIT_S = 0.3


@dataclass
class Track:
    """One person's detections by frame index."""

    track_id: int
    detections: dict[int, PersonDetection] = field(default_factory=dict)
    ambiguous_frames: list[int] = field(default_factory=list)

    @property
    def first_frame(self) -> int:
        return next(iter(self.detections))  # frames are added in increasing order

    @property
    def last_frame(self) -> int:
        return next(reversed(self.detections))

    @property
    def last(self) -> PersonDetection:
        return self.detections[self.last_frame]


class PersonTracker:
    """SORT-style association of per-frame detections into person tracks.

    The pairing cost is the distance between a track's last mid-hip and a detection's mid-hip in
    units of the track's full-body radius (the detector's boxes are too noisy in size for IoU on
    small people); pairs farther than ``MAX_HIP_JUMP_RADII`` (+ ``GAP_ALLOWANCE_RADII`` per
    missed frame) or whose size changes by more than ``MAX_SIZE_RATIO`` are refused.
    """

    def __init__(self, fps: float, max_gap_s: float = MAX_GAP_S, min_gap_frames: int = 2) -> None:
        # ``min_gap_frames``: with the detector run every k frames, a person missed by one
        # detector run is unseen for 2k frames; the track must survive that.
        self.max_gap_frames = max(2, min_gap_frames, math.ceil(max_gap_s * fps))
        self.tracks: list[Track] = []
        self._next_id = 1

    def active_tracks(self, frame: int) -> list[Track]:
        return [t for t in self.tracks if 0 < frame - t.last_frame <= self.max_gap_frames]

    def observe(self, track: Track, frame: int, detection: PersonDetection) -> None:
        """Record an observation obtained otherwise (the subject's own landmarks)."""
        track.detections[frame] = detection

    def cost_matrix(
        self, tracks: list[Track], frame: int, detections: list[PersonDetection]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cost, valid): hip distance in track radii, and which pairs pass the gates."""
        cost = np.full((len(tracks), len(detections)), np.inf)
        for i, t in enumerate(tracks):
            last = t.detections[t.last_frame]
            gate = MAX_HIP_JUMP_RADII + GAP_ALLOWANCE_RADII * (frame - t.last_frame - 1)
            r = max(last.body_radius_px, 1e-6)
            for j, d in enumerate(detections):
                ratio = max(r, d.body_radius_px) / max(min(r, d.body_radius_px), 1e-6)
                dist = float(np.linalg.norm(d.hip_px - last.hip_px)) / r
                if ratio <= MAX_SIZE_RATIO and dist <= gate:
                    cost[i, j] = dist
        return cost, np.isfinite(cost)

    def update(
        self,
        frame: int,
        detections: list[PersonDetection],
        exclude: set[int] | None = None,
    ) -> dict[int, PersonDetection]:
        """Assign this frame's detections to active tracks (except ``exclude``, already
        observed); returns {track_id: detection} for tracks matched or started."""
        exclude = exclude or set()
        active = [t for t in self.active_tracks(frame) if t.track_id not in exclude]
        everyone = self.active_tracks(frame) + [
            t for t in self.tracks if t.detections and t.last_frame == frame
        ]
        assigned: dict[int, PersonDetection] = {}
        used: set[int] = set()
        if active and detections:
            # Imported here, not with the module: SciPy's optimize package takes about 0.5 s to
            # import, and a clip's people pass can decode and detect meanwhile (a visit imports
            # it in the background, see groundup.pipeline.visit.ModulePreload).
            from scipy.optimize import linear_sum_assignment

            cost, valid = self.cost_matrix(active, frame, detections)
            rows, cols = linear_sum_assignment(np.where(valid, cost, 1e6))
            for r, c in zip(rows, cols, strict=True):
                if not valid[r, c]:
                    continue
                rivals = [
                    k
                    for k in range(len(active))
                    if k != r and valid[k, c] and cost[k, c] < cost[r, c] + AMBIGUITY_MARGIN_RADII
                ]
                if rivals:  # two people within reach: identity uncertain, give it to nobody
                    for k in [r, *rivals]:
                        active[k].ambiguous_frames.append(frame)
                    used.add(c)
                    continue
                active[r].detections[frame] = detections[c]
                assigned[active[r].track_id] = detections[c]
                used.add(c)
        for c, det in enumerate(detections):
            if c in used:
                continue
            # Near an existing person (a noisy duplicate, or someone whose match was refused):
            # never start a second track on top of them.
            near = any(
                np.linalg.norm(det.hip_px - t.detections[t.last_frame].hip_px)
                <= NEW_TRACK_CLEARANCE_RADII * t.detections[t.last_frame].body_radius_px
                for t in everyone
            )
            if near:
                continue
            track = Track(self._next_id, {frame: det})
            self._next_id += 1
            self.tracks.append(track)
            everyone.append(track)
            assigned[track.track_id] = det
        return assigned


def _end_state(
    track: Track, fps: float, at_start: bool
) -> tuple[float, np.ndarray, np.ndarray, float]:
    """(frame, hip, hip velocity per frame, radius) at one end of a track, robust to single poor
    detections: the median frame and mid-hip of the first (or last) STITCH_FIT_S of
    observations, the Theil-Sen velocity over them (Sen 1968, J Am Stat Assoc 63:1379) and their
    median radius."""
    frames = sorted(track.detections)
    window = max(3, math.ceil(STITCH_FIT_S * fps))
    frames = frames[:window] if at_start else frames[-window:]
    hips = np.array([track.detections[f].hip_px for f in frames], dtype=float)
    radius = float(np.median([track.detections[f].body_radius_px for f in frames]))
    t = np.asarray(frames, dtype=float)
    velocity = np.zeros(2)
    i, j = np.triu_indices(len(frames), k=1)
    if i.size:  # Theil-Sen: the median of the slopes between every two observations
        velocity = np.median((hips[j] - hips[i]) / (t[j] - t[i])[:, None], axis=0)
    return float(np.median(t)), np.median(hips, axis=0), velocity, radius


def tracks_overlap(a: Track, b: Track) -> bool:
    """The two tracks share frames (so they are two people, not fragments of one)."""
    return a.first_frame <= b.last_frame and b.first_frame <= a.last_frame


def stitch_tracks(tracks: list[Track], fps: float, max_gap_frames: int) -> list[Track]:
    """Join the fragments of one person's track, and return the tracks that remain.

    The detector's body size jumps on small people, so a walker's track can break where the
    size gate refuses a detection; the next fragment then starts where the walker went. Track B
    continues track A when B starts after A ended, within STITCH_MAX_GAP_S, and B's starting
    mid-hip lies within the tracker's gate (in body radii, widened per missed frame) of A's
    ending mid-hip carried forward at A's recent velocity (both ends taken robustly, see
    ``_end_state``). The shortest gap is joined first. Only one person may qualify, with a
    margin: if two tracks that are in view at the same time could continue A (or B could
    continue two such tracks), nothing is joined, so two people are never merged; candidates
    that follow one another in time are fragments of one person, joined in time order (the
    detector drops small people for a few frames at a time, so a follow-camera clip can break
    into a chain of short fragments). The size gate is not applied across the gap.
    """
    max_gap = max(max_gap_frames, math.ceil(STITCH_MAX_GAP_S * fps))
    tracks = list(tracks)
    while True:
        pairs: list[tuple[float, Track, Track]] = []
        ends = {id(t): _end_state(t, fps, at_start=False) for t in tracks}
        starts = {id(t): _end_state(t, fps, at_start=True) for t in tracks}
        for a in tracks:
            t_a, hip_a, vel_a, r_a = ends[id(a)]
            for b in tracks:
                gap = b.first_frame - a.last_frame
                if b is a or gap <= 0 or gap > max_gap:
                    continue
                t_b, hip_b, _, r_b = starts[id(b)]
                predicted = hip_a + vel_a * (t_b - t_a)
                dist = float(np.linalg.norm(hip_b - predicted)) / max(r_a, r_b, 1e-6)
                if dist <= MAX_HIP_JUMP_RADII + GAP_ALLOWANCE_RADII * (gap - 1):
                    pairs.append((dist, a, b))
        joined = False
        for dist, a, b in sorted(pairs, key=lambda p: (p[2].first_frame - p[1].last_frame, p[0])):
            rivals = [
                d
                for d, x, y in pairs
                if d < dist + AMBIGUITY_MARGIN_RADII
                and (
                    (x is a and y is not b and tracks_overlap(y, b))
                    or (y is b and x is not a and tracks_overlap(x, a))
                )
            ]
            if rivals:
                continue
            a.detections.update(b.detections)
            a.ambiguous_frames.extend(b.ambiguous_frames)
            tracks.remove(b)
            joined = True
            break
        if not joined:
            return tracks


@dataclass(frozen=True)
class TrackSummary:
    """How much and how long one tracked person moved."""

    track_id: int
    first_frame: int
    last_frame: int
    n_detected: int
    seen_s: float
    body_height_px: float
    walked_body_heights: float
    start_hip_px: tuple[float, float]
    end_hip_px: tuple[float, float]

    def describe(self) -> str:
        direction = ""
        dx = self.end_hip_px[0] - self.start_hip_px[0]
        if self.walked_body_heights >= MIN_WALK_BODY_HEIGHTS and abs(dx) > self.body_height_px / 2:
            direction = " right-to-left" if dx < 0 else " left-to-right"
        return (
            f"moved {self.walked_body_heights:.1f} body heights{direction} over "
            f"{self.seen_s:.1f} s (frames {self.first_frame}-{self.last_frame})"
        )


def covered_frames(frames: list[int], max_gap_frames: int) -> int:
    """Frames a person was in view: their observed frames plus the gaps between observations
    no longer than ``max_gap_frames`` (detections are sparse where the detector runs every k
    frames, while the landmark-tracked person is observed every frame)."""
    if not frames:
        return 0
    gaps = np.diff(np.asarray(frames))
    return 1 + int(gaps[gaps <= max_gap_frames].sum()) + int((gaps > max_gap_frames).sum())


def summarize(track: Track, fps: float, max_gap_frames: int | None = None) -> TrackSummary:
    """Walked distance in body heights: robust (5-95 %) range of the mid-hip position divided by
    the median full-body diameter, plus |log| of the body-size change (walking toward or away
    from the camera shows as a change of size rather than of position)."""
    frames = sorted(track.detections)
    gap = max_gap_frames if max_gap_frames is not None else max(2, math.ceil(MAX_GAP_S * fps))
    hips = np.array([track.detections[f].hip_px for f in frames])
    radii = np.array([track.detections[f].body_radius_px for f in frames])
    height = float(np.median(2 * radii))
    if len(frames) >= 2:
        low, high = np.percentile(hips, [5, 95], axis=0)
        r_low, r_high = np.percentile(radii, [5, 95])
        travel = float(np.linalg.norm(high - low)) / max(height, 1e-6)
        travel += abs(math.log(max(r_high, 1e-6) / max(r_low, 1e-6)))
    else:
        travel = 0.0
    return TrackSummary(
        track_id=track.track_id,
        first_frame=frames[0],
        last_frame=frames[-1],
        n_detected=len(frames),
        seen_s=covered_frames(frames, gap) / fps,
        body_height_px=height,
        walked_body_heights=travel,
        start_hip_px=(float(hips[0, 0]), float(hips[0, 1])),
        end_hip_px=(float(hips[-1, 0]), float(hips[-1, 1])),
    )


def _distance_to_box(point: tuple[float, float], box: tuple[float, float, float, float]) -> float:
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return math.hypot(dx, dy)


def track_at_point(
    tracks: list[Track], point_xy: tuple[float, float], frame: int | None = None
) -> Track | None:
    """The track the user pointed at: the one whose body box contains (or nearly contains, by
    ``PICK_MARGIN_BOXES`` of its size) the point on ``frame``, or, without a frame, on each
    track's own first frame. Ties (the point inside several boxes) go to the nearest mid-hip.
    None when the point is on nobody found there (a person the detector missed in that frame
    must not be replaced by whoever is nearest)."""
    best: tuple[float, float, Track] | None = None
    for track in tracks:
        f = frame if frame is not None else track.first_frame
        det = track.detections.get(f)
        if det is None:
            continue
        d_box = _distance_to_box(point_xy, det.body_box_px)
        box = det.body_box_px
        if d_box > PICK_MARGIN_BOXES * max(box[2] - box[0], box[3] - box[1]):
            continue
        d_hip = math.hypot(point_xy[0] - det.hip_px[0], point_xy[1] - det.hip_px[1])
        key = (d_box, d_hip)
        if best is None or key < best[:2]:
            best = (d_box, d_hip, track)
    return best[2] if best else None


def choose_subject(
    tracks: list[Track],
    fps: float,
    subject_xy: tuple[float, float] | None = None,
    subject_frame: int | None = None,
    max_gap_frames: int | None = None,
    not_subject: frozenset[int] = frozenset(),
) -> tuple[Track, str]:
    """The subject's track and a sentence saying who was chosen and why.

    Tracks whose id is in ``not_subject`` are still described but never chosen.
    """
    if not [t for t in tracks if t.track_id not in not_subject]:
        raise NoWalkingError(
            "No person was found in the clip.",
            "Film the whole body, feet included, from the side or from behind, in good light.",
        )
    summaries = {t.track_id: summarize(t, fps, max_gap_frames) for t in tracks}
    order = sorted(tracks, key=lambda t: t.first_frame)
    number = {t.track_id: i + 1 for i, t in enumerate(order)}
    n = len(tracks)

    def others(chosen: Track) -> str:
        rest = [t for t in order if t.track_id != chosen.track_id]
        if not rest:
            return "nobody else was seen"
        parts = [
            f"person {number[t.track_id]} {summaries[t.track_id].describe()}"
            + (" (analysed first: no full stride)" if t.track_id in not_subject else "")
            for t in rest[:4]
        ]
        more = f" and {len(rest) - 4} more" if len(rest) > 4 else ""
        return "; ".join(parts) + more

    if subject_xy is not None:
        chosen = track_at_point(tracks, subject_xy, subject_frame)
        if chosen is None:
            where = f"on frame {subject_frame}" if subject_frame is not None else ""
            raise NoWalkingError(
                f"Nobody was found at the chosen point {subject_xy} {where}.".replace("  ", " "),
                "Give x,y in pixels of a point on the person's body, on a frame where they are "
                "seen whole and apart from others (the annotated video of a first run shows "
                "the boxes of everyone found).",
            )
        s = summaries[chosen.track_id]
        return chosen, (
            f"Person {number[chosen.track_id]} of {n} was analysed, as chosen by the point "
            f"({subject_xy[0]:.0f}, {subject_xy[1]:.0f}): {s.describe()}; {others(chosen)}."
        )

    min_frames = max(5, round(MIN_TRACK_S * fps))
    pool = [t for t in tracks if t.track_id not in not_subject]
    eligible = [t for t in pool if summaries[t.track_id].seen_s * fps >= min_frames - 1e-9] or pool
    walkers = [
        t for t in eligible if summaries[t.track_id].walked_body_heights >= MIN_WALK_BODY_HEIGHTS
    ]
    if walkers:
        chosen = max(
            walkers,
            key=lambda t: (
                summaries[t.track_id].walked_body_heights * summaries[t.track_id].seen_s,
                summaries[t.track_id].seen_s,
            ),
        )
        reason = "walked the farthest for the longest time"
    else:
        chosen = max(
            eligible,
            key=lambda t: (summaries[t.track_id].seen_s, summaries[t.track_id].body_height_px),
        )
        reason = (
            f"nobody crossed at least {MIN_WALK_BODY_HEIGHTS} body heights, so the person in view "
            "the longest was taken (treadmill or a camera following the walker?)"
        )
    s = summaries[chosen.track_id]
    return chosen, (
        f"Person {number[chosen.track_id]} of {n} was analysed ({reason}): {s.describe()}; "
        f"{others(chosen)}."
    )
