"""Clinician report (HTML + PDF) and patient handout (PDF) of a GroundUp visit."""

from groundup.report.deidentify import blur_faces
from groundup.report.model import KeyFrame, ReportFiles
from groundup.report.render import render_visit_report

__all__ = ["KeyFrame", "ReportFiles", "blur_faces", "render_visit_report"]
