"""Must show 2: COP sway on the real recordings matches an independent calculation within 1 % and
the published per-trial values (Santos & Duarte 2016; dos Santos et al. 2017) within their
precision. Also the bad COP files of must show 5."""

from __future__ import annotations

import csv
import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from scipy import stats

from groundup.errors import InputError
from groundup.exam.sway import analyze_cop_recording

REFERENCE = "reference_values.csv"


def _reference(cop_dir: Path) -> list[dict[str, str]]:
    with (cop_dir / REFERENCE).open(newline="") as fh:
        return list(csv.DictReader(fh))


def _independent_cop_mm(path: Path) -> np.ndarray:
    """AP/ML COP in mm, read with numpy straight from the columns the manifest documents."""
    header = path.read_text().splitlines()[0].split("\t")
    data = np.loadtxt(path, skiprows=1)
    if "COPx[cm]" in header:
        return data[:, [header.index("COPx[cm]"), header.index("COPy[cm]")]] * 10.0
    return data[:, [header.index("COPNET_X"), header.index("COPNET_Z")]] * 1000.0


def _welch_numpy(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD written out with numpy: Hann segments of n/2 overlapping by n/4, mean removed."""
    n = x.size
    seg, step = n // 2, n // 2 - n // 4
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(seg) / seg)  # periodic Hann
    spectra = []
    for start in range(0, n - seg + 1, step):
        s = x[start : start + seg]
        s = (s - s.mean()) * win
        spectra.append(np.abs(np.fft.rfft(s)) ** 2)
    p = np.mean(spectra, axis=0) / (fs * (win**2).sum())
    p[1:-1] *= 2
    return np.fft.rfftfreq(seg, 1 / fs), p


def _independent(cop: np.ndarray, fs: float) -> dict[str, float]:
    c = cop - cop.mean(axis=0)
    n = c.shape[0]
    t = n / fs
    steps = np.linalg.norm(np.diff(c, axis=0), axis=1)
    r = np.linalg.norm(c, axis=1)
    # largest distance between any two points, brute force in chunks
    rng = max(
        np.linalg.norm(c[i : i + 500, None, :] - c[None, :, :], axis=2).max()
        for i in range(0, n, 500)
    )
    f95 = stats.f.ppf(0.95, 2, n - 2)
    pred_area = (
        np.pi * f95 * 2 * (n - 1) * (n + 1) / (n * (n - 2)) * np.sqrt(np.linalg.det(np.cov(c.T)))
    )
    mf, pw = [], []
    for k in range(2):
        f, p = _welch_numpy(c[:, k], fs)
        df = f[1] - f[0]

        def trap(y: np.ndarray, df: float = df) -> float:
            return float(((y[1:] + y[:-1]) / 2).sum() * df)

        mf.append(trap(f * p) / trap(p))  # mean power frequency, trapezoid rule (MANIFEST.md)
        pw.append(p.sum())
    return {
        "mean_distance_mm": r.mean(),
        "rms_distance_mm": np.sqrt(np.mean(r**2)),
        "path_length_mm": steps.sum(),
        "mean_velocity_mm_s": steps.sum() / t,
        "range_mm": rng,
        "ellipse95_area_mm2": pred_area,
        "mean_frequency_hz": (mf[0] * pw[0] + mf[1] * pw[1]) / (pw[0] + pw[1]),
        "ap.rms_mm": c[:, 0].std(),
        "ml.rms_mm": c[:, 1].std(),
        "ap.range_mm": np.ptp(c[:, 0]),
        "ml.range_mm": np.ptp(c[:, 1]),
        "ap.mean_velocity_mm_s": np.abs(np.diff(c[:, 0])).sum() / t,
        "ml.mean_velocity_mm_s": np.abs(np.diff(c[:, 1])).sum() / t,
    }


def _get(sway: dict, key: str) -> float:
    if "." in key:
        a, b = key.split(".")
        return float(sway[a][b])
    return float(sway[key])


def _digits(text: str) -> float:
    """Half a unit of the last printed digit: the precision of a published value."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** (-decimals)


@pytest.fixture(scope="module")
def analyses(cop_dir: Path) -> dict[str, dict]:
    return {
        row["file"]: analyze_cop_recording(cop_dir / row["file"]) for row in _reference(cop_dir)
    }


@pytest.mark.slow
def test_published_values_within_their_precision(cop_dir: Path, analyses: dict[str, dict]) -> None:
    rows = _reference(cop_dir)
    assert len(rows) == 8
    for row in rows:
        sway = analyses[row["file"]]["sway"]
        # area_mm2 = 100 x COParea_cm2, velocity_mm_s = 10 x COPvelo_cm_s (MANIFEST.md)
        area_cm2 = sway["ellipse95_area_mm2"] / 100.0
        velo_cm_s = sway["mean_velocity_mm_s"] / 10.0
        assert area_cm2 == pytest.approx(float(row["COParea_cm2"]), abs=_digits(row["COParea_cm2"]))
        assert velo_cm_s == pytest.approx(
            float(row["COPvelo_cm_s"]), abs=_digits(row["COPvelo_cm_s"])
        )
        assert sway["mean_frequency_hz"] == pytest.approx(
            float(row["COPmfreq_hz"]), abs=_digits(row["COPmfreq_hz"])
        )
        assert analyses[row["file"]]["source"]["rate_hz"] == float(row["rate_hz"])
        assert analyses[row["file"]]["source"]["n_frames"] == int(row["n_samples"])


@pytest.mark.slow
def test_matches_an_independent_calculation_within_one_percent(
    cop_dir: Path, analyses: dict[str, dict]
) -> None:
    for name, doc in analyses.items():
        expected = _independent(_independent_cop_mm(cop_dir / name), doc["source"]["rate_hz"])
        for key, value in expected.items():
            assert _get(doc["sway"], key) == pytest.approx(value, rel=0.01), (name, key)


@pytest.mark.slow
def test_structure_foam_and_age(analyses: dict[str, dict]) -> None:
    s = {k: v["sway"] for k, v in analyses.items()}
    for firm, foam in (("BDS00001.txt", "BDS00007.txt"), ("PDS13OR1grf.txt", "PDS13CF1grf.txt")):
        assert s[foam]["ellipse95_area_mm2"] > s[firm]["ellipse95_area_mm2"]
        assert s[foam]["mean_velocity_mm_s"] > s[firm]["mean_velocity_mm_s"]
    assert s["BDS00160.txt"]["ellipse95_area_mm2"] > 5 * s["BDS00001.txt"]["ellipse95_area_mm2"]
    for sway in s.values():
        # Prieto's confidence ellipse is smaller than the prediction ellipse by (n+1)/n-ish factors
        assert sway["confidence_ellipse95_area_mm2"] < sway["ellipse95_area_mm2"]
        assert (
            0.15 <= sway["ap"]["power_frequency_50_hz"] <= sway["ap"]["power_frequency_95_hz"] <= 5
        )


@pytest.mark.slow
def test_analysis_document_matches_the_schema(analyses: dict[str, dict]) -> None:
    schema = json.loads((files("groundup") / "schemas" / "sway.schema.json").read_text())
    for doc in analyses.values():
        assert doc["schema"] == "groundup.analysis/1"
        assert doc["source"]["kind"] == "cop"
        jsonschema.validate(doc["sway"], schema)
        json.dumps(doc, allow_nan=False)
        assert doc["sway"]["filter"] == {"type": "none"}


def test_groundup_csv_in_cm_equals_mm(tmp_path: Path, cop_dir: Path) -> None:
    cop = _independent_cop_mm(cop_dir / "BDS00004.txt")
    t = np.arange(cop.shape[0]) / 100.0
    mm = tmp_path / "mm.csv"
    cm = tmp_path / "cm.csv"
    np.savetxt(
        mm,
        np.column_stack([t, cop]),
        delimiter=",",
        header="time_s,cop_ap_mm,cop_ml_mm",
        comments="",
        fmt="%.6f",
    )
    np.savetxt(
        cm,
        np.column_stack([cop / 10]),
        delimiter=";",
        header="cop_ap_cm;cop_ml_cm",
        comments="",
        fmt="%.7f",
    )
    a = analyze_cop_recording(mm)["sway"]
    b = analyze_cop_recording(cm, rate_hz=100)["sway"]
    assert a["path_length_mm"] == pytest.approx(b["path_length_mm"], rel=1e-4)
    assert a["ellipse95_area_mm2"] == pytest.approx(b["ellipse95_area_mm2"], rel=1e-4)


def test_lowpass_filter_is_reported_and_lowers_velocity(cop_dir: Path) -> None:
    raw = analyze_cop_recording(cop_dir / "BDS00001.txt")["sway"]
    filt = analyze_cop_recording(cop_dir / "BDS00001.txt", lowpass_hz=10.0)["sway"]
    assert filt["filter"] == {"type": "butterworth_zero_lag", "order": 4, "cutoff_hz": 10.0}
    assert filt["mean_velocity_mm_s"] < raw["mean_velocity_mm_s"]


# ------------------------------------------------------------------------------ bad COP files
def _write(path: Path, header: str, rows: np.ndarray, delim: str = ",") -> Path:
    np.savetxt(path, rows, delimiter=delim, header=header, comments="", fmt="%.6f")
    return path


def test_wrong_columns(tmp_path: Path) -> None:
    f = _write(tmp_path / "x.csv", "time,x,y", np.zeros((10, 3)))
    with pytest.raises(InputError) as e:
        analyze_cop_recording(f)
    assert "found: time, x, y" in e.value.problem
    assert "cop_ap_mm" in e.value.fix


def test_too_short(tmp_path: Path, cop_dir: Path) -> None:
    cop = _independent_cop_mm(cop_dir / "BDS00001.txt")[:1000]  # the first 10 s of a real trial
    f = _write(
        tmp_path / "short.csv",
        "time_s,cop_ap_mm,cop_ml_mm",
        np.column_stack([np.arange(1000) / 100.0, cop]),
    )
    with pytest.raises(InputError, match=r"lasts 10.0 s \(1000 samples at 100 Hz\); at least 20 s"):
        analyze_cop_recording(f)


def test_rate_given_does_not_match_the_time_column(cop_dir: Path) -> None:
    with pytest.raises(
        InputError, match=r"rate_hz 1000 Hz was given but the time column steps by 0.01 s"
    ):
        analyze_cop_recording(cop_dir / "BDS00001.txt", rate_hz=1000)


def test_rate_too_low_and_irregular_time(tmp_path: Path) -> None:
    f = _write(tmp_path / "slow.csv", "cop_ap_mm,cop_ml_mm", np.ones((200, 2)))
    with pytest.raises(InputError, match=r"sampling rate 5 Hz is outside 10-10000 Hz"):
        analyze_cop_recording(f, rate_hz=5)
    t = np.arange(3000) / 100.0
    t[1500:] += 0.5
    g = _write(
        tmp_path / "gap.csv", "time_s,cop_ap_mm,cop_ml_mm", np.column_stack([t, np.ones((3000, 2))])
    )
    with pytest.raises(InputError, match="irregular sampling"):
        analyze_cop_recording(g)


def test_no_time_column_and_no_rate(tmp_path: Path) -> None:
    f = _write(tmp_path / "norate.csv", "cop_ap_mm,cop_ml_mm", np.ones((3000, 2)))
    with pytest.raises(InputError, match="sampling rate is unknown"):
        analyze_cop_recording(f)
