"""A virtual phone camera: lab marker trials rendered as 2-D keypoint trials with a known truth.

The markers of a motion-capture trial with force plates become the keypoints a perfect pose
model would give (:func:`groundup.validation.body_keypoints.body_keypoints`), seen through a
pinhole camera (Hartley R, Zisserman A (2004) Multiple View Geometry in Computer Vision, 2nd ed.,
Cambridge University Press, ch. 6): a side view (the camera beside the walking line, its optical
axis at right angles to it) or a rear view (the camera behind the walker on the walking line),
perspective projection with a configurable distance, height, focal length and image size; then
what a phone adds: a frame rate (25, 30, 60 frames/s; the markers are resampled by linear
interpolation at the frame times, an instantaneous shutter), Gaussian pixel noise, and dropped
frames (the frame is missing from the clip and the next frame's timestamp jumps, as a phone's
variable-frame-rate recording does).

The result is a :class:`~groundup.trial.Trial` exactly like the one the video front end builds
(``point_units="px"``, x right and y down, ``point_confidence``, ``frame_times_s``,
``image_size_px``), so the keypoint pipeline from the stage after pose estimation
(:func:`groundup.keypoints.pipeline.analyze_keypoints`) runs on it unchanged. Events can then be
checked against the trial's force plates and angles against the marker-based angles of the same
trial: what goes wrong there is GroundUp's own error, not the pose model's
(docs/virtual-camera.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from groundup.errors import InputError
from groundup.trial import Side, Trial
from groundup.validation.body_keypoints import BodyKeypoints, virtual_camera_data

CameraView = Literal["sagittal", "frontal_posterior"]


@dataclass(frozen=True)
class VirtualCamera:
    """A still pinhole camera looking horizontally at the walk.

    ``view``: ``"sagittal"`` (beside the walking line, ``distance_m`` from it, facing it at right
    angles, level with the walker's mean position) or ``"frontal_posterior"`` (on the walking
    line, ``distance_m`` behind the walker's mean position, looking along the walk).
    ``camera_side``: for a side view, the walker's side the camera stands on (``"right"``: the
    walker crosses the image from left to right). ``height_m``: the optical centre above the
    floor. ``focal_length_px`` and ``image_size_px`` (width, height): the intrinsic camera, the
    principal point at the image centre, square pixels, no lens distortion.
    """

    view: CameraView = "sagittal"
    distance_m: float = 4.0
    height_m: float = 1.0
    focal_length_px: float = 1500.0
    image_size_px: tuple[int, int] = (1920, 1080)
    camera_side: Side = "right"

    @classmethod
    def default(cls, view: CameraView, **changes: object) -> VirtualCamera:
        """The default phone camera for a view (``validation/virtual_camera.yaml``)."""
        data = virtual_camera_data()["cameras"].get(view)
        if data is None:
            raise InputError(
                f"Unknown virtual camera view {view!r}.",
                "Choose 'sagittal' (side view) or 'frontal_posterior' (rear view).",
            )
        settings: dict[str, object] = {
            "view": view,
            "distance_m": float(data["distance_m"]),
            "height_m": float(data["height_m"]),
            "focal_length_px": float(data["focal_length_px"]),
            "image_size_px": (int(data["image_size_px"][0]), int(data["image_size_px"][1])),
        }
        settings.update(changes)
        return cls(**settings)  # type: ignore[arg-type]

    def pose(self, body: BodyKeypoints) -> tuple[np.ndarray, np.ndarray]:
        """Camera centre (lab, m) and rotation (rows: camera x right, y down, z optical axis)."""
        f = body.frame
        level = f.centre_m - (f.centre_m @ f.up) * f.up + (f.floor_m + self.height_m) * f.up
        if self.view == "sagittal":
            lateral = -f.left if self.camera_side == "right" else f.left
            centre = level + self.distance_m * lateral
            z_axis = -lateral
        else:
            centre = level - self.distance_m * f.forward
            z_axis = f.forward
        y_axis = -f.up
        x_axis = np.cross(y_axis, z_axis)
        return centre, np.stack([x_axis, y_axis, z_axis])

    def project(self, points_m: np.ndarray, body: BodyKeypoints) -> np.ndarray:
        """Image coordinates (px, x right, y down) of lab points ``(n, 3)``; NaN behind it."""
        centre, rotation = self.pose(body)
        cam = (points_m - centre) @ rotation.T
        width, height = self.image_size_px
        with np.errstate(invalid="ignore", divide="ignore"):
            u = self.focal_length_px * cam[:, 0] / cam[:, 2] + width / 2.0
            v = self.focal_length_px * cam[:, 1] / cam[:, 2] + height / 2.0
        uv = np.column_stack([u, v])
        uv[~(cam[:, 2] > 0)] = np.nan
        return uv


@dataclass(frozen=True)
class Footage:
    """What the phone records: ``frame_rate_hz``; ``noise_px`` the standard deviation of
    Gaussian noise added to each keypoint coordinate in each frame; ``dropped_frames_pct`` the
    share of frames lost (chosen at random, never the first or last; the clip's timestamps jump
    over them); ``start_s`` the lab time of the first frame (from the trial's first frame);
    ``seed`` the random generator's seed (same settings, same footage)."""

    frame_rate_hz: float = 30.0
    noise_px: float = 0.0
    dropped_frames_pct: float = 0.0
    start_s: float = 0.0
    seed: int = 0


@dataclass
class RenderedKeypoints:
    """A rendered keypoint trial and what it was made from.

    ``lab_times_s[k]``: the lab time (s from the marker trial's first frame) of keypoint frame
    ``k``; ``dropped_frames``: how many frames were lost.
    """

    trial: Trial
    lab_times_s: np.ndarray
    camera: VirtualCamera
    footage: Footage
    stand_ins: tuple[str, ...] = ()
    dropped_frames: int = 0
    sources: dict[str, str] = field(default_factory=dict)


def resample(points_m: np.ndarray, rate_hz: float, times_s: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``(n, d)`` samples at ``times_s``; NaN next to unseen samples."""
    t = np.arange(points_m.shape[0]) / rate_hz
    seen = np.isfinite(points_m).all(axis=1)
    out = np.full((times_s.size, points_m.shape[1]), np.nan)
    if seen.sum() < 2:
        return out
    for d in range(points_m.shape[1]):
        out[:, d] = np.interp(times_s, t[seen], points_m[seen, d])
    # A frame between two samples is seen only when both neighbouring samples are.
    support = np.interp(times_s, t, seen.astype(float))
    out[~(support > 1.0 - 1e-9)] = np.nan
    out[(times_s < t[0]) | (times_s > t[-1])] = np.nan
    return out


def render_keypoints(
    body: BodyKeypoints, camera: VirtualCamera, footage: Footage | None = None
) -> RenderedKeypoints:
    """Render 3-D body keypoints through ``camera`` as a 2-D keypoint trial (module docstring).

    Keypoints outside the image keep their coordinates with confidence 0 (pose models
    extrapolate them; the pipeline's cleaning masks them); keypoints inside have confidence 1.
    """
    footage = footage or Footage()
    if footage.frame_rate_hz <= 0:
        raise InputError("The virtual camera's frame rate must be positive.", "Give e.g. 30.")
    duration_s = (body.n_frames - 1) / body.rate_hz
    n = int(np.floor((duration_s - footage.start_s) * footage.frame_rate_hz)) + 1
    times = footage.start_s + np.arange(n) / footage.frame_rate_hz
    rng = np.random.default_rng(footage.seed)
    keep = np.ones(n, dtype=bool)
    n_drop = round(footage.dropped_frames_pct / 100.0 * n)
    if n_drop > 0:
        keep[1 + rng.choice(n - 2, size=n_drop, replace=False)] = False
    times = times[keep]
    width, height = camera.image_size_px
    points: dict[str, np.ndarray] = {}
    confidence: dict[str, np.ndarray] = {}
    for name, xyz in body.points_m.items():
        uv = camera.project(resample(xyz, body.rate_hz, times), body)
        if footage.noise_px > 0:
            uv = uv + rng.normal(0.0, footage.noise_px, uv.shape)
        inside = (
            np.isfinite(uv).all(axis=1)
            & (uv[:, 0] >= 0) & (uv[:, 0] <= width) & (uv[:, 1] >= 0) & (uv[:, 1] <= height)
        )  # fmt: skip
        points[name] = uv
        confidence[name] = inside.astype(float)
    trial = Trial(
        points=points,
        point_rate_hz=footage.frame_rate_hz,
        point_units="px",
        point_labels={name: name for name in points},
        source_kind="keypoints",
        point_confidence=confidence,
        frame_times_s=times - times[0],
        image_size_px=(width, height),
    )
    return RenderedKeypoints(
        trial=trial,
        lab_times_s=times,
        camera=camera,
        footage=footage,
        stand_ins=body.stand_ins,
        dropped_frames=n_drop,
        sources=dict(body.sources),
    )
