from django.urls import path

from . import ar_views

urlpatterns = [
    path("", ar_views.open_items, name="receivable_list"),
    path("aging/", ar_views.aging, name="receivable_aging"),
    path("overdue/", ar_views.overdue, name="receivable_overdue"),
    path("customers/<int:pk>/", ar_views.customer_ledger, name="receivable_customer"),
    path("contracts/<int:pk>/", ar_views.contract_ledger, name="receivable_contract"),
    path("collections/", ar_views.CollectionList.as_view(), name="collection_list"),
    path("collections/new/", ar_views.collection_create, name="collection_create"),
]
