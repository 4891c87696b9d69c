"""Cohort runs: many recordings in one command, resumable, on one machine or a Dask cluster.

``groundup batch`` collects recordings (:mod:`~groundup.batch.inputs`), runs each one as a task
through the same visit pipeline as ``groundup analyze`` (:mod:`~groundup.batch.task`), keeps a
resumable run manifest (:mod:`~groundup.batch.run_manifest`), writes each recording's documents
atomically (:mod:`~groundup.batch.outputs`) and ends with one tidy table of results
(:mod:`~groundup.batch.table`). :func:`~groundup.batch.run.run_batch` ties them together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from groundup.lazy_names import names_from

if TYPE_CHECKING:
    from groundup.batch.inputs import Recording, collect_recordings
    from groundup.batch.run import BatchSettings, BatchSummary, run_batch

__all__ = ["BatchSettings", "BatchSummary", "Recording", "collect_recordings", "run_batch"]

# Imported on first use (PEP 562): the package is reached by every ``groundup`` command (the
# ``batch`` sub-command is mounted with the others), and its table module imports PyArrow,
# 0.2-0.4 s that ``groundup analyze`` would otherwise wait for.
_WHERE = {
    "Recording": "groundup.batch.inputs",
    "collect_recordings": "groundup.batch.inputs",
    "BatchSettings": "groundup.batch.run",
    "BatchSummary": "groundup.batch.run",
    "run_batch": "groundup.batch.run",
}


__getattr__ = names_from(__name__, _WHERE)
