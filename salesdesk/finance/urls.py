from django.urls import include, path

from . import views

urlpatterns = [
    path("payments/", views.PaymentList.as_view(), name="payment_list"),
    path("payments/new/", views.payment_create, name="payment_create"),
    path("payments/customer-options/", views.customer_options, name="payment_customer_options"),
    path("payments/order-options/", views.order_options, name="payment_order_options"),
    path("payments/payer-check/", views.payer_check, name="payment_payer_check"),
    path("payments/<int:pk>/", views.PaymentDetail.as_view(), name="payment_detail"),
    path("payments/<int:pk>/confirm/", views.payment_confirm, name="payment_confirm"),
    path("payments/<int:pk>/reject/", views.payment_reject, name="payment_reject"),
    path("payments/<int:pk>/allocate/", views.payment_allocate, name="payment_allocate"),
    path("queue/", views.queue, name="finance_queue"),
    path("exceptions/", views.ExceptionList.as_view(), name="exception_list"),
    path("exceptions/new/", views.exception_create, name="exception_create"),
    path("exceptions/<int:pk>/", views.ExceptionDetail.as_view(), name="exception_detail"),
    path("exceptions/<int:pk>/approve/", views.exception_approve, name="exception_approve"),
    path("exceptions/<int:pk>/reject/", views.exception_reject, name="exception_reject"),
    path("bank/", views.statement, name="statement_import"),
    path("bank/confirm/", views.statement_confirm, name="statement_confirm"),
    path("statements/", include("salesdesk.finance.statement_urls")),
    path("invoices/", include("salesdesk.finance.invoice_urls")),
    path("receivables/", include("salesdesk.finance.ar_urls")),
    path("monthend/", include("salesdesk.finance.monthend_urls")),
    path("adjust/", include("salesdesk.finance.adjust_urls")),
]
