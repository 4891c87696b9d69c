"""Every number in knowledge/norms is traceable to its source."""

from __future__ import annotations

import csv
import hashlib
import itertools

import yaml

from groundup.norms.data import NORMS_DIR, schwartz_curves, schwartz_cycle_events


def _sources() -> dict:
    return yaml.safe_load((NORMS_DIR / "sources.yaml").read_text())["files"]


def test_every_data_file_has_source_licence_and_checksum() -> None:
    data_files = {p.name for p in NORMS_DIR.glob("*.csv")}
    sources = _sources()
    assert data_files <= set(sources), f"data files without metadata: {data_files - set(sources)}"
    for name, meta in sources.items():
        path = NORMS_DIR / name
        assert path.exists(), name
        assert meta.get("citation") and meta.get("licence"), name
        if name.endswith(".csv"):
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            assert len(rows) == meta["rows"], name
            assert list(rows[0]) == meta["columns"], name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == meta["sha256"], name
            assert (NORMS_DIR / meta["licence_file"]).exists()


def test_shipped_norms_equal_the_shared_source_files(shared_data) -> None:
    for name in ("schwartz2008_curves.csv", "schwartz2008_cycle_events.csv"):
        shipped = (NORMS_DIR / name).read_bytes()
        source = (shared_data / "norms" / name).read_bytes()
        assert shipped == source, f"{name} differs from shared/data/norms/{name}"


def test_speed_groups_equal_the_workbook_anova_sheet(shared_data) -> None:
    """schwartz2008_speed_groups.csv holds the "Dimensionless Speed" block of the workbook's
    ANOVA sheet unchanged (N, Mean, Std. Deviation, Minimum, Maximum per group)."""
    import xlrd

    from groundup.norms.data import schwartz_speed_groups

    book = xlrd.open_workbook(str(shared_data / "norms" / "schwartz2008_original.xls"))
    sheet = book.sheet_by_name("ANOVA")
    first = next(r for r in range(sheet.nrows) if sheet.row_values(r)[0] == "Dimensionless Speed")
    names = {"Very Slow": "very_slow", "Slow": "slow", "Free": "free", "Fast": "fast"}
    names["Very Fast"] = "very_fast"
    source = {}
    for row in range(first, first + 5):
        values = sheet.row_values(row)
        n, mean, sd, _se, _low95, _high95, minimum, maximum = values[2:10]
        source[names[values[1]]] = (int(n), mean, sd, minimum, maximum)
    shipped = {g.speed: (g.n, g.mean, g.sd, g.minimum, g.maximum) for g in schwartz_speed_groups()}
    assert shipped == source


def test_known_values_from_the_manifest() -> None:
    knee = schwartz_curves()[("Knee Flex/Extension", "free")]
    assert knee.pct[0] == 0 and len(knee.pct) == 51
    assert knee.mean[0] == 5.5537
    assert abs(knee.sd[0] - (11.2088 - 5.5537)) < 1e-9
    assert schwartz_cycle_events()[("opposite_foot_off", "free")] == 10.0


def test_every_normative_series_named_in_variables_exists() -> None:
    cfg = yaml.safe_load((NORMS_DIR / "variables.yaml").read_text())
    speeds = _sources()["schwartz2008_curves.csv"]["speeds"]
    for base, spec in cfg["variables"].items():
        if spec["norm"] is not None:
            for speed in speeds:
                assert (spec["norm"], speed) in schwartz_curves(), (base, speed)
        assert spec["views"], base
        if base.endswith(("rotation", "progression")):
            assert spec["views"] == ["3d"], f"{base}: transverse rotations never from one camera"


