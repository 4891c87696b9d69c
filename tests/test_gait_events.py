"""Kinematic gait events against force-plate contacts on real trials (issue: foundation, Must 1-2).

Reference contacts come from shared/data/MANIFEST.md (an independent force-plate script).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from reference_contacts import CLEAN_CONTACTS, STORED_EVENT_COUNTS

from groundup.gait.analysis import analyze_gait
from groundup.gait.events_forceplate import ForcePlateEventDetection
from groundup.gait.events_kinematic import (
    FootStopEventDetection,
    HreljacMarshallEventDetection,
    OConnorEventDetection,
    ZeniEventDetection,
)
from groundup.gait.spatiotemporal import compute_spatiotemporal
from groundup.io.c3d import read_c3d
from groundup.signal.gaps import fill_gaps

HS_MAE_LIMIT_S = 0.020
TO_MAE_LIMIT_S = 0.030
MATCH_WINDOW_S = 0.080  # a detection farther than this from a contact counts as a miss

# c3dorg_sample09 (Vicon Workstation 4.4, 60 Hz): at the force onset of both clean contacts the
# heel marker still moves forward at about 2 m/s and lies ~100 mm behind the centre of pressure,
# which suggests that its marker data lag its analog data; every kinematic method places its
# heel strikes 30-70 ms after the plate onset (see docs/gait-events.md). Kept as a known failure.
KNOWN_SYNC_OFFSET = {"c3dorg_sample09_plugingait.c3d"}

_table: list[str] = []


def _match(times: list[float], target: float) -> float | None:
    if not times:
        return None
    best = min(times, key=lambda t: abs(t - target))
    return best - target if abs(best - target) <= MATCH_WINDOW_S else None


def _cases() -> list:
    cases = []
    for name in CLEAN_CONTACTS:
        marks = [pytest.mark.slow]
        if name in KNOWN_SYNC_OFFSET:
            marks.append(pytest.mark.xfail(strict=True, reason="marker/analog offset in file"))
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


@pytest.mark.parametrize("name", _cases())
def test_kinematic_events_match_force_plates(c3d_dir: Path, name: str) -> None:
    trial = fill_gaps(read_c3d(c3d_dir / name))
    events = FootStopEventDetection().detect(trial)
    hs_err, to_err, rows = [], [], []
    for side, on_s, off_s in CLEAN_CONTACTS[name]:
        hs = [e.time_s for e in events if e.side == side and e.kind == "heel_strike"]
        to = [e.time_s for e in events if e.side == side and e.kind == "toe_off"]
        dh, dt = _match(hs, on_s), _match(to, off_s)
        assert dh is not None, f"{name}: {side} contact at {on_s:.3f} s has no heel strike"
        assert dt is not None, f"{name}: {side} toe off at {off_s:.3f} s has no toe off"
        hs_err.append(abs(dh))
        to_err.append(abs(dt))
        inside = [t for t in hs + to if on_s + MATCH_WINDOW_S < t < off_s - MATCH_WINDOW_S]
        assert not inside, f"{name}: extra {side} event(s) inside the contact: {inside}"
        rows.append(f"{side[0]} HS {dh * 1000:+5.1f} ms  TO {dt * 1000:+5.1f} ms")
    hs_mae, to_mae = float(np.mean(hs_err)), float(np.mean(to_err))
    line = f"{name:38s} {trial.point_rate_hz:5.0f} Hz  HS MAE {hs_mae * 1000:5.1f} ms  "
    line += f"TO MAE {to_mae * 1000:5.1f} ms  | " + " | ".join(rows)
    _table.append(line)
    print("\n" + line)
    assert hs_mae <= HS_MAE_LIMIT_S, line
    assert to_mae <= TO_MAE_LIMIT_S, line


def test_print_event_table() -> None:
    """Prints the per-file table collected above (run with -s to see it)."""
    for line in _table:
        print(line)
    assert all("HS MAE" in line for line in _table)


@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_force_plate_contacts_match_reference(c3d_dir: Path, name: str) -> None:
    trial = read_c3d(c3d_dir / name)
    contacts = [c for c in ForcePlateEventDetection().detect_contacts(trial) if c.accepted]
    got = sorted((c.side, c.on_s, c.off_s) for c in contacts)
    ref = sorted(CLEAN_CONTACTS[name])
    assert [g[0] for g in got] == [r[0] for r in ref]
    for g, r in zip(got, ref, strict=True):
        assert abs(g[1] - r[1]) < 0.002 and abs(g[2] - r[2]) < 0.002, (g, r)


def test_rejected_contacts_give_their_reason(c3d_dir: Path, c3d_extra_dir: Path) -> None:
    flat = ForcePlateEventDetection().detect_contacts(
        read_c3d(c3d_dir / "btk_pig_flatfoot_full.c3d")
    )
    assert any(not c.accepted and "heel lands outside" in c.reason for c in flat)
    smk = ForcePlateEventDetection().detect_contacts(read_c3d(c3d_dir / "smk_overground.c3d"))
    assert any(not c.accepted and "also on the plate" in c.reason for c in smk)
    qualisys = read_c3d(c3d_extra_dir / "c3dorg_sample26_qualisys_capture0002.c3d")
    contacts = ForcePlateEventDetection().detect_contacts(qualisys)
    assert any("geometry or marker labels suspect" in c.reason for c in contacts)


@pytest.mark.parametrize("name", sorted(STORED_EVENT_COUNTS))
def test_stored_events_are_read(c3d_dir: Path, name: str) -> None:
    trial = read_c3d(c3d_dir / name)
    assert len(trial.events) == STORED_EVENT_COUNTS[name]
    assert all(e.method == "file" and e.time_s >= 0 for e in trial.events)


def test_stored_event_times_count_from_first_frame(c3d_dir: Path) -> None:
    # nantes: Vicon stores absolute times; first Right Foot Strike 7.31 s = 0.07 s from frame 0.
    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    first = trial.events[0]
    assert (first.side, first.kind) == ("right", "heel_strike")
    assert first.time_s == pytest.approx(0.07, abs=1e-4)
    assert first.frame == 7


def _within(events: list, start: float, stop: float) -> list:
    return [e for e in events if start - 0.05 <= e.time_s <= stop + 0.05]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STORED_EVENT_COUNTS))
def test_cadence_and_stance_agree_with_stored_events(c3d_dir: Path, name: str) -> None:
    """Must 2: parameters from kinematic events within 2 % of those from stored events."""
    if name in KNOWN_SYNC_OFFSET:
        pytest.xfail("marker/analog offset in file")
    trial = fill_gaps(read_c3d(c3d_dir / name))
    stored = trial.events
    start, stop = stored[0].time_s, stored[-1].time_s
    kin = _within(FootStopEventDetection().detect(trial), start, stop)
    ref = compute_spatiotemporal(trial, stored, None).to_json()
    got = compute_spatiotemporal(trial, kin, None).to_json()
    assert got["cadence_steps_per_min"] == pytest.approx(ref["cadence_steps_per_min"], rel=0.02)
    assert got["stance_pct"] == pytest.approx(ref["stance_pct"], rel=0.02)


@pytest.mark.parametrize("name", ["nantes_pig_motion3_ff.c3d", "btk_functional_walk.c3d"])
def test_cadence_and_stance_agree_with_force_plates(c3d_dir: Path, name: str) -> None:
    """Must 2 on trials with a full stride on plates (left, right, left contacts)."""
    trial = fill_gaps(read_c3d(c3d_dir / name))
    plate = ForcePlateEventDetection().detect(trial)
    start, stop = plate[0].time_s, plate[-1].time_s
    kin = _within(FootStopEventDetection().detect(trial), start, stop)
    ref = compute_spatiotemporal(trial, plate, None).to_json()
    got = compute_spatiotemporal(trial, kin, None).to_json()
    assert ref["cadence_steps_per_min"] is not None and ref["left"]["stance_pct"] is not None
    assert got["cadence_steps_per_min"] == pytest.approx(ref["cadence_steps_per_min"], rel=0.02)
    assert got["left"]["stance_pct"] == pytest.approx(ref["left"]["stance_pct"], rel=0.02)


@pytest.mark.parametrize("detector", [ZeniEventDetection(), OConnorEventDetection()])
def test_published_methods_find_alternating_events(c3d_dir: Path, detector) -> None:
    trial = fill_gaps(read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d"))
    events = detector.detect(trial)
    strikes = [e for e in events if e.kind == "heel_strike"]
    assert len(strikes) >= 4
    sides = [e.side for e in strikes]
    assert all(a != b for a, b in itertools.pairwise(sides))
    # Zeni's heel strike is known to come early overground; both within 80 ms of the plates.
    for side, on_s, _ in CLEAN_CONTACTS["nantes_pig_motion3_ff.c3d"]:
        assert _match([e.time_s for e in strikes if e.side == side], on_s) is not None


def test_walking_direction_detected_both_ways(c3d_dir: Path) -> None:
    directions = {}
    for name in (
        "nantes_pig_motion3_ff.c3d",
        "btk_coda_demo.c3d",
        "btk_motionanalysis_gait.c3d",
        "smk_overground.c3d",
    ):
        result = analyze_gait(read_c3d(c3d_dir / name), events="kinematic")
        directions[name] = result.to_json()["walking"]["direction"]
    assert directions == {
        "nantes_pig_motion3_ff.c3d": "+y",
        "btk_coda_demo.c3d": "-x",
        "btk_motionanalysis_gait.c3d": "-x",
        "smk_overground.c3d": "+x",
    }


def test_reversed_trial_gives_same_events(c3d_dir: Path) -> None:
    """Mirroring the lab (walking the other way) must not change the events."""
    trial = fill_gaps(read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d"))
    flipped = trial.replace(
        points={k: v * np.array([-1.0, -1.0, 1.0]) for k, v in trial.points.items()}
    )
    a = FootStopEventDetection().detect(trial)
    b = FootStopEventDetection().detect(flipped)
    assert [(e.side, e.kind, e.frame) for e in a] == [(e.side, e.kind, e.frame) for e in b]


@pytest.mark.parametrize("name", [n for n in sorted(CLEAN_CONTACTS) if n not in KNOWN_SYNC_OFFSET])
def test_heel_has_nearly_stopped_at_force_plate_contact(c3d_dir: Path, name: str) -> None:
    """At each clean force-plate contact the heel marker moves forward at under a quarter of
    its late-swing peak speed (measured 0.02-0.21, median about 0.08; low-passed at 6 Hz): the
    physical reference used to judge video annotations of initial contact
    (docs/video-gait.md, "Why they disagree")."""
    from groundup.gait.progression import compute_progression
    from groundup.signal.filters import lowpass_array

    trial = fill_gaps(read_c3d(c3d_dir / name), 0.1)
    rate = trial.point_rate_hz
    progression = compute_progression(trial)
    for side, on_s, _ in CLEAN_CONTACTS[name]:
        heel = lowpass_array(trial.points[f"{side}_heel"], rate, 6.0, order=2)
        speed = np.einsum("ij,ij->i", np.gradient(heel, 1.0 / rate, axis=0), progression.direction)
        contact = round(on_s * rate)
        swing = speed[max(0, contact - round(0.4 * rate)) : contact + 1]
        peak = np.nanmax(swing)
        assert peak > 0.5, (name, side, peak)  # m/s: a real swing before the contact
        ratio = speed[contact] / peak
        print(f"{name} {side} contact {on_s:.3f} s: heel speed {ratio:.2f} of its swing peak")
        assert -0.1 < ratio < 0.25, (name, side, ratio)


def test_impact_is_the_first_peak_reaching_half_the_highest() -> None:
    """Inside the search window the heel impact is the first acceleration peak that reaches
    half the window's highest peak; a smaller early bump is passed over."""
    frames = np.arange(40, dtype=float)

    def bump(centre: float, height: float) -> np.ndarray:
        return height * np.exp(-0.5 * ((frames - centre) / 1.5) ** 2)

    impact = HreljacMarshallEventDetection._impact
    window = (0.5, 0.5)  # s either side of the anchor, at 30 frames/s: the whole signal
    two_similar = bump(12, 8.0) + bump(24, 10.0)
    assert impact(two_similar, 20.0, 30.0, window, 0.5) == pytest.approx(12.0, abs=0.2)
    assert impact(two_similar, 20.0, 30.0, window, 1.0) == pytest.approx(24.0, abs=0.2)
    small_first = bump(12, 3.0) + bump(24, 10.0)
    assert impact(small_first, 20.0, 30.0, window, 0.5) == pytest.approx(24.0, abs=0.2)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_first_peak_rule_picks_the_highest_peak_on_marker_trials(c3d_dir: Path, name: str) -> None:
    """On every lab trial the first-peak impact rule gives the same heel strikes as taking the
    window's highest peak (docs/gait-events.md): it changes only noisy video keypoints."""
    trial = fill_gaps(read_c3d(c3d_dir / name))
    first = HreljacMarshallEventDetection().detect(trial)
    highest = HreljacMarshallEventDetection(impact_peak_fraction=1.0).detect(trial)
    assert [(e.side, e.kind, e.frame) for e in first] == [
        (e.side, e.kind, e.frame) for e in highest
    ]


