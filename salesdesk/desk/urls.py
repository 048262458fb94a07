from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("desk/orders/<int:pk>/seen/", views.order_seen, name="desk_order_seen"),
]
