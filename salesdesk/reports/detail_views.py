"""Pages of the sales detail ledger (销售明细账): the filtered, paged ledger (full page and htmx
partial), its Excel export (small ranges at once, big ones as a job), the export job's page with
its progress and the download of the finished file (only for the user who asked for it)."""

from __future__ import annotations

import io
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from salesdesk.catalog.models import Product
from salesdesk.core.exports import XLSX_MIME, log_export, xlsx_response
from salesdesk.core.forms import StyledFormMixin
from salesdesk.core.models import JobStatus
from salesdesk.core.navigation import MenuItem, register
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from . import detail_ledger as ledger
from . import detail_tasks
from .permissions import EXPORT_REPORTS, VIEW_REPORTS

SESSION_KEY = "ledger_exports"
READERS = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE})

register(MenuItem("sales_ledger", gettext_lazy("销售明细账"), "ledger", "bi-journal-richtext", roles=READERS, order=410,
                  description=gettext_lazy("逐笔业务：下单、发货、开票、回款，含客户余额；可筛选并导出 Excel")))
TITLE = gettext_lazy("销售明细账")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LedgerFilterForm(StyledFormMixin, forms.Form):
    start = forms.DateField(label=gettext_lazy("起始日"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("截止日"), required=False, widget=DATE)
    customer = forms.CharField(label=gettext_lazy("客户编号"), required=False, max_length=40)
    salesperson = forms.TypedChoiceField(label=gettext_lazy("业务员"), required=False, coerce=int, empty_value=None)
    product = forms.CharField(label=gettext_lazy("产品编码"), required=False, max_length=60)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), required=False,
                             choices=[("", gettext_lazy("全部")), *FactKind.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = salesperson_scope(user)
        people = User.objects.filter(groups__name=Role.SALESPERSON).order_by("username").distinct()
        if scope is not None:
            people = people.filter(pk__in=scope)
        self.fields["salesperson"].choices = [("", _("全部"))] + [(u.pk, u.display_name) for u in people]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("截止日不能早于起始日。"))
        return data

    def ledger_filter(self) -> ledger.LedgerFilter | None:
        """The filter, or None when the customer or product named is unknown or not visible."""
        d = self.cleaned_data
        customer_id = product_id = None
        if d.get("customer"):
            customer_id = _lookup(Customer.objects.visible_to(self.user), "code", d["customer"])
            if customer_id is None:
                return None
        if d.get("product"):
            product_id = _lookup(Product.objects.all(), "sku", d["product"])
            if product_id is None:
                return None
        return ledger.LedgerFilter(start=d.get("start"), end=d.get("end"), customer_id=customer_id,
                                   salesperson_id=d.get("salesperson"), product_id=product_id, kind=d.get("kind") or None)


def _lookup(qs, code_field: str, text: str) -> int | None:
    text = text.strip()
    found = qs.filter(**{f"{code_field}__iexact": text}).values_list("pk", flat=True).first()
    if found is None and text.isdigit() and len(text) < 19:
        found = qs.filter(pk=int(text)).values_list("pk", flat=True).first()
    return found


def _may_view(user) -> bool:
    return user.has_perm(VIEW_REPORTS)


def _default_query() -> dict:
    today = timezone.localdate()
    return {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}


