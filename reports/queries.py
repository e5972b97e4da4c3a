"""Reads for the reconciliation report: a fixed number of queries, whatever the fleet size.

How figures are counted (the page says the same in its "How figures are counted" box):

- The population is every asset with a handover set (one set when chosen), within the user's
  scope (``inventory.access.scope_assets``).
- An asset is shown under its current office, or, while in transit, under the destination of
  its open dispatched transfer (its *attributed* office).
- Stages: registered ⊇ dispatched, received, signed for, verified found, working now; see
  ``_group_flags`` for each rule.
- The latest verification of an asset is its newest by ``verified_at`` (then id), among every
  campaign and ad hoc check, or among the chosen campaign's only.

The funnel reads each stage's evidence set-wise (the assets, dispatched transfer lines,
signed act lines, verifications, open repairs, devices down: a fixed number of plain queries)
and groups the assets by set, category, office and stage flags in Python (``funnel_data``);
``reports.reconciliation`` rolls the groups up. The lists behind each figure are the same rules
written as Exists/Subquery annotations and filters (``stage_q``, ``kind_q``); the tests check
that every count on the page equals the length of its list.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Replace, Round, RowNumber, Upper

from deployments.choices import (
    ARRIVED_OUTCOMES,
    SEEN_OUTCOMES,
    ActStatus,
    AssetCondition,
    TransferStatus,
    VerificationOutcome,
)
from deployments.models import (
    DistributionPlanLine,
    HandoverActItem,
    TransferItem,
    Verification,
    VerificationCampaign,
)
from inventory.access import scope_assets, scope_offices, scope_regions, sees_whole_country
from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset, Category, HandoverSet, HandoverSetLine, Office, Region
from monitoring.choices import Health, RepairStatus
from monitoring.models import MonitoredDevice, RepairTicket
from reports import reconciliation as rules

# Transfers on which an asset whose line is still open is travelling.
OPEN_TRANSFER_STATUSES = (TransferStatus.DISPATCHED, TransferStatus.PARTLY_RECEIVED)
# Repair tickets still being worked on.
REPAIR_DONE_STATUSES = (RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR)
NOT_WORKING = AssetCondition.NOT_WORKING.value
# Rows of each discrepancy kind the report page shows; the list page has them all.
FIRST_ROWS = 10


@dataclass(frozen=True)
class ReportFilters:
    """What the report is about: one handover set or all, a campaign's checks or all, a region."""

    handover_set: HandoverSet | None = None
    campaign: VerificationCampaign | None = None
    region: Region | None = None


# --- choices for the filter form ----------------------------------------------------------


def report_handover_sets() -> QuerySet[HandoverSet]:
    """Return the handover sets a report can be made for, in delivery order."""
    return HandoverSet.objects.order_by("handover_date", "code")


def report_campaigns() -> QuerySet[VerificationCampaign]:
    """Return the campaigns whose verifications a report can be limited to, newest first."""
    return VerificationCampaign.objects.order_by("-created_at", "-pk")


def report_regions(*, user) -> QuerySet[Region]:
    """Return the regions the user may filter the report by."""
    return scope_regions(user, Region.objects.all())


# --- the annotated population -------------------------------------------------------------


def serial_reduce_sql(expression):
    """Return SQL reducing a serial to letters and digits, as ``rules.serial_reduce`` does."""
    result = Upper(expression)
    for separator in rules.SERIAL_SEPARATORS:
        result = Replace(result, Value(separator), Value(""))
    return result


def _latest(campaign_id: int | None) -> QuerySet[Verification]:
    checks = Verification.objects.filter(asset_id=OuterRef("pk"))
    if campaign_id is not None:
        checks = checks.filter(campaign_id=campaign_id)
    return checks.order_by("-verified_at", "-pk")


def _open_item() -> QuerySet[TransferItem]:
    return TransferItem.objects.filter(
        asset_id=OuterRef("pk"), is_open=True, transfer__status__in=OPEN_TRANSFER_STATUSES
    )


def population(*, user, filters: ReportFilters) -> QuerySet[Asset]:
    """Return the report's assets (no annotations): with a handover set, in the user's scope."""
    assets = Asset.objects.filter(handover_set__isnull=False)
    if filters.handover_set is not None:
        assets = assets.filter(handover_set=filters.handover_set)
    return scope_assets(user, assets)


