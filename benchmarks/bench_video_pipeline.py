"""Speed and peak memory of a whole GroundUp visit from a clip, against stock MediaPipe pose.

Usage: ``python benchmarks/bench_video_pipeline.py [CLIP] [--repeat N] [--no-long]``
(default clip: the Sports2D demo clip in ``../shared/data/video`` beside the repository, else
``samples/sports2d_demo.mp4`` from ``groundup sample-clip --out samples``).

On the same clip, in one run, each measurement in its own child process (so that its peak
memory is its own), in frames/s:

- decode only (PyAV, every frame converted to RGB, as the stock loop needs it);
- stock MediaPipe pose only: decode + ``mediapipe.solutions.pose.Pose(model_complexity=1)
  .process`` per frame, nothing else (its import and model loading are not timed);
- GroundUp analysis: ``groundup analyze CLIP --out DIR --no-report --no-annotated-video``
  (pose, gait, curves, chain, plan and the JSON files; imports after the CLI's own included);
- GroundUp whole visit: the README's main job, ``groundup analyze CLIP --exam
  docs/examples/exam_example.yaml --out DIR`` (the above plus the exam, the clinician report
  and handout PDFs and the annotated video), with the report stage's own time (key frames,
  plots, both PDFs: from the start of the report to its last file).

The short-clip measurements run ``--repeat`` rounds (default 3), each round all four one after
the other; the ratios to stock pose-only are taken within each round (a loaded machine slows a
round as a whole) and the medians are printed, with each one's CPU seconds and the best case
those CPU seconds allow on this machine's cores (no run ends before its CPU seconds divided by
the cores: the highest ratio to stock pose-only it could reach). Then, once each:
the peak memory (max RSS) of every measurement on the clip re-encoded (H.264) and on the clip
looped to 4x its length (the same encoding), and a 60 s clip (the clip looped) analysed end to
end as a whole visit, with its time and peak memory.

``measure(clip, kinds) -> dict`` is the function to extend.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

KINDS = ("decode", "mediapipe", "analysis", "visit")
REPO = Path(__file__).resolve().parents[1]
EXAM = REPO / "docs" / "examples" / "exam_example.yaml"
DEFAULT_CLIPS = (
    REPO.parent / "shared" / "data" / "video" / "sports2d_demo.mp4",
    REPO / "samples" / "sports2d_demo.mp4",
)
LONG_CLIP_S = 60.0

_CHILD = r"""
import json, resource, sys, time
kind, clip, src, exam = sys.argv[1:5]

def cpu_s():
    # CPU seconds of this process (all its threads) and of its finished children (the PDF printer)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

sys.path.insert(0, src)
from groundup.video.decode import iter_frames, probe_video
info = probe_video(clip)
n = 0
report_s = None
t0 = time.perf_counter()
c0 = cpu_s()
if kind == "decode":
    for frame in iter_frames(clip, info):
        n += 1
elif kind == "mediapipe":
    import mediapipe as mp
    pose = mp.solutions.pose.Pose(model_complexity=1)
    t0 = time.perf_counter()
    c0 = cpu_s()
    for frame in iter_frames(clip, info):
        pose.process(frame.image)
        n += 1
else:
    import tempfile
    from typer.testing import CliRunner
    from groundup.cli import app
    n = info.n_frames_estimate
    stage = {"start": None, "end": None}
    if kind == "visit":
        import groundup.pipeline.visit as visit_stage
        write_report = visit_stage._write_report

        def timed_write_report(*a, **k):
            # the report stage: key frames, plots, report and handout PDFs, from its start to
            # its last file
            stage["start"] = time.perf_counter()
            try:
                return write_report(*a, **k)
            finally:
                stage["end"] = time.perf_counter()

        visit_stage._write_report = timed_write_report
        args = ["--exam", exam]
    else:
        args = ["--no-report", "--no-annotated-video"]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        c0 = cpu_s()
        res = CliRunner().invoke(app, ["analyze", clip, "--out", out, *args])
        if res.exit_code != 0:
            raise SystemExit(f"analyze failed: {res.output[-2000:]}")
    if kind == "visit" and stage["end"] is not None:
        report_s = stage["end"] - stage["start"]
seconds = time.perf_counter() - t0
cpu = cpu_s() - c0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"frames": n, "seconds": seconds, "cpu_s": cpu, "peak_rss_mb": peak_kib / 1024,
                  "report_s": report_s}))
"""


def _child(kind: str, clip: Path) -> dict[str, float]:
    """Run one measurement in a fresh process: frames, seconds, frames/s and that process's own
    peak RSS (its ``RUSAGE_SELF`` max RSS, unlike ``RUSAGE_CHILDREN``, which keeps the largest
    child so far)."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(clip), str(REPO / "src"), str(EXAM)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-2000:]}{proc.stdout[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["fps"] = out["frames"] / out["seconds"]
    return out


def loop_clip(clip: Path, times: int, out_dir: Path) -> Path:
    """The clip repeated ``times`` times (re-encoded with PyAV, H.264, same size and rate)."""
    import av

    out_path = out_dir / f"{clip.stem}_x{times}.mp4"
    with av.open(str(clip)) as src:
        stream = src.streams.video[0]
        rate = stream.average_rate or 30
        with av.open(str(out_path), "w") as dst:
            enc = dst.add_stream("libx264", rate=rate)
            enc.width, enc.height, enc.pix_fmt = stream.width, stream.height, "yuv420p"
            enc.options = {"preset": "veryfast", "crf": "20"}
            index = 0
            for _ in range(times):
                src.seek(0)
                for frame in src.decode(stream):
                    out_frame = frame.reformat(format="yuv420p")
                    out_frame.pts = index
                    out_frame.time_base = Fraction(1, 1) / Fraction(rate)
                    index += 1
                    for packet in enc.encode(out_frame):
                        dst.mux(packet)
            for packet in enc.encode():
                dst.mux(packet)
    return out_path


