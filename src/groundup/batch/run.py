"""Run a cohort: decide what to (re)do, run it on the chosen engine, write the results.

A recording is skipped when the run manifest says it is done, its input and settings are
unchanged (same checksums), the GroundUp version is the same and its output folder is there. A
recording that failed with the same input is skipped too (and listed again as failed) unless
``retry_failed`` is set; a changed input is always run again. The log (``batch.log`` in the
output folder) names recordings by their recording id only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import Future, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from groundup import __version__
from groundup.batch.engines import (
    dask_cluster,
    default_workers,
    engine_name,
    local_pool,
    start_local_workers_early,
)
from groundup.batch.inputs import Recording
from groundup.batch.outputs import (
    read_task_record,
    recording_dir,
    remove_leftovers,
    remove_recording_folder,
    write_recording_folder,
)
from groundup.batch.run_manifest import RunManifest, file_checksum
from groundup.batch.table import ResultFiles, write_results
from groundup.batch.task import TaskResult, TaskSpec, run_recording_task

LOG_NAME = "batch.log"
log = logging.getLogger("groundup.batch")


@dataclass(frozen=True)
class BatchSettings:
    """How to run: the engine and the analysis options every recording gets."""

    workers: int | None = None
    scheduler: str | None = None
    retry_failed: bool = False
    events: str = "auto"
    make_report: bool = False
    annotated_video: bool = False
    deidentify: bool = True


@dataclass(frozen=True)
class TaskTiming:
    """How long one task took in its worker, and which worker ran it."""

    recording_id: str
    worker: str
    duration_s: float
    cpu_s: float


@dataclass
class BatchSummary:
    """What a run did (counts over the recordings given) and where the results are."""

    n_recordings: int = 0
    n_skipped_done: int = 0
    n_skipped_failed: int = 0
    n_run: int = 0
    n_done: int = 0
    n_failed: int = 0
    wall_time_s: float = 0.0
    results: ResultFiles | None = None
    failed_ids: list[str] = field(default_factory=list)
    timings: list[TaskTiming] = field(default_factory=list)
    """The tasks run now, in the order they finished."""

    @property
    def recordings_per_min(self) -> float | None:
        if self.n_run == 0 or self.wall_time_s <= 0:
            return None
        return 60.0 * self.n_run / self.wall_time_s


class BatchProgress(Protocol):
    """What the batch tells a progress display."""

    def start(self, total: int, done: int, failed: int) -> None: ...

    def finished(self, recording_id: str, ok: bool) -> None: ...


@dataclass(frozen=True)
class _Planned:
    recording: Recording
    spec: TaskSpec
    input_checksum: str
    settings_checksum: str


def task_spec(recording: Recording, settings: BatchSettings) -> TaskSpec:
    return TaskSpec(
        recording_id=recording.recording_id,
        path=str(recording.path),
        view=recording.view,
        height_m=recording.height_m,
        exam=str(recording.exam) if recording.exam else None,
        events=settings.events,
        make_report=settings.make_report,
        annotated_video=settings.annotated_video,
        deidentify=settings.deidentify,
    )


def settings_checksum(spec: TaskSpec) -> str:
    """SHA-256 of everything but the input that decides a recording's result (the options and
    the exam file's content)."""
    options = {k: v for k, v in asdict(spec).items() if k not in ("recording_id", "path")}
    options["exam"] = file_checksum(Path(spec.exam)) if spec.exam else None
    text = json.dumps(options, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_batch(
    recordings: list[Recording],
    out_dir: Path,
    settings: BatchSettings | None = None,
    progress: BatchProgress | None = None,
) -> BatchSummary:
    """Run every recording not yet done (see the module docstring) and write the tables."""
    settings = settings or BatchSettings()
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = _log_to(out_dir / LOG_NAME)
    manifest = RunManifest(out_dir)
    try:
        return _run(recordings, out_dir, settings, manifest, progress)
    finally:
        manifest.close()
        log.removeHandler(handler)
        handler.close()


def _run(
    recordings: list[Recording],
    out_dir: Path,
    settings: BatchSettings,
    manifest: RunManifest,
    progress: BatchProgress | None,
) -> BatchSummary:
    started = time.perf_counter()
    workers = settings.workers or default_workers()
    engine = engine_name(settings.scheduler, workers)
    if (n := remove_leftovers(out_dir)) > 0:
        log.info("removed %d unfinished output folder(s) of an earlier run", n)
    if (n := manifest.reset_running()) > 0:
        log.info("%d recording(s) were running when an earlier run stopped", n)
    if not settings.scheduler and _some_to_run(recordings, manifest, settings.retry_failed):
        start_local_workers_early()  # overlaps the checksums below

    summary = BatchSummary(n_recordings=len(recordings))
    todo: list[_Planned] = []
    for recording in recordings:
        planned = _plan(recording, settings)
        decision = _decide(planned, manifest, out_dir, settings.retry_failed)
        if decision == "done":
            summary.n_skipped_done += 1
        elif decision == "failed":
            summary.n_skipped_failed += 1
        else:
            todo.append(planned)
    run_id = manifest.start_run(
        __version__, engine, len(recordings), summary.n_skipped_done + summary.n_skipped_failed
    )
    log.info(
        "run %d on %s: %d recording(s), %d already done, %d failed before, %d to run",
        run_id, engine, len(recordings), summary.n_skipped_done, summary.n_skipped_failed,
        len(todo),
    )  # fmt: skip
    if progress is not None:
        progress.start(len(recordings), summary.n_skipped_done, summary.n_skipped_failed)

    run_started = time.perf_counter()
    if todo:
        pool = dask_cluster(settings.scheduler) if settings.scheduler else local_pool(workers)
        with pool as executor:
            manifest.mark_running_all(
                [(p.recording.recording_id, p.input_checksum, p.settings_checksum) for p in todo],
                __version__,
            )
            # Largest inputs first (clips before C3D trials): a long clip started last would
            # leave the other workers idle while it runs alone.
            todo.sort(key=lambda p: _input_size(p.recording.path), reverse=True)
            futures: dict[Future[TaskResult], _Planned] = {
                executor.submit(run_recording_task, planned.spec): planned for planned in todo
            }
            for future in as_completed(futures):
                ok = _record(future, futures[future], out_dir, manifest, summary.timings)
                summary.n_run += 1
                summary.n_done += ok
                summary.n_failed += not ok
                if progress is not None:
                    progress.finished(futures[future].recording.recording_id, ok)
    summary.wall_time_s = time.perf_counter() - run_started
    _log_workers(summary)
    manifest.finish_run(run_id, summary.n_done, summary.n_failed)
    summary.results = write_results(out_dir, recordings, manifest)
    summary.failed_ids = [f.recording_id for f in summary.results.failures]
    log.info(
        "run %d finished in %.1f s: %d done, %d failed; table of %d row(s)",
        run_id, time.perf_counter() - started, summary.n_done, summary.n_failed,
        summary.results.n_rows,
    )  # fmt: skip
    return summary


def _input_size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _some_to_run(recordings: list[Recording], manifest: RunManifest, retry_failed: bool) -> bool:
    """Whether a recording is new or unfinished (then workers will be needed); whether the
    finished ones changed is known only once their checksums are computed."""
    finished = ("done", "failed") if not retry_failed else ("done",)
    rows = manifest.all()
    return any(
        (row := rows.get(r.recording_id)) is None or row.status not in finished for r in recordings
    )


def _plan(recording: Recording, settings: BatchSettings) -> _Planned:
    spec = task_spec(recording, settings)
    return _Planned(recording, spec, file_checksum(recording.path), settings_checksum(spec))


def _decide(planned: _Planned, manifest: RunManifest, out_dir: Path, retry_failed: bool) -> str:
    """ "done", "failed" (both skipped) or "run"."""
    rec_id = planned.recording.recording_id
    row = manifest.get(rec_id)
    if row is None:
        return "run"
    same_input = (
        row.input_checksum == planned.input_checksum
        and row.settings_checksum == planned.settings_checksum
        and row.groundup_version == __version__
    )
    if not same_input:
        return "run"
    if row.status == "failed":
        return "run" if retry_failed else "failed"
    record = read_task_record(out_dir, rec_id)
    complete = (
        record is not None
        and record.get("input_checksum") == planned.input_checksum
        and record.get("settings_checksum") == planned.settings_checksum
        and record.get("groundup_version") == __version__
    )
    if row.status == "done":
        return "done" if complete else "run"
    if complete:  # written, but the run stopped before noting it: nothing to redo
        manifest.mark_done_recovered(rec_id, record.get("duration_s") if record else None)
        log.info("%s: output found complete, marked done", rec_id)
        return "done"
    return "run"


def _record(
    future: Future[TaskResult],
    planned: _Planned,
    out_dir: Path,
    manifest: RunManifest,
    timings: list[TaskTiming] | None = None,
) -> bool:
    rec_id = planned.recording.recording_id
    try:
        result = future.result()
    except Exception as exc:  # the worker process died (crash, out of memory, killed)
        result = TaskResult(
            recording_id=rec_id,
            ok=False,
            duration_s=0.0,
            groundup_version=__version__,
            error=f"The worker running this recording stopped ({type(exc).__name__}). "
            "What to do: run again with --retry-failed; if it fails again, analyse it alone "
            "with `groundup analyze` to see why.",
        )
    if timings is not None and result.worker:
        timings.append(TaskTiming(rec_id, result.worker, result.duration_s, result.cpu_s))
    if result.ok and result.groundup_version != __version__:
        result.ok = False
        result.error = (
            f"The worker runs GroundUp {result.groundup_version}, this command "
            f"{__version__}. What to do: install the same GroundUp version on every worker."
        )
    if result.ok:
        task = {
            "recording_id": rec_id,
            "input_checksum": planned.input_checksum,
            "settings_checksum": planned.settings_checksum,
            "groundup_version": result.groundup_version,
            "duration_s": round(result.duration_s, 3),
            "cpu_s": round(result.cpu_s, 3),
        }
        try:
            write_recording_folder(out_dir, rec_id, result.files, task)
        except OSError as exc:
            result.ok = False
            result.error = f"Could not write the results ({exc.strerror or exc})."
    if not result.ok and remove_recording_folder(out_dir, rec_id):
        log.info("%s: the earlier result of its previous input was removed", rec_id)
    manifest.mark_finished(
        rec_id,
        ok=result.ok,
        duration_s=round(result.duration_s, 3),
        error=result.error,
        version=result.groundup_version,
    )
    if result.ok:
        log.info("%s: done in %.1f s", rec_id, result.duration_s)
    else:
        log.warning("%s: failed: %s", rec_id, result.error)
    return result.ok


def _log_workers(summary: BatchSummary) -> None:
    """Per worker: tasks, busy seconds and CPU seconds, against the run's wall time (a worker
    busy far less than the wall time waited for work; CPU far below busy time waited for a
    core the machine gave to something else)."""
    workers: dict[str, list[TaskTiming]] = {}
    for t in summary.timings:
        workers.setdefault(t.worker, []).append(t)
    for k, (_name, tasks) in enumerate(sorted(workers.items()), start=1):
        log.info(
            "worker %d: %d task(s), busy %.1f s, CPU %.1f s, of %.1f s wall",
            k, len(tasks), sum(t.duration_s for t in tasks), sum(t.cpu_s for t in tasks),
            summary.wall_time_s,
        )  # fmt: skip


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def output_folder(out_dir: Path, recording_id: str) -> Path:
    """Where a recording's documents are (``recordings/<recording id>/``)."""
    return recording_dir(out_dir, recording_id)
