"""The invoice pages, under /finance/invoices/."""

from django.urls import path

from . import invoice_views as views

urlpatterns = [
    path("", views.InvoiceList.as_view(), name="invoice_list"),
    path("new/", views.invoice_create, name="invoice_create"),
    path("<int:pk>/", views.InvoiceDetail.as_view(), name="invoice_detail"),
    path("requests/", views.RequestList.as_view(), name="invoice_request_list"),
    path("requests/new/", views.request_create, name="invoice_request_create"),
    path("requests/<int:pk>/", views.RequestDetail.as_view(), name="invoice_request_detail"),
    path("requests/<int:pk>/reject/", views.request_reject, name="invoice_request_reject"),
    path("uninvoiced/", views.UninvoicedList.as_view(), name="uninvoiced_shipments"),
]
