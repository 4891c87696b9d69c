"""GroundUp's conventional-gait-model angles against the Plug-in Gait angles stored in the files."""

from __future__ import annotations

import numpy as np
import pytest

from groundup.trial import SIDES
from tests.curves.conftest import PIG_TRIALS

# Plug-in Gait outputs of the nine GPS variables (Baker et al. 2009), X = sagittal.
GPS_OUTPUTS = {
    "pelvis_tilt": ("PelvisAngles", 0),
    "pelvis_obliquity": ("PelvisAngles", 1),
    "pelvis_rotation": ("PelvisAngles", 2),
    "hip_flexion": ("HipAngles", 0),
    "hip_adduction": ("HipAngles", 1),
    "hip_rotation": ("HipAngles", 2),
    "knee_flexion": ("KneeAngles", 0),
    "ankle_dorsiflexion": ("AnkleAngles", 0),
    "foot_progression": ("FootProgressAngles", 2),
}
# Compared frame by frame with the stored outputs.
_FRAME_BY_FRAME = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion", "pelvis_tilt")
COMPARED = {name: GPS_OUTPUTS[name] for name in (*_FRAME_BY_FRAME, "pelvis_obliquity")}
KNEE_TOLERANCE_DEG = 5.0  # issue 6: sagittal knee within 5 deg RMS over the cycle
HIP_TOLERANCE_DEG = 5.0


def _stored(trial, side: str, output: str, col: int) -> np.ndarray | None:
    prefix = "L" if side == "left" else "R"
    for label in (prefix + output, prefix + output + "V"):  # Nantes file: "...AnglesV"
        if label in trial.points:
            # read_c3d scales every point by POINT:UNITS (mm -> m); angles are stored in degrees.
            return np.asarray(trial.points[label][:, col]) * 1000.0
    return None


def _rms_over_cycles(a, name: str) -> dict[str, float]:
    """RMS difference per side, over the frames inside this side's gait cycles."""
    out = {}
    for side in SIDES:
        strikes = sorted(e.time_s for e in a.events if e.side == side and e.kind == "heel_strike")
        if len(strikes) < 2:
            continue
        out_col = COMPARED[name]
        ref = _stored(a.trial, side, *out_col)
        mine = a.angles.angles_deg.get(f"{side}_{name}_deg")
        if ref is None or mine is None:
            continue
        frames = np.arange(a.trial.n_frames) / a.trial.point_rate_hz
        inside = (frames >= strikes[0]) & (frames <= strikes[-1])
        ok = inside & np.isfinite(ref) & np.isfinite(mine)
        if ok.sum() < 10:
            continue
        out[side] = float(np.sqrt(np.mean((mine[ok] - ref[ok]) ** 2)))
    return out


@pytest.mark.parametrize("name", PIG_TRIALS)
def test_sagittal_angles_agree_with_stored_plugingait(analysed, name: str) -> None:
    a = analysed(name)
    table = {var: _rms_over_cycles(a, var) for var in COMPARED}
    print(f"\n{name}: RMS difference to stored Plug-in Gait angles over the gait cycles (deg)")
    print(f"  {'variable':20s} {'left':>7s} {'right':>7s}")
    for var, per_side in table.items():
        cells = [f"{per_side[s]:7.2f}" if s in per_side else "      -" for s in SIDES]
        print(f"  {var:20s} {cells[0]} {cells[1]}")
    assert table["knee_flexion"], f"{name}: no cycle to compare the knee angle over"
    for side, rms in table["knee_flexion"].items():
        assert rms < KNEE_TOLERANCE_DEG, f"{name} {side} knee flexion RMS {rms:.2f} deg"
    for side, rms in table["hip_flexion"].items():
        assert rms < HIP_TOLERANCE_DEG, f"{name} {side} hip flexion RMS {rms:.2f} deg"


def test_missing_markers_are_reported(c3d_dir) -> None:
    from groundup.errors import MissingMarkersError
    from groundup.io.c3d import read_c3d
    from groundup.kinematics import c3d_joint_angles

    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    points = {k: v for k, v in trial.points.items() if k not in ("left_asis", "right_asis")}
    with pytest.raises(MissingMarkersError) as err:
        c3d_joint_angles(trial.replace(points=points))
    assert "left_asis" in err.value.missing


GPS_AGREEMENT_DEG = 0.5


@pytest.mark.parametrize(
    "name", ["nantes_pig_motion3_ff.c3d", "btk_functional_walk.c3d", "btk_pig_flatfoot_full.c3d"]
)
def test_gps_equals_the_gps_of_the_stored_plugingait_angles(analysed, name: str) -> None:
    """The overall GPS from GroundUp's angles and from the file's own Plug-in Gait angles (same
    events, same norms) agree within 0.5 deg, on the trials that store subject measurements.
    (Without them, c3dorg_sample09's ankle and smk_overground's foot progression differ: 16.8 vs
    15.5 and 11.4 vs 9.6 deg; docs/gait-curves.md.) So a GPS outside the typically developing
    range on these trials is the trial's, not GroundUp's."""
    from groundup.norms.curves import compute_gait_curves

    a = analysed(name)
    stored = {
        f"{side}_{var}_deg": ref
        for side in SIDES
        for var, (output, col) in GPS_OUTPUTS.items()
        if (ref := _stored(a.trial, side, output, col)) is not None
    }
    assert len(stored) == 2 * len(GPS_OUTPUTS), sorted(stored)
    rate = a.trial.point_rate_hz
    mine = compute_gait_curves(a.angles.angles_deg, rate, a.events, source="c3d", view="3d")
    pig = compute_gait_curves(stored, rate, a.events, source="c3d", view="3d")
    ours, theirs = mine.gps["overall"], pig.gps["overall"]
    print(f"\n{name}: GPS {ours['value_deg']:.2f} (GroundUp) vs {theirs['value_deg']:.2f} (stored)")
    assert ours["complete"] and theirs["complete"]
    assert abs(ours["value_deg"] - theirs["value_deg"]) <= GPS_AGREEMENT_DEG
