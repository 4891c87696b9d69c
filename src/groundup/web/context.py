"""Template context of every page: whether the signed-in user is a clinic admin (the menu
shows *Staff* to admins only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Any]:
    from groundup.store.models import ClinicMembership
    from groundup.web.models import CLINIC_ADMIN

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_clinic_admin": False}
    return {"is_clinic_admin": ClinicMembership.objects.filter(
        user=user, role=CLINIC_ADMIN).exists()}
