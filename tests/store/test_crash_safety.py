"""Crash safety and concurrency of `groundup visit record` on SQLite and PostgreSQL.

A real visit folder (the lab sample with the example exam) is recorded by separate processes:
killed with SIGKILL at random moments many times, a recording leaves the whole visit or nothing,
never a row without its media; the media of killed runs are found and removed by
`groundup store check`. Processes recording at the same moment lose nothing.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from groundup.store import api

RECORDING = Path(__file__).resolve().parents[2] / "samples" / "smk_overground.c3d"
KILL_RUNS = int(os.environ.get("GROUNDUP_STORE_KILL_RUNS", "30"))


def _unique_recording(folder: Path, k: int) -> Path:
    """The lab sample with a few bytes appended: its own media file (its own SHA-256)."""
    path = folder / f"walk_{k}.c3d"
    path.write_bytes(RECORDING.read_bytes() + f"\nrun {k}\n".encode())
    return path


def _assert_consistent(pseudonym: str) -> tuple[int, set[str]]:
    """Every visit complete (documents, media row, its file, its audit entry); numbers 1..n."""
    from groundup.store import media, models

    visits = list(models.Visit.objects.filter(patient__pseudonym=pseudonym).order_by("number"))
    assert [v.number for v in visits] == list(range(1, len(visits) + 1))
    blobs = set(dict(media.stored_blobs()))
    for v in visits:
        assert v.analyses.count() == 1
        assert hasattr(v, "exam") and hasattr(v, "chain") and hasattr(v, "plan")
        rows = list(v.media.all())
        assert [r.role for r in rows] == ["recording"]
        assert rows[0].sha256 in blobs, "a media row whose file is missing"
    created = [e for e in api.audit_trail(pseudonym) if e["action"] == "create"
               and e["object_type"] == "visit"]
    assert len(created) == len(visits)
    return len(visits), blobs


@pytest.mark.slow
def test_sigkill_at_random_points_never_leaves_a_partial_visit(store, c3d_visit_dir, tmp_path):
    from groundup.store import models

    p = api.add_patient("Kill Test")
    # Half the runs pause between the steps of recording (media, each group of rows), so that
    # kills also land inside each step and inside the transaction, not only during start-up.
    slow_env = {**store.env, api.PAUSE_ENV: "0.15"}
    # How long one whole recording takes here (the shorter of two, as the machine is shared):
    # kills are spread over that time.
    def timed(env: dict[str, str], k: int) -> float:
        store.env = env
        started = time.monotonic()
        store.cli("visit", "record", p, str(_unique_recording(tmp_path, k)), "--from",
                  str(c3d_visit_dir))
        return time.monotonic() - started

    fast_env = store.env
    duration_s = min(timed(fast_env, -1), timed(fast_env, -2))
    slow_duration_s = min(timed(slow_env, -3), timed(slow_env, -4))
    rng = random.Random(22)
    outcomes = {"visit": 0, "nothing": 0, "orphan media": 0}
    for k in range(1, KILL_RUNS + 1):
        n_before, blobs_before = _assert_consistent(p)
        slow = k % 2 == 0
        store.env = slow_env if slow else fast_env
        proc = store.popen("visit", "record", p, str(_unique_recording(tmp_path, k)), "--from",
                           str(c3d_visit_dir))
        time.sleep(rng.uniform(0.2, 1.0) * (slow_duration_s if slow else duration_s))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        n_after, blobs_after = _assert_consistent(p)
        assert n_after in (n_before, n_before + 1)
        if n_after > n_before:
            outcomes["visit"] += 1
        elif blobs_after - blobs_before:
            outcomes["orphan media"] += 1
        else:
            outcomes["nothing"] += 1
    store.env = fast_env
    print(f"\n{store.backend}: {KILL_RUNS} kills over runs of {duration_s:.2f} s (with pauses "
          f"{slow_duration_s:.2f} s): {outcomes}")
    assert sum(outcomes.values()) == KILL_RUNS
    check = store.cli("store", "check")
    assert "orphan media file(s) removed" in check.stdout
    n_visits, blobs = _assert_consistent(p)
    referenced = set(models.MediaFile.objects.values_list("sha256", flat=True))
    assert blobs == referenced, "store check left media without a row"
    assert n_visits == 4 + outcomes["visit"]


def test_processes_recording_at_once_lose_nothing(store, c3d_visit_dir, tmp_path):
    p = api.add_patient("Same Time")
    q = api.add_patient("Other Patient")
    procs = [
        store.popen("visit", "record", who, str(_unique_recording(tmp_path, k)), "--from",
                    str(c3d_visit_dir))
        for k, who in enumerate([p, p, p, q])
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert _assert_consistent(p)[0] == 3
    assert _assert_consistent(q)[0] == 1
    check = store.cli("store", "check", "--dry-run")
    assert "0 orphan media file(s)" in check.stdout
