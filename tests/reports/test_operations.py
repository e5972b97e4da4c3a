"""Operations reports: fleet health and repairs. Rules without a database, then pages,
filters, scope, links, workbooks and query counts on a small hand-built fleet."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset
from monitoring.choices import FaultCategory, Health, RepairStatus
from monitoring.models import MonitoredDevice, RepairTicket, SnmpProfile
from reports import charts, queries
from reports import operations as ops
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    DistrictFactory,
    HandoverSetFactory,
    ManufacturerFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

DUSHANBE = ZoneInfo("Asia/Dushanbe")
H = dt.timedelta(hours=1)


def at(day: str, time: str = "10:00") -> dt.datetime:
    """Return a moment in Dushanbe, e.g. at("2024-03-01", "14:00")."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=DUSHANBE)


# =================================================================================================
# Pure rules
# =================================================================================================


@pytest.mark.parametrize(
    ("status", "open_repair", "down", "expected"),
    [
        (AssetStatus.DEPLOYED, False, False, ops.WORKING),
        (AssetStatus.DEPLOYED, False, True, ops.UNREACHABLE),
        (AssetStatus.DEPLOYED, True, False, ops.IN_REPAIR),
        (AssetStatus.DEPLOYED, True, True, ops.IN_REPAIR),  # the repair explains the silence
        (AssetStatus.IN_REPAIR, False, False, ops.IN_REPAIR),
        (AssetStatus.IN_REPAIR, False, True, ops.IN_REPAIR),
        (AssetStatus.IN_STOCK, False, True, ops.IN_STOCK),
        (AssetStatus.IN_STOCK, True, False, ops.IN_REPAIR),  # a broken spare
        (AssetStatus.IN_TRANSIT, False, False, ops.IN_TRANSIT),
        (AssetStatus.RETIRED, True, True, ops.RETIRED),
        (AssetStatus.LOST, True, True, ops.LOST),
    ],
)
def test_fleet_state_takes_the_first_that_applies(status, open_repair, down, expected):
    assert ops.fleet_state(status=status, open_repair=open_repair, down=down) == expected


def test_every_asset_status_has_a_state_and_the_states_are_the_columns():
    states = {
        ops.fleet_state(status=status, open_repair=repair, down=down)
        for status in AssetStatus.values
        for repair in (False, True)
        for down in (False, True)
    }
    assert states == set(ops.FLEET_STATES)
    assert set(ops.CHART_STATES) <= set(ops.FLEET_STATES)
    assert set(ops.STATE_LABELS) == set(ops.FLEET_STATES)
    for state, status in ops.STATE_STATUS.items():
        assert ops.fleet_state(status=status, open_repair=False, down=False) == state


def test_fleet_rollup_by_category_region_and_office_adds_up_to_the_total():
    groups = [
        ops.FleetGroup(category_id=1, region_id=10, office_id=100, state=ops.WORKING, count=5),
        ops.FleetGroup(category_id=1, region_id=10, office_id=100, state=ops.LOST, count=1),
        ops.FleetGroup(category_id=2, region_id=10, office_id=101, state=ops.WORKING, count=3),
        ops.FleetGroup(category_id=2, region_id=20, office_id=200, state=ops.IN_REPAIR, count=2),
        ops.FleetGroup(
            category_id=1, region_id=None, office_id=None, state=ops.IN_TRANSIT, count=4
        ),
    ]
    total = ops.fleet_total(groups)
    assert total.total == 15
    assert total[ops.WORKING] == 8 and total[ops.IN_REPAIR] == 2 and total.in_service == 10
    by_category = ops.fleet_rollup(groups, lambda g: g.category_id)
    assert {key: counts.total for key, counts in by_category.items()} == {1: 10, 2: 5}
    assert by_category[1][ops.IN_TRANSIT] == 4
    for key in (lambda g: g.region_id, lambda g: g.office_id, lambda g: g.category_id):
        rolled = ops.fleet_rollup(groups, key)
        for state in ops.FLEET_STATES:
            assert sum(counts[state] for counts in rolled.values()) == total[state]
    assert list(ops.fleet_rollup(groups, lambda g: g.region_id)) == [10, 20, None]


def test_days_since():
    now = at("2024-03-10", "12:00")
    assert ops.days_since(None, now=now) is None
    assert ops.days_since(at("2024-03-03", "12:00"), now=now) == 7
    assert ops.days_since(at("2024-03-03", "12:01"), now=now) == 6
    assert ops.days_since(at("2024-03-11"), now=now) == 0  # a clock ahead: not negative


@pytest.mark.parametrize(
    ("hours", "count", "mean", "median"),
    [
        ([], 0, None, None),
        ([5], 1, 5, 5),
        ([3, 1, 2], 3, 2, 2),  # odd: the middle one
        ([4, 1, 10, 2], 4, 4.25, 3),  # even: the mean of the middle two
        ([1, 2, 4, 48, 48], 5, 20.6, 4),
    ],
)
def test_repair_time_mean_and_median(hours, count, mean, median):
    result = ops.repair_time([dt.timedelta(hours=h) for h in hours])
    assert result.count == count
    if mean is None:
        assert result.mean is None and result.median is None
    else:
        assert result.mean == dt.timedelta(hours=mean)
        assert result.median == dt.timedelta(hours=median)


