"""/logistics/returns/…: the return pages (included from logistics/urls.py)."""

from django.urls import path

from . import return_views as views

urlpatterns = [
    path("", views.ReturnList.as_view(), name="return_list"),
    path("new/", views.return_create, name="return_create"),
    path("<int:pk>/", views.ReturnDetail.as_view(), name="return_detail"),
]
