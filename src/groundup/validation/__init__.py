"""Known-truth checks of GroundUp's own measurement (the virtual camera; docs/virtual-camera.md)."""
