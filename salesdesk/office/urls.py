from django.urls import path

from . import views

urlpatterns = [
    path("correspondence/", views.CorrespondenceList.as_view(), name="correspondence_list"),
    path("correspondence/new/", views.correspondence_create, name="correspondence_create"),
    path("correspondence/customers/", views.customer_options, name="correspondence_customer_options"),
    path("correspondence/<int:pk>/", views.CorrespondenceDetail.as_view(), name="correspondence_detail"),
    path("correspondence/<int:pk>/edit/", views.correspondence_edit, name="correspondence_edit"),
    path("correspondence/<int:pk>/route/", views.correspondence_route, name="correspondence_route"),
    path("correspondence/<int:pk>/complete/", views.correspondence_complete, name="correspondence_complete"),
    path("correspondence/<int:pk>/file/", views.correspondence_file, name="correspondence_file"),
    path("circulars/", views.CircularList.as_view(), name="circular_list"),
    path("circulars/new/", views.circular_create, name="circular_create"),
    path("circulars/preview/", views.circular_preview, name="circular_preview"),
    path("circulars/<int:pk>/", views.circular_detail, name="circular_detail"),
    path("circulars/<int:pk>/print/", views.circular_print, name="circular_print"),
]
