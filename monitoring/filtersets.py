"""Filters of the monitored-device list. Region and office choices follow the user's scope."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.filtersets import scoped_offices, scoped_regions
from monitoring.choices import (
    AlertKind,
    AlertSeverity,
    AlertState,
    DeviceKind,
    FaultCategory,
    Health,
    RepairStatus,
)
from monitoring.models import REPAIR_CLOSED_STATUSES, Alert, MonitoredDevice, RepairTicket


class MonitoredDeviceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Tag, serial or address"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="asset__office__region", queryset=scoped_regions
    )
    office = django_filters.ModelChoiceFilter(
        label=_("Office"), field_name="asset__office", queryset=scoped_offices
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DeviceKind.choices)
    health = django_filters.MultipleChoiceFilter(
        label=_("Health"), choices=Health.choices, distinct=False
    )
    problem = django_filters.ChoiceFilter(
        label=_("Problem"),
        choices=[
            ("low_supply", _("A supply at or below 10 %")),
            ("errors", _("Printer errors")),
            ("serial_mismatch", _("Serial differs from the register")),
            ("disabled", _("Not polled")),
        ],
        method="filter_problem",
    )

    class Meta:
        model = MonitoredDevice
        fields = ()

    def search(self, queryset, name, value):
        """Match the asset's tag or serial, or the device's address, by a piece of it."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(asset__tag__icontains=value)
            | Q(asset__serial__icontains=value.upper())
            | Q(address__icontains=value)
        )

    def filter_problem(self, queryset, name, value):
        from monitoring.rules import SUPPLY_LOW_PERCENT

        if value == "low_supply":
            return queryset.filter(lowest_supply_percent__lte=SUPPLY_LOW_PERCENT)
        if value == "errors":
            return queryset.exclude(errors=[])
        if value == "serial_mismatch":
            return queryset.filter(serial_mismatch=True)
        if value == "disabled":
            return queryset.filter(enabled=False)
        return queryset


# =================================================================================================
# Repairs (issue 6)
# =================================================================================================


class RepairTicketFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Ticket, tag or serial"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="asset__office__region", queryset=scoped_regions
    )
    office = django_filters.ModelChoiceFilter(
        label=_("Office"), field_name="asset__office", queryset=scoped_offices
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=RepairStatus.choices, distinct=False
    )
    state = django_filters.ChoiceFilter(
        label=_("Open or closed"),
        choices=[("open", _("Open")), ("closed", _("Closed"))],
        method="filter_state",
    )
    fault = django_filters.ChoiceFilter(label=_("Fault"), choices=FaultCategory.choices)
    warranty_claim = django_filters.BooleanFilter(label=_("Warranty claim"))

    class Meta:
        model = RepairTicket
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(asset__tag__icontains=value)
            | Q(asset__serial__icontains=value.upper())
        )

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.exclude(status__in=REPAIR_CLOSED_STATUSES)
        if value == "closed":
            return queryset.filter(status__in=REPAIR_CLOSED_STATUSES)
        return queryset


# Alerts --------------------------------------------------------------------------------
class AlertFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Asset tag"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="device__asset__office__region", queryset=scoped_regions
    )
    office = django_filters.ModelChoiceFilter(
        label=_("Office"), field_name="device__asset__office", queryset=scoped_offices
    )
    severity = django_filters.MultipleChoiceFilter(
        label=_("Severity"), choices=AlertSeverity.choices, distinct=False
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AlertKind.choices)
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=AlertState.choices, method="filter_state"
    )

    class Meta:
        model = Alert
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(device__asset__tag__icontains=value) if value else queryset

    def filter_state(self, queryset, name, value):
        if value == AlertState.OPEN:
            return queryset.filter(is_open=True)
        if value == AlertState.UNACKNOWLEDGED:
            return queryset.filter(is_open=True, acknowledged_at=None)
        if value == AlertState.ACKNOWLEDGED:
            return queryset.filter(is_open=True, acknowledged_at__isnull=False)
        if value == AlertState.RESOLVED:
            return queryset.filter(is_open=False)
        return queryset