def test_time_to_repair_is_never_negative():
    assert ops.time_to_repair(at("2024-01-02"), at("2024-01-01")) == dt.timedelta(0)
    assert ops.time_to_repair(at("2024-01-01"), at("2024-01-02")) == 24 * H


START, END = at("2024-01-01", "00:00"), at("2025-01-01", "00:00")


@pytest.mark.parametrize(
    ("reported", "resolved", "now", "expected"),
    [
        # inside the period
        (at("2024-03-01"), at("2024-03-01", "14:00"), at("2026-01-01"), 4 * H),
        # began before the period: only the part after its start
        (at("2023-12-31", "12:00"), at("2024-01-01", "12:00"), at("2026-01-01"), 12 * H),
        # ended after the period: only the part before its end
        (at("2024-12-31", "18:00"), at("2025-01-05"), at("2026-01-01"), 6 * H),
        # open: down up to the period's end
        (at("2024-12-31", "18:00"), None, at("2026-01-01"), 6 * H),
        # open, and now is inside the period: down up to now
        (at("2024-06-01", "10:00"), None, at("2024-06-02", "10:00"), 24 * H),
        # spans the whole period
        (at("2023-06-01"), None, at("2026-01-01"), END - START),
        # wholly before or after the period
        (at("2023-06-01"), at("2023-12-31", "23:00"), at("2026-01-01"), dt.timedelta(0)),
        (at("2025-01-01", "00:00"), None, at("2026-01-01"), dt.timedelta(0)),
        # reported in the future of now (a clock ahead): nothing
        (at("2024-06-03"), None, at("2024-06-02"), dt.timedelta(0)),
    ],
)
def test_downtime_is_clipped_to_the_period_and_to_now(reported, resolved, now, expected):
    assert (
        ops.downtime_clipped(
            reported_at=reported, resolved_at=resolved, start=START, end=END, now=now
        )
        == expected
    )


def _points(asset_id: int, *days: int, first: int = 1) -> list[ops.TicketPoint]:
    base = at("2024-01-01")
    return [
        ops.TicketPoint(
            asset_id=asset_id, ticket_id=first + index, reported_at=base + dt.timedelta(days=d)
        )
        for index, d in enumerate(days)
    ]


@pytest.mark.parametrize(("gap", "repeat"), [(89, True), (90, True), (91, False)])
def test_repeat_failure_within_90_days(gap, repeat):
    assert ops.REPEAT_WINDOW_DAYS == 90
    result = ops.repeat_failures(_points(7, 0, gap))
    assert (7 in result) is repeat
    if repeat:
        assert [point.ticket_id for point in result[7]] == [1, 2]


def test_repeat_failure_lists_only_the_close_tickets_and_each_asset_apart():
    tickets = _points(1, 200, 0, 250) + _points(2, 0, 100, first=10) + _points(3, 5, first=20)
    # a second asset's ticket 50 days after the first asset's does not make a repeat
    tickets += _points(4, 210, first=30)
    result = ops.repeat_failures(tickets)
    assert list(result) == [1]
    assert [p.ticket_id for p in result[1]] == [1, 3]  # day 200 and day 250, oldest first
    # within the window of one another in a chain: all three
    chain = ops.repeat_failures(_points(5, 0, 80, 160))
    assert [p.ticket_id for p in chain[5]] == [1, 2, 3]
    assert ops.repeat_failures([]) == {}


def test_fault_rollup_adds_up_per_category_and_model():
    groups = [
        ops.FaultGroup(1, 10, "paper_path", RepairStatus.RESOLVED, False, 3),
        ops.FaultGroup(1, 10, "paper_path", RepairStatus.OPEN, True, 1),
        ops.FaultGroup(2, 10, "toner_drum", RepairStatus.BEYOND_REPAIR, False, 2),
        ops.FaultGroup(3, 20, "screen", RepairStatus.WAITING_PARTS, True, 4),
    ]
    by_category = ops.fault_rollup(groups, lambda g: g.category_id)
    assert by_category[10].total == 6 and by_category[20].total == 4
    assert by_category[10].of("paper_path") == 4 and by_category[10].of("screen") == 0
    total = ops.fault_rollup(groups, lambda g: None)[None]
    assert (total.total, total.open, total.resolved, total.beyond_repair) == (10, 5, 3, 2)
    assert total.open + total.resolved + total.beyond_repair == total.total
    assert total.warranty_claims == 5
    by_model = ops.fault_rollup(groups, lambda g: g.model_id)
    assert sum(counts.total for counts in by_model.values()) == total.total
    assert ops.faults_seen(groups, FaultCategory.values) == ["paper_path", "toner_drum", "screen"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 6, 15), (dt.date(2024, 6, 16), dt.date(2025, 6, 15))),
        (dt.date(2024, 2, 29), (dt.date(2023, 3, 1), dt.date(2024, 2, 29))),
        (dt.date(2025, 1, 1), (dt.date(2024, 1, 2), dt.date(2025, 1, 1))),
    ],
)
def test_default_period_is_the_last_12_months(today, expected):
    assert ops.period_default(today) == expected


def test_durations_in_words_and_hours():
    assert ops.duration_text(None) == "—"
    assert ops.duration_text(dt.timedelta(minutes=45)) == "45 min"
    assert ops.duration_text(5.5 * H) == "5.5 h"
    assert ops.duration_text(72 * H + 36 * dt.timedelta(minutes=8)) == "3.2 days"
    assert ops.hours(None) is None
    assert ops.hours(dt.timedelta(minutes=90)) == 1.5


