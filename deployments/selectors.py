"""Reads of deployments used by views and reports. Each returns a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from deployments.choices import ActStatus
from deployments.models import HandoverAct, HandoverActItem, Transfer
from inventory.access import scope_offices, sees_whole_country
from inventory.models import Category, Office


def transfer_queryset(*, user) -> QuerySet[Transfer]:
    """Return the transfers the user may see: from or to an office in their scope."""
    queryset = Transfer.objects.select_related(
        "origin", "destination__region", "created_by", "dispatched_by"
    )
    if sees_whole_country(user):
        return queryset
    offices = scope_offices(user, Office.objects.all()).values("pk")
    return queryset.filter(Q(origin__in=offices) | Q(destination__in=offices))


def handover_act_queryset(*, user) -> QuerySet[HandoverAct]:
    """Return the handover acts the user may see: those of offices in their scope."""
    queryset = HandoverAct.objects.select_related(
        "office__region", "transfer", "replaces", "created_by", "signed_by"
    )
    if sees_whole_country(user):
        return queryset
    return queryset.filter(office__in=scope_offices(user, Office.objects.all()).values("pk"))


@dataclass(frozen=True)
class CategoryTotal:
    category: Category
    count: int
    value: Decimal


def category_totals(items: Iterable[HandoverActItem]) -> list[CategoryTotal]:
    """Return the count and value per category of an act's items, in category order."""
    totals: dict[int, list] = {}
    for item in items:
        entry = totals.setdefault(item.category_id, [item.category, 0, Decimal("0")])
        entry[1] += 1
        entry[2] += item.value
    rows = [CategoryTotal(category, count, value) for category, count, value in totals.values()]
    return sorted(rows, key=lambda row: (row.category.sort_order, row.category.code))


def signed_act_counts(*, asset_ids: Iterable[int]) -> dict[int, int]:
    """Return, per asset id, how many signed (not superseded) acts list it."""
    return dict(
        HandoverActItem.objects.filter(asset_id__in=list(asset_ids), act__status=ActStatus.SIGNED)
        .values("asset_id")
        .annotate(n=Count("act"))
        .values_list("asset_id", "n")
    )
