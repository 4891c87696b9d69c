"""Gait curves against normative references (docs/gait-curves.md)."""

from groundup.norms.curves import GaitCurves, compute_gait_curves

__all__ = ["GaitCurves", "compute_gait_curves"]