def test_top_rows_keeps_order_among_ties():
    rows = [("a", 1), ("b", 5), ("c", 5), ("d", 2)]
    assert ops.top_rows(rows, value=lambda row: row[1], limit=3) == [("b", 5), ("c", 5), ("d", 2)]


def test_stacked_chart_draws_a_segment_per_figure_and_escapes():
    svg = charts.stacked_bar_chart(
        title="States <b>",
        description="By category.",
        series=["Working", "Lost"],
        stacks=[charts.Stack("<script>", [3, 1]), charts.Stack("Laptop", [0, 2])],
    )
    assert svg.startswith('<svg class="chart chart-stacked" role="img"')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count('class="chart-segment"') == 3  # a zero draws nothing
    assert svg.count('class="chart-key"') == 2
    assert "&lt;script&gt;: Working 3, Lost 1; Laptop: Working 0, Lost 2" in svg
    empty = charts.stacked_bar_chart(title="t", description="d", series=["a"], stacks=[])
    assert "Nothing to show." in empty


# =================================================================================================
# A small fleet: every state once or twice, tickets on both sides of each boundary
# =================================================================================================


@dataclass
class OpsFleet:
    north: object
    south: object
    office_a: object
    office_b: object
    office_c: object
    warehouse: object
    printer: object
    laptop: object
    set: object
    assets: dict
    expected: dict  # asset key → state
    tickets: dict
    logistics: object


PERIOD = {"date_from": "2024-01-01", "date_to": "2024-12-31"}


def _ticket(number, asset, fault, reported, *, resolved=None, status=None, **kwargs):
    if status is None:
        status = RepairStatus.RESOLVED if resolved else RepairStatus.OPEN
    return RepairTicket.objects.create(
        number=number,
        asset=asset,
        fault=fault,
        reported_at=reported,
        resolved_at=resolved,
        status=status,
        **kwargs,
    )


