from django.urls import path

from . import views

urlpatterns = [
    path("", views.OrderList.as_view(), name="order_list"),
    path("new/", views.order_create, name="order_create"),
    path("copy-last/", views.order_copy_last, name="order_copy_last"),
    path("customer-options/", views.customer_options, name="order_customer_options"),
    path("contract-options/", views.contract_options, name="order_contract_options"),
    path("prices/", views.order_prices, name="order_prices"),
    path("<int:pk>/", views.OrderDetail.as_view(), name="order_detail"),
    path("<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("<int:pk>/submit/", views.order_submit, name="order_submit"),
    path("<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("<int:pk>/close/", views.order_close, name="order_close"),
    path("<int:pk>/approve-price/", views.order_approve_price, name="order_approve_price"),
    path("<int:pk>/reject-price/", views.order_reject_price, name="order_reject_price"),
    path("<int:pk>/seen/", views.order_seen, name="order_seen"),
    path("<int:pk>/copy/", views.order_copy, name="order_copy"),
    path("<int:pk>/print/", views.order_pdf, name="order_pdf"),
    path("coordination/", views.CoordinationList.as_view(), name="coordination_list"),
    path("coordination/new/", views.coordination_create, name="coordination_create"),
    path("coordination/<int:pk>/", views.CoordinationDetail.as_view(), name="coordination_detail"),
    path("coordination/<int:pk>/reply/", views.coordination_reply, name="coordination_reply"),
]