def _pelvis_and_axis(trial):
    from groundup.gait.progression import detect_vertical_axis, pelvis_centre

    pelvis, _ = pelvis_centre(trial)
    axis, _ = detect_vertical_axis(trial, pelvis)
    frames = np.arange(trial.n_frames)
    filled = np.empty_like(pelvis)
    for k in range(pelvis.shape[1]):
        seen = np.isfinite(pelvis[:, k])
        filled[:, k] = np.interp(frames, np.flatnonzero(seen), pelvis[seen, k])
    return filled, axis


def _on_a_treadmill(trial):
    """The trial as a treadmill would record it: the pelvis's travel along the walking line
    (first to last frame) taken out of every marker; its sideways sway (0.1-0.25 m/s at
    instants) and its fore-aft surge within each stride stay."""
    pelvis, axis = _pelvis_and_axis(trial)
    travel = pelvis - pelvis[0]
    travel[:, axis] = 0.0
    line = travel[-1] / np.linalg.norm(travel[-1])
    along = (travel @ line)[:, None] * line
    return trial.replace(
        points={k: v - along for k, v in trial.points.items()}, force_plates=[], events=[]
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_walking_on_a_treadmill_gives_the_same_steps(c3d_dir: Path, name: str) -> None:
    """Treadmill walking (the pelvis gets nowhere over a stride): steps are found from the feet
    alternating and the direction from the line the heels travel along, pointed the way the feet
    point (docs/gait-events.md, "Walking in place"). Each real trial turned into a treadmill
    trial, its pelvis still swaying, gives the overground heel strikes within one frame wherever
    both heels are seen, the same cadence, step length and width, the same walking direction,
    and no stride length or walking speed (the belt moves the heel)."""
    trial = fill_gaps(read_c3d(c3d_dir / name))
    overground = analyze_gait(trial, events="kinematic")
    treadmill = analyze_gait(_on_a_treadmill(trial), events="kinematic")
    assert treadmill.progression is not None and treadmill.progression.in_place_mask is not None
    walking = treadmill.progression.walking

    def strikes(analysis) -> list[tuple[str, int]]:
        return [(e.side, e.frame) for e in analysis.events if e.kind == "heel_strike"]

    found = strikes(treadmill)
    assert len(found) >= 3, found
    for side, frame in found:
        assert any(s == side and abs(f - frame) <= 1 for s, f in strikes(overground)), found
    for side, frame in strikes(overground):
        if walking[max(0, frame - 5) : frame + 6].all():
            assert any(s == side and abs(f - frame) <= 1 for s, f in found), (side, frame, found)
    a, b = overground.spatiotemporal.to_json(), treadmill.spatiotemporal.to_json()
    # 3 %: where one heel is unseen at the ends of the capture volume (c3dorg_sample09) the
    # treadmill version has fewer steps to average (101.4 vs 103.5 there; <= 1 % elsewhere).
    assert b["cadence_steps_per_min"] == pytest.approx(a["cadence_steps_per_min"], rel=0.03)
    assert b["step_length_m"] == pytest.approx(a["step_length_m"], abs=0.03)
    # Width: heel to heel at the strike on the belt, against the line of the other heel's
    # strikes overground (measured 0.4-4 cm apart).
    assert b["step_width_m"] == pytest.approx(a["step_width_m"], abs=0.05)
    assert b["stride_length_m"] is None and b["walking_speed_m_s"] is None
    assert a["walking_speed_m_s"] is not None
    assert "walking_in_place" in {q.code for q in treadmill.quality}
    assert "walking_in_place" not in {q.code for q in overground.quality}
    doc_a, doc_b = overground.to_json(), treadmill.to_json()
    assert doc_b["walking"]["direction"] == doc_a["walking"]["direction"]


def test_standing_on_a_treadmill_is_not_walking(c3d_dir: Path) -> None:
    """One frame of a real trial held for 3 s (a person standing, feet apart in mid-stride):
    the feet do not alternate, so no walking is found."""
    from groundup.errors import NoWalkingError

    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    rng = np.random.default_rng(0)
    frames = int(3 * trial.point_rate_hz)
    still = {
        k: np.repeat(v[150:151], frames, axis=0) + rng.normal(0, 0.001, (frames, 3))
        for k, v in trial.points.items()
    }
    standing = trial.replace(points=still, force_plates=[], events=[], analogs={})
    with pytest.raises(NoWalkingError, match="No walking"):
        analyze_gait(standing, events="kinematic")


def test_swinging_one_leg_is_not_walking(c3d_dir: Path) -> None:
    """A real standing frame with the right leg swung forward and back (+-30 degrees at
    0.8 Hz about the hip; a functional or stretching trial): the heels' difference swings, but
    the standing foot does not step, so no walking is found."""
    from groundup.errors import NoWalkingError

    trial = read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d")
    rate = trial.point_rate_hz
    frames = int(6 * rate)
    angle = np.radians(30.0) * np.sin(2 * np.pi * 0.8 * np.arange(frames) / rate)
    hip = trial.points["right_hip"][90] if "right_hip" in trial.points else None
    if hip is None or not np.isfinite(hip).all():
        hip = trial.points["right_asis"][90] - np.array([0.0, 0.0, 0.08])
    swung = {}
    for name, v in trial.points.items():
        still = np.repeat(v[90:91], frames, axis=0)
        if name in ("right_heel", "right_toe", "right_ankle", "right_knee"):
            r = still - hip  # about the lateral (x) axis: y forward, z up in this lab
            y = r[:, 1] * np.cos(angle) - r[:, 2] * np.sin(angle)
            z = r[:, 1] * np.sin(angle) + r[:, 2] * np.cos(angle)
            still = np.stack([r[:, 0], y, z], axis=1) + hip
        swung[name] = still
    with pytest.raises(NoWalkingError, match="No walking"):
        analyze_gait(trial.replace(points=swung, force_plates=[], events=[]), events="kinematic")


def test_a_standing_pause_between_two_walks_has_no_steps(c3d_dir: Path) -> None:
    """A real walk, 1 s standing with the feet apart, then the same walk turned back: the pause
    gives no event and the cadence is the single walk's (the stride window reaches into the
    walking on both sides of the pause, so 'walking in place' must see a foot move at the
    frame itself; before that rule the pause gave a heel strike and 98 steps/min for 110)."""
    trial = fill_gaps(read_c3d(c3d_dir / "nantes_pig_motion3_ff.c3d"))
    pelvis, axis = _pelvis_and_axis(trial)
    start, end = pelvis[0].copy(), pelvis[-1].copy()
    horizontal = [k for k in range(3) if k != axis]

    def turned_back(v: np.ndarray) -> np.ndarray:
        out = v.copy()
        out[:, horizontal] = (
            2 * end[horizontal] - (v[:, horizontal] - start[horizontal]) - end[horizontal]
        )
        return out

    hold = int(trial.point_rate_hz)
    n = trial.n_frames

    def joined(pause: int) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate([v, np.repeat(v[-1:], pause, axis=0), turned_back(v)])
            for k, v in trial.points.items()
        }

    one_walk = analyze_gait(trial.replace(force_plates=[], events=[]), events="kinematic")
    paused = analyze_gait(
        trial.replace(points=joined(hold), force_plates=[], events=[]), events="kinematic"
    )
    inside = [e for e in paused.events if n + 10 <= e.frame < n + hold - 10]
    assert inside == [], inside
    cadence = paused.spatiotemporal.to_json()["cadence_steps_per_min"]
    assert cadence == pytest.approx(
        one_walk.spatiotemporal.to_json()["cadence_steps_per_min"], rel=0.02
    )


