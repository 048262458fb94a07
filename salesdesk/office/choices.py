from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INCOMING = "in", _("收文/来电")
    OUTGOING = "out", _("发文/去电")


class Channel(models.TextChoices):
    CALL = "call", _("电话")
    LETTER = "letter", _("信函")
    FAX = "fax", _("传真")
    EMAIL = "email", _("邮件")
    DOCUMENT = "document", _("文件")
    MAKER_MAIL = "maker_mail", _("厂家邮件")


class CorrespondenceStatus(models.TextChoices):
    OPEN = "open", _("待办理")  # registered, routed, not handled yet
    DONE = "done", _("已办结")  # handled, result recorded
    FILED = "filed", _("已归档")  # archived with an archive number


class CircularKind(models.TextChoices):
    POLICY = "policy", _("销售政策")  # 销售政策的传达
    LETTER = "letter", _("业务信函")
    NOTICE = "notice", _("通知")