def test_shipped_adult_curves_equal_the_wbds_bands(shared_data) -> None:
    """wbds2018_adult_curves.csv is adult_reference_bands_51.csv with GroundUp's names, foot
    progression negated (internal positive) and every other value unchanged."""
    from groundup.norms.data import adult_curves

    source: dict[str, list[tuple[float, float, float]]] = {}
    path = shared_data / "norms" / "adult_wbds" / "adult_reference_bands_51.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            source.setdefault(row["variable"], []).append(
                (float(row["percent"]), float(row["mean"]), float(row["sd"]))
            )
    with (NORMS_DIR / "wbds2018_adult_curves.csv").open(newline="", encoding="utf-8") as fh:
        names = {r["source_variable"]: r["variable"] for r in csv.DictReader(fh)}
    assert len(names) == 9
    for wbds, rows in source.items():
        curve = adult_curves()[names[wbds]]
        sign = -1.0 if wbds == "foot_progression" else 1.0
        assert [r[0] for r in rows] == curve.pct.tolist()
        assert [sign * r[1] for r in rows] == curve.mean.tolist()
        assert [r[2] for r in rows] == curve.sd.tolist()
    knee = adult_curves()["knee_flexion"]  # MANIFEST: 0.1 +/- 3.9 deg at 0 %
    assert round(knee.mean[0], 1) == 0.1 and round(knee.sd[0], 1) == 3.9


def test_measurement_errors_have_sources() -> None:
    """Every error figure names a source listed in measurement_error.yaml; Stenum et al. 2021's
    sagittal figures (hip 4.0, knee 5.6, ankle 7.4 degrees) are the video ones, raised to
    GroundUp's own virtual-camera floor where that is larger."""
    from groundup.norms.data import measurement_error, measurement_errors

    data = measurement_errors()
    for by_view in data["errors"].values():
        for entries in by_view.values():
            for spec in entries.values():
                if "error_deg" in spec:
                    assert spec["source"] in data["sources"] and spec["error_deg"] >= 0
                if "floor_deg" in spec:
                    assert spec["floor_source"] in data["sources"] and spec["floor_deg"] >= 0
    assert measurement_error("video", "sagittal", "knee_flexion")["error_deg"] == 5.6
    assert measurement_error("video", "sagittal", "ankle_dorsiflexion")["error_deg"] == 7.4
    # the hip: GroundUp's own 2-D floor (6, thigh against the trunk line) exceeds Stenum's 4.0
    hip = measurement_error("video", "sagittal", "hip_flexion")
    assert hip["error_deg"] == 6.0 and hip["source"] == "groundup_virtual_camera"
    # a floor alone is no total error: rear-view pelvic obliquity is not flagged
    assert measurement_error("video", "frontal", "pelvis_obliquity") is None
    assert measurement_error("video", "sagittal_far_leg", "knee_flexion") is None
    assert measurement_error("c3d", "3d", "hip_rotation")["error_deg"] == 0.0


def test_speed_groups_from_the_workbook_do_not_overlap() -> None:
    """Schwartz et al. 2008, ANOVA sheet: the free group's 82 children walked at dimensionless
    speeds 0.372-0.482 (mean 0.429); the five ranges follow each other without overlap."""
    from groundup.norms.data import SCHWARTZ_SPEEDS, schwartz_speed_groups

    groups = schwartz_speed_groups()
    assert tuple(g.speed for g in groups) == SCHWARTZ_SPEEDS
    free = groups[2]
    assert (free.n, round(free.mean, 3), free.minimum) == (82, 0.429, 0.37212)
    for slower, faster in itertools.pairwise(groups):
        assert slower.maximum < faster.minimum
        assert slower.minimum <= slower.mean <= slower.maximum


def test_speed_group_is_chosen_from_dimensionless_speed() -> None:
    """Children's curves only: the speed group follows the dimensionless speed."""
    from groundup.norms.reference import choose_reference, speed_group_for

    assert speed_group_for(0.20)[0] == "very_slow"
    assert speed_group_for(0.30)[0] == "slow"
    assert speed_group_for(0.43)[0] == "free"
    assert speed_group_for(0.55)[0] == "fast"
    assert speed_group_for(0.70)[0] == "very_fast"
    group, why = speed_group_for(0.05)
    assert group == "very_slow" and "slower than every child" in why
    group, why = speed_group_for(0.365)  # between slow (max 0.359) and free (min 0.372)
    assert group == "slow" and "between two groups" in why
    # A 12-year-old: 1.25 m/s on a 0.9 m leg: 0.42, free; 0.7 m/s: 0.24, slow.
    assert choose_reference(12, 1.25, 0.9).speed_group == "free"
    slow = choose_reference(12, 0.7, 0.9)
    assert slow.speed_group == "slow" and "'slow' group" in slow.note
    named = choose_reference(12, 0.7, 0.9, speed_group="free")
    assert named.speed_group == "free" and "as requested" in named.note
    unknown = choose_reference(12, None, None)
    assert unknown.speed_group == "free" and "not known" in unknown.note


