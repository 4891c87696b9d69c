"""Video front end: decode a clip, find and track every person, and turn the walking subject's
BlazePose landmarks into one :class:`groundup.trial.Trial` (see docs/video-pose.md).

The public entry is :func:`groundup.video.pose_run.video_to_trial`; heavy modules are imported
lazily by it so that ``import groundup.video`` stays cheap.
"""

from __future__ import annotations

__all__ = ["run_video_pose", "video_to_trial"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from groundup.video import pose_run

        return getattr(pose_run, name)
    raise AttributeError(name)
