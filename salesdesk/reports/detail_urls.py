from django.urls import path

from . import detail_views as views

urlpatterns = [
    path("", views.ledger_page, name="ledger"),
    path("exports/<str:token>/", views.ledger_export_status, name="ledger_export_status"),
    path("exports/<str:token>/download/", views.ledger_export_download, name="ledger_export_download"),
]
