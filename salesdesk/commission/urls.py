from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.RunList.as_view(), name="commission_run_list"),
    path("runs/start/", views.run_start, name="commission_run_start"),
    path("runs/<int:pk>/", views.RunDetail.as_view(), name="commission_run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="commission_run_progress"),
    path("runs/<int:pk>/resume/", views.run_resume, name="commission_run_resume"),
    path("runs/<int:pk>/confirm-team/", views.run_confirm_team, name="commission_run_confirm_team"),
    path("runs/<int:pk>/approve/", views.run_approve, name="commission_run_approve"),
    path("runs/<int:pk>/adjust/", views.adjustment_create, name="commission_adjustment_create"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="commission_run_export"),
    path("runs/<int:pk>/statements/<int:user_id>.pdf", views.statement_pdf, name="commission_statement_pdf"),
    path("runs/<int:pk>/statements/<int:user_id>.xlsx", views.statement_xlsx, name="commission_statement_xlsx"),
    path("lines/<int:pk>/", views.line_detail, name="commission_line_detail"),
    path("lines/<int:pk>/confirm/", views.line_confirm, name="commission_line_confirm"),
    path("lines/<int:pk>/dispute/", views.line_dispute, name="commission_line_dispute"),
    path("plans/", views.PlanList.as_view(), name="commission_plan_list"),
    path("plans/new/", views.plan_create, name="commission_plan_create"),
    path("plans/<int:pk>/", views.PlanDetail.as_view(), name="commission_plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="commission_plan_edit"),
    path("plans/<int:pk>/new-version/", views.plan_new_version, name="commission_plan_new_version"),
    path("plans/<int:pk>/assignments/new/", views.assignment_create, name="commission_assignment_create"),
    path("assignments/<int:pk>/edit/", views.assignment_edit, name="commission_assignment_edit"),
    path("kpi/", include("salesdesk.commission.kpi_urls")),
]
