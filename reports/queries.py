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

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
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
from django.utils import timezone
from django.utils.translation import gettext as _

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
from inventory.models import (
    Asset,
    AssetModel,
    Category,
    HandoverSet,
    HandoverSetLine,
    Office,
    Region,
)
from monitoring.choices import FaultCategory, Health, RepairStatus
from monitoring.models import MonitoredDevice, PollOutcome, RepairTicket, SupplyForecast
from reports import consumables
from reports import operations as ops
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


# =================================================================================================
# Operations reports (issue 8): fleet health and repairs. Rules in reports.operations.
# =================================================================================================


# Devices not seen by the poller that the fleet-health page lists; the workbook has them all.
NOT_SEEN_ROWS = 100
# Warranty claims the repairs page lists; the workbook has them all.
WARRANTY_ROWS = 100


def report_categories() -> QuerySet[Category]:
    """Return the categories a report can be limited to, in the catalogue's order."""
    return Category.objects.order_by("sort_order", "code")


@dataclass(frozen=True)
class FleetFilters:
    """What the fleet-health report covers, and after how many days silence counts."""

    region: Region | None = None
    category: Category | None = None
    handover_set: HandoverSet | None = None
    days: int = ops.NOT_SEEN_DAYS_DEFAULT


@dataclass
class FleetRow:
    """One row of a fleet-health table: a category, a region or an office, and its counts."""

    label: str
    counts: ops.FleetCounts
    # What the asset list filters by for this row ("category", "region", "office" → id).
    params: dict[str, int]
    code: str = ""  # an office's code
    region: str = ""  # an office's region


@dataclass(frozen=True)
class NotSeenDevice:
    """A polled device the poller has not heard from for the report's number of days."""

    asset_id: int
    tag: str
    model: str
    category: str
    office: str
    region: str
    last_reachable_at: dt.datetime | None
    days: int | None  # None: never answered


@dataclass
class FleetHealthReport:
    """Everything the fleet-health page and workbook show."""

    filters: FleetFilters
    by_category: list[FleetRow]
    by_region: list[FleetRow]
    by_office: list[FleetRow]
    total: ops.FleetCounts
    not_seen: list[NotSeenDevice]
    not_seen_count: int
    now: dt.datetime


def fleet_assets(*, user, filters: FleetFilters) -> QuerySet[Asset]:
    """Return the assets the fleet-health report counts: in scope, narrowed by the filters."""
    assets = scope_assets(user, Asset.objects.all())
    if filters.region is not None:
        assets = assets.filter(office__region=filters.region)
    if filters.category is not None:
        assets = assets.filter(asset_model__category=filters.category)
    if filters.handover_set is not None:
        assets = assets.filter(handover_set=filters.handover_set)
    return assets


def fleet_state_expression() -> Case:
    """Return the SQL of ``ops.fleet_state`` for an asset row (one state per asset)."""
    open_repair = Exists(
        RepairTicket.objects.filter(asset_id=OuterRef("pk"), stops_work=True).exclude(
            status__in=REPAIR_DONE_STATUSES
        )
    )
    down = Exists(
        MonitoredDevice.objects.filter(asset_id=OuterRef("pk"), enabled=True, health=Health.DOWN)
    )
    return Case(
        When(status=AssetStatus.LOST, then=Value(ops.LOST)),
        When(status=AssetStatus.RETIRED, then=Value(ops.RETIRED)),
        When(status=AssetStatus.IN_REPAIR, then=Value(ops.IN_REPAIR)),
        When(open_repair, then=Value(ops.IN_REPAIR)),
        When(status=AssetStatus.IN_STOCK, then=Value(ops.IN_STOCK)),
        When(status=AssetStatus.IN_TRANSIT, then=Value(ops.IN_TRANSIT)),
        When(down, then=Value(ops.UNREACHABLE)),
        default=Value(ops.WORKING),
        output_field=CharField(),
    )


