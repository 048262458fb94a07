from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractKind(models.TextChoices):
    SALES = "sales", _("销售合同")
    DISTRIBUTION = "distribution", _("经销合同")
    FRAMEWORK = "framework", _("框架协议")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")  # being written; editable
    ACTIVE = "active", _("执行中")  # signed and activated; orders may be placed under it
    COMPLETED = "completed", _("已完成")  # everything delivered and paid
    TERMINATED = "terminated", _("已终止")  # ended early by agreement
    EXPIRED = "expired", _("已到期")  # past its end date with something left


CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.ACTIVE}),
    ContractStatus.ACTIVE: frozenset({ContractStatus.COMPLETED, ContractStatus.TERMINATED, ContractStatus.EXPIRED}),
    ContractStatus.EXPIRED: frozenset({ContractStatus.COMPLETED, ContractStatus.TERMINATED}),
    ContractStatus.COMPLETED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
}
