"""Reads of the register used by views and reports. Each returns a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum, prefetch_related_objects
from django.utils.translation import gettext as _

from inventory.access import scope_assets, scope_offices, scope_regions
from inventory.choices import AssetStatus, Zone
from inventory.models import (
    Asset,
    AssetModel,
    Category,
    CRService,
    FundingSource,
    HandoverSet,
    HandoverSetLine,
    Office,
    Region,
)

HISTORY_LIMIT = 200

# Fields of an asset whose value is a row of another table, and that table.
_HISTORY_FOREIGN_KEYS = {"asset_model": AssetModel, "office": Office, "handover_set": HandoverSet}
_HISTORY_CHOICES = {"status": AssetStatus, "zone": Zone}
_HISTORY_HIDDEN = {"updated_at", "created_at", "id"}


def asset_queryset(*, user) -> QuerySet[Asset]:
    """Return the assets the user may see, with what a list or page shows joined in."""
    return scope_assets(
        user,
        Asset.objects.select_related(
            "asset_model__manufacturer",
            "asset_model__category",
            "office__region",
            "handover_set",
        ),
    )


def asset_get(*, user, pk: int) -> Asset:
    """Return one asset in the user's scope with its services, or raise Asset.DoesNotExist."""
    return asset_queryset(user=user).prefetch_related("services").get(pk=pk)


def asset_find_exact(*, user, text: str) -> Asset | None:
    """Return the asset whose tag or serial is exactly ``text`` (as normalised), if any."""
    from inventory.services import serial_normalise, tag_normalise

    serial = serial_normalise(text)
    tag = tag_normalise(text)
    if not serial:
        return None
    matches = list(
        scope_assets(user, Asset.objects.filter(Q(serial=serial) | Q(tag=tag))).only("pk")[:2]
    )
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: str
    reason: str
    kind: str  # "created", "changed"
    changes: list[FieldChange] = field(default_factory=list)

    @classmethod
    def from_record(cls, record, changes: list[FieldChange]) -> HistoryEntry:
        """Return the entry of a django-simple-history record, with the changes shown."""
        user = record.history_user
        return cls(
            when=record.history_date,
            who=(user.get_full_name() or user.get_username()) if user else _("system"),
            reason=record.history_change_reason or "",
            kind="created" if record.history_type == "+" else "changed",
            changes=changes,
        )


