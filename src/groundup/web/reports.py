"""The report after a therapist's plan change: written again with the plan in force.

The clinician report and the handout are rendered again by the report module
(:func:`groundup.report.render_visit_report`) from the visit's stored documents and the
therapist's plan, whose notes say who changed it, when and why; the new PDFs become the
visit's report and GroundUp's first PDFs stay with the visit as media. Key frames of clips
are not stored, so a report written again shows none.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction

from groundup.store.models import MediaFile, Patient, Report, Visit


def plan_in_force(visit: Visit) -> tuple[dict[str, Any] | None, Any]:
    """The visit's plan in force: the therapist's newest change, else GroundUp's plan; and the
    change (a PlanEdit) or None."""
    edit = visit.plan_edits.order_by("-edited_at", "-id").first()
    if edit is not None:
        return edit.plan, edit
    return (visit.plan.document if hasattr(visit, "plan") else None), None


def previous_plan(patient: Patient) -> tuple[Visit | None, dict[str, Any] | None]:
    """The plan in force of the patient's last visit with a plan (a follow-up starts from it,
    with the therapist's changes)."""
    last = patient.visits.filter(plan__isnull=False).order_by("-visit_date", "-number").first()
    if last is None:
        return None, None
    return last, plan_in_force(last)[0]


def therapist_note(who: str, when: str, note: str, changes: list[str]) -> str:
    return (f"Plan changed by the therapist {who} on {when}: {note} "
            f"(changes: {'; '.join(changes)}).")


def rerender_report(visit: Visit, plan: dict[str, Any], edit_number: int) -> Report | None:
    """Render the report and handout with ``plan``; make them the visit's report."""
    from groundup.report import render_visit_report
    from groundup.store.media import media_lock, put_file

    analyses = [a.document for a in visit.analyses.order_by("index")]
    exam = visit.exam.document if hasattr(visit, "exam") else None
    chain = visit.chain.document if hasattr(visit, "chain") else None
    with tempfile.TemporaryDirectory(prefix="groundup-report-") as tmp:
        files = render_visit_report(Path(tmp), analyses=analyses, exam=exam, chain=chain,
                                    plan=plan, key_frames=None, deidentify=True)
        with media_lock():
            kept = {}
            for role, path in (("report_pdf", files.pdf), ("handout_pdf", files.handout_pdf)):
                if path is not None and Path(path).is_file():
                    kept[role] = (*put_file(Path(path)), Path(path).name)
            with transaction.atomic():
                rows = {}
                for role, (sha, size, name) in kept.items():
                    stem = Path(name).stem
                    rows[role] = MediaFile.objects.create(
                        visit=visit, role=role, sha256=sha, size_bytes=size,
                        name=f"{stem}_therapist_{edit_number}.pdf",
                        content_type="application/pdf")
                if "report_pdf" not in rows:
                    return None
                report, _ = Report.objects.update_or_create(
                    visit=visit, defaults={"report_pdf": rows["report_pdf"],
                                           "handout_pdf": rows.get("handout_pdf")})
                return report
