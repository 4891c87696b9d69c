"""Build a Trial from a C3D file with ezc3d directly, independent of groundup.io.c3d.

Tests of signal conditioning and TRC use it so that they do not depend on the reader under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from groundup.trial import Trial


def trial_from_c3d(path: Path) -> Trial:
    """A Trial built with ezc3d directly (raw labels, metres)."""
    import ezc3d

    c3d = ezc3d.c3d(str(path))
    xyz_mm = np.asarray(c3d["data"]["points"][:3], dtype=float)
    labels = [str(label).strip() for label in c3d["parameters"]["POINT"]["LABELS"]["value"]]
    points: dict[str, np.ndarray] = {}
    for i, label in enumerate(labels):
        points.setdefault(label, xyz_mm[:, i, :].T / 1000.0)
    return Trial(
        points=points,
        point_rate_hz=float(c3d["header"]["points"]["frame_rate"]),
        point_labels={label: label for label in points},
        source_path=str(path),
    )
