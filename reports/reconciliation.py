"""The reconciliation's rules, pure: stages and discrepancies of grouped rows, and the roll-up.

``reports.queries.funnel_data`` gives one ``Group`` per combination of handover set,
category, office and stage flags, with its count and value; everything here works from those
rows and the reference data passed in, without the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from deployments.choices import SEEN_OUTCOMES, AssetCondition, VerificationOutcome
from inventory.choices import AssetStatus, OfficeKind

# Funnel stages, in order.
REGISTERED = "registered"
DISPATCHED = "dispatched"
RECEIVED = "received"
SIGNED = "signed"
VERIFIED_FOUND = "verified_found"
WORKING = "working"
STAGES = (REGISTERED, DISPATCHED, RECEIVED, SIGNED, VERIFIED_FOUND, WORKING)
STAGE_LABELS = {
    REGISTERED: _("Registered"),
    DISPATCHED: _("Dispatched"),
    RECEIVED: _("Received"),
    SIGNED: _("Signed for"),
    VERIFIED_FOUND: _("Verified found"),
    WORKING: _("Working now"),
}

# Discrepancy kinds (stable keys, used in URLs and sheet order).
NOT_REGISTERED = "not_registered"
NOT_DECLARED = "not_declared"
SERIAL_DUPLICATE = "serial_duplicate"
OTHER_OFFICE = "other_office"
NO_SIGNED_ACT = "no_signed_act"
NOT_FOUND = "not_found"
LOST_RETIRED = "lost_retired"
VALUE_DIFFERENCE = "value_difference"
SERIAL_MISMATCH = "serial_mismatch"
KINDS = (
    NOT_REGISTERED,
    NOT_DECLARED,
    SERIAL_DUPLICATE,
    OTHER_OFFICE,
    NO_SIGNED_ACT,
    NOT_FOUND,
    LOST_RETIRED,
    VALUE_DIFFERENCE,
    SERIAL_MISMATCH,
)
KIND_LABELS = {
    NOT_REGISTERED: _("Declared but not registered"),
    NOT_DECLARED: _("Registered but not declared"),
    SERIAL_DUPLICATE: _("Serial number duplicates"),
    OTHER_OFFICE: _("At another office than planned"),
    NO_SIGNED_ACT: _("Received without a signed act"),
    NOT_FOUND: _("Not found in the latest verification"),
    LOST_RETIRED: _("Lost or retired"),
    VALUE_DIFFERENCE: _("Value differences"),
    SERIAL_MISMATCH: _("Serial read differs from the register"),
}
# Kinds that compare the register with the national declaration: hidden from users who do not
# see the whole country, and not narrowed by a region.
NATIONAL_KINDS = frozenset({NOT_REGISTERED, NOT_DECLARED, VALUE_DIFFERENCE})
# Kinds that are lists of assets (the others are lines of a declaration only).
ASSET_KINDS = tuple(kind for kind in KINDS if kind != NOT_REGISTERED)
# Kinds with declaration lines (set × category) as well as, or instead of, assets.
LINE_KINDS = frozenset({NOT_REGISTERED, VALUE_DIFFERENCE})

GONE_STATUSES = (AssetStatus.LOST, AssetStatus.RETIRED)

# Characters dropped from serials before comparing them; the rest is upper-cased.
SERIAL_SEPARATORS = (" ", "-", ".", "/", "_", "\\")
SERIAL_DROP = str.maketrans("", "", "".join(SERIAL_SEPARATORS))


def serial_reduce(serial: str) -> str:
    """Return a serial reduced for comparison: upper case, without spaces, dashes, dots, slashes.

    The SQL twin is ``reports.queries.serial_reduce_sql``.
    """
    return (serial or "").upper().translate(SERIAL_DROP)


# --- grouped rows ----------------------------------------------------------------------------


@dataclass(slots=True)
class Group:
    """Assets of one set, category and office sharing every stage flag; their count and value."""

    handover_set_id: int
    category_id: int
    office_id: int | None
    office_kind: str | None
    status: str
    transit_to: int | None
    ever_dispatched: bool
    arrived: bool
    signed: bool
    latest_outcome: str
    latest_condition: str  # "not_working" or "" (the only difference a rule makes)
    latest_matches: bool | None  # False when the serial read differs, else None
    open_repair: bool
    down: bool
    quantity: int
    value: Decimal | None
    no_value: int = 0
    # Ids of the assets, for the first rows of the discrepancy lists.
    members: list = field(default_factory=list, compare=False, repr=False)

    @property
    def in_transit(self) -> bool:
        return self.status == AssetStatus.IN_TRANSIT or self.transit_to is not None

    @property
    def attributed_office_id(self) -> int | None:
        """Return where the assets are shown: the transfer's destination while in transit."""
        return self.transit_to if self.transit_to is not None else self.office_id

    @property
    def at_field_office(self) -> bool:
        return self.office_id is not None and self.office_kind != OfficeKind.WAREHOUSE

    def stage(self, stage: str) -> bool:
        """Return whether these assets reached ``stage``."""
        return self.flags()[STAGES.index(stage)]

    def flags(self) -> tuple[bool, ...]:
        """Return, in the order of ``STAGES``, whether these assets reached each stage."""
        in_transit = self.in_transit
        at_field_office = self.at_field_office
        return (
            True,
            self.ever_dispatched or in_transit or at_field_office,
            (at_field_office and not in_transit) or self.arrived,
            self.signed,
            self.latest_outcome in SEEN_OUTCOMES,
            self.status == AssetStatus.DEPLOYED
            and not self.open_repair
            and not self.down
            and self.latest_condition != AssetCondition.NOT_WORKING,
        )

    @property
    def holds_here(self) -> bool:
        """Return whether these assets count as held by their office against its plan."""
        return self.at_field_office and not self.in_transit