def fleet_groups(*, user, filters: FleetFilters) -> list[ops.FleetGroup]:
    """Return the assets counted per category, office and state (one grouped query)."""
    rows = (
        fleet_assets(user=user, filters=filters)
        .annotate(state=fleet_state_expression())
        .values("asset_model__category_id", "office__region_id", "office_id", "state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return [
        ops.FleetGroup(
            category_id=row["asset_model__category_id"],
            region_id=row["office__region_id"],
            office_id=row["office_id"],
            state=row["state"],
            count=row["count"],
        )
        for row in rows
    ]


def not_seen_devices(*, user, filters: FleetFilters, now: dt.datetime) -> QuerySet[MonitoredDevice]:
    """Return the polled devices silent for ``filters.days`` days or more (or never heard)."""
    cutoff = now - dt.timedelta(days=filters.days)
    return MonitoredDevice.objects.filter(
        Q(last_reachable_at__lt=cutoff) | Q(last_reachable_at__isnull=True),
        enabled=True,
        asset__in=fleet_assets(user=user, filters=filters),
    )


def fleet_health_report(
    *, user, filters: FleetFilters, first_rows: int | None = NOT_SEEN_ROWS
) -> FleetHealthReport:
    """Return the fleet-health report: per category, region and office, and devices not seen.

    Five queries whatever the fleet's size: the grouped counts, the categories, the offices
    named, the silent devices' number and their rows (``first_rows`` of them; None: all).
    """
    now = timezone.now()
    groups = fleet_groups(user=user, filters=filters)
    categories = {category.pk: category for category in report_categories()}
    office_ids = {group.office_id for group in groups if group.office_id is not None}
    offices = {
        office.pk: office
        for office in Office.objects.filter(pk__in=office_ids).select_related("region")
    }
    no_office, no_region = _("No office"), _("No region")

    by_category = []
    for category_id, counts in ops.fleet_rollup(groups, lambda g: g.category_id).items():
        category = categories.get(category_id)
        by_category.append(
            (
                (category.sort_order, category.code) if category else (0, ""),
                FleetRow(
                    label=str(category) if category else "—",
                    counts=counts,
                    params={"category": category_id},
                ),
            )
        )
    regions = {office.region_id: office.region for office in offices.values()}
    by_region = []
    for region_id, counts in ops.fleet_rollup(groups, lambda g: g.region_id).items():
        region = regions.get(region_id)
        params = {"region": region_id} if region_id is not None else {}
        by_region.append(
            (
                (0, region.sort_order, region.name) if region else (1, 0, ""),
                FleetRow(label=str(region) if region else no_region, counts=counts, params=params),
            )
        )
    by_office = []
    for office_id, counts in ops.fleet_rollup(groups, lambda g: g.office_id).items():
        office = offices.get(office_id)
        if office is None:
            key = (1, 0, "", "")
            row = FleetRow(label=no_office, counts=counts, params={}, region=no_region)
        else:
            key = (0, office.region.sort_order, office.region.name, office.name)
            row = FleetRow(
                label=office.name,
                counts=counts,
                params={"office": office_id},
                code=office.code,
                region=str(office.region),
            )
        by_office.append((key, row))

    devices = not_seen_devices(user=user, filters=filters, now=now)
    listed = devices.select_related(
        "asset__asset_model__manufacturer", "asset__asset_model__category", "asset__office__region"
    ).order_by(F("last_reachable_at").asc(nulls_first=True), "asset__tag")
    if first_rows is not None:
        listed = listed[:first_rows]
    not_seen = [
        NotSeenDevice(
            asset_id=device.asset_id,
            tag=device.asset.tag,
            model=str(device.asset.asset_model),
            category=str(device.asset.asset_model.category),
            office=device.asset.office.name if device.asset.office else "",
            region=str(device.asset.office.region) if device.asset.office else "",
            last_reachable_at=device.last_reachable_at,
            days=ops.days_since(device.last_reachable_at, now=now),
        )
        for device in listed
    ]
    return FleetHealthReport(
        filters=filters,
        by_category=[row for _key, row in sorted(by_category, key=lambda item: item[0])],
        by_region=[row for _key, row in sorted(by_region, key=lambda item: item[0])],
        by_office=[row for _key, row in sorted(by_office, key=lambda item: item[0])],
        total=ops.fleet_total(groups),
        not_seen=not_seen,
        not_seen_count=len(not_seen) if first_rows is None else devices.count(),
        now=now,
    )


@dataclass(frozen=True)
class RepairFilters:
    """The period a repairs report covers (local dates, both included), a region, a category."""

    date_from: dt.date
    date_to: dt.date
    region: Region | None = None
    category: Category | None = None

    @property
    def start(self) -> dt.datetime:
        """Return the period's first moment: midnight starting ``date_from`` in Dushanbe."""
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> dt.datetime:
        """Return the moment after the period: midnight ending ``date_to`` in Dushanbe."""
        return dt.datetime.combine(
            self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
        )


def repair_filters_default() -> RepairFilters:
    """Return the repairs report's filters when none are chosen: the last 12 months."""
    date_from, date_to = ops.period_default(timezone.localdate())
    return RepairFilters(date_from=date_from, date_to=date_to)


@dataclass
class FaultRow:
    """One row of a faults table: a model or a category, and its tickets per fault."""

    label: str
    counts: ops.FaultCounts
    category: str = ""  # a model's category


@dataclass
class RepairTimeRow:
    """How long repairs took for one category (or fault), and how many were beyond repair."""

    label: str
    time: ops.RepairTime
    beyond_repair: int


@dataclass
class DowntimeRow:
    """An office's downtime in the period: tickets that stopped work there, and their time."""

    office_id: int | None
    label: str
    code: str
    region: str
    tickets: int
    downtime: dt.timedelta


@dataclass
class RepeatFailure:
    """An asset that failed again within the window, with those tickets (oldest first)."""

    asset: Asset
    tickets: list[RepairTicket]


@dataclass
class RepairsReport:
    """Everything the repairs page and workbook show."""

    filters: RepairFilters
    now: dt.datetime
    faults: list[str]  # the faults that occur, in the choices' order
    total: ops.FaultCounts
    by_fault: list[tuple[str, str, ops.FaultCounts, ops.RepairTime]]  # fault, label, …
    by_category: list[FaultRow]
    by_model: list[FaultRow]
    repair_time: ops.RepairTime
    repair_time_by_category: list[RepairTimeRow]
    downtime: list[DowntimeRow]  # most down first
    warranty_claims: list[RepairTicket]
    repeat_failures: list[RepeatFailure]

    @property
    def downtime_total(self) -> dt.timedelta:
        return sum((row.downtime for row in self.downtime), dt.timedelta(0))

    @property
    def fault_labels(self) -> list[str]:
        labels = dict(FaultCategory.choices)
        return [str(labels.get(fault, fault)) for fault in self.faults]


def repair_tickets(*, user, filters: RepairFilters) -> QuerySet[RepairTicket]:
    """Return the tickets in the user's scope on assets of the region and category chosen."""
    tickets = RepairTicket.objects.all()
    if not sees_whole_country(user):
        tickets = tickets.filter(asset__in=scope_assets(user, Asset.objects.all()))
    if filters.region is not None:
        tickets = tickets.filter(asset__office__region=filters.region)
    if filters.category is not None:
        tickets = tickets.filter(asset__asset_model__category=filters.category)
    return tickets


def repair_tickets_reported(*, user, filters: RepairFilters) -> QuerySet[RepairTicket]:
    """Return the tickets reported in the period (what faults, times and claims count)."""
    return repair_tickets(user=user, filters=filters).filter(
        reported_at__gte=filters.start, reported_at__lt=filters.end
    )


def _ticket_rows(tickets: QuerySet[RepairTicket]) -> QuerySet[RepairTicket]:
    return tickets.select_related(
        "asset__asset_model__manufacturer", "asset__asset_model__category", "asset__office__region"
    )


def repairs_report(
    *, user, filters: RepairFilters, first_rows: int | None = WARRANTY_ROWS
) -> RepairsReport:
    """Return the repairs report for the period: faults, times to repair, downtime, claims.

    Eight queries whatever the number of tickets: the tickets grouped by model, fault,
    status and claim; the categories; the models named; the resolved tickets' times; the
    downtime tickets; their offices; the warranty claims (``first_rows``; None: all); the
    repeat failures.
    """
    now = timezone.now()
    reported = repair_tickets_reported(user=user, filters=filters).order_by()
    groups = [
        ops.FaultGroup(
            model_id=row["asset__asset_model_id"],
            category_id=row["asset__asset_model__category_id"],
            fault=row["fault"],
            status=row["status"],
            warranty_claim=row["warranty_claim"],
            count=row["count"],
        )
        for row in reported.values(
            "asset__asset_model_id",
            "asset__asset_model__category_id",
            "fault",
            "status",
            "warranty_claim",
        ).annotate(count=Count("pk"))
    ]
    categories = {category.pk: category for category in report_categories()}
    model_ids = {group.model_id for group in groups}
    models = {
        model.pk: model
        for model in AssetModel.objects.filter(pk__in=model_ids).select_related("manufacturer")
    }
    fault_labels = dict(FaultCategory.choices)
    faults = ops.faults_seen(groups, FaultCategory.values)

    # Times to repair, of the tickets reported in the period and resolved.
    durations: dict[str, list[dt.timedelta]] = {}
    by_category_durations: dict[int | None, list[dt.timedelta]] = {}
    for category_id, fault, reported_at, resolved_at in reported.filter(
        status=RepairStatus.RESOLVED, resolved_at__isnull=False
    ).values_list("asset__asset_model__category_id", "fault", "reported_at", "resolved_at"):
        duration = ops.time_to_repair(reported_at, resolved_at)
        durations.setdefault(fault, []).append(duration)
        by_category_durations.setdefault(category_id, []).append(duration)

    def category_order(category_id):
        category = categories.get(category_id)
        return (category.sort_order, category.code) if category else (0, "")

    by_category_counts = ops.fault_rollup(groups, lambda g: g.category_id)
    by_category = [
        FaultRow(label=str(categories.get(category_id) or "—"), counts=counts)
        for category_id, counts in sorted(
            by_category_counts.items(), key=lambda item: category_order(item[0])
        )
    ]
    by_model = [
        FaultRow(
            label=str(models[model_id]) if model_id in models else "—",
            counts=counts,
            category=str(categories.get(models[model_id].category_id) or "")
            if model_id in models
            else "",
        )
        for model_id, counts in ops.fault_rollup(groups, lambda g: g.model_id).items()
    ]
    by_model.sort(key=lambda row: (-row.counts.total, row.label))
    by_fault_counts = ops.fault_rollup(groups, lambda g: g.fault)
    by_fault = [
        (
            fault,
            str(fault_labels.get(fault, fault)),
            by_fault_counts[fault],
            ops.repair_time(durations.get(fault, [])),
        )
        for fault in faults
    ]
    all_durations = [duration for values in durations.values() for duration in values]
    repair_time_by_category = [
        RepairTimeRow(
            label=row.label,
            time=ops.repair_time(by_category_durations.get(category_id, [])),
            beyond_repair=counts.beyond_repair,
        )
        for row, (category_id, counts) in zip(
            by_category,
            sorted(by_category_counts.items(), key=lambda item: category_order(item[0])),
            strict=True,
        )
    ]

    # Downtime: tickets that stop work and overlap the period, clipped to it, per office.
    start, end = filters.start, filters.end
    per_office: dict[int | None, list] = {}
    for office_id, reported_at, resolved_at in (
        repair_tickets(user=user, filters=filters)
        .filter(stops_work=True, reported_at__lt=min(end, now))
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=start))
        .values_list("asset__office_id", "reported_at", "resolved_at")
        .order_by()
    ):
        down = ops.downtime_clipped(
            reported_at=reported_at, resolved_at=resolved_at, start=start, end=end, now=now
        )
        if down:
            entry = per_office.setdefault(office_id, [0, dt.timedelta(0)])
            entry[0] += 1
            entry[1] += down
    offices = {
        office.pk: office
        for office in Office.objects.filter(pk__in=[pk for pk in per_office if pk]).select_related(
            "region"
        )
    }
    downtime = []
    for office_id, (count, down) in per_office.items():
        office = offices.get(office_id)
        downtime.append(
            DowntimeRow(
                office_id=office_id if office else None,
                label=office.name if office else _("No office"),
                code=office.code if office else "",
                region=str(office.region) if office else "",
                tickets=count,
                downtime=down,
            )
        )
    downtime.sort(key=lambda row: (-row.downtime, row.label))

    claims = _ticket_rows(reported.filter(warranty_claim=True)).order_by("-reported_at", "-pk")
    if first_rows is not None:
        claims = claims[:first_rows]

    # Repeat failures: tickets of the assets with two or more in the period.
    again = reported.values("asset_id").annotate(count=Count("pk")).filter(count__gte=2)
    candidates = list(
        _ticket_rows(reported.filter(asset_id__in=again.values("asset_id"))).order_by(
            "reported_at", "pk"
        )
    )
    tickets = {ticket.pk: ticket for ticket in candidates}
    repeats = ops.repeat_failures(
        ops.TicketPoint(asset_id=t.asset_id, ticket_id=t.pk, reported_at=t.reported_at)
        for t in candidates
    )
    repeat_failures = [
        RepeatFailure(
            asset=tickets[points[0].ticket_id].asset,
            tickets=[tickets[point.ticket_id] for point in points],
        )
        for points in repeats.values()
    ]

    return RepairsReport(
        filters=filters,
        now=now,
        faults=faults,
        total=ops.fault_rollup(groups, lambda g: None).get(None, ops.FaultCounts()),
        by_fault=by_fault,
        by_category=by_category,
        by_model=by_model,
        repair_time=ops.repair_time(all_durations),
        repair_time_by_category=repair_time_by_category,
        downtime=downtime,
        warranty_claims=list(claims),
        repeat_failures=repeat_failures,
    )