@pytest.mark.parametrize("name", sorted(CLEAN_CONTACTS))
def test_step_width_does_not_follow_the_pelvis_sway(c3d_dir: Path, name: str) -> None:
    """Step width is measured from the heels alone (the line of the other heel's strikes): an
    extra sideways sway of the pelvis markers (3 cm at the step frequency) changes no width by
    more than a millimetre. Measured against the pelvis's momentary direction, which leans
    toward the landing foot, widths were 1-5 cm narrower (docs/gait-events.md)."""
    trial = fill_gaps(read_c3d(c3d_dir / name))
    base = analyze_gait(trial, events="kinematic")
    _, axis = _pelvis_and_axis(trial)
    walking_axis = int(np.argmax(np.abs(np.nanmean(base.progression.direction, axis=0))))
    lateral = np.zeros(3)
    lateral[next(k for k in range(3) if k not in (axis, walking_axis))] = 1.0
    cadence_hz = base.spatiotemporal.to_json()["cadence_steps_per_min"] / 60.0
    sway = 0.03 * np.sin(np.pi * cadence_hz * np.arange(trial.n_frames) / trial.point_rate_hz)
    pelvis_names = {"left_asis", "right_asis", "left_psis", "right_psis", "sacrum"}
    swayed = trial.replace(
        points={
            k: (v + sway[:, None] * lateral if k in pelvis_names else v)
            for k, v in trial.points.items()
        }
    )
    moved = analyze_gait(swayed, events="kinematic")
    a = base.spatiotemporal.to_json()["step_width_m"]
    b = moved.spatiotemporal.to_json()["step_width_m"]
    assert a is not None and 0.02 <= a <= 0.2, a
    assert b == pytest.approx(a, abs=0.001)


