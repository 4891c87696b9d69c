"""Vector and rotation helpers for segment-based joint angles (all arrays are per frame).

Conventions: a segment frame is a ``(n_frames, 3, 3)`` array whose columns are the segment's unit
axes expressed in the lab (column 0 = X anterior, 1 = Y left, 2 = Z proximal/up), the axis
convention of the conventional gait model (Davis RB, Ounpuu S, Tyburski D, Gage JR (1991) A gait
analysis data collection and reduction technique. Hum Mov Sci 10:575-587; Vicon Plug-in Gait
Reference Guide). Frames where an input is NaN give NaN.
"""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    """Normalise rows of ``(n, 3)`` vectors (NaN where the norm is 0 or NaN)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = v / norm
    out[~np.isfinite(out)] = np.nan
    return out


def frame_from_xz(x_hint: np.ndarray, z_axis: np.ndarray) -> np.ndarray:
    """Right-handed frame with Z along ``z_axis`` and X the part of ``x_hint`` normal to Z."""
    z = unit(z_axis)
    y = unit(np.cross(z, x_hint))
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-1)


def frame_from_yz(y_hint: np.ndarray, z_axis: np.ndarray) -> np.ndarray:
    """Right-handed frame with Z along ``z_axis`` and Y the part of ``y_hint`` normal to Z."""
    z = unit(z_axis)
    x = unit(np.cross(y_hint, z))
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def relative_rotation(proximal: np.ndarray, distal: np.ndarray) -> np.ndarray:
    """Rotation of the distal frame expressed in the proximal frame: ``P^T D`` per frame."""
    return np.einsum("nji,njk->nik", proximal, distal)


def cardan_yxz_deg(rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cardan angles (degrees) of ``R = Ry(a) Rx(b) Rz(c)``: flexion, then ab/adduction, then
    rotation, the order of the joint coordinate system of Grood ES, Suntay WJ (1983, J Biomech Eng
    105:136-144) as the conventional gait model applies it (Kadaba MP, Ramakrishnan HK, Wootten ME
    (1990) J Orthop Res 8:383-392). Returns ``(a, b, c)`` about Y (lateral), X (floating,
    anterior) and Z (long axis)."""
    r = rotation
    b = np.degrees(np.arcsin(np.clip(-r[:, 1, 2], -1.0, 1.0)))
    a = np.degrees(np.arctan2(r[:, 0, 2], r[:, 2, 2]))
    c = np.degrees(np.arctan2(r[:, 1, 0], r[:, 1, 1]))
    return a, b, c


def chord_joint_centre(
    wand: np.ndarray, proximal_centre: np.ndarray, lateral: np.ndarray, offset_m: np.ndarray | float
) -> np.ndarray:
    """Joint centre by the "chord function" of the conventional gait model.

    The centre J lies in the plane of the wand marker, the proximal joint centre and the lateral
    marker, at ``offset_m`` (half the joint width plus the marker radius) from the lateral marker,
    with the angle proximal-centre / J / lateral-marker a right angle (Davis et al. 1991; Vicon
    Plug-in Gait Reference Guide, "chord function"; Leboeuf F et al. (2019) The conventional gait
    model, an open-source implementation that reproduces the past but prepares for the future.
    Gait Posture 69:235-241). Geometry: J is on the circle with diameter proximal-lateral, so the
    angle at the lateral marker between the chord and J satisfies cos(theta) = offset / chord; J
    lies on the side of the chord away from the wand (medial).
    """
    chord = proximal_centre - lateral
    length = np.linalg.norm(chord, axis=1)
    u = unit(chord)
    to_wand = wand - lateral
    perp = to_wand - np.sum(to_wand * u, axis=1, keepdims=True) * u
    w = -unit(perp)
    offset = np.broadcast_to(np.asarray(offset_m, dtype=float), length.shape)
    with np.errstate(invalid="ignore"):
        cos_t = np.clip(offset / length, -1.0, 1.0)
    sin_t = np.sqrt(1.0 - cos_t**2)
    direction = cos_t[:, None] * u + sin_t[:, None] * w
    return lateral + offset[:, None] * direction