# =================================================================================================
# Operations reports (issue 8): consumables forecast and usage. Rules in reports.consumables.
# =================================================================================================


# Categories the usage report counts pages of: printed (printers), scanned (scanners).
USAGE_CATEGORIES = ("printer", "scanner")
# Forecast rows per page of the consumables report; the workbook has them all.
FORECAST_ROWS = 100


def _assets_in_scope(user, queryset: QuerySet, *, asset: str) -> QuerySet:
    """Return the rows of ``queryset`` whose asset (reached by ``asset``) the user may see."""
    if sees_whole_country(user):
        return queryset
    return queryset.filter(**{f"{asset}__in": scope_assets(user, Asset.objects.all()).values("pk")})


def report_offices(*, user) -> QuerySet[Office]:
    """Return the offices the user may filter a report by, by code."""
    return scope_offices(user, Office.objects.select_related("region")).order_by("code")


def _region_order(region: Region | None) -> tuple:
    """Return a sort key: regions in their order, no region last."""
    return (1, 0, "") if region is None else (0, region.sort_order, region.code)


@dataclass(frozen=True)
class ConsumablesFilters:
    """Which forecasts the consumables report lists: where, how sure, how soon."""

    region: Region | None = None
    office: Office | None = None
    confidence: str = ""
    within_days: int | None = None


