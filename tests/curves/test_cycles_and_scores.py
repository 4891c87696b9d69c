"""Cycle normalisation, normative scores and view filtering on real and synthetic input."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from groundup.gait.cycles import N_POINTS, normalise_side
from groundup.norms import compute_gait_curves
from groundup.norms.data import NORMS_DIR, reference_curve
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


def _norm_trial(
    offset_deg: float,
    n_cycles: int = 4,
    rate: float = 100.0,
    dataset: str = "WBDS2018",
    variable: str = "knee_flexion",
):
    """Angles made from a reference's mean curves (adults by default; children "free" speed),
    plus ``offset_deg`` on the left ``variable``."""
    cfg = yaml.safe_load((NORMS_DIR / "variables.yaml").read_text())["variables"]
    duration = 1.0
    n = int(rate * duration * n_cycles) + 1
    t = np.arange(n) / rate
    phase = 100.0 * (t % duration) / duration
    angles = {}
    for base in cfg:
        norm = reference_curve(dataset, base, "free")
        if norm is None:
            continue
        for side in SIDES:
            y = np.interp(phase, norm.pct, norm.mean)
            angles[f"{side}_{base}_deg"] = y + (
                offset_deg if (side, base) == ("left", variable) else 0
            )
    strikes = [i * duration for i in range(n_cycles + 1)]
    events = _events({"left": strikes, "right": strikes})
    return angles, rate, events


@pytest.mark.parametrize(("dataset", "age"), [("WBDS2018", None), ("Schwartz2008", 10)])
def test_known_offset_is_recovered_in_the_gvs(dataset: str, age: float | None) -> None:
    offset = 7.0
    angles, rate, events = _norm_trial(offset, dataset=dataset)
    result = compute_gait_curves(angles, rate, events, source="c3d", view="3d", age_years=age)
    assert result.reference.dataset == dataset
    assert abs(result.gvs["left_knee_flexion"] - offset) < 0.5
    assert result.gvs["right_knee_flexion"] < 0.5
    checks = [
        d for d in result.deviations if d["side"] == "left" and d["variable"] == "knee_flexion"
    ]
    assert checks and all(
        d["value_deg"] - d["norm_mean_deg"] == pytest.approx(offset, abs=0.5) for d in checks
    )
    drivers = result.gps["overall"]["drivers"]
    assert drivers[0]["variable"] == "knee_flexion" and drivers[0]["side"] == "left"
    assert drivers[0]["kind"] == "offset" and drivers[0]["offset_deg"] == pytest.approx(7.0, 0.1)


def _check(doc: dict, side: str, variable: str, phase: str) -> dict:
    return next(
        d
        for d in doc["deviations"]
        if (d["side"], d["variable"], d["phase"]) == (side, variable, phase)
    )


def test_video_deviation_is_flagged_only_beyond_the_limit_plus_2d_error() -> None:
    """Knee flexion from a side view: the limit is mean +/- 2 SD plus Stenum et al.'s 5.6 deg
    2-D error plus the event-timing term; a 12 deg offset lies beyond 2 SD (z > 2) but within
    that limit, 25 deg lies beyond it. Flagged video deviations are approximate."""
    for offset, expected in ((12.0, False), (25.0, True)):
        angles, rate, events = _norm_trial(offset)
        sagittal = {k: v for k, v in angles.items() if "flexion" in k}
        doc = compute_gait_curves(sagittal, rate, events, source="video", view="sagittal").to_json()
        ic = _check(doc, "left", "knee_flexion", "initial_contact")
        assert ic["z_score"] > 2.0
        assert ic["measurement_error_deg"] == pytest.approx(5.6 + ic["timing_error_deg"], abs=0.02)
        assert ic["flag_limit_deg"] == pytest.approx(
            2 * ic["norm_sd_deg"] + ic["measurement_error_deg"], abs=0.02
        )
        assert ic["flagged"] is expected and ic["approximate"] is True
        assert (ic["beyond_limit_deg"] > 0) is expected
        for d in doc["deviations"]:  # the rule, for every check
            distance = abs(d["value_deg"] - d["norm_mean_deg"])
            assert d["flagged"] == (distance > d["flag_limit_deg"] + 0.01) or (
                abs(distance - d["flag_limit_deg"]) <= 0.01
            )


def test_video_variable_without_a_known_error_is_never_flagged() -> None:
    angles, rate, events = _norm_trial(20.0, variable="pelvis_obliquity")
    frontal = {"pelvis_obliquity_deg": angles["left_pelvis_obliquity_deg"]}
    doc = compute_gait_curves(frontal, rate, events, source="video", view="frontal").to_json()
    assert doc["deviations"] and max(abs(d["z_score"]) for d in doc["deviations"]) > 5
    assert not any(d["flagged"] for d in doc["deviations"])
    assert all(d["measurement_error_deg"] is None for d in doc["deviations"])


def test_marker_deviation_is_flagged_beyond_two_sd_plus_event_timing() -> None:
    angles, rate, events = _norm_trial(12.0)
    doc = compute_gait_curves(angles, rate, events, source="c3d", view="3d").to_json()
    ic = _check(doc, "left", "knee_flexion", "initial_contact")
    assert ic["approximate"] is False
    assert ic["measurement_error_deg"] == ic["timing_error_deg"]  # no angle error for markers
    assert ic["flagged"] is True
    assert not _check(doc, "right", "knee_flexion", "initial_contact")["flagged"]


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
    """Trials with a leg length in the file, walking at 1.15-1.24 m/s, given a child's age: the
    analysis finds a dimensionless speed of about 0.41, inside the free group's range
    (0.372-0.482; Schwartz et al. 2008 workbook), and says so."""
    from groundup.pipeline.recording import RecordingOptions, analyse_recording

    doc = analyse_recording(c3d_dir / name, RecordingOptions(), age_years=15).doc
    ref = doc["curves"]["reference"]
    print(f"\n{name}: {ref['dimensionless_speed']} -> {ref['speed_group']}")
    assert 0.37 <= ref["dimensionless_speed"] <= 0.48
    assert ref["speed_group"] == "free" and "lies in the range" in ref["note"]
