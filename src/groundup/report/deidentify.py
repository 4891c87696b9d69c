"""Face de-identification of key frames: see :mod:`groundup.privacy` (kept here for importers).

``blur_faces`` hides the faces given and every other face the face detector finds.
"""

from groundup.privacy import blur_faces, face_box_px, hide_every_face, pixelate_regions

__all__ = ["blur_faces", "face_box_px", "hide_every_face", "pixelate_regions"]
