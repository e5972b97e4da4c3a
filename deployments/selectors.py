"""Reads of deployments used by views and reports. Each returns a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from deployments.choices import (
    ARRIVED_OUTCOMES,
    ActLanguage,
    ActStatus,
    CampaignMethod,
    CampaignStatus,
    TransferStatus,
    VerificationOutcome,
)
from deployments.models import (
    CampaignAsset,
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
from deployments.sampling import FoundRate, found_rate_interval
from inventory.access import scope_assets, scope_offices, sees_whole_country
from inventory.choices import AssetStatus, OfficeKind, Role
from inventory.models import (
    Asset,
    Category,
    HandoverSet,
    HandoverSetLine,
    Office,
    Region,
    UserScope,
)
from inventory.selectors import FieldChange, HistoryEntry
from inventory.services import STATUSES_AT_OFFICE


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


ACT_HISTORY_LIMIT = 200
# Fields of an act shown in its history, in the order of the form.
_ACT_HISTORY_FIELDS = (
    "status",
    "language",
    "act_date",
    "place",
    "giver_name",
    "giver_position",
    "receiver_name",
    "receiver_position",
    "notes",
    "signed_scan_sha256",
)
_ACT_HISTORY_CHOICES = {"status": ActStatus, "language": ActLanguage}


def handover_act_list_queryset(*, user) -> QuerySet[HandoverAct]:
    """Return the acts the user may see, each with its number of assets and total value."""
    return handover_act_queryset(user=user).annotate(
        item_count=Count("items"),
        total_value=Coalesce(
            Sum("items__value"),
            Value(0),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
    )


def handover_act_get(*, user, pk: int) -> HandoverAct:
    """Return one act in the user's scope, or raise HandoverAct.DoesNotExist.

    The act it corrects and the act that replaced it come joined in.
    """
    return handover_act_queryset(user=user).select_related("replaced_by").get(pk=pk)


def handover_act_items(*, act: HandoverAct) -> list[HandoverActItem]:
    """Return the act's items in category and tag order, with their category and asset's set."""
    return list(
        HandoverActItem.objects.filter(act=act)
        .select_related("category", "asset__handover_set")
        .order_by("category__sort_order", "category__code", "tag")
    )


def transfer_for_act(*, user, pk: int) -> Transfer:
    """Return a transfer in the user's scope, or raise Transfer.DoesNotExist."""
    return transfer_queryset(user=user).select_related("destination__district").get(pk=pk)


def office_for_act(*, user, pk: int) -> Office:
    """Return an office in the user's scope, or raise Office.DoesNotExist."""
    return scope_offices(user, Office.objects.select_related("region", "district")).get(pk=pk)


def transfer_arrived_assets(*, transfer: Transfer) -> list[Asset]:
    """Return the assets a new act for a transfer lists: arrived, still there, on no act yet."""
    return list(
        transfer_assets_for_act(transfer=transfer)
        .select_related("asset_model__manufacturer", "asset_model__category")
        .order_by("tag")
    )


def office_act_assets(*, office: Office) -> list[Asset]:
    """Return the devices at an office that an act for the office can list."""
    return list(
        Asset.objects.filter(office=office, status__in=list(STATUSES_AT_OFFICE))
        .select_related("asset_model__manufacturer", "asset_model__category")
        .order_by("asset_model__category__sort_order", "tag")
    )


def user_position(*, user) -> str:
    """Return the position the user gave in their scope, or an empty string."""
    return UserScope.objects.filter(user=user).values_list("position", flat=True).first() or ""


def office_head_for_act(*, office: Office) -> tuple[str, str]:
    """Return (full name, position) of the office's head, to prefill the act's receiver."""
    scope = (
        UserScope.objects.filter(
            office=office,
            user__is_active=True,
            user__groups__in=Group.objects.filter(name=Role.OFFICE_HEAD),
        )
        .select_related("user")
        .order_by("user__pk")
        .first()
    )
    if scope is None:
        return "", ""
    return scope.user.get_full_name(), scope.position


