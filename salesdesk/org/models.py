"""People and the organisation: users with their employee profile, departments, sales teams,
API tokens and the sessions a user holds (so deactivation can end them)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roles import SEE_ALL, Role


class Department(models.Model):
    """A department of the company (销售部, 财务审计部, 人事部, 生产部 …)."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("上级部门"))

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SalesTeamQuerySet(models.QuerySet):
    def visible_to(self, user) -> SalesTeamQuerySet:
        """Teams (names, managers, members) are visible to every signed-in employee."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self


class SalesTeam(models.Model):
    """A sales team led by one sales manager; visibility of a manager is their teams' salespeople."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    manager = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams",
        verbose_name=_("经理"),
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("部门")
    )
    history = HistoricalRecords()

    objects = SalesTeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("销售团队")
        verbose_name_plural = _("销售团队")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def with_role(self, role: str) -> UserQuerySet:
        return self.filter(groups__name=role)

    def visible_to(self, user) -> UserQuerySet:
        """Colleagues are visible to every signed-in employee (names, roles, teams)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self


class SalesDeskUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """An employee who signs in, with their profile (phone, title, grade, manager, team)."""

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    grade = models.CharField(_("职级"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("部门")
    )
    team = models.ForeignKey(
        SalesTeam, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        verbose_name=_("销售团队"),
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports",
        verbose_name=_("直属上级"),
    )
    search_text = models.CharField(max_length=300, blank=True, editable=False, db_index=True)

    objects = SalesDeskUserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login", "search_text"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]
        permissions = [
            ("view_people", _("查看员工档案")),
            ("manage_users", _("管理用户与角色")),
            ("export_users", _("导出用户列表")),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The user's role codes; cached per request object (prefetched groups are reused)."""
        return frozenset(g.name for g in self.groups.all()) & frozenset(r.value for r in Role)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes & set(roles))

    @property
    def sees_everything(self) -> bool:
        return bool(self.role_codes & SEE_ALL)

    def managed_salesperson_ids(self) -> set[int]:
        """Ids of the salespeople in the teams this user manages (themselves included)."""
        ids = set(User.objects.filter(team__manager=self).values_list("id", flat=True))
        ids.add(self.pk)
        return ids


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once at creation."""

    PREFIX = "sd_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("提示"), max_length=12, editable=False)  # first characters, to tell tokens apart
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最后使用"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return ApiToken.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class UserSession(models.Model):
    """Links a login session to its user so that deactivating the user can end every session."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"


class CompanyProfile(models.Model):
    """Our own company as printed on contracts, orders, delivery notes and statements (one row)."""

    name = models.CharField(_("公司名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=20, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    phone = models.CharField(_("电话"), max_length=50, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=200, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=50, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    doc_prefix = models.CharField(_("发文字号前缀"), max_length=10, blank=True)  # e.g. 华远销〔2026〕5号
    performance_measure = models.CharField(
        _("业绩口径"), max_length=10, default="ordered",
        choices=[("ordered", _("下单金额(含税)")), ("shipped", _("发货金额(含税)")), ("received", _("回款金额"))],
        help_text=_("日报、人事业绩合计和目标完成率都按此口径计算，其余口径并列显示。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("公司信息")
        verbose_name_plural = _("公司信息")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> CompanyProfile:
        """The profile, created from settings on first use."""
        from django.conf import settings

        profile = cls.objects.order_by("pk").first()
        if profile is None:
            profile = cls.objects.create(name=settings.COMPANY_NAME)
        return profile