def test_norm_set_is_chosen_by_age_and_named() -> None:
    """Under 18 years the children's curves (Schwartz 2008); 18 and over, and unknown age, the
    adults' (WBDS): every choice says which set and why."""
    from groundup.norms.reference import choose_reference

    child = choose_reference(10, 1.1, 0.7)
    assert (child.dataset, child.patient_group) == ("Schwartz2008", "child")
    assert "10 y < 18 y" in child.selected_by
    adult = choose_reference(46, 1.25, 0.9)
    assert (adult.dataset, adult.patient_group) == ("WBDS2018", "adult")
    assert adult.speed_group == "comfortable" and "46 y >= 18 y" in adult.selected_by
    assert adult.events_pct["foot_off"] == 60.0  # Perry & Burnfield 2010
    unknown = choose_reference(None, None, None)
    assert (unknown.dataset, unknown.patient_group) == ("WBDS2018", "unknown age")
    assert "age not given" in unknown.selected_by and "give the age" in unknown.note
    assert choose_reference(18, None, None).dataset == "WBDS2018"
    assert choose_reference(17.9, None, None).dataset == "Schwartz2008"


def test_shipped_adult_spatiotemporal_values_equal_the_h2a_table(shared_data) -> None:
    """wbds2018_adult_spatiotemporal.csv: every subject and speed of h2a_allspeeds_43subs.csv,
    speed unchanged, cadence and step length rounded to 3 and 4 decimals."""
    source = shared_data / "norms" / "adult_wbds" / "spatiotemporal" / "h2a_allspeeds_43subs.csv"
    with source.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (NORMS_DIR / "wbds2018_adult_spatiotemporal.csv").open(newline="", encoding="utf-8") as fh:
        shipped = list(csv.DictReader(fh))
    assert len(shipped) == len(rows) == 258
    for src, row in zip(rows, shipped, strict=True):
        assert row["age_group"] == src["AgeGroup"].lower()
        assert row["speed_category"] == src["SpeedCat"] and row["speed_m_s"] == src["Speed"]
        assert abs(float(row["cadence_steps_per_min"]) - float(src["Cadence"])) <= 5.01e-4
        assert abs(float(row["step_length_m"]) - float(src["StepLength"])) <= 5.01e-5


def test_adult_cadence_at_speed_follows_the_wbds_subjects() -> None:
    """MANIFEST.md: at V5 (about their comfortable speed) the young adults walked 1.23 m/s at
    116 steps/min with 0.64 m steps; older adults 1.27 m/s, 122 steps/min, 0.62 m."""
    from groundup.norms.spatiotemporal import adult_value_at_speed, age_groups_for

    young = adult_value_at_speed("cadence_steps_per_min", 1.23, 30)
    assert young is not None and young.groups == ("young",)
    assert abs(young.mean - 116) < 2 and 3 < young.sd < 9 and young.n_subjects >= 10
    step = adult_value_at_speed("step_length_m", 1.23, 30)
    assert step is not None and abs(step.mean - 0.64) < 0.02
    older = adult_value_at_speed("cadence_steps_per_min", 1.27, 65)
    assert older is not None and older.groups == ("older",) and abs(older.mean - 122) < 2
    slow = adult_value_at_speed("cadence_steps_per_min", 0.7, 30)
    assert slow is not None and slow.mean < young.mean - 20  # cadence falls with speed
    assert age_groups_for(46) == ("young", "older") and age_groups_for(None) == ("young", "older")
    assert age_groups_for(40) == ("young",) and age_groups_for(80) == ("older",)
    assert adult_value_at_speed("cadence_steps_per_min", 2.5, 30) is None  # no extrapolation
    assert adult_value_at_speed("cadence_steps_per_min", None, 30) is None