def _flag(condition) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _group_flags(campaign_id: int | None) -> dict:
    """Return the per-asset annotations of the stage flags, as ``funnel_data`` computes them.

    - ``transit_to``: destination of the open line on a dispatched transfer (in transit);
    - ``ever_dispatched``: on a transfer that was dispatched and not cancelled;
    - ``arrived``: on a transfer line whose outcome is received or received damaged;
    - ``signed``: listed on a signed act of the asset's current office;
    - ``latest_outcome``/``latest_condition``/``latest_matches``: of the latest verification;
    - ``open_repair``: an open repair ticket that stops work; ``down``: monitoring says down.
    """
    latest = _latest(campaign_id)
    return {
        "category_id": F("asset_model__category_id"),
        "office_kind": F("office__kind"),
        "transit_to": Subquery(_open_item().values("transfer__destination_id")[:1]),
        "ever_dispatched": Exists(
            TransferItem.objects.filter(
                asset_id=OuterRef("pk"), transfer__dispatched_at__isnull=False
            ).exclude(transfer__status=TransferStatus.CANCELLED)
        ),
        "arrived": Exists(
            TransferItem.objects.filter(asset_id=OuterRef("pk"), outcome__in=list(ARRIVED_OUTCOMES))
        ),
        "signed": Exists(
            HandoverActItem.objects.filter(
                asset_id=OuterRef("pk"),
                act__status=ActStatus.SIGNED,
                act__office_id=OuterRef("office_id"),
            )
        ),
        "latest_outcome": Coalesce(
            Subquery(latest.values("outcome")[:1]), Value(""), output_field=CharField()
        ),
        "latest_condition": Coalesce(
            Subquery(latest.values("condition")[:1]), Value(""), output_field=CharField()
        ),
        "latest_matches": Subquery(latest.values("serial_matches")[:1]),
        "open_repair": Exists(
            RepairTicket.objects.filter(asset_id=OuterRef("pk"), stops_work=True).exclude(
                status__in=REPAIR_DONE_STATUSES
            )
        ),
        "down": Exists(MonitoredDevice.objects.filter(asset_id=OuterRef("pk"), health=Health.DOWN)),
    }


@dataclass(frozen=True)
class FunnelData:
    """The population grouped by set, category, office and stage flags, and its serial twins.

    ``duplicates`` are the population's assets whose register serial, or whose latest
    verification's serial read, is another asset's register serial once reduced.
    """

    groups: list[rules.Group]  # members: asset ids
    duplicates: dict[int, tuple[str, int | None]]  # asset id → (tag, attributed office id)
    tags: dict[int, str]  # asset id → tag, for the population
    # asset id → another asset with the same reduced register serial / with the serial read
    twin_of: dict[int, int] = field(default_factory=dict)
    read_twin_of: dict[int, int] = field(default_factory=dict)


def _latest_checks(campaign_id: int | None) -> dict[int, tuple]:
    """Return each asset's latest verification: outcome, condition, serial match, serial read."""
    checks = Verification.objects.all()
    if campaign_id is not None:
        checks = checks.filter(campaign_id=campaign_id)
    latest: dict[int, tuple] = {}
    # Oldest first: the last row of an asset is its latest (verified_at, then id).
    for asset_id, *fields in checks.order_by("verified_at", "pk").values_list(
        "asset_id", "outcome", "condition", "serial_matches", "serial_read"
    ):
        latest[asset_id] = fields
    return latest


