"""Zero-lag Butterworth low-pass: known answers on synthetic signals, behaviour on real markers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from raw_c3d import trial_from_c3d

from groundup.errors import InputError
from groundup.signal.filters import (
    butterworth_lowpass,
    cutoff_correction_factor,
    design_cutoff_hz,
    finite_runs,
    lowpass_array,
    min_frames_to_filter,
)
from groundup.trial import Trial

RATE_HZ = 100.0
DURATION_S = 10.0


def _sine(freq_hz: float, rate_hz: float = RATE_HZ, duration_s: float = DURATION_S) -> np.ndarray:
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    return np.sin(2 * np.pi * freq_hz * t)


def _middle(x: np.ndarray) -> np.ndarray:
    """The central half, away from the edge transients of the filter."""
    n = len(x)
    return x[n // 4 : 3 * n // 4]


def _amplitude_and_phase(x: np.ndarray, freq_hz: float, rate_hz: float = RATE_HZ):
    """Least-squares fit of a sin + b cos over the central half: amplitude and phase (rad)."""
    t = np.arange(len(x)) / rate_hz
    keep = slice(len(x) // 4, 3 * len(x) // 4)
    basis = np.column_stack([np.sin(2 * np.pi * freq_hz * t), np.cos(2 * np.pi * freq_hz * t)])
    (a, b), *_ = np.linalg.lstsq(basis[keep], x[keep], rcond=None)
    return float(np.hypot(a, b)), float(np.arctan2(b, a))


def _best_lag_frames(a: np.ndarray, b: np.ndarray, max_lag: int = 5) -> int:
    """The shift of ``b`` against ``a`` (in samples) with the largest cross-product."""
    n = len(a)
    scores = {
        lag: float(np.dot(a[max(0, -lag) : n - max(0, lag)], b[max(0, lag) : n - max(0, -lag)]))
        for lag in range(-max_lag, max_lag + 1)
    }
    return max(scores, key=lambda lag: scores[lag])


def _trial_of(**points: np.ndarray) -> Trial:
    return Trial(points=dict(points), point_rate_hz=RATE_HZ)


# ---------------------------------------------------------------------------- known answers
def test_2hz_passes_with_less_than_one_percent_loss_at_6hz() -> None:
    x = _sine(2.0)
    y = lowpass_array(x, RATE_HZ, cutoff_hz=6.0)
    amplitude, _ = _amplitude_and_phase(y, 2.0)
    assert amplitude == pytest.approx(1.0, abs=0.01)


def test_20hz_is_attenuated_by_more_than_90_percent() -> None:
    y = lowpass_array(_sine(20.0), RATE_HZ, cutoff_hz=6.0)
    assert np.max(np.abs(_middle(y))) < 0.1


@pytest.mark.parametrize("freq_hz", [1.0, 2.0, 4.0])
def test_zero_phase_lag(freq_hz: float) -> None:
    y = lowpass_array(_sine(freq_hz), RATE_HZ, cutoff_hz=6.0)
    _, phase_rad = _amplitude_and_phase(y, freq_hz)
    lag_s = phase_rad / (2 * np.pi * freq_hz)
    assert abs(lag_s) < 1e-4  # a hundredth of a frame at 100 Hz


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("rate_hz", [60.0, 100.0, 200.0])
def test_dual_pass_response_is_minus_3db_at_the_requested_cutoff(
    order: int, rate_hz: float
) -> None:
    """Winter's correction: after forward + backward passes the gain at the cut-off is 1/sqrt(2)."""
    cutoff_hz = 6.0
    y = lowpass_array(_sine(cutoff_hz, rate_hz), rate_hz, cutoff_hz, order=order)
    amplitude, _ = _amplitude_and_phase(y, cutoff_hz, rate_hz)
    assert amplitude == pytest.approx(1 / np.sqrt(2), rel=0.01)


def test_without_correction_the_dual_pass_would_cut_lower() -> None:
    """The design cut-off is above the request; Winter's C for order 2 and 2 passes is 0.802."""
    assert cutoff_correction_factor(2) == pytest.approx(0.802, abs=1e-3)
    assert design_cutoff_hz(6.0, 100.0, 2) > 6.0
    assert design_cutoff_hz(6.0, 100.0, 4) > 6.0
    assert design_cutoff_hz(45.0, 100.0, 4) < 50.0  # stays below Nyquist


