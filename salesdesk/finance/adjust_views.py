"""The adjustment pages of finance: bad-debt write-offs (坏账核销: list, request from a receivable,
detail with approve / reject / record per role) and opening balances (期初: the tie-out page, the
Excel template, upload → preview with row errors → finance commits, and the list of balances).

Views stay thin: they parse forms, look objects up for the user (404 when not visible), call
``adjustments`` / ``opening`` and show their refusals on the form or as a message. The tables,
filters and forms of these pages live here with them."""

from __future__ import annotations

import os
import re
import secrets
import time
from datetime import date
from decimal import Decimal
from functools import wraps
from pathlib import Path

import django_filters
import django_tables2 as tables
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import UserPassesTestMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import DetailPage
from salesdesk.core.errors import DomainError
from salesdesk.core.exports import xlsx_response
from salesdesk.core.filters import SearchFilterSet
from salesdesk.core.forms import StyledFormMixin, add_domain_error
from salesdesk.core.listing import ListPage
from salesdesk.customers.importing import ImportRefused

from . import adjustments, opening
from . import permissions as perms
from .choices import OpeningKind, WriteOffStatus
from .models import OpeningBalance, OpeningImport, Receivable, WriteOff

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_INPUT = forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"})
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money text-end text-nowrap"}}
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
MAX_AMOUNT = Decimal("999999999999.99")
RECEIVABLE_PICKER_LIMIT = 50
WRITEOFF_CSS = {WriteOffStatus.REQUESTED: "warning", WriteOffStatus.APPROVED: "info",
                WriteOffStatus.RECORDED: "success", WriteOffStatus.REJECTED: "danger"}


def perm_required(*names: str):
    """``permission_required(..., raise_exception=True)``, with the login redirect for anonymous users."""
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not adjustments.may(request.user, *names):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return login_required(wrapped)
    return decorator


class PermsRequiredMixin(UserPassesTestMixin):
    required_perms: tuple[str, ...] = ()
    raise_exception = True

    def test_func(self) -> bool:
        return adjustments.may(self.request.user, *self.required_perms)

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path())
        raise PermissionDenied


def _money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


# --- write-offs: list -------------------------------------------------------------------------------


def writeoff_badge(write_off: WriteOff):
    return format_html('<span class="badge text-bg-{}">{}</span>', WRITEOFF_CSS.get(write_off.status, "secondary"),
                       write_off.get_status_display())