@dataclass
class Figure:
    """A number of devices and their value in USD."""

    quantity: int = 0
    value: Decimal | None = field(default_factory=lambda: Decimal("0"))

    def add(self, quantity: int, value: Decimal | None) -> None:
        self.quantity += quantity
        if value is not None:
            self.value = (self.value or Decimal("0")) + value


_ZERO = Decimal("0")


class Funnel:
    """The stages' figures of one row of the report: a count and a value per stage."""

    __slots__ = ("quantities", "values")

    def __init__(self) -> None:
        self.quantities = [0] * len(STAGES)
        self.values = [_ZERO] * len(STAGES)

    def add_flags(self, flags: tuple[bool, ...], quantity: int, value: Decimal | None) -> None:
        """Add ``quantity`` devices worth ``value`` to every stage whose flag is set."""
        quantities, values = self.quantities, self.values
        for index, reached in enumerate(flags):
            if reached:
                quantities[index] += quantity
                if value is not None:
                    values[index] += value

    def add_group(self, group: Group) -> None:
        self.add_flags(group.flags(), group.quantity, group.value)

    def add(self, other: Funnel) -> None:
        for index in range(len(STAGES)):
            self.quantities[index] += other.quantities[index]
            self.values[index] += other.values[index]

    def __getitem__(self, stage: str) -> Figure:
        index = STAGES.index(stage)
        return Figure(self.quantities[index], self.values[index])

    @property
    def registered(self) -> Figure:
        return self[REGISTERED]


# Levels of the breakdown.
LEVEL_SET = "set"
LEVEL_CATEGORY = "category"
LEVEL_REGION = "region"
LEVEL_OFFICE = "office"


@dataclass
class Row:
    """One row of the breakdown: a set, a category of it, a region, or an office.

    ``declared`` is what the set's annex declares (set and category rows) or, for region and
    office rows, what the distribution plan gives them (``planned``: a quantity, no value).
    """

    level: str
    handover_set: object
    category: object = None
    region: object = None
    office: object = None
    declared: Figure | None = None
    funnel: Funnel = field(default_factory=Funnel)
    children: list[Row] = field(default_factory=list)
    # The figure behind each stage opens a list: its query parameters (set, category, …).
    params: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        thing = {
            LEVEL_SET: self.handover_set,
            LEVEL_CATEGORY: self.category,
            LEVEL_REGION: self.region,
            LEVEL_OFFICE: self.office,
        }[self.level]
        if thing is None:
            return str(_("No office") if self.level == LEVEL_OFFICE else _("No region"))
        if self.level == LEVEL_SET:
            return f"{thing.code} {thing.name}"
        if self.level == LEVEL_OFFICE:
            return f"{thing.code} {thing.name}"
        return str(thing)


