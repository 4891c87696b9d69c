"""Cycle normalisation, normative scores and view filtering on real and synthetic input."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from groundup.gait.cycles import N_POINTS, normalise_side
from groundup.norms import compute_gait_curves
from groundup.norms.data import NORMS_DIR, schwartz_curves
from groundup.trial import SIDES, GaitEvent
from tests.curves.conftest import PIG_TRIALS


def _curves(a, **kw):
    return compute_gait_curves(
        a.angles.angles_deg, a.trial.point_rate_hz, a.events, source="c3d", view="3d", **kw
    )


@pytest.mark.parametrize("name", PIG_TRIALS)
def test_cycles_have_101_points_and_run_between_same_side_heel_strikes(analysed, name) -> None:
    a = analysed(name)
    result = _curves(a)
    doc = result.to_json()  # validates against curves.schema.json
    n_accepted = 0
    for side in SIDES:
        strikes = {
            round(e.time_s, 6) for e in a.events if e.side == side and e.kind == "heel_strike"
        }
        for cycle in result.sides[side].cycles:
            assert round(cycle.start_s, 6) in strikes and round(cycle.end_s, 6) in strikes
            between = [t for t in strikes if round(cycle.start_s, 6) < t < round(cycle.end_s, 6)]
            assert not between, "a cycle must end at the NEXT same-side heel strike"
        for arr in result.sides[side].curves.values():
            assert arr.shape[1] == N_POINTS
        for curve in doc["sides"][side]["curves"].values():
            assert len(curve["mean_deg"]) == 101 and len(curve["sd_deg"]) == 101
        n_accepted += len(result.sides[side].accepted_cycles)
    assert n_accepted >= 2


def _events(side_times: dict[str, list[float]]) -> list[GaitEvent]:
    return [
        GaitEvent(side, "heel_strike", t, round(t * 100), "test")  # type: ignore[arg-type]
        for side, ts in side_times.items()
        for t in ts
    ]


def test_cycle_with_a_gap_is_rejected_with_reason() -> None:
    rate = 100.0
    t = np.arange(400) / rate
    knee = 30 + 30 * np.sin(2 * np.pi * t)
    knee[150] = np.nan
    sc = normalise_side(
        {"left_knee_flexion_deg": knee}, rate, _events({"left": [0.2, 1.2, 2.2, 3.2]}), "left"
    )
    assert sc.curves["left_knee_flexion_deg"].shape == (2, N_POINTS)
    assert "angle gap" in sc.cycles[1].rejected_variables["left_knee_flexion_deg"]


def test_duration_outlier_is_rejected_by_mad_rule() -> None:
    rate = 100.0
    knee = np.zeros(800)
    sc = normalise_side(
        {"left_knee_flexion_deg": knee},
        rate,
        _events({"left": [0.1, 1.1, 2.1, 3.1, 4.1, 6.1]}),
        "left",
    )
    assert [c.accepted for c in sc.cycles] == [True, True, True, True, False]
    assert "Leys et al. 2013" in sc.cycles[-1].reason


def _norm_trial(offset_deg: float, n_cycles: int = 4, rate: float = 100.0):
    """Angles made from the free-speed normative means (+ offset on left knee flexion)."""
    cfg = yaml.safe_load((NORMS_DIR / "variables.yaml").read_text())["variables"]
    duration = 1.0
    n = int(rate * duration * n_cycles) + 1
    t = np.arange(n) / rate
    phase = 100.0 * (t % duration) / duration
    angles = {}
    for base, spec in cfg.items():
        if spec["norm"] is None:
            continue
        norm = schwartz_curves()[(spec["norm"], "free")]
        for side in SIDES:
            y = np.interp(phase, norm.pct, norm.mean)
            angles[f"{side}_{base}_deg"] = y + (
                offset_deg if (side, base) == ("left", "knee_flexion") else 0
            )
    strikes = [i * duration for i in range(n_cycles + 1)]
    events = _events({"left": strikes, "right": strikes})
    return angles, rate, events


def test_known_offset_is_recovered_in_the_gvs() -> None:
    offset = 7.0
    angles, rate, events = _norm_trial(offset)
    result = compute_gait_curves(angles, rate, events, source="c3d", view="3d")
    assert abs(result.gvs["left_knee_flexion"] - offset) < 0.5
    assert result.gvs["right_knee_flexion"] < 0.5
    flagged = [
        d for d in result.deviations if d["side"] == "left" and d["variable"] == "knee_flexion"
    ]
    assert flagged and all(
        d["value_deg"] - d["norm_mean_deg"] == pytest.approx(offset, abs=0.5) for d in flagged
    )


# Typical adults with a full Plug-in Gait marker set and subject measurements (MANIFEST.md: adult,
# no documented pathological gait). Range: Baker et al. 2009 typically developing GPS mean 5.6 deg
# (value from memory, not verified; knowledge/norms/gps_reference.yaml) +/- 2 SD with SD 1.4 deg
# (Baker et al. 2012, Gait Posture 35:612-615, abstract): 2.8-8.4 deg.
def _td_range() -> tuple[float, float]:
    ref = yaml.safe_load((NORMS_DIR / "gps_reference.yaml").read_text())["typically_developing"]
    return ref["mean_deg"] - 2 * ref["sd_deg"], ref["mean_deg"] + 2 * ref["sd_deg"]


@pytest.mark.parametrize(
    "name",
    [
        "btk_functional_walk.c3d",
        pytest.param(
            "nantes_pig_motion3_ff.c3d",
            marks=pytest.mark.xfail(
                strict=True,
                reason="overall GPS 9.5 deg against children's norms, the same as the GPS of "
                "the file's own Plug-in Gait angles (9.55): its pelvic tilt averages 0.1 deg "
                "(children 11.9), which also lowers hip flexion (GVS 15-17), and hip rotation "
                "averages 11-15 deg (GVS 14-17); see docs/gait-curves.md",
            ),
        ),
    ],
)
def test_gps_of_typical_adults_in_typically_developing_range(analysed, name) -> None:
    result = _curves(analysed(name), age_years=None)
    overall = result.gps["overall"]
    low, high = _td_range()
    print(f"\n{name}: overall GPS {overall['value_deg']} deg (range {low:.1f}-{high:.1f})")
    assert overall["complete"]
    assert low <= overall["value_deg"] <= high


def test_video_input_reports_only_variables_valid_for_its_view() -> None:
    angles, rate, events = _norm_trial(0.0)
    video_like = {k: v for k, v in angles.items() if "flexion" in k or "dorsiflexion" in k}
    video_like["left_hip_rotation_deg"] = angles["left_hip_rotation_deg"]
    video_like["left_foot_progression_deg"] = angles["left_foot_progression_deg"]
    video_like["pelvis_obliquity_deg"] = angles["left_pelvis_obliquity_deg"]
    sagittal = compute_gait_curves(
        angles | video_like, rate, events, source="video", view="sagittal"
    ).to_json()
    assert set(sagittal["variables"]) == {"hip_flexion", "knee_flexion", "ankle_dorsiflexion"}
    assert "left_hip_rotation_deg" in sagittal["dropped_variables"]
    assert all(
        not k.endswith(("rotation", "progression")) for k in sagittal["gait_variable_scores_deg"]
    )
    assert sagittal["gait_profile_score"]["left"]["complete"] is False

    frontal = compute_gait_curves(
        video_like, rate, events, source="video", view="frontal_posterior"
    ).to_json()
    assert frontal["variables"] == ["pelvis_obliquity"]
    left = frontal["sides"]["left"]["curves"]["pelvis_obliquity"]["mean_deg"]
    right = frontal["sides"]["right"]["curves"]["pelvis_obliquity"]["mean_deg"]
    assert left[10] == pytest.approx(-right[10], abs=1e-6)  # one unsided series, per-side signs
    with pytest.raises(Exception, match="3-D"):
        compute_gait_curves(video_like, rate, events, source="video", view="3d")


@pytest.mark.parametrize(
    "name", ["nantes_pig_motion3_ff.c3d", "btk_functional_walk.c3d", "btk_pig_flatfoot_full.c3d"]
)
def test_reference_speed_group_follows_the_measured_speed(c3d_dir, name) -> None:
    """Adults with a leg length in the file, walking at 1.15-1.24 m/s: the analysis finds a
    dimensionless speed of about 0.41, inside the free group's range (0.372-0.482; Schwartz et
    al. 2008 workbook), and says so."""
    from groundup.pipeline.recording import RecordingOptions, analyse_recording

    doc = analyse_recording(c3d_dir / name, RecordingOptions()).doc
    ref = doc["curves"]["reference"]
    print(f"\n{name}: {ref['dimensionless_speed']} -> {ref['speed_group']}")
    assert 0.37 <= ref["dimensionless_speed"] <= 0.48
    assert ref["speed_group"] == "free" and "lies in the range" in ref["note"]
