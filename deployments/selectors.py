"""Reads of deployments used by views and reports. Each returns a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from deployments.choices import ActStatus
from deployments.models import HandoverAct, HandoverActItem, Transfer, TransferItem
from inventory.access import scope_offices, sees_whole_country
from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset, Category, Office


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


def transfer_list_queryset(*, user) -> QuerySet[Transfer]:
    """Return the user's transfers with their number of assets and of those still outstanding."""
    return transfer_queryset(user=user).annotate(
        item_count=Count("items", distinct=False),
        outstanding_count=Count("items", filter=Q(items__is_open=True), distinct=False),
    )


def transfer_get(*, user, pk: int) -> Transfer:
    """Return one transfer in the user's scope, or raise Transfer.DoesNotExist."""
    return transfer_queryset(user=user).get(pk=pk)


def transfer_items(*, transfer: Transfer) -> list[TransferItem]:
    """Return a transfer's lines with their assets, models and who checked them."""
    return list(
        TransferItem.objects.filter(transfer=transfer)
        .select_related(
            "asset__asset_model__manufacturer",
            "asset__asset_model__category",
            "received_by",
        )
        .order_by("asset__asset_model__category__sort_order", "asset__tag")
    )


def transfer_pick_candidates(*, transfer: Transfer) -> QuerySet[Asset]:
    """Return the assets at a transfer's origin that can go on it (not on any open transfer)."""
    from deployments.services import DISPATCHABLE_STATUSES

    at_origin = Q(office=transfer.origin)
    if transfer.origin.kind == OfficeKind.WAREHOUSE:
        at_origin |= Q(office__isnull=True, status=AssetStatus.IN_STOCK)
    return (
        Asset.objects.filter(at_origin, status__in=list(DISPATCHABLE_STATUSES))
        .exclude(transfer_items__is_open=True)
        .select_related("asset_model__manufacturer")
    )


@dataclass(frozen=True)
class AssetDeliveries:
    """An asset's transfers and acts, for its page."""

    items: list[TransferItem]
    act_items: list[HandoverActItem]

    @property
    def signed_act(self) -> HandoverAct | None:
        """Return the signed act that covers the asset now, if any."""
        for item in self.act_items:
            if item.act.status == ActStatus.SIGNED:
                return item.act
        return None


def asset_deliveries(*, asset: Asset) -> AssetDeliveries:
    """Return the transfers and handover acts an asset was on, newest first (two queries)."""
    items = list(
        TransferItem.objects.filter(asset=asset)
        .select_related("transfer__origin", "transfer__destination", "received_by")
        .order_by("-transfer__created_at", "-pk")
    )
    act_items = list(
        HandoverActItem.objects.filter(asset=asset)
        .select_related("act__office")
        .order_by("-act__act_date", "-act__number")
    )
    return AssetDeliveries(items=items, act_items=act_items)
