from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.UserList.as_view(), name="user_list"),
    path("users/<int:pk>/", views.UserDetail.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("teams/", views.TeamList.as_view(), name="team_list"),
    path("teams/<int:pk>/", views.TeamDetail.as_view(), name="team_detail"),
]