def _display(value: object, name: str, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "":
        return "—"
    if name in _HISTORY_CHOICES:
        choices = _HISTORY_CHOICES[name]
        return str(choices(value).label) if value in choices.values else str(value)
    if name in names:
        return names[name].get(value, f"#{value}")  # type: ignore[call-overload]
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _attname(name: str) -> str:
    return f"{name}_id" if name in _HISTORY_FOREIGN_KEYS else name


def asset_history(*, asset: Asset) -> list[HistoryEntry]:
    """Return the asset's history, newest first: who, when, why and what changed.

    Five queries whatever the length: the records, their service links, and the names of the
    offices, models, handover sets and services they mention.
    """
    records = list(
        asset.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    if not records:
        return []
    link_model = type(records[0])._meta.get_field("historicalasset_services").related_model
    links: dict[int, set[int]] = defaultdict(set)
    for history_id, service_id in link_model.objects.filter(
        history_id__in=[record.history_id for record in records]
    ).values_list("history_id", "crservice_id"):
        links[history_id].add(service_id)

    pairs = []
    referenced: dict[str, set[int]] = defaultdict(set)
    field_labels = {f.name: str(f.verbose_name) for f in Asset._meta.get_fields() if f.concrete}
    for index, record in enumerate(records[:HISTORY_LIMIT]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes: list[tuple[str, object, object]] = []
        if previous is not None and record.history_type != "+":
            delta = record.diff_against(
                previous, excluded_fields=["services"], foreign_keys_are_objs=False
            )
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        elif record.history_type == "+":
            changes = [
                (
                    name,
                    None,
                    getattr(record, f"{name}_id" if name in _HISTORY_FOREIGN_KEYS else name),
                )
                for name in ("asset_model", "status", "office", "zone", "handover_set")
            ]
        services_now = links.get(record.history_id, set())
        services_before = links.get(previous.history_id, set()) if previous else set()
        for name, old, new in changes:
            if name in _HISTORY_FOREIGN_KEYS:
                referenced[name].update(v for v in (old, new) if v is not None)
        referenced["services"].update(services_now | services_before)
        pairs.append((record, changes, services_before, services_now))

    names: dict[str, dict[int, str]] = {}
    for name, model in _HISTORY_FOREIGN_KEYS.items():
        qs = model.objects.filter(pk__in=referenced[name])
        if model is AssetModel:
            qs = qs.select_related("manufacturer")
        names[name] = {obj.pk: str(obj) for obj in qs}
    service_names = {s.pk: s.name for s in CRService.objects.filter(pk__in=referenced["services"])}

    entries = []
    for record, changes, services_before, services_now in pairs:
        shown = [
            FieldChange(
                label=field_labels.get(name, name),
                old=_display(old, name, names),
                new=_display(new, name, names),
            )
            for name, old, new in changes
            if name not in _HISTORY_HIDDEN and not (old in (None, "") and new in (None, ""))
        ]
        if services_now != services_before:
            shown.append(
                FieldChange(
                    label=field_labels["services"] if "services" in field_labels else _("services"),
                    old=", ".join(sorted(service_names.get(s, "?") for s in services_before))
                    or "—",
                    new=", ".join(sorted(service_names.get(s, "?") for s in services_now)) or "—",
                )
            )
        if record.history_type == "~" and not shown:
            continue
        entries.append(HistoryEntry.from_record(record, shown))
    return entries


@dataclass(frozen=True)
class CategoryLine:
    category: Category
    declared_quantity: int
    declared_value: Decimal
    registered_quantity: int
    registered_value: Decimal

    @property
    def quantity_gap(self) -> int:
        return self.registered_quantity - self.declared_quantity

    @property
    def value_gap(self) -> Decimal:
        return self.registered_value - self.declared_value

    @property
    def percent(self) -> int:
        if not self.declared_quantity:
            return 100 if self.registered_quantity else 0
        return min(100, round(100 * self.registered_quantity / self.declared_quantity))


@dataclass(frozen=True)
class CountLine:
    key: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class Dashboard:
    categories: list[CategoryLine]
    declared_quantity: int
    declared_value: Decimal
    registered_quantity: int
    registered_value: Decimal
    by_status: list[CountLine]
    by_region: list[CountLine]
    total_visible: int


def _count_lines(rows: list[tuple[str, str, int]]) -> list[CountLine]:
    top = max((count for _, _, count in rows), default=0) or 1
    return [CountLine(key, label, count, round(100 * count / top)) for key, label, count in rows]


def dashboard_figures(*, user) -> Dashboard:
    """Return declared vs registered per category, and assets by status and by region."""
    declared = {
        row["category"]: row
        for row in HandoverSetLine.objects.values("category").annotate(
            quantity=Sum("declared_quantity"), value=Sum("declared_value")
        )
    }
    # Grouped on the asset table alone (by model, then models to categories in Python):
    # a join per row costs more than the whole grouping on a large register.
    model_category = dict(AssetModel.objects.values_list("pk", "category"))
    registered: dict[int, dict[str, object]] = defaultdict(
        lambda: {"quantity": 0, "value": Decimal("0")}
    )
    for model_id, quantity, value in (
        Asset.objects.filter(handover_set__isnull=False)
        .values_list("asset_model")
        .annotate(quantity=Count("id"), value=Sum("value"))
        .order_by()
    ):
        line = registered[model_category[model_id]]
        line["quantity"] += quantity
        line["value"] += value or Decimal("0")
    lines = []
    for category in Category.objects.all():
        d = declared.get(category.pk, {})
        r = registered.get(category.pk, {})
        if not d and not r:
            continue
        lines.append(
            CategoryLine(
                category=category,
                declared_quantity=d.get("quantity") or 0,
                declared_value=d.get("value") or Decimal("0"),
                registered_quantity=r.get("quantity") or 0,
                registered_value=r.get("value") or Decimal("0"),
            )
        )

    # One pass over the user's assets by (status, office); offices map to regions in Python.
    office_region = dict(Office.objects.values_list("pk", "region"))
    status_counts: Counter[str] = Counter()
    region_counts: Counter[int | None] = Counter()
    for status, office_id, n in (
        scope_assets(user, Asset.objects.all())
        .values_list("status", "office")
        .annotate(n=Count("id"))
        .order_by()
    ):
        status_counts[status] += n
        region_counts[office_region.get(office_id)] += n
    by_status = _count_lines(
        [(s.value, str(s.label), status_counts.get(s.value, 0)) for s in AssetStatus]
    )
    regions = scope_regions(user, Region.objects.all())
    region_rows = [(str(r.pk), r.name, region_counts.get(r.pk, 0)) for r in regions]
    if region_counts.get(None):
        region_rows.append(("", _("No office"), region_counts[None]))
    return Dashboard(
        categories=lines,
        declared_quantity=sum(line.declared_quantity for line in lines),
        declared_value=sum((line.declared_value for line in lines), Decimal("0")),
        registered_quantity=sum(line.registered_quantity for line in lines),
        registered_value=sum((line.registered_value for line in lines), Decimal("0")),
        by_status=by_status,
        by_region=_count_lines(region_rows),
        total_visible=sum(status_counts.values()),
    )


def office_queryset(*, user) -> QuerySet[Office]:
    """Return the offices the user may see, with their region, district and device count."""
    return scope_offices(
        user,
        Office.objects.select_related("region", "district")
        .annotate(asset_count=Count("assets", filter=~Q(assets__status=AssetStatus.RETIRED)))
        .order_by("region__sort_order", "name_en"),
    )


def office_get(*, user, pk: int) -> Office:
    """Return one office in the user's scope with its services, or raise Office.DoesNotExist."""
    return scope_offices(
        user,
        Office.objects.select_related("region", "district").prefetch_related(
            Prefetch("services", queryset=CRService.objects.order_by("sort_order"))
        ),
    ).get(pk=pk)


@dataclass(frozen=True)
class ZoneCategoryCount:
    zone: str
    zone_label: str
    counts: list[int]
    total: int


@dataclass(frozen=True)
class OfficeDevices:
    categories: list[Category]
    rows: list[ZoneCategoryCount]
    totals: list[int]
    total: int


def office_devices(*, office: Office) -> OfficeDevices:
    """Return the office's devices in service counted by zone and category."""
    counts: dict[tuple[str, int], int] = {}
    for zone, category_id, n in (
        Asset.objects.filter(office=office)
        .exclude(status__in=[AssetStatus.RETIRED, AssetStatus.LOST])
        .values_list("zone", "asset_model__category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(zone, category_id)] = n
    categories = [c for c in Category.objects.all() if any(k[1] == c.pk for k in counts)]
    zones = [(z.value, str(z.label)) for z in Zone] + [("", _("No zone given"))]
    rows = []
    for zone, label in zones:
        row = [counts.get((zone, c.pk), 0) for c in categories]
        if any(row):
            rows.append(ZoneCategoryCount(zone, label, row, sum(row)))
    totals = [sum(r.counts[i] for r in rows) for i in range(len(categories))]
    return OfficeDevices(categories, rows, totals, sum(totals))


@dataclass(frozen=True)
class LabelSelection:
    """The assets to print labels for, in the order asked, and how many were asked in all."""

    assets: list[Asset]
    total: int

    @property
    def over_limit(self) -> bool:
        """Return whether more assets were asked than may be printed at once (none are given)."""
        return self.total > len(self.assets)


def asset_labels(
    *,
    user,
    ids: Sequence[int] | None = None,
    queryset: QuerySet[Asset] | None = None,
    limit: int,
) -> LabelSelection:
    """Return the assets to label: those with ``ids``, or the (filtered, ordered) ``queryset``.

    Either way only assets in the user's scope; with ``ids``, one outside it (or unknown) raises
    Asset.DoesNotExist. Each asset comes with its model, maker and its handover set's donors
    (ordered by code). When more than ``limit`` are asked, none are returned and ``total`` says
    how many. Two queries whatever the number: the assets, then their donors (or, over the
    limit, the count).
    """
    if (ids is None) == (queryset is None):
        raise TypeError("give either ids or queryset")
    donors = Prefetch(
        "handover_set__funding_sources", queryset=FundingSource.objects.order_by("code")
    )
    if ids is not None:
        if len(ids) > limit:
            return LabelSelection(assets=[], total=len(ids))
        found = {asset.pk: asset for asset in asset_queryset(user=user).filter(pk__in=ids)}
        if len(found) != len(set(ids)):
            raise Asset.DoesNotExist("No such asset in the user's scope.")
        assets = [found[pk] for pk in ids]
    else:
        rows = scope_assets(
            user, queryset.select_related("asset_model__manufacturer", "handover_set")
        )
        assets = list(rows[: limit + 1])
        if len(assets) > limit:
            return LabelSelection(assets=[], total=rows.count())
    prefetch_related_objects(assets, donors)
    return LabelSelection(assets=assets, total=len(assets))
