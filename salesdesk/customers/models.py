"""Customer files (客户档案, M1) and customer service (M2): customers with their contacts, the
products they use, the interaction log and complaint/feedback tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField, QuantityField, RateField, UnitPriceField
from salesdesk.org.visibility import salesperson_scope

from .choices import (
    ContactRole,
    CustomerLevel,
    CustomerStatus,
    InteractionKind,
    PriceLevel,
    Settlement,
    Severity,
    TermAnchor,
    TicketCategory,
    TicketStatus,
)

NO_CUSTOMER_ROLES = frozenset({"hr", "warehouse", "planner", "admin"})


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CustomerQuerySet:
        """Clerk, GM and finance see all; a salesperson their own; a manager their teams'."""
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(salesperson_id__in=scope)

    def search(self, term: str) -> CustomerQuerySet:
        term = term.strip()
        if not term:
            return self
        digits = "".join(ch for ch in term if ch.isdigit())
        condition = Q(search_text__icontains=term.lower()) | Q(code__iexact=term) | Q(uscc__iexact=term.upper())
        if len(digits) >= 4:
            condition |= Q(contacts__mobile__contains=digits) | Q(contacts__phone__contains=digits)
        return self.filter(condition).distinct()


class Customer(models.Model):
    """A company (or person) we sell to: its file, terms and owner salesperson.

    Never hard-deleted: a customer that is gone becomes ``lost`` (or is archived)."""

    code = models.CharField(_("客户编号"), max_length=20, unique=True)
    name = models.CharField(_("客户名称"), max_length=200)
    name_key = models.CharField(max_length=200, unique=True, editable=False)  # normalised, for 撞单
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True)
    uscc_override = models.BooleanField(_("校验位例外"), default=False)
    uscc_override_reason = models.CharField(_("例外原因"), max_length=200, blank=True)
    entity_type = models.CharField(_("主体类型"), max_length=30, blank=True)
    province = models.CharField(_("省份"), max_length=20, blank=True)
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    region = models.CharField(_("区域"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    level = models.CharField(_("客户等级"), max_length=1, choices=CustomerLevel.choices, default=CustomerLevel.C)
    status = models.CharField(
        _("状态"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customers", verbose_name=_("负责业务员")
    )
    settlement = models.CharField(_("结算方式"), max_length=10, choices=Settlement.choices, default=Settlement.PREPAID)
    deposit_rate = RateField(_("定金比例"), null=True, blank=True)
    credit_limit = MoneyField(_("信用额度"), default=0)
    credit_days = models.PositiveSmallIntegerField(_("账期天数"), default=0)
    term_anchor = models.CharField(
        _("账期起算"), max_length=10, choices=TermAnchor.choices, default=TermAnchor.SHIPMENT
    )
    price_level = models.CharField(_("价格等级"), max_length=12, choices=PriceLevel.choices, default=PriceLevel.LIST)
    invoice_title = models.CharField(_("开票抬头"), max_length=200, blank=True)
    invoice_tax_id = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    invoice_address_phone = models.CharField(_("开票地址电话"), max_length=300, blank=True)
    invoice_bank_account = models.CharField(_("开户行及账号"), max_length=300, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    source = models.CharField(_("客户来源"), max_length=50, blank=True)
    first_order_on = models.DateField(_("首单日期"), null=True, blank=True)
    archived = models.BooleanField(_("已归档"), default=False)
    search_text = models.CharField(max_length=500, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("建档人")
    )

    objects = CustomerQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["salesperson", "status"], name="customer_owner_idx"),
            models.Index(fields=["region"], name="customer_region_idx"),
            models.Index(fields=["created_at"], name="customer_created_idx"),  # new customers per report period
        ]
        permissions = [
            ("export_customer", _("导出客户数据")),
            ("change_credit_terms", _("修改结算方式、信用额度、账期与负责人")),
            ("override_uscc", _("批准统一社会信用代码校验位例外")),
            ("import_customer", _("导入客户")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customer_detail", args=[self.pk])


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContactQuerySet:
        scope = salesperson_scope(user)
        return self if scope is None else self.filter(customer__salesperson_id__in=scope)


class Contact(models.Model):
    """A person at the customer we deal with (联系人)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("客户"))
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    role = models.CharField(_("角色"), max_length=12, choices=ContactRole.choices, default=ContactRole.OTHER)
    mobile = models.CharField(_("手机"), max_length=20, blank=True)  # E.164 when valid
    phone = models.CharField(_("座机"), max_length=20, blank=True)  # E.164 when valid
    extension = models.CharField(_("分机"), max_length=10, blank=True)
    phone_raw = models.CharField(_("原始号码"), max_length=50, blank=True)  # short codes and the unparsable
    email = models.EmailField(_("电子邮箱"), blank=True)
    wechat = models.CharField(_("微信"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    notes = models.CharField(_("备注"), max_length=300, blank=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)  # PIPL erasure request

    objects = ContactQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.name


class ProductUsed(models.Model):
    """What the customer buys (使用品种、数量、价位): product, usual quantity, agreed price."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="products_used", verbose_name=_("客户")
    )
    product_id = models.BigIntegerField(_("产品"), null=True, blank=True)  # catalog id once products exist
    product_name = models.CharField(_("品种"), max_length=200)
    specification = models.CharField(_("规格"), max_length=100, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    usual_quantity = QuantityField(_("常用数量"), null=True, blank=True)
    period = models.CharField(_("数量周期"), max_length=20, blank=True)  # e.g. 每月
    agreed_price = UnitPriceField(_("约定价格(含税)"), null=True, blank=True)
    notes = models.CharField(_("备注"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("使用品种")
        verbose_name_plural = _("使用品种")
        ordering = ["product_name"]

    def __str__(self) -> str:
        return self.product_name


class OwnershipTransfer(models.Model):
    """A customer moved from one salesperson to another, with the reason (动态管理)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("原因"), max_length=300)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("客户移交")
        verbose_name_plural = _("客户移交")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_user_id} → {self.to_user_id}"


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, user) -> InteractionQuerySet:
        scope = salesperson_scope(user)
        return self if scope is None else self.filter(customer__salesperson_id__in=scope)


class Interaction(models.Model):
    """One contact with a customer: a call in or out (咨询电话记录), a visit, a reception with a meal
    (客饭安排), a message. Business conversations and their follow-ups."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="interactions", verbose_name=_("客户")
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("联系人")
    )
    kind = models.CharField(_("方式"), max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    subject = models.CharField(_("主题"), max_length=200)
    content = models.TextField(_("内容"), blank=True)
    outcome = models.CharField(_("结果"), max_length=300, blank=True)
    follow_up_on = models.DateField(_("跟进日期"), null=True, blank=True)
    guests = models.PositiveSmallIntegerField(_("来访人数"), null=True, blank=True)  # receptions
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("沟通记录")
        verbose_name_plural = _("沟通记录")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> TicketQuerySet:
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(Q(customer__salesperson_id__in=scope) | Q(assignee=user))

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS])

    def overdue(self, as_of) -> TicketQuerySet:
        return self.open().filter(due_on__lt=as_of)


class Ticket(models.Model):
    """A complaint or piece of feedback (客户抱怨/反馈) followed until the customer confirms it is handled."""

    number = models.CharField(_("编号"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("客户"))
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("联系人")
    )
    category = models.CharField(_("类别"), max_length=10, choices=TicketCategory.choices)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    subject = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    order_ref = models.CharField(_("相关订单"), max_length=40, blank=True)  # a plain reference: orders sit above
    contract_ref = models.CharField(_("相关合同"), max_length=40, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets",
        verbose_name=_("处理人"),
    )
    due_on = models.DateField(_("处理期限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    resolution = models.TextField(_("处理结果"), blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    customer_confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    customer_confirmation = models.CharField(_("客户确认说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )

    objects = TicketQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("客诉/反馈")
        verbose_name_plural = _("客诉/反馈")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_on"], name="ticket_due_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketNote(models.Model):
    """A handling note on a ticket (处理记录)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("内容"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("处理记录")
        verbose_name_plural = _("处理记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:30]


class MarketNote(models.Model):
    """Market-development notes per region (市场开发情况)."""

    region = models.CharField(_("区域"), max_length=50, db_index=True)
    noted_on = models.DateField(_("日期"))
    note = models.TextField(_("内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("市场开发记录")
        verbose_name_plural = _("市场开发记录")
        ordering = ["-noted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.region} {self.noted_on}"