def _history_display(act_field, value: object) -> str:
    if value is None or value == "":
        return "—"
    name = act_field.name
    if name in _ACT_HISTORY_CHOICES:
        choices = _ACT_HISTORY_CHOICES[name]
        return str(choices(value).label) if value in choices.values else str(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return str(value)


def handover_act_history(*, act: HandoverAct) -> list[HistoryEntry]:
    """Return the act's history, newest first: who, when, why and which fields changed.

    One query whatever the length.
    """
    records = list(
        act.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : ACT_HISTORY_LIMIT + 1
        ]
    )
    fields = {name: HandoverAct._meta.get_field(name) for name in _ACT_HISTORY_FIELDS}
    entries = []
    for index, record in enumerate(records[:ACT_HISTORY_LIMIT]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes: list[FieldChange] = []
        if previous is not None and record.history_type != "+":
            delta = record.diff_against(previous, included_fields=list(_ACT_HISTORY_FIELDS))
            for change in delta.changes:
                act_field = fields[change.field]
                changes.append(
                    FieldChange(
                        label=str(act_field.verbose_name),
                        old=_history_display(act_field, change.old),
                        new=_history_display(act_field, change.new),
                    )
                )
        entries.append(HistoryEntry.from_record(record, changes))
    return entries


# Transfers whose assets count as dispatched: on their way, partly or wholly arrived.
PLAN_DISPATCHED_STATUSES: tuple[str, ...] = (
    TransferStatus.DISPATCHED,
    TransferStatus.PARTLY_RECEIVED,
    TransferStatus.RECEIVED,
)

# (handover set id, office id, category id)
PlanKey = tuple[int, int, int]


@dataclass
class PlanCounts:
    """Planned, dispatched, received and signed-for devices of one cell, row or total."""

    planned: int = 0
    dispatched: int = 0
    received: int = 0
    signed: int = 0

    @property
    def more_than_planned(self) -> bool:
        """Return whether more devices were dispatched than planned."""
        return self.dispatched > self.planned

    @property
    def is_empty(self) -> bool:
        return not (self.planned or self.dispatched or self.received or self.signed)

    def add(self, other: PlanCounts) -> None:
        """Add ``other``'s figures to these."""
        self.planned += other.planned
        self.dispatched += other.dispatched
        self.received += other.received
        self.signed += other.signed


@dataclass(frozen=True)
class PlanCategoryLine:
    """One category of a handover set: declared against the sum of its offices' figures."""

    category: Category
    declared: int
    counts: PlanCounts

    @property
    def allocation_gap(self) -> int:
        """Return planned minus declared: above zero over-allocated, below under-allocated."""
        return self.counts.planned - self.declared

    @property
    def over_allocated(self) -> bool:
        return self.allocation_gap > 0

    @property
    def under_allocated(self) -> bool:
        return self.allocation_gap < 0

    @property
    def unplanned(self) -> int:
        """Return how many declared devices have no planned office yet."""
        return max(0, -self.allocation_gap)

    @property
    def overplanned(self) -> int:
        """Return how many more devices are planned than declared."""
        return max(0, self.allocation_gap)


@dataclass(frozen=True)
class PlanSetSummary:
    """A handover set's figures per category and in total, with its allocation flags."""

    handover_set: HandoverSet
    categories: list[PlanCategoryLine]
    declared: int
    counts: PlanCounts

    @property
    def over_allocated(self) -> bool:
        """Return whether any category plans more devices than the set declares."""
        return any(line.over_allocated for line in self.categories)

    @property
    def under_allocated(self) -> bool:
        """Return whether any category leaves declared devices without a planned office."""
        return any(line.under_allocated for line in self.categories)

    # Flat names for tables and their exports.
    @property
    def planned(self) -> int:
        return self.counts.planned

    @property
    def dispatched(self) -> int:
        return self.counts.dispatched

    @property
    def received(self) -> int:
        return self.counts.received

    @property
    def signed(self) -> int:
        return self.counts.signed


@dataclass(frozen=True)
class PlanGridRow:
    """One office of the grid: a cell per category of the set, and the row's total."""

    office: Office
    cells: list[PlanCounts]
    total: PlanCounts


@dataclass(frozen=True)
class PlanGrid:
    """A handover set's plan: the summary, and the offices shown with their cells and totals."""

    summary: PlanSetSummary
    categories: list[Category]
    rows: list[PlanGridRow]
    totals: list[PlanCounts]  # per category, over the rows shown
    total: PlanCounts


@dataclass(frozen=True)
class PlanOfficeSet:
    """One handover set's figures at one office, per category."""

    handover_set: HandoverSet
    lines: list[tuple[Category, PlanCounts]] = field(default_factory=list)
    total: PlanCounts = field(default_factory=PlanCounts)


def plan_counts(
    *,
    handover_set_ids: Iterable[int] | None = None,
    office_ids: Iterable[int] | QuerySet | None = None,
) -> dict[PlanKey, PlanCounts]:
    """Return the figures per (handover set, office, category), as defined in the module.

    ``None`` means every set or every office. Three grouped queries, whatever the size.
    """
    lines = DistributionPlanLine.objects.all()
    items = TransferItem.objects.filter(
        transfer__status__in=PLAN_DISPATCHED_STATUSES, asset__handover_set__isnull=False
    )
    act_items = HandoverActItem.objects.filter(
        act__status=ActStatus.SIGNED, asset__handover_set__isnull=False
    )
    if handover_set_ids is not None:
        set_ids = list(handover_set_ids)
        lines = lines.filter(handover_set_id__in=set_ids)
        items = items.filter(asset__handover_set_id__in=set_ids)
        act_items = act_items.filter(asset__handover_set_id__in=set_ids)
    if office_ids is not None:
        if not isinstance(office_ids, QuerySet):
            office_ids = list(office_ids)
        lines = lines.filter(office_id__in=office_ids)
        items = items.filter(transfer__destination_id__in=office_ids)
        act_items = act_items.filter(act__office_id__in=office_ids)

    counts: dict[PlanKey, PlanCounts] = {}
    for set_id, office_id, category_id, planned in lines.values_list(
        "handover_set_id", "office_id", "category_id", "planned_quantity"
    ).order_by():
        counts.setdefault((set_id, office_id, category_id), PlanCounts()).planned += planned
    for set_id, office_id, category_id, dispatched, received in (
        items.values_list(
            "asset__handover_set_id",
            "transfer__destination_id",
            "asset__asset_model__category_id",
        )
        .annotate(
            dispatched=Count("asset_id", distinct=True),
            received=Count("asset_id", distinct=True, filter=Q(outcome__in=list(ARRIVED_OUTCOMES))),
        )
        .order_by()
    ):
        cell = counts.setdefault((set_id, office_id, category_id), PlanCounts())
        cell.dispatched += dispatched
        cell.received += received
    for set_id, office_id, category_id, signed in (
        act_items.values_list("asset__handover_set_id", "act__office_id", "category_id")
        .annotate(signed=Count("asset_id", distinct=True))
        .order_by()
    ):
        counts.setdefault((set_id, office_id, category_id), PlanCounts()).signed += signed
    return counts


def _declared(handover_set_ids: list[int]) -> dict[tuple[int, int], int]:
    return {
        (set_id, category_id): quantity
        for set_id, category_id, quantity in HandoverSetLine.objects.filter(
            handover_set_id__in=handover_set_ids
        ).values_list("handover_set_id", "category_id", "declared_quantity")
    }


def _summaries(
    *,
    handover_sets: list[HandoverSet],
    counts: dict[PlanKey, PlanCounts],
    declared: dict[tuple[int, int], int],
    categories: list[Category],
) -> list[PlanSetSummary]:
    by_set: dict[int, dict[int, PlanCounts]] = {}
    for (set_id, _office_id, category_id), cell in counts.items():
        by_set.setdefault(set_id, {}).setdefault(category_id, PlanCounts()).add(cell)
    summaries = []
    for handover_set in handover_sets:
        figures = by_set.get(handover_set.pk, {})
        lines = [
            PlanCategoryLine(
                category=category,
                declared=declared.get((handover_set.pk, category.pk), 0),
                counts=figures.get(category.pk, PlanCounts()),
            )
            for category in categories
            if (handover_set.pk, category.pk) in declared or category.pk in figures
        ]
        total = PlanCounts()
        for line in lines:
            total.add(line.counts)
        summaries.append(
            PlanSetSummary(
                handover_set=handover_set,
                categories=lines,
                declared=sum(line.declared for line in lines),
                counts=total,
            )
        )
    return summaries


def plan_handover_sets() -> QuerySet[HandoverSet]:
    """Return the handover sets a plan can be made for, in delivery order."""
    return HandoverSet.objects.order_by("handover_date", "code")


def plan_set_summaries(*, handover_sets: Iterable[HandoverSet]) -> list[PlanSetSummary]:
    """Return each set's declared and planned/dispatched/received/signed totals per category.

    Whole-country figures (see the module's docstring). Five queries.
    """
    handover_sets = list(handover_sets)
    set_ids = [handover_set.pk for handover_set in handover_sets]
    if not set_ids:
        return []
    return _summaries(
        handover_sets=handover_sets,
        counts=plan_counts(handover_set_ids=set_ids),
        declared=_declared(set_ids),
        categories=list(Category.objects.all()),
    )


def plan_office_queryset(*, user, handover_set: HandoverSet) -> QuerySet[Office]:
    """Return the offices in the user's scope that a set's plan lists.

    Every active office but the warehouse (which sends devices, it is not planned for), and
    any other office that already has a line in the set's plan.
    """
    planned_here = DistributionPlanLine.objects.filter(handover_set=handover_set).values(
        "office_id"
    )
    return scope_offices(
        user,
        Office.objects.filter(
            (Q(is_active=True) & ~Q(kind=OfficeKind.WAREHOUSE)) | Q(pk__in=planned_here)
        )
        .select_related("region")
        .order_by("region__sort_order", "name_en", "code"),
    )


def plan_grid(*, handover_set: HandoverSet, offices: Iterable[Office]) -> PlanGrid:
    """Return a set's summary (whole country) and the grid of the given offices.

    The columns are the set's categories: those it declares and any other with a figure.
    Five queries; the offices are expected to be loaded already.
    """
    offices = list(offices)
    counts = plan_counts(handover_set_ids=[handover_set.pk])
    (summary,) = _summaries(
        handover_sets=[handover_set],
        counts=counts,
        declared=_declared([handover_set.pk]),
        categories=list(Category.objects.all()),
    )
    categories = [line.category for line in summary.categories]
    rows = []
    totals = [PlanCounts() for _category in categories]
    total = PlanCounts()
    for office in offices:
        cells = [
            counts.get((handover_set.pk, office.pk, category.pk), PlanCounts())
            for category in categories
        ]
        row_total = PlanCounts()
        for index, cell in enumerate(cells):
            row_total.add(cell)
            totals[index].add(cell)
        total.add(row_total)
        rows.append(PlanGridRow(office=office, cells=cells, total=row_total))
    return PlanGrid(summary=summary, categories=categories, rows=rows, totals=totals, total=total)


def plan_line_export_queryset(
    *, handover_set: HandoverSet, offices: QuerySet[Office]
) -> QuerySet[DistributionPlanLine]:
    """Return a set's plan lines for the given offices, in the grid's order, for an export."""
    return (
        DistributionPlanLine.objects.filter(handover_set=handover_set, office__in=offices)
        .select_related("handover_set", "office", "category")
        .order_by("office__region__sort_order", "office__name_en", "office__code", "category")
    )


def plan_office_sets(*, office: Office) -> list[PlanOfficeSet]:
    """Return, per handover set and category, an office's planned/dispatched/received/signed.

    Only sets and categories with a figure at the office. Three queries when there is none,
    five otherwise.
    """
    counts = plan_counts(office_ids=[office.pk])
    if not counts:
        return []
    set_ids = {key[0] for key in counts}
    handover_sets = list(plan_handover_sets().filter(pk__in=set_ids))
    categories = list(Category.objects.filter(pk__in={key[2] for key in counts}))
    result = []
    for handover_set in handover_sets:
        entry = PlanOfficeSet(handover_set=handover_set)
        for category in categories:
            cell = counts.get((handover_set.pk, office.pk, category.pk))
            if cell is not None:
                entry.lines.append((category, cell))
                entry.total.add(cell)
        result.append(entry)
    return result


OFFICE_PANEL_ACTS = 10


def office_recent_acts(*, office: Office) -> list[HandoverAct]:
    """Return an office's newest handover acts (at most ten)."""
    return list(
        HandoverAct.objects.filter(office=office).order_by("-act_date", "-number")[
            :OFFICE_PANEL_ACTS
        ]
    )


def office_incoming_transfers(*, office: Office) -> list[Transfer]:
    """Return the transfers dispatched to an office with assets still outstanding."""
    return list(
        Transfer.objects.filter(
            destination=office,
            status__in=[TransferStatus.DISPATCHED, TransferStatus.PARTLY_RECEIVED],
        )
        .annotate(outstanding=Count("items", filter=Q(items__is_open=True)))
        .order_by("dispatched_at")
    )


def transfer_assets_for_act(*, transfer: Transfer) -> QuerySet[Asset]:
    """Return the assets a transfer delivered, still at its destination, on no act of it yet.

    A transfer received in two steps (a missing device found later) gets a second act for
    what the first did not list; a superseded act no longer counts.
    """
    return Asset.objects.filter(
        transfer_items__transfer=transfer,
        transfer_items__outcome__in=list(ARRIVED_OUTCOMES),
        office=transfer.destination_id,
    ).exclude(
        act_items__act__in=HandoverAct.objects.filter(transfer=transfer).exclude(
            status=ActStatus.SUPERSEDED
        )
    )


# Verification campaigns ----------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationRow:
    """One asset in a campaign's scope, with its office and stratum (region, category)."""

    asset_id: int
    tag: str
    office_id: int
    region_id: int
    region_code: str
    category_id: int
    category_code: str

    @property
    def stratum(self) -> tuple[str, str]:
        return (self.region_code, self.category_code)


def campaign_population(
    *, handover_sets: Iterable = (), regions: Iterable = (), categories: Iterable = ()
) -> list[PopulationRow]:
    """Return the assets a campaign with this scope would draw from, one row each.

    In scope: the handover set, the office's region and the category among those chosen (none
    chosen: all). Only assets standing at an office count: neither retired nor in transit. Lost
    assets stay in, since an audit may confirm the loss. One query.
    """
    queryset = Asset.objects.filter(office__isnull=False).exclude(
        status__in=[AssetStatus.RETIRED, AssetStatus.IN_TRANSIT]
    )
    set_ids = [getattr(item, "pk", item) for item in handover_sets]
    region_ids = [getattr(item, "pk", item) for item in regions]
    category_ids = [getattr(item, "pk", item) for item in categories]
    if set_ids:
        queryset = queryset.filter(handover_set_id__in=set_ids)
    if region_ids:
        queryset = queryset.filter(office__region_id__in=region_ids)
    if category_ids:
        queryset = queryset.filter(asset_model__category_id__in=category_ids)
    return [
        PopulationRow(*row)
        for row in queryset.values_list(
            "pk",
            "tag",
            "office_id",
            "office__region_id",
            "office__region__code",
            "asset_model__category_id",
            "asset_model__category__code",
        )
    ]


def campaign_queryset(*, user) -> QuerySet[VerificationCampaign]:
    """Return the campaigns the user may see.

    National roles see every campaign; a technician those with a checklist in their regions,
    an office head those with a checklist at their office.
    """
    queryset = VerificationCampaign.objects.select_related("created_by", "closed_by")
    if sees_whole_country(user):
        return queryset
    offices = scope_offices(user, Office.objects.all()).values("pk")
    return queryset.filter(
        Exists(CampaignChecklist.objects.filter(campaign=OuterRef("pk"), office__in=offices))
    )


def campaign_list_queryset(*, user) -> QuerySet[VerificationCampaign]:
    """Return the user's campaigns with how many assets each drew and how many are verified."""
    drawn = (
        CampaignAsset.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    verified = (
        Verification.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("asset", distinct=True))
        .values("n")
    )
    return campaign_queryset(user=user).annotate(
        drawn_count=Coalesce(Subquery(drawn), 0),
        verified_count=Coalesce(Subquery(verified), 0),
    )


def campaign_get(*, user, pk: int) -> VerificationCampaign:
    """Return one campaign in the user's scope, or raise VerificationCampaign.DoesNotExist."""
    return campaign_queryset(user=user).get(pk=pk)


def campaign_open_for_asset(*, asset: Asset) -> VerificationCampaign | None:
    """Return the newest open campaign that drew ``asset``, if any."""
    return (
        VerificationCampaign.objects.filter(status=CampaignStatus.OPEN, items__asset=asset)
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class LatestCheck:
    """The latest verification of one asset within a campaign (plain values)."""

    verification_id: int
    outcome: str
    serial_matches: bool | None


def _latest_checks(*, campaign_id: int, asset_ids=None) -> dict[int, LatestCheck]:
    """Return the latest verification per asset within a campaign (one query)."""
    queryset = Verification.objects.filter(campaign_id=campaign_id)
    if asset_ids is not None:
        queryset = queryset.filter(asset_id__in=asset_ids)
    latest: dict[int, LatestCheck] = {}
    for pk, asset_id, outcome, matches in queryset.order_by(
        "asset_id", "-verified_at", "-pk"
    ).values_list("pk", "asset_id", "outcome", "serial_matches"):
        if asset_id not in latest:
            latest[asset_id] = LatestCheck(pk, outcome, matches)
    return latest


@dataclass
class CheckCounts:
    """How many assets were drawn, and what their latest checks found."""

    drawn: int = 0
    verified: int = 0
    found: int = 0
    not_found: int = 0
    elsewhere: int = 0
    mismatches: int = 0

    @property
    def remaining(self) -> int:
        return self.drawn - self.verified

    @property
    def seen(self) -> int:
        return self.found + self.elsewhere

    def add(self, check: LatestCheck | None) -> None:
        self.drawn += 1
        if check is None:
            return
        self.verified += 1
        if check.outcome == VerificationOutcome.FOUND:
            self.found += 1
        elif check.outcome == VerificationOutcome.FOUND_ELSEWHERE:
            self.elsewhere += 1
        else:
            self.not_found += 1
        if check.serial_matches is False:
            self.mismatches += 1


@dataclass
class ChecklistProgress:
    """One office's checklist and how far it is."""

    checklist: CampaignChecklist
    counts: CheckCounts = field(default_factory=CheckCounts)


@dataclass(frozen=True)
class StratumRow:
    """Drawn assets of one region, per category (in the order of ``CampaignStrata.categories``)."""

    region: Region
    cells: list[int]
    total: int


@dataclass(frozen=True)
class CampaignStrata:
    categories: list[Category]
    rows: list[StratumRow]
    column_totals: list[int]
    total: int


@dataclass(frozen=True)
class CampaignResults:
    """What the latest checks say: the found rate, and the assets that need attention."""

    counts: CheckCounts
    rate: FoundRate | None
    mismatches: list[Verification]
    not_found: list[Verification]
    elsewhere: list[Verification]


@dataclass(frozen=True)
class CampaignOverview:
    progress: list[ChecklistProgress]
    strata: CampaignStrata
    results: CampaignResults


def campaign_overview(*, campaign: VerificationCampaign, user) -> CampaignOverview:
    """Return a campaign's strata, progress per office and results, in six queries.

    The progress lists the checklists of offices in the user's scope; the strata and the
    results cover the whole campaign (they are the audit's figures).
    """
    checklists = list(
        scope_offices_filter(
            user,
            CampaignChecklist.objects.filter(campaign=campaign).select_related(
                "office__region", "assignee"
            ),
        )
    )
    items = list(
        CampaignAsset.objects.filter(campaign=campaign).values_list(
            "asset_id", "checklist_id", "region_id", "category_id"
        )
    )
    latest = _latest_checks(campaign_id=campaign.pk)
    progress = {checklist.pk: ChecklistProgress(checklist) for checklist in checklists}
    totals = CheckCounts()
    drawn: dict[tuple[int, int], int] = {}
    for asset_id, checklist_id, region_id, category_id in items:
        check = latest.get(asset_id)
        totals.add(check)
        if checklist_id in progress:
            progress[checklist_id].counts.add(check)
        drawn[(region_id, category_id)] = drawn.get((region_id, category_id), 0) + 1
    return CampaignOverview(
        progress=list(progress.values()),
        strata=_strata(drawn),
        results=_results(campaign=campaign, counts=totals, latest=latest),
    )


def scope_offices_filter(user, queryset: QuerySet) -> QuerySet:
    """Return the rows of ``queryset`` (which have an ``office``) at offices in the user's scope."""
    if sees_whole_country(user):
        return queryset
    return queryset.filter(office__in=scope_offices(user, Office.objects.all()).values("pk"))


def _strata(drawn: dict[tuple[int, int], int]) -> CampaignStrata:
    regions = list(Region.objects.filter(pk__in={key[0] for key in drawn}).order_by("sort_order"))
    categories = list(
        Category.objects.filter(pk__in={key[1] for key in drawn}).order_by("sort_order", "code")
    )
    rows = []
    for region in regions:
        cells = [drawn.get((region.pk, category.pk), 0) for category in categories]
        rows.append(StratumRow(region, cells, sum(cells)))
    column_totals = [sum(row.cells[index] for row in rows) for index in range(len(categories))]
    return CampaignStrata(categories, rows, column_totals, sum(column_totals))


def _results(
    *, campaign: VerificationCampaign, counts: CheckCounts, latest: dict[int, LatestCheck]
) -> CampaignResults:
    wanted = [
        check.verification_id
        for check in latest.values()
        if check.outcome != VerificationOutcome.FOUND or check.serial_matches is False
    ]
    notable = list(
        Verification.objects.filter(pk__in=wanted)
        .select_related(
            "asset__asset_model__manufacturer",
            "register_office",
            "found_office",
            "verified_by",
            "move_proposal",
        )
        .order_by("asset__tag")
    )
    rate = None
    if campaign.method == CampaignMethod.SAMPLE:
        rate = found_rate_interval(
            found=counts.seen, checked=counts.verified, population=campaign.population_size
        )
    elif counts.verified:
        share = counts.seen / counts.verified
        rate = FoundRate(
            share,
            share,
            share,
            counts.seen,
            counts.verified,
            counts.drawn,
            0.0,
        )
    return CampaignResults(
        counts=counts,
        rate=rate,
        mismatches=[v for v in notable if v.serial_matches is False],
        not_found=[v for v in notable if v.outcome == VerificationOutcome.NOT_FOUND],
        elsewhere=[v for v in notable if v.outcome == VerificationOutcome.FOUND_ELSEWHERE],
    )


def campaign_proposals(*, campaign: VerificationCampaign) -> list[MoveProposal]:
    """Return the moves the campaign's verifications proposed (one query)."""
    return list(
        MoveProposal.objects.filter(verification__campaign=campaign)
        .select_related("asset", "from_office", "to_office", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )


def checklist_assignees(*, checklists: Iterable[CampaignChecklist]) -> dict[int, list]:
    """Return, per checklist id, the active users who may verify at its office (four queries).

    Those are the users with ``add_verification`` whose scope covers the office: national
    roles everywhere, technicians in their regions.
    """
    from django.contrib.auth import get_user_model

    from inventory.access import NATIONAL_ROLES

    users = list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="add_verification")
            | Q(user_permissions__codename="add_verification")
        )
        .distinct()
        .prefetch_related("groups", "scope__regions")
        .order_by("last_name", "first_name", "username")
    )
    national, regional = [], []
    for user in users:
        roles = {group.name for group in user.groups.all()}
        if user.is_superuser or roles & NATIONAL_ROLES:
            national.append(user)
        elif Role.TECHNICIAN in roles:
            scope = getattr(user, "scope", None)
            if scope is not None:
                regional.append((user, {region.pk for region in scope.regions.all()}))
    result = {}
    for checklist in checklists:
        result[checklist.pk] = national + [
            user for user, region_ids in regional if checklist.office.region_id in region_ids
        ]
    return result


