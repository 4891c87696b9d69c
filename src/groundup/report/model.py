"""Inputs and outputs of the report renderer: key frames in, file paths out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class KeyFrame:
    """One video frame at a gait event, with the skeleton already drawn on it.

    ``image`` is an RGB ``uint8`` array (height x width x 3). ``face_points_px`` are the pixel
    positions (x, y) of the face landmarks (nose, eyes, ears, mouth) in this image; the renderer
    blurs the face around them when de-identification is on. ``faces_blurred`` says the caller
    already blurred every face (then the renderer does not need the points).
    """

    image: np.ndarray
    label: str
    side: str | None = None
    event: str | None = None
    time_s: float | None = None
    face_points_px: np.ndarray | None = None
    faces_blurred: bool = False
    source_index: int = 0
    time_src: str | None = None  # JSON path of time_s in the analysis, for the numbers check


@dataclass
class ReportFiles:
    """Paths of what :func:`render_visit_report` wrote."""

    html: Path
    pdf: Path
    handout_pdf: Path
    assets: list[Path] = field(default_factory=list)
    not_assessed: list[str] = field(default_factory=list)
