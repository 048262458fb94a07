"""The register in the admin: read-only (DESIGN.md, Admin); only roles that read the register
see it there, and nobody edits it outside the services."""

from django.contrib import admin

from salesdesk.core.admin import ReadOnlyAdmin

from .models import Circular, CircularRecipient, Correspondence


@admin.register(Correspondence)
class CorrespondenceAdmin(ReadOnlyAdmin):
    list_display = ("number", "direction", "channel", "received_on", "counterpart", "subject", "status")
    list_filter = ("direction", "channel", "status")
    search_fields = ("number", "subject", "counterpart", "reference")


class RecipientInline(admin.TabularInline):
    model = CircularRecipient
    fields = ("customer", "contact_name", "email", "delivered", "note")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Circular)
class CircularAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "subject", "sent_at", "created_by")
    list_filter = ("kind",)
    search_fields = ("number", "subject")
    inlines = [RecipientInline]
