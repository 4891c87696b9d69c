"""The live progress of an analysis job: the pipeline's progress callback writes the stage,
the fraction done and the frames per second to the job row, and a heartbeat thread keeps the
row fresh (and writes what the write limit held back).

A new stage is written at once; within a stage at most every :data:`PROGRESS_EVERY_S`, and
the newest report held back by that limit is written within :data:`FLUSH_EVERY_S`, so the
page never stays on an older count than was reported, however the reports are spaced.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from django.utils import timezone

from groundup.web.models import AnalysisJob

# A running job writes a heartbeat at least this often (seconds).
HEARTBEAT_S = 5.0
# Progress within a stage is written to the database at most this often (seconds); what a
# shorter interval held back is written within FLUSH_EVERY_S.
PROGRESS_EVERY_S = 0.5
FLUSH_EVERY_S = 1.0
# Frames per second are shown once the frames have run this long (a shorter span gives noise).
MIN_FPS_SPAN_S = 0.5
_FRAMES = re.compile(r"\((\d+)/(\d+) frames\)")


class JobCancelledError(Exception):
    """The therapist cancelled the analysis."""


class JobProgress:
    """The pipeline's progress callback: writes stage, fraction and frames per second to the
    job row, and raises :class:`JobCancelledError` when a cancel was asked for. Frames
    per second are the frames reported for the recording over the time since its stage
    before the frames began (the pose run's person search), whatever the rhythm of the
    reports."""

    def __init__(self, job_id: Any, names: dict[str, str] | None = None) -> None:
        self.job_id = job_id
        self.names = names or {}
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.last_write = 0.0
        self.stage_key = ""
        self.stage_began = time.monotonic()
        self.frames_from: tuple[float, int] | None = None  # (when, frames done) at the start
        self.pending: dict[str, Any] | None = None
        self.cancelled = False
        self.prefix = ""

    def restart(self, prefix: str) -> None:
        """A further run of the same job: its stages are shown after ``prefix``."""
        with self.lock:
            self.prefix, self.frames_from, self.stage_key = prefix, None, ""

    def _fps(self, now: float, stage: str) -> float | None:
        m = _FRAMES.search(stage)
        if m is None:
            self.frames_from = None
            return None
        done = int(m.group(1))
        if self.frames_from is None or done < self.frames_from[1]:
            self.frames_from = (self.stage_began, 0)  # the frames of a (next) recording
        began, done0 = self.frames_from
        span_s = now - began
        return (done - done0) / span_s if span_s >= MIN_FPS_SPAN_S and done > done0 else None

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        for stored, shown in self.names.items():
            stage = stage.replace(stored, shown)
        with self.lock:
            key = _FRAMES.sub("", stage)
            fps = self._fps(now, stage)
            if key != self.stage_key:
                if not _FRAMES.search(stage):
                    self.stage_began = now
                self.stage_key = key
                self.last_write = 0.0  # a new stage is shown at once
            self.pending = {
                # The stage text names the recording by its stored (random) file name only.
                "stage": (self.prefix + stage)[:200],
                "fraction_done": max(0.0, min(1.0, fraction)),
                "frames_per_s": round(fps, 1) if fps else None,
            }
            due = now - self.last_write >= PROGRESS_EVERY_S or fraction >= 1.0
        if due:
            self.flush(force=True)
        if self.cancelled:
            raise JobCancelledError()

    def flush(self, *, force: bool = False) -> None:
        """Write the newest progress not yet written (and the heartbeat); note a cancel."""
        # One writer at a time, from taking the newest report to its write: the heartbeat
        # thread and the pipeline's thread never land an older count after a newer one.
        with self.write_lock:
            with self.lock:
                now = time.monotonic()
                if not force and now - self.last_write < PROGRESS_EVERY_S:
                    return
                fields, self.pending = self.pending or {}, None
                self.last_write = now
            AnalysisJob.objects.filter(id=self.job_id).update(heartbeat_at=timezone.now(), **fields)
        if AnalysisJob.objects.filter(id=self.job_id, cancel_requested=True).exists():
            self.cancelled = True


def heartbeat(progress: JobProgress, stop: threading.Event) -> None:
    """Every :data:`FLUSH_EVERY_S`: progress held back by the write limit; every
    :data:`HEARTBEAT_S` at the least: the heartbeat."""
    from django.db import connection

    last_beat = time.monotonic()
    try:
        while not stop.wait(FLUSH_EVERY_S):
            if progress.pending is not None or time.monotonic() - last_beat >= HEARTBEAT_S:
                progress.flush()
                last_beat = time.monotonic()
    finally:
        connection.close()
