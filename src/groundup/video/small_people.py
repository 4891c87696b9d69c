"""People too small for the whole-frame detector: a probe with tiled detection.

The people pass runs the BlazePose detector on the whole frame (seen at 224 px). When it finds
nobody walking, :func:`small_people_seen` runs the tiled detector
(:class:`~groundup.video.blazepose.TiledPoseDetector`) on a few frames spread over the clip and
reports whether it sees people there that the whole-frame detector missed. Only then is the clip
analysed again with tiled detection, which costs one detector run per tile: a clip where nobody
is in view, or where everyone is large (a person seated, nobody walking), is refused at the cost
of the probe alone.

Measured on the Sports2D demo clip shrunk into its own 1768 x 994 frame (docs/video-pose.md,
"Small people"): the whole-frame detector finds the walker at 400 px tall and misses them at
200 px; with tiles their heel strikes are timed down to 100 px, and at 70 px no gait is found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from groundup.errors import QualityIssue
from groundup.video.blazepose import PoseDetector, TiledPoseDetector
from groundup.video.decode import DecodeLog, VideoInfo, iter_frames
from groundup.video.tracking import MAX_HIP_OFFSET_RADII

# Frames probed, spread evenly over the clip.
PROBE_FRAMES = 8


# The message that goes with every "nobody found" error, and the warning of a result that
# needed tiles: what to re-film.
FILM_CLOSER = (
    "If the patient was far from the camera, film from closer, so that they fill at least "
    "half of the picture's height."
)


def small_people_seen(
    path: Path, info: VideoInfo, whole: PoseDetector, tiled: TiledPoseDetector
) -> bool:
    """True when the tiled detector finds, on some probe frame, a person that the whole-frame
    detector does not find on that frame."""
    n = max(1, info.n_frames_estimate)
    wanted = set(np.linspace(0, n - 1, min(PROBE_FRAMES, n)).round().astype(int).tolist())
    last = max(wanted)
    for vf in iter_frames(path, info, DecodeLog(), stop_after=last, want_image=wanted.__contains__):
        if vf.image is None:
            continue
        found = whole.detect(vf.image)
        if any(
            not any(w.hip_near(t.hip_px, MAX_HIP_OFFSET_RADII) for w in found)
            for t in tiled.detect(vf.image)
        ):
            return True
    return False


def small_subject_issue(body_height_px: float | None, image_height_px: int) -> QualityIssue:
    """The warning carried by a result whose subject was found only with tiled detection."""
    size = (
        f" (about {body_height_px:.0f} px tall, {100 * body_height_px / image_height_px:.0f} % "
        "of the picture's height)"
        if body_height_px is not None and np.isfinite(body_height_px)
        else ""
    )
    return QualityIssue(
        "small_subject",
        f"The patient is small in the picture{size}: they were found only by searching the "
        "picture in parts, and their keypoints are less precise, so event times and angles are "
        f"less accurate. {FILM_CLOSER}",
    )
