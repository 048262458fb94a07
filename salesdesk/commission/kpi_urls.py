"""Appraisal pages under ``/commission/kpi/`` (included by ``commission/urls.py``)."""

from django.urls import path

from . import kpi_views as views

urlpatterns = [
    path("", views.kpi_set_list, name="kpi_set_list"),
    path("new/", views.kpi_set_create, name="kpi_set_create"),
    path("<int:pk>/", views.kpi_set_detail, name="kpi_set_detail"),
    path("<int:pk>/edit/", views.kpi_set_edit, name="kpi_set_edit"),
    path("<int:pk>/version/", views.kpi_set_version, name="kpi_set_version"),
    path("bases/", views.kpi_base_list, name="kpi_base_list"),
    path("bases/set/", views.kpi_base_edit, name="kpi_base_edit"),
]
