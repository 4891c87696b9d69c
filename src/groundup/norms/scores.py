"""Deviation scores: Gait Variable Scores, the Gait Profile Score, key-instant deviations, symmetry.

- GVS: root-mean-square difference between the patient's mean curve and the normative mean curve,
  both sampled every 2 % of the cycle (51 points); GPS: root mean square of the GVS (Baker R et
  al. (2009) The Gait Profile Score and Movement Analysis Profile. Gait Posture 30:265-269). The
  overall GPS counts the pelvic variables once (left side) and the limb variables of both sides.
- Key-instant deviation: the patient's value against the norm mean +/- SD at the same instant
  (initial contact, mid-stance, toe-off from the cycle events; peak swing = swing-phase extreme);
  the band and flag widths come from ``variables.yaml``.
- Symmetry: the symmetry index SI = (R - L) / (0.5 (R + L)) x 100 % of Robinson RO, Herzog W,
  Nigg BM (1987) J Manipulative Physiol Ther 10:172-176, applied to each variable's range of
  motion over the mean cycle, and the RMS difference between the left and right mean curves
  (degrees; descriptive).
"""

from __future__ import annotations

import numpy as np

from groundup.norms.data import NormCurve

GVS_PCT = np.arange(0, 101, 2, dtype=float)


def at_51(curve_101: np.ndarray) -> np.ndarray:
    """A 101-point curve (0..100 %) sampled at 0, 2, ..., 100 %."""
    return np.interp(GVS_PCT, np.arange(101, dtype=float), curve_101)


def curve_difference(mean_curve_101: np.ndarray, norm: NormCurve) -> np.ndarray:
    """Patient mean minus norm mean at 0, 2, ..., 100 % (51 points)."""
    return at_51(mean_curve_101) - np.interp(GVS_PCT, norm.pct, norm.mean)


def gait_variable_score(mean_curve_101: np.ndarray, norm: NormCurve) -> float:
    """GVS (Baker et al. 2009): RMS of (patient mean - norm mean) over 51 points."""
    return float(np.sqrt(np.mean(curve_difference(mean_curve_101, norm) ** 2)))


def gait_profile_score(gvs: list[float]) -> float | None:
    """GPS (Baker et al. 2009): RMS of the GVS."""
    return float(np.sqrt(np.mean(np.square(gvs)))) if gvs else None


def norm_at(norm: NormCurve, pct: float) -> tuple[float, float]:
    """Norm mean and SD at a % of the cycle (linear interpolation)."""
    return float(np.interp(pct, norm.pct, norm.mean)), float(np.interp(pct, norm.pct, norm.sd))


def norm_slope(norm: NormCurve, pct: float) -> float:
    """Slope of the norm mean curve at a % of the cycle (degrees per % of the cycle)."""
    return float(np.interp(pct, norm.pct, np.gradient(norm.mean, norm.pct)))


def band_deviation(value: float, mean: float, sd: float, band_sd: float) -> float:
    """Signed distance (deg) beyond the band mean +/- band_sd SD; 0 inside the band."""
    upper, lower = mean + band_sd * sd, mean - band_sd * sd
    if value > upper:
        return value - upper
    if value < lower:
        return value - lower
    return 0.0


def swing_peak(curve_101: np.ndarray, start_pct: float, kind: str) -> tuple[float, float]:
    """(value, % of cycle) of the max or min of a curve from ``start_pct`` to 100 %."""
    idx0 = int(np.clip(round(start_pct), 0, 100))
    seg = curve_101[idx0:]
    i = int(np.argmax(seg) if kind == "max" else np.argmin(seg))
    return float(seg[i]), float(idx0 + i)


def norm_swing_peak(norm: NormCurve, start_pct: float, kind: str) -> tuple[float, float, float]:
    """(mean, SD, %) of the norm's swing-phase extreme."""
    sel = norm.pct >= start_pct
    means, sds, pct = norm.mean[sel], norm.sd[sel], norm.pct[sel]
    i = int(np.argmax(means) if kind == "max" else np.argmin(means))
    return float(means[i]), float(sds[i]), float(pct[i])


def symmetry_index_pct(left: float, right: float) -> float | None:
    """Robinson et al. (1987): (R - L) / (0.5 (R + L)) x 100; None when the mean is ~0."""
    mean = 0.5 * (left + right)
    if abs(mean) < 1e-9:
        return None
    return float((right - left) / mean * 100.0)
