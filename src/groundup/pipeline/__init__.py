"""The whole job: recordings (and an exam) in, analyses, chain, plan and report out."""

from groundup.pipeline.recording import RecordingOptions, analyse_recording, kind_of
from groundup.pipeline.visit import VisitOutputs, run_visit

__all__ = ["RecordingOptions", "VisitOutputs", "analyse_recording", "kind_of", "run_visit"]
