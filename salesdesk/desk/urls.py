from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("desk/orders/<int:pk>/seen/", views.order_seen, name="desk_order_seen"),
    path("desk/shipments/<int:pk>/dispatch/", views.shipment_dispatch, name="desk_shipment_dispatch"),
    path("desk/reports/<int:pk>/drafts/<str:key>/send/", views.send_drafts, name="desk_send_drafts"),
    path("desk/deliveries/<int:pk>/resend/", views.delivery_resend, name="desk_delivery_resend"),
]
