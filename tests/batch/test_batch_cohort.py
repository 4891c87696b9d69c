"""A cohort through `groundup batch`: one row per recording and side, failures listed with their
messages while the rest succeed, and what a rerun skips or retries."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from groundup.batch.inputs import Recording, collect_recordings
from groundup.batch.outputs import write_recording_folder
from groundup.batch.run import BatchSettings, run_batch, settings_checksum, task_spec
from groundup.batch.table import rows_of_recording
from groundup.batch.task import TaskSpec, run_recording_task
from groundup.output import validate

from .helpers import file_times, run_batch_cli, task_rows, truncated_copy, write_manifest

EXAM = Path(__file__).resolve().parents[2] / "docs" / "examples" / "exam_example.yaml"
SIDE_KEYS = ("stride_time_s", "stance_pct", "step_length_m", "walking_speed_m_s")


def _failures(out: Path) -> dict[str, str]:
    with (out / "failures.csv").open(newline="", encoding="utf-8") as fh:
        return {r["recording_id"]: r["error"] for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_task_runs_the_visit_pipeline_and_rows_hold_its_numbers(
    c3d_dir: Path, tmp_path: Path
) -> None:
    """One task in this process: the documents of `groundup analyze`, and the table's rows
    repeat the analysis document's numbers per side."""
    path = c3d_dir / "nantes_pig_motion3_ff.c3d"
    result = run_recording_task(TaskSpec(recording_id="r1", path=str(path)))
    assert result.ok, result.error
    assert sorted(result.files) == ["analysis.json", "chain.json", "plan.json"]
    folder = write_recording_folder(tmp_path, "r1", result.files, {"recording_id": "r1"})
    doc = json.loads((folder / "analysis.json").read_text(encoding="utf-8"))
    rows = rows_of_recording(Recording("r1", path, "S1", "adults"), doc)
    assert [r["side"] for r in rows] == ["left", "right"]
    for row in rows:
        side = doc["spatiotemporal"][row["side"]]
        assert all(row[k] == side[k] for k in SIDE_KEYS)
        assert row["cadence_steps_per_min"] == doc["spatiotemporal"]["cadence_steps_per_min"]
        gps = doc["curves"]["gait_profile_score"][row["side"]]["value_deg"]
        assert row["gps_deg"] == gps
        gvs = doc["curves"]["gait_variable_scores_deg"][f"{row['side']}_knee_flexion"]
        assert row["gvs_knee_flexion_deg"] == gvs
        flagged = [d for d in doc["curves"]["deviations"]
                   if d["side"] == row["side"] and d["flagged"]]  # fmt: skip
        assert row["n_deviations_flagged"] == len(flagged) > 0
        assert row["key_deviations"].count(" deg (z ") == min(3, len(flagged))
        assert row["view"] == "3d" and row["kind"] == "c3d"


def test_failed_task_message_names_no_file(c3d_dir: Path, tmp_path: Path) -> None:
    bad = truncated_copy(c3d_dir / "smk_overground.c3d", tmp_path / "Jane_Doe_walk.c3d")
    result = run_recording_task(TaskSpec(recording_id="r2", path=str(bad)))
    assert not result.ok and not result.files
    assert result.error and "Jane_Doe" not in result.error and str(tmp_path) not in result.error
    assert "What to do:" in result.error


