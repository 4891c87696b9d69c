"""Joint angles from lab markers (conventional gait model); see docs/gait-curves.md."""

from groundup.kinematics.cgm1 import (
    JointAngles,
    c3d_joint_angles,
    compute_cgm1_angles,
    compute_cgm1_joint_angles,
)

__all__ = ["JointAngles", "c3d_joint_angles", "compute_cgm1_angles", "compute_cgm1_joint_angles"]