class WriteOffFilterSet(SearchFilterSet):
    search_fields = ("number", "customer__name", "customer__code", "customer__search_text", "receivable__number",
                     "reason")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=WriteOffStatus.choices,
                                         empty_label=gettext_lazy("全部"))
    requested_from = django_filters.DateFilter(label=gettext_lazy("申请日期从"), field_name="requested_at",
                                               lookup_expr="date__gte", widget=DATE)
    requested_to = django_filters.DateFilter(label=gettext_lazy("申请日期至"), field_name="requested_at",
                                             lookup_expr="date__lte", widget=DATE)

    class Meta:
        model = WriteOff
        fields = ["q", "status", "requested_from", "requested_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["q"].field.widget.attrs["placeholder"] = _("编号、客户、应收单据号、原因")


class WriteOffTable(tables.Table):
    number = tables.Column(verbose_name=gettext_lazy("编号"), linkify=("writeoff_detail", [tables.A("pk")]),
                           attrs={"td": {"class": "text-nowrap"}})
    customer = tables.Column(verbose_name=gettext_lazy("客户"), accessor="customer__name",
                             order_by=("customer__name",))
    receivable = tables.Column(verbose_name=gettext_lazy("应收单据"), accessor="receivable__number", attrs=WIDE_ONLY)
    amount = tables.Column(verbose_name=gettext_lazy("核销金额"), attrs=MONEY)
    reason = tables.Column(verbose_name=gettext_lazy("原因"), orderable=False, attrs=WIDE_ONLY)
    status = tables.Column(verbose_name=gettext_lazy("状态"))
    requested_by = tables.Column(verbose_name=gettext_lazy("申请人"), accessor="requested_by__name")
    requested_at = tables.DateTimeColumn(verbose_name=gettext_lazy("申请时间"), format="Y-m-d H:i", attrs=WIDE_ONLY)
    recorded_on = tables.DateColumn(verbose_name=gettext_lazy("核销日期"), format="Y-m-d", default="—",
                                    attrs=WIDE_ONLY)

    class Meta:
        model = WriteOff
        fields = ("number", "customer", "receivable", "amount", "reason", "status", "requested_by", "requested_at",
                  "recorded_on")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "writeoff-table"}
        order_by = ("-requested_at",)
        empty_text = gettext_lazy("没有坏账核销记录。")

    def render_amount(self, value) -> str:
        return _money(value)

    def value_amount(self, value):
        return value

    def render_reason(self, value: str):
        return format_html('<span class="text-wrap d-inline-block" style="max-width:20rem">{}</span>', value)

    def render_status(self, record: WriteOff):
        return writeoff_badge(record)

    def value_status(self, record: WriteOff) -> str:
        return str(record.get_status_display())

    def render_requested_by(self, record: WriteOff) -> str:
        return record.requested_by.display_name

    def value_requested_by(self, record: WriteOff) -> str:
        return record.requested_by.display_name

    def value_requested_at(self, value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class WriteOffList(PermsRequiredMixin, ListPage):
    required_perms = (perms.VIEW_WRITEOFF,)
    model = WriteOff
    table_class = WriteOffTable
    filterset_class = WriteOffFilterSet
    title = gettext_lazy("坏账核销")
    export_name = "finance.write_offs"

    def can_export(self) -> bool:
        return self.request.user.has_perm(perms.REQUEST_WRITEOFF) or self.request.user.has_perm(perms.APPROVE_WRITEOFF)

    def base_queryset(self):
        return WriteOff.objects.visible_to(self.request.user).select_related("customer", "receivable", "requested_by")


# --- write-offs: request from a receivable ----------------------------------------------------------


class WriteOffForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("核销金额（元）"), max_digits=14, decimal_places=2,
                                min_value=Decimal("0.01"), max_value=MAX_AMOUNT, widget=MONEY_INPUT)
    reason = forms.CharField(label=gettext_lazy("核销原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("如：客户破产清算、诉讼终结无财产可执行、超过诉讼时效等，附件可在提交后上传。"))


class DecisionForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=gettext_lazy("审批意见"), max_length=300, required=False)


def _receivables_picker(request: HttpRequest) -> HttpResponse:
    term = request.GET.get("q", "").strip()[:100]
    qs = Receivable.objects.visible_to(request.user).select_related("customer")
    if term:
        qs = qs.filter(Q(number__icontains=term) | Q(customer__name__icontains=term)
                       | Q(customer__code__iexact=term) | Q(customer__search_text__icontains=term.lower()))
    items = list(qs.order_by("due_on", "shipped_on", "id")[:RECEIVABLE_PICKER_LIMIT])
    return render(request, "finance/adjust/receivable_picker.html", {
        "receivables": items, "q": term, "limit": RECEIVABLE_PICKER_LIMIT})


@perm_required(perms.REQUEST_WRITEOFF)
def writeoff_create(request: HttpRequest) -> HttpResponse:
    """Ask the GM to write off (part of) a receivable: ``?receivable=<id>``; without it, pick one."""
    raw = request.GET.get("receivable") or request.POST.get("receivable") or ""
    if not raw:
        return _receivables_picker(request)
    receivable = get_for_user(Receivable.objects.select_related("customer", "order"), raw, request.user)
    open_now = adjustments.open_amount(receivable)
    form = WriteOffForm(request.POST or None, initial={"amount": open_now} if request.method == "GET" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            write_off = adjustments.request_write_off(actor=request.user, data=adjustments.WriteOffRequest(
                receivable=receivable, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"]))
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("已提交坏账核销申请 %(n)s，等待总经理审批。") % {"n": write_off.number})
            return redirect("writeoff_detail", pk=write_off.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "finance/adjust/writeoff_form.html", {
        "form": form, "receivable": receivable, "open_amount": open_now}, status=status)


# --- write-offs: detail and decisions ---------------------------------------------------------------


class WriteOffDetail(PermsRequiredMixin, DetailPage):
    required_perms = (perms.VIEW_WRITEOFF,)
    model = WriteOff
    template_name = "finance/adjust/writeoff_detail.html"

    def get_queryset(self):
        return adjustments.writeoffs_for(self.request.user).select_related("receivable__order")

    def overview_context(self, obj: WriteOff) -> dict:
        user = self.request.user
        requested = obj.status == WriteOffStatus.REQUESTED
        approver = adjustments.may(user, perms.APPROVE_WRITEOFF)
        return {
            "can_decide": requested and approver and obj.requested_by_id != user.pk,
            "own_request": requested and approver and obj.requested_by_id == user.pk,
            "can_record": obj.status == WriteOffStatus.APPROVED and adjustments.may(user, perms.RECORD_WRITEOFF),
            "open_amount": adjustments.open_amount(obj.receivable, excluding=obj)
            if obj.status in adjustments.PENDING_STATES else None,
            "decision_form": DecisionForm(),
        }


def _act(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    write_off = get_for_user(WriteOff, pk, request.user)
    try:
        action(write_off)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success % {"n": write_off.number})
    return redirect("writeoff_detail", pk=write_off.pk)


def _note(request: HttpRequest) -> str:
    form = DecisionForm(request.POST)
    return form.cleaned_data["note"] if form.is_valid() else ""


@require_POST
@perm_required(perms.APPROVE_WRITEOFF)
def writeoff_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda w: adjustments.decide_write_off(
        actor=request.user, write_off=w, approve=True, note=_note(request)), _("已批准坏账核销 %(n)s，待财务入账。"))


@require_POST
@perm_required(perms.APPROVE_WRITEOFF)
def writeoff_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda w: adjustments.decide_write_off(
        actor=request.user, write_off=w, approve=False, note=_note(request)), _("已驳回坏账核销 %(n)s。"))


@require_POST
@perm_required(perms.RECORD_WRITEOFF)
def writeoff_record(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda w: adjustments.record_write_off(actor=request.user, write_off=w),
                _("坏账核销 %(n)s 已入账。"))


# --- opening balances: the stored upload between preview and commit ---------------------------------

SESSION_KEY = "opening_imports"
STALE_AFTER = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _store(request: HttpRequest, upload, params: dict) -> str:
    """Keep the upload until finance commits it (or a day, swept by the next upload)."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    limit = time.time() - STALE_AFTER
    for path in folder.glob("opening-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(24)
    with open(folder / f"opening-{token}", "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    stored = request.session.get(SESSION_KEY, {})
    stored[token] = {**params, "name": os.path.basename(upload.name or "")[:200]}
    request.session[SESSION_KEY] = dict(list(stored.items())[-5:])
    return token


def _load(request: HttpRequest, token: str) -> tuple[bytes, dict] | None:
    params = request.session.get(SESSION_KEY, {}).get(token)
    if params is None or not _TOKEN.match(token):
        return None
    try:
        return (_folder() / f"opening-{token}").read_bytes(), params
    except OSError:
        return None


def _discard(request: HttpRequest, token: str) -> None:
    stored = request.session.get(SESSION_KEY, {})
    if stored.pop(token, None) is not None:
        request.session[SESSION_KEY] = stored
    if _TOKEN.match(token):
        (_folder() / f"opening-{token}").unlink(missing_ok=True)


# --- opening balances: pages ------------------------------------------------------------------------


class OpeningUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("期初余额文件"),
                           help_text=gettext_lazy("按模板填写的 Excel（.xlsx、.xls）或 CSV；第一行为表头。"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}))
    as_of = forms.DateField(label=gettext_lazy("期初日（上线日）"), widget=DATE,
                            help_text=gettext_lazy("期初余额截至的日期，通常为上线前一天。"))
    expected_receivable = forms.DecimalField(label=gettext_lazy("财务期初应收合计"), required=False, max_digits=14,
                                             decimal_places=2, min_value=Decimal(0), max_value=MAX_AMOUNT,
                                             widget=MONEY_INPUT)
    expected_advance = forms.DecimalField(label=gettext_lazy("财务期初预收合计"), required=False, max_digits=14,
                                          decimal_places=2, min_value=Decimal(0), max_value=MAX_AMOUNT,
                                          widget=MONEY_INPUT)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(_("文件超过大小上限 %(mb)d MB") % {"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)})
        return upload


def _params(data: dict) -> dict:
    return {"as_of": data["as_of"].isoformat(),
            "expected_receivable": None if data["expected_receivable"] is None else str(data["expected_receivable"]),
            "expected_advance": None if data["expected_advance"] is None else str(data["expected_advance"])}


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@require_safe
@perm_required(perms.VIEW_OPENING)
def opening_overview(request: HttpRequest) -> HttpResponse:
    """期初: the tie-out per kind (ours against finance's totals), the imports so far, the upload."""
    user = request.user
    return render(request, "finance/adjust/opening.html", {
        "tie_out": opening.tie_out(),
        "imports": list(OpeningImport.objects.select_related("uploaded_by")[:10]),
        "form": OpeningUploadForm(initial={"as_of": timezone.localdate()}) if opening.may(user, perms.PREVIEW_OPENING)
        else None,
    })


@perm_required(perms.PREVIEW_OPENING)
def opening_upload(request: HttpRequest) -> HttpResponse:
    """Upload → the preview: every row checked, errors by row and column; finance then commits."""
    form = OpeningUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        params = _params(form.cleaned_data)
        try:
            check = opening.check_file(actor=request.user, data=upload.read(), filename=upload.name or "",
                                       as_of=form.cleaned_data["as_of"])
        except ImportRefused as exc:
            add_domain_error(form, exc)
        else:
            upload.seek(0)
            token = _store(request, upload, params) if check.ok and check.new_rows else ""
            return _preview(request, check, token, params)
    if request.method == "GET":
        return redirect("opening_overview")
    return render(request, "finance/adjust/opening_upload.html", {"form": form}, status=422)


def _preview(request: HttpRequest, check: opening.OpeningCheck, token: str, params: dict,
             status: int | None = None) -> HttpResponse:
    return render(request, "finance/adjust/opening_preview.html", {
        "check": check, "token": token, "params": params,
        "can_commit": bool(token) and opening.may(request.user, perms.COMMIT_OPENING),
        "expected_receivable": _decimal(params.get("expected_receivable")),
        "expected_advance": _decimal(params.get("expected_advance")),
    }, status=status or (200 if check.ok else 422))


@require_POST
@perm_required(perms.COMMIT_OPENING)
def opening_commit(request: HttpRequest, token: str) -> HttpResponse:
    loaded = _load(request, token)
    if loaded is None:
        messages.warning(request, _("上传的文件已处理或已过期，请重新上传。"))
        return redirect("opening_overview")
    data, params = loaded
    try:
        result = opening.import_opening(
            actor=request.user, data=data, filename=params["name"],
            as_of=date.fromisoformat(params["as_of"]),
            expected_receivable=_decimal(params["expected_receivable"]),
            expected_advance=_decimal(params["expected_advance"]))
    except ImportRefused as exc:
        _discard(request, token)
        messages.error(request, exc.message)
        return redirect("opening_overview")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("opening_overview")
    _discard(request, token)
    if not result.check.ok:
        return _preview(request, result.check, "", params)
    if result.written:
        messages.success(request, _("已导入期初 %(n)d 条（应收 ¥%(r)s，预收 ¥%(a)s）；跳过已导入的 %(s)d 条。") % {
            "n": result.created, "r": _money(result.check.receivable_total), "a": _money(result.check.advance_total),
            "s": result.check.existing})
    else:
        messages.info(request, _("文件中的单据都已导入过，没有新增。"))
    return redirect("opening_overview")


@require_safe
@perm_required(perms.PREVIEW_OPENING)
def opening_template(request: HttpRequest) -> HttpResponse:
    return xlsx_response(opening.template_workbook(), "期初余额导入模板.xlsx")


class OpeningFilterSet(SearchFilterSet):
    search_fields = ("document_no", "customer__name", "customer__code", "customer__search_text")
    kind = django_filters.ChoiceFilter(label=gettext_lazy("类型"), choices=OpeningKind.choices,
                                       empty_label=gettext_lazy("全部"))

    class Meta:
        model = OpeningBalance
        fields = ["q", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["q"].field.widget.attrs["placeholder"] = _("单据号、客户")


class OpeningTable(tables.Table):
    customer = tables.Column(verbose_name=gettext_lazy("客户"), accessor="customer__name",
                             order_by=("customer__name",))
    code = tables.Column(verbose_name=gettext_lazy("客户编号"), accessor="customer__code", attrs=WIDE_ONLY)
    kind = tables.Column(verbose_name=gettext_lazy("类型"))
    document_no = tables.Column(verbose_name=gettext_lazy("原单据号"))
    amount = tables.Column(verbose_name=gettext_lazy("金额"), attrs=MONEY)
    original_on = tables.DateColumn(verbose_name=gettext_lazy("原始日期"), format="Y-m-d")
    due_on = tables.DateColumn(verbose_name=gettext_lazy("到期日"), format="Y-m-d", default="—")
    as_of = tables.DateColumn(verbose_name=gettext_lazy("期初日"), format="Y-m-d", attrs=WIDE_ONLY)

    class Meta:
        model = OpeningBalance
        fields = ("customer", "code", "kind", "document_no", "amount", "original_on", "due_on", "as_of")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "opening-table"}
        order_by = ("customer",)
        empty_text = gettext_lazy("还没有导入期初余额。")

    def render_amount(self, value) -> str:
        return _money(value)

    def value_amount(self, value):
        return value

    def value_kind(self, record: OpeningBalance) -> str:
        return str(record.get_kind_display())


class OpeningList(PermsRequiredMixin, ListPage):
    required_perms = (perms.VIEW_OPENING,)
    model = OpeningBalance
    table_class = OpeningTable
    filterset_class = OpeningFilterSet
    title = gettext_lazy("期初余额明细")
    export_name = "finance.opening_balances"

    def can_export(self) -> bool:
        return True  # every reader of this page may take it to Excel (logged)

    def base_queryset(self):
        return opening.balances_for(self.request.user)

