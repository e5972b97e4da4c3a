"""Filters of the register lists. Choices follow the user's scope."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.access import scope_offices, scope_regions
from inventory.choices import AssetStatus, OfficeKind, Zone
from inventory.models import Asset, AssetModel, Category, CRService, HandoverSet, Office, Region


def scoped_offices(request):
    """Return the offices a filter may offer: those in the user's scope."""
    if request is None:
        return Office.objects.none()
    return scope_offices(request.user, Office.objects.all())


def scoped_regions(request):
    """Return the regions a filter may offer: those in the user's scope."""
    if request is None:
        return Region.objects.none()
    return scope_regions(request.user, Region.objects.all())


def code_or_name_q(value: str, *, prefix: str = "") -> Q:
    """Return a filter matching a row's code, or its name in any language, by a piece of it.

    ``prefix`` reaches the row through a relation, e.g. ``"office__"``.
    """
    query = Q(**{f"{prefix}code__icontains": value})
    for language in ("en", "ru", "tg"):
        query |= Q(**{f"{prefix}name_{language}__icontains": value})
    return query


class AssetFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), field_name="asset_model__category", queryset=Category.objects.all()
    )
    # No join here can repeat a row, so no DISTINCT (which would slow every filtered page).
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=AssetStatus.choices, distinct=False
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="office__region", queryset=scoped_regions
    )
    office = django_filters.ModelChoiceFilter(label=_("Office"), queryset=scoped_offices)
    zone = django_filters.ChoiceFilter(label=_("Zone"), choices=Zone.choices)
    handover_set = django_filters.ModelChoiceFilter(
        label=_("Handover set"), queryset=HandoverSet.objects.all()
    )
    service = django_filters.ModelChoiceFilter(
        label=_("CR service"), field_name="services", queryset=CRService.objects.all()
    )
    warranty = django_filters.ChoiceFilter(
        label=_("Warranty"),
        choices=[
            ("active", _("Under warranty")),
            ("expired", _("Expired")),
            ("unknown", _("Not known")),
        ],
        method="filter_warranty",
    )

    class Meta:
        model = Asset
        fields = ()

    def search(self, queryset, name, value):
        """Match the tag, the serial or the model; serials as the register stores them."""
        from inventory.services import serial_normalise

        text = serial_normalise(value)
        if not text:
            return queryset
        # Models are few: find them first, so the asset table is scanned once, without joins.
        model_ids = list(
            AssetModel.objects.filter(
                Q(name__icontains=value.strip()) | Q(manufacturer__name__icontains=value.strip())
            ).values_list("pk", flat=True)
        )
        return queryset.filter(
            Q(tag__icontains=text) | Q(serial__icontains=text) | Q(asset_model_id__in=model_ids)
        )

    def filter_warranty(self, queryset, name, value):
        today = timezone.localdate()
        if value == "active":
            return queryset.filter(warranty_end__gte=today)
        if value == "expired":
            return queryset.filter(warranty_end__lt=today)
        if value == "unknown":
            return queryset.filter(warranty_end__isnull=True)
        return queryset


class OfficeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=scoped_regions)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OfficeKind.choices)
    service = django_filters.ModelChoiceFilter(
        label=_("CR service"), field_name="services", queryset=CRService.objects.all()
    )

    class Meta:
        model = Office
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(code_or_name_q(value) | Q(district__name_en__icontains=value))