def measure(clip: Path, kinds: tuple[str, ...] = KINDS) -> dict[str, dict[str, float]]:
    """One round: every measurement on one clip, each in its own process."""
    return {kind: _child(kind, clip) for kind in kinds}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _rss_text(rounds: list[dict[str, dict[str, float]]], kind: str) -> str:
    return f"{kind} {_median([r[kind]['peak_rss_mb'] for r in rounds]):.0f} MB"


def _clip_seconds(clip: Path) -> float:
    sys.path.insert(0, str(REPO / "src"))
    from groundup.video.decode import probe_video

    info = probe_video(clip)
    return info.duration_s or info.n_frames_estimate / info.nominal_fps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clip", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="rounds on the clip (median)")
    parser.add_argument(
        "--no-long", action="store_true", help="skip the 4x and 60 s clips (memory, long clip)"
    )
    parser.add_argument(
        "--only",
        default=",".join(KINDS),
        help="comma-separated measurements of the rounds (mediapipe is always run)",
    )
    args = parser.parse_args()
    kinds = tuple(k for k in KINDS if k in {*args.only.split(","), "mediapipe"})
    clip = args.clip or next((c for c in DEFAULT_CLIPS if c.is_file()), DEFAULT_CLIPS[0])
    if not clip.is_file():
        print(
            f"Clip not found: {clip}. Give a clip path, or fetch the sample first: "
            "groundup sample-clip --out samples"
        )
        return 2
    started = time.perf_counter()
    rounds = [measure(clip, kinds) for _ in range(max(1, args.repeat))]
    fps = {k: _median([r[k]["fps"] for r in rounds]) for k in kinds}
    ratio = {k: _median([r[k]["fps"] / r["mediapipe"]["fps"] for r in rounds]) for k in kinds}
    report_s = [
        r["visit"]["report_s"] for r in rounds if r.get("visit", {}).get("report_s") is not None
    ]
    frames = rounds[0]["mediapipe"]["frames"]
    print(f"clip: {clip.name}, {frames:.0f} frames; median of {len(rounds)} round(s)")
    print(f"{'':34s} {'frames/s':>9s} {'x stock pose-only':>18s}")
    rows = (
        ("decode", "decode only"),
        ("mediapipe", "stock MediaPipe pose only"),
        ("analysis", "GroundUp analysis"),
        ("visit", "GroundUp whole visit"),
    )
    for kind, label in rows:
        if kind not in kinds:
            continue
        note = {
            "analysis": "  (--no-report --no-annotated-video; must >= 1.25, aim 1.5)",
            "visit": "  (README main job: exam, report, handout, annotated video; must >= 1.0)",
        }.get(kind, "")
        print(f"{label:34s} {fps[kind]:9.1f} {ratio[kind]:17.2f}x{note}")
    print("CPU seconds (all threads and child processes; a loaded machine inflates wall time)")
    for kind in kinds:
        cpu = _median([r[kind]["cpu_s"] for r in rounds])
        wall = _median([r[kind]["seconds"] for r in rounds])
        print(f"  {kind:<10s} {cpu:6.1f} s CPU, {wall:6.1f} s wall")
    for kind in kinds:
        per_round = ", ".join(f"{r[kind]['fps'] / r['mediapipe']['fps']:.2f}" for r in rounds)
        print(f"  {kind:<10s} ratio per round: {per_round}")
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    stock_wall = _median([r["mediapipe"]["seconds"] for r in rounds])
    print(
        f"Best case on {cores} core(s): a run cannot end before its CPU seconds divided by the "
        "cores, however well its work is spread"
    )
    for kind in kinds:
        if kind in ("decode", "mediapipe"):
            continue
        least_wall = _median([r[kind]["cpu_s"] for r in rounds]) / cores
        print(
            f"  {kind:<10s} at least {least_wall:5.1f} s wall, at most "
            f"{stock_wall / least_wall:4.2f}x stock pose-only"
        )
    if report_s:
        rounds_text = ", ".join(f"{s:.2f}" for s in report_s)
        print(
            f"report stage (key frames, plots, report and handout PDFs): "
            f"{_median(report_s):.2f} s median ({rounds_text}); must < 3 s"
        )
    if not args.no_long:
        with tempfile.TemporaryDirectory() as tmp:
            # Memory against clip length on one encoding: the clip re-encoded as it is and
            # looped 4x (the loop is H.264; its decoder's memory differs from the original's).
            x1 = measure(loop_clip(clip, 1, Path(tmp)), kinds)
            x4 = measure(loop_clip(clip, 4, Path(tmp)), kinds)
            print("peak memory (max RSS, MB)  clip (H.264)  4x clip  4x / 1x")
            for kind in kinds:
                short, long = x1[kind]["peak_rss_mb"], x4[kind]["peak_rss_mb"]
                print(f"  {kind:<26s} {short:7.0f} {long:9.0f} {long / short:8.2f}")
            print(f"  (original clip: {', '.join(_rss_text(rounds, k) for k in kinds)})")
            times = max(1, math.ceil(LONG_CLIP_S / _clip_seconds(clip)))
            x_long = loop_clip(clip, times, Path(tmp))
            seconds = _clip_seconds(x_long)
            run = _child("visit", x_long)
            print(
                f"{seconds:.0f} s clip ({times}x the clip, {run['frames']:.0f} frames), whole "
                f"visit end to end: {run['seconds']:.1f} s ({run['fps']:.1f} frames/s), report "
                f"stage {run['report_s'] or math.nan:.2f} s, peak memory {run['peak_rss_mb']:.0f}"
                " MB"
            )
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
