"""Benchmark: recordings per minute of `groundup batch` with 1 and 2 local workers.

Run: ``python benchmarks/bench_batch.py [--copies 3] [--repeat 2] [FILES...]`` (default: every
trial in ../shared/data/c3d, or the shipped sample when that folder is absent).

The trials are linked ``--copies`` times into a temporary folder (distinct paths, so distinct
recordings) and each configuration runs the whole batch from an empty output folder: starting the
worker processes, every task, writing every folder and the tables. Prints recordings per minute
over the whole run and after the first result (the workers' start-up excluded), and the scaling
ratio 2 workers / 1 worker; best of ``--repeat`` runs. Also printed: the cores the batch obtained
(its CPU time and its tasks', per wall second) and recordings per CPU-minute. On a machine
shared with other work 2 workers cannot get 2 cores, and these two say whether a poor ratio comes
from the machine (fewer cores obtained) or from the batch (more CPU per recording).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from groundup.batch import BatchSettings, collect_recordings, run_batch

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Clock:
    """A BatchProgress that notes when each recording finished."""

    started: float = 0.0
    finished_at: list[float] = field(default_factory=list)

    def start(self, total: int, done: int, failed: int) -> None:
        self.started = time.perf_counter()

    def finished(self, recording_id: str, ok: bool) -> None:
        self.finished_at.append(time.perf_counter())


@dataclass(frozen=True)
class Measure:
    n: int
    wall_s: float
    cpu_s: float
    steady_per_min: float | None
    failed: int

    @property
    def cores_obtained(self) -> float:
        """CPU seconds of the batch (this process and its workers) per wall second."""
        return self.cpu_s / self.wall_s

    @property
    def per_cpu_min(self) -> float:
        return 60.0 * self.n / self.cpu_s

    @property
    def per_min(self) -> float:
        return 60.0 * self.n / self.wall_s


def _one_run(folder: Path, workers: int) -> Measure:
    recordings = collect_recordings([str(folder)])
    with tempfile.TemporaryDirectory(prefix="bench-batch-out-") as out:
        clock = _Clock()
        cpu_before = _own_cpu_s()
        start = time.perf_counter()
        summary = run_batch(recordings, Path(out), BatchSettings(workers=workers), clock)
        wall = time.perf_counter() - start
        # This process's CPU time and every task's (as its worker measured it; the workers'
        # start-up is not counted).
        tasks = Path(out, "recordings").glob("*/task.json")
        cpu = _own_cpu_s() - cpu_before + sum(json.loads(t.read_text())["cpu_s"] for t in tasks)
    steady = None
    if len(clock.finished_at) > 1:
        span = clock.finished_at[-1] - clock.finished_at[0]
        steady = 60.0 * (len(clock.finished_at) - 1) / span if span > 0 else None
    return Measure(len(recordings), wall, cpu, steady, summary.n_failed)


def _autogroup() -> bool:
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def _own_cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    files = args.files
    if not files:
        shared = ROOT.parent / "shared" / "data" / "c3d"
        files = (
            sorted(shared.glob("*.c3d"))
            if shared.is_dir()
            else [ROOT / "samples" / "smk_overground.c3d"]
        )
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-in-"))
    try:
        for k in range(args.copies):
            for path in files:
                (tmp / f"copy{k}_{path.name}").symlink_to(path.resolve())
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"{len(files)} trial(s) x {args.copies} copies; {cores} core(s); "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'workers':>7s} {'recordings':>10s} {'wall s':>8s} {'rec/min':>8s} "
              f"{'rec/min after 1st':>17s} {'cores got':>9s} {'rec/CPU-min':>11s} "
              f"{'failed':>6s}")  # fmt: skip
        best: dict[int, Measure] = {}
        for workers in (1, 2):
            runs = [_one_run(tmp, workers) for _ in range(args.repeat)]
            best[workers] = min(runs, key=lambda m: m.wall_s)
            m = best[workers]
            steady = f"{m.steady_per_min:.1f}" if m.steady_per_min else "-"
            print(f"{workers:7d} {m.n:10d} {m.wall_s:8.2f} {m.per_min:8.1f} {steady:>17s} "
                  f"{m.cores_obtained:9.2f} {m.per_cpu_min:11.1f} {m.failed:6d}")  # fmt: skip
        ratio = best[2].per_min / best[1].per_min
        line = f"scaling 2 workers / 1 worker: {ratio:.2f}x (whole run)"
        s1, s2 = best[1].steady_per_min, best[2].steady_per_min
        if s1 and s2:
            line += f", {s2 / s1:.2f}x (after the first result)"
        print(line)
        print(
            "cores got = CPU time of the batch / wall time: the scaling cannot exceed the ratio "
            f"of the cores obtained ({best[2].cores_obtained / best[1].cores_obtained:.2f}x here); "
            "rec/CPU-min equal for 1 and 2 workers means no parallel overhead "
            f"({best[2].per_cpu_min / best[1].per_cpu_min:.2f}x here)."
        )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        if _autogroup() and os.getloadavg()[0] > (cores or 1):
            print(
                "note: the kernel shares the CPU by session (sched_autogroup), so on a loaded "
                "machine the batch gets one session's share whatever its number of workers."
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
