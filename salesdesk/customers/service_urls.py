"""Customer service pages under ``/service/``: the ticket queue and tickets, the interaction log."""

from django.urls import path

from . import service_views as views

urlpatterns = [
    path("tickets/", views.TicketList.as_view(), name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.TicketDetail.as_view(), name="ticket_detail"),
    path("tickets/<int:pk>/edit/", views.ticket_edit, name="ticket_edit"),
    path("tickets/<int:pk>/notes/", views.ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("interactions/", views.InteractionList.as_view(), name="interaction_list"),
    path("interactions/new/", views.interaction_new, name="interaction_new"),
    path("interactions/<int:pk>/", views.interaction_detail, name="interaction_detail"),
]