@pytest.fixture
def ops_fleet(db) -> OpsFleet:
    logistics = make_user("logistics_officer", username="logistics")
    north = RegionFactory(code="NO", name_en="North", sort_order=1)
    south = RegionFactory(code="SO", name_en="South", sort_order=2)
    d_north = DistrictFactory(code="D-NO", region=north)
    d_south = DistrictFactory(code="D-SO", region=south)
    warehouse = OfficeFactory(
        code="WH-T", name_en="Warehouse", kind=OfficeKind.WAREHOUSE, district=d_north
    )
    office_a = OfficeFactory(code="OF-A", name_en="Office A", district=d_north)
    office_b = OfficeFactory(code="OF-B", name_en="Office B", district=d_north)
    office_c = OfficeFactory(code="OF-C", name_en="Office C", district=d_south)
    printer = CategoryFactory(code="printer", name_en="Printer", sort_order=1)
    laptop = CategoryFactory(code="laptop", name_en="Laptop", sort_order=2)
    hp = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="HP"), name="LaserJet M404", category=printer
    )
    lenovo = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Lenovo"), name="E14", category=laptop
    )
    handover_set = HandoverSetFactory(code="HS-O")
    profile = SnmpProfile.objects.create(name="Test v2c")
    now = timezone.now()

    def asset(key, model, office, status=AssetStatus.DEPLOYED, **kwargs):
        registered = make_asset(
            by=logistics,
            asset_model=model,
            serial=f"SN-{key.upper()}",
            status=AssetStatus.DEPLOYED,
            office=office,
            **kwargs,
        )
        if status != AssetStatus.DEPLOYED:
            Asset.objects.filter(pk=registered.pk).update(status=status)
        return registered

    def monitor(asset, *, health=Health.UP, seen=None, enabled=True):
        return MonitoredDevice.objects.create(
            asset=asset,
            address=f"10.0.0.{asset.pk}",
            profile=profile,
            health=health,
            enabled=enabled,
            last_reachable_at=seen,
        )

    a, expected = {}, {}
    a["p_work"] = asset("p_work", hp, office_a, handover_set=handover_set)
    monitor(a["p_work"], seen=now - H)
    expected["p_work"] = ops.WORKING
    a["p_down"] = asset("p_down", hp, office_a, handover_set=handover_set)
    monitor(a["p_down"], health=Health.DOWN, seen=now - dt.timedelta(days=10))
    expected["p_down"] = ops.UNREACHABLE
    # not polled: its old "down" does not count, and it is not in the list of silent devices
    a["p_unpolled"] = asset("p_unpolled", hp, office_b)
    monitor(a["p_unpolled"], health=Health.DOWN, seen=None, enabled=False)
    expected["p_unpolled"] = ops.WORKING
    # an open ticket that stops work, still "deployed", and down: in repair
    a["p_ticket"] = asset("p_ticket", hp, office_b)
    monitor(a["p_ticket"], health=Health.DOWN, seen=now - dt.timedelta(days=3))
    expected["p_ticket"] = ops.IN_REPAIR
    a["p_never"] = asset("p_never", hp, office_c)
    monitor(a["p_never"], health=Health.UNKNOWN, seen=None)
    expected["p_never"] = ops.IN_REPAIR  # its ticket r7 (below) is still open
    a["p_repaired"] = asset("p_repaired", hp, office_a)
    expected["p_repaired"] = ops.WORKING
    a["l_nostop"] = asset("l_nostop", lenovo, office_c)
    expected["l_nostop"] = ops.WORKING
    a["l_repair"] = asset("l_repair", lenovo, office_c, status=AssetStatus.IN_REPAIR)
    expected["l_repair"] = ops.IN_REPAIR
    a["l_stock"] = asset("l_stock", lenovo, warehouse, status=AssetStatus.IN_STOCK)
    expected["l_stock"] = ops.IN_STOCK
    a["l_transit"] = asset(
        "l_transit", lenovo, warehouse, status=AssetStatus.IN_TRANSIT, handover_set=handover_set
    )
    expected["l_transit"] = ops.IN_TRANSIT
    a["l_retired"] = asset("l_retired", lenovo, office_c, status=AssetStatus.RETIRED)
    expected["l_retired"] = ops.RETIRED
    a["l_lost"] = asset("l_lost", lenovo, office_a, status=AssetStatus.LOST)
    expected["l_lost"] = ops.LOST

    t = {}
    # Fleet: an open ticket that stops work; one that does not; one resolved; one on a
    # retired asset (the status wins).
    t["open_now"] = _ticket("RT-O-0001", a["p_ticket"], "paper_path", now - 2 * H)
    t["nostop"] = _ticket("RT-O-0002", a["l_nostop"], "keyboard", now - 2 * H, stops_work=False)
    # Repairs in 2024 (the period the repair tests choose):
    # p_repaired: 4 h, then 89 days later 48 h: a repeat failure.
    t["r1"] = _ticket(
        "RT-O-0101",
        a["p_repaired"],
        "paper_path",
        at("2024-03-01"),
        resolved=at("2024-03-01", "14:00"),
    )
    t["r2"] = _ticket(
        "RT-O-0102", a["p_repaired"], "paper_path", at("2024-05-29"), resolved=at("2024-05-31")
    )
    # p_work: 2 h, then 91 days later 1 h: not a repeat.
    t["r3"] = _ticket(
        "RT-O-0103",
        a["p_work"],
        "no_power",
        at("2024-02-01", "09:00"),
        resolved=at("2024-02-01", "11:00"),
    )
    t["r4"] = _ticket(
        "RT-O-0104",
        a["p_work"],
        "no_power",
        at("2024-05-02", "09:00"),
        resolved=at("2024-05-02", "10:00"),
    )
    # l_retired: beyond repair after 10 days: counted, not in the time to repair.
    t["r5"] = _ticket(
        "RT-O-0105",
        a["l_retired"],
        "screen",
        at("2024-06-01"),
        resolved=at("2024-06-11"),
        status=RepairStatus.BEYOND_REPAIR,
    )
    # l_repair: reported before the period, resolved in it: 12 h of downtime in the period.
    t["r6"] = _ticket(
        "RT-O-0106",
        a["l_repair"],
        "battery",
        at("2023-12-31", "12:00"),
        resolved=at("2024-01-01", "12:00"),
    )
    # p_never: reported on the period's last evening, still open: 6 h in the period.
    t["r7"] = _ticket(
        "RT-O-0107",
        a["p_never"],
        "toner_drum",
        at("2024-12-31", "18:00"),
        status=RepairStatus.WAITING_PARTS,
    )
    # p_unpolled: a warranty claim that does not stop work: 48 h, no downtime.
    t["r8"] = _ticket(
        "RT-O-0108",
        a["p_unpolled"],
        "no_power",
        at("2024-07-01"),
        resolved=at("2024-07-03"),
        stops_work=False,
        warranty_claim=True,
        supplier_reference="HP-123",
    )
    for key in a:
        a[key].refresh_from_db()
    return OpsFleet(
        north=north,
        south=south,
        office_a=office_a,
        office_b=office_b,
        office_c=office_c,
        warehouse=warehouse,
        printer=printer,
        laptop=laptop,
        set=handover_set,
        assets=a,
        expected=expected,
        tickets=t,
        logistics=logistics,
    )


def _expected_counts(fleet: OpsFleet, keep=lambda asset: True) -> dict[str, int]:
    counts = dict.fromkeys(ops.FLEET_STATES, 0)
    for key, state in fleet.expected.items():
        if keep(fleet.assets[key]):
            counts[state] += 1
    return counts


# =================================================================================================
# Fleet health
# =================================================================================================


def test_fleet_states_in_sql_match_the_rule_and_the_hand_count(ops_fleet):
    report = queries.fleet_health_report(user=ops_fleet.logistics, filters=queries.FleetFilters())
    assert report.total.counts == _expected_counts(ops_fleet)
    assert report.total.total == Asset.objects.count() == 12
    # the SQL state of each asset is the pure rule's
    open_repair = set(
        RepairTicket.objects.filter(stops_work=True)
        .exclude(status__in=[RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR])
        .values_list("asset_id", flat=True)
    )
    down = set(
        MonitoredDevice.objects.filter(enabled=True, health=Health.DOWN).values_list(
            "asset_id", flat=True
        )
    )
    for key, asset in ops_fleet.assets.items():
        state = ops.fleet_state(
            status=asset.status, open_repair=asset.pk in open_repair, down=asset.pk in down
        )
        assert state == ops_fleet.expected[key], key
    sql = dict(
        Asset.objects.annotate(state=queries.fleet_state_expression()).values_list("tag", "state")
    )
    assert sql == {asset.tag: ops_fleet.expected[key] for key, asset in ops_fleet.assets.items()}