def funnel_data(
    *, user, filters: ReportFilters, offices: dict[int, Office] | None = None
) -> FunnelData:
    """Return the population counted and summed per set, category, office and stage flags.

    Each stage's evidence is read once, set-wise (eight plain queries whatever the number of
    assets: assets, other serials, dispatched transfer lines, signed act lines, verifications,
    open repairs, devices down), and the assets are grouped here by the flags
    ``_group_flags`` describes. Per-asset correlated subqueries grouped in SQL give the same
    rows but took 13 s for 100,000 assets on SQLite (bench/reconciliation.py).
    """
    campaign_id = filters.campaign.pk if filters.campaign else None
    assets = population(user=user, filters=filters)
    # Values as whole cents: integers add up exactly and need no Decimal per row. Plain
    # columns only, so the rows are read straight from the cursor, without converters.
    base = (
        assets.annotate(cents=Cast(Round(F("value") * 100), IntegerField()))
        .values_list(
            "pk",
            "tag",
            "serial",
            "handover_set_id",
            "asset_model__category_id",
            "office_id",
            "status",
            "cents",
        )
        .order_by()
    )
    try:
        sql, params = base.query.sql_with_params()
    except EmptyResultSet:  # a user with no scope: no assets, and no query
        rows = []
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    if offices is None:
        offices = _offices()
    office_kind = {pk: office.kind for pk, office in offices.items()}
    # Serials of the rest of the register (other sets, no set, out of scope), for duplicates.
    if filters.handover_set is None and sees_whole_country(user):
        others = Asset.objects.filter(handover_set__isnull=True)  # the population is the rest
    else:
        others = Asset.objects.exclude(pk__in=assets.values("pk"))
    others = others.values_list("pk", "serial").order_by()

    dispatched: set[int] = set()
    arrived: set[int] = set()
    transit_to: dict[int, int] = {}
    for asset_id, is_open, outcome, status, destination in (
        TransferItem.objects.filter(
            transfer__dispatched_at__isnull=False, asset__handover_set__isnull=False
        )
        .exclude(transfer__status=TransferStatus.CANCELLED)
        .values_list(
            "asset_id", "is_open", "outcome", "transfer__status", "transfer__destination_id"
        )
        .order_by()
    ):
        dispatched.add(asset_id)
        if outcome in ARRIVED_OUTCOMES:
            arrived.add(asset_id)
        if is_open and status in OPEN_TRANSFER_STATUSES:
            transit_to[asset_id] = destination
    signed: dict[int, set[int]] = {}  # asset id → offices whose signed acts list it
    for asset_id, office_id in (
        HandoverActItem.objects.filter(act__status=ActStatus.SIGNED)
        .values_list("asset_id", "act__office_id")
        .order_by()
    ):
        signed.setdefault(asset_id, set()).add(office_id)
    latest = _latest_checks(campaign_id)
    repairing = set(
        RepairTicket.objects.filter(stops_work=True)
        .exclude(status__in=REPAIR_DONE_STATUSES)
        .values_list("asset_id", flat=True)
        .order_by()
    )
    down = set(
        MonitoredDevice.objects.filter(health=Health.DOWN)
        .values_list("asset_id", flat=True)
        .order_by()
    )

    # The evidence of each asset that has any, in one tuple; the rest share one default.
    no_check = ("", "", None, "")
    evidence: dict[int, tuple] = {}
    for pk in dispatched | arrived | signed.keys() | latest.keys() | repairing | down:
        evidence[pk] = (
            transit_to.get(pk),
            pk in dispatched,
            pk in arrived,
            signed.get(pk, ()),
            latest.get(pk, no_check),
            pk in repairing,
            pk in down,
        )

    groups: dict[tuple, list] = {}
    evidence_get, kind_get, groups_get = evidence.get, office_kind.get, groups.get
    for pk, _tag, _serial, set_id, category_id, office_id, status, cents in rows:
        found = evidence_get(pk)
        if found is None:
            key = (set_id, category_id, office_id, kind_get(office_id), status)
        else:
            destination, sent, came, signed_at, check, repair, is_down = found
            outcome, condition, matches, _read = check
            key = (
                set_id,
                category_id,
                office_id,
                kind_get(office_id),
                status,
                destination,
                sent,
                came,
                office_id in signed_at,
                outcome,
                # Only what a rule reads, so that fewer groups form: not working or not,
                # serial read differing or not.
                NOT_WORKING if condition == NOT_WORKING else "",
                False if matches is not None and not matches else None,
                repair,
                is_down,
            )
        group = groups_get(key)
        if group is None:
            group = groups[key] = [0, 0, 0, []]
        group[0] += 1
        if cents is None:
            group[2] += 1
        else:
            group[1] += cents
        group[3].append(pk)

    # Serial twins: reduced register serials held twice, and serials read that are another
    # asset's. Reduced with C-level map()s: this runs once per asset of the register.
    drop = repeat(rules.SERIAL_DROP)
    others = list(others)
    pks = [row[0] for row in rows] + [pk for pk, _serial in others]
    reduced = list(
        map(
            str.translate,
            map(str.upper, [row[2] for row in rows] + [serial for _pk, serial in others]),
            drop,
        )
    )
    seen = Counter(reduced)
    reads = {
        pk: rules.serial_reduce(read)
        for pk, (_outcome, _condition, matches, read) in latest.items()
        if read and matches is False
    }
    wanted = {serial for serial, n in seen.items() if n > 1} | set(reads.values())
    owners: dict[str, list[int]] = {}
    for pk, serial in zip(pks, reduced, strict=True):
        if serial in wanted:
            owners.setdefault(serial, []).append(pk)
    twinned = {pk for pks_ in owners.values() if len(pks_) > 1 for pk in pks_}
    twin_of: dict[int, int] = {}
    read_twin_of: dict[int, int] = {}
    for pks_ in owners.values():
        for pk in pks_:
            twin = next((other for other in pks_ if other != pk), None)
            if twin is not None:
                twin_of[pk] = twin
    for pk, read in reads.items():
        twin = next((owner for owner in owners.get(read, ()) if owner != pk), None)
        if twin is not None:
            twinned.add(pk)
            read_twin_of[pk] = twin
    # Tags of the population (for the first rows) and the twinned assets' attributed offices.
    tags: dict[int, str] = {}
    duplicates: dict[int, tuple[str, int | None]] = {}
    for pk, tag, _serial, _set_id, _category_id, office_id, _status, _cents in rows:
        tags[pk] = tag
        if pk in twinned:
            duplicates[pk] = (tag, transit_to.get(pk, office_id))

    plain = (None, False, False, False, "", "", None, False, False)
    return FunnelData(
        groups=[
            rules.Group(
                *(key if len(key) > 5 else key + plain),
                n,
                Decimal(cents).scaleb(-2) if n > no_value else None,
                no_value,
                members,
            )
            for key, (n, cents, no_value, members) in groups.items()
        ],
        duplicates=duplicates,
        tags=tags,
        twin_of=twin_of,
        read_twin_of=read_twin_of,
    )