@pytest.mark.slow
def test_awkward_lab_trials_without_a_stride_fail_and_the_qualisys_trial_is_analysed(
    c3d_extra_dir: Path, tmp_path: Path
) -> None:
    """c3d_extra: the two trials without a complete stride are refused by `groundup analyze`
    (exit 2) and fail as tasks with the same message; the Qualisys trial with a plate that does
    not match the markers is analysed, with its warning (see docs/batch.md)."""
    from typer.testing import CliRunner

    from groundup.cli import app

    for name, left, right in (("btk_bts_gait9.c3d", 0, 1), ("c3dorg_sample03_gait_raw.c3d", 1, 1)):
        path = c3d_extra_dir / name
        cli = CliRunner().invoke(app, ["analyze", str(path), "--out", str(tmp_path / name),
                                       "--no-report"])  # fmt: skip
        assert cli.exit_code == 2, cli.output
        assert not (tmp_path / name / "analysis.json").exists()
        result = run_recording_task(TaskSpec(recording_id="r", path=str(path)))
        assert not result.ok and not result.files and result.error
        found = f"found {left} left contact{'s' * (left != 1)} and {right} right contact"
        assert "no complete stride was found on either side" in result.error
        assert found in result.error and "from the force plates" in result.error
        assert "What to do:" in result.error and "heel and toe markers" in result.error
        assert name not in result.error
        assert " ".join(cli.output.split()).count("no complete stride") == 1

    path = c3d_extra_dir / "c3dorg_sample26_qualisys_capture0002.c3d"
    result = run_recording_task(TaskSpec(recording_id="q", path=str(path)))
    assert result.ok, result.error
    doc = json.loads(result.files["analysis.json"])
    st = doc["spatiotemporal"]
    assert {w["code"] for w in doc["quality"]["warnings"]} >= {"plate_geometry_suspect"}
    assert st["left"]["n_strides"] >= 1 and st["right"]["n_strides"] >= 1
    # Physiological adult walking (docs/batch.md): cadence, stance, speed.
    assert 100 < st["cadence_steps_per_min"] < 140
    assert 1.0 < st["walking_speed_m_s"] < 1.7
    assert all(55 < st[side]["stance_pct"] < 65 for side in ("left", "right"))


def test_settings_checksum_follows_the_options_and_the_exam(c3d_dir: Path, tmp_path: Path) -> None:
    exam = tmp_path / "exam.yaml"
    exam.write_text("patient: {age_y: 40}\n", encoding="utf-8")
    rec = Recording("r", c3d_dir / "smk_overground.c3d", exam=exam)
    base = settings_checksum(task_spec(rec, BatchSettings()))
    assert base == settings_checksum(task_spec(rec, BatchSettings(workers=7)))
    assert base != settings_checksum(task_spec(rec, BatchSettings(events="kinematic")))
    exam.write_text("patient: {age_y: 41}\n", encoding="utf-8")
    assert base != settings_checksum(task_spec(rec, BatchSettings()))


@pytest.mark.slow
def test_rerun_skips_done_retries_failed_only_when_asked_and_reruns_changed(
    c3d_dir: Path, tmp_path: Path
) -> None:
    trials = tmp_path / "trials"
    trials.mkdir()
    for name in ("nantes_pig_motion3_ff.c3d", "btk_coda_demo.c3d"):
        (trials / name).write_bytes((c3d_dir / name).read_bytes())
    truncated_copy(c3d_dir / "smk_overground.c3d", trials / "cut.c3d")
    recordings = collect_recordings([str(trials)])
    ids = {r.path.name: r.recording_id for r in recordings}
    out = tmp_path / "out"

    first = run_batch(recordings, out, BatchSettings(workers=2))
    assert (first.n_done, first.n_failed) == (2, 1)
    assert list(_failures(out)) == [ids["cut.c3d"]]
    times = file_times(out, [ids["nantes_pig_motion3_ff.c3d"], ids["btk_coda_demo.c3d"]])

    second = run_batch(recordings, out, BatchSettings(workers=2))
    assert (second.n_run, second.n_skipped_done, second.n_skipped_failed) == (0, 2, 1)
    assert list(_failures(out)) == [ids["cut.c3d"]]  # still listed

    retried = run_batch(recordings, out, BatchSettings(workers=2, retry_failed=True))
    assert (retried.n_run, retried.n_failed) == (1, 1)
    assert task_rows(out)[ids["cut.c3d"]]["attempts"] == 2

    # A done trial replaced by a damaged copy: it fails, and its earlier result goes.
    coda = ids["btk_coda_demo.c3d"]
    truncated_copy(c3d_dir / "btk_coda_demo.c3d", trials / "btk_coda_demo.c3d")
    damaged = run_batch(recordings, out, BatchSettings(workers=2))
    assert (damaged.n_run, damaged.n_failed) == (1, 1)
    assert not (out / "recordings" / coda).exists()
    assert set(_failures(out)) == {coda, ids["cut.c3d"]}
    (trials / "btk_coda_demo.c3d").write_bytes((c3d_dir / "btk_coda_demo.c3d").read_bytes())
    times = {k: v for k, v in times.items() if coda not in k}

    # The cut file replaced by the complete trial: a changed input runs again, unasked.
    (trials / "cut.c3d").write_bytes((c3d_dir / "smk_overground.c3d").read_bytes())
    fixed = run_batch(recordings, out, BatchSettings(workers=2))
    assert (fixed.n_run, fixed.n_done, fixed.n_failed) == (2, 2, 0)
    assert _failures(out) == {}
    assert pq.read_table(out / "results.parquet").num_rows == 6
    assert file_times(out, [ids["nantes_pig_motion3_ff.c3d"]]) == times
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "c3d" not in log and str(trials) not in log  # ids only, no file names