@login_required
@require_safe
def ledger_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_view(user):
        raise PermissionDenied
    data = request.GET.copy() if request.GET else QueryDict(mutable=True)
    if not request.GET:
        data.update(_default_query())
    form = LedgerFilterForm(data, user=user)
    f = form.ledger_filter() if form.is_valid() else None
    if request.GET.get("export") == "xlsx":
        if not user.has_perm(EXPORT_REPORTS):
            raise PermissionDenied
        return _export(request, f)
    try:
        page_no = max(1, min(int(request.GET.get("page") or 1), 10**6))
    except ValueError:
        page_no = 1
    page = ledger.ledger_page(user, f, limit=ledger.PAGE_SIZE, offset=(page_no - 1) * ledger.PAGE_SIZE) \
        if f is not None else ledger.LedgerPage(0, [])
    query = data.copy()
    query.pop("page", None)
    query.pop("export", None)
    pages = max(1, -(-page.count // ledger.PAGE_SIZE))
    context = {
        "title": TITLE, "form": form, "page": page, "page_no": page_no, "pages": pages,
        "has_prev": page_no > 1, "has_next": page_no < pages, "querystring": query.urlencode(),
        "can_export": user.has_perm(EXPORT_REPORTS), "inline_limit": ledger.INLINE_LIMIT,
        "unknown": form.is_valid() and f is None,
    }
    template = "reports/detail/_table.html" if request.htmx and not request.htmx.boosted else "reports/detail/ledger.html"
    return render(request, template, context)


def _filename(user) -> str:
    return f"销售明细账-{user.display_name}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


MSG_QUEUE_DOWN = ("后台任务队列暂时不可用，导出没有开始，请稍后重试 / "
                  "The job queue is unavailable; the export did not start. Please retry later.")


def _export(request: HttpRequest, f: ledger.LedgerFilter | None) -> HttpResponse:
    user = request.user
    if f is None:
        messages.error(request, _("筛选条件有误，未导出。"))
        return redirect("ledger")
    rows = ledger.ledger_queryset(user, f).count()
    title = str(TITLE)
    if rows <= ledger.INLINE_LIMIT:
        buffer = io.BytesIO()
        count = ledger.write_workbook(buffer, ledger.iter_rows(user, f), title=title, exported_by=user.display_name)
        log_export(user, "reports.ledger", count, f.as_dict())
        return xlsx_response(buffer.getvalue(), _filename(user))
    from django.urls import reverse

    from salesdesk.core.jobs import QueueUnavailable, enqueue

    token = ledger.new_token()
    try:  # a queue that is down refuses now (the failed job row says why) rather than "queued", then "stale"
        enqueue(detail_tasks.export_ledger_task, record_as=detail_tasks.JOB_NAME, message=MSG_QUEUE_DOWN,
                token=token, user_id=user.pk, filters=f.as_dict(), title=title)
    except QueueUnavailable as exc:
        messages.error(request, exc.message)
        query = request.GET.copy()
        query.pop("export", None)
        return redirect(f"{reverse('ledger')}?{query.urlencode()}")
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {"at": timezone.now().isoformat(), "rows": rows}
    request.session[SESSION_KEY] = dict(list(pending.items())[-10:])
    messages.info(request, _("共 %(n)d 行，已转入后台导出，完成后会通知您。") % {"n": rows})
    return redirect("ledger_export_status", token=token)


def _job(request: HttpRequest, token: str):
    """The export's latest run, if it belongs to the user; (None, True) while it waits in the queue."""
    if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        raise Http404
    run = detail_tasks.job_runs(token).first()
    if run is not None:
        if run.args.get("kwargs", {}).get("user_id") != request.user.pk:
            raise Http404
        return run
    if token in request.session.get(SESSION_KEY, {}):
        return None
    raise Http404


def _progress(run) -> tuple[int, int]:
    try:
        done, total = (int(x) for x in (run.output or "0/0").split("/", 1))
    except ValueError:
        return 0, 0
    return done, total


@login_required
@require_safe
def ledger_export_status(request: HttpRequest, token: str) -> HttpResponse:
    if not _may_view(request.user):
        raise PermissionDenied
    run = _job(request, token)
    done, total = _progress(run) if run is not None else (0, request.session.get(SESSION_KEY, {}).get(token, {})
                                                           .get("rows", 0))
    ready = run is not None and run.status == JobStatus.SUCCEEDED and ledger.export_path(token).exists()
    context = {
        "token": token, "run": run, "done": done, "total": total, "ready": ready,
        "failed": run is not None and run.status == JobStatus.FAILED,
        "percent": int(done * 100 / total) if total else (100 if ready else 0),
        "queued": run is None, "stale": run is None and _older_than_a_day(request, token),
    }
    template = "reports/detail/_export_status.html" if request.htmx else "reports/detail/export_status.html"
    return render(request, template, context)


def _older_than_a_day(request, token) -> bool:
    at = request.session.get(SESSION_KEY, {}).get(token, {}).get("at")
    try:
        from datetime import datetime

        return timezone.now() - datetime.fromisoformat(at) > timedelta(days=1)
    except (TypeError, ValueError):
        return False


@login_required
@require_safe
def ledger_export_download(request: HttpRequest, token: str) -> HttpResponse:
    if not (_may_view(request.user) and request.user.has_perm(EXPORT_REPORTS)):
        raise PermissionDenied
    run = _job(request, token)
    path = ledger.export_path(token)
    if run is None or run.status != JobStatus.SUCCEEDED or not path.exists():
        raise Http404
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=_filename(request.user),
                            content_type=XLSX_MIME)
    response["X-Content-Type-Options"] = "nosniff"
    return response