def _resampled(trial, rate_hz: float, offset_s: float):
    """The trial's markers resampled to ``rate_hz`` from ``offset_s`` (cubic spline through the
    seen samples; unseen stays unseen), without plates or events: a lab trial as a 30 frames/s
    camera would sample it, for each sampling phase."""
    from scipy.interpolate import CubicSpline

    t0 = np.arange(trial.n_frames) / trial.point_rate_hz
    t1 = np.arange(offset_s, t0[-1], 1.0 / rate_hz)
    nearest = np.searchsorted(t0, t1).clip(0, len(t0) - 1)
    points = {}
    for name, xyz in trial.points.items():
        seen = np.isfinite(xyz).all(axis=1)
        out = np.full((len(t1), xyz.shape[1]), np.nan)
        if seen.sum() > 4:
            out = CubicSpline(t0[seen], xyz[seen])(t1)
            out[~seen[nearest]] = np.nan
        points[name] = out
    return trial.replace(
        points=points, point_rate_hz=rate_hz, force_plates=[], events=[], analogs={}
    )


@pytest.mark.slow
def test_foot_stop_fractions_are_fixed_on_the_force_plates(c3d_dir: Path) -> None:
    """The contact and release fractions of FootStopEventDetection against every clean
    force-plate contact (c3dorg_sample09 left out: its markers lag its plates), at the
    recordings' own rates and resampled to 30 frames/s in three sampling phases (the rate of
    phone video, where the impact refinement is not resolved and the velocity rule stands
    alone). Measured: own rates, heel strike bias +0.9 ms (MAE 4.9), toe off -0.1 ms (MAE 7.1);
    30 frames/s, heel strike -5.2 ms (MAE 13.5, max 54 on the slow walker of sample25), toe off
    -2.4 ms (MAE 7.8). The biases are a sixth of a video frame or less: the same fractions are
    used unchanged for video keypoints."""
    detector = FootStopEventDetection()
    lines = []
    for rate in (None, 30.0):
        errors: dict[str, list[float]] = {"heel_strike": [], "toe_off": []}
        for name, contacts in CLEAN_CONTACTS.items():
            if name in KNOWN_SYNC_OFFSET:
                continue
            trial = fill_gaps(read_c3d(c3d_dir / name))
            offsets = [0.0] if rate is None else [0.0, 1 / 90, 2 / 90]
            for offset in offsets:
                sampled = trial if rate is None else _resampled(trial, rate, offset)
                events = detector.detect(sampled)
                for side, on_s, off_s in contacts:
                    for kind, ref in (("heel_strike", on_s), ("toe_off", off_s)):
                        times = [
                            e.time_s + offset for e in events if (e.side, e.kind) == (side, kind)
                        ]
                        d = _match(times, ref)
                        assert d is not None, (name, rate, offset, side, kind)
                        errors[kind].append(d)
        for kind, err in errors.items():
            e = np.array(err)
            bias, mae, worst = float(e.mean()), float(np.abs(e).mean()), float(np.abs(e).max())
            lines.append(
                f"{'own rate' if rate is None else '30 fps':8s} {kind:11s} n={e.size:2d} "
                f"bias {bias * 1000:+5.1f} ms  MAE {mae * 1000:4.1f} ms  max {worst * 1000:3.0f} ms"
            )
            assert abs(bias) <= 0.010, lines[-1]
            assert mae <= (0.010 if rate is None else 0.020), lines[-1]
    print("\n" + "\n".join(lines))