def test_fleet_tables_by_category_region_and_office_add_up(ops_fleet):
    report = queries.fleet_health_report(user=ops_fleet.logistics, filters=queries.FleetFilters())
    assert [row.label for row in report.by_category] == ["Printer", "Laptop"]
    printer, laptop = report.by_category
    assert printer.counts.counts == _expected_counts(
        ops_fleet, lambda a: a.asset_model.category_id == ops_fleet.printer.pk
    )
    assert (printer.counts[ops.WORKING], printer.counts[ops.UNREACHABLE]) == (3, 1)
    assert laptop.counts.total == 6
    assert [row.label for row in report.by_region] == ["North", "South"]
    assert [row.label for row in report.by_office] == [
        "Office A",
        "Office B",
        "Warehouse",
        "Office C",
    ]
    office_a = report.by_office[0]
    assert office_a.code == "OF-A" and office_a.region == "North"
    assert office_a.counts.counts == _expected_counts(
        ops_fleet, lambda a: a.office_id == ops_fleet.office_a.pk
    )
    for rows in (report.by_category, report.by_region, report.by_office):
        for state in ops.FLEET_STATES:
            assert sum(row.counts[state] for row in rows) == report.total[state]
        for row in rows:
            assert sum(row.counts[state] for state in ops.FLEET_STATES) == row.counts.total


def test_devices_not_seen_for_n_days(ops_fleet):
    user = ops_fleet.logistics
    report = queries.fleet_health_report(user=user, filters=queries.FleetFilters())
    tags = [device.tag for device in report.not_seen]
    # never answered first, then the longest silent; not polled: left out
    assert tags == [ops_fleet.assets["p_never"].tag, ops_fleet.assets["p_down"].tag]
    assert report.not_seen_count == 2
    assert [device.days for device in report.not_seen] == [None, 10]
    assert (
        report.not_seen[1].office == "Office A" and report.not_seen[1].model == "HP LaserJet M404"
    )
    two = queries.fleet_health_report(user=user, filters=queries.FleetFilters(days=2))
    assert two.not_seen_count == 3
    assert ops_fleet.assets["p_ticket"].tag in [device.tag for device in two.not_seen]
    first = queries.fleet_health_report(
        user=user, filters=queries.FleetFilters(days=2), first_rows=1
    )
    assert first.not_seen_count == 3 and len(first.not_seen) == 1


def test_fleet_filters_narrow_every_table(client, ops_fleet):
    client.force_login(ops_fleet.logistics)
    url = reverse("fleet_health")
    south = client.get(url, {"region": ops_fleet.south.pk}).context["report"]
    assert south.total.counts == _expected_counts(
        ops_fleet, lambda a: a.office.region_id == ops_fleet.south.pk
    )
    assert [row.label for row in south.by_office] == ["Office C"]
    laptops = client.get(url, {"category": ops_fleet.laptop.pk}).context["report"]
    assert [row.label for row in laptops.by_category] == ["Laptop"]
    assert laptops.total.total == 6 and laptops.not_seen_count == 0
    in_set = client.get(url, {"set": ops_fleet.set.pk}).context["report"]
    assert in_set.total.counts == _expected_counts(
        ops_fleet, lambda a: a.handover_set_id == ops_fleet.set.pk
    )
    days = client.get(url, {"days": 2}).context["report"]
    assert days.filters.days == 2 and days.not_seen_count == 3
    # a bad value: the form says so, the report shows everything with the default days
    bad = client.get(url, {"days": 0})
    assert bad.context["form"].errors["days"]
    assert bad.context["report"].filters == queries.FleetFilters()