@pytest.mark.slow
def test_cohort_of_every_trial_and_clip_with_groups(
    shared_data: Path, c3d_dir: Path, c3d_extra_dir: Path, tmp_path: Path
) -> None:
    """Every C3D trial and every clip of the reference data, with groups from a manifest."""
    clips = sorted((shared_data / "video").glob("*.mp4"))
    rows = [{"path": str(p), "subject_id": f"L{k:02d}", "group": "lab"}
            for k, p in enumerate(sorted(c3d_dir.glob("*.c3d")))]  # fmt: skip
    rows[0]["exam"] = str(EXAM)  # one subject with an exam: scored, and used by chain and plan
    rows += [{"path": str(p), "subject_id": f"X{k:02d}", "group": "lab_awkward"}
             for k, p in enumerate(sorted(c3d_extra_dir.glob("*.c3d")))]  # fmt: skip
    rows += [{"path": str(p), "subject_id": f"V{k:02d}", "group": "video"}
             for k, p in enumerate(clips)]  # fmt: skip
    bad_copy = truncated_copy(c3d_dir / "btk_coda_demo.c3d", tmp_path / "interrupted_copy.c3d")
    rows.append({"path": str(bad_copy), "subject_id": "L99", "group": "lab"})
    manifest = write_manifest(tmp_path / "cohort.csv", rows)
    recordings = collect_recordings([str(manifest)])
    by_subject = {r.subject_id: r.recording_id for r in recordings}
    no_walking = next(r.recording_id for r in recordings if r.path.name.startswith("no_walking"))
    out = tmp_path / "out"

    result = run_batch_cli(str(manifest), "--out", str(out), "--workers", "2")
    assert result.returncode == 0, result.stderr

    # Failed, with their messages: the recording without a person walking, the interrupted
    # copy and the two awkward lab trials without a complete stride; the rest succeed.
    extra = {p.name: by_subject[f"X{k:02d}"]
             for k, p in enumerate(sorted(c3d_extra_dir.glob("*.c3d")))}  # fmt: skip
    no_stride = {extra["btk_bts_gait9.c3d"], extra["c3dorg_sample03_gait_raw.c3d"]}
    failures = _failures(out)
    assert set(failures) == {no_walking, by_subject["L99"], *no_stride}
    assert "No person with visible legs" in failures[no_walking]
    for rec_id in no_stride:
        assert "no complete stride was found on either side" in failures[rec_id]
        assert "missing or empty" in failures[rec_id]  # why the markers could not time steps
    for message in failures.values():
        assert "What to do:" in message
        assert ".c3d" not in message and ".mp4" not in message  # named by their id only
    tasks = task_rows(out)
    assert all(tasks[r]["status"] == "done" for r in set(tasks) - set(failures))
    assert all(tasks[r]["status"] == "failed" for r in failures)

    table = pq.read_table(out / "results.parquet").to_pylist()
    done = [r for r in recordings if r.recording_id not in failures]
    assert [(row["recording_id"], row["side"]) for row in table] == [
        (r.recording_id, side) for r in done for side in ("left", "right")
    ]
    # The CSV holds the same rows and values as the Parquet table.
    as_csv = pa_csv.read_csv(out / "results.csv").to_pylist()
    assert [(r["recording_id"], r["side"], r["walking_speed_m_s"]) for r in as_csv] == [
        (r["recording_id"], r["side"], r["walking_speed_m_s"]) for r in table
    ]
    by_id = {}
    for row in table:
        by_id.setdefault(row["recording_id"], []).append(row)
    # The Qualisys trial whose plate 0 does not match the markers is a valid walk: analysed,
    # with the warning, and physiological numbers (docs/batch.md).
    qualisys = by_id[extra["c3dorg_sample26_qualisys_capture0002.c3d"]]
    assert "plate_geometry_suspect" in qualisys[0]["quality_warnings"]
    assert 100 < qualisys[0]["cadence_steps_per_min"] < 140
    for row in qualisys:
        assert row["n_strides"] >= 1
        assert 55 < row["stance_pct"] < 65 and 1.0 < row["walking_speed_m_s"] < 1.7
    # Every clear lab trial has its walking speed, every walking clip its cadence and view.
    for k in range(len(list(c3d_dir.glob("*.c3d")))):
        lab = by_id[by_subject[f"L{k:02d}"]]
        assert any(0.5 < (r["walking_speed_m_s"] or 0) < 2.0 for r in lab)
    for rec in done:
        if rec.group == "video":
            assert by_id[rec.recording_id][0]["view"] in (
                "sagittal", "frontal_posterior", "frontal_anterior")  # fmt: skip
            assert by_id[rec.recording_id][0]["cadence_steps_per_min"] > 0

    summary = pq.read_table(out / "summary_by_group.parquet").to_pylist()
    speed = {(s["group"], s["side"]): s for s in summary if s["parameter"] == "walking_speed_m_s"}
    lab_left = [
        r["walking_speed_m_s"]
        for r in table
        if r["group"] == "lab" and r["side"] == "left" and r["walking_speed_m_s"]
    ]
    assert speed[("lab", "left")]["n"] == len(lab_left)
    assert speed[("lab", "left")]["mean"] == pytest.approx(sum(lab_left) / len(lab_left))
    assert {g for g, _ in speed} == {"lab", "lab_awkward", "video"}
    assert (out / "summary_by_group.png").stat().st_size > 10_000
    for rec in done:
        folder = out / "recordings" / rec.recording_id
        names = {p.name for p in folder.iterdir()}
        assert {"analysis.json", "chain.json", "plan.json", "task.json"} <= names
        assert ("exam.json" in names) == (rec.subject_id == "L00")
    exam_doc = json.loads(
        (out / "recordings" / by_subject["L00"] / "exam.json").read_text(encoding="utf-8")
    )
    validate(exam_doc, "exam")


def test_a_worker_with_another_version_fails_its_recording(c3d_dir: Path, tmp_path: Path) -> None:
    """A cluster worker running another GroundUp version: its result is not mixed into the
    cohort; the recording fails with what to do."""
    from concurrent.futures import Future

    from groundup.batch.run import _Planned, _record
    from groundup.batch.run_manifest import RunManifest
    from groundup.batch.task import TaskResult

    rec = Recording("r1", c3d_dir / "smk_overground.c3d")
    spec = task_spec(rec, BatchSettings())
    manifest = RunManifest(tmp_path)
    manifest.mark_running("r1", "abc", "def", "0.1.0")
    future: Future[TaskResult] = Future()
    future.set_result(TaskResult("r1", ok=True, duration_s=1.0, groundup_version="0.0.9",
                                 files={"analysis.json": b"{}"}))  # fmt: skip
    assert not _record(future, _Planned(rec, spec, "abc", "def"), tmp_path, manifest)
    row = manifest.get("r1")
    manifest.close()
    assert row is not None and row.status == "failed"
    assert row.error is not None and "same GroundUp version" in row.error
    assert not (tmp_path / "recordings" / "r1").exists()