# --- per-asset conditions (for lists; the same rules as rules.Group) -----------------------


def _annotated(
    *, user, filters: ReportFilters, national: bool = False, with_plan: bool = True
) -> QuerySet[Asset]:
    """Return the population annotated with every field a stage, a kind or a reason reads.

    ``with_plan=False`` leaves out what only "at another office than planned" reads (the plan
    line and how many the office holds): a count per row, the dearest annotation by far.
    """
    campaign_id = filters.campaign.pk if filters.campaign else None
    latest = _latest(campaign_id)
    assets = Asset.objects.filter(handover_set__isnull=False)
    if filters.handover_set is not None:
        assets = assets.filter(handover_set=filters.handover_set)
    if not national:
        assets = scope_assets(user, assets)
    category = OuterRef("asset_model__category_id")
    plan = DistributionPlanLine.objects.filter(
        handover_set_id=OuterRef("handover_set_id"), office_id=OuterRef("office_id")
    ).filter(category_id=category)
    # Statuses listed (not "not in transit"), so the (office, status) index is used.
    # The set is compared through "+ 0" so SQLite does not pick the set's index (half the
    # register) over the office's.
    holds = (
        Asset.objects.annotate(set_id_plain=F("handover_set_id") + 0)
        .filter(
            office_id=OuterRef("office_id"),
            status__in=[
                status for status in AssetStatus.values if status != AssetStatus.IN_TRANSIT
            ],
            set_id_plain=OuterRef("handover_set_id"),
            asset_model__category_id=OuterRef("asset_model__category_id"),
        )
        .exclude(Exists(_open_item()))
        .order_by()
        .values("office_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    plan_fields = {}
    if with_plan:
        plan_fields = {
            "set_has_plan": Exists(
                DistributionPlanLine.objects.filter(handover_set_id=OuterRef("handover_set_id"))
            ),
            "planned": Subquery(plan.values("planned_quantity")[:1], output_field=IntegerField()),
            "holds": Subquery(holds, output_field=IntegerField()),
        }
    return (
        assets.annotate(
            **_group_flags(campaign_id),
            transit_to_code=Subquery(_open_item().values("transfer__destination__code")[:1]),
            latest_at=Subquery(latest.values("verified_at")[:1]),
            latest_read=Coalesce(
                Subquery(latest.values("serial_read")[:1]), Value(""), output_field=CharField()
            ),
            latest_found_office=Subquery(latest.values("found_office__code")[:1]),
            latest_campaign=Subquery(latest.values("campaign__number")[:1]),
            declared_quantity=Subquery(
                HandoverSetLine.objects.filter(
                    handover_set_id=OuterRef("handover_set_id"), category_id=category
                ).values("declared_quantity")[:1]
            ),
            serial_reduced=serial_reduce_sql(F("serial")),
        )
        .annotate(
            latest_read_reduced=serial_reduce_sql(F("latest_read")),
            **plan_fields,
        )
        .select_related(
            "asset_model__manufacturer",
            "asset_model__category",
            "office__region",
            "handover_set",
        )
    )


def _in_transit() -> Q:
    return Q(status=AssetStatus.IN_TRANSIT) | Q(transit_to__isnull=False)


def _at_field_office() -> Q:
    return Q(office__isnull=False) & ~Q(office__kind=OfficeKind.WAREHOUSE)


def stage_q(stage: str) -> Q:
    """Return the condition of a funnel stage on the annotated queryset (see ``_group_flags``)."""
    if stage == rules.REGISTERED:
        return Q()
    if stage == rules.DISPATCHED:
        return Q(ever_dispatched=True) | _in_transit() | _at_field_office()
    if stage == rules.RECEIVED:
        return (_at_field_office() & ~_in_transit()) | Q(arrived=True)
    if stage == rules.SIGNED:
        return Q(signed=True)
    if stage == rules.VERIFIED_FOUND:
        return Q(latest_outcome__in=list(SEEN_OUTCOMES))
    if stage == rules.WORKING:
        return Q(status=AssetStatus.DEPLOYED, open_repair=False, down=False) & ~Q(
            latest_condition=AssetCondition.NOT_WORKING
        )
    raise ValueError(f"Unknown stage {stage!r}")


def _register_duplicates() -> QuerySet:
    """Return the reduced serials held by more than one asset of the register."""
    return (
        Asset.objects.annotate(reduced=serial_reduce_sql(F("serial")))
        .order_by()
        .values("reduced")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("reduced")
    )


def _declared_excess() -> QuerySet:
    """Return the ids of assets registered after their line's declared number was reached."""
    return (
        Asset.objects.filter(handover_set__isnull=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("handover_set_id"), F("asset_model__category_id")],
                order_by=[F("created_at").asc(), F("pk").asc()],
            ),
            declared=Subquery(
                HandoverSetLine.objects.filter(
                    handover_set_id=OuterRef("handover_set_id"),
                    category_id=OuterRef("asset_model__category_id"),
                ).values("declared_quantity")[:1]
            ),
        )
        .filter(rank__gt=F("declared"))
        .values_list("pk", flat=True)
    )