def test_fleet_page_shows_definitions_chart_and_links_that_list_the_figure(client, ops_fleet):
    client.force_login(ops_fleet.logistics)
    response = client.get(reverse("fleet_health"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "How figures are counted" in content
    assert content.count('role="img"') == 1
    assert 'class="chart-segment"' in content
    assert reverse("fleet_health_xlsx") in content
    assert "table-scroll" in content
    assert f'href="{reverse("asset_detail", args=[ops_fleet.assets["p_down"].pk])}"' in content
    context = response.context
    linked = 0
    for _row, cells in [
        *context["category_rows"],
        *context["region_rows"],
        *context["office_rows"],
        (None, context["total_cells"]),
    ]:
        for state, count, url in cells:
            if state in ("total", *ops.STATE_STATUS) and count:
                assert url, state
            if url:
                listed = client.get(url).context["table"].data
                assert len(listed) == count, (state, url)
                linked += 1
            else:
                assert state not in ("total", *ops.STATE_STATUS) or not count
    assert linked > 10
    # a filter carries into the links
    south = client.get(reverse("fleet_health"), {"region": ops_fleet.south.pk, "days": 3})
    state, count, url = south.context["total_cells"][-1]
    assert f"region={ops_fleet.south.pk}" in url and count == 4
    assert "days=3" in south.context["query"]


def test_fleet_report_is_scoped(client, ops_fleet):
    other = RegionFactory(code="EA", name_en="East")
    elsewhere = OfficeFactory(code="OF-E", district=DistrictFactory(code="D-EA", region=other))
    head = make_user("office_head", username="head", office=elsewhere)
    client.force_login(head)
    report = client.get(reverse("fleet_health")).context["report"]
    assert report.total.total == 0 and report.not_seen_count == 0
    assert report.by_category == report.by_region == report.by_office == []
    # asking for another region does not help
    response = client.get(reverse("fleet_health"), {"region": ops_fleet.north.pk})
    assert response.context["report"].total.total == 0
    technician = make_user("technician", username="tech", regions=[ops_fleet.south])
    client.force_login(technician)
    report = client.get(reverse("fleet_health")).context["report"]
    assert report.total.counts == _expected_counts(
        ops_fleet, lambda a: a.office.region_id == ops_fleet.south.pk
    )
    assert [device.tag for device in report.not_seen] == [ops_fleet.assets["p_never"].tag]


def _workbook(client, name, params=None):
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_fleet_workbook_holds_the_chart_and_the_same_totals(client, ops_fleet):
    client.force_login(ops_fleet.logistics)
    page = client.get(reverse("fleet_health")).context["report"]
    workbook = _workbook(client, "fleet_health_xlsx")
    assert workbook.sheetnames == ["Summary", "By region", "By office", "Not seen by the poller"]
    summary = workbook["Summary"]
    assert len(summary._charts) == 1
    chart = summary._charts[0]
    assert chart.grouping == "stacked" and len(chart.series) == len(ops.CHART_STATES)
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][0] == "Fleet health"
    meta = {row[0]: row[1] for row in rows[1:9] if row}
    assert meta["Not seen by the poller for (days)"] == 7 and meta["Devices not seen"] == 2
    header = next(row for row in rows if row and row[1] == "Working")
    assert header[0] == "Category"
    assert list(header[1:9]) == [str(ops.STATE_LABELS[s]) for s in ops.FLEET_STATES] + ["Total"]
    total = next(row for row in rows if row and row[0] == "Total")
    assert list(total[1:9]) == [page.total[s] for s in ops.FLEET_STATES] + [page.total.total]
    printer = next(row for row in rows if row and row[0] == "Printer")
    assert printer[1] == 3 and isinstance(printer[1], int)
    for name in ("By region", "By office", "Not seen by the poller"):
        assert workbook[name].freeze_panes == "A2"
    offices = list(workbook["By office"].iter_rows(min_row=2, values_only=True))
    assert sum(row[-1] for row in offices) == page.total.total
    silent = list(workbook["Not seen by the poller"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in silent] == [device.tag for device in page.not_seen]
    assert (
        silent[1][5] is not None
        and silent[1][5].date() == page.not_seen[1].last_reachable_at.astimezone(DUSHANBE).date()
    )
    assert workbook["Not seen by the poller"]["F3"].number_format == "dd.mm.yyyy"
    assert silent[1][6] == 10


# =================================================================================================
# Repairs
# =================================================================================================


def _repairs(user, **kwargs) -> queries.RepairsReport:
    filters = queries.RepairFilters(
        date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31), **kwargs
    )
    return queries.repairs_report(user=user, filters=filters)


def test_repairs_counts_faults_reported_in_the_period(ops_fleet):
    report = _repairs(ops_fleet.logistics)
    # r1..r5, r7, r8 are reported in 2024; r6 (2023) and the two of today are not
    assert report.total.total == 7
    assert (report.total.open, report.total.resolved, report.total.beyond_repair) == (1, 5, 1)
    assert report.total.warranty_claims == 1
    assert report.faults == ["no_power", "paper_path", "toner_drum", "screen"]
    by_fault = {fault: counts.total for fault, _label, counts, _time in report.by_fault}
    assert by_fault == {"no_power": 3, "paper_path": 2, "toner_drum": 1, "screen": 1}
    assert [(row.label, row.counts.total) for row in report.by_category] == [
        ("Printer", 6),
        ("Laptop", 1),
    ]
    assert report.by_category[0].counts.of("paper_path") == 2
    assert [(row.label, row.category, row.counts.total) for row in report.by_model] == [
        ("HP LaserJet M404", "Printer", 6),
        ("Lenovo E14", "Laptop", 1),
    ]
    assert sum(row.counts.total for row in report.by_category) == report.total.total


def test_repairs_time_to_repair_mean_and_median(ops_fleet):
    report = _repairs(ops_fleet.logistics)
    # resolved in the period: 4 h, 48 h, 2 h, 1 h, 48 h; beyond repair left out
    assert report.repair_time.count == 5
    assert report.repair_time.mean == dt.timedelta(hours=20.6)
    assert report.repair_time.median == 4 * H
    by_category = {row.label: row for row in report.repair_time_by_category}
    assert by_category["Laptop"].time.count == 0 and by_category["Laptop"].beyond_repair == 1
    assert by_category["Printer"].time.median == 4 * H
    no_power = next(time for fault, _l, _c, time in report.by_fault if fault == "no_power")
    assert (no_power.count, no_power.median) == (3, 2 * H)


def test_repairs_downtime_per_office_is_clipped_to_the_period(ops_fleet):
    report = _repairs(ops_fleet.logistics)
    downtime = {row.label: (row.tickets, row.downtime) for row in report.downtime}
    # A: r1 4 h + r2 48 h + r3 2 h + r4 1 h. C: r5 240 h + r6 12 h + r7 6 h. B: r8 stops no work
    assert downtime == {"Office C": (3, 258 * H), "Office A": (4, 55 * H)}
    assert [row.label for row in report.downtime] == ["Office C", "Office A"]
    assert report.downtime_total == 313 * H


def test_open_ticket_downtime_runs_to_now(ops_fleet):
    today = timezone.localdate()
    filters = queries.RepairFilters(date_from=today - dt.timedelta(days=1), date_to=today)
    report = queries.repairs_report(user=ops_fleet.logistics, filters=filters)
    downtime = {row.label: row.downtime for row in report.downtime}
    minute = dt.timedelta(minutes=1)
    # B: the open ticket of p_ticket, reported 2 h ago; C: r7, open since 2024, all the
    # period up to now; the ticket that does not stop work adds nothing
    assert set(downtime) == {"Office B", "Office C"}
    assert 2 * H - minute < downtime["Office B"] <= 2 * H + minute
    up_to_now = report.now - filters.start
    assert up_to_now - minute < downtime["Office C"] <= up_to_now


def test_repairs_warranty_claims_and_repeat_failures(ops_fleet):
    report = _repairs(ops_fleet.logistics)
    assert [ticket.number for ticket in report.warranty_claims] == ["RT-O-0108"]
    assert [repeat.asset.tag for repeat in report.repeat_failures] == [
        ops_fleet.assets["p_repaired"].tag
    ]
    assert [t.number for t in report.repeat_failures[0].tickets] == ["RT-O-0101", "RT-O-0102"]


def test_repairs_filters_region_and_category(ops_fleet):
    south = _repairs(ops_fleet.logistics, region=ops_fleet.south)
    assert south.total.total == 2  # r5 (C, laptop), r7 (C, printer)
    assert {row.label for row in south.downtime} == {"Office C"}
    laptops = _repairs(ops_fleet.logistics, category=ops_fleet.laptop)
    assert laptops.total.total == 1 and laptops.repeat_failures == []
    assert {row.label: row.downtime for row in laptops.downtime} == {"Office C": 252 * H}


def test_repairs_page_filters_by_period(client, ops_fleet):
    client.force_login(ops_fleet.logistics)
    url = reverse("repairs_report")
    response = client.get(url, PERIOD)
    content = response.content.decode()
    assert response.status_code == 200
    assert "How figures are counted" in content
    assert content.count('role="img"') == 2
    assert "From 01.01.2024 to 31.12.2024" in content
    assert reverse("repairticket_detail", args=[ops_fleet.tickets["r8"].pk]) in content
    assert reverse("repairs_xlsx") + "?date_from=2024-01-01&amp;date_to=2024-12-31" in content
    assert response.context["ttr_median"] == "4.0 h"
    assert response.context["downtime_total"] == "13.0 days"
    for figure, value in (
        ("tickets", "7"),
        ("open", "1"),
        ("resolved", "5"),
        ("beyond_repair", "1"),
        ("mean", "20.6 h"),
        ("median", "4.0 h"),
        ("downtime", "13.0 days"),
    ):
        assert f'data-figure="{figure}">{value}</td>' in content, figure
    assert '<a href="#warranty">1</a>' in content and '<a href="#repeat">1</a>' in content
    march = client.get(url, {"date_from": "2024-03-01", "date_to": "2024-03-31"})
    assert march.context["report"].total.total == 1
    # the default: the last 12 months (only today's tickets fall in it)
    default = client.get(url).context["report"]
    assert default.filters == queries.repair_filters_default()
    assert default.total.total == 2
    # a period that ends before it starts: an error, and the default period
    backwards = client.get(url, {"date_from": "2024-12-01", "date_to": "2024-01-01"})
    assert "The period must start on or before its last day." in backwards.content.decode()
    assert backwards.context["report"].filters == queries.repair_filters_default()


def test_repairs_report_is_scoped(client, ops_fleet):
    other = RegionFactory(code="EA", name_en="East")
    elsewhere = OfficeFactory(code="OF-E", district=DistrictFactory(code="D-EA", region=other))
    head = make_user("office_head", username="head", office=elsewhere)
    client.force_login(head)
    report = client.get(reverse("repairs_report"), PERIOD).context["report"]
    assert report.total.total == 0
    assert report.downtime == report.warranty_claims == report.repeat_failures == []
    assert report.repair_time.count == 0
    head_b = make_user("office_head", username="head-b", office=ops_fleet.office_b)
    client.force_login(head_b)
    report = client.get(reverse("repairs_report"), PERIOD).context["report"]
    assert report.total.total == 1 and [t.number for t in report.warranty_claims] == ["RT-O-0108"]


def test_repairs_workbook_holds_the_charts_and_the_same_totals(client, ops_fleet):
    client.force_login(ops_fleet.logistics)
    page = client.get(reverse("repairs_report"), PERIOD).context["report"]
    workbook = _workbook(client, "repairs_xlsx", PERIOD)
    assert workbook.sheetnames == [
        "Summary",
        "By category",
        "By model",
        "Time to repair",
        "Downtime by office",
        "Warranty claims",
        "Repeat failures",
    ]
    summary = workbook["Summary"]
    assert len(summary._charts) == 2
    rows = list(summary.iter_rows(values_only=True))
    meta = {row[0]: row[1] for row in rows[1:16] if row}
    assert meta["From"].date() == dt.date(2024, 1, 1) and meta["To"].date() == dt.date(2024, 12, 31)
    assert summary["B2"].number_format == "dd.mm.yyyy"
    assert meta["Tickets reported"] == page.total.total == 7
    assert meta["Warranty claims"] == 1
    assert meta["Median time to repair (hours)"] == 4.0
    assert meta["Mean time to repair (hours)"] == 20.6
    assert meta["Downtime (hours)"] == 313.0
    assert meta["Assets with repeat failures"] == 1
    faults = {
        row[0]: row[1] for row in rows if row and row[0] in dict(FaultCategory.choices).values()
    }
    assert faults == {"No power": 3, "Paper path": 2, "Toner / drum": 1, "Screen": 1}
    for name in workbook.sheetnames[1:]:
        assert workbook[name].freeze_panes == "A2", name
    downtime = list(workbook["Downtime by office"].iter_rows(min_row=2, values_only=True))
    assert [(row[2], row[4]) for row in downtime] == [("Office C", 258.0), ("Office A", 55.0)]
    claims = list(workbook["Warranty claims"].iter_rows(min_row=2, values_only=True))
    assert claims[0][0] == "RT-O-0108" and claims[0][-1] == "HP-123"
    assert claims[0][1].date() == dt.date(2024, 7, 1)
    repeats = list(workbook["Repeat failures"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in repeats] == ["RT-O-0101", "RT-O-0102"]
    by_category = list(workbook["By category"].iter_rows(values_only=True))
    assert sum(row[1] for row in by_category[1:]) == 7


@pytest.mark.parametrize(
    "name", ["fleet_health", "fleet_health_xlsx", "repairs_report", "repairs_xlsx"]
)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("administrator", 200),
        ("auditor", 200),
        ("technician", 200),
        ("office_head", 200),
        (None, 403),
    ],
)
def test_every_role_reads_the_operations_reports(client, db, name, role, expected):
    user = make_user(role or "auditor", username=f"u-{role}")
    if role is None:
        user.groups.clear()
    client.force_login(user)
    assert client.get(reverse(name)).status_code == expected