def _annotation_rule_frame(
    trial, side: str, first_on: int, direction: np.ndarray, fraction: float
) -> int | None:
    """The contact frame by the rule of the video annotations (ANNOTATIONS.md, Conventions): the
    first frame after the swing peak whose heel displacement from the previous frame is below
    ``fraction`` of the swing-peak displacement per frame (the swing peak searched in the 0.4 s
    before the first frame with force)."""
    x = trial.points[f"{side}_heel"] @ direction
    step = np.diff(x, prepend=np.nan)
    lo = max(1, first_on - 12)
    seg = step[lo : first_on + 1]
    if not np.isfinite(seg).any():
        return None
    peak = lo + int(np.nanargmax(seg))
    top = step[peak]
    return next(
        (j for j in range(peak + 1, min(len(step), peak + 20)) if step[j] < fraction * top), None
    )


@pytest.mark.slow
def test_contact_fraction_ten_percent_is_the_plates_choice(c3d_dir: Path) -> None:
    """The heel-strike fraction of FootStopEventDetection at 10, 15 and 20 % of the swing peak
    against every clean force-plate contact, at 30 frames/s in three sampling phases, in ms and in
    frames against the first frame with force (the video tables' convention: the first frame
    showing the heel on the ground). The video annotations state a ~20 % rule on the heel's
    frame-to-frame displacement; it is applied to the same heel markers for comparison.

    Measured: 10 % bias -5.2 ms (MAE 13.5), 15 % -18.1 ms (19.3), 20 % -24.2 ms (24.2, 3 of 45
    missed): the plates choose 10 %. In frames against the first frame with force the detector
    gives -0.67, the annotation's own rule at 20 % -0.53 and at 10 % -0.02: the stated ~20 %
    displacement rule and the detector's 10 % velocity crossing mark nearly the same frames (a
    displacement per frame lags the velocity by half a frame). A table whose contacts sit a frame
    or more before the detector's (walker A of the indoor clip, +1.2 frames) therefore breaks
    its own rule by the plates as well; the fraction is not changed for it."""
    from groundup.gait.progression import compute_progression

    lines = []
    summary: dict[float, tuple[float, float, int]] = {}
    frames: dict[str, list[int]] = {"detector 10 %": [], "annotation rule 20 %": []}
    for fraction in (0.10, 0.15, 0.20):
        detector = FootStopEventDetection(contact_speed_fraction=fraction)
        errors: list[float] = []
        missed = 0
        for name, contacts in CLEAN_CONTACTS.items():
            if name in KNOWN_SYNC_OFFSET:
                continue
            trial = fill_gaps(read_c3d(c3d_dir / name))
            for offset in (0.0, 1 / 90, 2 / 90):
                sampled = _resampled(trial, 30.0, offset)
                events = detector.detect(sampled)
                direction = None
                for side, on_s, _ in contacts:
                    strikes = [e for e in events if (e.side, e.kind) == (side, "heel_strike")]
                    d = _match([e.time_s + offset for e in strikes], on_s)
                    if d is None:
                        missed += 1
                        continue
                    errors.append(d)
                    if fraction != 0.10:
                        continue
                    first_on = int(np.ceil((on_s - offset) * 30.0 - 1e-9))
                    best = min(strikes, key=lambda e: abs(e.time_s + offset - on_s))
                    frames["detector 10 %"].append(best.frame - first_on)
                    if direction is None:
                        p = compute_progression(sampled)
                        direction = np.nanmedian(p.direction, axis=0)
                        direction /= np.linalg.norm(direction)
                    rule = _annotation_rule_frame(sampled, side, first_on, direction, 0.20)
                    assert rule is not None, (name, side, offset)
                    frames["annotation rule 20 %"].append(rule - first_on)
        e = np.array(errors)
        summary[fraction] = (float(e.mean()), float(np.abs(e).mean()), missed)
        lines.append(
            f"fraction {fraction:.2f}: n={e.size} missed={missed} bias {1000 * e.mean():+5.1f} ms "
            f"MAE {1000 * np.abs(e).mean():4.1f} ms"
        )
    for label, values in frames.items():
        f = np.array(values)
        lines.append(f"{label} vs first frame with force: bias {f.mean():+.2f} frames (n={f.size})")
    print("\n" + "\n".join(lines))
    ten = summary[0.10]
    assert ten[2] == 0
    assert all(ten[1] < other[1] for f, other in summary.items() if f != 0.10), lines
    assert all(abs(ten[0]) < abs(other[0]) for f, other in summary.items() if f != 0.10), lines
    detector_bias = float(np.mean(frames["detector 10 %"]))
    rule_bias = float(np.mean(frames["annotation rule 20 %"]))
    assert abs(detector_bias - rule_bias) <= 0.5, lines
