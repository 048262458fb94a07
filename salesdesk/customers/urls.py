from django.urls import path

from . import views

urlpatterns = [
    path("", views.CustomerList.as_view(), name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("duplicates/", views.customer_duplicates, name="customer_duplicates"),
    path("<int:pk>/", views.CustomerDetail.as_view(), name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/transfer/", views.customer_transfer, name="customer_transfer"),
    path("<int:pk>/contacts/", views.contact_add, name="customer_contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_edit, name="customer_contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/anonymise/", views.contact_anonymise, name="customer_contact_anonymise"),
    path("<int:pk>/products/", views.product_save, name="customer_product_add"),
    path("<int:pk>/products/<int:row_pk>/", views.product_save, name="customer_product_edit"),
]
