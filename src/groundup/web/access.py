"""Who may see what: every object is looked up inside the signed-in user's clinic.

An object of another clinic is answered exactly like one that does not exist (404), so a
guessed id tells nothing. Roles: ``clinician`` (the store's default ``therapist`` counts as
one) and ``clinic_admin`` (also adds staff and deletes patients).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from groundup.store import api
from groundup.store.models import Clinic, ClinicMembership, Patient, Visit
from groundup.web.models import CLINIC_ADMIN, AnalysisJob, VisitDraft


def membership(request: HttpRequest) -> ClinicMembership:
    """The signed-in user's clinic membership (a user without one may do nothing)."""
    cached = getattr(request, "_groundup_membership", None)
    if cached is not None:
        return cached
    found = (
        ClinicMembership.objects.select_related("clinic")
        .filter(user=request.user).order_by("id").first()
    )
    if found is None:
        raise PermissionDenied("This account belongs to no clinic.")
    request._groundup_membership = found  # type: ignore[attr-defined]
    return found


def clinic_of(request: HttpRequest) -> Clinic:
    return membership(request).clinic


def is_clinic_admin(request: HttpRequest) -> bool:
    return membership(request).role == CLINIC_ADMIN


def require_clinic_admin(request: HttpRequest) -> None:
    if not is_clinic_admin(request):
        raise PermissionDenied("Only a clinic admin may do this.")


def one_or_404(objects: QuerySet[Any], missing: str, **lookup: Any) -> Any:
    """The one object of ``objects`` matching ``lookup``; none is a 404 saying ``missing``."""
    try:
        return objects.get(**lookup)
    except objects.model.DoesNotExist:
        raise Http404(missing) from None


def patient_or_404(request: HttpRequest, pseudonym: str) -> Patient:
    return one_or_404(Patient.objects.select_related("clinic"), "No such patient.",
                      pseudonym=pseudonym.upper(), clinic=clinic_of(request))


def visit_or_404(request: HttpRequest, uid: str) -> Visit:
    return one_or_404(Visit.objects.select_related("patient"), "No such visit.",
                      uid=uid, patient__clinic=clinic_of(request))


def draft_or_404(request: HttpRequest, draft_id: Any) -> VisitDraft:
    return one_or_404(VisitDraft.objects.select_related("patient"), "No such visit.",
                      id=draft_id, patient__clinic=clinic_of(request))


def job_or_404(request: HttpRequest, job_id: Any) -> AnalysisJob:
    return one_or_404(AnalysisJob.objects.select_related("draft__patient"),
                      "No such analysis.", id=job_id, draft__patient__clinic=clinic_of(request))


def audit(request: HttpRequest, action: str, object_type: str, object_ref: str,
          patient: Patient | None = None, **detail: Any) -> None:
    """An audit entry for what the signed-in user did (pseudonyms and counts only)."""
    api.audit(action, object_type, str(object_ref),
              patient_ref=patient.pseudonym if patient is not None else "",
              detail={"via": "web", **detail}, actor=request.user.get_username())
