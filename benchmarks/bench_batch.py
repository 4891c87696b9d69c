"""Benchmark: recordings per minute of `groundup batch` with 1 and 2 local workers, and what
limits the scaling on the machine it runs on.

Run: ``python benchmarks/bench_batch.py [--copies 3] [--rounds 2] [FILES...]`` (default: every
trial in ../shared/data/c3d, or the shipped sample when that folder is absent).

The trials are linked ``--copies`` times into a temporary folder (distinct paths, so distinct
recordings). Each batch runs in a fresh child process, as the command does: from an empty output
folder, starting the worker processes, every task, writing every folder and the tables. Each
round runs 1 worker and 2 workers (in alternating order from round to round, so that a load
that rises or falls during the benchmark does not favour one), and just before each batch a
plain CPU-bound reference with as many processes as the batch has workers: what the machine
gives two busy processes against one at that moment.

Printed per run and as the median over the rounds:

- wall seconds and recordings per minute, and the scaling ratio 2 workers / 1 worker;
- the machine's own ratio (the reference's cores obtained with 2 processes / with 1): on a
  machine loaded by others the batch cannot scale beyond it; the batch's ratio divided by the
  machine's says how much of what the machine gave the batch used;
- CPU seconds of the whole batch (the command's process from the start of the batch, the fork
  server and every worker, their start-up included) and per task, as recordings per
  CPU-minute: equal for 1 and 2 workers means the second worker adds no work;
- per worker: tasks, busy seconds (inside tasks), CPU seconds, and the CPU share while busy (1.0:
  it had a core to itself; 0.5: it waited for a core half the time); and the CPU split between
  the command's process, the fork server (its imports) and the workers (start-up included);
- the serial parts: from the start to the first result (the fork server and the first task) and
  the tables at the end;
- a CPU-time model of an idle machine: wall = CPU seconds outside tasks + the busiest worker's
  task CPU seconds (conservative: it counts the command's own work as if nothing overlapped it).

The load average is printed before and after; on a loaded machine trust the CPU columns and
the ratio to the machine's, not the wall ratio alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_c3d_pipeline import reference_trials

# CPU work of one reference process (about 1-2 CPU-seconds on a laptop core).
_REFERENCE_LOOPS = 15_000_000


@dataclass(frozen=True)
class Run:
    """One batch in its own process."""

    workers: int
    n: int
    failed: int
    wall_s: float
    cpu_s: float
    task_cpu_s: float
    first_result_s: float
    tables_s: float
    per_worker: list[tuple[int, float, float]]  # tasks, busy s, CPU s
    machine_cores: float  # cores the reference obtained around the batch, `workers` processes
    load: float
    split: tuple[float | None, float | None, float | None]  # command, fork server, workers CPU

    @property
    def per_min(self) -> float:
        return 60.0 * self.n / self.wall_s

    @property
    def per_cpu_min(self) -> float:
        return 60.0 * self.n / self.cpu_s

    @property
    def cores_obtained(self) -> float:
        return self.cpu_s / self.wall_s

    @property
    def model_wall_s(self) -> float:
        """Idle-machine model: CPU outside tasks + the busiest worker's task CPU."""
        busiest = max((cpu for _, _, cpu in self.per_worker), default=0.0)
        return self.cpu_s - self.task_cpu_s + busiest


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _batch_in_child(folder: Path, workers: int) -> dict[str, object]:
    before = _children_cpu_s()
    proc = subprocess.run(
        [sys.executable, __file__, "--one", str(workers), str(folder)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # The child's CPU before the batch started (Python, imports) is not the batch's.
    result["cpu_s"] = _children_cpu_s() - before - float(result["setup_cpu_s"])
    return result


def _machine_cores(processes: int) -> float:
    """Cores obtained by ``processes`` plain CPU-bound processes: their CPU / wall seconds."""
    code = f"x = 0\nfor i in range({_REFERENCE_LOOPS}):\n    x ^= i\n"
    before = _children_cpu_s()
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(processes)]
    for proc in procs:
        proc.wait()
    return (_children_cpu_s() - before) / (time.perf_counter() - start)


def _measure(folder: Path, workers: int) -> Run:
    before = _machine_cores(workers)
    load = os.getloadavg()[0]
    r = _batch_in_child(folder, workers)
    machine = (before + _machine_cores(workers)) / 2  # just before and just after the batch
    per_worker = [(int(n), float(b), float(c)) for n, b, c in r["per_worker"]]  # type: ignore[union-attr]
    return Run(
        workers=workers, n=int(r["n"]), failed=int(r["failed"]), wall_s=float(r["wall_s"]),
        cpu_s=float(r["cpu_s"]), task_cpu_s=sum(c for _, _, c in per_worker),
        first_result_s=float(r["first_result_s"]), tables_s=float(r["tables_s"]),
        per_worker=per_worker, machine_cores=machine, load=load,
        split=(r["command_cpu_s"], r["fork_server_cpu_s"], r["workers_cpu_s"]),
    )  # type: ignore[arg-type]  # fmt: skip


def _one_batch(workers: int, folder: Path) -> None:
    """Child process: one batch; prints its measurements as one JSON line."""
    import multiprocessing.forkserver

    from groundup.batch import BatchSettings, collect_recordings, run_batch

    class Clock:
        first: float | None = None
        last: float | None = None

        def start(self, total: int, done: int, failed: int) -> None:
            pass

        def finished(self, recording_id: str, ok: bool) -> None:
            self.last = time.perf_counter()
            self.first = self.first or self.last

    recordings = collect_recordings([str(folder)])
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="bench-batch-out-") as out:
        own = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        summary = run_batch(recordings, Path(out), BatchSettings(workers=workers), clock)
        wall = time.perf_counter() - start
    workers_seen: dict[str, list[float]] = {}
    for t in summary.timings:
        w = workers_seen.setdefault(t.worker, [0, 0.0, 0.0])
        w[0] += 1
        w[1] += t.duration_s
        w[2] += t.cpu_s
    time.sleep(0.3)  # let the fork server reap its workers, so their CPU time is counted
    server, workers_cpu = _fork_server_cpu_s()
    multiprocessing.forkserver._forkserver._stop()  # its CPU goes to this process's children
    after = resource.getrusage(resource.RUSAGE_SELF)
    command_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
    print(json.dumps({
        "n": summary.n_recordings, "failed": summary.n_failed, "wall_s": wall,
        "setup_cpu_s": own.ru_utime + own.ru_stime,
        "command_cpu_s": command_cpu, "fork_server_cpu_s": server, "workers_cpu_s": workers_cpu,
        "first_result_s": (clock.first or start) - start,
        "tables_s": start + wall - (clock.last or start),  # after the last result
        "per_worker": sorted(workers_seen.values()),
    }))  # fmt: skip