def test_report_index_lists_the_operations_reports(client, ops_fleet):
    client.force_login(ops_fleet.logistics)
    content = client.get(reverse("report_index")).content.decode()
    assert reverse("fleet_health") in content and reverse("repairs_report") in content


# =================================================================================================
# Query counts: the same for 1 row as for 50
# =================================================================================================

# session, user, 2 permission lookups, roles; the menu's open alerts
PAGE_BASE = 5 + 1
# the form's choices: regions, categories, handover sets
FLEET_FORM = 3
# grouped counts, categories, offices named, devices not seen: count and rows
FLEET_REPORT = 5
# the form's choices: regions, categories
REPAIRS_FORM = 2
# grouped tickets, categories, models named, resolved times, downtime tickets, their offices,
# warranty claims, repeat failures
REPAIRS_REPORT = 8
# session, user, 2 permission lookups, roles (no menu in a download)
DOWNLOAD_BASE = 5


def _fill(n: int):
    """n offices, each with a polled printer never heard from and a repeat-failing ticket pair."""
    user = make_user("logistics_officer", username="counter")
    region = RegionFactory(code="QC")
    profile = SnmpProfile.objects.create(name="Count v2c")
    category = CategoryFactory(code="printer")
    models = [AssetModelFactory(category=category, name=f"M{i}") for i in range(n)]
    reported = timezone.now() - dt.timedelta(days=30)
    for i in range(n):
        office = OfficeFactory(district=DistrictFactory(region=region))
        asset = make_asset(by=user, asset_model=models[i], office=office)
        MonitoredDevice.objects.create(
            asset=asset, address=f"10.1.{i // 250}.{i % 250}", profile=profile
        )
        _ticket(
            f"RT-C-{2 * i:04d}",
            asset,
            "paper_path",
            reported,
            resolved=reported + H,
            warranty_claim=True,
        )
        _ticket(f"RT-C-{2 * i + 1:04d}", asset, "no_power", reported + 2 * H)
    return user