@dataclass
class ConsumablesReport:
    """The forecasts listed (a lazy query, paged by the view) and what to order.

    ``national``: every supply in the user's scope (the whole country for national users);
    ``regions``: per region (the chosen one only, when a region or office is chosen);
    ``office``: the chosen office's, when one is; ``offices``: every office's, when asked.
    """

    filters: ConsumablesFilters
    now: dt.datetime
    forecasts: QuerySet[SupplyForecast]
    national: consumables.OrderTable
    regions: list[tuple[Region | None, consumables.OrderTable]]
    office: consumables.OrderTable | None
    whole_country: bool
    offices: list[tuple[Office | None, consumables.OrderTable]] = field(default_factory=list)


def consumables_forecasts(
    *, user, filters: ConsumablesFilters, now: dt.datetime
) -> QuerySet[SupplyForecast]:
    """Return the stored forecasts in scope and filters, soonest run-out first.

    ``due`` is the run-out date, or NULL when the forecast has none or its latest level
    reading is older than ``consumables.STALE_DAYS`` (``stale``): those come last.
    """
    cutoff = consumables.stale_cutoff(now)
    forecasts = _assets_in_scope(user, SupplyForecast.objects.all(), asset="device__asset")
    if filters.region is not None:
        forecasts = forecasts.filter(device__asset__office__region=filters.region)
    if filters.office is not None:
        forecasts = forecasts.filter(device__asset__office=filters.office)
    forecasts = forecasts.annotate(
        stale=_flag(Q(level_at__lt=cutoff)),
        due=Case(
            When(level_at__lt=cutoff, then=Value(None)),
            default=F("runs_out"),
        ),
    )
    if filters.confidence:
        forecasts = forecasts.filter(confidence=filters.confidence, due__isnull=False)
    if filters.within_days is not None:
        forecasts = forecasts.filter(due__lte=now + dt.timedelta(days=filters.within_days))
    return forecasts.select_related(
        "device__asset__office__region", "device__asset__asset_model__manufacturer"
    ).order_by(F("due").asc(nulls_last=True), "device__asset__tag", "supply_index")


