"""Cohort runs: many recordings in one command, resumable, on one machine or a Dask cluster.

``groundup batch`` collects recordings (:mod:`~groundup.batch.inputs`), runs each one as a task
through the same visit pipeline as ``groundup analyze`` (:mod:`~groundup.batch.task`), keeps a
resumable run manifest (:mod:`~groundup.batch.run_manifest`), writes each recording's documents
atomically (:mod:`~groundup.batch.outputs`) and ends with one tidy table of results
(:mod:`~groundup.batch.table`). :func:`~groundup.batch.run.run_batch` ties them together.
"""

from groundup.batch.inputs import Recording, collect_recordings
from groundup.batch.run import BatchSettings, BatchSummary, run_batch

__all__ = ["BatchSettings", "BatchSummary", "Recording", "collect_recordings", "run_batch"]