@pytest.mark.parametrize("n", [1, 50])
def test_fleet_query_count_does_not_grow(client, db, django_assert_num_queries, n):
    user = _fill(n)
    client.force_login(user)
    with django_assert_num_queries(PAGE_BASE + FLEET_FORM + FLEET_REPORT):
        response = client.get(reverse("fleet_health"))
    report = response.context["report"]
    assert len(report.by_office) == n and report.not_seen_count == n
    with django_assert_num_queries(DOWNLOAD_BASE + FLEET_REPORT - 1):  # all rows: no count
        response = client.get(reverse("fleet_health_xlsx"))
        b"".join(response.streaming_content)


@pytest.mark.parametrize("n", [1, 50])
def test_repairs_query_count_does_not_grow(client, db, django_assert_num_queries, n):
    user = _fill(n)
    client.force_login(user)
    with django_assert_num_queries(PAGE_BASE + REPAIRS_FORM + REPAIRS_REPORT):
        response = client.get(reverse("repairs_report"))
    report = response.context["report"]
    assert len(report.by_model) == n and len(report.downtime) == n
    assert len(report.repeat_failures) == n and len(report.warranty_claims) == n
    with django_assert_num_queries(DOWNLOAD_BASE + REPAIRS_REPORT):
        response = client.get(reverse("repairs_xlsx"))
        b"".join(response.streaming_content)
