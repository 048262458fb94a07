from django.urls import path

from . import views

urlpatterns = [
    path("targets/", views.target_month, name="target_month"),
    path("targets/copy/", views.target_copy, name="target_copy"),
    path("targets/template/", views.target_template, name="target_template"),
    path("targets/import/", views.target_import, name="target_import"),
    path("targets/import/commit/", views.target_import_commit, name="target_import_commit"),
    path("performance/", views.performance_settings, name="performance_settings"),
]
