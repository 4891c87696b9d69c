"""The root URLconf: the app under its ``web`` namespace, and its error pages."""

from django.urls import include, path

urlpatterns = [path("", include("groundup.web.urls"))]

handler403 = "groundup.web.views.forbidden"
handler404 = "groundup.web.views.not_found"