@dataclass(frozen=True)
class LineGap:
    """A declared line (set × category) compared with the register."""

    handover_set: object
    category: object
    declared_quantity: int
    registered_quantity: int
    declared_value: Decimal
    registered_value: Decimal

    @property
    def gap(self) -> int:
        return self.declared_quantity - self.registered_quantity

    @property
    def value_difference(self) -> Decimal:
        return self.registered_value - self.declared_value

    def reason(self, kind: str) -> str:
        if kind == NOT_REGISTERED:
            return str(
                _("%(declared)s declared, %(registered)s registered: %(gap)s missing")
                % {
                    "declared": self.declared_quantity,
                    "registered": self.registered_quantity,
                    "gap": self.gap,
                }
            )
        return str(
            _("Declared USD %(declared)s, registered USD %(registered)s")
            % {
                "declared": f"{self.declared_value:,.2f}",
                "registered": f"{self.registered_value:,.2f}",
            }
        )


@dataclass(frozen=True)
class Totals:
    """The declared value of the chosen sets against the value registered for them."""

    declared_quantity: int
    declared_value: Decimal
    registered_quantity: int
    registered_value: Decimal

    @property
    def difference(self) -> Decimal:
        return self.registered_value - self.declared_value

    @property
    def reconciles(self) -> bool:
        return self.difference == 0


@dataclass
class Rollup:
    """The breakdown tree, the overall funnel, the line gaps and the per-kind asset counts."""

    rows: list[Row]
    total: Funnel
    lines: list[LineGap]
    counts: dict[str, int]
    # The groups behind each asset-level kind (their members are the assets).
    kind_groups: dict[str, list[Group]] = field(default_factory=dict)


