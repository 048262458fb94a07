"""/customers/import/…: the customer import pages (included before the other customer URLs)."""

from django.urls import path

from . import import_views as views

urlpatterns = [
    path("", views.upload, name="customer_import"),
    path("template.xlsx", views.template, name="customer_import_template"),
    path("done/", views.result, name="customer_import_result"),
    path("<slug:token>/", views.preview, name="customer_import_preview"),
    path("<slug:token>/confirm/", views.confirm, name="customer_import_confirm"),
    path("<slug:token>/cancel/", views.cancel, name="customer_import_cancel"),
]
