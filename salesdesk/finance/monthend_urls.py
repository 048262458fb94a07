from django.urls import path

from . import monthend_views as views

urlpatterns = [
    path("", views.monthend_index, name="monthend_index"),
    path("<str:period>/", views.monthend_detail, name="monthend_detail"),
    path("<str:period>/ledger/", views.monthend_upload, name="monthend_upload"),
    path("<str:period>/lock/", views.monthend_lock, name="monthend_lock"),
    path("<str:period>/differences.xlsx", views.monthend_export, name="monthend_export"),
]
