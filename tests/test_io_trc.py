"""TRC reading and writing: files shaped like real writers' output, errors, round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from raw_c3d import trial_from_c3d

from groundup.errors import InputError
from groundup.io.trc import read_trc, write_trc
from groundup.trial import Trial

# Header shapes copied from real files (values shortened):
# - OpenSim / SIMM style: tabs, mm, blank line before the data, empty cells for missing markers.
OPENSIM_MM = (
    "PathFileType\t4\t(X/Y/Z)\twalk.trc\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\t"
    "OrigNumFrames\n"
    "100.00\t100.00\t4\t2\tmm\t100.00\t1\t4\n"
    "Frame#\tTime\tLHEE\t\t\tRCAL\t\t\n"
    "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
    "\n"
    "1\t0.000\t100.0\t20.0\t50.0\t300.0\t-20.0\t55.0\n"
    "2\t0.010\t101.0\t20.5\t51.0\t\t\t\n"
    "3\t0.020\t102.0\t21.0\t52.0\tNaN\tNaN\tNaN\n"
    "4\t0.030\t103.0\t21.5\t53.0\t303.0\t-20.0\t58.0\n"
)
# - OpenCap (opencap-processing example walk.trc): spaces after PathFileType, rate "60.0", metres,
#   trailing tabs on the header lines, blank line, Time from 0.
OPENCAP_M = (
    "PathFileType  4\t(X/Y/Z) C:\\Users\\x\\MarkerData\\PostAugmentation\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\t"
    "OrigNumFrames\n"
    "60.0\t60.0\t3\t2\tm\t60.0\t1\t3\n"
    "Frame#\tTime\tLHeel\t\t\tr_calc_study\t\t\t\n"
    "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\t\n"
    "\n"
    "1\t0.0000000\t-4.1298500\t0.1674213\t0.3357800\t-4.0482100\t0.1672333\t0.4834900\n"
    "2\t0.0166667\t-4.1039500\t0.1665063\t0.3303200\t-4.0062200\t0.1666793\t0.4795100\n"
    "3\t0.0333333\t-4.0680300\t0.1655083\t0.3224200\t-3.9738200\t0.1661633\t0.4759600\n"
)
# - Pose2Sim (pose-3d/*.trc): integer rate, metres, OrigDataStartFrame 0, no blank line,
#   Frame# from 1 and Time from one frame period, full-precision floats, pandas' empty NaN cells.
POSE2SIM_M = (
    "PathFileType\t4\t(X/Y/Z)\tS00_P00_T01_BalancingTrial_0-100.trc\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\t"
    "OrigNumFrames\n"
    "60\t60\t3\t2\tm\t60\t0\t3\n"
    "Frame#\tTime\tRHeel\t\t\tLBigToe\t\t\n"
    "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
    "1\t0.016666666666666666\t0.053122526874781154\t0.11957480568671712\t-1.6555171481379325"
    "\t-0.019397346940144163\t0.05803642162619765\t-1.441921477868631\n"
    "2\t0.03333333333333333\t0.05298668334221537\t0.11966929343500177\t-1.6556875738104606"
    "\t\t\t\n"
    "3\t0.05\t0.06017870355542082\t0.10736688959206528\t-1.6376590095939907"
    "\t-0.01574996686672295\t0.06411191580102356\t-1.4514360254652625\n"
)


def _write(tmp_path: Path, text: str, name: str = "trial.trc") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------------------- reading real shapes
def test_opensim_style_mm_with_missing_cells(tmp_path: Path) -> None:
    trial = read_trc(_write(tmp_path, OPENSIM_MM))
    assert trial.point_rate_hz == 100.0
    assert trial.point_units == "m"
    assert trial.n_frames == 4
    assert trial.source_kind == "trc"
    # Labels map to canonical names (LHEE -> left_heel, RCAL -> right_heel).
    assert set(trial.points) == {"left_heel", "right_heel"}
    assert trial.point_labels == {"left_heel": "LHEE", "right_heel": "RCAL"}
    np.testing.assert_allclose(trial.points["left_heel"][0], [0.1, 0.02, 0.05])
    heel = trial.points["right_heel"]
    assert np.isnan(heel[1]).all() and np.isnan(heel[2]).all()  # empty cells and NaN
    np.testing.assert_allclose(heel[3], [0.303, -0.02, 0.058])
    assert trial.quality == []


def test_opencap_style(tmp_path: Path) -> None:
    trial = read_trc(_write(tmp_path, OPENCAP_M))
    assert trial.point_rate_hz == 60.0
    assert trial.n_frames == 3
    np.testing.assert_allclose(trial.points["left_heel"][0], [-4.12985, 0.1674213, 0.33578])
    assert trial.point_labels["left_heel"] == "LHeel"
    assert "r_calc_study" in trial.points  # unknown labels stay as they are
    assert trial.quality == []


def test_pose2sim_style(tmp_path: Path) -> None:
    trial = read_trc(_write(tmp_path, POSE2SIM_M))
    assert trial.point_rate_hz == 60.0
    assert trial.start_time_s == pytest.approx(1 / 60)
    assert trial.points["right_heel"].shape == (3, 3)
    assert np.isnan(trial.points["left_toe"][1]).all()
    assert trial.quality == []


def test_sports2d_pixel_file_is_read_in_pixels(tmp_path: Path) -> None:
    # Sports2D writes "m" in the header of its _px files and a zero Z column.
    lines = POSE2SIM_M.splitlines()
    rows = []
    for line in lines[5:]:
        cells = line.split("\t")
        for z in (4, 7):
            if cells[z]:
                cells[z] = "0.0"
        rows.append("\t".join(cells))
    text = "\n".join(lines[:5] + rows) + "\n"
    trial = read_trc(_write(tmp_path, text, "walk_Sports2D_px_person00.trc"))
    assert trial.point_units == "px"
    assert trial.n_dims == 2
    assert [q.code for q in trial.quality] == ["trc_pixel_file_name"]
    metres = read_trc(_write(tmp_path, text, "walk_Sports2D_m_person00.trc"))
    assert metres.point_units == "m" and metres.n_dims == 3


def test_time_column_disagreeing_with_datarate_is_reported(tmp_path: Path) -> None:
    text = OPENSIM_MM.replace("100.00\t100.00\t4", "120.00\t120.00\t4")
    trial = read_trc(_write(tmp_path, text))
    assert trial.point_rate_hz == 120.0  # DataRate wins
    assert [q.code for q in trial.quality] == ["trc_time_rate_mismatch"]
    assert "100" in trial.quality[0].message


def test_header_count_mismatch_is_reported(tmp_path: Path) -> None:
    text = OPENSIM_MM.replace("100.00\t100.00\t4\t2", "100.00\t100.00\t3\t2")
    trial = read_trc(_write(tmp_path, text))
    assert trial.n_frames == 4
    assert [q.code for q in trial.quality] == ["trc_header_mismatch"]


def test_custom_label_map(tmp_path: Path) -> None:
    from groundup.io.labels import LabelMap

    label_map = LabelMap.from_mapping({"sacrum": ["RCAL"]})
    trial = read_trc(_write(tmp_path, OPENSIM_MM), label_map=label_map)
    assert set(trial.points) == {"sacrum", "LHEE"}


def test_windows_line_endings(tmp_path: Path) -> None:
    trial = read_trc(_write(tmp_path, OPENSIM_MM.replace("\n", "\r\n")))
    assert trial.n_frames == 4


# ---------------------------------------------------------------------------- errors
def _error(tmp_path: Path, text: str) -> InputError:
    with pytest.raises(InputError) as info:
        read_trc(_write(tmp_path, text))
    assert info.value.fix  # every error says what to do
    return info.value


def test_not_a_trc(tmp_path: Path) -> None:
    err = _error(tmp_path, "time,x,y\n0,1,2\n")
    assert "not a TRC" in err.problem


def test_binary_file_is_not_a_trc(tmp_path: Path) -> None:
    path = tmp_path / "trial.trc"
    path.write_bytes(b"\x02\x50" + bytes(600))
    with pytest.raises(InputError, match="not a TRC"):
        read_trc(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_trc(tmp_path / "absent.trc")


def test_truncated_header(tmp_path: Path) -> None:
    err = _error(tmp_path, "\n".join(OPENSIM_MM.splitlines()[:3]))
    assert "header" in err.problem


def test_fewer_frames_than_declared_is_truncated(tmp_path: Path) -> None:
    text = "\n".join(OPENSIM_MM.splitlines()[:-1]) + "\n"
    err = _error(tmp_path, text)
    assert "truncated" in err.problem and "4 frames" in err.problem


def test_row_cut_in_the_middle_is_ragged(tmp_path: Path) -> None:
    text = OPENSIM_MM.rstrip("\n")[:-12] + "\n"
    err = _error(tmp_path, text)
    assert "Line 10" in err.problem


def test_extra_values_in_a_row(tmp_path: Path) -> None:
    text = OPENSIM_MM.replace("53.0\t303.0\t-20.0\t58.0", "53.0\t303.0\t-20.0\t58.0\t7.0")
    err = _error(tmp_path, text)
    assert "columns" in err.problem


def test_coordinate_columns_not_three_per_marker(tmp_path: Path) -> None:
    text = OPENSIM_MM.replace("\t\tX1\tY1\tZ1\tX2\tY2\tZ2", "\t\tX1\tY1\tZ1\tX2\tY2")
    err = _error(tmp_path, text)
    assert "3 per marker" in err.problem


def test_no_markers(tmp_path: Path) -> None:
    text = (
        "PathFileType\t4\t(X/Y/Z)\tempty.trc\n"
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\n"
        "100\t100\t1\t0\tmm\n"
        "Frame#\tTime\n"
        "\t\t\n"
        "1\t0.0\n"
    )
    err = _error(tmp_path, text)
    assert "no markers" in err.problem


def test_not_a_number(tmp_path: Path) -> None:
    err = _error(tmp_path, OPENSIM_MM.replace("102.0", "abc"))
    assert "not a number" in err.problem


def test_unknown_units(tmp_path: Path) -> None:
    err = _error(tmp_path, OPENSIM_MM.replace("\tmm\t", "\tinch\t"))
    assert "inch" in err.problem


def test_header_without_datarate(tmp_path: Path) -> None:
    text = OPENSIM_MM.replace("DataRate\tCameraRate", "Rate\tCameraRate")
    err = _error(tmp_path, text)
    assert "DataRate" in err.problem


# ---------------------------------------------------------------------------- writing
def _synthetic_trial(n_frames: int = 50) -> Trial:
    rng = np.random.default_rng(7)
    heel = rng.normal(0.5, 0.3, size=(n_frames, 3))
    heel[10:14] = np.nan
    return Trial(
        points={"left_heel": heel, "sacrum": rng.normal(1.0, 0.2, size=(n_frames, 3))},
        point_rate_hz=120.0,
        point_labels={"left_heel": "LHEE", "sacrum": "SACR"},
        start_time_s=2.5,
    )


@pytest.mark.parametrize("units", ["mm", "m", "cm"])
def test_round_trip_synthetic(tmp_path: Path, units: str) -> None:
    trial = _synthetic_trial()
    path = tmp_path / f"out_{units}.trc"
    write_trc(trial, path, units=units)
    back = read_trc(path)
    assert back.point_rate_hz == trial.point_rate_hz
    assert back.start_time_s == pytest.approx(2.5)
    assert back.point_labels == trial.point_labels
    assert back.quality == []
    for name, arr in trial.points.items():
        np.testing.assert_array_equal(np.isnan(back.points[name]), np.isnan(arr))
        np.testing.assert_allclose(back.points[name], arr, atol=1e-6, equal_nan=True)


def test_written_header_follows_the_format(tmp_path: Path) -> None:
    path = tmp_path / "out.trc"
    write_trc(_synthetic_trial(), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "PathFileType\t4\t(X/Y/Z)\tout.trc"
    assert lines[1].split("\t")[:5] == [
        "DataRate",
        "CameraRate",
        "NumFrames",
        "NumMarkers",
        "Units",
    ]
    assert lines[2].split("\t")[:5] == ["120", "120", "50", "2", "mm"]
    assert lines[3].split("\t")[:6] == ["Frame#", "Time", "LHEE", "", "", "SACR"]
    assert lines[4] == "\t\tX1\tY1\tZ1\tX2\tY2\tZ2"
    assert lines[6].startswith("1\t2.500000\t")
    assert len(lines[6 + 10].split("\t")) == 8  # a missing marker keeps its empty cells


def test_pixel_trial_round_trip(tmp_path: Path) -> None:
    xy = np.column_stack([np.linspace(100, 400, 30), np.linspace(700, 650, 30)])
    trial = Trial(points={"nose": xy}, point_rate_hz=30.0, point_units="px")
    path = tmp_path / "video.trc"
    write_trc(trial, path)
    back = read_trc(path)
    assert back.point_units == "px" and back.n_dims == 2
    np.testing.assert_allclose(back.points["nose"], xy, atol=1e-4)
    with pytest.raises(InputError):
        write_trc(trial, path, units="mm")


def test_write_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        write_trc(Trial(points={}, point_rate_hz=100.0), tmp_path / "empty.trc")
    with pytest.raises(InputError):
        write_trc(_synthetic_trial(), tmp_path / "x.trc", units="inch")
    with pytest.raises(InputError):
        write_trc(_synthetic_trial(), tmp_path / "no_such_folder" / "x.trc")


# ---------------------------------------------------------------------------- real data
@pytest.mark.parametrize(
    "file_name", ["c3dorg_sample09_plugingait.c3d", "btk_coda_demo.c3d", "opensim_walking2.c3d"]
)
def test_round_trip_of_a_real_trial(c3d_dir: Path, tmp_path: Path, file_name: str) -> None:
    """Real markers (with their real gaps) through TRC and back: same positions within 1e-6 m,
    same gaps, labels mapped to canonical names on the way in."""
    trial = trial_from_c3d(c3d_dir / file_name)
    path = tmp_path / "real.trc"
    write_trc(trial, path)
    back = read_trc(path)
    assert back.n_frames == trial.n_frames
    assert back.point_rate_hz == trial.point_rate_hz
    assert sorted(back.point_labels.values()) == sorted(trial.points)
    for name, label in back.point_labels.items():
        original = trial.points[label]
        np.testing.assert_array_equal(np.isnan(back.points[name]), np.isnan(original))
        np.testing.assert_allclose(back.points[name], original, atol=1e-6, equal_nan=True)
    assert "left_heel" in back.points and "right_heel" in back.points


def test_real_heel_valid_frames_survive_trc(c3d_dir: Path, tmp_path: Path) -> None:
    trial = trial_from_c3d(c3d_dir / "c3dorg_sample09_plugingait.c3d")
    write_trc(trial, tmp_path / "s09.trc", units="m")
    back = read_trc(tmp_path / "s09.trc")
    assert back.valid_frames("left_heel") == 167
    assert back.describe_label("left_heel") == "left_heel (LHEE)"


def test_read_c3d_trial_keeps_its_names_through_trc(c3d_dir: Path, tmp_path: Path) -> None:
    """A trial from the C3D reader (canonical names, source labels) comes back with both."""
    from groundup.io.c3d import read_c3d

    trial = read_c3d(c3d_dir / "btk_coda_demo.c3d")
    write_trc(trial, tmp_path / "coda.trc")
    back = read_trc(tmp_path / "coda.trc")
    assert back.point_labels == trial.point_labels
    for name, arr in trial.points.items():
        np.testing.assert_allclose(back.points[name], arr, atol=1e-6, equal_nan=True)
