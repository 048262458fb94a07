from django.urls import path

from . import views

urlpatterns = [
    path("sales/", views.sales_report_page, name="report_sales"),
    path("sales.xlsx", views.sales_report_xlsx, name="report_sales_xlsx"),
    path("sales.pdf", views.sales_report_pdf, name="report_sales_pdf"),
]
