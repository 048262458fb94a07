from django.urls import path

from . import statement_views as views

urlpatterns = [
    path("", views.StatementList.as_view(), name="statement_list"),
    path("new/", views.statement_issue, name="statement_issue"),
    path("<int:pk>/", views.StatementDetail.as_view(), name="statement_detail"),
    path("<int:pk>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("<int:pk>/xlsx/", views.statement_xlsx, name="statement_xlsx"),
    path("<int:pk>/send/", views.statement_send, name="statement_send"),
    path("<int:pk>/confirm/", views.statement_confirm, name="statement_customer_confirm"),
    path("<int:pk>/dispute/", views.statement_dispute, name="statement_dispute"),
]
