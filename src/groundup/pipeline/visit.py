"""The whole visit: recordings and an exam in; analyses, chain, plan and the report out.

``run_visit`` is what ``groundup analyze`` runs. Every stage reads what the stages before it
wrote (the same JSON documents the files hold), so the report shows exactly the stored numbers.
Files are written only after every input was analysed, each one atomically: a bad input stops
the run with a message and leaves earlier results in the folder as they were.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundup.errors import GroundUpError, InputError
from groundup.output import write_json
from groundup.pipeline.recording import (
    RecordingOptions,
    RecordingResult,
    StageProgress,
    analyse_recording,
)


@dataclass
class VisitOutputs:
    """Paths of everything a visit wrote, and the documents (for the summary on screen)."""

    analyses: list[Path] = field(default_factory=list)
    analysis_docs: list[dict[str, Any]] = field(default_factory=list)
    exam: Path | None = None
    exam_doc: dict[str, Any] | None = None
    chain: Path | None = None
    plan: Path | None = None
    plan_doc: dict[str, Any] | None = None
    report_html: Path | None = None
    report_pdf: Path | None = None
    handout_pdf: Path | None = None
    annotated_videos: list[Path] = field(default_factory=list)


def analysis_file_name(index: int, path: Path, n_inputs: int) -> str:
    """analysis.json for one recording; analysis_<n>_<name>.json for several (in input order)."""
    if n_inputs == 1:
        return "analysis.json"
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:40] or "recording"
    return f"analysis_{index + 1}_{stem}.json"


def _read_previous_plan(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(
            f"Previous plan not found: {path}.", "Give the plan.json of the last visit."
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name} is not valid JSON (line {exc.lineno}).",
            "Give the plan.json that GroundUp wrote at the last visit.",
        ) from exc
    if not isinstance(doc, dict):
        raise InputError(f"{path.name} is not a plan.", "Give the plan.json of the last visit.")
    return doc


def _exam_patient(exam: dict[str, Any] | None) -> tuple[float | None, float | None]:
    patient = (exam or {}).get("patient") or {}
    age = patient.get("age_y")
    height_cm = patient.get("height_cm")
    return (
        float(age) if isinstance(age, int | float) else None,
        float(height_cm) / 100.0 if isinstance(height_cm, int | float) else None,
    )


def run_visit(
    inputs: list[Path],
    out: Path,
    *,
    exam_path: Path | None = None,
    previous_plan_path: Path | None = None,
    precautions: tuple[str, ...] = (),
    options: RecordingOptions | None = None,
    make_report: bool = True,
    progress: StageProgress | None = None,
) -> VisitOutputs:
    """Analyse every input, score the exam, reason, plan and report (see the module docstring)."""
    options = options or RecordingOptions()
    report = progress or (lambda _d, _f: None)
    if not inputs and exam_path is None:
        raise InputError(
            "Nothing to analyse: give a recording, an exam (--exam), or both.",
            "For example: groundup analyze walk.mp4 --exam exam.yaml --out results",
        )
    n_stages = len(inputs) + 3

    def stage(k: int) -> StageProgress:
        return lambda desc, frac: report(desc, (k + min(max(frac, 0.0), 1.0)) / n_stages)

    exam_doc: dict[str, Any] | None = None
    if exam_path is not None:
        from groundup.exam.scoring import score_exam_file

        report(f"Scoring the exam {exam_path.name}", 0.0)
        if not exam_path.exists():
            raise InputError(f"Exam file not found: {exam_path}.", "Check the path.")
        exam_doc = score_exam_file(exam_path)
    previous = _read_previous_plan(previous_plan_path) if previous_plan_path else None
    age_years, exam_height_m = _exam_patient(exam_doc)

    results: list[RecordingResult] = []
    video_out: list[Path | None] = []
    for k, path in enumerate(inputs):
        name = analysis_file_name(k, path, len(inputs))
        annotated = out / name.replace("analysis", "annotated", 1).replace(".json", ".mp4")
        video_out.append(annotated)
        results.append(
            analyse_recording(
                path,
                options,
                age_years=age_years,
                height_m=exam_height_m,
                progress=stage(k),
                annotated_video_path=annotated if options.annotated_video else None,
            )
        )

    outputs = VisitOutputs()
    # Every input is analysed: the annotated videos are rendered in the background while the
    # documents, the plan and the report are written (decoding and encoding run outside
    # Python's interpreter lock, the report's plotting inside it).
    videos = _AnnotatedVideos([r.write_annotated_video for r in results])
    report("Writing the results", len(inputs) / n_stages)
    for k, (path, result) in enumerate(zip(inputs, results, strict=True)):
        target = out / analysis_file_name(k, path, len(inputs))
        outputs.analyses.append(write_json(result.doc, target, "analysis"))
        outputs.analysis_docs.append(result.doc)
    if exam_doc is not None:
        outputs.exam = write_json(exam_doc, out / "exam.json", "exam")
        outputs.exam_doc = exam_doc

    chain = plan = None
    if outputs.analysis_docs or exam_doc is not None:
        from groundup.plan import plan_visit

        report("Kinetic chain and plan", (len(inputs) + 1) / n_stages)
        chain, plan = plan_visit(
            outputs.analysis_docs or None, exam_doc, previous, list(precautions)
        )
        outputs.chain = write_json(chain, out / "chain.json", "chain")
        outputs.plan = write_json(plan, out / "plan.json", "plan")
        outputs.plan_doc = plan

    if make_report:
        from groundup.report import render_visit_report

        report("Report and handout", (len(inputs) + 2) / n_stages)
        key_frames = []
        for k, result in enumerate(results):
            for frame in result.make_key_frames() if result.make_key_frames else []:
                frame.source_index = k
                if frame.time_src:
                    frame.time_src = f"analysis/{k}/{frame.time_src}"
                key_frames.append(frame)
        files = render_visit_report(
            out,
            analyses=outputs.analysis_docs,
            exam=exam_doc,
            chain=chain,
            plan=plan,
            key_frames=key_frames,
            deidentify=options.deidentify,
        )
        outputs.report_html, outputs.report_pdf = files.html, files.pdf
        outputs.handout_pdf = files.handout_pdf
    if videos.pending:
        report("Annotated video", (len(inputs) + 2.5) / n_stages)
    outputs.annotated_videos = videos.wait()
    report("Done", 1.0)
    return outputs


class _AnnotatedVideos:
    """Runs the annotated-video renderers one after the other in a background thread; ``wait``
    returns their files or raises the first error met."""

    def __init__(self, jobs: list[Callable[[], Path] | None]) -> None:
        self.jobs = [job for job in jobs if job is not None]
        self.pending = bool(self.jobs)
        self.paths: list[Path] = []
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        if self.jobs:
            self.thread = threading.Thread(
                target=self._run, name="groundup-annotated-video", daemon=True
            )
            self.thread.start()

    def _run(self) -> None:
        try:
            for job in self.jobs:
                self.paths.append(job())
        except BaseException as exc:  # re-raised in the caller's thread by wait()
            self.error = exc

    def wait(self) -> list[Path]:
        if self.thread is not None:
            self.thread.join()
        self.pending = False
        if self.error is not None:
            raise self.error
        return self.paths


__all__ = ["GroundUpError", "RecordingOptions", "VisitOutputs", "run_visit"]