def kind_q(kind: str) -> Q:
    """Return the condition of an asset-level discrepancy kind on the annotated queryset."""
    if kind == rules.NOT_DECLARED:
        return Q(declared_quantity__isnull=True) | Q(pk__in=_declared_excess())
    if kind == rules.SERIAL_DUPLICATE:
        register_serials = Asset.objects.annotate(reduced=serial_reduce_sql(F("serial"))).values(
            "reduced"
        )
        read_elsewhere = (
            ~Q(latest_read_reduced="")
            & ~Q(latest_read_reduced=F("serial_reduced"))
            & Q(latest_read_reduced__in=register_serials)
        )
        return Q(serial_reduced__in=_register_duplicates()) | read_elsewhere
    if kind == rules.OTHER_OFFICE:
        plan_breach = (
            Q(set_has_plan=True)
            & _at_field_office()
            & ~_in_transit()
            & (Q(planned__isnull=True) | Q(holds__gt=F("planned")))
        )
        return plan_breach | Q(latest_outcome=VerificationOutcome.FOUND_ELSEWHERE)
    if kind == rules.NO_SIGNED_ACT:
        return stage_q(rules.RECEIVED) & ~Q(status__in=rules.GONE_STATUSES) & Q(signed=False)
    if kind == rules.NOT_FOUND:
        return Q(latest_outcome=VerificationOutcome.NOT_FOUND)
    if kind == rules.LOST_RETIRED:
        return Q(status__in=rules.GONE_STATUSES)
    if kind == rules.VALUE_DIFFERENCE:
        return Q(value__isnull=True)
    if kind == rules.SERIAL_MISMATCH:
        return Q(latest_matches=False)
    raise ValueError(f"Unknown discrepancy kind {kind!r}")


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KindSummary:
    """One discrepancy kind on the report: how many, the first rows, and declared lines."""

    kind: str
    count: int
    assets: list[Asset]
    lines: list[rules.LineGap]

    @property
    def label(self) -> str:
        return str(rules.KIND_LABELS[self.kind])

    @property
    def has_assets(self) -> bool:
        return self.kind in rules.ASSET_KINDS

    @property
    def size(self) -> int:
        """Return how many findings: assets (devices for a count gap) plus declared lines."""
        if self.kind == rules.NOT_REGISTERED:
            return self.count
        return self.count + len(self.lines)


