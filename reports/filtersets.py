"""Filters of the report's asset list: they name the figure (the query does the selecting)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from inventory.filtersets import scoped_offices, scoped_regions
from inventory.models import Asset, Category
from reports import queries
from reports import reconciliation as rules


def _keep(queryset, name, value):
    """Leave the rows as they are: ``reports.queries.selection_queryset`` selected them."""
    return queryset


class ReconciliationAssetFilterSet(django_filters.FilterSet):
    """Describes the figure in the export's heading; the view's queryset already applies it."""

    set = django_filters.ModelChoiceFilter(
        label=_("Handover set"), queryset=queries.report_handover_sets(), method=_keep
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all(), method=_keep
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=scoped_regions, method=_keep
    )
    office = django_filters.ModelChoiceFilter(
        label=_("Office"), queryset=scoped_offices, method=_keep
    )
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=list(rules.STAGE_LABELS.items()), method=_keep
    )
    kind = django_filters.ChoiceFilter(
        label=_("Discrepancy"),
        choices=[(k, v) for k, v in rules.KIND_LABELS.items() if k in rules.ASSET_KINDS],
        method=_keep,
    )
    campaign = django_filters.ModelChoiceFilter(
        label=_("Verifications"), queryset=queries.report_campaigns(), method=_keep
    )

    class Meta:
        model = Asset
        fields = ()
