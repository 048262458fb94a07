from django.urls import path

from . import views

urlpatterns = [
    path("", views.ProductList.as_view(), name="product_list"),
    path("new/", views.product_create, name="product_create"),
    path("import/", views.product_import, name="product_import"),
    path("import/template/", views.product_import_template, name="product_import_template"),
    path("categories/", views.category_list, name="category_list"),
    path("<int:pk>/", views.ProductDetail.as_view(), name="product_detail"),
    path("<int:pk>/edit/", views.product_edit, name="product_edit"),
]