def consumables_supply_rows(*, user, now: dt.datetime) -> Iterator[consumables.SupplyRow]:
    """Yield every stored forecast in the user's scope as the order rule reads it (one
    streamed query). Whether the level is stale is worked out here, in SQL: a stale row's
    run-out date is not read (datetimes are slow to read on SQLite)."""
    cutoff = consumables.stale_cutoff(now)
    rows = (
        _assets_in_scope(user, SupplyForecast.objects.all(), asset="device__asset")
        .order_by()
        .values_list(
            "device__asset__office_id",
            "device__asset__office__region_id",
            "description",
            "device__asset__asset_model__name",
            Case(When(level_at__lt=cutoff, then=Value(None)), default=F("runs_out")),
            "percent_per_day",
            "reason",
            _flag(Q(level_at__lt=cutoff)),
        )
    )
    return map(consumables.SupplyRow._make, rows.iterator(chunk_size=5000))


def consumables_report(
    *, user, filters: ConsumablesFilters, now: dt.datetime | None = None, by_office: bool = False
) -> ConsumablesReport:
    """Return the consumables forecast report: three queries (every forecast in scope for the
    orders, the regions, and the forecasts listed when the caller reads them); one more for
    the offices' names ``by_office``."""
    now = now or timezone.now()
    orders = consumables.orders(consumables_supply_rows(user=user, now=now), now=now)
    wanted = filters.region or (filters.office.region if filters.office else None)
    regions = []
    if orders.regions:
        names = {region.pk: region for region in report_regions(user=user)}
        regions = sorted(
            (
                (names.get(region_id), table)
                for region_id, table in orders.regions.items()
                if wanted is None or region_id == wanted.pk
            ),
            key=lambda item: _region_order(item[0]),
        )
    office = None
    if filters.office is not None:
        office = orders.offices.get(filters.office.pk) or consumables.OrderTable(
            key=filters.office.pk, lines=[]
        )
    offices = []
    if by_office:
        names = Office.objects.select_related("region").in_bulk([pk for pk in orders.offices if pk])
        offices = sorted(
            ((names.get(pk), table) for pk, table in orders.offices.items()),
            key=lambda item: (
                *_region_order(item[0].region if item[0] else None),
                item[0].code if item[0] else "",
            ),
        )
    return ConsumablesReport(
        filters=filters,
        now=now,
        forecasts=consumables_forecasts(user=user, filters=filters, now=now),
        national=orders.national,
        regions=regions,
        office=office,
        whole_country=sees_whole_country(user),
        offices=offices,
    )


