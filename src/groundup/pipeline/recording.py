"""One recording in, one analysis document out: the same gait engine for every kind of input.

Kinds: ``c3d`` and ``trc`` (markers, or keypoints in metres) go through
:func:`groundup.gait.analysis.analyze_gait`; ``video`` goes through the video front end
(:mod:`groundup.video`) and then :func:`groundup.keypoints.pipeline.analyze_keypoints`, as do
pixel keypoints from other tools (``openpose`` JSON folders, Sports2D/Pose2Sim pixel TRC); ``cop``
is a balance recording (:mod:`groundup.exam.sway`). Gait curves against normative references
(:mod:`groundup.norms.curves`) are added where joint angles can be measured. A walking recording
without one complete stride on either side is refused (:mod:`groundup.pipeline.strides`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundup.errors import GroundUpError, InputError
from groundup.pipeline.plausibility import (
    check_gait_plausible,
    check_marker_units,
    repair_marker_spikes,
)
from groundup.pipeline.strides import require_complete_stride
from groundup.trial import Trial

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".mpg", ".mpeg"})
KINDS = ("auto", "c3d", "trc", "cop", "video", "openpose")

# progress(description, fraction_done 0-1) for a progress bar over the whole run.
StageProgress = Callable[[str, float], None]


@dataclass
class RecordingOptions:
    """What the user may set for the analysis of a recording (see ``groundup analyze --help``)."""

    events: str = "auto"
    kind: str = "auto"
    labels: Path | None = None
    cutoff_hz: float = 6.0
    max_gap_s: float = 0.1
    subject_xy: tuple[float, float] | None = None
    view: str | None = None
    height_m: float | None = None
    fps: float | None = None
    annotated_video: bool = True
    deidentify: bool = True
    key_frames: bool = True
    """Keep small copies of the first seconds of a clip for the report's key frames (set off
    when no report is made: the copies cost about 4 ms a frame)."""


@dataclass
class RecordingResult:
    """The analysis document of one recording and what the report may show from it."""

    doc: dict[str, Any]
    make_key_frames: Callable[[], list[Any]] | None = None
    """Extracts the report's key frames (clips only); run only when a report is made."""
    annotated_video: Path | None = None
    """Where the annotated video goes (clips only); ``write_annotated_video`` writes it."""
    write_annotated_video: Callable[[], Path] | None = None
    """Renders the annotated video; the visit runs it once every input has been analysed,
    alongside the report, so that a failed input leaves no output behind."""


# What --height-m and --fps may be (a person's height; a camera's or a keypoint file's frame rate).
HEIGHT_M_RANGE = (0.5, 2.5)
FPS_RANGE = (1.0, 1000.0)


def check_options(options: RecordingOptions) -> None:
    """Refuse options outside what a recording of walking can mean, before anything runs."""
    import math

    from groundup.signal.filters import check_cutoff_option, check_max_gap_option

    check_cutoff_option(options.cutoff_hz)
    check_max_gap_option(options.max_gap_s)
    checks = (("--height-m", options.height_m, HEIGHT_M_RANGE, "the patient's height in metres"),
              ("--fps", options.fps, FPS_RANGE, "the frame rate of the clip"))  # fmt: skip
    for name, value, (low, high), what in checks:
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise InputError(
                f"{name} {value:g} is outside {low:g}-{high:g}.",
                f"Give {what}, e.g. {name} {'1.70' if name == '--height-m' else '30'}.",
            )
    if options.subject_xy is not None and not all(
        math.isfinite(v) and v >= 0 for v in options.subject_xy
    ):
        raise InputError(
            f"--subject {options.subject_xy} is not a point in the picture.",
            "Give the pixel position of the person as X,Y (0 or more), e.g. --subject 640,820.",
        )
    if options.labels is not None:
        from groundup.io.labels import LabelMap

        LabelMap.load(options.labels)


def kind_of(path: Path, kind: str = "auto") -> str:
    """The kind of a recording, from ``kind`` or else from its extension (or folder content)."""
    if kind not in KINDS:
        raise InputError(f"Unknown kind {kind!r}.", f"Use one of: {', '.join(KINDS)}.")
    if kind != "auto":
        return kind
    if path.is_dir():
        if any(path.glob("*_keypoints.json")) or any(path.glob("*.json")):
            return "openpose"
        raise InputError(
            f"{path.name} is a folder without OpenPose keypoint files (*_keypoints.json).",
            "Give a video, a .c3d or .trc file, or an OpenPose output folder.",
        )
    suffix = path.suffix.lower()
    if suffix == ".c3d":
        return "c3d"
    if suffix == ".trc":
        return "trc"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise InputError(
        f"GroundUp cannot tell what kind of recording {path.name} is from its extension.",
        "Give a video (.mp4, .mov, .webm), a .c3d or .trc file, or say what it is with --kind "
        "(c3d, trc, cop, video, openpose).",
    )


