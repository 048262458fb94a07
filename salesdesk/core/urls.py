from django.urls import path

from . import calendar_views, views
from .attachment_views import download as attachment_download
from .attachment_views import upload as attachment_upload

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
]
urlpatterns += [
    path(
        "attachments/<int:content_type_id>/<int:object_id>/upload/",
        attachment_upload,
        name="attachment_upload",
    ),
    path("attachments/<int:pk>/download/", attachment_download, name="attachment_download"),
]
urlpatterns += [
    path("calendar/", calendar_views.calendar_list, name="calendar_list"),
    path("calendar/new/", calendar_views.calendar_day_create, name="calendar_day_create"),
    path("calendar/<int:pk>/edit/", calendar_views.calendar_day_edit, name="calendar_day_edit"),
    path("calendar/<int:pk>/delete/", calendar_views.calendar_day_delete, name="calendar_day_delete"),
]
