"""Keypoint names from other pose tools map to GroundUp's canonical landmarks."""

from __future__ import annotations

from groundup.io.labels import LabelMap
from groundup.io.openpose import BODY_25, BODY_25_LABELS


def test_openpose_body25_labels_map_to_canonical_names() -> None:
    chosen, _ = LabelMap.default().assign(list(BODY_25_LABELS), [10] * len(BODY_25_LABELS))
    for name, label in zip(BODY_25, BODY_25_LABELS, strict=True):
        assert BODY_25_LABELS[chosen[name]] == label


def test_pose2sim_and_blazepose_names() -> None:
    labels = ["Hip", "LHip", "RKnee", "LBigToe", "LSmallToe", "Head", "left_foot_index", "RHeel"]
    chosen, _ = LabelMap.default().assign(labels, [10] * len(labels))
    got = {name: labels[i] for name, i in chosen.items()}
    assert got["mid_hip"] == "Hip"
    assert got["left_hip"] == "LHip"  # a joint-centre estimate, never an ASIS marker
    assert "left_asis" not in got
    assert got["right_knee"] == "RKnee"
    assert got["left_toe"] in ("LBigToe", "left_foot_index")
    assert got["left_small_toe"] == "LSmallToe"
    assert got["head"] == "Head"
    assert got["right_heel"] == "RHeel"