def checklist_queryset(*, user) -> QuerySet[CampaignChecklist]:
    """Return the checklists at offices in the user's scope."""
    return scope_offices_filter(
        user, CampaignChecklist.objects.select_related("campaign", "office__region", "assignee")
    )


def checklist_get(*, user, pk: int) -> CampaignChecklist:
    """Return one checklist in the user's scope, or raise CampaignChecklist.DoesNotExist."""
    return checklist_queryset(user=user).get(pk=pk)


class ChecklistState:
    """What the checklist shows for an asset."""

    TO_CHECK = "to_check"


@dataclass(frozen=True)
class ChecklistItem:
    """One asset of a checklist and its latest verification within the campaign."""

    asset: Asset
    latest: Verification | None

    @property
    def state(self) -> str:
        return self.latest.outcome if self.latest is not None else ChecklistState.TO_CHECK

    @property
    def mismatch(self) -> bool:
        return self.latest is not None and self.latest.serial_matches is False


def checklist_items(*, checklist: CampaignChecklist) -> list[ChecklistItem]:
    """Return a checklist's assets in tag order, each with its latest check (two queries)."""
    assets = list(
        Asset.objects.filter(campaign_items__checklist=checklist)
        .select_related("asset_model__manufacturer", "office")
        .order_by("tag")
    )
    latest_ids = [
        check.verification_id
        for check in _latest_checks(
            campaign_id=checklist.campaign_id,
            asset_ids=[asset.pk for asset in assets],
        ).values()
    ]
    latest = {
        verification.asset_id: verification
        for verification in Verification.objects.filter(pk__in=latest_ids).select_related(
            "found_office", "verified_by"
        )
    }
    return [ChecklistItem(asset, latest.get(asset.pk)) for asset in assets]


