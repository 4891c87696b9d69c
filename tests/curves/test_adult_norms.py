"""Adults against adult curves: the typical-adult GPS range (leave-one-out over the WBDS
subjects), a healthy adult inside it, and the variables that drive the GPS of every other adult
trial in shared/data/c3d (MANIFEST.md: all adults except the child-sized smk_overground)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from groundup.norms.data import adult_typical_gps
from groundup.norms.typical_gps import GPS_VARIABLES, leave_one_out_gps

WBDS_NAMES = {
    "pelvic_tilt": "pelvis_tilt",
    "pelvic_obliquity": "pelvis_obliquity",
    "pelvic_rotation": "pelvis_rotation",
}
ADULT_TRIALS = (
    "nantes_pig_motion3_ff.c3d",
    "btk_pig_flatfoot_full.c3d",
    "c3dorg_sample09_plugingait.c3d",
    "c3dorg_sample25_analogfpscale04.c3d",
    "btk_motionanalysis_gait.c3d",
    "c3dorg_sample06_newwalk.c3d",
    "btk_coda_demo.c3d",
    "opensim_walking2.c3d",
)
_ROWS: list[str] = []


def _subject_curves(shared_data: Path) -> dict[str, np.ndarray]:
    path = shared_data / "norms" / "adult_wbds" / "adult_reference_gdi_features.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    curves = {}
    for wbds in (*WBDS_NAMES, *GPS_VARIABLES[3:]):
        name = WBDS_NAMES.get(wbds, wbds)
        columns = [f"{wbds}_{pct:03d}" for pct in range(0, 101, 2)]
        curves[name] = np.array([[float(r[c]) for c in columns] for r in rows])
    return curves


def test_typical_adult_gps_range_is_recomputed_from_the_subjects(shared_data) -> None:
    """adult_typical_gps.yaml holds what the leave-one-out computation gives on the 24
    per-subject curves (each subject's GPS against the mean of the other 23)."""
    result = leave_one_out_gps(_subject_curves(shared_data))
    stored = adult_typical_gps()
    for kind in ("left", "right", "overall"):
        computed = result.summary(kind, float(stored["upper_sd"]))
        assert computed == pytest.approx(stored["kinds"][kind], abs=0.002), kind
        assert computed["n_subjects"] == 24


@pytest.fixture(scope="module")
def adult_docs(c3d_dir: Path):
    from groundup.pipeline.recording import RecordingOptions, analyse_recording

    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            cache[name] = analyse_recording(c3d_dir / name, RecordingOptions()).doc
        return cache[name]

    yield get
    print("\ntrial                                  GPS   typical  drivers\n" + "\n".join(_ROWS))


def _row(name: str, overall: dict) -> str:
    typical = overall.get("typical_adult") or {}
    inside = {True: "yes", False: "no"}.get(typical.get("inside"), "-")
    drivers = ", ".join(
        f"{d['side']} {d['variable']} ({d['kind']} {d['offset_deg']:+.1f}, GVS {d['gvs_deg']:.1f})"
        for d in overall["drivers"]
    )
    return f"{name:38s} {overall['value_deg']:5.1f} {inside:>7s}  {drivers}"


def test_healthy_adult_lies_inside_the_typical_adult_gps_range(adult_docs) -> None:
    """btk_functional_walk.c3d (a healthy adult, MANIFEST.md) against the adult curves: its
    overall GPS lies at or below the typical-adult limit, mean + 2 SD of the 24 WBDS subjects'
    leave-one-out GPS (4.82 + 2 x 1.29 = 7.40 deg; adult_typical_gps.yaml)."""
    curves = adult_docs("btk_functional_walk.c3d")["curves"]
    overall = curves["gait_profile_score"]["overall"]
    typical = overall["typical_adult"]
    _ROWS.append(_row("btk_functional_walk.c3d", overall))
    print(
        f"\nbtk_functional_walk: overall GPS {overall['value_deg']} deg; typical adult <= "
        f"{typical['upper_limit_deg']} deg ({typical['method']})"
    )
    assert curves["reference"]["dataset"] == "WBDS2018"
    assert overall["complete"]
    assert typical["upper_limit_deg"] == pytest.approx(7.40, abs=0.01)
    assert typical["inside"] is True and overall["value_deg"] <= typical["upper_limit_deg"]


@pytest.mark.parametrize("name", ADULT_TRIALS)
def test_adult_trial_names_the_variables_that_drive_its_gps(adult_docs, name) -> None:
    """Every other adult trial: the adult curves are used (never the children's), and the GPS
    names its drivers, each split into offset and shape."""
    curves = adult_docs(name)["curves"]
    ref = curves["reference"]
    assert ref["dataset"] == "WBDS2018" and "Schwartz" not in ref["citation"]
    overall = curves["gait_profile_score"]["overall"]
    _ROWS.append(_row(name, overall))
    drivers = overall["drivers"]
    assert 1 <= len(drivers) <= 3
    gvs = curves["gait_variable_scores_deg"]
    largest = max((k for k in gvs if k.split("_", 1)[1] in GPS_VARIABLES), key=lambda k: gvs[k])
    assert f"{drivers[0]['side']}_{drivers[0]['variable']}" == largest
    for d in drivers:
        assert d["kind"] in ("offset", "shape")
        assert d["gvs_deg"] ** 2 == pytest.approx(
            d["offset_deg"] ** 2 + d["shape_rms_deg"] ** 2, rel=0.02, abs=0.05
        )
    assert sum(d["share_pct"] for d in drivers) >= 50.0 or len(drivers) == 3