def rollup(
    *,
    groups: Iterable[Group],
    handover_sets: list,
    categories: list,
    offices: Mapping[int, object],
    declared: Mapping[tuple[int, int], tuple[int, Decimal]],
    planned: Mapping[tuple[int, int, int], int],
    region_id: int | None = None,
) -> Rollup:
    """Roll grouped rows up into set → category → region → office rows, and count kinds.

    ``offices`` maps an id to an office with ``region`` loaded; ``declared`` maps (set,
    category) to (quantity, value); ``planned`` maps (set, office, category) to a quantity.
    A region narrows the breakdown and the asset-level kinds, not the national comparison
    (line gaps, assets beyond the declaration, assets without a value), which is always the
    whole country's.
    """
    groups = list(groups)
    sets_with_plan = {key[0] for key in planned}
    holds: dict[tuple[int, int, int], int] = {}
    # National figures per declared line.
    line_figures: dict[tuple[int, int], Figure] = {}
    for group in groups:
        key = (group.handover_set_id, group.category_id)
        line_figures.setdefault(key, Figure()).add(group.quantity, group.value)
        if group.holds_here:
            cell = (group.handover_set_id, group.office_id, group.category_id)
            holds[cell] = holds.get(cell, 0) + group.quantity

    region_by_office = {pk: office.region_id for pk, office in offices.items()}
    region_objects = {office.region_id: office.region for office in offices.values()}

    def region_of(office_id):
        rid = region_by_office.get(office_id)
        return region_objects[rid] if rid is not None else None

    counts = dict.fromkeys(ASSET_KINDS, 0)
    kind_groups: dict[str, list[Group]] = {kind: [] for kind in ASSET_KINDS}

    def found(kind: str, group: Group, quantity: int | None = None) -> None:
        counts[kind] += group.quantity if quantity is None else quantity
        kind_groups[kind].append(group)

    tree: dict[int, dict[int, dict[int | None, dict[int | None, Funnel]]]] = {}
    total = Funnel()
    for group in groups:
        # National kinds first: not narrowed by the region.
        if (group.handover_set_id, group.category_id) not in declared:
            found(NOT_DECLARED, group)
        if group.no_value:
            found(VALUE_DIFFERENCE, group, group.no_value)
        office_id = group.attributed_office_id
        rid = region_by_office.get(office_id)
        if region_id is not None and rid != region_id:
            continue
        by_office = (
            tree.setdefault(group.handover_set_id, {})
            .setdefault(group.category_id, {})
            .setdefault(rid, {})
        )
        funnel = by_office.get(office_id)
        if funnel is None:
            funnel = by_office[office_id] = Funnel()
        flags = group.flags()
        funnel.add_flags(flags, group.quantity, group.value)
        cell = (group.handover_set_id, group.office_id, group.category_id)
        plan_breach = (
            group.handover_set_id in sets_with_plan
            and group.holds_here
            and (cell not in planned or holds.get(cell, 0) > planned[cell])
        )
        if plan_breach or group.latest_outcome == VerificationOutcome.FOUND_ELSEWHERE:
            found(OTHER_OFFICE, group)
        if flags[2] and group.status not in GONE_STATUSES and not group.signed:  # received
            found(NO_SIGNED_ACT, group)
        if group.latest_outcome == VerificationOutcome.NOT_FOUND:
            found(NOT_FOUND, group)
        if group.status in GONE_STATUSES:
            found(LOST_RETIRED, group)
        if group.latest_matches is False:
            found(SERIAL_MISMATCH, group)

    lines = []
    for (set_id, category_id), (quantity, value) in declared.items():
        figure = line_figures.get((set_id, category_id), Figure())
        if figure.quantity > quantity:
            counts[NOT_DECLARED] += figure.quantity - quantity
        lines.append((set_id, category_id, quantity, value, figure))

    set_by_id = {s.pk: s for s in handover_sets}
    category_by_id = {c.pk: c for c in categories}
    category_order = {c.pk: index for index, c in enumerate(categories)}
    line_gaps = [
        LineGap(
            handover_set=set_by_id[set_id],
            category=category_by_id[category_id],
            declared_quantity=quantity,
            registered_quantity=figure.quantity,
            declared_value=value,
            registered_value=figure.value or Decimal("0"),
        )
        for set_id, category_id, quantity, value, figure in sorted(
            lines, key=lambda line: (line[0], category_order.get(line[1], 0))
        )
        if set_id in set_by_id and category_id in category_by_id
    ]

    planned_by_region: dict[tuple[int, int, int | None], int] = {}
    for (set_id, office_id, category_id), quantity in planned.items():
        region = region_of(office_id)
        if region_id is not None and (region is None or region.pk != region_id):
            continue
        key = (set_id, category_id, region.pk if region else None)
        planned_by_region[key] = planned_by_region.get(key, 0) + quantity

    # Offices in the order the breakdown lists them: by region, name and code; none last.
    office_order = {
        pk: (0, office.region.sort_order, office.region_id, office.name_en, office.code)
        for pk, office in offices.items()
    }
    office_order[None] = (1, 0, 0, "", "")
    planned_index: dict[tuple[int, int], dict[int, int]] = {}
    for (set_id, office_id, category_id), quantity in planned.items():
        planned_index.setdefault((set_id, category_id), {})[office_id] = quantity

    rows = []
    for handover_set in handover_sets:
        set_row = Row(
            level=LEVEL_SET,
            handover_set=handover_set,
            declared=Figure(0, Decimal("0")),
            params={"set": handover_set.pk},
        )
        by_category = tree.get(handover_set.pk, {})
        for category in categories:
            line = declared.get((handover_set.pk, category.pk))
            planned_here = planned_index.get((handover_set.pk, category.pk), {})
            if line is None and category.pk not in by_category and not planned_here:
                continue
            category_row = Row(
                level=LEVEL_CATEGORY,
                handover_set=handover_set,
                category=category,
                declared=Figure(*line) if line else Figure(0, Decimal("0")),
                params={"set": handover_set.pk, "category": category.pk},
            )
            set_row.declared.add(category_row.declared.quantity, category_row.declared.value)
            by_region = by_category.get(category.pk, {})
            # Offices per region: those with assets, and those the plan lists.
            office_ids_by_region: dict[int | None, set] = {
                rid: set(by_office) for rid, by_office in by_region.items()
            }
            for office_id in planned_here:
                rid = region_by_office.get(office_id)
                if region_id is None or rid == region_id:
                    office_ids_by_region.setdefault(rid, set()).add(office_id)
            region_rows = []
            for rid, office_ids in office_ids_by_region.items():
                by_office = by_region.get(rid, {})
                region_row = Row(
                    level=LEVEL_REGION,
                    handover_set=handover_set,
                    category=category,
                    region=region_objects.get(rid),
                    declared=Figure(
                        planned_by_region.get((handover_set.pk, category.pk, rid), 0), None
                    ),
                    params={**category_row.params, "region": rid or 0},
                )
                office_rows = []
                for office_id in sorted(office_ids, key=office_order.__getitem__):
                    funnel = by_office.get(office_id) or Funnel()
                    office_rows.append(
                        Row(
                            level=LEVEL_OFFICE,
                            handover_set=handover_set,
                            category=category,
                            region=region_row.region,
                            office=offices.get(office_id),
                            declared=Figure(planned_here.get(office_id, 0), None),
                            funnel=funnel,
                            params={**category_row.params, "office": office_id or 0},
                        )
                    )
                    region_row.funnel.add(funnel)
                region_row.children = office_rows
                region_rows.append(region_row)
                category_row.funnel.add(region_row.funnel)
            region_rows.sort(key=_place_key)
            category_row.children = region_rows
            set_row.children.append(category_row)
            set_row.funnel.add(category_row.funnel)
        rows.append(set_row)
        total.add(set_row.funnel)
    return Rollup(rows=rows, total=total, lines=line_gaps, counts=counts, kind_groups=kind_groups)


