"""The list page every app uses: django-filter for the filters and search, django-tables2 for
sorting and paging, the same view answering the full page and the htmx table partial, and an
Excel export of the filtered rows (permission-checked and logged)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .exports import log_export, write_xlsx, xlsx_response


class ListPage(LoginRequiredMixin, SingleTableMixin, FilterView):
    """Subclasses set ``model``, ``table_class``, ``filterset_class``, ``title`` and
    ``export_permission`` (``None`` = no export), and may override ``base_queryset()``."""

    template_name = "partials/list_page.html"
    table_template_name = "partials/list_table.html"
    per_page = 25
    title = ""
    export_permission: str | None = None
    export_name = "export"
    export_exclude: tuple[str, ...] = ("actions",)
    new_url_name: str | None = None
    new_permission: str | None = None

    def base_queryset(self):
        return self.model._default_manager.visible_to(self.request.user)

    def get_queryset(self):
        return self.base_queryset()

    def get_table_pagination(self, table):
        return {"per_page": self.per_page}

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [self.table_template_name]
        return [self.template_name]

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def can_export(self) -> bool:
        return bool(self.export_permission) and self.request.user.has_perm(self.export_permission)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        context.update(
            title=self.title,
            can_export=self.can_export(),
            querystring=query.urlencode(),
            new_url_name=self.new_url_name
            if self.new_url_name and (not self.new_permission or self.request.user.has_perm(self.new_permission))
            else None,
        )
        return context

    def export(self) -> HttpResponse:
        if not self.can_export():
            raise PermissionDenied
        filterset = self.get_filterset(self.get_filterset_class())
        qs = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        table = self.get_table_class()(qs)
        values = iter(table.as_values(exclude_columns=self.export_exclude))
        headers = next(values)
        user = self.request.user
        content, rows = write_xlsx(str(self.title), headers, values, exported_by=user.display_name)
        log_export(user, self.export_name, rows, {k: v for k, v in self.request.GET.items() if k != "export"})
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return xlsx_response(content, f"{self.title}-{user.display_name}-{stamp}.xlsx")
