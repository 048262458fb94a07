"""The statement pages (对账单): the list (search, filters, paging, Excel), issuing with a preview,
the detail with its actions (PDF, Excel, e-mail, the customer's stamped scan or differences), and
the statements tab on the customer page. Importing this module registers the tab and the
statement as an attachment owner (``FinanceConfig.ready``).

Views stay thin: they parse forms, look objects up for the user (404 when not visible), call
``finance.statements`` and show its refusals on the form or as a message."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from salesdesk.core.access import get_for_user
from salesdesk.core.attachments import list_for, register_owner
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError
from salesdesk.core.exports import xlsx_response
from salesdesk.core.forms import add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.core.registries import Panel, register_panel
from salesdesk.customers.models import Customer
from salesdesk.org.roles import Role

from . import statement_printing, statements
from .choices import STATEMENT_TRANSITIONS, StatementStatus
from .models import Statement
from .statement_filters import StatementFilterSet
from .statement_forms import ConfirmForm, DisputeForm, IssueForm, SendForm
from .statement_tables import StatementTable, statement_badge

PANEL_STATEMENTS = 12
EXPORTERS = frozenset({Role.CLERK, Role.FINANCE, Role.GENERAL_MANAGER})


def _role_required(check):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


reader_required = _role_required(statements.may_read)
issuer_required = _role_required(statements.may_issue)


def _statements():
    return Statement.objects.select_related("customer", "created_by")


# --- list -------------------------------------------------------------------------------------------


class StatementList(UserPassesTestMixin, ListPage):
    model = Statement
    table_class = StatementTable
    filterset_class = StatementFilterSet
    title = gettext_lazy("对账单")
    export_name = "finance.statements"
    new_url_name = "statement_issue"

    def test_func(self) -> bool:
        return statements.may_read(self.request.user)

    def base_queryset(self):
        return Statement.objects.visible_to(self.request.user).select_related("customer", "created_by")

    def can_export(self) -> bool:
        return self.request.user.has_role(*EXPORTERS)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not statements.may_issue(self.request.user):
            context["new_url_name"] = None
        return context


# --- issuing ----------------------------------------------------------------------------------------


@issuer_required
def statement_issue(request: HttpRequest) -> HttpResponse:
    """Pick the customer and period, look at the statement (GET ``?customer=&start=&end=``), issue it (POST)."""
    user = request.user
    wanted = {"customer", "start", "end"}
    data = request.POST if request.method == "POST" else (request.GET if wanted <= set(request.GET) else None)
    form = IssueForm(data, user=user, initial={"customer": request.GET.get("customer")} if data is None else None)
    preview = None
    if form.is_bound and form.is_valid():
        customer, start, end = (form.cleaned_data[k] for k in ("customer", "start", "end"))
        if request.method == "POST":
            try:
                statement = statements.issue_statement(actor=user, customer=customer, start=start, end=end)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("已出具对账单 %(n)s。") % {"n": statement.number})
                return redirect("statement_detail", pk=statement.pk)
        try:
            preview = statements.statement_for(customer.pk, start, end)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "finance/statements/issue.html", {
        "form": form, "preview": preview,
        "customer": form.cleaned_data.get("customer") if preview is not None else None,
        "problems": statements.tie_problems(preview) if preview is not None else [],
        "status": statements.latest_status(preview.customer_id, preview.start, preview.end) if preview else "",
    })


# --- detail and actions -----------------------------------------------------------------------------


class StatementDetail(UserPassesTestMixin, DetailPage):
    model = Statement
    template_name = "finance/statements/detail.html"

    def test_func(self) -> bool:
        return statements.may_read(self.request.user)

    def get_queryset(self):
        return _statements()

    def overview_context(self, obj: Statement) -> dict:
        user = self.request.user
        figures = statements.statement_for(obj.customer_id, obj.start, obj.end)
        issuer = statements.may_issue(user)
        allowed = STATEMENT_TRANSITIONS.get(obj.status, frozenset())
        return {
            "f": figures,
            "badge": statement_badge(obj),
            "outdated": statements.outdated(obj, figures),
            "scans": list(list_for(obj)),
            "can_send": issuer and StatementStatus.SENT in allowed,
            "can_answer": issuer and StatementStatus.CONFIRMED in allowed and obj.status != StatementStatus.DRAFT,
            "can_dispute": issuer and StatementStatus.DISPUTED in allowed,
            "send_form": SendForm(initial={"to": obj.sent_to or statements.default_recipient(obj.customer)}),
            "confirm_form": ConfirmForm(),
            "dispute_form": DisputeForm(),
        }


def _statement(request: HttpRequest, pk: int) -> Statement:
    return get_for_user(_statements(), pk, request.user)


@reader_required
@require_safe
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from salesdesk.contracts.printing import pdf_response

    statement = _statement(request, pk)
    content = statement_printing.statement_pdf(statement, user=request.user)
    return pdf_response(content, statement_printing.pdf_name(statement))


@reader_required
@require_safe
def statement_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    return xlsx_response(statement_printing.statement_xlsx(statement), statement_printing.xlsx_name(statement))


def _back(statement: Statement) -> HttpResponse:
    return redirect("statement_detail", pk=statement.pk)


@issuer_required
@require_POST
def statement_send(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    form = SendForm(request.POST)
    to = form.cleaned_data["to"] if form.is_valid() else ""
    try:
        statement = statements.send_statement(actor=request.user, statement=statement, to=to)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("对账单已发送至 %(to)s。") % {"to": statement.sent_to})
    return _back(statement)


@issuer_required
@require_POST
def statement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    form = ConfirmForm(request.POST, request.FILES)
    scan = form.cleaned_data.get("file") if form.is_valid() else None
    try:
        statement = statements.confirm_statement(actor=request.user, statement=statement, scan=scan)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("客户已盖章确认对账单 %(n)s。") % {"n": statement.number})
    return _back(statement)


@issuer_required
@require_POST
def statement_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    form = DisputeForm(request.POST)
    text = form.cleaned_data["differences"] if form.is_valid() else ""
    try:
        statement = statements.dispute_statement(actor=request.user, statement=statement, differences=text)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(request, _("已登记客户提出的差异。"))
    return _back(statement)


# --- the customer page's tab ------------------------------------------------------------------------


def customer_statements_panel(request: HttpRequest, customer: Customer) -> dict:
    rows = list(Statement.objects.visible_to(request.user).filter(customer=customer).order_by("-end", "-id")
                [:PANEL_STATEMENTS])
    return {
        "customer": customer,
        "statements": [(s, statement_badge(s)) for s in rows],
        "can_issue": statements.may_issue(request.user),
        "list_url": reverse("statement_list") + f"?customer={customer.code}",
    }


def _can_view(user, statement: Statement) -> bool:
    return statements.may_read(user) and Statement.objects.visible_to(user).filter(pk=statement.pk).exists()


register_owner(Statement, can_view=_can_view, can_attach=lambda user, statement: statements.may_issue(user))
register_panel(Customer, Panel("statements", gettext_lazy("对账单"), "finance/statements/_customer_statements.html",
                               customer_statements_panel, order=60,
                               visible=lambda user, obj: statements.may_read(user)))
