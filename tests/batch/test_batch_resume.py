"""A batch killed with SIGKILL at a random point resumes: the same command finishes the rest
and redoes none of the finished work (checked in the run manifest and on the file times)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from groundup.batch.inputs import default_recording_id

from .helpers import batch_command, file_times, run_batch_cli, run_rows, task_rows


def _n_done(out: Path) -> int:
    """Recordings finished (done or failed) according to the run manifest."""
    try:
        return sum(r["status"] in ("done", "failed") for r in task_rows(out).values())
    except sqlite3.Error:  # not created yet
        return 0


def _kill_when(
    proc: subprocess.Popen[str], out: Path, target_done: int, extra_s: float
) -> list[psutil.Process]:
    """SIGKILL the batch once ``target_done`` recordings are done, plus ``extra_s``; its
    worker processes as they were at that moment."""
    deadline = time.monotonic() + 300
    while _n_done(out) < target_done:
        assert proc.poll() is None, "the batch ended before the kill point"
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.02)
    time.sleep(extra_s)
    children = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return children


def _still_running(procs: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """The processes still running after ``timeout_s`` (an exited one that nobody reaped yet,
    a zombie, has ended)."""

    def running(p: psutil.Process) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + timeout_s
    while (alive := [p for p in procs if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


# Five clean trials, one awkward trial that is analysed (plate geometry suspect) and one that
# fails (no complete stride): the kill -9 resume on a subset of the cohort of every trial.
KILL_TRIALS = (
    "c3d/btk_coda_demo.c3d",
    "c3d/btk_functional_walk.c3d",
    "c3d/btk_motionanalysis_gait.c3d",
    "c3d/nantes_pig_motion3_ff.c3d",
    "c3d/smk_overground.c3d",
    "c3d_extra/btk_bts_gait9.c3d",
    "c3d_extra/c3dorg_sample26_qualisys_capture0002.c3d",
)


@pytest.mark.slow
def test_sigkill_then_same_command_finishes_without_redoing(
    shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cohort"
    folder = tmp_path / "trials"
    folder.mkdir()
    trials = []
    for name in KILL_TRIALS:
        link = folder / Path(name).name
        link.symlink_to(shared_data / name)
        trials.append(link)
    inputs = [str(folder)]
    ids = [default_recording_id(p) for p in trials]
    failing = {default_recording_id(folder / "btk_bts_gait9.c3d")}
    rng = random.Random()
    seed = rng.randrange(1_000_000)
    rng.seed(seed)
    target, extra_s = rng.randint(1, len(ids) - 4), rng.uniform(0.0, 0.25)
    proc = subprocess.Popen(
        batch_command(*inputs, "--out", str(out), "--workers", "1"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    children = _kill_when(proc, out, target, extra_s)
    assert children, "the batch ran no worker process"
    # The pool's worker processes end with the batch: nothing runs on unseen.
    alive = _still_running(children, timeout_s=20)
    for p in alive:  # clean up before failing
        p.kill()
    assert not alive, f"worker processes outlived the killed batch (seed {seed})"

    before = task_rows(out)
    done_before = sorted(k for k, r in before.items() if r["status"] == "done")
    finished_before = sorted(k for k, r in before.items() if r["status"] in ("done", "failed"))
    assert target <= len(finished_before) < len(ids), f"seed {seed}"
    times_before = file_times(out, done_before)
    # No half-written result: every visible recording folder is complete; a temporary folder
    # is the only trace of a write in progress.
    for folder in (out / "recordings").iterdir():
        if folder.name.startswith("."):
            continue
        task = json.loads((folder / "task.json").read_text(encoding="utf-8"))
        assert task["recording_id"] == folder.name
        json.loads((folder / "analysis.json").read_text(encoding="utf-8"))
        assert (folder / "plan.json").is_file()

    time.sleep(0.05)  # a rewrite would show as a later modification time
    result = run_batch_cli(*inputs, "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr

    after = task_rows(out)
    assert sorted(after) == sorted(ids)
    assert {k for k, r in after.items() if r["status"] == "failed"} == failing, f"seed {seed}"
    assert all(r["status"] == "done" for k, r in after.items() if k not in failing)
    # Nothing finished before (done or failed) was run again: one attempt each, files untouched.
    assert all(after[k]["attempts"] == 1 for k in finished_before), f"seed {seed}"
    assert file_times(out, done_before) == times_before, f"seed {seed}"
    # The rest ran (those interrupted mid-task twice at most) and their folders are complete.
    for k in set(ids) - set(finished_before):
        assert 1 <= after[k]["attempts"] <= 2
        assert (out / "recordings" / k / "analysis.json").is_file() == (k not in failing)
    assert not [p for p in (out / "recordings").iterdir() if p.name.startswith(".")]
    runs = run_rows(out)
    assert len(runs) == 2
    assert runs[1]["n_skipped"] >= len(finished_before)
    assert runs[1]["n_done"] + runs[1]["n_failed"] == len(ids) - runs[1]["n_skipped"]
    # The table covers every analysed recording and side once.
    import pyarrow.parquet as pq

    table = pq.read_table(out / "results.parquet")
    assert sorted(zip(table.column("recording_id").to_pylist(),
                      table.column("side").to_pylist(), strict=True)) == sorted(
        (k, side) for k in ids if k not in failing for side in ("left", "right")
    )  # fmt: skip

    # A third run has nothing left to do.
    done_all = [k for k in ids if k not in failing]
    times_all = file_times(out, done_all)
    again = run_batch_cli(*inputs, "--out", str(out), "--workers", "1")
    assert again.returncode == 0, again.stderr
    assert file_times(out, done_all) == times_all
    assert run_rows(out)[2]["n_skipped"] == len(ids)


def _as_in_a_terminal() -> None:
    """Ctrl-C handled as in a terminal, also where the tests run as a background job (a shell
    starts those with SIGINT ignored, and Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_stops_with_one_message_and_the_rerun_finishes(
    shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cohort"
    folder = tmp_path / "trials"
    folder.mkdir()
    for name in KILL_TRIALS[:5]:  # the clean trials
        (folder / Path(name).name).symlink_to(shared_data / name)
    proc = subprocess.Popen(
        batch_command(str(folder), "--out", str(out), "--workers", "1"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_as_in_a_terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while _n_done(out) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "run the same command again to continue" in err
    assert "Traceback" not in err
    done = sorted(k for k, r in task_rows(out).items() if r["status"] == "done")
    times = file_times(out, done)
    result = run_batch_cli(str(folder), "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr
    rows = task_rows(out)
    assert len(rows) == 5 and all(r["status"] == "done" for r in rows.values())
    assert file_times(out, done) == times


@pytest.mark.slow
def test_kill_after_the_rename_before_the_manifest_update_is_recovered(
    c3d_dir: Path, tmp_path: Path
) -> None:
    """The narrowest window: the folder was renamed into place but the manifest still says
    running. The next run trusts the folder's receipt and redoes nothing; a temporary folder
    of an interrupted write is removed."""
    from groundup import __version__
    from groundup.batch import BatchSettings, collect_recordings, run_batch
    from groundup.batch.outputs import write_recording_folder
    from groundup.batch.run import _plan
    from groundup.batch.run_manifest import RunManifest
    from groundup.batch.task import run_recording_task

    (rec,) = collect_recordings([str(c3d_dir / "nantes_pig_motion3_ff.c3d")])
    planned = _plan(rec, BatchSettings())
    out = tmp_path / "out"
    manifest = RunManifest(out)
    manifest.mark_running(rec.recording_id, planned.input_checksum, planned.settings_checksum,
                          __version__)  # fmt: skip
    manifest.close()
    result = run_recording_task(planned.spec)
    receipt = {"recording_id": rec.recording_id, "input_checksum": planned.input_checksum,
               "settings_checksum": planned.settings_checksum, "groundup_version": __version__,
               "duration_s": 1.0}  # fmt: skip
    write_recording_folder(out, rec.recording_id, result.files, receipt)
    (out / "recordings" / ".tmp-other-1234").mkdir()  # a write that was interrupted
    times = file_times(out, [rec.recording_id])

    summary = run_batch([rec], out, BatchSettings(workers=1))
    assert (summary.n_run, summary.n_skipped_done) == (0, 1)
    row = task_rows(out)[rec.recording_id]
    assert (row["status"], row["attempts"]) == ("done", 1)
    assert file_times(out, [rec.recording_id]) == times
    assert not (out / "recordings" / ".tmp-other-1234").exists()
    assert summary.results is not None and summary.results.n_rows == 2
