"""Django admin of monitoring: credential profiles (secrets write-only), monitored devices and
their poll history (read-only: written by the poller)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from simple_history.admin import SimpleHistoryAdmin

from monitoring.forms import SnmpProfileForm
from monitoring.models import (
    Alert,
    MonitoredDevice,
    PollOutcome,
    RepairTicket,
    SnmpProfile,
    WorkEntry,
)
from monitoring.secrets import secret_mask

_SECRET_POST = sensitive_post_parameters("community", "auth_key", "priv_key")


@admin.register(SnmpProfile)
class SnmpProfileAdmin(SimpleHistoryAdmin):
    form = SnmpProfileForm
    list_display = ("name", "security_label", "community_set", "device_count", "updated_at")
    search_fields = ("name", "v3_user")
    readonly_fields = ("secrets_changed_at",)

    @admin.display(description=_("security"))
    def security_label(self, obj):
        return obj.security_label

    @admin.display(description=_("secrets"))
    def community_set(self, obj):
        return secret_mask(obj.community_encrypted or obj.auth_key_encrypted) or "—"

    @admin.display(description=_("devices"), ordering="device_count")
    def device_count(self, obj):
        return obj.device_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(device_count=Count("devices"))

    @method_decorator(_SECRET_POST)
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(MonitoredDevice)
class MonitoredDeviceAdmin(SimpleHistoryAdmin):
    """Where and how each device is polled; its poll summary is read-only."""

    list_display = ("asset", "address", "port", "profile", "enabled", "health", "last_polled_at")
    list_filter = ("health", "kind", "enabled", "profile", "asset__office__region")
    list_select_related = ("asset", "profile")
    search_fields = ("asset__tag", "asset__serial", "address")
    autocomplete_fields = ("asset",)
    fields = (
        "asset",
        "address",
        "port",
        "profile",
        "enabled",
        "timeout_s",
        "retries",
        "health",
        "health_since",
        "last_polled_at",
        "last_reachable_at",
        "last_error",
        "response_ms",
        "kind",
        "serial_seen",
        "serial_mismatch",
        "page_count",
        "lowest_supply_percent",
    )
    readonly_fields = fields[7:]

    def has_add_permission(self, request) -> bool:
        # Attached on the "Monitor a device" page, whose service checks the asset can be.
        return False


@admin.register(PollOutcome)
class PollOutcomeAdmin(admin.ModelAdmin):
    list_display = ("device", "polled_at", "reachable", "health", "error", "overloaded")
    list_filter = ("health", "reachable", "overloaded")
    list_select_related = ("device__asset",)
    search_fields = ("device__asset__tag",)
    date_hierarchy = "polled_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by their services (alert rules, the ticket workflow)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("device", "kind", "severity", "is_open", "first_seen", "last_seen")
    list_filter = ("is_open", "severity", "kind", "device__asset__office__region")
    list_select_related = ("device__asset",)
    search_fields = ("device__asset__tag", "message")
    date_hierarchy = "first_seen"


class WorkEntryInline(admin.TabularInline):
    model = WorkEntry
    fields = ("at", "by", "minutes", "parts", "note", "status_from", "status_to")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RepairTicket)
class RepairTicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "asset", "fault", "status", "reported_at", "resolved_at")
    list_filter = ("status", "fault", "warranty_claim", "asset__office__region")
    list_select_related = ("asset",)
    search_fields = ("number", "asset__tag", "description", "supplier_reference")
    date_hierarchy = "reported_at"
    inlines = [WorkEntryInline]
