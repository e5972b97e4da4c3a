"""Filters of the deployment lists: transfers, picking assets, acts, plans, campaigns, moves."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from deployments.choices import (
    ActLanguage,
    ActStatus,
    CampaignStatus,
    MoveProposalStatus,
    TransferStatus,
)
from deployments.models import (
    CampaignChecklist,
    HandoverAct,
    MoveProposal,
    Transfer,
    VerificationCampaign,
)
from inventory.filtersets import code_or_name_q, scoped_offices, scoped_regions
from inventory.models import Asset, AssetModel, Category, HandoverSet, Office


class TransferFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=TransferStatus.choices, distinct=False
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="destination__region", queryset=scoped_regions
    )
    destination = django_filters.ModelChoiceFilter(label=_("To"), queryset=scoped_offices)
    origin = django_filters.ModelChoiceFilter(label=_("From"), queryset=scoped_offices)
    outstanding = django_filters.BooleanFilter(
        label=_("With assets outstanding"), method="filter_outstanding"
    )

    class Meta:
        model = Transfer
        fields = ()

    def search(self, queryset, name, value):
        """Match the transfer number, an office's code or name, or the carrier."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | code_or_name_q(value, prefix="destination__")
            | Q(origin__code__icontains=value)
            | Q(carrier__icontains=value)
        )

    def filter_outstanding(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(outstanding_count__gt=0)
            if value
            else queryset.filter(outstanding_count=0)
        )


class TransferPickFilterSet(django_filters.FilterSet):
    """Narrow the assets at a transfer's origin to pick from."""

    q = django_filters.CharFilter(label=_("Tag, serial or model"), method="search")
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), field_name="asset_model__category", queryset=Category.objects.all()
    )
    asset_model = django_filters.ModelChoiceFilter(
        label=_("Model"),
        queryset=AssetModel.objects.select_related("manufacturer"),
    )
    handover_set = django_filters.ModelChoiceFilter(
        label=_("Handover set"), queryset=HandoverSet.objects.all()
    )

    class Meta:
        model = Asset
        fields = ()

    def search(self, queryset, name, value):
        from inventory.services import serial_normalise

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(tag__icontains=value)
            | Q(serial__contains=serial_normalise(value))
            | Q(asset_model__name__icontains=value)
        )


class HandoverActFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Number or office"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ActStatus.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="office__region", queryset=scoped_regions
    )
    office = django_filters.ModelChoiceFilter(label=_("Office"), queryset=scoped_offices)
    year = django_filters.NumberFilter(
        label=_("Year"),
        field_name="act_date",
        lookup_expr="year",
        widget=forms.NumberInput(attrs={"min": 2000, "max": 2100, "step": 1}),
    )
    language = django_filters.ChoiceFilter(
        label=_("Language of the act"), choices=ActLanguage.choices
    )

    class Meta:
        model = HandoverAct
        fields = ()

    def search(self, queryset, name, value):
        """Match the act's number, or its office's code or name in any language."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | code_or_name_q(value, prefix="office__")
        )


class PlanOfficeFilterSet(django_filters.FilterSet):
    """Which offices the grid lists: by region, or by a piece of the office's code or name."""

    q = django_filters.CharFilter(label=_("Office name or code"), method="search")
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=scoped_regions)

    class Meta:
        model = Office
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(code_or_name_q(value))


class PlanSetFilterSet(django_filters.FilterSet):
    """Find a handover set by a piece of its code or name."""

    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = HandoverSet
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(code_or_name_q(value))


class CampaignFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Number or name"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CampaignStatus.choices)
    mine = django_filters.BooleanFilter(
        label=_("Assigned to me"),
        method="filter_mine",
        widget=forms.CheckboxInput,
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=scoped_regions, method="filter_region"
    )

    class Meta:
        model = VerificationCampaign
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(name__icontains=value))

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(
            Exists(
                CampaignChecklist.objects.filter(
                    campaign=OuterRef("pk"), assignee=self.request.user
                )
            )
        )

    def filter_region(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(
            Exists(CampaignChecklist.objects.filter(campaign=OuterRef("pk"), office__region=value))
        )


class MoveProposalFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Asset tag or office"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=MoveProposalStatus.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="to_office__region", queryset=scoped_regions
    )

    class Meta:
        model = MoveProposal
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(asset__tag__icontains=value)
            | Q(from_office__code__icontains=value)
            | Q(to_office__code__icontains=value)
        )
