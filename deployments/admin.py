from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from deployments.models import (
    DistributionPlanLine,
    HandoverAct,
    HandoverActItem,
    Transfer,
    TransferItem,
)


@admin.register(DistributionPlanLine)
class DistributionPlanLineAdmin(SimpleHistoryAdmin):
    list_display = ("handover_set", "office", "category", "planned_quantity")
    list_filter = ("handover_set", "category", "office__region")
    list_select_related = ("handover_set", "office", "category")


class HandoverActItemInline(admin.TabularInline):
    model = HandoverActItem
    fields = ("tag", "serial", "model_name", "category", "value")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HandoverAct)
class HandoverActAdmin(SimpleHistoryAdmin):
    """Read-only: acts are made, edited, signed and corrected only through their pages."""

    list_display = ("number", "act_date", "office", "status", "language", "signed_at")
    list_filter = ("status", "language", "office__region")
    list_select_related = ("office",)
    search_fields = ("number", "office__code", "office__name_en")
    date_hierarchy = "act_date"
    # The scan is sent only by the act's page, which checks scope; never as a media link.
    exclude = ("signed_scan",)
    inlines = [HandoverActItemInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TransferItemInline(admin.TabularInline):
    model = TransferItem
    fields = ("asset", "outcome", "note", "received_at", "received_by", "is_open")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    """Read-only: transfers are filled, dispatched and received only through their pages."""

    list_display = ("number", "origin", "destination", "status", "dispatched_at", "received_at")
    list_filter = ("status", "destination__region")
    list_select_related = ("origin", "destination")
    search_fields = ("number", "destination__code", "destination__name_en", "carrier")
    inlines = [TransferItemInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
