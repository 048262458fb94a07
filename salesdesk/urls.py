from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from salesdesk.api.main import api
from salesdesk.org import views as org_views

urlpatterns = [
    path("", include("salesdesk.desk.urls")),  # the desk: every role's home page
    path("login/", org_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("salesdesk.org.urls")),
    path("customers/import/", include("salesdesk.customers.import_urls")),
    path("customers/", include("salesdesk.customers.urls")),
    path("catalog/", include("salesdesk.catalog.urls")),
    path("contracts/", include("salesdesk.contracts.urls")),
    path("core/", include("salesdesk.core.urls")),
    path("office/", include("salesdesk.office.urls")),
    path("orders/", include("salesdesk.orders.urls")),
    path("finance/", include("salesdesk.finance.urls")),
    path("logistics/", include("salesdesk.logistics.urls")),
    path("service/", include("salesdesk.customers.service_urls")),
    path("reports/ledger/", include("salesdesk.reports.detail_urls")),
    path("reports/schedules/", include("salesdesk.reports.schedule_urls")),
    path("reports/", include("salesdesk.reports.urls")),
    path("team/", include("salesdesk.team.urls")),
    path("commission/", include("salesdesk.commission.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
