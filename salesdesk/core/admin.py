"""Platform rows in the admin: read-only, for looking, not for editing."""

from django.contrib import admin

from .models import ExportLog, JobRun, Notification, OutboxMessage, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """Business and platform records are never edited in the admin (DESIGN.md, Admin)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "status", "started_at", "finished_at", "duration_ms")
    list_filter = ("status", "name")
    search_fields = ("name", "error")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_seen", "host", "pid", "down_alerted_at")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "recipient", "created_at", "read_at")


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """Who exported what, when and how many rows (R7: the access log of exports)."""

    list_display = ("at", "user", "what", "rows")
    list_filter = ("what",)
    search_fields = ("user__username", "what")
