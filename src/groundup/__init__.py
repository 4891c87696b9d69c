"""GroundUp: evaluate and treat back pain from the ground up.

The package turns recordings (motion capture, video keypoints, force plates) into one
:class:`~groundup.trial.Trial`, measures gait on it, and writes documented JSON outputs.
"""

__version__ = "0.1.0"
