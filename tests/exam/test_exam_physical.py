"""Must show 1 (physical tests): scoring rules and norm comparisons of the catalogue tests."""

from __future__ import annotations

import numpy as np
import pytest

from groundup.exam.scoring import score_exam
from groundup.exam.squat import knee_fppa_deg, pelvic_drop_deg, squat_angles, trunk_lean_deg


def _tests(tests: dict, patient: dict | None = None) -> dict:
    doc = score_exam({"patient": patient or {}, "tests": tests})
    assert doc["errors"] == []
    return doc["tests"]


def test_fpi6_total_category_and_asymmetry() -> None:
    # Redmond 2006: total = sum of six items; manual bands; Rokkedal-Lausch 2013 right - left.
    t = _tests(
        {"foot_posture_index": {"items": {"left": [2, 2, 1, 2, 2, 1], "right": [0, 1, 0, 1, 1, 0]}}}
    )["foot_posture_index"]
    r = t["results"]
    assert (r["left"]["total"], r["left"]["category"]) == (10, "highly pronated")
    assert (r["right"]["total"], r["right"]["category"]) == (3, "normal")
    assert (r["right_minus_left"], r["asymmetry"]) == (-7, "severe asymmetry")
    comp = next(c for c in t["comparisons"] if c["measure"] == "fpi_right_minus_left")
    assert comp["citation"]["key"] == "rokkedal2013"


@pytest.mark.parametrize(
    ("drop", "label"),
    [
        (9.9, "normal"),
        (10, "borderline"),
        (15, "borderline"),
        (15.5, "abnormal (excessive pronation)"),
    ],
)
def test_navicular_drop_against_brody(drop: float, label: str) -> None:
    t = _tests({"navicular_drop": {"drop_mm": {"left": drop}}})["navicular_drop"]
    assert t["results"]["left"]["category"] == label
    assert t["comparisons"][0]["citation"]["key"] == "brody1982"


def test_arch_height_index() -> None:
    t = _tests(
        {
            "arch_height_index": {
                "dorsal_height_sitting_mm": {"right": 66},
                "dorsal_height_standing_mm": {"right": 60},
                "truncated_foot_length_mm": {"right": 200},
            }
        }
    )
    r = t["arch_height_index"]["results"]["right"]
    assert r["ahi_standing"] == pytest.approx(0.30)
    assert r["ahi_sitting"] == pytest.approx(0.33)
    assert r["arch_rigidity_index"] == pytest.approx(0.30 / 0.33, abs=1e-3)
    assert r["arch_drop_mm"] == pytest.approx(6.0)


def test_lunge_distance_asymmetry_and_angle_estimate() -> None:
    # 2.5 cm is within the healthy range (68 % within 1.5 cm, about 1 SD): not flagged; 3.5 cm
    # is beyond about 2 SD (3.0 cm) and flags the shorter side
    t = _tests({"weight_bearing_lunge": {"distance_cm": {"left": 12.5, "right": 10.0}}})
    t = t["weight_bearing_lunge"]
    assert t["results"]["right_minus_left_cm"] == -2.5
    assert t["results"]["left"]["approx_angle_deg"] == pytest.approx(12.5 * 3.6)
    assert t["findings"] == []
    t = _tests({"weight_bearing_lunge": {"distance_cm": {"left": 12.5, "right": 9.0}}})
    assert t["weight_bearing_lunge"]["findings"][0]["side"] == "right"


def test_heel_raise_norm_depends_on_protocol_and_sex() -> None:
    flat = _tests({"heel_raise": {"count": {"left": 20, "right": 30}}})["heel_raise"]
    assert flat["comparisons"][0]["reference_value"] == 27.9
    assert flat["results"]["symmetry_pct"] == pytest.approx(66.7)
    incline = _tests(
        {"heel_raise": {"count": {"left": 22}, "incline_10deg": True}}, {"sex": "male"}
    )["heel_raise"]
    assert incline["comparisons"][0]["reference_value"] == 24
    assert incline["comparisons"][0]["citation"]["key"] == "heberlosier2017"


