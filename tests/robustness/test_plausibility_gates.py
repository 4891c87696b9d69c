"""No confident nonsense: the campaign's confident-wrong numbers give a refusal or a warning,
and no finding is built on the bad number.

Real trials are altered the way the campaign altered them: metres in the header over millimetre
data, a wrong sampling rate in the header, marker spikes in 10 % of the frames, a filter cut-off
of 0.2 Hz, centimetres under millimetre headers in a balance file (tests/robustness/
test_campaign_inputs.py) and a --view that contradicts the clip (tests/privacy/
test_sample_clip_outputs.py, which runs the sample clip once).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.robustness.helpers import SAMPLE_C3D, assert_user_message, run_main


def _altered_c3d(
    source: Path,
    target: Path,
    *,
    units: str | None = None,
    rate_factor: float | None = None,
    spike_fraction: float = 0.0,
) -> Path:
    import ezc3d

    c3d = ezc3d.c3d(str(source))
    if units is not None:
        c3d["parameters"]["POINT"]["UNITS"]["value"] = [units]
    if rate_factor is not None:
        rate = float(c3d["parameters"]["POINT"]["RATE"]["value"][0])
        c3d["parameters"]["POINT"]["RATE"]["value"] = [rate * rate_factor]
        analog = float(c3d["parameters"]["ANALOG"]["RATE"]["value"][0])
        c3d["parameters"]["ANALOG"]["RATE"]["value"] = [analog * rate_factor]
    if spike_fraction:
        rng = np.random.default_rng(20)
        points = np.array(c3d["data"]["points"])
        n_markers, n_frames = points.shape[1], points.shape[2]
        for marker in range(n_markers):
            frames = rng.choice(np.arange(1, n_frames - 1), int(spike_fraction * n_frames),
                                replace=False)  # fmt: skip
            points[:3, marker, frames] += rng.choice([-1, 1], (3, frames.size)) * 400.0  # mm
        c3d["data"]["points"] = points
    c3d.write(str(target))
    return target


def _analyze(capsys: pytest.CaptureFixture[str], trial: Path, out: Path, *extra: str):
    return run_main(capsys, "analyze", str(trial), "--out", str(out), "--no-report", *extra)


@pytest.mark.parametrize("source", ["sample", "nantes_pig_motion3_ff.c3d"])
def test_metres_in_the_header_over_millimetre_data_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], c3d_dir: Path, source: str
) -> None:
    original = SAMPLE_C3D if source == "sample" else c3d_dir / source
    trial = _altered_c3d(original, tmp_path / "metres.c3d", units="m")
    code, text = _analyze(capsys, trial, tmp_path / "out")
    assert_user_message(code, text)
    assert "millimetres under a header that says metres" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("rate_factor", "events"), [(2.35, "auto"), (2.35, "kinematic"), (3.0, "kinematic")]
)
def test_a_wrong_sampling_rate_in_the_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rate_factor: float, events: str
) -> None:
    """The campaign's file: the header's rate 2.35 times the real one (cadence 275 "within the
    norm"). A rate too low by less than the cadence range allows cannot be told from slow
    walking, and is not tested here."""
    trial = _altered_c3d(SAMPLE_C3D, tmp_path / "rate.c3d", rate_factor=rate_factor)
    code, text = _analyze(capsys, trial, tmp_path / "out", "--events", events)
    assert_user_message(code, text)
    assert "sampling rate" in text and "No result was built on it" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("source", ["sample", "nantes_pig_motion3_ff.c3d"])
def test_marker_spikes_in_ten_percent_of_frames_are_repaired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], c3d_dir: Path, source: str
) -> None:
    original = SAMPLE_C3D if source == "sample" else c3d_dir / source
    code, text = _analyze(capsys, original, tmp_path / "clean")
    assert code == 0, text
    spiky = _altered_c3d(original, tmp_path / "spiky.c3d", spike_fraction=0.10)
    code, text = _analyze(capsys, spiky, tmp_path / "spiky_out")
    assert code == 0, text
    clean = json.loads((tmp_path / "clean" / "analysis.json").read_text())["spatiotemporal"]
    doc = json.loads((tmp_path / "spiky_out" / "analysis.json").read_text())
    st = doc["spatiotemporal"]
    print(f"{source}: cadence clean {clean['cadence_steps_per_min']:.1f}, with 10 % spikes "
          f"{st['cadence_steps_per_min']:.1f} steps/min; speed {clean['walking_speed_m_s']:.3f} "
          f"vs {st['walking_speed_m_s']:.3f} m/s")  # fmt: skip
    assert st["cadence_steps_per_min"] == pytest.approx(clean["cadence_steps_per_min"], abs=2.0)
    assert st["walking_speed_m_s"] == pytest.approx(clean["walking_speed_m_s"], abs=0.03)
    assert any(w["code"] == "marker_spikes_removed" for w in doc["quality"]["warnings"])


def test_marker_spikes_in_most_frames_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spiky = _altered_c3d(SAMPLE_C3D, tmp_path / "spiky.c3d", spike_fraction=0.3)
    code, text = _analyze(capsys, spiky, tmp_path / "out")
    assert_user_message(code, text)
    assert "labelling" in text


@pytest.mark.parametrize("cutoff", ["0.2", "1", "2.9", "25"])
def test_filter_cutoffs_outside_walking_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cutoff: str
) -> None:
    code, text = _analyze(capsys, SAMPLE_C3D, tmp_path / "out", "--cutoff-hz", cutoff)
    assert_user_message(code, text)
    assert not (tmp_path / "out").exists()


def test_every_reference_trial_passes_the_gates(c3d_dir: Path, c3d_extra_dir: Path) -> None:
    """No false alarm on real trials of 6 labs (units, rates and spikes as recorded)."""
    from groundup.io.c3d import read_c3d
    from groundup.pipeline.plausibility import check_marker_units, repair_marker_spikes

    for path in [*sorted(c3d_dir.glob("*.c3d")), *sorted(c3d_extra_dir.glob("*.c3d"))]:
        trial = read_c3d(path)
        check_marker_units(trial, path.name)
        repaired = repair_marker_spikes(trial, path.name)
        assert not [q for q in repaired.quality if q.code == "marker_spikes_removed"], path.name