def checklist_asset(*, checklist: CampaignChecklist, asset_pk: int) -> Asset:
    """Return an asset of the checklist, or raise Asset.DoesNotExist."""
    return (
        Asset.objects.filter(campaign_items__checklist=checklist)
        .select_related("asset_model__manufacturer", "office")
        .get(pk=asset_pk)
    )


def asset_verifications(*, asset: Asset, limit: int = 5) -> list[Verification]:
    """Return an asset's latest verifications, newest first (one query)."""
    return list(
        Verification.objects.filter(asset=asset).select_related(
            "campaign", "verified_by", "found_office", "register_office"
        )[:limit]
    )


def moveproposal_queryset(*, user) -> QuerySet[MoveProposal]:
    """Return the proposed moves the user may see: from or to an office in their scope."""
    queryset = MoveProposal.objects.select_related(
        "asset__asset_model__manufacturer",
        "from_office",
        "to_office__region",
        "proposed_by",
        "decided_by",
        "verification__campaign",
    )
    if sees_whole_country(user):
        return queryset
    offices = scope_offices(user, Office.objects.all()).values("pk")
    return queryset.filter(Q(from_office__in=offices) | Q(to_office__in=offices))


def moveproposal_get(*, user, pk: int) -> MoveProposal:
    return moveproposal_queryset(user=user).get(pk=pk)


def verification_proposed_move(*, verification: Verification) -> bool:
    """Return whether saving ``verification`` proposed a move in the register."""
    return MoveProposal.objects.filter(verification=verification).exists()


def verification_photo_get(*, user, pk: int) -> Verification:
    """Return the verification ``pk`` if its asset is in the user's scope, else 404."""
    return get_object_or_404(
        Verification.objects.filter(asset__in=scope_assets(user, Asset.objects.all()).values("pk")),
        pk=pk,
    )