class ForecastExport(NamedTuple):
    """One listed forecast, as the workbook writes it."""

    tag: str
    office_id: int | None
    manufacturer: str
    model: str
    description: str
    level: float | None
    level_at: dt.datetime | None
    runs_out: dt.datetime | None
    earliest: dt.datetime | None
    latest: dt.datetime | None
    confidence: str
    method: str
    reason: str


def consumables_export_rows(report: ConsumablesReport) -> Iterator[ForecastExport]:
    """Yield the forecasts the report lists, all of them, as plain values (one streamed
    query: model instances of five tables per row take seconds for a national list)."""
    rows = report.forecasts.values_list(
        "device__asset__tag",
        "device__asset__office_id",
        "device__asset__asset_model__manufacturer__name",
        "device__asset__asset_model__name",
        "description",
        "level",
        "level_at",
        "runs_out",
        "earliest",
        "latest",
        "confidence",
        "method",
        "reason",
    )
    return map(ForecastExport._make, rows.iterator(chunk_size=5000))


# --- usage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageFilters:
    """Which devices' counters the usage report reads, and over which months."""

    first_month: dt.date
    last_month: dt.date
    region: Region | None = None
    office: Office | None = None
    category: str = "printer"  # one of USAGE_CATEGORIES


@dataclass(frozen=True)
class UsageDevice:
    """A monitored printer or scanner whose page counter the usage report reads."""

    device_id: int
    asset_id: int
    tag: str
    model: str
    office: Office | None


