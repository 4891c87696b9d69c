"""Benchmark: read + events + parameters per C3D trial.

Run: ``python benchmarks/bench_c3d_pipeline.py [FILES...]`` (default: every trial in
../shared/data/c3d, or the shipped sample when that folder is absent).

Prints, per trial, seconds for reading alone and for the whole pipeline, frames per second, and
the ratio pipeline / read-only: a limit measured in the same run, so the number survives a noisy
machine. Each measurement is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def reference_trials(files: list[Path]) -> list[Path]:
    """``files``, or by default every trial in ../shared/data/c3d (the shipped sample when that
    folder is absent). Shared with the other benchmarks; imports nothing heavy."""
    if files:
        return files
    shared = ROOT.parent / "shared" / "data" / "c3d"
    if shared.is_dir():
        return sorted(shared.glob("*.c3d"))
    return [ROOT / "samples" / "smk_overground.c3d"]


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = reference_trials(args.files)
    from groundup.gait.analysis import analyze_gait
    from groundup.io.c3d import read_c3d

    print(
        f"{'trial':40s} {'frames':>6s} {'read s':>8s} {'total s':>8s} {'frames/s':>9s} "
        f"{'total/read':>10s} {'heap MB':>8s}"
    )
    total_frames, total_s = 0, 0.0
    for path in files:
        trial = read_c3d(path)
        read_s = _best(lambda p=path: read_c3d(p), args.repeat)
        full_s = _best(lambda p=path: analyze_gait(read_c3d(p)).to_json(), args.repeat)
        tracemalloc.start()
        analyze_gait(read_c3d(path)).to_json()
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        total_frames += trial.n_frames
        total_s += full_s
        print(
            f"{path.name:40s} {trial.n_frames:6d} {read_s:8.3f} {full_s:8.3f} "
            f"{trial.n_frames / full_s:9.0f} {full_s / read_s:10.2f} {peak_mb:8.1f}"
        )
    print(
        f"{'all trials':40s} {total_frames:6d} {'':8s} {total_s:8.3f} "
        f"{total_frames / total_s:9.0f}   ({total_s / len(files):.3f} s per trial)"
    )


if __name__ == "__main__":
    main()
