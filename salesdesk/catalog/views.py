"""Product pages: the list (filters, pinyin search, Excel export in the import's columns), the
detail with its history, the form with level prices, the Excel import, the categories."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.access import get_for_user
from salesdesk.core.detail import HISTORY_PAGE, DetailPage
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.exports import log_export, write_xlsx, xlsx_response
from salesdesk.core.forms import add_domain_error
from salesdesk.core.history import display_rows, history_entries
from salesdesk.core.listing import ListPage

from . import importing, queries, services
from . import permissions as perms
from .filters import ProductFilterSet
from .forms import CategoryForm, ImportForm, ProductForm
from .models import Category, Product
from .tables import ProductTable, rate_text, unit_price_text

FIELD_MAP = {"specification": "specification", "level_prices.dealer": "level_dealer",
             "level_prices.key_account": "level_key_account", "level_prices.special": "level_special"}


def _refusal(form, exc: Exception) -> None:
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("您无权执行此操作。"))
        return
    if isinstance(exc, InvalidInput):
        exc.errors = {FIELD_MAP.get(k, k): v for k, v in exc.errors.items()}
    add_domain_error(form, exc)


class ProductList(PermissionRequiredMixin, ListPage):
    permission_required = perms.VIEW_PRODUCT
    model = Product
    table_class = ProductTable
    filterset_class = ProductFilterSet
    template_name = "catalog/product_list.html"
    title = gettext_lazy("产品")
    export_permission = perms.EXPORT_PRODUCT
    export_name = "catalog.products"
    new_url_name = "product_create"
    new_permission = perms.ADD_PRODUCT

    def base_queryset(self):
        return queries.product_list(self.request.user)

    def get_table_kwargs(self):
        return {"exclude": ProductTable.hidden_for(self.request.user)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_import"] = user.has_perm(perms.ADD_PRODUCT) and user.has_perm(perms.CHANGE_PRODUCT)
        return context

    def export(self) -> HttpResponse:
        """The filtered products in the import's columns (export, edit, import back)."""
        if not self.can_export():
            raise PermissionDenied
        filterset = self.get_filterset(self.get_filterset_class())
        qs = filterset.qs.order_by("sku") if filterset.is_valid() else Product.objects.none()
        user = self.request.user
        headers = [c.header for c in importing.export_columns(user)]
        content, rows = write_xlsx(str(self.title), headers, importing.export_rows(user, qs),
                                   exported_by=user.display_name)
        log_export(user, self.export_name, rows, {k: v for k, v in self.request.GET.items() if k != "export"})
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return xlsx_response(content, f"{self.title}-{user.display_name}-{stamp}.xlsx")


HIDDEN_HISTORY_FIELDS = {"price", "cost", "floor_price"}


class ProductDetail(PermissionRequiredMixin, DetailPage):
    permission_required = perms.VIEW_PRODUCT
    model = Product
    template_name = "catalog/product_detail.html"
    with_attachments = False

    def get_queryset(self):
        return queries.product_detail()

    def overview_context(self, obj: Product) -> dict:
        user = self.request.user
        from salesdesk.customers.choices import PriceLevel

        labels = dict(PriceLevel.choices)
        return {
            "sees_prices": perms.sees_prices(user),
            "sees_cost": perms.sees_cost(user) and perms.sees_prices(user),
            "can_edit": user.has_perm(perms.CHANGE_PRODUCT),
            "price": unit_price_text(obj.price),
            "cost": unit_price_text(obj.cost),
            "floor_price": unit_price_text(obj.floor_price),
            "tax_rate": rate_text(obj.tax_rate),
            "level_prices": [(labels.get(lp.price_level, lp.price_level), unit_price_text(lp.price))
                             for lp in obj.level_prices.all()],
        }

    def tab_context(self, tab: str, obj) -> tuple[str, dict]:
        if tab != "history":
            return super().tab_context(tab, obj)
        user = self.request.user
        hidden = set()
        if not perms.sees_cost(user):
            hidden |= {"cost", "floor_price"}
        if not perms.sees_prices(user):
            hidden |= HIDDEN_HISTORY_FIELDS
        total, entries = history_entries(obj, limit=HISTORY_PAGE, offset=self._offset())
        entries = [
            replace(e, changes={k: v for k, v in e.changes.items() if k not in hidden},
                    reason=e.reason if perms.sees_prices(user) else "")
            for e in entries
        ]
        page = Paginator(range(total), HISTORY_PAGE).get_page(self.request.GET.get("page"))
        return "partials/history.html", {"rows": display_rows(Product, entries), "page_obj": page}


@login_required
@permission_required(perms.ADD_PRODUCT, raise_exception=True)
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(actor=request.user, data=form.product_data(),
                                              level_prices={k: v for k, v in form.level_prices().items() if v})
        except (DomainError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            messages.success(request, _("产品已创建：%(sku)s") % {"sku": product.sku})
            return redirect("product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "object": None})


@login_required
@permission_required(perms.CHANGE_PRODUCT, raise_exception=True)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_for_user(queries.product_detail(), pk, request.user)
    form = ProductForm(request.POST or None, user=request.user, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_product(actor=request.user, product=product, changes=form.changes(),
                                    level_prices=form.level_prices())
        except (DomainError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            messages.success(request, _("产品已保存。"))
            return redirect("product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "object": product})


def _may_import(user) -> bool:
    return user.has_perm(perms.ADD_PRODUCT) and user.has_perm(perms.CHANGE_PRODUCT)


@login_required
def product_import(request: HttpRequest) -> HttpResponse:
    """Upload an .xlsx; every row is checked first and nothing is written if any row is wrong."""
    if not _may_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = importing.import_products(actor=request.user, source=form.cleaned_data["file"])
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            if not result.errors:
                messages.success(request, _("导入完成：新建 %(c)d 个，更新 %(u)d 个，未变 %(n)d 个。") % {
                    "c": result.created, "u": result.updated, "n": result.unchanged})
                return redirect("product_list")
    return render(request, "catalog/product_import.html", {"form": form, "result": result})


@login_required
def product_import_template(request: HttpRequest) -> HttpResponse:
    if not _may_import(request.user):
        raise PermissionDenied
    return xlsx_response(importing.template_workbook(request.user), "产品导入模板.xlsx")


@login_required
@permission_required(perms.VIEW_CATEGORY, raise_exception=True)
def category_list(request: HttpRequest) -> HttpResponse:
    can_add = request.user.has_perm(perms.ADD_CATEGORY)
    form = CategoryForm(request.POST or None)
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.create_category(actor=request.user, code=form.cleaned_data["code"],
                                         name=form.cleaned_data["name"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("类别已添加。"))
                return redirect("category_list")
    categories = Category.objects.order_by("code").select_related("parent")
    return render(request, "catalog/category_list.html", {"categories": categories, "form": form, "can_add": can_add})
