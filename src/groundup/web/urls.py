"""The app's URLs: opaque ids only (patient pseudonyms, random visit and job ids); no names,
no search terms, no dates."""

from __future__ import annotations

from pathlib import Path

from django.urls import path, re_path
from django.views.static import serve

from groundup.web import views

app_name = "web"  # included under this namespace by root_urls
STATIC_DIR = Path(__file__).parent / "static"
PSEUDONYM = "<str:pseudonym>"

urlpatterns = [
    path("", views.patient_list, name="patients"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path(f"patients/{PSEUDONYM}/", views.patient_detail, name="patient"),
    path(f"patients/{PSEUDONYM}/progress.png", views.progress_chart, name="progress_chart"),
    path(f"patients/{PSEUDONYM}/delete/", views.patient_delete, name="patient_delete"),
    path(f"patients/{PSEUDONYM}/visits/new/", views.visit_new, name="visit_new"),
    path("drafts/<uuid:draft_id>/", views.draft_detail, name="draft"),
    path("drafts/<uuid:draft_id>/upload/", views.upload_view, name="upload"),
    path("drafts/<uuid:draft_id>/uploads/<uuid:upload_id>/delete/", views.upload_delete,
         name="upload_delete"),
    path("drafts/<uuid:draft_id>/exam/", views.draft_exam, name="exam"),
    path("drafts/<uuid:draft_id>/start/", views.draft_start, name="start"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("visits/<str:uid>/", views.visit_detail, name="visit"),
    path("visits/<str:uid>/files/<int:media_id>/", views.visit_media, name="media"),
    path("visits/<str:uid>/plan/", views.plan_edit, name="plan_edit"),
    path("staff/", views.staff, name="staff"),
    # The app's own CSS and script (no CDN); public, no patient data.
    re_path(r"^static/web/(?P<path>[A-Za-z0-9_.-]+)$", serve,
            {"document_root": STATIC_DIR / "web"}, name="static"),
]
