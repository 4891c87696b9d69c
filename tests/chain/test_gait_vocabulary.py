"""Gait findings reach the chain through one vocabulary and the curves stage's ``flagged`` field.

Tested on the real C3D samples of ../shared/data: a flagged pelvic drop or knee deviation gives
the matching chain finding, an unflagged one gives none, and nothing is re-derived from the
values (changing only ``flagged`` on the same recording adds or removes the finding).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from groundup.chain.extract import findings_from_analysis
from groundup.chain.knowledge import load_yaml
from groundup.exam.scoring import score_exam
from groundup.norms.data import variables_config
from groundup.pipeline.recording import RecordingOptions, analyse_recording
from groundup.plan.build import plan_visit
from tests.vignettes.runner import healthy_exam, merge

VOCABULARY = load_yaml("findings", "analysis.yaml")["curve_deviations"]
#: every real C3D sample with curves (opensim_walking2 has no flagged deviation, a healthy trial)
TRIALS = (
    "btk_coda_demo.c3d",
    "btk_functional_walk.c3d",
    "btk_motionanalysis_gait.c3d",
    "btk_pig_flatfoot_full.c3d",
    "c3dorg_sample06_newwalk.c3d",
    "c3dorg_sample09_plugingait.c3d",
    "c3dorg_sample25_analogfpscale04.c3d",
    "nantes_pig_motion3_ff.c3d",
    "opensim_walking2.c3d",
    "smk_overground.c3d",
)


@cache
def _analysis(path: str) -> dict[str, Any]:
    return analyse_recording(Path(path), RecordingOptions()).doc


def _doc(c3d_dir: Path, name: str) -> dict[str, Any]:
    return copy.deepcopy(_analysis(str(c3d_dir / name)))


def _gait(doc: dict[str, Any]) -> dict[str, Any]:
    findings, _ = findings_from_analysis(doc, "female")
    return {f.key: f for f in findings if f.measure.startswith("curve_")}


def _expected(doc: dict[str, Any]) -> set[str]:
    """The findings the documented vocabulary promises for the flagged deviations."""
    out = set()
    for dev in doc["curves"]["deviations"]:
        if dev["flagged"] is not True:
            continue
        for meaning in VOCABULARY["variables"].get(dev["variable"], []):
            if dev["phase"] not in meaning["phases"]:
                continue
            above = dev["value_deg"] > dev["norm_mean_deg"]
            if meaning["direction"] == "either" or (meaning["direction"] == "above") == above:
                out.add(f"curve_{dev['variable']}_{meaning['tag']}.{dev['side']}")
    return out


def test_vocabulary_names_are_the_curve_variables() -> None:
    known = set(variables_config()["variables"])
    assert set(VOCABULARY["variables"]) <= known
    assert VOCABULARY["flag_key"] == "flagged"


@pytest.mark.slow
@pytest.mark.parametrize("name", TRIALS)
def test_only_flagged_deviations_become_findings(c3d_dir: Path, name: str) -> None:
    doc = _doc(c3d_dir, name)
    got = _gait(doc)
    assert set(got) == _expected(doc)
    unflagged = [d for d in doc["curves"]["deviations"] if not d["flagged"]]
    assert unflagged, "every trial has key-instant values inside the band"
    print(name, sorted(got))


@pytest.mark.slow
def test_flagged_pelvic_drop_gives_the_chain_finding(c3d_dir: Path) -> None:
    # c3dorg_sample06: right pelvic obliquity at right mid-stance 7.3 deg against a norm mean of
    # 0.3 deg, flagged by the curves stage: the left side of the pelvis drops in right stance.
    doc = _doc(c3d_dir, "c3dorg_sample06_newwalk.c3d")
    dev = next(
        d
        for d in doc["curves"]["deviations"]
        if (d["variable"], d["side"], d["phase"]) == ("pelvis_obliquity", "right", "mid_stance")
    )
    assert dev["flagged"] is True and dev["value_deg"] > dev["norm_mean_deg"]
    finding = _gait(doc)["curve_pelvis_obliquity_pelvic_drop.right"]
    assert finding.tags == ("pelvic_drop",) and finding.region == "hip_pelvis"
    # the same recording with only `flagged` turned off: no finding (nothing re-derived)
    dev["flagged"] = False
    assert "curve_pelvis_obliquity_pelvic_drop.right" not in _gait(doc)


@pytest.mark.slow
def test_unflagged_pelvic_obliquity_gives_no_finding_until_flagged(c3d_dir: Path) -> None:
    # smk_overground: left pelvic obliquity at mid-stance lies inside the band (unflagged)
    doc = _doc(c3d_dir, "smk_overground.c3d")
    dev = next(
        d
        for d in doc["curves"]["deviations"]
        if (d["variable"], d["side"], d["phase"]) == ("pelvis_obliquity", "left", "mid_stance")
    )
    assert dev["flagged"] is False
    assert not any(k.startswith("curve_pelvis_obliquity") for k in _gait(doc))
    dev.update(flagged=True, value_deg=dev["norm_mean_deg"] + 6.0)
    assert "curve_pelvis_obliquity_pelvic_drop.left" in _gait(doc)


@pytest.mark.slow
def test_flagged_knee_valgus_gives_the_chain_finding(c3d_dir: Path) -> None:
    # btk_coda_demo: left knee varus/valgus at initial contact -7.8 deg against a norm mean near
    # 0 deg (valgus). Whether it is flagged is the curves stage's decision (norm band plus the
    # measurement error); the finding follows that field alone, both ways, on this recording.
    doc = _doc(c3d_dir, "btk_coda_demo.c3d")
    devs = doc["curves"]["deviations"]
    dev = next(
        (
            d
            for d in devs
            if (d["variable"], d["side"], d["phase"]) == ("knee_varus", "left", "initial_contact")
        ),
        None,
    )
    if dev is None:
        # a norm set without a knee varus/valgus curve reports no such deviation: add one in the
        # documented shape (a copy of this trial's own record, as the curves stage writes it)
        dev = dict(devs[0], variable="knee_varus", side="left", phase="initial_contact")
        dev.update(value_deg=-7.8, norm_mean_deg=0.1, flagged=False)
        doc["curves"]["deviations"] = [*devs, dev]
    assert dev["value_deg"] < dev["norm_mean_deg"] - 5.0
    key = "curve_knee_varus_knee_valgus.left"
    assert (key in _gait(doc)) == dev["flagged"]
    dev["flagged"] = True
    finding = _gait(doc)[key]
    assert finding.tags == ("knee_valgus",) and finding.region == "knee"
    assert "curve_knee_varus_knee_valgus.right" not in _gait(doc)
    dev["flagged"] = False
    assert key not in _gait(doc)
    # flagged, but at toe off (knee flexion leaks into the frontal-plane angle) or in the varus
    # direction: no valgus finding
    for phase, value in (("toe_off", dev["value_deg"]), ("initial_contact", 10.0)):
        other = dict(dev, side="right", phase=phase, flagged=True, value_deg=value)
        doc["curves"]["deviations"] = [*doc["curves"]["deviations"], other]
        assert "curve_knee_varus_knee_valgus.right" not in _gait(doc), phase


@pytest.mark.slow
def test_c3d_finding_joins_the_exam_in_the_chain(c3d_dir: Path) -> None:
    # the flagged right pelvic drop of sample06 with a positive right Trendelenburg and back pain
    doc = _doc(c3d_dir, "c3dorg_sample06_newwalk.c3d")
    exam = score_exam(
        merge(
            healthy_exam(),
            {
                "tests": {"trendelenburg": {"result": {"left": "negative", "right": "positive"}}},
                "questionnaires": {"pain_nrs": {"current": 4}},
            },
        )
    )
    chain, _ = plan_visit(doc, exam)
    link = next(
        lk
        for c in chain["chains"]
        for lk in c["links"]
        if (lk["side"], lk["from"], lk["to"]) == ("right", "hip_pelvis", "lumbar")
    )
    ids = {r["id"] for r in link["supporting"]}
    assert "curve_pelvis_obliquity_pelvic_drop.right" in ids
    assert {"hip_abductor_weakness.right"} <= {p["id"] for p in chain["problems"]}
    # the same chain without the flag has only the exam finding
    for dev in doc["curves"]["deviations"]:
        dev["flagged"] = False
    chain2, _ = plan_visit(doc, exam)
    refs = {r["id"] for c in chain2["chains"] for lk in c["links"] for r in lk["supporting"]}
    assert not any(r.startswith("curve_") for r in refs)
