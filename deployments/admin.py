from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from deployments.models import (
    CampaignChecklist,
    DistributionPlanLine,
    HandoverAct,
    HandoverActItem,
    MoveProposal,
    Transfer,
    TransferItem,
    Verification,
    VerificationCampaign,
)


@admin.register(DistributionPlanLine)
class DistributionPlanLineAdmin(SimpleHistoryAdmin):
    list_display = ("handover_set", "office", "category", "planned_quantity")
    list_filter = ("handover_set", "category", "office__region")
    list_select_related = ("handover_set", "office", "category")


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, never added, changed or deleted from the admin."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class HandoverActItemInline(ReadOnlyInline):
    model = HandoverActItem
    fields = ("tag", "serial", "model_name", "category", "value")
    readonly_fields = fields


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Campaigns, verifications and moves change only through their pages and services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CampaignChecklistInline(ReadOnlyInline):
    model = CampaignChecklist
    fields = ("office", "assignee")
    readonly_fields = fields


@admin.register(VerificationCampaign)
class VerificationCampaignAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = (
        "number",
        "name",
        "method",
        "status",
        "sample_size",
        "seed",
        "population_size",
        "created_at",
    )
    list_filter = ("status", "method")
    search_fields = ("number", "name")
    inlines = [CampaignChecklistInline]


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = (
        "asset",
        "campaign",
        "outcome",
        "register_office",
        "found_office",
        "serial_matches",
        "condition",
        "verified_at",
        "verified_by",
    )
    list_filter = ("outcome", "serial_matches", "condition")
    list_select_related = ("asset", "campaign", "register_office", "found_office", "verified_by")
    search_fields = ("asset__tag", "serial_read", "campaign__number")
    date_hierarchy = "verified_at"
    # Photos are sent only by the scoped photo page, never as a media link.
    exclude = ("photo",)


@admin.register(MoveProposal)
class MoveProposalAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("asset", "from_office", "to_office", "status", "proposed_at", "decided_at")
    list_filter = ("status",)
    list_select_related = ("asset", "from_office", "to_office")
    search_fields = ("asset__tag", "to_office__code", "from_office__code")
