"""Platform rows every app uses: the outbox, in-app notifications, job runs, the worker heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")  # written in the business transaction, waiting for the worker
    SENDING = "sending", _("发送中")  # claimed by one worker run
    SENT = "sent", _("已发送")  # handler finished
    FAILED = "failed", _("失败")  # gave up after the retry limit; a person must look
    UNCERTAIN = "uncertain", _("不确定")  # the worker died while sending; resent only by a person


class OutboxMessage(models.Model):
    """A side effect (mail, notification, job) promised by a committed business transaction.

    Services write the row inside their transaction; the worker drains it after commit, and a
    sweeper picks up anything whose wake-up call was lost (worker down, queue flushed).
    """

    kind = models.CharField(_("类型"), max_length=50)
    payload = models.JSONField(_("内容"), default=dict)
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    available_at = models.DateTimeField(_("可发送时间"), db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最后错误"), blank=True)

    class Meta:
        verbose_name = _("发件箱消息")
        verbose_name_plural = _("发件箱消息")
        indexes = [models.Index(fields=["status", "available_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.status}"


class Notification(models.Model):
    """An in-app message to one user (the bell); e-mail copies go through the outbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("接收人"),
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    kind = models.CharField(_("类型"), max_length=50, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True, db_index=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


class JobStatus(models.TextChoices):
    RUNNING = "running", _("运行中")  # started, not finished (a crash leaves it here)
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")


class JobRun(models.Model):
    """One run of a background job: what ran, with which arguments, how long, and what it said."""

    name = models.CharField(_("任务"), max_length=100, db_index=True)
    args = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), null=True, blank=True)
    output = models.TextField(_("输出"), blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("后台任务记录")
        verbose_name_plural = _("后台任务记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.status}"


class WorkerHeartbeat(models.Model):
    """The job worker's last sign of life, written every minute by a periodic task."""

    name = models.CharField(max_length=50, primary_key=True, default="worker")
    last_seen = models.DateTimeField(_("最后心跳"))
    host = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    down_alerted_at = models.DateTimeField(_("停机告警时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务进程心跳")
        verbose_name_plural = _("任务进程心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class NumberCounter(models.Model):
    """The last number handed out for one document kind in one period (``SO`` + ``20261127``).

    Locked while a number is taken, so two requests never get the same one; numbers are never
    reused, even if the document that took one is later cancelled."""

    kind = models.CharField(_("单据类型"), max_length=10)
    period = models.CharField(_("期间"), max_length=8)
    last = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("单号计数器")
        verbose_name_plural = _("单号计数器")
        constraints = [models.UniqueConstraint(fields=["kind", "period"], name="counter_kind_period_uniq")]

    def __str__(self) -> str:
        return f"{self.kind}{self.period}:{self.last}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random name: the original name is kept in the row, never used on disk.
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    """A file attached to a business object (bank slip, signed contract scan, stamped statement).

    Served only through a view that checks the user may see the owning object."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"))
    mimetype = models.CharField(_("类型"), max_length=100)
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_owner_idx")]

    def __str__(self) -> str:
        return self.original_name


class ExportLog(models.Model):
    """Who exported what and how many rows: exports of business data are logged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(_("导出内容"), max_length=100)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("行数"))
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.what} {self.rows}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (scoped to the user): a repeat
    with the same body gets the same object back and changes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    object_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class CalendarDay(models.Model):
    """An exception to the working week (DOMAIN.md §5): a public holiday or day off on a weekday
    (``is_workday`` False) or a make-up working day 调休 on a weekend (True). Seeded from the
    ``holidays`` package and edited by the admin; days without a row follow Monday–Friday."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否上班"))
    name = models.CharField(_("名称"), max_length=50, blank=True)  # 国庆节, 国庆节调休上班
    source = models.CharField(_("来源"), max_length=10, default="manual")  # "holidays" (seeded) or "manual"

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'班' if self.is_workday else '休'} {self.name}"