@dataclass
class UsageReport:
    """Pages per office and month (and per device for scanners), with what was not counted."""

    filters: UsageFilters
    months: list[dt.date]
    by_office: consumables.UsageTable
    by_device: consumables.UsageTable
    devices: int  # monitored devices of the category in scope and filters
    not_counted: int  # of which no page-counter reading in or around the period


def usage_assets(*, user, filters: UsageFilters) -> QuerySet[Asset]:
    """Return the monitored assets of the category in scope and filters."""
    assets = scope_assets(
        user,
        Asset.objects.filter(
            monitoring__isnull=False, asset_model__category__code=filters.category
        ),
    )
    if filters.region is not None:
        assets = assets.filter(office__region=filters.region)
    if filters.office is not None:
        assets = assets.filter(office=filters.office)
    return assets


def usage_readings(
    *, device_ids: QuerySet, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[int, dt.datetime, int]]:
    """Yield ``(device id, polled at, page counter)`` of these devices, by device and time.

    The readings of [start, end), each device's last reading before ``start`` and its first
    at or after ``end``: one streamed query (the two boundary readings are found per device
    through the (device, -polled_at) index, in uncorrelated subqueries).
    """
    counted = PollOutcome.objects.filter(page_count__isnull=False)

    def boundary(condition: dict, order: str) -> QuerySet:
        return (
            MonitoredDevice.objects.filter(pk__in=device_ids)
            .annotate(
                reading=Subquery(
                    counted.filter(device_id=OuterRef("pk"), **condition)
                    .order_by(order)
                    .values("pk")[:1]
                )
            )
            .values("reading")
        )

    readings = (
        counted.filter(device_id__in=device_ids)
        .filter(
            Q(polled_at__gte=start, polled_at__lt=end)
            | Q(pk__in=boundary({"polled_at__lt": start}, "-polled_at"))
            | Q(pk__in=boundary({"polled_at__gte": end}, "polled_at"))
        )
        .order_by("device_id", "polled_at")
        .values_list("device_id", "polled_at", "page_count")
    )
    return readings.iterator(chunk_size=5000)


def usage_report(*, user, filters: UsageFilters, tz: dt.tzinfo | None = None) -> UsageReport:
    """Return pages per office and month from the page counters: three queries (devices,
    their offices, the readings), whatever the number of devices."""
    tz = tz or timezone.get_current_timezone()
    months = consumables.months_between(filters.first_month, filters.last_month)
    start, end = consumables.period_bounds(filters.first_month, filters.last_month, tz=tz)
    assets = usage_assets(user=user, filters=filters)
    rows = list(
        assets.order_by("tag").values_list(
            "monitoring__pk",
            "pk",
            "tag",
            "asset_model__manufacturer__name",
            "asset_model__name",
            "office_id",
        )
    )
    office_ids = {row[5] for row in rows if row[5] is not None}
    offices = Office.objects.select_related("region").in_bulk(office_ids) if office_ids else {}
    devices = {
        device_id: UsageDevice(
            device_id=device_id,
            asset_id=asset_id,
            tag=tag,
            model=f"{manufacturer} {model}",
            office=offices.get(office_id),
        )
        for device_id, asset_id, tag, manufacturer, model, office_id in rows
    }
    pages = consumables.device_month_pages(
        usage_readings(device_ids=assets.values("monitoring__pk"), start=start, end=end)
        if devices
        else (),
        months=months,
        tz=tz,
    )
    pages = {device_id: counts for device_id, counts in pages.items() if device_id in devices}

    def office_of(device_id: int) -> int | None:
        office = devices[device_id].office
        return office.pk if office else None

    by_office = consumables.usage_by(pages, months=months, key=office_of)
    for line in by_office.lines:
        line.label = offices.get(line.key)

    def office_order(line: consumables.UsageLine) -> tuple:
        office = line.label
        return (*_region_order(office.region if office else None), office.code if office else "")

    by_office.lines.sort(key=office_order)
    by_device = consumables.usage_by(pages, months=months, key=lambda device_id: device_id)
    for line in by_device.lines:
        line.label = devices[line.key]
    by_device.lines.sort(
        key=lambda line: (line.label.office.code if line.label.office else "~", line.label.tag)
    )
    return UsageReport(
        filters=filters,
        months=months,
        by_office=by_office,
        by_device=by_device,
        devices=len(devices),
        not_counted=len(devices) - len(pages),
    )