@dataclass(frozen=True)
class Report:
    """Everything the reconciliation page, the printable page and the workbook show."""

    filters: ReportFilters
    national: bool
    handover_sets: list[HandoverSet]
    categories: list[Category]
    rows: list[rules.Row]
    total: rules.Funnel
    totals: rules.Totals | None
    kinds: list[KindSummary]

    @property
    def stages(self) -> tuple[str, ...]:
        return rules.STAGES

    def kind(self, key: str) -> KindSummary | None:
        return next((summary for summary in self.kinds if summary.kind == key), None)


def _offices() -> dict[int, Office]:
    offices = Office.objects.select_related("region").only(
        "code",
        "kind",
        "name_en",
        "name_ru",
        "name_tg",
        "region__code",
        "region__sort_order",
        "region__name_en",
        "region__name_ru",
        "region__name_tg",
    )
    return {office.pk: office for office in offices}


def reconciliation_report(*, user, filters: ReportFilters, first_rows: int = FIRST_ROWS) -> Report:
    """Return the reconciliation report for the user: funnel breakdown, totals, discrepancies.

    A fixed number of queries, whatever the number of assets: sets, categories, offices,
    declared lines, plan lines, the seven of ``funnel_data``, then, only when there are
    discrepancies, one for the first rows of every kind, one naming the twins of serial
    duplicates among them, and one finding the assets beyond an exceeded declared line.
    """
    national = sees_whole_country(user)
    handover_sets = list(
        report_handover_sets().filter(pk=filters.handover_set.pk)
        if filters.handover_set
        else report_handover_sets()
    )
    set_ids = [handover_set.pk for handover_set in handover_sets]
    categories = list(Category.objects.all())
    offices = _offices()
    declared = {
        (set_id, category_id): (quantity, value)
        for set_id, category_id, quantity, value in HandoverSetLine.objects.filter(
            handover_set_id__in=set_ids
        ).values_list("handover_set_id", "category_id", "declared_quantity", "declared_value")
    }
    planned = {
        (set_id, office_id, category_id): quantity
        for set_id, office_id, category_id, quantity in DistributionPlanLine.objects.filter(
            handover_set_id__in=set_ids,
            office_id__in=scope_offices(user, Office.objects.all()).values("pk"),
        ).values_list("handover_set_id", "office_id", "category_id", "planned_quantity")
    }
    data = funnel_data(user=user, filters=filters, offices=offices)
    groups = data.groups
    region_id = filters.region.pk if filters.region else None
    result = rules.rollup(
        groups=groups,
        handover_sets=handover_sets,
        categories=categories,
        offices=offices,
        declared=declared if national else {},
        planned=planned,
        region_id=region_id,
    )
    totals = None
    rows = result.rows
    if national:
        registered = rules.Figure()
        for group in groups:
            registered.add(group.quantity, group.value)
        totals = rules.Totals(
            declared_quantity=sum(quantity for quantity, _value in declared.values()),
            declared_value=sum(
                (handover_set.declared_value for handover_set in handover_sets), Decimal("0")
            ),
            registered_quantity=registered.quantity,
            registered_value=registered.value or Decimal("0"),
        )
    else:
        for row in _walk(rows):
            row.declared = None  # national figures are not shown to a scoped user

    # The assets of each kind, as (tag, id): first rows are the smallest tags.
    tags = data.tags
    members: dict[str, list[tuple[str, int]]] = {
        kind: [
            (tags[pk], pk)
            for pk in heapq.nsmallest(
                first_rows,
                (pk for group in kind_groups for pk in group.members),
                key=tags.__getitem__,
            )
        ]
        for kind, kind_groups in result.kind_groups.items()
    }
    region_of = {pk: office.region_id for pk, office in offices.items()}
    members[rules.SERIAL_DUPLICATE] = [
        (tag, pk)
        for pk, (tag, office_id) in data.duplicates.items()
        if region_id is None or region_of.get(office_id) == region_id
    ]
    counts = dict(result.counts)
    counts[rules.SERIAL_DUPLICATE] = len(members[rules.SERIAL_DUPLICATE])
    if national and first_rows:
        members[rules.NOT_DECLARED] += _declared_excess_members(result.lines)

    first: dict[str, list[int]] = {}
    for kind in rules.ASSET_KINDS:
        if first_rows and not (kind in rules.NATIONAL_KINDS and not national):
            first[kind] = [pk for _tag, pk in heapq.nsmallest(first_rows, members.get(kind, []))]
    loaded = _first_rows(
        user=user,
        filters=filters,
        ids={pk for pks in first.values() for pk in pks},
        twins_for=set(first.get(rules.SERIAL_DUPLICATE, ())),
        data=data,
    )

    kinds = []
    for kind in rules.KINDS:
        if kind in rules.NATIONAL_KINDS and not national:
            continue
        lines = rules.line_kind_rows(result.lines, kind)
        count = counts.get(kind, 0)
        if kind == rules.NOT_REGISTERED:
            count = sum(line.gap for line in lines)  # devices missing, not lines
        assets = [loaded[pk] for pk in first.get(kind, []) if pk in loaded]
        kinds.append(KindSummary(kind=kind, count=count, assets=assets, lines=lines))
    return Report(
        filters=filters,
        national=national,
        handover_sets=handover_sets,
        categories=categories,
        rows=rows,
        total=result.total,
        totals=totals,
        kinds=kinds,
    )


