"""The month-end pages (月末对账): the months with their status, and one month's checklist —
cut-off, unmatched money, uninvoiced shipments, differences against finance's AR sub-ledger
(uploaded here, exported to Excel) — ending with finance's lock.

For the clerk and finance (``monthend.MONTHEND_ROLES``); only finance locks. Views stay thin:
the figures come from ``monthend``, the writes from ``monthend.import_finance_ledger`` and
``ledger.periods.lock_period``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.exports import log_export, write_xlsx, xlsx_response
from salesdesk.core.forms import StyledFormMixin, add_domain_error
from salesdesk.ledger import periods
from salesdesk.ledger.permissions import LOCK_PERIOD

from . import monthend

EXPORT_NAME = "finance.monthend_differences"


class LedgerUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("财务应收账款明细账"),
        help_text=gettext_lazy("财务软件导出的客户余额表（.xlsx、.xls 或 CSV）：需含“客户编码”或“客户名称”列，以及“期末余额”"
                               "（或“借方余额/贷方余额”、“方向”）列。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("文件超过大小上限 %(mb)d MB") % {"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)})
        return upload


class LockForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=gettext_lazy("结账说明"), max_length=300, required=False)


def _require_reconciler(request: HttpRequest) -> None:
    if not monthend.may_reconcile(request.user):
        raise PermissionDenied


def _month(period: str) -> str:
    """A month that exists and has begun; anything else is not a page (404)."""
    try:
        period = periods.parse_period(period)
    except InvalidInput:
        raise Http404 from None
    if period > periods.current_period():
        raise Http404
    return period


@login_required
@require_safe
def monthend_index(request: HttpRequest) -> HttpResponse:
    """The months from the first business fact to now, latest first, with their lock status."""
    _require_reconciler(request)
    return render(request, "finance/monthend/index.html", {
        "rows": periods.period_rows(),
        "can_lock": request.user.has_perm(LOCK_PERIOD),
    })


def _render_checklist(request: HttpRequest, period: str, form: LedgerUploadForm | None = None,
                      status: int = 200) -> HttpResponse:
    month = monthend.checklist(period)
    return render(request, "finance/monthend/detail.html", {
        "month": month,
        "cut": month.cut_off,
        "diff": month.differences,
        "form": form or LedgerUploadForm(),
        "lock_form": LockForm(),
        "can_lock": request.user.has_perm(LOCK_PERIOD) and not month.is_locked,
        "previous": periods.previous_month(period),
        "next": periods.next_month(period) if period < periods.current_period() else None,
        "limit": monthend.LIST_LIMIT,
        "difference_limit": monthend.DIFFERENCE_LIMIT,
    }, status=status)


@login_required
@require_safe
def monthend_detail(request: HttpRequest, period: str) -> HttpResponse:
    _require_reconciler(request)
    return _render_checklist(request, _month(period))


@login_required
@require_POST
def monthend_upload(request: HttpRequest, period: str) -> HttpResponse:
    """Import finance's AR sub-ledger of the month; the differences show below at once."""
    _require_reconciler(request)
    period = _month(period)
    form = LedgerUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            outcome = monthend.import_finance_ledger(actor=request.user, period=period, data=upload.read(),
                                                     filename=upload.name or "")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已导入财务应收明细 %(rows)d 行：匹配客户 %(matched)d 行，未匹配 %(unmatched)d 行。") % {
                "rows": outcome.rows, "matched": outcome.matched, "unmatched": outcome.unmatched})
            for row, message in outcome.errors[:10]:
                messages.warning(request, _("第 %(row)d 行未导入：%(msg)s") % {"row": row, "msg": message})
            return redirect("monthend_detail", period=period)
    return _render_checklist(request, period, form)


@login_required
@require_POST
@permission_required(LOCK_PERIOD, raise_exception=True)
def monthend_lock(request: HttpRequest, period: str) -> HttpResponse:
    """Finance locks the month (after the confirmation on the page)."""
    period = _month(period)
    form = LockForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        periods.lock_period(actor=request.user, period=period, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(period)s 已结账：该月的单据不能再修改，更正请在未结账月份登记。") % {"period": period})
    return redirect("monthend_detail", period=period)


@login_required
@require_safe
def monthend_export(request: HttpRequest, period: str) -> HttpResponse:
    """The difference list as an Excel file (logged like every export)."""
    _require_reconciler(request)
    period = _month(period)
    diff = monthend.differences(period)
    headers = [_("客户编号"), _("客户名称"), _("我方余额"), _("财务余额"), _("差异"), _("说明")]
    user = request.user
    title = _("月末对账差异 %(period)s") % {"period": period}
    content, rows = write_xlsx(title, headers, monthend.difference_export_rows(diff), exported_by=user.display_name)
    log_export(user, EXPORT_NAME, rows, {"period": period})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"{title}-{user.display_name}-{stamp}.xlsx")