def _place_key(row: Row) -> tuple:
    if row.region is None:
        return (1, 0, "")
    return (0, row.region.sort_order, row.region.code)


def line_kind_rows(lines: Iterable[LineGap], kind: str) -> list[LineGap]:
    """Return the declared lines that show ``kind``: fewer registered, or another value."""
    if kind == NOT_REGISTERED:
        return [line for line in lines if line.gap > 0]
    if kind == VALUE_DIFFERENCE:
        return [line for line in lines if line.value_difference != 0]
    return []


# --- reasons ---------------------------------------------------------------------------------


def _date(value) -> str:
    if value is None:
        return ""
    from django.utils import timezone

    if hasattr(value, "tzinfo") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d.%m.%Y")


def asset_reason(kind: str, asset) -> str:
    """Return why an asset is on a discrepancy list, from the annotations of the list's query.

    ``asset`` carries the annotations of ``reports.queries._annotated``; only attributes are
    read, so this works on any object that has them.
    """
    office = asset.office.code if getattr(asset, "office", None) else ""
    if kind == NOT_DECLARED:
        if asset.declared_quantity is None:
            return str(
                _("Handover set %(set)s declares no %(category)s")
                % {"set": asset.handover_set.code, "category": asset.asset_model.category}
            )
        return str(
            _("Registered after the %(declared)s declared %(category)s of %(set)s")
            % {
                "declared": asset.declared_quantity,
                "category": asset.asset_model.category,
                "set": asset.handover_set.code,
            }
        )
    if kind == SERIAL_DUPLICATE:
        twin = getattr(asset, "twin_tag", None)
        if twin:
            return str(
                _("Serial %(serial)s is also the serial of %(tag)s")
                % {"serial": asset.serial, "tag": twin}
            )
        return str(
            _("Serial read on %(date)s (%(read)s) is the register serial of %(tag)s")
            % {
                "date": _date(asset.latest_at),
                "read": asset.latest_read,
                "tag": getattr(asset, "read_twin_tag", None) or "?",
            }
        )
    if kind == OTHER_OFFICE:
        if asset.latest_outcome == VerificationOutcome.FOUND_ELSEWHERE:
            return str(
                _("Found at %(office)s on %(date)s")
                % {"office": asset.latest_found_office, "date": _date(asset.latest_at)}
            )
        if asset.planned is None:
            return str(
                _("The plan of %(set)s has no %(category)s for %(office)s")
                % {
                    "set": asset.handover_set.code,
                    "category": asset.asset_model.category,
                    "office": office,
                }
            )
        return str(
            _("%(office)s holds %(holds)s, plan says %(planned)s")
            % {"office": office, "holds": asset.holds, "planned": asset.planned}
        )
    if kind == NO_SIGNED_ACT:
        return str(
            _("Received at %(office)s; no signed act of this office lists it")
            % {"office": office or "?"}
        )
    if kind == NOT_FOUND:
        if asset.latest_campaign:
            return str(
                _("Not found on %(date)s (campaign %(campaign)s)")
                % {"date": _date(asset.latest_at), "campaign": asset.latest_campaign}
            )
        return str(_("Not found on %(date)s") % {"date": _date(asset.latest_at)})
    if kind == LOST_RETIRED:
        status = str(asset.get_status_display())
        why = getattr(asset, "status_reason", None)
        return f"{status}: {why}" if why else status
    if kind == VALUE_DIFFERENCE:
        return str(_("No value in the register"))
    if kind == SERIAL_MISMATCH:
        return str(
            _("Read %(read)s on %(date)s, register says %(serial)s")
            % {
                "read": asset.latest_read or "?",
                "date": _date(asset.latest_at),
                "serial": asset.serial,
            }
        )
    raise ValueError(f"Unknown discrepancy kind {kind!r}")
