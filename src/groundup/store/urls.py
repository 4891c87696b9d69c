"""URLs of the store's Django app: the admin (the clinic web app adds its views)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
