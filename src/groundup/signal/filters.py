"""Zero-lag low-pass Butterworth filtering of marker trajectories and plain signals.

Definition
----------
A Butterworth low-pass filter of order ``order`` is designed digitally (bilinear transform with
pre-warping, ``scipy.signal.butter``) and run forwards then backwards over the signal
(``scipy.signal.sosfiltfilt``). The second pass cancels the phase shift of the first, so events
keep their timing (zero lag), but it also applies the magnitude response twice:

- the effective order is ``2 * order`` (``order=2`` is the classic "fourth-order zero-lag"
  filter of the biomechanics literature; the default ``order=4`` gives an eighth-order response);
- the -3 dB point moves below the design cut-off, because the gain there is squared
  (1/sqrt(2) becomes 1/2).

The cut-off is therefore corrected as Winter describes for a filter run more than once:
the design cut-off is raised so that the *dual-pass* response is -3 dB at the cut-off the user
asks for. For ``n`` passes of a Butterworth filter of order ``N`` the correction factor is

    C = (2 ** (1 / n) - 1) ** (1 / (2 N))

(Winter's C = (2 ** (1/n) - 1) ** 0.25 for his second-order filter, N = 2), applied in the
pre-warped frequency domain of the digital filter:

    tan(pi * f_design / f_s) = tan(pi * f_cutoff / f_s) / C

With n = 2 passes and N = 2, C = 0.802 and a 6 Hz request at 100 Hz sampling is designed at
7.4 Hz; with N = 4, C = 0.895 and the design cut-off is 6.7 Hz.

References
----------
- Winter DA (2009). *Biomechanics and Motor Control of Human Movement*, 4th ed. Wiley,
  ch. 3 (digital filtering; correction of the cut-off for multiple passes).
- Robertson DGE, Dowling JJ (2003). Design and responses of Butterworth and critically damped
  digital filters. *J Electromyogr Kinesiol* 13:569-573 (the correction for any order and number
  of passes).

Missing data
------------
NaN cannot pass through a recursive filter, so each contiguous run of finite samples is filtered
on its own. ``sosfiltfilt`` pads a run with an odd reflection of ``padlen`` samples at each end;
a run not longer than that cannot be filtered and is kept unfiltered (the Trial function reports
it as a :class:`~groundup.errors.QualityIssue`). Fill short gaps first
(:func:`groundup.signal.gaps.fill_gaps`) so that runs are long.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundup.errors import InputError, QualityIssue
from groundup.trial import Trial

#: Forward + backward: the magnitude response is applied twice.
FILTER_PASSES = 2

#: The cut-offs ``groundup analyze --cutoff-hz`` accepts for walking. Winter's residual analysis
#: gives about 6 Hz for the markers of walking, and the heel's vertical trajectory carries power
#: up to about 10 Hz at heel strike (Winter DA, Sidwall HG, Hobson DA 1974, "Measurement and
#: reduction of noise in kinematics of locomotion", J Biomech 7:157-159; Winter 2009, ch. 3).
#: Below 3 Hz the step's own rhythm (about 2 Hz) is smoothed away: heel strikes blur and steps
#: come out with wrong, even negative, lengths. Above 20 Hz nothing of walking is left to keep
#: and only marker noise passes.
CUTOFF_HZ_MIN = 3.0
CUTOFF_HZ_MAX = 20.0
#: The longest marker gap ``--max-gap-s`` may fill by interpolation: about half a step; longer
#: interpolation invents the step it is meant to measure.
MAX_GAP_S_LIMIT = 0.25


def _scipy_signal() -> Any:
    """``scipy.signal``, imported when first needed: the option checks run before anything
    else and must not wait for it (about a second to import)."""
    import scipy.signal

    return scipy.signal


def check_cutoff_option(cutoff_hz: float) -> None:
    """Refuse a ``--cutoff-hz`` outside :data:`CUTOFF_HZ_MIN`..:data:`CUTOFF_HZ_MAX`."""
    if not (math.isfinite(cutoff_hz) and CUTOFF_HZ_MIN <= cutoff_hz <= CUTOFF_HZ_MAX):
        raise InputError(
            f"--cutoff-hz {cutoff_hz:g} is outside {CUTOFF_HZ_MIN:g}-{CUTOFF_HZ_MAX:g} Hz, the "
            "range that keeps walking and removes marker noise.",
            f"Leave it out (6 Hz, Winter's value for walking) or choose between "
            f"{CUTOFF_HZ_MIN:g} and {CUTOFF_HZ_MAX:g} Hz.",
        )


def check_max_gap_option(max_gap_s: float) -> None:
    """Refuse a ``--max-gap-s`` that is negative or longer than :data:`MAX_GAP_S_LIMIT`."""
    if not (math.isfinite(max_gap_s) and 0.0 <= max_gap_s <= MAX_GAP_S_LIMIT):
        raise InputError(
            f"--max-gap-s {max_gap_s:g} is outside 0-{MAX_GAP_S_LIMIT:g} s.",
            "Leave it out (0.1 s) or choose a gap no longer than about half a step.",
        )


def cutoff_correction_factor(order: int, passes: int = FILTER_PASSES) -> float:
    """Winter's correction factor C for ``passes`` passes of an order-``order`` Butterworth.

    C = (2 ** (1 / passes) - 1) ** (1 / (2 * order)); Winter (2009, ch. 3) gives it for
    ``order=2`` as (2 ** (1/n) - 1) ** 0.25. The design cut-off is the requested one divided by C
    (in the pre-warped domain, see :func:`design_cutoff_hz`).
    """
    return float((2.0 ** (1.0 / passes) - 1.0) ** (1.0 / (2.0 * order)))


def design_cutoff_hz(cutoff_hz: float, rate_hz: float, order: int) -> float:
    """The single-pass design cut-off that makes the dual-pass response -3 dB at ``cutoff_hz``.

    Solves tan(pi f_design / f_s) = tan(pi f_cutoff / f_s) / C with C from
    :func:`cutoff_correction_factor` (Winter 2009, ch. 3). Always below the Nyquist frequency
    when ``cutoff_hz`` is.
    """
    warped = math.tan(math.pi * cutoff_hz / rate_hz) / cutoff_correction_factor(order)
    return rate_hz / math.pi * math.atan(warped)


def _check_parameters(rate_hz: float, cutoff_hz: float, order: int) -> None:
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(
            f"The sampling rate is {rate_hz!r} Hz; a low-pass filter needs a positive rate.",
            "Check the recording's frame rate (DataRate in TRC, the point rate in C3D).",
        )
    nyquist_hz = rate_hz / 2.0
    if not (math.isfinite(cutoff_hz) and 0 < cutoff_hz < nyquist_hz):
        raise InputError(
            f"The filter cut-off of {cutoff_hz:g} Hz is not between 0 Hz and the Nyquist "
            f"frequency ({nyquist_hz:g} Hz, half the {rate_hz:g} Hz sampling rate).",
            f"Choose a cut-off below {nyquist_hz:g} Hz (marker trajectories of walking are "
            "usually filtered at a few hertz), or skip filtering for this recording.",
        )
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise InputError(
            f"The filter order {order!r} is not a positive whole number.",
            "Use a whole number such as 2 or 4.",
        )


def _design_sos(rate_hz: float, cutoff_hz: float, order: int) -> np.ndarray:
    _check_parameters(rate_hz, cutoff_hz, order)
    cutoff = design_cutoff_hz(cutoff_hz, rate_hz, order)
    return np.asarray(_scipy_signal().butter(order, cutoff, fs=rate_hz, output="sos"))


def _padlen(sos: np.ndarray) -> int:
    """The default edge padding of ``scipy.signal.sosfiltfilt`` for these sections."""
    trailing_zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - trailing_zeros)


def min_frames_to_filter(order: int = 4) -> int:
    """The shortest run of finite samples that the zero-lag filter of this order can process.

    ``sosfiltfilt`` pads each end with ``padlen`` reflected samples and needs more samples than
    that: 16 for ``order=4``, 10 for ``order=2``.
    """
    # The padding depends on the number of sections only, not on the cut-off.
    return _padlen(np.asarray(_scipy_signal().butter(order, 0.5, output="sos"))) + 1


def finite_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` index pairs of the contiguous ``True`` runs of a 1-D boolean mask."""
    padded = np.concatenate(([False], np.asarray(valid, dtype=bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _filter_runs(x: np.ndarray, sos: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Filter each run of complete rows of a 2-D array; return it and the runs left unfiltered."""
    out = x.copy()
    min_len = _padlen(sos) + 1
    short: list[tuple[int, int]] = []
    for start, stop in finite_runs(np.isfinite(x).all(axis=1)):
        if stop - start < min_len:
            short.append((start, stop))
            continue
        out[start:stop] = _scipy_signal().sosfiltfilt(sos, x[start:stop], axis=0)
    return out, short


def lowpass_array(x: np.ndarray, rate_hz: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Zero-lag low-pass Butterworth filter of a plain array along its first axis (time).

    Parameters
    ----------
    x:
        Samples, shape ``(n_samples,)`` or ``(n_samples, n_channels)``. A sample (row) holding any
        NaN is missing; each run of complete rows is filtered on its own, and runs shorter than
        :func:`min_frames_to_filter` are returned unfiltered. NaN stays NaN.
    rate_hz:
        Sampling rate in Hz.
    cutoff_hz:
        The -3 dB frequency of the whole (forward + backward) filter, in Hz; corrected for the
        dual pass as Winter (2009, ch. 3) describes (see the module docstring).
    order:
        Order of the Butterworth design run in each direction (effective order ``2 * order``).

    Raises
    ------
    InputError
        When ``cutoff_hz`` is not between 0 and the Nyquist frequency ``rate_hz / 2``.

    Returns a new array; ``x`` is not modified. Meant for signals inside one module (force-plate
    channels, event-detection traces); trajectories travel in a Trial
    (:func:`butterworth_lowpass`).
    """
    sos = _design_sos(float(rate_hz), float(cutoff_hz), order)
    arr = np.asarray(x, dtype=float)
    if arr.ndim not in (1, 2):
        raise InputError(
            f"lowpass_array expects a 1-D or 2-D array (samples first), got shape {arr.shape}.",
            "Reshape the signal to (n_samples,) or (n_samples, n_channels).",
        )
    filtered, _ = _filter_runs(arr.reshape(arr.shape[0], -1), sos)
    return filtered.reshape(arr.shape)


def butterworth_lowpass(trial: Trial, cutoff_hz: float = 6.0, order: int = 4) -> Trial:
    """Zero-lag low-pass Butterworth filter of every point trajectory of a trial.

    Each landmark is filtered forwards and backwards (``scipy.signal.sosfiltfilt``) with the
    cut-off corrected for the dual pass (Winter 2009, *Biomechanics and Motor Control of Human
    Movement*, 4th ed., ch. 3; Robertson & Dowling 2003, J Electromyogr Kinesiol 13:569), so that
    the whole filter is -3 dB at ``cutoff_hz`` and has no phase lag.

    Parameters
    ----------
    trial:
        The trial; only ``points`` are filtered (force plates and analog channels have their own
        rates and needs: use :func:`lowpass_array` on them).
    cutoff_hz:
        -3 dB frequency of the whole zero-lag filter, in Hz. The default of 6 Hz is a common choice
        for marker trajectories of walking (Winter 2009, ch. 3, chooses the cut-off by residual
        analysis); it is a signal-processing default, not a clinical threshold.
    order:
        Order of the Butterworth design run in each direction; the zero-lag response has order
        ``2 * order``. Use ``order=2`` for Winter's "fourth-order zero-lag" filter.

    Missing frames (NaN) stay missing: each contiguous run of finite frames is filtered on its own.
    Runs shorter than :func:`min_frames_to_filter` are kept unfiltered and reported once per
    landmark as ``QualityIssue("short_segment_unfiltered", ...)``.

    Raises
    ------
    InputError
        When ``cutoff_hz`` is not between 0 and the Nyquist frequency (half the point rate).

    Returns a new Trial; the input trial and its arrays are not modified.
    """
    rate_hz = float(trial.point_rate_hz)
    sos = _design_sos(rate_hz, float(cutoff_hz), order)
    min_len = _padlen(sos) + 1
    points: dict[str, np.ndarray] = {}
    issues: list[QualityIssue] = []
    for name, arr in trial.points.items():
        filtered, short = _filter_runs(np.asarray(arr, dtype=float), sos)
        points[name] = filtered
        if short:
            n_short = sum(stop - start for start, stop in short)
            first_s = short[0][0] / rate_hz
            issues.append(
                QualityIssue(
                    "short_segment_unfiltered",
                    f"{trial.describe_label(name)}: {n_short} frames seen next to marker gaps "
                    f"(first at {first_s:.3f} s) were kept unfiltered: the {cutoff_hz:g} Hz "
                    f"filter needs at least {min_len} frames ({min_len / rate_hz:.3f} s) in a "
                    "row. Fill the gaps around them, or read this landmark there with care.",
                )
            )
    return trial.replace(points=points, quality=[*trial.quality, *issues])
