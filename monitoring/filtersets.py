"""Filters of the monitored-device list. Region and office choices follow the user's scope."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.filtersets import scoped_offices, scoped_regions
from monitoring.choices import DeviceKind, Health
from monitoring.models import MonitoredDevice


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