def test_single_leg_stance_uses_the_age_and_sex_group() -> None:
    t = _tests(
        {"single_leg_stance": {"eyes_closed_s": {"left": 5.0, "right": 9.0}}},
        {"age_y": 55, "sex": "male"},
    )["single_leg_stance"]
    refs = {c["side"]: (c["reference_value"], c["result"]) for c in t["comparisons"]}
    assert refs["left"] == (8.6, "under the age-group mean (context, not graded)")
    assert refs["right"] == (8.6, "at or above the age-group mean")
    assert t["comparisons"][0]["citation"]["evidence"] == "secondary"
    # a time under a mean is not a deficit: no finding from the eyes-closed condition
    assert t["findings"] == []


def test_single_leg_stance_eyes_open_graded_by_the_5_s_criterion() -> None:
    # Vellas 1997: unable to stand 5 s on one leg (eyes open) predicts injurious falls.
    t = _tests(
        {"single_leg_stance": {"eyes_open_s": {"left": 3.0, "right": 5.0}}},
        {"age_y": 78, "sex": "female"},
    )["single_leg_stance"]
    graded = {c["side"]: c["result"] for c in t["comparisons"] if c["norm"]["id"] == "eyes_open_5s"}
    assert graded == {
        "left": "below the 5-s one-leg balance criterion",
        "right": "at or above the 5-s criterion",
    }
    assert [f["side"] for f in t["findings"]] == ["left"]
    context = [c for c in t["comparisons"] if c["norm"]["id"] == "eyes_open_older_adult_mean"]
    assert {c["reference_value"] for c in context} == {17.2}
    assert context[0]["citation"]["key"] == "bohannon2006_sls"


def test_heel_raise_graded_only_below_the_lower_limit_of_normal() -> None:
    # 20 rises is under the mean 27.9 but above mean - 2 SD: not a deficit; 4 rises is.
    t = _tests({"heel_raise": {"count": {"left": 20, "right": 4}}})["heel_raise"]
    assert [f["side"] for f in t["findings"]] == ["right"]
    limit = [c for c in t["comparisons"] if c["norm"]["id"] == "flat_lower_limit"]
    assert {c["side"]: c["result"] for c in limit} == {
        "left": "within normal limits",
        "right": "below the lower limit of normal",
    }
    incline = _tests(
        {"heel_raise": {"count": {"left": 10}, "incline_10deg": True}}, {"sex": "male"}
    )["heel_raise"]
    assert incline["findings"] == []


def test_side_bridge_asymmetry_is_judged() -> None:
    # right/left 48/70 = 0.69: beyond the 1.0 +/- 0.05 target, the right side is weaker
    t = _tests(
        {
            "mcgill_endurance": {
                "flexion_s": 80,
                "extension_s": 120,
                "side_bridge_s": {"left": 70, "right": 48},
            }
        }
    )["mcgill_endurance"]
    assert t["results"]["side_bridge_weaker_side"] == "right"
    assert any(f["side"] == "right" and "side bridge" in f["text"] for f in t["findings"])
    even = _tests(
        {
            "mcgill_endurance": {
                "flexion_s": 80,
                "extension_s": 120,
                "side_bridge_s": {"left": 60, "right": 62},
            }
        }
    )["mcgill_endurance"]
    assert "side_bridge_weaker_side" not in even["results"]


def test_y_balance_composite_and_anterior_asymmetry() -> None:
    # Plisky 2006: composite = (ANT + PM + PL) / (3 x limb length) x 100; ANT difference > 4 cm.
    t = _tests(
        {
            "y_balance": {
                "limb_length_cm": {"left": 90, "right": 90},
                "anterior_cm": {"left": [60, 62, 61], "right": 67},
                "posteromedial_cm": {"left": 95, "right": 100},
                "posterolateral_cm": {"left": 88, "right": 90},
            }
        }
    )["y_balance"]
    r = t["results"]
    assert r["left"]["anterior_cm"] == 62  # maximum of the trials
    assert r["left"]["composite_pct"] == pytest.approx((62 + 95 + 88) / 270 * 100, abs=0.05)
    assert r["right"]["composite_pct"] == pytest.approx((67 + 100 + 90) / 270 * 100, abs=0.05)
    assert r["anterior_right_minus_left_cm"] == 5
    results = {(c["measure"], c.get("side")): c["result"] for c in t["comparisons"]}
    assert results[("composite_pct", "left")] == "low composite reach"  # 90.7 % < 94 %
    assert results[("anterior_asymmetry_cm", None)] == "anterior asymmetry"


