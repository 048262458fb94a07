from django.urls import include, path

from . import views

urlpatterns = [
    path("shipments/", views.ShipmentList.as_view(), name="shipment_list"),
    path("shipments/new/", views.shipment_create, name="shipment_create"),
    path("shipments/<int:pk>/", views.ShipmentDetail.as_view(), name="shipment_detail"),
    path("shipments/<int:pk>/dispatch/", views.shipment_dispatch, name="shipment_dispatch"),
    path("shipments/<int:pk>/track/", views.shipment_track, name="shipment_track"),
    path("shipments/<int:pk>/deliver/", views.shipment_deliver, name="shipment_deliver"),
    path("shipments/<int:pk>/pod/", views.shipment_pod, name="shipment_pod"),
    path("shipments/<int:pk>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("shipments/<int:pk>/print/", views.shipment_print, name="shipment_print"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:pk>/log/", views.call_log, name="call_log"),
    path("returns/", include("salesdesk.logistics.return_urls")),
]
