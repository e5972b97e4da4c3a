"""Reads of monitoring for pages and panels. Each costs a fixed number of queries.

Also the pure helpers pages draw with: supply gauges (never a made-up percentage) and the
page-counter line chart, drawn server-side as SVG geometry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory.access import scope_assets, sees_whole_country
from inventory.models import Asset, Office
from monitoring import rules
from monitoring.choices import (
    DEVICE_STATUS_LABELS,
    PRINTER_ERROR_LABELS,
    PRINTER_STATUS_LABELS,
    UPS_BATTERY_STATUS_LABELS,
    UPS_OUTPUT_SOURCE_LABELS,
    Health,
    label_of,
)
from monitoring.models import (
    REPAIR_CLOSED_STATUSES,
    Alert,
    MonitoredDevice,
    PollOutcome,
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
