"""Centre-of-pressure sway measures of quiet standing.

Time- and frequency-domain measures of Prieto et al. 1996 (Prieto TE, Myklebust JB, Hoffmann RG,
Lovett EG, Myklebust BM. Measures of postural steadiness: differences between healthy young and
elderly adults. IEEE Trans Biomed Eng 1996;43(9):956-966), computed on the COP relative to its mean
(AP = anterior-posterior, ML = medio-lateral, RD = resultant distance), in millimetres.

- ``ellipse95_area_mm2`` is the **95 % prediction ellipse** that Schubert & Kirchner 2014 (Gait
  Posture 39:518-522) recommend, with the F-distribution factor used by Santos & Duarte 2016:
  semi-axes sqrt(lambda_i * F_0.95(2, n-2) * 2(n-1)(n+1) / (n(n-2))), lambda = eigenvalues of the
  sample covariance. Prieto's 95 % *confidence* ellipse is reported as
  ``confidence_ellipse95_area_mm2``.
- ``mean_frequency_hz`` is the mean power frequency of the Welch spectra of AP and ML (Hann window,
  segments of n/2 overlapping by n/4, mean removed), each = integral(f P) / integral(P), combined
  weighted by total power, as Santos & Duarte 2016 computed their published values. Prieto's
  time-domain mean frequency is ``time_domain_mean_frequency_hz``.
- Prieto's spectral measures (total power, 50 % and 95 % power frequency, centroidal frequency,
  frequency dispersion) use the same Welch spectra limited to 0.15-5 Hz.
- Duration is n / rate (n samples), as in the reference data set; no filter by default.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import integrate, signal, stats
from scipy.spatial import ConvexHull, QhullError

from groundup.errors import InputError, QualityIssue
from groundup.exam.catalogue import load_catalogue
from groundup.io.cop import CopRecording, read_cop

ANALYSIS_SCHEMA = "groundup.analysis/1"


@lru_cache(maxsize=1)
def sway_method() -> dict[str, Any]:
    """Processing parameters of the sway analysis (``knowledge/exam/balance.yaml``)."""
    return dict(load_catalogue().entry("cop_sway").data["method"])


def _max_distance(ap: np.ndarray, ml: np.ndarray) -> float:
    """Largest distance between any two COP points (Prieto's RANGE), via the convex hull."""
    pts = np.column_stack([ap, ml])
    try:
        hull = pts[ConvexHull(pts).vertices]
    except (QhullError, ValueError):
        hull = pts
    d = hull[:, None, :] - hull[None, :, :]
    return float(np.sqrt((d**2).sum(axis=2)).max())


def welch_psd(x: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density (mm^2/Hz) with the settings of Santos & Duarte 2016."""
    m = sway_method()
    n = x.shape[0]
    nperseg = int(n * m["welch_segment_fraction"])
    noverlap = int(n * m["welch_overlap_fraction"])
    f, p = signal.welch(
        x,
        fs=rate_hz,
        window="hann",
        nperseg=nperseg,
        noverlap=noverlap,
        nfft=nperseg,
        detrend="constant",
    )
    return f, p


def _mean_power_frequency(f: np.ndarray, p: np.ndarray) -> float:
    return float(integrate.trapezoid(f * p, f) / integrate.trapezoid(p, f))


def _prieto_spectral(f: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Prieto 1996 frequency measures of one spectrum in the 0.15-5 Hz band."""
    lo, hi = sway_method()["prieto_band_hz"]
    band = (f >= lo) & (f <= hi)
    fb, pb = f[band], p[band]
    df = float(f[1] - f[0])
    mu0 = float(pb.sum() * df)
    mu1 = float((fb * pb).sum() * df)
    mu2 = float((fb**2 * pb).sum() * df)
    cum = np.cumsum(pb) * df
    f50 = float(fb[np.searchsorted(cum, 0.5 * mu0)])
    f95 = float(fb[np.searchsorted(cum, 0.95 * mu0)])
    return {
        "total_power_mm2": mu0,
        "power_frequency_50_hz": f50,
        "power_frequency_95_hz": f95,
        "centroidal_frequency_hz": float(np.sqrt(mu2 / mu0)),
        "frequency_dispersion": float(np.sqrt(max(0.0, 1.0 - mu1**2 / (mu0 * mu2)))),
    }


def prieto_sway_measures(
    ap_mm: np.ndarray, ml_mm: np.ndarray, rate_hz: float, lowpass_hz: float | None = None
) -> dict[str, Any]:
    """Sway measures of a COP trajectory (AP and ML in mm) sampled at ``rate_hz``.

    The COP is optionally low-pass filtered (Butterworth, zero lag), then taken relative to its
    mean. Returns the ``sway`` object of analysis.json (see docs/exam.md for every definition).
    """
    m = sway_method()
    ap = np.asarray(ap_mm, dtype=float)
    ml = np.asarray(ml_mm, dtype=float)
    if lowpass_hz:
        b, a = signal.butter(int(m["lowpass_order"]), lowpass_hz / (rate_hz / 2.0))
        ap = signal.filtfilt(b, a, ap)
        ml = signal.filtfilt(b, a, ml)
    n = ap.shape[0]
    duration = n / rate_hz
    ap = ap - ap.mean()
    ml = ml - ml.mean()
    rd = np.hypot(ap, ml)
    d_ap, d_ml = np.diff(ap), np.diff(ml)
    path = float(np.hypot(d_ap, d_ml).sum())
    mdist = float(rd.mean())
    rdist = float(np.sqrt((rd**2).mean()))
    sd_rd = float(np.sqrt(max(rdist**2 - mdist**2, 0.0)))
    prob = float(m["ellipse_probability"])
    z = float(stats.norm.ppf(prob))
    f_crit = float(stats.f.ppf(prob, 2, n - 2))
    cov = np.cov(np.vstack([ap, ml]), ddof=1)
    eig = np.linalg.eigvalsh(cov)
    k_pred = f_crit * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    pred_area = float(np.pi * np.sqrt(eig[0] * k_pred) * np.sqrt(eig[1] * k_pred))
    s_ap2, s_ml2, s_apml = float((ap**2).mean()), float((ml**2).mean()), float((ap * ml).mean())
    conf_area = float(2 * np.pi * f_crit * np.sqrt(max(s_ap2 * s_ml2 - s_apml**2, 0.0)))
    cc_area = float(np.pi * (mdist + z * sd_rd) ** 2)
    sway_area = float(np.abs(ap[1:] * ml[:-1] - ap[:-1] * ml[1:]).sum() / (2 * duration))
    cc_diameter = 2 * (mdist + z * sd_rd)
    fractal_cc = float(np.log(n) / np.log(n * cc_diameter / path)) if path > 0 else None

    spectra = {"ap": welch_psd(ap, rate_hz), "ml": welch_psd(ml, rate_hz)}
    mf = {k: _mean_power_frequency(*v) for k, v in spectra.items()}
    power = {k: float(v[1].sum()) for k, v in spectra.items()}
    mean_freq = (mf["ap"] * power["ap"] + mf["ml"] * power["ml"]) / (power["ap"] + power["ml"])

    def axis(x: np.ndarray, dx: np.ndarray, key: str) -> dict[str, Any]:
        mdist_x = float(np.abs(x).mean())
        path_x = float(np.abs(dx).sum())
        return {
            "mean_distance_mm": mdist_x,
            "rms_mm": float(np.sqrt((x**2).mean())),
            "range_mm": float(x.max() - x.min()),
            "path_length_mm": path_x,
            "mean_velocity_mm_s": path_x / duration,
            "mean_frequency_hz": mf[key],
            "time_domain_mean_frequency_hz": path_x / (4 * np.sqrt(2) * mdist_x * duration)
            if mdist_x > 0
            else None,
            **_prieto_spectral(*spectra[key]),
        }

    return {
        "duration_s": duration,
        "rate_hz": float(rate_hz),
        "n_samples": int(n),
        "filter": (
            {
                "type": "butterworth_zero_lag",
                "order": int(m["lowpass_order"]),
                "cutoff_hz": float(lowpass_hz),
            }
            if lowpass_hz
            else {"type": "none"}
        ),
        "mean_distance_mm": mdist,
        "rms_distance_mm": rdist,
        "range_mm": _max_distance(ap, ml),
        "path_length_mm": path,
        "mean_velocity_mm_s": path / duration,
        "ellipse95_area_mm2": pred_area,
        "ellipse95_kind": "prediction",
        "confidence_ellipse95_area_mm2": conf_area,
        "confidence_circle95_area_mm2": cc_area,
        "sway_area_mm2_s": sway_area,
        "mean_frequency_hz": float(mean_freq),
        "time_domain_mean_frequency_hz": path / (2 * np.pi * mdist * duration)
        if mdist > 0
        else None,
        "fractal_dimension_cc": fractal_cc,
        "rd": _prieto_spectral(*welch_psd(rd, rate_hz)),
        "ap": axis(ap, d_ap, "ap"),
        "ml": axis(ml, d_ml, "ml"),
    }


def check_recording(rec: CopRecording, name: str) -> list[QualityIssue]:
    """Refuse recordings the measures cannot be trusted on; warn about doubtful ones."""
    m = sway_method()
    if not m["min_rate_hz"] <= rec.rate_hz <= m["max_rate_hz"]:
        raise InputError(
            f"{name}: sampling rate {rec.rate_hz:g} Hz is outside {m['min_rate_hz']}-"
            f"{m['max_rate_hz']} Hz.",
            "Check the rate (rate_hz) or the time column; sway needs at least "
            f"{m['min_rate_hz']} Hz.",
        )
    duration = rec.n_samples / rec.rate_hz
    if duration < m["min_duration_s"]:
        raise InputError(
            f"{name}: the recording lasts {duration:.1f} s ({rec.n_samples} samples at "
            f"{rec.rate_hz:g} Hz); at least {m['min_duration_s']} s is needed.",
            f"Record quiet standing for at least {m['min_duration_s']} s (60 s is usual).",
        )
    bad = ~(np.isfinite(rec.ap_mm) & np.isfinite(rec.ml_mm))
    if bad.any():
        raise InputError(
            f"{name}: {int(bad.sum())} samples have no COP value (empty or NaN).",
            "Export the whole recording without gaps, or crop it to the valid part.",
        )
    issues = list(rec.quality)
    if rec.force_vertical_n is not None:
        fz = np.abs(rec.force_vertical_n)
        low = fz < m["min_force_fraction"] * np.median(fz)
        if low.any():
            issues.append(
                QualityIssue(
                    "low_vertical_force",
                    "Vertical force fell below half its median for "
                    f"{low.sum() / rec.rate_hz:.2f} s: "
                    "the patient may have stepped off the plate; check the recording.",
                )
            )
    return issues


def analyze_cop_recording(
    path: Path, rate_hz: float | None = None, lowpass_hz: float | None = None
) -> dict[str, Any]:
    """The complete ``analysis.json`` document for a COP recording (``source.kind == "cop"``)."""
    path = Path(path)
    rec = read_cop(path, rate_hz=rate_hz)
    issues = check_recording(rec, path.name)
    if lowpass_hz is None:
        lowpass_hz = sway_method()["lowpass_hz"]
    sway = prieto_sway_measures(rec.ap_mm, rec.ml_mm, rec.rate_hz, lowpass_hz=lowpass_hz)
    return {
        "schema": ANALYSIS_SCHEMA,
        "source": {
            "path": str(path),
            "kind": "cop",
            "format": rec.source_format,
            "rate_hz": float(rec.rate_hz),
            "n_frames": rec.n_samples,
        },
        "sway": _finite(sway),
        "quality": {"warnings": [q.to_json() for q in issues]},
    }


def _finite(obj: Any) -> Any:
    """JSON-safe copy: numpy scalars to float, non-finite numbers to None."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
