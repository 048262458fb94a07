"""/finance/adjust/…: bad-debt write-offs and opening balances (included from finance/urls.py)."""

from django.urls import path

from . import adjust_views as views

urlpatterns = [
    path("write-offs/", views.WriteOffList.as_view(), name="writeoff_list"),
    path("write-offs/new/", views.writeoff_create, name="writeoff_create"),
    path("write-offs/<int:pk>/", views.WriteOffDetail.as_view(), name="writeoff_detail"),
    path("write-offs/<int:pk>/approve/", views.writeoff_approve, name="writeoff_approve"),
    path("write-offs/<int:pk>/reject/", views.writeoff_reject, name="writeoff_reject"),
    path("write-offs/<int:pk>/record/", views.writeoff_record, name="writeoff_record"),
    path("opening/", views.opening_overview, name="opening_overview"),
    path("opening/upload/", views.opening_upload, name="opening_upload"),
    path("opening/template.xlsx", views.opening_template, name="opening_template"),
    path("opening/balances/", views.OpeningList.as_view(), name="opening_list"),
    path("opening/<slug:token>/commit/", views.opening_commit, name="opening_commit"),
]
