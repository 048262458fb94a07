from django.urls import path

from . import schedule_views as views

urlpatterns = [
    path("", views.schedule_list, name="report_schedules"),
    path("<int:pk>/", views.schedule_detail, name="report_schedule"),
    path("<int:pk>/edit/", views.schedule_edit, name="report_schedule_edit"),
    path("<int:pk>/send/", views.schedule_send, name="report_schedule_send"),
    path("<int:pk>/send-drafts/", views.schedule_send_drafts, name="report_schedule_send_drafts"),
    path("<int:pk>/check/<str:period>/", views.schedule_check, name="report_schedule_check"),
    path("deliveries/<int:pk>/", views.delivery_view, name="report_delivery"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="report_delivery_resend"),
]