def analyse_recording(
    path: Path,
    options: RecordingOptions,
    age_years: float | None = None,
    height_m: float | None = None,
    progress: StageProgress | None = None,
    annotated_video_path: Path | None = None,
) -> RecordingResult:
    """Analyse one recording (see the module docstring). ``height_m`` from the exam is used when
    ``options.height_m`` is not set."""
    if not path.exists():
        raise InputError(f"File not found: {path.name}.", "Check the path and the file name.")
    kind = kind_of(path, options.kind)
    report = progress or (lambda _d, _f: None)
    if kind == "cop":
        from groundup.exam.sway import analyze_cop_recording

        report(f"Balance recording {path.name}", 0.0)
        return RecordingResult(doc=analyze_cop_recording(path))
    if kind == "video":
        from groundup.pipeline.video import analyse_video

        result = analyse_video(
            path,
            options,
            age_years=age_years,
            height_m=options.height_m or height_m,
            progress=report,
            annotated_video_path=annotated_video_path,
        )
        check_gait_plausible(result.doc, path.name)
        require_complete_stride(result.doc, path.name, markers=False)
        return result
    report(f"Reading {path.name}", 0.0)
    trial = _read_markers_or_keypoints(path, kind, options)
    if trial.point_units == "px":
        from groundup.pipeline.video import analyse_keypoint_trial

        doc = analyse_keypoint_trial(trial, options, age_years, options.height_m or height_m)
        check_gait_plausible(doc, path.name, trial.point_rate_hz)
        require_complete_stride(doc, path.name, markers=False)
        return RecordingResult(doc=doc)
    check_marker_units(trial, path.name)
    trial = repair_marker_spikes(trial, path.name)
    from groundup.gait.analysis import analyze_gait

    report(f"Gait events and parameters of {path.name}", 0.4)
    analysis = analyze_gait(
        trial, events=options.events, cutoff_hz=options.cutoff_hz, max_gap_s=options.max_gap_s
    )
    doc = analysis.to_json()
    check_gait_plausible(doc, path.name, trial.point_rate_hz, markers=True)
    require_complete_stride(doc, path.name, markers=True)
    report(f"Joint angles and curves of {path.name}", 0.7)
    add_marker_curves(doc, trial, analysis.events, age_years)
    return RecordingResult(doc=doc)


def _read_markers_or_keypoints(path: Path, kind: str, options: RecordingOptions) -> Trial:
    from groundup.io.labels import LabelMap

    label_map = LabelMap.load(options.labels)
    if kind == "c3d":
        from groundup.io.c3d import read_c3d

        return read_c3d(path, label_map)
    if kind == "trc":
        from groundup.io.trc import read_trc

        trial = read_trc(path, label_map)
        if trial.point_units == "px" and trial.n_dims == 3:
            # Pixel TRC files (Sports2D) carry an empty third coordinate: keep the image plane.
            trial = trial.replace(points={k: v[:, :2] for k, v in trial.points.items()})
        return trial
    if kind == "openpose":
        from groundup.io.openpose import read_openpose

        return read_openpose(path, options.fps)
    raise InputError(f"Unknown kind {kind!r}.", f"Use one of: {', '.join(KINDS)}.")


def add_marker_curves(
    doc: dict[str, Any], trial: Trial, events: list[Any], age_years: float | None
) -> None:
    """Add the "curves" section from marker-based joint angles, or say in quality why not."""
    from groundup.kinematics.cgm1 import compute_cgm1_joint_angles
    from groundup.norms.curves import compute_gait_curves

    try:
        joint_angles = compute_cgm1_joint_angles(trial)
        angles = joint_angles.angles_deg
        if not angles:
            raise InputError(
                "No joint angle could be computed from these markers.",
                "Joint angles need the pelvis (ASIS/PSIS or sacrum), knee, ankle, heel and toe "
                "markers of the conventional gait model.",
            )
        curves = compute_gait_curves(
            angles,
            trial.point_rate_hz,
            events,
            source="c3d",
            view="3d",
            walking_speed_m_s=doc["spatiotemporal"].get("walking_speed_m_s"),
            leg_length_m=trial.subject.leg_length_m,
            age_years=age_years,
            kinematics=joint_angles.to_json(),
        )
    except GroundUpError as exc:
        doc["quality"]["warnings"].append(
            {"code": "curves_unavailable", "message": f"No gait curves: {exc.problem}"}
        )
        return
    doc["curves"] = curves.to_json()
    doc["quality"]["warnings"].extend(q.to_json() for q in joint_angles.quality)