def test_2d_array_filters_each_column() -> None:
    x = np.column_stack([_sine(2.0), _sine(20.0), np.full(1000, 3.0)])
    y = lowpass_array(x, RATE_HZ, 6.0)
    assert y.shape == x.shape
    np.testing.assert_allclose(y[:, 0], lowpass_array(x[:, 0], RATE_HZ, 6.0))
    np.testing.assert_allclose(y[:, 2], 3.0, atol=1e-9)  # a constant passes unchanged


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("cutoff_hz", [50.0, 80.0, 0.0, -1.0, float("nan")])
def test_cutoff_outside_0_nyquist_is_refused_with_a_fix(cutoff_hz: float) -> None:
    with pytest.raises(InputError) as info:
        butterworth_lowpass(_trial_of(a=np.zeros((100, 3))), cutoff_hz=cutoff_hz)
    assert "Nyquist" in info.value.problem
    assert "below 50 Hz" in info.value.fix


def test_bad_order_is_refused() -> None:
    with pytest.raises(InputError):
        lowpass_array(_sine(2.0), RATE_HZ, 6.0, order=0)


# ---------------------------------------------------------------------------- gaps and copies
def test_each_finite_run_is_filtered_separately_and_nan_stays() -> None:
    x = np.column_stack([_sine(2.0), _sine(2.0), _sine(2.0)]) + 0.2 * _sine(20.0)[:, None]
    x[400:450] = np.nan
    y = butterworth_lowpass(_trial_of(m=x), 6.0).points["m"]
    assert np.array_equal(np.isnan(y), np.isnan(x))
    clean = np.column_stack([_sine(2.0)] * 3)
    for start, stop in [(100, 350), (500, 900)]:  # away from run ends
        assert np.max(np.abs(y[start:stop] - clean[start:stop])) < 0.03


def test_a_run_too_short_to_filter_is_kept_and_reported() -> None:
    n_short = min_frames_to_filter(4) - 1
    x = np.tile(_sine(2.0)[:, None], (1, 3))
    x[200:210] = np.nan
    x[210 + n_short : 220 + n_short] = np.nan  # an island of n_short frames
    island = slice(210, 210 + n_short)
    trial = _trial_of(left_heel=x).replace(point_labels={"left_heel": "LHEE"})
    out = butterworth_lowpass(trial)
    np.testing.assert_array_equal(out.points["left_heel"][island], x[island])
    issues = [q for q in out.quality if q.code == "short_segment_unfiltered"]
    assert len(issues) == 1
    assert "left_heel (LHEE)" in issues[0].message
    assert f"{n_short} frames" in issues[0].message


def test_min_frames_matches_scipy_padding() -> None:
    assert min_frames_to_filter(4) == 16
    assert min_frames_to_filter(2) == 10
    x = np.tile(_sine(2.0)[:40, None], (1, 3))
    x[16:] = np.nan  # a run of exactly 16 frames is filtered
    y = lowpass_array(x, RATE_HZ, 6.0)
    assert not np.array_equal(y[:16], x[:16])


def test_input_trial_is_not_modified() -> None:
    x = np.tile(_sine(2.0)[:, None], (1, 3)) + 0.1 * _sine(20.0)[:, None]
    trial = _trial_of(m=x)
    before = x.copy()
    out = butterworth_lowpass(trial)
    assert out is not trial
    assert out.points is not trial.points
    np.testing.assert_array_equal(trial.points["m"], before)
    assert trial.quality == []


def test_finite_runs() -> None:
    mask = np.array([False, True, True, False, True, False, False, True])
    assert finite_runs(mask) == [(1, 3), (4, 5), (7, 8)]
    assert finite_runs(np.zeros(3, dtype=bool)) == []


# ---------------------------------------------------------------------------- real data
def test_real_markers_keep_gaps_timing_and_shape(c3d_dir: Path) -> None:
    """sample09 (60 Hz, Vicon): heel and sacrum with gaps at both ends of the capture volume."""
    trial = trial_from_c3d(c3d_dir / "c3dorg_sample09_plugingait.c3d")
    out = butterworth_lowpass(trial, cutoff_hz=6.0)
    for label in ("LHEE", "RHEE", "SACR"):
        raw, filt = trial.points[label], out.points[label]
        assert np.array_equal(np.isnan(raw), np.isnan(filt))
        seen = np.isfinite(raw).all(axis=1)
        # Filtering smooths noise but does not move the marker: RMS change of a few mm at most.
        rms_m = float(np.sqrt(np.mean((raw[seen] - filt[seen]) ** 2)))
        assert 0 < rms_m < 0.003
        # Zero lag: the vertical velocity of raw and filtered data lines up best at lag 0.
        assert _best_lag_frames(np.diff(raw[seen][:, 2]), np.diff(filt[seen][:, 2])) == 0
        # Less high-frequency content: the second difference (acceleration) energy drops.
        accel_energy = [np.sum(np.diff(x[seen], 2, axis=0) ** 2) for x in (raw, filt)]
        assert accel_energy[1] < accel_energy[0]
