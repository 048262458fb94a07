"""The detail page every app uses: the object (404 when missing or not visible), an overview,
and tabs — history (动态管理), attachments, and panels contributed by higher apps through the
registry. One view answers the full page and each tab's htmx partial."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from .access import get_for_user
from .attachments import can_view_owner, panel_context
from .history import display_rows, history_entries
from .registries import panels_for

HISTORY_PAGE = 20


class DetailPage(LoginRequiredMixin, View):
    model = None
    template_name = ""  # extends partials/detail_page.html and fills the overview block
    with_attachments = True

    def get_queryset(self):
        return self.model._default_manager.all()

    def get_object(self):
        return get_for_user(self.get_queryset(), self.kwargs["pk"], self.request.user)

    def overview_context(self, obj) -> dict:
        return {}

    def tabs(self, obj) -> list[tuple[str, str]]:
        tabs = [("overview", _("概况"))]
        tabs += [(f"panel-{p.key}", p.label) for p in panels_for(self.model, self.request.user, obj)]
        if self.with_attachments and can_view_owner(self.request.user, obj):
            tabs.append(("attachments", _("附件")))
        tabs.append(("history", _("变更记录")))
        return tabs

    def tab_context(self, tab: str, obj) -> tuple[str, dict]:
        if tab == "history":
            total, entries = history_entries(obj, limit=HISTORY_PAGE, offset=self._offset())
            rows = display_rows(self.model, entries)
            page = Paginator(range(total), HISTORY_PAGE).get_page(self.request.GET.get("page"))
            return "partials/history.html", {"rows": rows, "page_obj": page}
        if tab == "attachments":
            return "partials/attachments.html", {
                "panel": panel_context(self.request.user, obj, next_url=f"{self.request.path}?tab=attachments")
            }
        if tab.startswith("panel-"):
            for panel in panels_for(self.model, self.request.user, obj):
                if f"panel-{panel.key}" == tab:
                    return panel.template, panel.context(self.request, obj)
        return "", {}

    def _offset(self) -> int:
        try:
            return max(0, int(self.request.GET.get("page", 1)) - 1) * HISTORY_PAGE
        except ValueError:
            return 0

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        tab = request.GET.get("tab", "overview")
        tabs = self.tabs(obj)
        if tab not in {key for key, _ in tabs}:
            tab = "overview"
        if request.htmx and tab != "overview":
            template, context = self.tab_context(tab, obj)
            return render(request, template, {"object": obj, **context})
        context = {"object": obj, "tabs": tabs, "active_tab": tab, **self.overview_context(obj)}
        if tab != "overview":
            context["tab_template"], tab_ctx = self.tab_context(tab, obj)
            context.update(tab_ctx)
        return render(request, self.template_name, context)
