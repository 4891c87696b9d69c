"""Marker/force-plate synchronisation check on the real walking trials.

The check must stay silent on trials whose streams are in time and flag the one trial whose
kinematic landings all lie well after the force onsets (c3dorg_sample09, see docs/gait-events.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reference_contacts import CLEAN_CONTACTS

from groundup.gait.events_forceplate import ForcePlateEventDetection
from groundup.gait.events_kinematic import FootStopEventDetection
from groundup.gait.progression import compute_progression
from groundup.gait.sync_check import check_marker_plate_sync
from groundup.io.c3d import read_c3d
from groundup.signal.gaps import fill_gaps

OUT_OF_SYNC = {"c3dorg_sample09_plugingait.c3d"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_sync_check_flags_only_the_offset_trial(c3d_dir: Path, name: str) -> None:
    trial = fill_gaps(read_c3d(c3d_dir / name))
    progression = compute_progression(trial)
    contacts = ForcePlateEventDetection().detect_contacts(trial, progression.vertical_axis)
    kinematic = FootStopEventDetection().detect(trial, progression)
    sync = check_marker_plate_sync(contacts, kinematic, trial.point_rate_hz)
    # Every clean reference contact is paired with a kinematic landing.
    assert len(sync.offsets_s) == len(CLEAN_CONTACTS[name])
    median_ms = 1000 * (sync.median_offset_s or 0.0)
    print(f"{name}: median kinematic-minus-plate heel strike {median_ms:+.0f} ms")
    assert sync.out_of_sync == (name in OUT_OF_SYNC)
    issue = sync.quality_issue()
    if name in OUT_OF_SYNC:
        assert issue is not None and issue.code == "marker_plate_out_of_sync"
        assert "out of sync" in issue.message and "synchronisation" in issue.message
        assert median_ms > 30
    else:
        assert issue is None


def test_sync_check_needs_agreement_in_direction() -> None:
    from groundup.gait.sync_check import MarkerPlateSync

    assert MarkerPlateSync((0.05, 0.06), 0.01).out_of_sync
    assert not MarkerPlateSync((0.05, -0.04, 0.06), 0.01).out_of_sync
    assert not MarkerPlateSync((0.02, 0.025), 0.01).out_of_sync
    assert not MarkerPlateSync((), 0.01).out_of_sync
    # At 60 Hz the tolerance is two frames (33 ms), not 30 ms.
    assert not MarkerPlateSync((0.032, 0.032), 1 / 60).out_of_sync


@pytest.mark.slow
def test_analysis_json_reports_the_offset(c3d_dir: Path) -> None:
    from groundup.gait.analysis import analyze_gait

    out = analyze_gait(read_c3d(c3d_dir / "c3dorg_sample09_plugingait.c3d")).to_json()
    codes = [w["code"] for w in out["quality"]["warnings"]]  # type: ignore[index]
    assert "marker_plate_out_of_sync" in codes
    clean = analyze_gait(read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")).to_json()
    assert "marker_plate_out_of_sync" not in [
        w["code"]
        for w in clean["quality"]["warnings"]  # type: ignore[index]
    ]
