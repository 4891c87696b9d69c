"""The whole visit: recordings and an exam in; analyses, chain, plan and the report out.

``run_visit`` is what ``groundup analyze`` runs. Every stage reads what the stages before it
wrote (the same JSON documents the files hold), so the report shows exactly the stored numbers.

One write path (docs/decisions/output-folder.md): every input and option is checked first (the
exam scored, the previous plan read, the precautions looked up), then every recording analysed,
and everything is written into a new folder beside the output folder
(:func:`groundup.output.staged_folder`) that replaces it only when the whole visit is complete.
A bad input, a failed report, a full disk or a killed run leave the earlier visit in the folder
exactly as it was; a finished run leaves a complete new set, never a mix of two visits.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groundup.errors import GroundUpError, InputError, environment_problem
from groundup.in_thread import InThread
from groundup.output import check_output_folder, staged_folder, without_paths, write_json
from groundup.pipeline.low_priority import LOWER_PRIORITY_BY, ChildNotStartedError, ForkedJobs
from groundup.pipeline.recording import (
    VIDEO_SUFFIXES,
    RecordingOptions,
    RecordingResult,
    StageProgress,
    analyse_recording,
    check_options,
    kind_of,
)

if TYPE_CHECKING:
    from groundup.report.pdf import Printers

VISIT_FILES = frozenset(
    {
        "analysis.json",
        "exam.json",
        "chain.json",
        "plan.json",
        "annotated.mp4",
        "report.html",
        "report.pdf",
        "handout.pdf",
        "report_files",
    }
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

    def moved_to(self, staged: Path, out: Path) -> VisitOutputs:
        """The same outputs with their paths in the output folder (after the swap)."""

        def move(p: Path | None) -> Path | None:
            return None if p is None else out / p.relative_to(staged)

        self.analyses = [out / p.relative_to(staged) for p in self.analyses]
        self.annotated_videos = [out / p.relative_to(staged) for p in self.annotated_videos]
        self.exam, self.chain, self.plan = move(self.exam), move(self.chain), move(self.plan)
        self.report_html, self.report_pdf = move(self.report_html), move(self.report_pdf)
        self.handout_pdf = move(self.handout_pdf)
        return self


class ExamNotUsableError(InputError):
    """The exam has input errors: the visit is not run, and every error is shown."""

    def __init__(self, exam_doc: dict[str, Any], name: str) -> None:
        self.exam_doc = exam_doc
        n = len(exam_doc.get("errors") or [])
        super().__init__(
            f"The exam {name} has {n} input error(s), listed above.",
            "Correct the fields listed (or remove a test that was not done) and run again; "
            f"`groundup exam score {name} --out DIR` checks the exam on its own.",
        )


def is_visit_output(name: str) -> bool:
    """Names a visit writes, and so replaces as one set; anything else in the output folder
    (the user's own files) is kept."""
    return name in VISIT_FILES or (
        name.startswith(("analysis_", "annotated_")) and name.endswith((".json", ".mp4"))
    )


def analysis_file_name(index: int, path: Path, n_inputs: int) -> str:
    """analysis.json for one recording; analysis_<n>_<name>.json for several (in input order)."""
    if n_inputs == 1:
        return "analysis.json"
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:40] or "recording"
    return f"analysis_{index + 1}_{stem}.json"


def video_file_name(index: int, path: Path, n_inputs: int) -> str:
    """annotated.mp4 for one recording; annotated_<n>_<name>.mp4 for several."""
    name = analysis_file_name(index, path, n_inputs)
    return name.replace("analysis", "annotated", 1).replace(".json", ".mp4")


def _read_previous_plan(path: Path) -> dict[str, Any]:
    from groundup.plan.inputs import read_document

    try:
        return read_document(path, "plan")
    except InputError as exc:
        raise InputError(f"--previous: {exc.problem}", exc.fix) from None


