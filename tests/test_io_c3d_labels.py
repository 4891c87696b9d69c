"""C3D reading and the marker label map on the real trials of several labs."""

from __future__ import annotations

from pathlib import Path

import pytest
from reference_contacts import CLEAN_CONTACTS

from groundup.io.c3d import read_c3d
from groundup.io.labels import LabelMap, normalise_label


@pytest.mark.parametrize(
    ("label", "expected"),
    [("IS070607:LHEE", "lhee"), ("L.Heel", "lheel"), ("l heel", "lheel"), ("r_asis", "rasis")],
)
def test_normalise_label(label: str, expected: str) -> None:
    assert normalise_label(label) == expected


@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_every_walking_trial_maps_heels_toes_and_pelvis(c3d_dir: Path, name: str) -> None:
    trial = read_c3d(c3d_dir / name)
    for landmark in ("left_heel", "right_heel", "left_toe", "right_toe"):
        assert trial.has(landmark, min_valid_frames=50), (name, landmark)
    assert any(trial.has(n) for n in ("left_asis", "left_psis", "sacrum"))
    assert trial.point_units == "m"
    assert trial.force_plates and trial.force_plates[0].force_n.shape[1] == 3


def test_duplicate_labels_keep_the_copy_with_data(c3d_dir: Path) -> None:
    # newwalk: RANK/LANK/RKNE/LKNE declared twice, the second copy empty
    trial = read_c3d(c3d_dir / "c3dorg_sample06_newwalk.c3d")
    assert trial.valid_frames("right_ankle") == 130
    assert any(q.code == "duplicate_marker_label" for q in trial.quality)


def test_units_and_subject(c3d_dir: Path) -> None:
    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    assert trial.subject.mass_kg == pytest.approx(74.0)
    assert trial.subject.height_m == pytest.approx(1.76)
    assert trial.start_time_s == pytest.approx(7.24)
    # Plug-in Gait's PROCESSING:LLegLength / RLegLength (920 mm each in this file).
    assert trial.subject.leg_length_m == pytest.approx(0.92)
    assert read_c3d(c3d_dir / "btk_functional_walk.c3d").subject.leg_length_m == pytest.approx(
        0.8825
    )
    heel_height_m = float(trial.points["left_heel"][:, 2].min())
    assert 0.0 < heel_height_m < 0.1  # metres, not millimetres


def test_bad_label_map_file(tmp_path: Path) -> None:
    bad = tmp_path / "labels.yaml"
    bad.write_text("left_heel: LHEE\n")
    with pytest.raises(Exception, match="no 'landmarks' mapping"):
        LabelMap.load(bad)
