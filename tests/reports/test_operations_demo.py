"""The operations reports' totals on the demo fleet, against counts made here independently.

The demo comes from ``demo_setup`` and ``demo_deployments`` (and ``demo_operations``, the
repair and poll history, where that command exists). When the demo holds no repair tickets
or polled devices, the fixture adds a few of each, so that every figure is tested on more
than zeros. The counts below are written out asset by asset and ticket by ticket in Python,
without the report's rules or queries.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone

from inventory.choices import AssetStatus
from inventory.models import Asset
from monitoring.choices import Health, RepairStatus
from monitoring.models import MonitoredDevice, RepairTicket, SnmpProfile
from reports import operations as ops
from reports import queries

pytestmark = pytest.mark.django_db

CLOSED = {RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR}


def _add_history_if_missing() -> None:
    """Add a few polled devices and repair tickets when the demo has none (deterministic)."""
    now = timezone.now()
    deployed = list(Asset.objects.filter(status=AssetStatus.DEPLOYED).order_by("tag")[:40])
    if not MonitoredDevice.objects.exists():
        profile = SnmpProfile.objects.create(name="Demo test v2c")
        healths = [Health.UP, Health.DOWN, Health.WARNING, Health.UNKNOWN]
        for index, asset in enumerate(deployed[:16]):
            seen = None if index % 5 == 0 else now - dt.timedelta(days=index, hours=3)
            MonitoredDevice.objects.create(
                asset=asset,
                address=f"10.9.0.{index + 1}",
                profile=profile,
                health=healths[index % 4],
                enabled=index != 7,
                last_reachable_at=seen,
            )
    if not RepairTicket.objects.exists():
        faults = ["paper_path", "no_power", "screen", "toner_drum", "network"]
        statuses = [
            RepairStatus.RESOLVED,
            RepairStatus.OPEN,
            RepairStatus.RESOLVED,
            RepairStatus.BEYOND_REPAIR,
            RepairStatus.WAITING_PARTS,
            RepairStatus.RESOLVED,
        ]
        number = 0
        for index, asset in enumerate(deployed[10:34]):
            reported = now - dt.timedelta(days=15 * index + 3, hours=index)
            # the first assets fail again 40 to 100 days later: some within the window
            dates = [reported] + (
                [reported + dt.timedelta(days=40 + 10 * index)] if index < 6 else []
            )
            for when in dates:
                if when > now:
                    continue
                number += 1
                status = statuses[number % len(statuses)]
                RepairTicket.objects.create(
                    number=f"RT-DEMO-{number:04d}",
                    asset=asset,
                    fault=faults[number % len(faults)],
                    reported_at=when,
                    status=status,
                    resolved_at=when + dt.timedelta(hours=5 * number) if status in CLOSED else None,
                    stops_work=number % 3 != 0,
                    warranty_claim=number % 4 == 0,
                )


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("demo_setup", verbosity=0)
    call_command("demo_deployments", verbosity=0)
    if "demo_operations" in get_commands():
        call_command("demo_operations", verbosity=0)
    _add_history_if_missing()


# --- fleet health -----------------------------------------------------------------------------


def _state_by_hand(asset, open_repair: set[int], down: set[int]) -> str:
    if asset.status == AssetStatus.LOST:
        return "lost"
    if asset.status == AssetStatus.RETIRED:
        return "retired"
    if asset.status == AssetStatus.IN_REPAIR or asset.pk in open_repair:
        return "in_repair"
    if asset.status == AssetStatus.IN_STOCK:
        return "in_stock"
    if asset.status == AssetStatus.IN_TRANSIT:
        return "in_transit"
    if asset.pk in down:
        return "unreachable"
    return "working"


def test_demo_fleet_health_totals(demo, logistics_user):
    assets = list(Asset.objects.select_related("asset_model", "office"))
    open_repair = {
        ticket.asset_id
        for ticket in RepairTicket.objects.all()
        if ticket.stops_work and ticket.status not in CLOSED
    }
    down = {
        device.asset_id
        for device in MonitoredDevice.objects.all()
        if device.enabled and device.health == Health.DOWN
    }
    by_category: dict[int, Counter] = defaultdict(Counter)
    by_region: dict[int | None, Counter] = defaultdict(Counter)
    by_office: dict[int | None, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for asset in assets:
        state = _state_by_hand(asset, open_repair, down)
        total[state] += 1
        by_category[asset.asset_model.category_id][state] += 1
        by_region[asset.office.region_id if asset.office else None][state] += 1
        by_office[asset.office_id][state] += 1

    report = queries.fleet_health_report(user=logistics_user, filters=queries.FleetFilters())
    assert report.total.total == len(assets) > 600
    assert {state: report.total[state] for state in ops.FLEET_STATES} == {
        state: total[state] for state in ops.FLEET_STATES
    }
    # the demo has devices working, in stock, in repair and lost
    assert total["working"] and total["in_stock"] and total["in_repair"] and total["lost"]
    for rows, expected, key in (
        (report.by_category, by_category, "category"),
        (report.by_region, by_region, "region"),
        (report.by_office, by_office, "office"),
    ):
        assert len(rows) == len(expected), key
        for row in rows:
            wanted = expected[row.params.get(key)]
            assert {s: row.counts[s] for s in ops.FLEET_STATES} == {
                s: wanted[s] for s in ops.FLEET_STATES
            }, (key, row.label)

    # not seen by the poller for 7 days: polled, silent since before the cutoff or never heard
    cutoff = report.now - dt.timedelta(days=7)
    silent = {
        device.asset_id
        for device in MonitoredDevice.objects.all()
        if device.enabled
        and (device.last_reachable_at is None or device.last_reachable_at < cutoff)
    }
    assert report.not_seen_count == len(silent) > 0
    assert {device.asset_id for device in report.not_seen} == silent


# --- repairs ----------------------------------------------------------------------------------


def _repairs_by_hand(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict:
    tickets = list(RepairTicket.objects.select_related("asset__office", "asset__asset_model"))
    reported = [t for t in tickets if start <= t.reported_at < end]
    hours = [
        (t.resolved_at - t.reported_at).total_seconds() / 3600
        for t in reported
        if t.status == RepairStatus.RESOLVED and t.resolved_at
    ]
    downtime: dict[int | None, float] = defaultdict(float)
    for t in tickets:
        if not t.stops_work:
            continue
        began = max(t.reported_at, start)
        ended = min(t.resolved_at or now, end, now)
        if ended > began:
            downtime[t.asset.office_id] += (ended - began).total_seconds() / 3600
    repeats = set()
    by_asset: dict[int, list[dt.datetime]] = defaultdict(list)
    for t in reported:
        by_asset[t.asset_id].append(t.reported_at)
    for asset_id, moments in by_asset.items():
        for i, first in enumerate(moments):
            for second in moments[i + 1 :]:
                if abs(second - first) <= dt.timedelta(days=90):
                    repeats.add(asset_id)
    return {
        "tickets": len(reported),
        "faults": Counter(t.fault for t in reported),
        "categories": Counter(t.asset.asset_model.category_id for t in reported),
        "open": sum(t.status not in CLOSED for t in reported),
        "resolved": sum(t.status == RepairStatus.RESOLVED for t in reported),
        "beyond": sum(t.status == RepairStatus.BEYOND_REPAIR for t in reported),
        "warranty": sum(t.warranty_claim for t in reported),
        "mean": statistics.mean(hours) if hours else None,
        "median": statistics.median(hours) if hours else None,
        "downtime": {office: round(h, 3) for office, h in downtime.items() if h > 0},
        "repeats": repeats,
    }


def test_demo_repairs_totals(demo, logistics_user):
    first = min(RepairTicket.objects.values_list("reported_at", flat=True))
    everything = queries.RepairFilters(
        date_from=timezone.localtime(first).date(), date_to=timezone.localdate()
    )
    for filters in (queries.repair_filters_default(), everything):
        _check_repairs(logistics_user, filters)


def _check_repairs(user, filters: queries.RepairFilters) -> None:
    report = queries.repairs_report(user=user, filters=filters, first_rows=None)
    expected = _repairs_by_hand(filters.start, filters.end, report.now)

    assert report.total.total == expected["tickets"] > 0
    assert {fault: counts.total for fault, _label, counts, _time in report.by_fault} == dict(
        expected["faults"]
    )
    assert sum(row.counts.total for row in report.by_category) == expected["tickets"]
    assert sorted(row.counts.total for row in report.by_category) == sorted(
        expected["categories"].values()
    )
    assert sum(row.counts.total for row in report.by_model) == expected["tickets"]
    assert (report.total.open, report.total.resolved, report.total.beyond_repair) == (
        expected["open"],
        expected["resolved"],
        expected["beyond"],
    )
    assert report.total.warranty_claims == len(report.warranty_claims) == expected["warranty"]
    if expected["mean"] is None:
        assert report.repair_time.mean is None
    else:
        assert report.repair_time.mean.total_seconds() / 3600 == pytest.approx(expected["mean"])
        assert report.repair_time.median.total_seconds() / 3600 == pytest.approx(expected["median"])
    assert {
        row.office_id: round(row.downtime.total_seconds() / 3600, 3) for row in report.downtime
    } == pytest.approx(expected["downtime"], abs=0.01)
    assert {repeat.asset.pk for repeat in report.repeat_failures} == expected["repeats"]
