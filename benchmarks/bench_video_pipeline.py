"""Speed and peak memory of the video front end against stock MediaPipe pose.

Usage: ``python benchmarks/bench_video_pipeline.py [CLIP]`` (default: the Sports2D demo clip in
``../shared/data/video`` beside the repository). On the same clip, in one run, it prints:
decode-only frames/s, stock MediaPipe pose-only frames/s (decode + ``mediapipe.solutions.pose.
Pose(model_complexity=1)`` per frame, nothing else), GroundUp pose only (``run_video_pose``),
GroundUp end-to-end (``groundup analyze CLIP --out DIR --no-report --no-annotated-video``:
pose, gait, curves, chain and plan, i.e. everything up to the numbers) and the same with the
annotated video rendered, in frames/s, the ratios, and the peak memory (max RSS of a child
process) of each on the clip and on the same clip looped to 4x its length. Every measurement
runs in its own child process so that its peak memory is its own. ``measure(clip_path) ->
dict`` is the function to extend.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

KINDS = ("decode", "mediapipe", "groundup_pose", "groundup", "groundup_video")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "video" / "sports2d_demo.mp4"

_CHILD = r"""
import json, sys, time
kind, clip = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from groundup.video.decode import iter_frames, probe_video
info = probe_video(clip)
n = 0
t0 = time.perf_counter()
if kind == "decode":
    for frame in iter_frames(clip, info):
        n += 1
elif kind == "mediapipe":
    import mediapipe as mp
    pose = mp.solutions.pose.Pose(model_complexity=1)
    t0 = time.perf_counter()
    for frame in iter_frames(clip, info):
        pose.process(frame.image)
        n += 1
elif kind == "groundup_pose":
    from groundup.video.pose_run import run_video_pose
    result = run_video_pose(clip)
    n = result.trial.n_frames
elif kind in ("groundup", "groundup_video"):
    import tempfile
    from typer.testing import CliRunner
    from groundup.cli import app
    n = info.n_frames_estimate
    args = ["--no-report"] + (["--no-annotated-video"] if kind == "groundup" else [])
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = CliRunner().invoke(app, ["analyze", clip, "--out", out, *args])
        if res.exit_code != 0:
            raise SystemExit(f"analyze failed: {res.output[-2000:]}")
import resource
seconds = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"frames": n, "seconds": seconds, "peak_rss_mb": peak_kib / 1024}))
"""


def _child(kind: str, clip: Path) -> dict[str, float]:
    """Run one measurement in a fresh process; frames, seconds and that process's own peak RSS
    (its ``RUSAGE_SELF`` max RSS: exactly the child's, unlike ``RUSAGE_CHILDREN``, which keeps
    the largest child so far)."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(clip), str(REPO / "src")],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-2000:]}")
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


def measure(clip_path: str | Path) -> dict[str, dict[str, float]]:
    """All measurements on one clip (each in its own process)."""
    clip = Path(clip_path)
    return {kind: _child(kind, clip) for kind in KINDS}


def main() -> int:
    clip = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CLIP
    if not clip.is_file():
        print(f"Clip not found: {clip}. Give a clip path: bench_video_pipeline.py CLIP")
        return 2
    started = time.perf_counter()
    short = measure(clip)
    with tempfile.TemporaryDirectory() as tmp:
        long = measure(loop_clip(clip, 4, Path(tmp)))
    d, m, p, g, v = (short[k]["fps"] for k in KINDS)
    print(f"clip: {clip.name}, {short['decode']['frames']:.0f} frames")
    print(f"decode only                 {d:7.1f} frames/s")
    print(f"stock MediaPipe pose only   {m:7.1f} frames/s")
    print(f"GroundUp pose only          {p:7.1f} frames/s  (run_video_pose)")
    print(
        f"GroundUp end-to-end         {g:7.1f} frames/s  (groundup analyze --no-report "
        "--no-annotated-video: clip to analysis.json, chain and plan)"
    )
    print(
        f"GroundUp with annotated video {v:5.1f} frames/s  (groundup analyze --no-report: "
        "the same plus the annotated video)"
    )
    print(f"ratio GroundUp pose / pose-only {p / m:5.2f}")
    print(f"ratio end-to-end / pose-only {g / m:6.2f}  (must >= 0.85, aim >= 1.5)")
    print(f"ratio with annotated video / pose-only {v / m:4.2f}")
    print(f"ratio end-to-end / decode   {g / d:7.2f}")
    print("peak memory (max RSS, MB)    clip    4x clip")
    for kind in KINDS:
        print(f"  {kind:<24} {short[kind]['peak_rss_mb']:7.0f} {long[kind]['peak_rss_mb']:9.0f}")
    print(
        f"GroundUp end-to-end frames/s on the 4x clip: {long['groundup']['fps']:.1f} "
        f"({long['groundup_video']['fps']:.1f} with the annotated video)"
    )
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
