"""The pages of the clinic web app. Every view but sign-in needs a signed-in user of a clinic,
looks objects up inside that clinic only (:mod:`groundup.web.access`), and writes an audit
entry for what it shows or changes."""

from __future__ import annotations

import copy
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groundup.store import api
from groundup.store.models import ClinicMembership, Patient, Visit
from groundup.web import access, exam_form, jobs
from groundup.web.access import audit
from groundup.web.models import CLINIC_ADMIN, CLINICIAN, AnalysisJob, PlanEdit, Upload, VisitDraft
from groundup.web.reports import plan_in_force, previous_plan
from groundup.web.uploads import UploadError, keep_upload

# ---- sign in / out, errors ---------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "web/error.html", {
        "title": "The form has expired",
        "text": "The form was sent without its security token (or the page was open too "
                "long). Go back, reload the page and send it again.",
    }, status=403)


# ---- patients --------------------------------------------------------------------------------


def _fmt_date(value: date | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


@login_required
@require_http_methods(["GET", "POST"])
def patient_list(request: HttpRequest) -> HttpResponse:
    """The clinic's patients; the search is sent by POST, so a name never goes into a URL."""
    clinic = access.clinic_of(request)
    query = request.POST.get("q", "").strip() if request.method == "POST" else ""
    patients = Patient.objects.filter(clinic=clinic).select_related("identity").order_by(
        "identity__full_name", "created_at")
    if query:
        patients = patients.filter(
            identity__full_name__icontains=query
        ) | Patient.objects.filter(clinic=clinic, pseudonym__iexact=query)
    rows = []
    for p in patients.distinct():
        visits = list(p.visits.order_by("-visit_date", "-number")[:1])
        rows.append({
            "pseudonym": p.pseudonym,
            "name": getattr(getattr(p, "identity", None), "full_name", ""),
            "birth_date": _fmt_date(getattr(getattr(p, "identity", None), "birth_date", None)),
            "n_visits": p.visits.count(),
            "last_visit": _fmt_date(visits[0].visit_date) if visits else "",
        })
    audit(request, "view", "patient_list", clinic.pk, n=len(rows), searched=bool(query))
    return render(request, "web/patients.html", {"rows": rows, "query": query})


def _parse_birth_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for parse in (date.fromisoformat,):
        try:
            return parse(text)
        except ValueError:
            pass
    parts = text.replace(".", "/").replace("-", "/").split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            pass
    raise ValueError(text)


@login_required
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest) -> HttpResponse:
    clinic = access.clinic_of(request)
    errors: dict[str, str] = {}
    values = {"full_name": "", "birth_date": "", "contact": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        birth = None
        if not values["full_name"]:
            errors["full_name"] = "Enter the patient's name."
        try:
            birth = _parse_birth_date(values["birth_date"])
            if birth is not None and not date(1900, 1, 1) <= birth <= date.today():
                errors["birth_date"] = "The birth date must lie between 1900 and today."
        except ValueError:
            errors["birth_date"] = "Write the date as day/month/year, e.g. 14/03/1979."
        if not errors:
            pseudonym = api.add_patient(values["full_name"], birth_date=birth,
                                        contact=values["contact"], clinic=clinic.name,
                                        actor=request.user.get_username())
            messages.success(request, f"Patient added ({pseudonym}).")
            return redirect("web:patient", pseudonym=pseudonym)
    return render(request, "web/patient_new.html", {"values": values, "errors": errors})


def _progress(patient: Patient) -> Any:
    from groundup.store.progress import compute_progress

    return compute_progress(patient.pseudonym, api.visit_documents(patient.pseudonym))


def _fmt_value(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


@login_required
@require_GET
def patient_detail(request: HttpRequest, pseudonym: str) -> HttpResponse:
    patient = access.patient_or_404(request, pseudonym)
    identity = getattr(patient, "identity", None)
    visits = list(patient.visits.order_by("-visit_date", "-number"))
    drafts = [d for d in VisitDraft.objects.filter(patient=patient, visit__isnull=True)
              .prefetch_related("jobs", "uploads")]
    progress = _progress(patient)
    table = [{
        "label": m.label, "unit": m.unit, "values": [_fmt_value(v) for v in m.values],
        "change": _fmt_value(m.change_from_first), "verdict": m.verdict,
        "band": _fmt_value(m.band) if m.band is not None else "",
    } for m in progress.measures]
    audit(request, "view", "patient", patient.pseudonym, patient, visits=len(visits))
    audit(request, "view", "progress", patient.pseudonym, patient,
          visits=len(progress.visits))
    return render(request, "web/patient.html", {
        "patient": patient, "identity": identity,
        "birth_date": _fmt_date(identity.birth_date) if identity else "",
        "visits": [{"v": v, "date": _fmt_date(v.visit_date)} for v in visits],
        "drafts": drafts,
        "progress_visits": [f"{v['number']} ({_fmt_date(date.fromisoformat(v['date']))})"
                            for v in progress.visits],
        "progress_table": table,
        "has_chart": len(progress.visits) > 0 and bool(progress.measures),
        "is_admin": access.is_clinic_admin(request),
    })


@login_required
@require_GET
def progress_chart(request: HttpRequest, pseudonym: str) -> HttpResponse:
    """The progress chart (values per visit with the MCID/MDC band) as PNG."""
    from groundup.store.progress import plot_progress

    patient = access.patient_or_404(request, pseudonym)
    progress = _progress(patient)
    if not progress.measures:
        raise Http404("No measures yet.")
    with tempfile.TemporaryDirectory(prefix="groundup-chart-") as tmp:
        png = plot_progress(progress, Path(tmp) / "progress.png").read_bytes()
    audit(request, "view", "progress_chart", patient.pseudonym, patient,
          visits=len(progress.visits))
    return HttpResponse(png, content_type="image/png")


@login_required
@require_POST
def patient_delete(request: HttpRequest, pseudonym: str) -> HttpResponse:
    """Delete a patient with every visit and file (clinic admins only; typed confirmation)."""
    patient = access.patient_or_404(request, pseudonym)
    access.require_clinic_admin(request)
    if request.POST.get("confirm", "").strip().upper() != patient.pseudonym:
        messages.error(request, "Type the patient's id to confirm the deletion.")
        return redirect("web:patient", pseudonym=patient.pseudonym)
    from groundup.web.uploads import remove_draft_files

    drafts = list(VisitDraft.objects.filter(patient=patient).values_list("id", flat=True))
    api.delete_patient(patient.pseudonym, actor=request.user.get_username())
    for draft_id in drafts:
        remove_draft_files(draft_id)
    messages.success(request, f"Patient {pseudonym.upper()} deleted.")
    return redirect("web:patients")


# ---- a new visit: uploads, exam, analysis --------------------------------------------------------


@login_required
@require_POST
def visit_new(request: HttpRequest, pseudonym: str) -> HttpResponse:
    patient = access.patient_or_404(request, pseudonym)
    draft = VisitDraft.objects.create(clinic=patient.clinic, patient=patient,
                                      created_by=request.user.get_username())
    audit(request, "create", "visit_draft", draft.id, patient)
    return redirect("web:draft", draft_id=draft.id)


def _draft_context(draft: VisitDraft) -> dict[str, Any]:
    jobs_ = list(draft.jobs.all())
    return {
        "draft": draft, "patient": draft.patient,
        "uploads": list(draft.uploads.all()),
        "job": jobs_[0] if jobs_ else None,
        "has_exam": bool(draft.exam_input),
        "running": bool(jobs_) and not jobs_[0].finished,
    }


@login_required
@require_GET
def draft_detail(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = access.draft_or_404(request, draft_id)
    if draft.visit_id is not None:
        return redirect("web:visit", uid=draft.visit.uid)
    audit(request, "view", "visit_draft", draft.id, draft.patient)
    return render(request, "web/draft.html", _draft_context(draft))


@login_required
@require_POST
def upload_view(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """Upload one or more recordings (streamed to disk by the size-limited upload handler of
    the settings, checked on their bytes)."""
    draft = access.draft_or_404(request, draft_id)
    if draft.visit_id is not None or draft.jobs.exclude(
        state__in=[AnalysisJob.FAILED, AnalysisJob.CANCELLED]
    ).exists():
        messages.error(request, "The analysis of this visit has started: no more uploads.")
        return redirect("web:draft", draft_id=draft.id)
    files = request.FILES.getlist("recordings")
    if getattr(request, "groundup_upload_too_large", False):
        from groundup.web.settings import max_upload_bytes

        messages.error(request, f"The file is larger than {max_upload_bytes() // 2**20} MB: "
                                "trim the clip to the walking part.")
        return redirect("web:draft", draft_id=draft.id)
    if not files:
        messages.error(request, "Choose one or more files to upload.")
    for f in files:
        upload = Upload(draft=draft)
        try:
            kind, suffix, size, sha = keep_upload(f, draft.id, upload.id)
        except UploadError as exc:
            messages.error(request, f"A file was refused: {exc.problem} {exc.fix}")
            continue
        upload.kind, upload.suffix, upload.size_bytes, upload.sha256 = kind, suffix, size, sha
        upload.save()
        audit(request, "create", "upload", upload.id, draft.patient, kind=kind,
              size_bytes=size)
        messages.success(request, f"{upload.get_kind_display().capitalize()} uploaded "
                                  f"({size / 2**20:.1f} MB).")
    return redirect("web:draft", draft_id=draft.id)


@login_required
@require_POST
def upload_delete(request: HttpRequest, draft_id: Any, upload_id: Any) -> HttpResponse:
    from groundup.web.uploads import upload_path

    draft = access.draft_or_404(request, draft_id)
    upload = access.one_or_404(draft.uploads.all(), "No such upload.", id=upload_id)
    if draft.visit_id is not None or _active_job(draft) is not None:
        messages.error(request, "The analysis of this visit is running: the file stays.")
        return redirect("web:draft", draft_id=draft.id)
    path = upload_path(draft.id, upload.id, upload.suffix)
    upload.delete()
    path.unlink(missing_ok=True)
    audit(request, "delete", "upload", upload_id, draft.patient)
    return redirect("web:draft", draft_id=draft.id)


@login_required
@require_http_methods(["GET", "POST"])
def draft_exam(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """The exam form, generated from the catalogue, checked by the exam's own scorer."""
    draft = access.draft_or_404(request, draft_id)
    _last, previous = previous_plan(draft.patient)
    exercises = [(str(ex.get("id")), str(ex.get("name")))
                 for ex in (previous or {}).get("exercises", []) if ex.get("id")]
    sections = exam_form.build_form(previous_exercises=exercises)
    general: list[str] = []
    if request.method == "POST":
        exam_input = exam_form.exam_input_from_post(request.POST, sections)
        exam_form.fill(sections, exam_input)
        check = exam_form.check_exam(exam_input, sections)
        general = check.general
        if not check.errors:
            return _save_exam(request, draft, exam_input)
        messages.error(request, f"{len(check.errors)} value(s) to correct: see the messages "
                                "beside the fields.")
    else:
        exam_form.fill(sections, draft.exam_input or {"exam_date": date.today().isoformat()})
        audit(request, "view", "exam_input", draft.id, draft.patient)
    return render(request, "web/exam.html", {"draft": draft, "patient": draft.patient,
                                             "sections": sections, "general": general})


def _active_job(draft: VisitDraft) -> AnalysisJob | None:
    """The draft's queued or running analysis, if any."""
    return draft.jobs.filter(state__in=[AnalysisJob.QUEUED, AnalysisJob.RUNNING]).first()


def _save_exam(request: HttpRequest, draft: VisitDraft, exam_input: dict[str, Any]
               ) -> HttpResponse:
    """Keep the exam, also while the analysis runs (it then runs again with it); refused once
    the visit is being recorded or is recorded, never lost without a word."""
    from django.db.models import F

    created = not draft.exam_input
    saved = VisitDraft.objects.filter(
        id=draft.id, visit__isnull=True, recording_by__isnull=True
    ).update(exam_input=exam_input, exam_version=F("exam_version") + 1)
    if not saved:
        messages.error(request, "This visit is recorded (or being recorded) with the exam it "
                                "had: the exam is not changed. Start a new visit to re-test.")
        return redirect("web:draft", draft_id=draft.id)
    audit(request, "create" if created else "change", "exam_input", draft.id, draft.patient)
    running = _active_job(draft)
    if running is not None:
        messages.success(request, "Exam saved: the running analysis takes it into the report.")
        return redirect("web:job", job_id=running.id)
    messages.success(request, "Exam saved.")
    return redirect("web:draft", draft_id=draft.id)


@login_required
@require_POST
def draft_start(request: HttpRequest, draft_id: Any) -> HttpResponse:
    draft = access.draft_or_404(request, draft_id)
    if draft.visit_id is not None:
        return redirect("web:visit", uid=draft.visit.uid)
    running = _active_job(draft)
    if running is not None:
        return redirect("web:job", job_id=running.id)
    if not draft.uploads.exists() and not draft.exam_input:
        messages.error(request, "Upload a recording or fill in the exam first.")
        return redirect("web:draft", draft_id=draft.id)
    job = jobs.start_analysis(draft, request.user.get_username())
    audit(request, "create", "analysis_job", job.id, draft.patient,
          recordings=draft.uploads.count(), exam=bool(draft.exam_input))
    return redirect("web:job", job_id=job.id)


def _job_json(job: AnalysisJob) -> dict[str, Any]:
    from django.urls import reverse

    out: dict[str, Any] = {
        "state": job.state, "stage": job.stage, "percent": round(100 * job.fraction_done),
        "frames_per_s": job.frames_per_s, "message": job.message, "finished": job.finished,
        "cancel_requested": job.cancel_requested,
    }
    visit = job.draft.visit
    if job.state == AnalysisJob.DONE and visit is not None:
        out["report_url"] = reverse("web:visit", kwargs={"uid": visit.uid})
    return out


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = access.job_or_404(request, job_id)
    audit(request, "view", "analysis_job", job.id, job.draft.patient)
    return render(request, "web/job.html", {"job": job, "status": _job_json(job),
                                            "patient": job.draft.patient})


@login_required
@require_GET
def job_status(request: HttpRequest, job_id: Any) -> HttpResponse:
    """Live progress for the job page's script (polled; not audited: the page view is)."""
    job = access.job_or_404(request, job_id)
    return JsonResponse(_job_json(job))


@login_required
@require_POST
def job_cancel(request: HttpRequest, job_id: Any) -> HttpResponse:
    job = access.job_or_404(request, job_id)
    if not job.finished:
        jobs.cancel(job)
        audit(request, "change", "analysis_job", job.id, job.draft.patient, cancel=True)
        messages.info(request, "Cancelling the analysis.")
    return redirect("web:job", job_id=job.id)


# ---- the visit: report, media, plan -----------------------------------------------------------


def _visit_numbers(visit: Visit) -> list[dict[str, str]]:
    from groundup.store.progress import compute_progress

    docs = [d for d in api.visit_documents(visit.patient.pseudonym) if d["uid"] == visit.uid]
    progress = compute_progress(visit.patient.pseudonym, docs)
    return [{"label": m.label, "value": _fmt_value(m.values[0]), "unit": m.unit}
            for m in progress.measures if m.values and m.values[0] is not None]


@login_required
@require_GET
def visit_detail(request: HttpRequest, uid: str) -> HttpResponse:
    visit = access.visit_or_404(request, uid)
    plan, edit = plan_in_force(visit)
    exam = visit.exam.document if hasattr(visit, "exam") else None
    media = list(visit.media.all())
    report = getattr(visit, "report", None)
    current = {report.report_pdf_id, report.handout_pdf_id} if report else set()
    first_pdfs = [m for m in media if m.role.endswith("_pdf") and m.pk not in current]
    audit(request, "view", "visit_report", visit.uid, visit.patient, number=visit.number)
    return render(request, "web/visit.html", {
        "visit": visit, "patient": visit.patient, "date": _fmt_date(visit.visit_date),
        "plan": plan, "edit": edit, "exam": exam,
        "findings": (exam or {}).get("findings", []),
        "numbers": _visit_numbers(visit),
        "videos": [m for m in media if m.role == "annotated_video"],
        "report_pdf": report.report_pdf if report else None,
        "handout_pdf": report.handout_pdf if report else None,
        "recordings": [m for m in media if m.role == "recording"],
        "first_pdfs": first_pdfs if edit else [],
    })


DOWNLOAD_NAMES = {"report_pdf": "report", "handout_pdf": "handout",
                  "annotated_video": "annotated", "recording": "recording"}


@login_required
@require_GET
def visit_media(request: HttpRequest, uid: str, media_id: int) -> HttpResponse:
    """A file of the visit, through this view only (the media folder is never served)."""
    from groundup.store.media import blob_path

    visit = access.visit_or_404(request, uid)
    media = access.one_or_404(visit.media.all(), "No such file.", pk=media_id)
    path = blob_path(media.sha256)
    if not path.is_file():
        raise Http404("The file is missing from the media folder.")
    suffix = Path(media.name).suffix
    download = request.GET.get("download") == "1" or media.role.endswith("_pdf")
    audit(request, "export" if download else "view", media.role, media.pk, visit.patient,
          visit=visit.uid)
    name = f"visit{visit.number}_{DOWNLOAD_NAMES.get(media.role, 'file')}{suffix}"
    return FileResponse(path.open("rb"), as_attachment=download, filename=name,
                        content_type=media.content_type)


EXERCISE_DOSAGE = {  # field: (label, min, max) of what a therapist may change
    "sets": ("sets", 1, 10), "reps": ("repetitions", 1, 100), "hold_s": ("hold (s)", 0, 300),
    "days_per_week": ("days per week", 1, 7), "weeks": ("weeks", 1, 52),
}


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, uid: str) -> HttpResponse:
    """The therapist changes the dosage, drops exercises, adds a note; the change is kept as
    the therapist's (who, when, why), shown in the report and recorded in the audit trail."""
    visit = access.visit_or_404(request, uid)
    plan, _edit = plan_in_force(visit)
    if plan is None:
        raise Http404("This visit has no plan.")
    errors: dict[str, str] = {}
    if request.method == "POST":
        edited = copy.deepcopy(plan)
        kept, dropped, changes = [], [], []
        for k, ex in enumerate(edited.get("exercises", [])):
            if request.POST.get(f"ex{k}.keep") != "on":
                dropped.append(ex)
                changes.append(f"{ex.get('name')}: removed")
                continue
            dosage = ex.get("dosage") or {}
            for fld, (label, lo, hi) in EXERCISE_DOSAGE.items():
                if fld not in dosage:
                    continue
                raw = request.POST.get(f"ex{k}.{fld}", "").strip()
                try:
                    value = int(raw)
                    if not lo <= value <= hi:
                        raise ValueError
                except ValueError:
                    errors[f"ex{k}.{fld}"] = f"{label}: a whole number from {lo} to {hi}."
                    continue
                if value != dosage.get(fld):
                    changes.append(f"{ex.get('name')}: {label} {dosage.get(fld)} → {value}")
                    dosage[fld] = value
            kept.append(ex)
        note = request.POST.get("note", "").strip()
        if not note:
            errors["note"] = "Say why the plan was changed (shown in the report)."
        if not changes and not errors:
            errors["note"] = "Nothing was changed."
        if not errors:
            edited["exercises"] = kept
            edited.setdefault("left_out", [])
            for ex in dropped:
                edited["left_out"].append({"id": ex.get("id"), "name": ex.get("name"),
                                           "reason": "removed by the therapist"})
            from django.utils import timezone

            from groundup.output import validate
            from groundup.web.reports import rerender_report, therapist_note

            who = request.user.get_username()
            when = _fmt_date(timezone.localdate())
            edited["therapist_change"] = {"by": who, "on": timezone.localdate().isoformat(),
                                          "note": note, "changes": changes}
            edited["notes"] = [*(edited.get("notes") or []),
                               therapist_note(who, when, note, changes)]
            edited["summary"] = (f"{len(kept)} home exercise(s), as changed by the therapist "
                                 f"{who}.")
            validate(edited, "plan")
            with transaction.atomic():
                PlanEdit.objects.create(visit=visit, edited_by=who, plan=edited, note=note)
                audit(request, "change", "plan", visit.uid, visit.patient, changes=len(changes))
            report = rerender_report(visit, edited, visit.plan_edits.count())
            if report is not None:
                audit(request, "create", "report_pdf", report.report_pdf_id, visit.patient,
                      reason="plan changed by the therapist")
            messages.success(request, "Plan changed; the report and the handout now show it "
                                      "as yours.")
            return redirect("web:visit", uid=visit.uid)
    else:
        audit(request, "view", "plan", visit.uid, visit.patient)
    rows = []
    for k, ex in enumerate(plan.get("exercises", [])):
        dosage = ex.get("dosage") or {}
        rows.append({"k": k, "name": ex.get("name"), "side": ex.get("side"),
                     "fields": [{"name": f"ex{k}.{fld}", "label": label,
                                 "value": request.POST.get(f"ex{k}.{fld}", dosage[fld])
                                 if request.method == "POST" else dosage[fld],
                                 "min": lo, "max": hi, "error": errors.get(f"ex{k}.{fld}")}
                                for fld, (label, lo, hi) in EXERCISE_DOSAGE.items()
                                if fld in dosage]})
    return render(request, "web/plan_edit.html", {
        "visit": visit, "patient": visit.patient, "rows": rows, "errors": errors,
        "note": request.POST.get("note", "") if request.method == "POST" else "",
    })


# ---- staff (clinic admins) --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    """The clinic's staff; a clinic admin adds clinicians or admins."""
    access.require_clinic_admin(request)
    clinic = access.clinic_of(request)
    errors: dict[str, str] = {}
    values = {"username": "", "role": CLINICIAN}
    if request.method == "POST":
        user_model = get_user_model()
        values = {"username": request.POST.get("username", "").strip(),
                  "role": request.POST.get("role", CLINICIAN)}
        password = request.POST.get("password", "")
        if not values["username"]:
            errors["username"] = "Enter a user name."
        elif user_model.objects.filter(username=values["username"]).exists():
            errors["username"] = "This user name is taken."
        if values["role"] not in (CLINICIAN, CLINIC_ADMIN):
            errors["role"] = "Choose clinician or clinic admin."
        try:
            validate_password(password, user_model(username=values["username"]))
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
        if not errors:
            with transaction.atomic():
                user = user_model.objects.create_user(values["username"], password=password)
                ClinicMembership.objects.create(user=user, clinic=clinic, role=values["role"])
                audit(request, "create", "user", user.pk, role=values["role"])
            messages.success(request, f"{values['username']} can now sign in.")
            return redirect("web:staff")
    members = ClinicMembership.objects.filter(clinic=clinic).select_related("user")
    audit(request, "view", "staff", clinic.pk)
    return render(request, "web/staff.html", {"members": members, "errors": errors,
                                              "values": values})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseForbidden(render_to_string("web/error.html", {
        "title": "Not allowed", "text": str(exception or "You may not do this.")}, request))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    response = render(request, "web/error.html", {
        "title": "Not found", "text": "There is nothing here, or it belongs to another clinic."})
    response.status_code = 404
    return response

