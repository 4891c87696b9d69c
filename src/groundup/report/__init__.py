"""Clinician report (HTML + PDF) and patient handout (PDF) of a GroundUp visit.

The names below are imported on first use: the report's plotting and PDF libraries are not
loaded by a run that writes no report (``--no-report``), nor by the face blurring that key
frames and the annotated video share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from groundup.lazy_names import names_from

if TYPE_CHECKING:
    from groundup.report.deidentify import blur_faces
    from groundup.report.model import KeyFrame, ReportFiles
    from groundup.report.render import render_visit_report

__all__ = ["KeyFrame", "ReportFiles", "blur_faces", "render_visit_report"]

_WHERE = {
    "blur_faces": "groundup.report.deidentify",
    "KeyFrame": "groundup.report.model",
    "ReportFiles": "groundup.report.model",
    "render_visit_report": "groundup.report.render",
}


__getattr__ = names_from(__name__, _WHERE)