def _declared_excess_members(lines: Iterable[rules.LineGap]) -> list[tuple[str, int]]:
    """Return (tag, id) of assets registered after their line's declared number was reached.

    One query, only when a declared line has more registered than declared.
    """
    over = {
        (line.handover_set.pk, line.category.pk): line.declared_quantity
        for line in lines
        if line.gap < 0
    }
    if not over:
        return []
    condition = Q()
    for set_id, category_id in over:
        condition |= Q(handover_set_id=set_id, asset_model__category_id=category_id)
    seen: dict[tuple[int, int], int] = {}
    excess = []
    for pk, tag, set_id, category_id in (
        Asset.objects.filter(condition)
        .order_by("created_at", "pk")
        .values_list("pk", "tag", "handover_set_id", "asset_model__category_id")
    ):
        key = (set_id, category_id)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > over[key]:
            excess.append((tag, pk))
    return excess


def serial_twins_attach(assets: list[Asset]) -> None:
    """Set ``twin_tag`` and ``read_twin_tag`` on each asset: another asset with that serial.

    ``twin_tag`` shares the asset's register serial, ``read_twin_tag`` has the serial read in
    its latest verification (both reduced). One query for the whole list (none if empty):
    a correlated lookup per row would reduce every serial of the register once per row.
    """
    if not assets:
        return
    wanted = {rules.serial_reduce(asset.serial) for asset in assets}
    wanted |= {rules.serial_reduce(asset.latest_read) for asset in assets if asset.latest_read}
    wanted.discard("")
    owners: dict[str, list[tuple[int, str]]] = {}
    for reduced, pk, tag in (
        Asset.objects.annotate(reduced=serial_reduce_sql(F("serial")))
        .filter(reduced__in=sorted(wanted))
        .values_list("reduced", "pk", "tag")
        .order_by("tag")
    ):
        owners.setdefault(reduced, []).append((pk, tag))

    def other(reduced: str, pk: int) -> str | None:
        return next((tag for owner, tag in owners.get(reduced, ()) if owner != pk), None)

    for asset in assets:
        asset.twin_tag = other(rules.serial_reduce(asset.serial), asset.pk)
        read = rules.serial_reduce(asset.latest_read) if asset.latest_read else ""
        asset.read_twin_tag = other(read, asset.pk) if read else None


