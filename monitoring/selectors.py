"""Reads of monitoring for pages and panels. Each costs a fixed number of queries.

Also the pure helpers pages draw with: supply gauges (never a made-up percentage) and the
page-counter line chart, drawn server-side as SVG geometry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory.access import scope_assets, scope_offices, sees_whole_country
from inventory.choices import AssetStatus, Zone
from inventory.models import (
    Asset,
    Category,
    CRService,
    District,
    Office,
    Region,
    ServiceRequirement,
)
from monitoring import readiness, rules
from monitoring.choices import (
    DEVICE_STATUS_LABELS,
    PRINTER_ERROR_LABELS,
    PRINTER_STATUS_LABELS,
    UPS_BATTERY_STATUS_LABELS,
    UPS_OUTPUT_SOURCE_LABELS,
    Health,
    Readiness,
    ReasonKind,
    label_of,
)
from monitoring.models import (
    REPAIR_CLOSED_STATUSES,
    Alert,
    MonitoredDevice,
    PollOutcome,
    ReadinessPeriod,
    ReadinessRun,
    RepairTicket,
    SnmpProfile,
)
from monitoring.snmp.decode import InterfaceFacts

# Days of page-counter history the asset page draws.
CHART_DAYS = 90
# Most points drawn in a chart: more are thinned evenly (the first and last are kept).
CHART_MAX_POINTS = 300
# Devices listed in an office's panel.
OFFICE_PANEL_LIMIT = 200


def monitored_device_queryset(*, user) -> QuerySet[MonitoredDevice]:
    """Return the monitored devices the user may see (their assets' scope), for lists."""
    queryset = MonitoredDevice.objects.select_related(
        "asset__office__region", "asset__asset_model__category"
    )
    if sees_whole_country(user):
        return queryset
    return queryset.filter(asset__in=scope_assets(user, Asset.objects.all()))


def monitored_device_get(*, user, pk: int) -> MonitoredDevice:
    """Return one device in the user's scope, or raise MonitoredDevice.DoesNotExist."""
    return monitored_device_queryset(user=user).select_related("profile").get(pk=pk)


def asset_monitored_device(*, asset: Asset) -> MonitoredDevice | None:
    """Return the asset's monitoring (with its profile), or None (one query)."""
    return MonitoredDevice.objects.select_related("profile").filter(asset=asset).first()


def snmp_profiles() -> QuerySet[SnmpProfile]:
    return SnmpProfile.objects.order_by("name")


# --- Supply gauges ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplyGauge:
    """One supply as the page shows it: a bar only when the percent is known."""

    description: str
    type: str
    percent: float | None  # None: no bar, ``words`` instead
    words: str  # "42 %", "unknown", "some remaining", …
    low: bool
    receptacle: bool


def supply_gauge(supply: Mapping) -> SupplyGauge:
    """Return how to show a stored supply (RFC 3805 special values as words, never a percent)."""
    percent = supply.get("percent")
    level = supply.get("level")
    description = str(supply.get("description") or supply.get("type") or _("Supply"))
    receptacle = supply.get("supply_class") == rules.RECEPTACLE_CLASS
    if isinstance(percent, int | float):
        percent = max(0.0, min(100.0, float(percent)))
        words = _("%(percent)s %% space left") if receptacle else _("%(percent)s %%")
        return SupplyGauge(
            description=description,
            type=str(supply.get("type") or ""),
            percent=percent,
            words=words % {"percent": f"{percent:.0f}"},
            low=percent <= rules.SUPPLY_LOW_PERCENT,
            receptacle=receptacle,
        )
    if level == -3:
        words = _("some remaining")
    elif level == -2 or level is None:
        words = _("unknown")
    elif level == -1:
        words = _("other (not measured)")
    elif isinstance(level, int) and level >= 0:
        unit = supply.get("unit") or ""
        words = _("level %(level)s %(unit)s, capacity unknown") % {"level": level, "unit": unit}
    else:
        words = _("unknown")
    return SupplyGauge(
        description=description,
        type=str(supply.get("type") or ""),
        percent=None,
        words=words.strip(),
        low=False,
        receptacle=receptacle,
    )


# --- Page-counter chart ----------------------------------------------------------------------


@dataclass(frozen=True)
class LineChart:
    """An SVG line chart's geometry, in the units of its viewBox (width × height)."""

    width: int
    height: int
    points: str  # "x,y x,y …" for <polyline points="…">
    first: tuple[dt.datetime, int] | None
    last: tuple[dt.datetime, int] | None
    low: int
    high: int
    count: int
    dots: list[tuple[float, float]] = field(default_factory=list)

    @property
    def pages_in_period(self) -> int | None:
        if self.first is None or self.last is None:
            return None
        return self.last[1] - self.first[1]


def line_chart(
    samples: Sequence[tuple[dt.datetime, int]],
    *,
    width: int = 600,
    height: int = 160,
    pad: int = 6,
    max_points: int = CHART_MAX_POINTS,
) -> LineChart | None:
    """Return the geometry of a line through (time, value) samples, or None with fewer than 2.

    The x axis is time (so gaps stay gaps), the y axis spans the values' range.
    """
    samples = sorted(samples)
    if len(samples) < 2:
        return None
    if len(samples) > max_points:
        step = (len(samples) - 1) / (max_points - 1)
        samples = [samples[round(i * step)] for i in range(max_points)]
    t0, t1 = samples[0][0], samples[-1][0]
    span_t = (t1 - t0).total_seconds() or 1.0
    low = min(value for _, value in samples)
    high = max(value for _, value in samples)
    span_v = (high - low) or 1
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    coordinates = [
        (
            round(pad + inner_w * (when - t0).total_seconds() / span_t, 1),
            round(pad + inner_h * (1 - (value - low) / span_v), 1),
        )
        for when, value in samples
    ]
    return LineChart(
        width=width,
        height=height,
        points=" ".join(f"{x},{y}" for x, y in coordinates),
        first=samples[0],
        last=samples[-1],
        low=low,
        high=high,
        count=len(samples),
        dots=[coordinates[0], coordinates[-1]],
    )


def page_count_chart(
    *, device: MonitoredDevice, days: int = CHART_DAYS, now: dt.datetime | None = None
) -> LineChart | None:
    """Return the page counter's chart over the last ``days`` days (one query)."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    samples = list(
        PollOutcome.objects.filter(
            device=device, polled_at__gte=since, page_count__isnull=False
        ).values_list("polled_at", "page_count")
    )
    return line_chart(samples)


# --- Panels ----------------------------------------------------------------------------------


def duration_words(seconds: float | None) -> str:
    """Return a duration such as an uptime in words: "12 days 3 h", "3 h 20 min", "45 s"."""
    if seconds is None or seconds < 0:
        return ""
    total = int(seconds)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return ngettext("%(d)s day %(h)s h", "%(d)s days %(h)s h", days) % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min") % {"m": minutes}
    return _("%(s)s s") % {"s": secs}


@dataclass(frozen=True)
class UpsView:
    """A UPS's values with its states in words."""

    output_source: str
    battery_status: str
    charge_percent: float | None
    minutes_remaining: float | None
    load_percent: float | None
    input_voltage: float | None


def ups_view(data: Mapping | None) -> UpsView | None:
    """Return stored UPS values ready to show, or None when the device is no UPS."""
    ups = rules.ups_from_json(data)
    if ups is None:
        return None
    return UpsView(
        output_source=label_of(UPS_OUTPUT_SOURCE_LABELS, ups.output_source),
        battery_status=label_of(UPS_BATTERY_STATUS_LABELS, ups.battery_status),
        charge_percent=ups.charge_percent,
        minutes_remaining=ups.minutes_remaining,
        load_percent=ups.load_percent,
        input_voltage=ups.input_voltage,
    )


@dataclass(frozen=True)
class AssetMonitoring:
    """What the asset page shows of a monitored device."""

    device: MonitoredDevice
    problems: list[str]
    last_error: str
    uptime: str
    device_status: str
    printer_status: str
    errors: list[str]
    gauges: list[SupplyGauge]
    ups: UpsView | None
    interfaces: list[InterfaceFacts]
    chart: LineChart | None
    chart_days: int


def asset_monitoring(*, device: MonitoredDevice) -> AssetMonitoring:
    """Return the device's panel: problems in words, gauges, the page-counter chart (1 query)."""
    return AssetMonitoring(
        device=device,
        problems=device_problem_texts(device=device),
        last_error=(
            rules.problem_text(rules.unreachable_problem(device.last_error))
            if device.last_error
            else ""
        ),
        uptime=duration_words(device.uptime_seconds),
        device_status=label_of(DEVICE_STATUS_LABELS, device.device_status),
        printer_status=label_of(PRINTER_STATUS_LABELS, device.printer_status),
        errors=[str(PRINTER_ERROR_LABELS.get(name, name)) for name in device.errors or ()],
        gauges=[supply_gauge(s) for s in device.supplies or () if isinstance(s, Mapping)],
        ups=ups_view(device.ups),
        interfaces=rules.interfaces_from_json(device.interfaces) or [],
        chart=page_count_chart(device=device),
        chart_days=CHART_DAYS,
    )


def device_problem_texts(*, device: MonitoredDevice) -> list[str]:
    """Return why the device is not up, in words, from what its row keeps (no query)."""
    if device.health == Health.DOWN:
        return [rules.problem_text(rules.unreachable_problem(device.last_error or None))]
    if device.health != Health.WARNING:
        return []
    problems = rules.device_problems(
        kind=device.kind,
        device_status=device.device_status or None,
        errors=device.errors or (),
        supplies=rules.supplies_from_json(device.supplies),
        ups=rules.ups_from_json(device.ups),
        interfaces=rules.interfaces_from_json(device.interfaces),
    )
    return [rules.problem_text(problem) for problem in problems]


@dataclass(frozen=True)
class HealthCount:
    health: str
    label: str
    count: int


@dataclass(frozen=True)
class OfficeMonitoring:
    counts: list[HealthCount]
    devices: list[MonitoredDevice]
    total: int


def office_monitoring(*, office: Office) -> OfficeMonitoring | None:
    """Return the health of an office's monitored devices, or None when it has none.

    One query when it has none, two otherwise (the counts, and the first devices).
    """
    counter = dict(
        MonitoredDevice.objects.filter(asset__office=office)
        .values_list("health")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not counter:
        return None
    devices = list(
        MonitoredDevice.objects.filter(asset__office=office)
        .select_related("asset")
        .order_by("asset__tag")[:OFFICE_PANEL_LIMIT]
    )
    counts = [
        HealthCount(health=value, label=str(label), count=counter[value])
        for value, label in Health.choices
        if counter.get(value)
    ]
    return OfficeMonitoring(counts=counts, devices=devices, total=sum(counter.values()))


# =================================================================================================
# Repairs (issue 6)
# =================================================================================================


# Tickets of an asset its page lists (the newest first).
ASSET_REPAIRS_LIMIT = 50


def repair_ticket_queryset(*, user) -> QuerySet[RepairTicket]:
    """Return the repair tickets the user may see (their assets' scope), for lists."""
    queryset = RepairTicket.objects.select_related(
        "asset__office__region", "asset__asset_model__manufacturer", "assignee"
    )
    if sees_whole_country(user):
        return queryset
    return queryset.filter(asset__in=scope_assets(user, Asset.objects.all()))


def repair_ticket_get(*, user, pk: int) -> RepairTicket:
    """Return one ticket in the user's scope with its alert, or raise DoesNotExist."""
    return (
        repair_ticket_queryset(user=user)
        .select_related("alert", "opened_by", "asset__asset_model__category")
        .get(pk=pk)
    )


def repair_ticket_entries(*, ticket: RepairTicket) -> list:
    """Return a ticket's work entries, oldest first, with who made them (one query)."""
    return list(ticket.entries.select_related("by").order_by("at", "pk"))


def asset_repairs(*, asset: Asset) -> list[RepairTicket]:
    """Return an asset's repair tickets, newest first (one query)."""
    return list(
        RepairTicket.objects.filter(asset=asset)
        .select_related("assignee")
        .order_by("-reported_at", "-pk")[:ASSET_REPAIRS_LIMIT]
    )


def alert_for_ticket(*, user, pk: int) -> Alert | None:
    """Return an open-or-not alert in the user's scope with its device's asset, or None."""
    queryset = Alert.objects.select_related("device__asset")
    if not sees_whole_country(user):
        queryset = queryset.filter(device__asset__in=scope_assets(user, Asset.objects.all()))
    return queryset.filter(pk=pk).first()


@dataclass
class OfficeWork:
    """What is open at one office: its tickets and its alerts."""

    office: Office
    tickets: list[RepairTicket] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


@dataclass(frozen=True)
class MyWork:
    offices: list[OfficeWork]
    ticket_count: int
    alert_count: int
    truncated: bool


# Most tickets and most alerts "My work" shows (the oldest open are shown first).
MY_WORK_LIMIT = 300


def my_work(*, user) -> MyWork:
    """Return the open tickets and open alerts in the user's scope, grouped by office.

    Offices come by region, then by office name: without coordinates there is no distance,
    so the region a technician covers, then the office's name, stand for "nearest first".
    Two queries, whatever the number of rows.
    """
    tickets = list(
        repair_ticket_queryset(user=user)
        .exclude(status__in=REPAIR_CLOSED_STATUSES)
        .order_by("reported_at", "pk")[: MY_WORK_LIMIT + 1]
    )
    alerts_qs = Alert.objects.filter(is_open=True).select_related(
        "device__asset__office__region", "device__asset__asset_model__manufacturer"
    )
    if not sees_whole_country(user):
        alerts_qs = alerts_qs.filter(device__asset__in=scope_assets(user, Asset.objects.all()))
    alerts = list(alerts_qs.order_by("first_seen", "pk")[: MY_WORK_LIMIT + 1])
    truncated = len(tickets) > MY_WORK_LIMIT or len(alerts) > MY_WORK_LIMIT
    tickets, alerts = tickets[:MY_WORK_LIMIT], alerts[:MY_WORK_LIMIT]
    groups: dict[int | None, OfficeWork] = {}
    for ticket in tickets:
        office = ticket.asset.office
        key = office.pk if office else None
        groups.setdefault(key, OfficeWork(office=office)).tickets.append(ticket)
    for alert in alerts:
        office = alert.device.asset.office
        key = office.pk if office else None
        groups.setdefault(key, OfficeWork(office=office)).alerts.append(alert)

    def order(work: OfficeWork):
        if work.office is None:
            return (1, 0, "", "")
        region = work.office.region
        return (0, region.sort_order, region.code, work.office.name)

    return MyWork(
        offices=sorted(groups.values(), key=order),
        ticket_count=len(tickets),
        alert_count=len(alerts),
        truncated=truncated,
    )


# Alerts --------------------------------------------------------------------------------
def alert_queryset(*, user) -> QuerySet[Alert]:
    """Return the alerts the user may see (their devices' assets' scope), for lists."""
    queryset = Alert.objects.select_related(
        "device__asset__office__region", "device__asset__asset_model", "acknowledged_by"
    )
    if sees_whole_country(user):
        return queryset
    return queryset.filter(device__asset__in=scope_assets(user, Asset.objects.all()))


def alert_get(*, user, pk: int) -> Alert:
    """Return one alert in the user's scope, or raise Alert.DoesNotExist."""
    return alert_queryset(user=user).get(pk=pk)


def open_alert_count(*, user) -> int:
    """Return how many open alerts the user may see (one query)."""
    queryset = Alert.objects.filter(is_open=True)
    if not sees_whole_country(user):
        queryset = queryset.filter(device__asset__in=scope_assets(user, Asset.objects.all()))
    return queryset.count()


# =================================================================================================
# Service readiness (issue 8): what each office can do, from its requirements and its devices.
# The rules are pure, in monitoring.readiness; these reads feed them.
# =================================================================================================

# Categories whose device is "the office router" / "the office UPS" for readiness.
ROUTER_CATEGORY = "router"
UPS_CATEGORY = "ups"


@dataclass
class OfficeInputs:
    """What readiness needs of one office: the services it offers, its devices, router, UPS."""

    services: list[str] = field(default_factory=list)  # CRService codes, in their order
    devices: list[readiness.DeviceState] = field(default_factory=list)
    router: readiness.DeviceState | None = None
    ups: readiness.DeviceState | None = None
    ups_on_battery: bool = False


@dataclass
class ReadinessInputs:
    """Everything the readiness rules need for a set of offices, read in a fixed few queries."""

    requirements: list[readiness.Requirement]
    offices: dict[int, OfficeInputs]


def readiness_requirements() -> list[readiness.Requirement]:
    """Return every service requirement as the pure rules take it."""
    return [
        readiness.Requirement(service=service, zone=zone, category=category, min_count=count)
        for service, zone, category, count in ServiceRequirement.objects.values_list(
            "service__code", "zone", "category__code", "min_count"
        ).order_by("service__sort_order", "zone", "category__sort_order", "pk")
    ]


def _best(devices: list[readiness.DeviceState]) -> readiness.DeviceState | None:
    """Return the device that stands for the office (a working one when there is one)."""
    if not devices:
        return None
    return min(devices, key=lambda d: (not readiness.device_working(d)[0], d.tag))


def readiness_inputs(*, office_ids: Collection[int] | None = None) -> ReadinessInputs:
    """Return the readiness inputs of the given active offices (all when None): 8 queries.

    Devices are those at the office in a status that counts (deployed or in repair), with their
    monitoring health, whether an open repair ticket stops them, and the services they are
    linked to. The router and the UPS are the office's devices of those categories (a working
    one when there are several).
    """
    offices_qs = Office.objects.filter(is_active=True)
    if office_ids is not None:
        offices_qs = offices_qs.filter(pk__in=list(office_ids))
    offices: dict[int, OfficeInputs] = {
        pk: OfficeInputs() for pk in offices_qs.values_list("pk", flat=True)
    }
    if not offices:
        return ReadinessInputs(requirements=readiness_requirements(), offices={})
    in_scope = None if office_ids is None else list(offices)

    offered = Office.services.through.objects.order_by("crservice__sort_order", "crservice__code")
    if in_scope is not None:
        offered = offered.filter(office_id__in=in_scope)
    for office_id, code in offered.values_list("office_id", "crservice__code"):
        if office_id in offices:
            offices[office_id].services.append(code)

    assets = Asset.objects.filter(
        office__isnull=False, office__is_active=True, status__in=readiness.COUNTED_STATUSES
    )
    # Every link when every office is computed: reading the links of assets that do not
    # count costs less than joining the assets to leave them out.
    links = Asset.services.through.objects.all()
    on_battery = MonitoredDevice.objects.filter(
        asset__asset_model__category__code=UPS_CATEGORY, ups__output_source="battery"
    )
    if in_scope is not None:
        assets = assets.filter(office_id__in=in_scope)
        links = links.filter(asset__office_id__in=in_scope)
        on_battery = on_battery.filter(asset__office_id__in=in_scope)
    codes = dict(CRService.objects.values_list("pk", "code"))
    linked: dict[int, set[str]] = {}
    for asset_id, service_id in links.values_list("asset_id", "crservice_id").iterator(
        chunk_size=10_000
    ):
        linked.setdefault(asset_id, set()).add(codes[service_id])
    battery_ids = set(on_battery.values_list("asset_id", flat=True))
    stopped = set(
        RepairTicket.objects.filter(stops_work=True)
        .exclude(status__in=REPAIR_CLOSED_STATUSES)
        .values_list("asset_id", flat=True)
    )
    empty: frozenset[str] = frozenset()
    routers: dict[int, list[readiness.DeviceState]] = {}
    upses: dict[int, list[readiness.DeviceState]] = {}
    for pk, tag, category, zone, status, office_id, health in assets.values_list(
        "pk",
        "tag",
        "asset_model__category__code",
        "zone",
        "status",
        "office_id",
        "monitoring__health",
    ).iterator(chunk_size=10_000):
        device = readiness.DeviceState(
            asset_id=pk,
            tag=tag,
            category=category,
            zone=zone,
            status=status,
            health=health,
            open_repair_stops_work=pk in stopped,
            services=frozenset(linked[pk]) if pk in linked else empty,
        )
        inputs = offices[office_id]
        inputs.devices.append(device)
        if category == ROUTER_CATEGORY:
            routers.setdefault(office_id, []).append(device)
        elif category == UPS_CATEGORY:
            upses.setdefault(office_id, []).append(device)
    for office_id, devices in routers.items():
        offices[office_id].router = _best(devices)
    for office_id, devices in upses.items():
        ups_device = _best(devices)
        offices[office_id].ups = ups_device
        offices[office_id].ups_on_battery = ups_device.asset_id in battery_ids
    return ReadinessInputs(requirements=readiness_requirements(), offices=offices)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    The national recomputation makes a few hundred thousand tuples and dataclasses that hold
    no cycles; every automatic collection meanwhile would walk all of them again (a third of
    the time at 5,000 offices). Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def readiness_compute(
    *, office_ids: Collection[int] | None = None, inputs: ReadinessInputs | None = None
) -> dict[int, list[readiness.ServiceReadiness]]:
    """Return each office's services with their state and reasons, computed now."""
    with _collector_paused():
        return _readiness_compute(office_ids=office_ids, inputs=inputs)


def _readiness_compute(
    *, office_ids: Collection[int] | None, inputs: ReadinessInputs | None
) -> dict[int, list[readiness.ServiceReadiness]]:
    inputs = inputs or readiness_inputs(office_ids=office_ids)
    return {
        office_id: readiness.office_readiness(
            services=office.services,
            requirements=inputs.requirements,
            devices=office.devices,
            router=office.router,
            ups=office.ups,
            ups_on_battery=office.ups_on_battery,
        )
        for office_id, office in inputs.offices.items()
    }


# =================================================================================================
# Readiness pages (issue 8): the national overview, an office's page, what a device puts at risk
# and a month's availability. The overview and availability read the stored periods (never a
# recomputation: they must stay fast at 5,000 offices); an office's page and the impact view
# compute one office live. Each is scoped to the user and costs a fixed number of queries.
# =================================================================================================


# The states in the order the pages count them, best first (Readiness's own order).
READINESS_STATES: tuple[str, ...] = tuple(Readiness.values)
# The overview's state filter also offers "any service not ready".
NOT_READY = "not_ready"
# Office rows the overview and availability pages show at once; the workbooks hold them all.
READINESS_GRID_MAX = 500
# A complete computation older than this earns a notice: the poller may have stopped.
READINESS_STALE_AFTER = dt.timedelta(minutes=30)
# An office × service ready less than this share of the month is below target.
AVAILABILITY_TARGET = 0.95
# ... and from this share up it is near the target (amber), below it far from it (red).
AVAILABILITY_FAIR = 0.80
# Days of an office's readiness history its page lists.
READINESS_HISTORY_DAYS = 90

_OFFICE_FIELDS = (
    "code",
    "name_en",
    "name_ru",
    "name_tg",
    "region",
    "district_id",
    "region__code",
    "region__name_en",
    "region__name_ru",
    "region__name_tg",
    "region__sort_order",
)


def readiness_label(state: str | None) -> str:
    """Return a readiness state in words ("" for none)."""
    if not state:
        return ""
    try:
        return str(Readiness(state).label)
    except ValueError:
        return state


def reason_kinds_text(kinds: Sequence[str]) -> str:
    """Return stored reason kinds in words: "Router not working; No spare left"."""
    words = []
    for kind in kinds:
        try:
            words.append(str(ReasonKind(kind).label))
        except ValueError:
            words.append(str(kind))
    return "; ".join(words)


@dataclass(frozen=True)
class PercentCell:
    """A share of time ready, as pages show it: a percent and how it stands to the target."""

    value: float | None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def level(self) -> str:
        """Return "good" (at or above the target), "fair", "poor", or "" when not known."""
        if self.value is None:
            return ""
        if self.value >= AVAILABILITY_TARGET:
            return "good"
        return "fair" if self.value >= AVAILABILITY_FAIR else "poor"


def _office_search(text: str) -> Q:
    query = Q(code__icontains=text)
    for language in ("en", "ru", "tg"):
        query |= Q(**{f"name_{language}__icontains": text})
    return query


@dataclass(frozen=True)
class ReadinessFilters:
    """Which offices and services the overview shows."""

    region: Region | None = None
    district: District | None = None
    service: CRService | None = None
    state: str = ""  # a Readiness value, NOT_READY, or "" for any
    q: str = ""  # a piece of the office's code or name

    @property
    def narrowed(self) -> bool:
        """Return whether the filters pick some offices (the page then lists them)."""
        return bool(self.region or self.district or self.state or self.q)


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass
class StateCounts:
    """How many offices are in each readiness state."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(READINESS_STATES, 0))

    def add(self, state: str) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1

    def __getitem__(self, state: str) -> int:
        return self.counts[state]  # KeyError for anything else: templates then try attributes

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[StateCount]:
        return [
            StateCount(state, readiness_label(state), self.counts.get(state, 0))
            for state in READINESS_STATES
        ]


@dataclass(frozen=True, slots=True)
class ReadinessCell:
    """One office × service of the grid: its state, in words, and why (state None: no state).

    ``since`` and ``asset_ids`` are read only for the workbook (``with_details``).
    """

    state: str | None = None
    label: str = ""
    reasons: str = ""  # the stored reason kinds, in words
    since: dt.datetime | None = None
    asset_ids: tuple[int, ...] = ()


_NO_STATE = ReadinessCell()


@dataclass
class ReadinessRow:
    """One office of the grid: a cell per service shown, and its worst state."""

    office: Office
    cells: list[ReadinessCell]
    worst: str | None
    worst_label: str = ""


@dataclass
class ServiceStateCounts:
    service: CRService
    counts: StateCounts = field(default_factory=StateCounts)


@dataclass
class RegionReadiness:
    """A region's offices: how many, per service how many in each state, and by worst state."""

    region: Region
    offices: int = 0
    by_service: list[ServiceStateCounts] = field(default_factory=list)
    worst: StateCounts = field(default_factory=StateCounts)


@dataclass
class ReadinessOverview:
    """The stored readiness of the offices the filters pick, with counts and the last run."""

    filters: ReadinessFilters
    services: list[CRService]
    rows: list[ReadinessRow]  # every office picked, by region then name
    by_service: list[ServiceStateCounts]
    worst: StateCounts
    regions: list[RegionReadiness]
    run: ReadinessRun | None
    now: dt.datetime
    tags: dict[int, str] = field(default_factory=dict)  # asset id → tag (with_details only)

    @property
    def stale(self) -> bool:
        """Return whether the last complete computation is missing or older than 30 minutes."""
        return self.run is None or self.now - self.run.at > READINESS_STALE_AFTER


def _state_wanted(states: Sequence[str | None], wanted: str) -> bool:
    if not wanted:
        return True
    if wanted == NOT_READY:
        return any(state is not None and state != Readiness.READY for state in states)
    return wanted in states


def _state_counts(tally: Counter, index: int) -> StateCounts:
    return StateCounts({state: tally[index, state] for state in READINESS_STATES})


def readiness_overview(
    *,
    user,
    filters: ReadinessFilters,
    with_details: bool = False,
    now: dt.datetime | None = None,
) -> ReadinessOverview:
    """Return the stored readiness of the active offices the user may see and filters pick.

    Four queries whatever the number of offices: the services, the offices with their regions,
    their open periods and the latest complete computation; ``with_details`` (the workbook)
    also reads since when each state holds and the devices named, and one query their tags.

    Made for 5,000 offices × 10 services: the page reads each period's state and its reasons
    as stored text (no date or JSON decoding per row), and cells with the same state and
    reasons are one object.
    """
    now = now or timezone.now()
    services = [filters.service] if filters.service else list(CRService.objects.all())
    offices_qs = scope_offices(user, Office.objects.filter(is_active=True))
    if filters.region is not None:
        offices_qs = offices_qs.filter(region=filters.region)
    if filters.district is not None:
        offices_qs = offices_qs.filter(district=filters.district)
    if filters.q:
        offices_qs = offices_qs.filter(_office_search(filters.q))
    offices = list(
        offices_qs.select_related("region")
        .only(*_OFFICE_FIELDS)
        .order_by("region__sort_order", "region__code", "name_en", "code")
    )
    periods = ReadinessPeriod.objects.filter(
        until__isnull=True, office__in=offices_qs.values("pk")
    ).order_by()
    if filters.service is not None:
        periods = periods.filter(service=filters.service)
    if with_details:
        values = periods.values_list(
            "office_id", "service_id", "state", "reason_kinds", "since", "asset_ids"
        )
    else:
        values = periods.annotate(
            kinds_text=Cast("reason_kinds", output_field=TextField())
        ).values_list("office_id", "service_id", "state", "kinds_text")

    labels = {state: str(label) for state, label in Readiness.choices}
    words: dict[object, str] = {}
    shared: dict[tuple[str, object], ReadinessCell] = {}
    column = {service.pk: index for index, service in enumerate(services)}
    cells: dict[int, list[ReadinessCell]] = {}
    # Fetched at once, not through a server-side cursor: PostgreSQL plans a cursor for its
    # first rows, and with statistics not yet updated after a bulk recomputation it chose a
    # nested loop over offices × periods (17 s at 5,000 offices, against 0.05 s).
    for office_id, service_id, state, kinds, *details in list(values):
        index = column.get(service_id)
        if index is None:
            continue
        row = cells.get(office_id)
        if row is None:
            row = cells[office_id] = [_NO_STATE] * len(services)
        key = tuple(kinds or ()) if with_details else kinds
        reasons = words.get(key)
        if reasons is None:
            decoded = key if with_details else json.loads(kinds or "[]")
            reasons = words[key] = reason_kinds_text(decoded)
        if with_details:
            row[index] = ReadinessCell(
                state, labels.get(state, state), reasons, details[0], tuple(details[1] or ())
            )
            continue
        cell = shared.get((state, key))
        if cell is None:
            cell = shared[state, key] = ReadinessCell(state, labels.get(state, state), reasons)
        row[index] = cell
    run = ReadinessRun.objects.filter(complete=True).order_by("-at").first()

    rows: list[ReadinessRow] = []
    tally: Counter = Counter()  # (service index, state) → offices
    worst_tally: Counter = Counter()
    region_tallies: dict[int, tuple[Counter, Counter]] = {}
    regions: dict[int, RegionReadiness] = {}
    empty_row = [_NO_STATE] * len(services)
    for office in offices:
        row_cells = cells.get(office.pk, empty_row)
        states = [cell.state for cell in row_cells]
        if not _state_wanted(states, filters.state):
            continue
        known = [(index, state) for index, state in enumerate(states) if state is not None]
        office_worst = readiness.worst_state(s for _i, s in known) if known else None
        rows.append(ReadinessRow(office, row_cells, office_worst, labels.get(office_worst, "")))
        region = regions.get(office.region_id)
        if region is None:
            region = regions[office.region_id] = RegionReadiness(region=office.region)
            region_tallies[office.region_id] = (Counter(), Counter())
        region_tally, region_worst = region_tallies[office.region_id]
        region.offices += 1
        tally.update(known)
        region_tally.update(known)
        if office_worst is not None:
            worst_tally[office_worst] += 1
            region_worst[office_worst] += 1
    for region_id, region in regions.items():
        region_tally, region_worst = region_tallies[region_id]
        region.by_service = [
            ServiceStateCounts(service, _state_counts(region_tally, index))
            for index, service in enumerate(services)
        ]
        region.worst = StateCounts({state: region_worst[state] for state in READINESS_STATES})
    tags: dict[int, str] = {}
    if with_details:
        named = {pk for row in rows for cell in row.cells for pk in cell.asset_ids}
        if named:
            tags = dict(Asset.objects.filter(pk__in=named).values_list("pk", "tag"))
    return ReadinessOverview(
        filters=filters,
        services=services,
        rows=rows,
        by_service=[
            ServiceStateCounts(service, _state_counts(tally, index))
            for index, service in enumerate(services)
        ],
        worst=StateCounts({state: worst_tally[state] for state in READINESS_STATES}),
        regions=list(regions.values()),
        run=run,
        now=now,
        tags=tags,
    )


# --- Months -------------------------------------------------------------------------------------


def month_first(day: dt.date) -> dt.date:
    """Return the first day of ``day``'s month."""
    return day.replace(day=1)


def month_next(month: dt.date) -> dt.date:
    """Return the first day of the month after ``month``."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_previous(month: dt.date) -> dt.date:
    """Return the first day of the month before ``month``."""
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_bounds(month: dt.date, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return a month's start and end, local midnight, the end no later than ``now``."""
    start = timezone.make_aware(dt.datetime.combine(month_first(month), dt.time()))
    end = timezone.make_aware(dt.datetime.combine(month_next(month), dt.time()))
    return start, min(end, now)


def period_transitions(
    periods: Iterable[tuple[dt.datetime, dt.datetime | None, str]],
) -> list[tuple[dt.datetime, str]]:
    """Return one office × service's changes of state from its (since, until, state) periods.

    A period closed with no next one (the service no longer offered) ends in unknown; where a
    period opens as another closes, the opening wins (``availability`` takes the last given).
    """
    periods = list(periods)
    closings = [(until, Readiness.UNKNOWN) for _since, until, _state in periods if until]
    openings = [(since, state) for since, _until, state in periods]
    return closings + openings


def share_ready(
    periods: Iterable[tuple[dt.datetime, dt.datetime | None, str]],
    *,
    start: dt.datetime,
    end: dt.datetime,
) -> float | None:
    """Return the share of [start, end) ready, from the periods (None for an empty span)."""
    if end <= start:
        return None
    periods = list(periods)
    if len(periods) == 1:  # most offices: one state over the whole span
        since, until, state = periods[0]
        if since <= start and (until is None or until >= end):
            return 1.0 if state == Readiness.READY else 0.0
    return readiness.availability(period_transitions(periods), start=start, end=end)


# --- One office ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonLine:
    """A reason in words, and the devices it names (linked to their pages)."""

    kind: str
    text: str
    devices: tuple[readiness.DeviceIssue, ...] = ()


@dataclass(frozen=True)
class ServiceState:
    """One service of an office as computed now."""

    service: CRService
    state: str
    reasons: tuple[ReasonLine, ...] = ()

    @property
    def label(self) -> str:
        return readiness_label(self.state)


@dataclass(frozen=True)
class OfficeDevice:
    """The office's router or UPS: whether it works and why not."""

    asset_id: int
    tag: str
    status: str
    health: str | None
    working: bool
    why: str | None

    @property
    def status_label(self) -> str:
        return label_of({s.value: s.label for s in AssetStatus}, self.status)

    @property
    def health_label(self) -> str:
        return label_of({h.value: h.label for h in Health}, self.health)


@dataclass(frozen=True)
class ServiceAvailability:
    service: CRService
    current: float | None
    previous: float | None

    @property
    def cells(self) -> tuple[PercentCell, PercentCell]:
        return PercentCell(self.current), PercentCell(self.previous)


@dataclass
class OfficeReadiness:
    """An office's services now, its router and UPS, its history and its availability."""

    office: Office
    services: list[ServiceState]
    router: OfficeDevice | None
    ups: OfficeDevice | None
    ups_on_battery: bool
    history: list[ReadinessPeriod]
    availability: list[ServiceAvailability]
    current_month: dt.date
    previous_month: dt.date
    computed_at: dt.datetime


def _office_device(device: readiness.DeviceState | None) -> OfficeDevice | None:
    if device is None:
        return None
    working, why = readiness.device_working(device)
    return OfficeDevice(
        asset_id=device.asset_id,
        tag=device.tag,
        status=device.status,
        health=device.health,
        working=working,
        why=str(why) if why is not None else None,
    )


def _category_names() -> dict[str, str]:
    return {category.code: category.name for category in Category.objects.all()}


def reason_lines(
    reasons: Iterable[readiness.Reason], *, category_names: Mapping[str, str]
) -> tuple[ReasonLine, ...]:
    """Return reasons in words, without their devices (the page links those)."""
    return tuple(
        ReasonLine(
            kind=reason.kind,
            text=readiness.reason_text(reason, category_names=category_names, with_devices=False),
            devices=reason.devices,
        )
        for reason in reasons
    )


def readiness_office(*, office: Office, now: dt.datetime | None = None) -> OfficeReadiness:
    """Return one office's readiness computed now, its history and availability.

    A fixed number of queries: the readiness inputs (see ``readiness_inputs``), the services'
    and categories' names, and the office's periods of the last READINESS_HISTORY_DAYS days
    (which cover the previous month).
    """
    now = now or timezone.now()
    inputs = readiness_inputs(office_ids=[office.pk])
    computed = readiness_compute(inputs=inputs).get(office.pk, [])
    office_inputs = inputs.offices.get(office.pk, OfficeInputs())
    services = {service.code: service for service in CRService.objects.all()}
    names = _category_names()
    states = [
        ServiceState(
            service=services[result.service],
            state=result.state,
            reasons=reason_lines(result.reasons, category_names=names),
        )
        for result in computed
        if result.service in services
    ]
    since = now - dt.timedelta(days=READINESS_HISTORY_DAYS)
    history = list(
        ReadinessPeriod.objects.filter(office=office)
        .filter(Q(until__isnull=True) | Q(until__gte=since))
        .select_related("service")
        .order_by("-since", "service__sort_order", "service__code")
    )
    for period in history:
        period.reasons_text = reason_kinds_text(period.reason_kinds or ())
    current = month_first(timezone.localdate(now))
    previous = month_previous(current)
    current_start, current_end = month_bounds(current, now=now)
    previous_start, previous_end = month_bounds(previous, now=now)
    by_service: dict[int, list[tuple[dt.datetime, dt.datetime | None, str]]] = {}
    for period in history:
        by_service.setdefault(period.service_id, []).append(
            (period.since, period.until, period.state)
        )
    # The services offered now, then those offered during the history and no longer.
    shown = {state.service.pk: state.service for state in states}
    for period in history:
        shown.setdefault(period.service_id, period.service)
    availability = [
        ServiceAvailability(
            service=service,
            current=share_ready(
                by_service.get(service.pk, []), start=current_start, end=current_end
            ),
            previous=share_ready(
                by_service.get(service.pk, []), start=previous_start, end=previous_end
            ),
        )
        for service in shown.values()
    ]
    return OfficeReadiness(
        office=office,
        services=states,
        router=_office_device(office_inputs.router),
        ups=_office_device(office_inputs.ups),
        ups_on_battery=office_inputs.ups_on_battery,
        history=history,
        availability=availability,
        current_month=current,
        previous_month=previous,
        computed_at=now,
    )


def office_readiness_periods(*, office: Office) -> list[ReadinessPeriod]:
    """Return an office's open periods (its services' stored state now), one query."""
    return list(
        ReadinessPeriod.objects.filter(office=office, until__isnull=True)
        .select_related("service")
        .order_by("service__sort_order", "service__code")
    )


# --- Impact of one device -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactLine:
    """A service that depends on the device: its state now and if the device stopped working."""

    service: CRService
    requirement: str  # in words
    state_now: str | None
    state_after: str | None

    @property
    def now_label(self) -> str:
        return readiness_label(self.state_now)

    @property
    def after_label(self) -> str:
        return readiness_label(self.state_after)

    @property
    def at_risk(self) -> bool:
        """Return whether losing the device would leave the service worse off than now."""
        if self.state_after is None or self.state_after == self.state_now:
            return False
        now = self.state_now or Readiness.READY
        return readiness.worst_state([now, self.state_after]) == self.state_after


@dataclass
class AssetImpact:
    """The services at the asset's office that depend on it (empty, with a note, when none)."""

    asset: Asset
    lines: list[ImpactLine]
    is_router: bool = False
    note: str = ""


def _requirement_words(requirement: readiness.Requirement, *, category: str) -> str:
    try:
        zone = str(Zone(requirement.zone).label)
    except ValueError:
        zone = requirement.zone
    return _("%(zone)s, %(category)s: at least %(count)d working") % {
        "zone": zone,
        "category": category,
        "count": requirement.min_count,
    }


def _no_impact_note(category: str) -> str:
    """Return why no service depends on a device of this category."""
    if category == UPS_CATEGORY:
        return _(
            "No service requires the UPS: when it fails or runs on battery, the office's "
            "services name it as a reason, and the devices it powers stop when the battery "
            "runs out."
        )
    if category == ROUTER_CATEGORY:
        return _("The office's services depend on its other router, which works.")
    return _(
        "No service at its office depends on this device: it is linked to no service with a "
        "requirement for its zone and category."
    )


def readiness_asset_impact(*, asset: Asset) -> AssetImpact:
    """Return what the asset puts at risk at its office, computed now.

    No query for an asset that is not at an office or not in a status that counts; one for
    any other but a router when no requirement names its category and zone for a service it
    is linked to; otherwise that check, the office's readiness inputs (see
    ``readiness_inputs``) and the services' names. ``asset`` comes with its model's category.
    """
    if asset.office_id is None:
        return AssetImpact(asset, [], note=_("This device is not at an office."))
    if asset.status not in readiness.COUNTED_STATUSES:
        return AssetImpact(
            asset,
            [],
            note=_("A device with the status “%(status)s” counts for no service.")
            % {"status": asset.get_status_display()},
        )
    category = asset.asset_model.category
    if (
        category.code != ROUTER_CATEGORY
        and not ServiceRequirement.objects.filter(
            category=category, zone=asset.zone, service__in=asset.services.all()
        ).exists()
    ):
        return AssetImpact(asset, [], note=_no_impact_note(category.code))
    inputs = readiness_inputs(office_ids=[asset.office_id])
    office = inputs.offices.get(asset.office_id)
    device = None
    if office is not None:
        device = next((d for d in office.devices if d.asset_id == asset.pk), None)
    if office is None or device is None:
        return AssetImpact(asset, [], note=_("Its office is not active: it offers no service."))
    if not office.services:
        return AssetImpact(asset, [], note=_("Its office offers no CR service."))
    impacts = readiness.impact_of(
        device,
        services=office.services,
        requirements=inputs.requirements,
        devices=office.devices,
        router=office.router,
        ups=office.ups,
        ups_on_battery=office.ups_on_battery,
    )
    is_router = office.router is not None and office.router.asset_id == asset.pk
    if not impacts:
        return AssetImpact(asset, [], is_router=is_router, note=_no_impact_note(device.category))
    now_states = {
        result.service: result.state
        for result in readiness.office_readiness(
            services=office.services,
            requirements=inputs.requirements,
            devices=office.devices,
            router=office.router,
            ups=office.ups,
            ups_on_battery=office.ups_on_battery,
        )
    }
    services = {service.code: service for service in CRService.objects.all()}
    lines = [
        ImpactLine(
            service=services[impact.service],
            requirement=_("Every service needs the office router.")
            if impact.requirement is None
            else _requirement_words(impact.requirement, category=category.name),
            state_now=now_states.get(impact.service),
            state_after=impact.state_after,
        )
        for impact in impacts
        if impact.service in services
    ]
    return AssetImpact(asset, lines, is_router=is_router)


# --- Availability -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityFilters:
    """Which month (its first day), region and service the availability report covers."""

    month: dt.date
    region: Region | None = None
    service: CRService | None = None


@dataclass
class AvailabilitySummary:
    """One service over some offices: how many, their mean availability, how many below 95 %."""

    service: CRService
    values: list[float] = field(default_factory=list)

    @property
    def offices(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return sum(self.values) / len(self.values) if self.values else None

    @property
    def below(self) -> int:
        return sum(1 for value in self.values if value < AVAILABILITY_TARGET)

    @property
    def cell(self) -> PercentCell:
        return PercentCell(self.mean)


@dataclass
class OfficeAvailability:
    office: Office
    values: list[float | None]  # per service shown; None where it has no state in the month

    @property
    def cells(self) -> list[PercentCell]:
        return [PercentCell(value) for value in self.values]


@dataclass
class RegionAvailability:
    region: Region
    by_service: list[AvailabilitySummary]
    offices: int = 0


@dataclass
class AvailabilityReport:
    """Each office × service's share of the month ready, and the means nationally and by region."""

    filters: AvailabilityFilters
    start: dt.datetime
    end: dt.datetime  # the month's end, or now for the month under way
    services: list[CRService]
    by_service: list[AvailabilitySummary]
    regions: list[RegionAvailability]
    rows: list[OfficeAvailability]

    @property
    def complete(self) -> bool:
        """Return whether the month is over (its figures no longer change)."""
        return self.end >= timezone.make_aware(
            dt.datetime.combine(month_next(self.filters.month), dt.time())
        )


def readiness_availability(
    *, user, filters: AvailabilityFilters, now: dt.datetime | None = None
) -> AvailabilityReport:
    """Return the share of the month each office × service was ready, with the means.

    Three queries whatever the number of offices: the services, the offices the user may see
    (with their regions), and the periods that overlap the month. The time before an office ×
    service's first period counts as unknown (not ready); an office × service with no period
    in the month is left out.
    """
    now = now or timezone.now()
    start, end = month_bounds(filters.month, now=now)
    services = [filters.service] if filters.service else list(CRService.objects.all())
    offices_qs = scope_offices(user, Office.objects.all())
    if filters.region is not None:
        offices_qs = offices_qs.filter(region=filters.region)
    offices = list(
        offices_qs.select_related("region")
        .only(*_OFFICE_FIELDS)
        .order_by("region__sort_order", "region__code", "name_en", "code")
    )
    pairs: dict[tuple[int, int], list[tuple[dt.datetime, dt.datetime | None, str]]] = {}
    if end > start:
        periods = (
            ReadinessPeriod.objects.filter(office__in=offices_qs.values("pk"), since__lt=end)
            .filter(Q(until__isnull=True) | Q(until__gt=start))
            .order_by()
        )
        if filters.service is not None:
            periods = periods.filter(service=filters.service)
        for office_id, service_id, since, until, state in list(  # no cursor: see above
            periods.values_list("office_id", "service_id", "since", "until", "state")
        ):
            pairs.setdefault((office_id, service_id), []).append((since, until, state))
    by_service = [AvailabilitySummary(service) for service in services]
    regions: dict[int, RegionAvailability] = {}
    rows: list[OfficeAvailability] = []
    service_ids = [service.pk for service in services]
    for office in offices:
        office_id = office.pk
        values: list[float | None] = []
        for service_id in service_ids:
            periods_of = pairs.get((office_id, service_id))
            values.append(share_ready(periods_of, start=start, end=end) if periods_of else None)
        if all(value is None for value in values):
            continue
        rows.append(OfficeAvailability(office=office, values=values))
        region = regions.get(office.region_id)
        if region is None:
            region = regions[office.region_id] = RegionAvailability(
                region=office.region,
                by_service=[AvailabilitySummary(service) for service in services],
            )
        region.offices += 1
        for index, value in enumerate(values):
            if value is not None:
                by_service[index].values.append(value)
                region.by_service[index].values.append(value)
    return AvailabilityReport(
        filters=filters,
        start=start,
        end=end,
        services=services,
        by_service=by_service,
        regions=list(regions.values()),
        rows=rows,
    )
