"""Filters of the alert list: region, office (the user's scope), severity, kind, state."""

import django_filters
from django.utils.translation import gettext_lazy as _

from inventory.filtersets import scoped_offices, scoped_regions
from monitoring.choices import AlertKind, AlertSeverity, AlertState
from monitoring.models import Alert


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
