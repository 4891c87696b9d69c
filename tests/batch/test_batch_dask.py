"""The same batch through a real local Dask cluster (a scheduler and two workers started as
separate processes on loopback) gives the same results as the local process pool."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .helpers import run_batch_cli, task_rows, truncated_copy

DASK = [sys.executable, "-m", "dask"]  # the `dask` command, with this Python's packages


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the workers first, then the scheduler (a worker whose scheduler is gone waits to
    reconnect before it exits: 8 s instead of under 1 s)."""
    for group in (procs[1:], procs[:1]):
        for proc in group:
            if proc.poll() is None:
                proc.terminate()
        for proc in group:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two single-thread workers, each its own process; yields the address."""
    pytest.importorskip("distributed")
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, args: list[str]) -> None:
        log = (logs / f"{name}.log").open("wb")
        procs.append(subprocess.Popen([*DASK, *args], stdout=log, stderr=subprocess.STDOUT,
                                      cwd=tmp_path))  # fmt: skip

    try:
        start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                            "--no-dashboard", "--scheduler-file", str(scheduler_file)])  # fmt: skip
        deadline = time.monotonic() + 120
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, (logs / "scheduler.log").read_text()
            assert procs[0].poll() is None, (logs / "scheduler.log").read_text()
            time.sleep(0.2)
        for k in range(2):
            start(f"worker{k}", ["worker", "--scheduler-file", str(scheduler_file),
                                 "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                                 "--no-dashboard", "--memory-limit", "0"])  # fmt: skip
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        _stop(procs)


@pytest.mark.slow
def test_dask_cluster_gives_the_local_pool_results(
    dask_cluster: str, c3d_dir: Path, c3d_extra_dir: Path, tmp_path: Path
) -> None:
    bad = truncated_copy(c3d_dir / "btk_coda_demo.c3d", tmp_path / "cut_short.c3d")
    inputs = [str(c3d_dir), str(c3d_extra_dir), str(bad)]
    local, dask = tmp_path / "local", tmp_path / "dask"
    on_dask = run_batch_cli(*inputs, "--out", str(dask), "--scheduler", dask_cluster)
    assert on_dask.returncode == 0, on_dask.stderr
    on_pool = run_batch_cli(*inputs, "--out", str(local), "--workers", "2")
    assert on_pool.returncode == 0, on_pool.stderr

    assert "dask:" in _engine(dask) and "local:2" in _engine(local)
    rows_dask, rows_local = task_rows(dask), task_rows(local)
    assert set(rows_dask) == set(rows_local)
    assert len(rows_dask) == 14
    for rec_id, row in rows_local.items():
        other = rows_dask[rec_id]
        for key in ("status", "input_checksum", "settings_checksum", "groundup_version", "error"):
            assert row[key] == other[key], (rec_id, key)
    # The cut copy and the two awkward trials without a complete stride fail, on both engines.
    assert sum(r["status"] == "failed" for r in rows_local.values()) == 3
    # The same documents, byte for byte, for every recording.
    for rec_id, row in rows_local.items():
        if row["status"] != "done":
            continue
        names = sorted(p.name for p in (local / "recordings" / rec_id).iterdir())
        assert names == sorted(p.name for p in (dask / "recordings" / rec_id).iterdir())
        for name in names:
            if name == "task.json":  # holds the task's duration
                continue
            assert (local / "recordings" / rec_id / name).read_bytes() == (
                dask / "recordings" / rec_id / name
            ).read_bytes(), (rec_id, name)
    # The same tables.
    for name in ("results.parquet", "summary_by_group.parquet"):
        assert pq.read_table(local / name).equals(pq.read_table(dask / name)), name
    for name in ("results.csv", "summary_by_group.csv", "failures.csv"):
        assert (local / name).read_bytes() == (dask / name).read_bytes(), name
    assert pq.read_table(local / "results.parquet").num_rows == 2 * 11


def _engine(out: Path) -> str:
    import sqlite3

    db = sqlite3.connect(out / "batch_manifest.sqlite")
    try:
        return str(db.execute("SELECT engine FROM runs").fetchone()[0])
    finally:
        db.close()


def test_an_unreachable_scheduler_is_a_clear_message() -> None:
    pytest.importorskip("distributed")
    from groundup.batch.engines import dask_cluster
    from groundup.errors import GroundUpError

    with pytest.raises(GroundUpError) as info, dask_cluster("tcp://127.0.0.1:9", timeout_s=2):
        pass
    assert "Cannot reach the Dask scheduler at tcp://127.0.0.1:9" in info.value.problem
    assert "dask scheduler" in info.value.fix