def _first_rows(
    *, user, filters: ReportFilters, ids: set[int], twins_for: set[int], data: FunnelData
) -> dict[int, Asset]:
    """Return the given assets annotated for every kind's reason, in one query (none if none).

    The twins of the serial duplicates among them (``twins_for``) are named from ``data``;
    one more query reads the tags of twins outside the population, when there are any.
    """
    if not ids:
        return {}
    history = Asset.history.model.objects.filter(id=OuterRef("pk")).order_by(
        "-history_date", "-history_id"
    )
    assets = list(
        _annotated(user=user, filters=filters, national=True)
        .filter(pk__in=sorted(ids))
        .annotate(status_reason=Subquery(history.values("history_change_reason")[:1]))
    )
    twins = [asset for asset in assets if asset.pk in twins_for]
    wanted = {data.twin_of.get(a.pk) for a in twins} | {data.read_twin_of.get(a.pk) for a in twins}
    wanted.discard(None)
    tags = {pk: data.tags[pk] for pk in wanted if pk in data.tags}
    if wanted - tags.keys():
        tags.update(Asset.objects.filter(pk__in=wanted - tags.keys()).values_list("pk", "tag"))
    for asset in twins:
        asset.twin_tag = tags.get(data.twin_of.get(asset.pk))
        asset.read_twin_tag = tags.get(data.read_twin_of.get(asset.pk))
    return {asset.pk: asset for asset in assets}


def _walk(rows: Iterable[rules.Row]):
    for row in rows:
        yield row
        yield from _walk(row.children)


def rows_flat(rows: Iterable[rules.Row], level: str) -> list[rules.Row]:
    """Return the rows of one level of the breakdown, in the tree's order."""
    return [row for row in _walk(rows) if row.level == level]


# --- the assets behind a figure -------------------------------------------------------------


@dataclass(frozen=True)
class AssetSelection:
    """Which figure's assets a list shows: the breakdown cell and a stage or a kind."""

    category_id: int | None = None
    region_id: int | None = None  # 0: no region
    office_id: int | None = None  # 0: no office
    stage: str | None = None
    kind: str | None = None


def _attributed_in(offices_q: Q) -> Q:
    """Return a condition: the attributed office (transfer destination in transit) matches."""
    office_ids = Office.objects.filter(offices_q).values("pk")
    return Q(transit_to__in=office_ids) | Q(transit_to__isnull=True, office_id__in=office_ids)


def _narrow(assets: QuerySet[Asset], *, category_id, region_id, office_id) -> QuerySet[Asset]:
    if category_id:
        assets = assets.filter(asset_model__category_id=category_id)
    if office_id is not None:
        if office_id == 0:
            assets = assets.filter(transit_to__isnull=True, office__isnull=True)
        else:
            assets = assets.filter(_attributed_in(Q(pk=office_id)))
    if region_id is not None:
        if region_id == 0:
            assets = assets.filter(transit_to__isnull=True, office__isnull=True)
        else:
            assets = assets.filter(_attributed_in(Q(region_id=region_id)))
    return assets


def discrepancy_queryset(*, user, filters: ReportFilters, kind: str) -> QuerySet[Asset]:
    """Return the assets of one discrepancy kind, annotated for their reasons, in tag order.

    National kinds cover the whole country (a region does not narrow them); the others follow
    the region filter like the breakdown.
    """
    national = kind in rules.NATIONAL_KINDS
    if national and not sees_whole_country(user):
        return Asset.objects.none()
    assets = _annotated(
        user=user, filters=filters, national=national, with_plan=kind == rules.OTHER_OFFICE
    ).filter(kind_q(kind))
    # The twins of serial duplicates are named by serial_twins_attach (one query per page).
    if kind == rules.LOST_RETIRED:
        history = Asset.history.model.objects.filter(id=OuterRef("pk")).order_by(
            "-history_date", "-history_id"
        )
        assets = assets.annotate(
            status_reason=Subquery(history.values("history_change_reason")[:1])
        )
    if filters.region is not None and not national:
        assets = _narrow(assets, category_id=None, region_id=filters.region.pk, office_id=None)
    return assets.order_by("tag")


def selection_queryset(
    *, user, filters: ReportFilters, selection: AssetSelection
) -> QuerySet[Asset]:
    """Return the assets behind one figure of the report (a stage of a cell, or a kind)."""
    if selection.kind:
        assets = discrepancy_queryset(user=user, filters=filters, kind=selection.kind)
    else:
        assets = _annotated(user=user, filters=filters, with_plan=False).filter(
            stage_q(selection.stage or rules.REGISTERED)
        )
        if filters.region is not None:
            assets = _narrow(assets, category_id=None, region_id=filters.region.pk, office_id=None)
    return _narrow(
        assets,
        category_id=selection.category_id,
        region_id=selection.region_id,
        office_id=selection.office_id,
    ).order_by("tag")