def test_mcgill_ratios() -> None:
    t = _tests(
        {
            "mcgill_endurance": {
                "flexion_s": 120,
                "extension_s": 150,
                "side_bridge_s": {"left": 80, "right": 100},
            }
        },
        {"sex": "female"},
    )["mcgill_endurance"]
    ratios = t["results"]["ratios"]
    assert ratios["flexion_to_extension"] == pytest.approx(0.8)
    assert ratios["side_bridge_right_to_left"] == pytest.approx(1.25)
    assert ratios["side_bridge_mean_to_extension"] == pytest.approx(0.6)
    ref = next(
        c
        for c in t["comparisons"]
        if c["norm"]["id"] == "side_bridge_to_extension" and "reference_value" in c
    )
    assert ref["reference_value"] == 0.39  # McGill 1999, women


def test_aslr_sum_and_hip_strength_normalisation() -> None:
    t = _tests(
        {
            "active_straight_leg_raise": {"difficulty": {"left": 0, "right": 1}},
            "hip_abductor_strength": {
                "force_n": {"left": 150, "right": 120},
                "lever_arm_m": {"left": 0.4, "right": 0.4},
            },
        },
        {"mass_kg": 60},
    )
    assert t["active_straight_leg_raise"]["results"]["total"] == 1
    assert t["active_straight_leg_raise"]["comparisons"][0]["result"] == "positive ASLR"
    hip = t["hip_abductor_strength"]["results"]
    assert hip["left"]["force_n_per_kg"] == pytest.approx(2.5)
    assert hip["right"]["torque_nm_per_kg"] == pytest.approx(0.8)
    assert (hip["symmetry_pct"], hip["weaker_side"]) == (80.0, "right")


def test_squat_angles_from_keypoints_geometry() -> None:
    # Image pixels, y down, patient facing the camera (their left hip on the image right).
    # Left-leg squat: knee 20 px medial of the hip-ankle line at mid-shank height.
    hip, knee, ankle = np.array([220.0, 300]), np.array([200.0, 400]), np.array([220.0, 500])
    mid_hip = np.array([180.0, 305])
    fppa = knee_fppa_deg(hip, knee, ankle, mid_hip)
    expected = 180 - np.degrees(2 * np.arctan(100 / 20))
    assert fppa == pytest.approx(expected)
    assert fppa > 0  # medial = valgus
    assert knee_fppa_deg(hip, np.array([240.0, 400]), ankle, mid_hip) == pytest.approx(-expected)
    assert pelvic_drop_deg(np.array([220.0, 300]), np.array([140.0, 310])) == pytest.approx(
        np.degrees(np.arctan2(10, 80))
    )
    lean = trunk_lean_deg(
        np.array([220.0, 300]),
        np.array([140.0, 300]),
        np.array([230.0, 100]),
        np.array([150.0, 100]),
    )
    assert lean == pytest.approx(np.degrees(np.arctan2(10, 200)))
    # the deepest frame is where the stance hip is lowest in the image
    frames = {
        "left_hip": np.array([[220.0, 280], hip]),
        "right_hip": np.array([[140.0, 280], [140, 310]]),
        "left_knee": np.array([[220.0, 390], knee]),
        "right_knee": np.array([[140.0, 390]] * 2),
        "left_ankle": np.array([ankle, ankle]),
        "right_ankle": np.array([[140.0, 500]] * 2),
        "left_shoulder": np.array([[230.0, 100]] * 2),
        "right_shoulder": np.array([[150.0, 100]] * 2),
    }
    angles = squat_angles(frames, "left")
    assert angles["deepest_frame"] == 1
    assert angles["knee_fppa_deg"] == pytest.approx(expected)