def _fork_server_cpu_s() -> tuple[float | None, float | None]:
    """CPU seconds of the fork server itself and of its reaped children (the workers, their
    start-up included); None without psutil or a fork server."""
    import multiprocessing.forkserver

    pid = multiprocessing.forkserver._forkserver._forkserver_pid
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
    except (ImportError, ValueError, TypeError, OSError):
        return None, None
    return times.user + times.system, times.children_user + times.children_system


def _row(label: str, r: Run) -> str:
    busy = ", ".join(f"{n} tasks {b:.1f}s busy {c:.1f}s CPU ({c / b:.2f})"
                     for n, b, c in r.per_worker if b > 0)  # fmt: skip
    return (
        f"{label:>9s} {r.workers:2d}w load {r.load:4.1f}  wall {r.wall_s:6.2f}s  "
        f"{r.per_min:6.1f} rec/min  CPU {r.cpu_s:5.2f}s ({r.per_cpu_min:5.1f} rec/CPU-min, "
        f"{r.cores_obtained:.2f} cores)  machine {r.machine_cores:.2f} cores  "
        f"first result {r.first_result_s:.2f}s  tables {r.tables_s:.2f}s  workers: {busy}"
        f"  CPU split: command {_s(r.split[0])}, fork server {_s(r.split[1])}, workers "
        f"{_s(r.split[2])} (tasks {r.task_cpu_s:.1f}s)"
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--one", nargs=2, metavar=("WORKERS", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one_batch(int(args.one[0]), Path(args.one[1]))
        return
    files = reference_trials(args.files)
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-in-"))
    try:
        for k in range(args.copies):
            for path in files:
                (tmp / f"copy{k}_{path.name}").symlink_to(path.resolve())
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"{len(files)} trial(s) x {args.copies} copies = {len(files) * args.copies} "
              f"recordings; {cores} core(s); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        runs: dict[int, list[Run]] = {1: [], 2: []}
        for k in range(args.rounds):
            for workers in (1, 2) if k % 2 == 0 else (2, 1):
                run = _measure(tmp, workers)
                runs[workers].append(run)
                print(_row(f"round {k + 1}", run), flush=True)
        _summary(runs)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _summary(runs: dict[int, list[Run]]) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    one, two = runs[1], runs[2]
    ratios = [b.per_min / a.per_min for a, b in zip(one, two, strict=True)]
    machine = [b.machine_cores / a.machine_cores for a, b in zip(one, two, strict=True)]
    model = [a.model_wall_s / b.model_wall_s for a, b in zip(one, two, strict=True)]
    print(f"recordings per minute (median): 1 worker {med([r.per_min for r in one]):.1f}, "
          f"2 workers {med([r.per_min for r in two]):.1f}")  # fmt: skip
    print(f"scaling 2 workers / 1 worker (wall): {med(ratios):.2f}x "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})")  # fmt: skip
    print(f"the machine gave 2 CPU-bound processes {med(machine):.2f}x the CPU of one "
          f"(rounds: {', '.join(f'{x:.2f}' for x in machine)}); the batch used "
          f"{med([r / m for r, m in zip(ratios, machine, strict=True)]):.0%} of that")  # fmt: skip
    print(f"recordings per CPU-minute (all processes, start-up and tables included): 1 worker "
          f"{med([r.per_cpu_min for r in one]):.1f}, 2 workers "
          f"{med([r.per_cpu_min for r in two]):.1f}; task CPU per recording "
          f"{med([r.task_cpu_s / r.n for r in one]):.3f}s and "
          f"{med([r.task_cpu_s / r.n for r in two]):.3f}s")  # fmt: skip
    model_1, model_2 = med([r.model_wall_s for r in one]), med([r.model_wall_s for r in two])
    print(f"idle-machine model (CPU outside tasks + busiest worker's task CPU): "
          f"{model_1:.2f}s and {model_2:.2f}s, {med(model):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
