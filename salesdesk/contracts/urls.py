from django.urls import path

from . import views

urlpatterns = [
    path("", views.ContractList.as_view(), name="contract_list"),
    path("new/", views.contract_create, name="contract_create"),
    path("summary/", views.contract_summary, name="contract_summary"),
    path("summary.xlsx", views.contract_summary_xlsx, name="contract_summary_xlsx"),
    path("summary.pdf", views.contract_summary_pdf, name="contract_summary_pdf"),
    path("alerts/", views.contract_alerts, name="contract_alerts"),
    path("options/customers/", views.customer_options, name="contract_customer_options"),
    path("options/products/", views.product_options, name="contract_product_options"),
    path("<int:pk>/", views.ContractDetail.as_view(), name="contract_detail"),
    path("<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("<int:pk>/activate/", views.contract_activate, name="contract_activate"),
    path("<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("<int:pk>/complete/", views.contract_complete, name="contract_complete"),
    path("<int:pk>/renew/", views.contract_renew, name="contract_renew"),
    path("<int:pk>/filing/", views.contract_file, name="contract_file"),
    path("<int:pk>/fulfilment.xlsx", views.fulfilment_xlsx, name="contract_fulfilment_xlsx"),
    path("<int:pk>/fulfilment.pdf", views.fulfilment_pdf, name="contract_fulfilment_pdf"),
]