def _check_precautions(precautions: tuple[str, ...]) -> None:
    from groundup.plan.library import precautions as known_precautions

    known = known_precautions()
    unknown = [p for p in precautions if p not in known]
    if unknown:
        raise InputError(
            f"Unknown --precaution: {', '.join(unknown)}.",
            "Use one of: " + ", ".join(sorted(known)) + " (see docs/chain-and-plan.md).",
        )


def _exam_patient(exam: dict[str, Any] | None) -> tuple[float | None, float | None]:
    patient = (exam or {}).get("patient") or {}
    age = patient.get("age_y")
    height_cm = patient.get("height_cm")
    return (
        float(age) if isinstance(age, int | float) else None,
        float(height_cm) / 100.0 if isinstance(height_cm, int | float) else None,
    )


def check_visit_inputs(
    inputs: list[Path],
    out: Path,
    exam_path: Path | None,
    previous_plan_path: Path | None,
    precautions: tuple[str, ...],
    options: RecordingOptions,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Check everything that can be checked before the analysis: the options, the output
    folder, each recording's presence and kind, the precautions, the previous plan, and the
    exam (scored here: an exam with input errors stops the visit). Returns (exam, previous)."""
    if not inputs and exam_path is None:
        raise InputError(
            "Nothing to analyse: give a recording, an exam (--exam), or both.",
            "For example: groundup analyze walk.mp4 --exam exam.yaml --out results",
        )
    check_options(options)
    check_output_folder(out)
    for path in inputs:
        if not path.exists():
            raise InputError(f"File not found: {path.name}.", "Check the path and the file name.")
        kind_of(path, options.kind)
    _check_precautions(precautions)
    previous = _read_previous_plan(previous_plan_path) if previous_plan_path else None
    exam_doc: dict[str, Any] | None = None
    if exam_path is not None:
        from groundup.exam.scoring import score_exam_file

        if not exam_path.is_file():
            raise InputError(f"Exam file not found: {exam_path.name}.", "Check the path.")
        exam_doc = without_paths(score_exam_file(exam_path))
        if exam_doc.get("errors"):
            raise ExamNotUsableError(exam_doc, exam_path.name)
    return exam_doc, previous


# Modules a visit needs after its recordings are analysed, imported in the background while the
# pose models run (they run outside Python's interpreter lock): about 1 s of SciPy and 0.5 s of
# matplotlib would otherwise wait in line.
_ANALYSIS_MODULES = (
    "scipy.optimize",  # the people pass's tracker, once both halves of the clip are detected
    "scipy.signal",
    "scipy.interpolate",
    "groundup.keypoints.pipeline",
    "groundup.norms.curves",
    "groundup.plan",
)
_REPORT_MODULES = ("matplotlib.figure", "groundup.report.render", "groundup.report.figures")


class ModulePreload:
    """The later stages' modules imported in a background thread, from :meth:`start` on (an
    import that fails here fails again, with its own message, where the module is used).

    A visit with a clip starts it at the pose run's first frame, not at once: imports hold
    Python's interpreter lock, and beside the pose run's own start (its modules, the models,
    the clip's packets) they halved its pace (a timeline of the sample clip: the main thread at
    0.5 of a core for the first second, beside the imports at 0.3-0.5)."""

    def __init__(self, analysis: bool, report: bool) -> None:
        self.names = (
            *(_ANALYSIS_MODULES if analysis else ()),
            *(_REPORT_MODULES if report else ()),
        )
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._work, name="groundup-preload-modules", daemon=True
                )
                self.thread.start()

    def join(self) -> None:
        self.start()
        assert self.thread is not None
        self.thread.join()

    def _work(self) -> None:
        for name in self.names:
            try:
                importlib.import_module(name)
            except Exception:  # reported where the module is used
                continue


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
    options = replace(options or RecordingOptions(), key_frames=make_report)
    report = progress or (lambda _d, _f: None)
    n_stages = len(inputs) + 3
    preloading = ModulePreload(bool(inputs), make_report)
    if not any(path.suffix.lower() in VIDEO_SUFFIXES for path in inputs):
        preloading.start()

    def stage(k: int) -> StageProgress:
        def told(desc: str, frac: float) -> None:
            if frac > 0:
                preloading.start()  # the pose run has started (see ModulePreload)
            report(desc, (k + min(max(frac, 0.0), 1.0)) / n_stages)

        return told

    if exam_path is not None:
        report(f"Scoring the exam {exam_path.name}", 0.0)
    exam_doc, previous = check_visit_inputs(
        inputs, out, exam_path, previous_plan_path, precautions, options
    )
    age_years, exam_height_m = _exam_patient(exam_doc)
    printers = None
    if make_report:
        from groundup.report.pdf import start_printers

        printers = start_printers()  # they import WeasyPrint while the recordings are analysed
    try:
        with staged_folder(out, is_visit_output) as folder:
            results: list[RecordingResult] = []
            for k, path in enumerate(inputs):
                video = folder / video_file_name(k, path, len(inputs))
                results.append(
                    analyse_recording(
                        path,
                        options,
                        age_years=age_years,
                        height_m=exam_height_m,
                        progress=stage(k),
                        annotated_video_path=video if options.annotated_video else None,
                    )
                )
            preloading.join()  # no import half done when the annotated video's process forks
            outputs = _write_visit(
                folder, inputs, results, exam_doc, previous, precautions, options, printers, report
            )
    finally:
        for printer in printers or ():
            printer.close()  # ends a printer the report did not reach
    return outputs.moved_to(folder, Path(out).absolute())


def _write_visit(
    folder: Path,
    inputs: list[Path],
    results: list[RecordingResult],
    exam_doc: dict[str, Any] | None,
    previous: dict[str, Any] | None,
    precautions: tuple[str, ...],
    options: RecordingOptions,
    printers: Printers | None,
    report: StageProgress,
) -> VisitOutputs:
    """Every file of the visit, written into ``folder`` (the staging folder); the report with
    ``printers`` (:func:`groundup.report.pdf.start_printers`), none without."""
    n_stages = len(inputs) + 3
    outputs = VisitOutputs()
    # Every input is analysed: the annotated videos are rendered in the background (a child
    # process at a lower priority, see _AnnotatedVideos) while the documents, the plan and the
    # report are written.
    videos = _AnnotatedVideos(
        [r.write_annotated_video for r in results if r.write_annotated_video is not None]
    )
    try:
        report("Writing the results", len(inputs) / n_stages)
        for k, (path, result) in enumerate(zip(inputs, results, strict=True)):
            doc = without_paths(result.doc)
            source = doc.get("source")
            if isinstance(source, dict) and isinstance(source.get("path"), str):
                source["path"] = Path(source["path"]).name  # folders often name the patient
            target = folder / analysis_file_name(k, path, len(inputs))
            outputs.analyses.append(write_json(doc, target, "analysis"))
            outputs.analysis_docs.append(doc)
        if exam_doc is not None:
            outputs.exam = write_json(exam_doc, folder / "exam.json", "exam")
            outputs.exam_doc = exam_doc

        chain = plan = None
        if outputs.analysis_docs or exam_doc is not None:
            from groundup.plan import plan_visit

            report("Kinetic chain and plan", (len(inputs) + 1) / n_stages)
            chain, plan = plan_visit(
                outputs.analysis_docs or None, exam_doc, previous, list(precautions)
            )
            chain, plan = without_paths(chain), without_paths(plan)
            outputs.chain = write_json(chain, folder / "chain.json", "chain")
            outputs.plan = write_json(plan, folder / "plan.json", "plan")
            outputs.plan_doc = plan

        if printers is not None:
            report("Report and handout", (len(inputs) + 2) / n_stages)
            _write_report(
                folder, outputs, results, exam_doc, chain, plan, options.deidentify, printers
            )
    except BaseException:
        videos.stop()  # the first error is the one to show
        raise
    if videos.pending:
        report("Annotated video", (len(inputs) + 2.5) / n_stages)
    outputs.annotated_videos = videos.wait()
    report("Done", 1.0)
    return outputs


def _write_report(
    folder: Path,
    outputs: VisitOutputs,
    results: list[RecordingResult],
    exam_doc: dict[str, Any] | None,
    chain: dict[str, Any] | None,
    plan: dict[str, Any] | None,
    deidentify: bool,
    printers: Any = None,
) -> None:
    from groundup.report import render_visit_report

    def make_key_frames() -> list[Any]:
        key_frames = []
        for k, result in enumerate(results):
            for frame in result.make_key_frames() if result.make_key_frames else []:
                frame.source_index = k
                if frame.time_src:
                    frame.time_src = f"analysis/{k}/{frame.time_src}"
                key_frames.append(frame)
        return key_frames

    # The key frames (face finding and drawing on the kept frame copies) are made in a child
    # process while the report draws its plots: in a thread, each waited for the other's turn
    # with the interpreter lock (0.73 s for the key frames beside the plots, 0.38 s alone).
    frames = _InBackground(make_key_frames, "groundup-key-frames", in_child=True)
    try:
        files = render_visit_report(
            folder,
            analyses=outputs.analysis_docs,
            exam=exam_doc,
            chain=chain,
            plan=plan,
            key_frames=frames.result,
            deidentify=deidentify,
            printers=printers,
        )
    except GroundUpError as exc:
        if isinstance(exc.__cause__, OSError):
            raise environment_problem(exc.__cause__, "to write the report") from exc
        raise
    finally:
        frames.stop()  # never left running behind an error
    outputs.report_html, outputs.report_pdf = files.html, files.pdf
    outputs.handout_pdf = files.handout_pdf


class _InBackground:
    """One function run in the background; ``result`` waits for its value or raises its error
    in the caller's thread. With ``in_child``, in a forked child process
    (:class:`groundup.pipeline.low_priority.ForkedJobs`, ``lower_priority_by`` lower in CPU
    priority; its Python work then does not wait for this process's interpreter lock), else, or
    where no child can start, in a thread; where the child ends without an answer (or with an
    error that cannot be brought back as it was raised), the function is run here, so the value
    or the error is the same as without a child."""

    def __init__(
        self,
        work: Callable[[], Any],
        name: str,
        in_child: bool = False,
        lower_priority_by: int = 0,
    ) -> None:
        self.work = work
        self.child: ForkedJobs | None = None
        self.thread: InThread[Any] | None = None
        if in_child:
            try:
                self.child = ForkedJobs([work], name, lower_priority_by=lower_priority_by)
                return
            except ChildNotStartedError:
                pass
        self.thread = InThread(work, name)

    def stop(self) -> None:
        """End a child whose result is not wanted (an error); wait for a thread (a thread cannot
        be stopped; it must not write into a removed folder)."""
        if self.child is not None:
            self.child.stop()
            self.child = None
        if self.thread is not None:
            self.thread.join()

    def result(self) -> Any:
        if self.child is not None:
            child, self.child = self.child, None
            values = child.result()  # raises the child's error
            return self.work() if values is None else values[0]
        return None if self.thread is None else self.thread.result()  # None: stopped


class _AnnotatedVideos:
    """The annotated-video renderers, one after the other in the background; ``wait`` returns
    their files or raises the first error met. They run in a forked child at a lower CPU
    priority (:class:`_InBackground`): it takes the CPU the report stage leaves, and its drawing
    does not compete with the report's plots for this process's interpreter lock."""

    def __init__(self, jobs: list[Callable[[], Path] | None]) -> None:
        run = [job for job in jobs if job is not None]
        self.pending = bool(run)
        self.background: _InBackground | None = None
        if run:
            self.background = _InBackground(
                lambda: [job() for job in run],
                "groundup-annotated-video",
                in_child=True,
                lower_priority_by=LOWER_PRIORITY_BY,
            )

    def wait(self) -> list[Path]:
        self.pending = False
        return [] if self.background is None else list(self.background.result())

    def stop(self) -> None:
        """The visit failed: its videos are not wanted."""
        self.pending = False
        if self.background is not None:
            self.background.stop()
