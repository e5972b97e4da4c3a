"""Consumables forecast report: the order rule per cartridge, the page, the workbook, scope."""

from __future__ import annotations

import datetime as dt
import io
import math
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inventory.choices import Role
from monitoring import forecast
from monitoring.models import MonitoredDevice, PollOutcome, SnmpProfile, SupplyForecast
from monitoring.services import supply_forecasts_refresh
from reports import consumables, queries
from reports.consumables import Cartridge, SupplyRow
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    DistrictFactory,
    ManufacturerFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

NOW = dt.datetime(2026, 5, 15, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def row(
    description="Black toner",
    model="M404",
    *,
    runs_out: dt.datetime | None = None,
    rate: float | None = None,
    reason: str = "",
    stale: bool = False,
    office_id: int | None = 1,
    region_id: int | None = 1,
) -> SupplyRow:
    return SupplyRow(
        office_id=office_id,
        region_id=region_id,
        description=description,
        model=model,
        runs_out=runs_out,
        percent_per_day=rate,
        reason=reason,
        stale=stale,
    )


# A hand-made set of forecasts, each with the cartridges it needs within 30, 60 and 90 days
# worked out by hand: the first on the run-out date, one more per cartridge lifetime
# (100 % ÷ rate, at least 7 days) still within the horizon.
HAND_MADE = [
    # 10 days ahead, 2 %/day → lasts 50 days: 30: 1; 60: 1 + ⌊50/50⌋ = 2; 90: 1 + ⌊80/50⌋ = 2.
    (row(runs_out=NOW + 10 * DAY, rate=2.0), (1, 2, 2), False),
    # 45 days ahead, 1 %/day → lasts 100 days: 30: 0; 60: 1; 90: 1.
    (row(runs_out=NOW + 45 * DAY, rate=1.0, region_id=2, office_id=2), (0, 1, 1), False),
    # No date, not enough data: needs unknown.
    (row(reason="not_enough_data"), (0, 0, 0), True),
    # A date 5 days ahead, but the latest level is too old: no recent reading, unknown.
    (row(runs_out=NOW + 5 * DAY, rate=3.0, stale=True), (0, 0, 0), True),
    # 20 days ahead, 10 %/day → lasts 10 days: 30: 1 + ⌊10/10⌋ = 2; 60: 1 + 4 = 5; 90: 8.
    (row(runs_out=NOW + 20 * DAY, rate=10.0, region_id=2, office_id=3), (2, 5, 8), False),
    # 3 days ahead, 50 %/day → 2 days, but at least 7: 30: 1 + ⌊27/7⌋ = 4; 60: 9; 90: 13.
    (row(runs_out=NOW + 3 * DAY, rate=50.0), (4, 9, 13), False),
    # Another cartridge: cyan, more than two years away: not needed, not unknown.
    (row("Cyan toner", reason="too_far", rate=0.01), (0, 0, 0), False),
    # Another model: empty two days ago, rate unknown → one now, whatever the horizon.
    (row(model="MF443", runs_out=NOW - 2 * DAY), (1, 1, 1), False),
]


@pytest.mark.parametrize(("supply", "needed", "unknown"), HAND_MADE)
def test_each_forecast_needs_what_was_worked_out_by_hand(supply, needed, unknown):
    result = consumables.row_forecast(supply)
    got = tuple(
        forecast.cartridges_needed(result, now=NOW, horizon_days=days)
        for days in consumables.HORIZONS
    )
    assert got == needed
    assert (result.runs_out is None and result.reason != "too_far") is unknown


def test_orders_per_cartridge_add_up_the_hand_made_set():
    national = consumables.orders([supply for supply, _n, _u in HAND_MADE], now=NOW).national
    lines = {line.key: line for line in national.lines}
    assert list(lines) == [  # sorted by cartridge
        Cartridge("Black toner", "M404"),
        Cartridge("Black toner", "MF443"),
        Cartridge("Cyan toner", "M404"),
    ]
    black = lines[Cartridge("Black toner", "M404")]
    assert black.quantities == {30: 1 + 0 + 2 + 4, 60: 2 + 1 + 5 + 9, 90: 2 + 1 + 8 + 13}
    assert (black.supplies, black.unknown) == (6, 2)
    assert lines[Cartridge("Black toner", "MF443")].quantities == {30: 1, 60: 1, 90: 1}
    cyan = lines[Cartridge("Cyan toner", "M404")]
    assert (cyan.quantities, cyan.supplies, cyan.unknown) == ({30: 0, 60: 0, 90: 0}, 1, 0)
    assert national.totals == {30: 8, 60: 18, 90: 25}
    assert (national.supplies, national.unknown) == (8, 2)
    assert national.total_cells == [8, 18, 25]


def test_orders_per_region_and_office_add_up_to_the_national_order():
    rows = [supply for supply, _n, _u in HAND_MADE]
    orders = consumables.orders(rows, now=NOW)
    national, regions, offices = orders.national, orders.regions, orders.offices
    assert list(regions) == [1, 2]
    assert list(offices) == [1, 2, 3]
    assert regions[2].totals == {30: 2, 60: 6, 90: 9}  # offices 2 and 3
    assert offices[2].totals == {30: 0, 60: 1, 90: 1}
    assert _lines(offices[3]) == {("Black toner", "M404"): ((2, 5, 8), 1, 0)}
    assert regions[2].supplies == 2
    for groups in (regions, offices):
        for days in consumables.HORIZONS:
            assert sum(t.totals[days] for t in groups.values()) == national.totals[days]
        assert sum(t.unknown for t in groups.values()) == national.unknown
        assert sum(t.supplies for t in groups.values()) == national.supplies


def test_no_rows_no_tables():
    orders = consumables.orders([], now=NOW)
    assert (orders.national.lines, orders.regions, orders.offices) == ([], {}, {})
    assert (orders.national.totals, orders.national.unknown) == ({30: 0, 60: 0, 90: 0}, 0)


@pytest.mark.parametrize(
    ("age", "stale"),
    [
        (dt.timedelta(days=59), False),
        (dt.timedelta(days=60), False),
        (dt.timedelta(days=60, seconds=1), True),
        (dt.timedelta(days=400), True),
    ],
)
def test_a_level_older_than_60_days_is_no_recent_reading(age, stale):
    assert consumables.is_stale(NOW - age, now=NOW) is stale
    result = consumables.forecast_rebuild(
        runs_out=NOW + DAY, percent_per_day=1.0, reason="", stale=stale
    )
    assert (result.runs_out is None) is stale
    assert result.reason == ("no_recent" if stale else None)
    assert consumables.is_stale(None, now=NOW) is False


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            {"runs_out": NOW + DAY, "confidence": "high", "method": "trend", "reason": ""},
            ("high", "level trend", ""),
        ),
        (
            {"runs_out": NOW, "confidence": "medium", "method": "page_rate", "reason": ""},
            ("medium", "page rate", ""),
        ),
        (
            {"runs_out": None, "confidence": "", "method": "", "reason": "not_falling"},
            ("", "", "level not falling"),
        ),
        (
            {
                "runs_out": NOW + DAY,
                "confidence": "high",
                "method": "trend",
                "reason": "",
                "level_at": NOW - 90 * DAY,
            },
            ("", "", "no recent level reading"),
        ),
    ],
)
def test_forecast_words(stored, expected):
    words = consumables.forecast_words(**{"level_at": NOW - DAY, **stored}, now=NOW)
    assert (words.confidence, words.method, words.reason) == expected
    assert (words.runs_out is None) is bool(expected[2])


def test_chart_lines_are_the_most_needed_first():
    rows = [supply for supply, _n, _u in HAND_MADE]
    lines = consumables.chart_lines(consumables.orders(rows, now=NOW).national.lines)
    assert [(str(line.key), line.quantities[90]) for line in lines] == [
        ("Black toner · M404", 24),
        ("Black toner · MF443", 1),
    ]
    assert consumables.chart_lines(lines, limit=1) == lines[:1]


# --- the page and the workbook ---------------------------------------------------------------


@pytest.fixture
def fleet(db):
    """Two regions, an office in each, two printer models."""
    fleet = SimpleNamespace()
    fleet.north = RegionFactory(code="NO", name_en="North")
    fleet.south = RegionFactory(code="SO", name_en="South")
    fleet.office_a = OfficeFactory(code="OF-A", district=DistrictFactory(region=fleet.north))
    fleet.office_b = OfficeFactory(code="OF-B", district=DistrictFactory(region=fleet.south))
    printer = CategoryFactory(code="printer")
    fleet.m404 = AssetModelFactory(name="M404", category=printer)
    fleet.mf443 = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Canon"), name="MF443", category=printer
    )
    fleet.profile = SnmpProfile.objects.create(name="Test v2c")
    fleet.logistics = make_user(Role.LOGISTICS_OFFICER, username="logistics")
    return fleet


_hosts = iter(range(1, 1_000_000))


def device_make(fleet, *, office, model) -> MonitoredDevice:
    asset = make_asset(asset_model=model, office=office)
    return MonitoredDevice.objects.create(
        asset=asset, address=f"10.9.{next(_hosts) % 250}.1", profile=fleet.profile
    )


def forecast_make(device, description="Black toner", index="1.1", **values) -> SupplyForecast:
    now = timezone.now()
    fields = {
        "level": 40.0,
        "level_at": now - DAY,
        "runs_out": now + 10 * DAY,
        "earliest": now + 8 * DAY,
        "latest": now + 12 * DAY,
        "confidence": "high",
        "method": "trend",
        "reason": "",
        "percent_per_day": 2.0,
        "points": 20,
        "computed_at": now,
        **values,
    }
    return SupplyForecast.objects.create(
        device=device, supply_index=index, description=description, **fields
    )


@pytest.fixture
def forecasts(fleet):
    """a1 (north, M404): black in 10 days (2 %/day), cyan no date; a2 (north, MF443): black
    empty, stale cyan; b1 (south, M404): black in 45 days (1 %/day)."""
    now = timezone.now()
    a1 = device_make(fleet, office=fleet.office_a, model=fleet.m404)
    a2 = device_make(fleet, office=fleet.office_a, model=fleet.mf443)
    b1 = device_make(fleet, office=fleet.office_b, model=fleet.m404)
    forecast_make(a1)
    forecast_make(
        a1,
        "Cyan toner",
        "1.2",
        runs_out=None,
        earliest=None,
        latest=None,
        confidence="",
        method="",
        reason="not_falling",
    )
    forecast_make(
        a2, runs_out=now - DAY, earliest=now - DAY, latest=now - DAY, method="empty", level=0.0
    )
    forecast_make(a2, "Cyan toner", "1.2", runs_out=now + 3 * DAY, level_at=now - 70 * DAY)
    forecast_make(
        b1,
        runs_out=now + 45 * DAY,
        earliest=now + 30 * DAY,
        latest=None,
        confidence="low",
        percent_per_day=1.0,
    )
    fleet.devices = {"a1": a1, "a2": a2, "b1": b1}
    return fleet


def _lines(table) -> dict:
    return {
        (line.key.description, line.key.model): (
            tuple(line.quantities.values()),
            line.supplies,
            line.unknown,
        )
        for line in table.lines
    }


@pytest.mark.django_db
def test_page_lists_forecasts_soonest_first_and_what_to_order(client, forecasts):
    client.force_login(forecasts.logistics)
    response = client.get(reverse("consumables_report"))
    assert response.status_code == 200
    report = response.context["report"]
    # By hand: a cartridge lasts 100 % ÷ rate days. a1's black: in 10 days at 2 %/day (50
    # days): 1, 1 + ⌊50/50⌋ = 2, 1 + ⌊80/50⌋ = 2; b1's black: in 45 days: 0, 1, 1; a2's black:
    # empty since yesterday (so from now), 2 %/day: 1, 1 + ⌊60/50⌋ = 2, 1 + ⌊90/50⌋ = 2.
    assert _lines(report.national) == {
        ("Black toner", "M404"): ((1, 3, 3), 2, 0),
        ("Black toner", "MF443"): ((1, 2, 2), 1, 0),
        ("Cyan toner", "M404"): ((0, 0, 0), 1, 1),  # not falling
        ("Cyan toner", "MF443"): ((0, 0, 0), 1, 1),  # a date, but the level is 70 days old
    }
    assert report.national.totals == {30: 2, 60: 5, 90: 5}
    assert [region.code for region, _table in report.regions] == ["NO", "SO"]
    rows = response.context["rows"]
    tags = [(f.device.asset.tag, f.description) for f, _words in rows]
    a1, a2, b1 = (forecasts.devices[k].asset.tag for k in ("a1", "a2", "b1"))
    assert tags == [
        (a2, "Black toner"),
        (a1, "Black toner"),
        (b1, "Black toner"),
        (a1, "Cyan toner"),
        (a2, "Cyan toner"),
    ]
    content = response.content.decode()
    assert "How figures are counted" in content
    assert "no recent level reading" in content
    assert "level not falling" in content
    assert "open-ended" in content
    assert "already empty" in content
    assert content.count('role="img"') == 1
    assert reverse("asset_detail", args=[forecasts.devices["a1"].asset_id]) in content
    assert 'id="orders-national"' in content and 'id="orders-region-NO"' in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"region": "north"},
            {
                ("a1", "Black toner"),
                ("a1", "Cyan toner"),
                ("a2", "Black toner"),
                ("a2", "Cyan toner"),
            },
        ),
        ({"office": "office_b"}, {("b1", "Black toner")}),
        ({"confidence": "high"}, {("a1", "Black toner"), ("a2", "Black toner")}),
        ({"confidence": "low"}, {("b1", "Black toner")}),
        ({"within": "30"}, {("a1", "Black toner"), ("a2", "Black toner")}),
        ({"within": "0"}, {("a2", "Black toner")}),
    ],
)
def test_filters_narrow_the_forecast_list(client, forecasts, params, expected):
    query = {}
    for key, value in params.items():
        if key == "region" or key == "office":
            query[key] = getattr(forecasts, value).pk
        else:
            query[key] = value
    names = {device.asset.tag: name for name, device in forecasts.devices.items()}
    client.force_login(forecasts.logistics)
    response = client.get(reverse("consumables_report"), query)
    got = {(names[f.device.asset.tag], f.description) for f, _w in response.context["rows"]}
    assert got == expected
    report = response.context["report"]
    assert report.national.supplies == 5  # the order tables cover every office in scope
    if "office" in params:
        assert [region.code for region, _t in report.regions] == ["SO"]
        assert _lines(report.office) == {("Black toner", "M404"): ((0, 1, 1), 1, 0)}
    elif "region" in params:
        assert [region.code for region, _t in report.regions] == ["NO"]


@pytest.mark.django_db
def test_the_sql_says_stale_as_the_rule_does(fleet):
    """The orders read staleness from SQL (``stale_cutoff``), the words from ``is_stale``."""
    device = device_make(fleet, office=fleet.office_a, model=fleet.m404)
    ages = [59 * DAY, 60 * DAY, 60 * DAY + dt.timedelta(seconds=1), 61 * DAY]
    for index, age in enumerate(ages):
        forecast_make(device, f"Toner {index}", f"1.{index}", level_at=NOW - age)
    rows = queries.consumables_supply_rows(user=fleet.logistics, now=NOW)
    got = {row.description: (row.stale, row.runs_out is None) for row in rows}
    assert got == {
        f"Toner {index}": (consumables.is_stale(NOW - age, now=NOW),) * 2
        for index, age in enumerate(ages)
    }
    assert [got[f"Toner {index}"][0] for index in range(4)] == [False, False, True, True]


@pytest.mark.django_db
def test_another_regions_office_head_sees_nothing(client, forecasts):
    other = OfficeFactory(code="OF-X", district=DistrictFactory(region=RegionFactory(code="EA")))
    head = make_user(Role.OFFICE_HEAD, username="head-x", office=other)
    client.force_login(head)
    response = client.get(reverse("consumables_report"))
    assert response.status_code == 200
    report = response.context["report"]
    assert response.context["rows"] == []
    assert report.national.lines == [] and report.regions == []
    assert "No forecasts." in response.content.decode()
    workbook = load_workbook(io.BytesIO(b"".join(client.get(reverse("consumables_xlsx")))))
    assert workbook["Forecasts"].max_row == 1  # the header only


@pytest.mark.django_db
def test_a_technician_sees_only_their_region(client, forecasts):
    technician = make_user(Role.TECHNICIAN, username="tech-s", regions=[forecasts.south])
    client.force_login(technician)
    report = client.get(reverse("consumables_report")).context["report"]
    assert _lines(report.national) == {("Black toner", "M404"): ((0, 1, 1), 1, 0)}
    assert report.whole_country is False


@pytest.mark.django_db
def test_workbook_holds_a_chart_and_the_same_totals(client, forecasts):
    client.force_login(forecasts.logistics)
    report = client.get(reverse("consumables_report")).context["report"]
    response = client.get(reverse("consumables_xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Summary", "By region", "By office", "Forecasts"]
    summary = workbook["Summary"]
    assert len(summary._charts) == 1
    values = [[cell.value for cell in r] for r in summary.iter_rows()]
    total = next(r for r in values if r[0] == "Total")
    assert total[2:7] == [*report.national.total_cells, 5, 2]
    for name, lead in (("By region", 1), ("By office", 3)):
        rows = [[cell.value for cell in r] for r in workbook[name].iter_rows()]
        assert rows[-1][0] == "Total"
        assert rows[-1][lead + 2 : lead + 7] == [*report.national.total_cells, 5, 2], name
    forecasts_sheet = [[cell.value for cell in r] for r in workbook["Forecasts"].iter_rows()]
    assert len(forecasts_sheet) == 6
    assert forecasts_sheet[-1][-1] == "no recent level reading"


@pytest.mark.django_db
def test_forecasts_from_the_poll_history(client, fleet):
    """The lead's service fills the rows from PollOutcome; the report reads them."""
    device = device_make(fleet, office=fleet.office_a, model=fleet.m404)
    now = timezone.now()
    supply = {"index": "1.1", "description": "Black toner", "supply_class": "supplyThatIsConsumed"}
    PollOutcome.objects.bulk_create(
        [
            PollOutcome(
                device=device,
                polled_at=now - (20 - i) * DAY,
                reachable=True,
                health="up",
                page_count=1000 + 100 * i,
                supplies=[{**supply, "percent": 80 - 2 * i}],
                fingerprint="t",
            )
            for i in range(20)
        ]
    )
    device.supplies = [{**supply, "percent": 42}]
    device.save(update_fields=["supplies"])
    assert supply_forecasts_refresh(now=now) == 1
    client.force_login(fleet.logistics)
    response = client.get(reverse("consumables_report"))
    ((stored, words),) = response.context["rows"]
    assert words.method == "level trend"
    # 42 % left at 2 %/day, read a day ago: about 20 days from now.
    assert abs((stored.runs_out - now) / DAY - 20) < 1.5
    # Needed in 20 days, then every 50 days: 1 within 30 and 60 days, 2 within 90.
    assert _lines(response.context["report"].national) == {
        ("Black toner", "M404"): ((1, 1, 2), 1, 0)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
def test_query_count_does_not_grow(client, fleet, django_assert_num_queries, count):
    for i in range(count):
        device = device_make(
            fleet, office=fleet.office_a if i % 2 else fleet.office_b, model=fleet.m404
        )
        forecast_make(device)
        forecast_make(device, "Cyan toner", "1.2", runs_out=None, reason="not_enough_data")
    client.force_login(fleet.logistics)
    # Session, user, two for permissions, roles; the forecasts in scope for the orders, the
    # regions' names; the list's count and page; the open alerts (menu); the form's regions,
    # whether the offices are too many to list (reports.forms.office_choices_narrow), and the
    # offices.
    with django_assert_num_queries(13):
        response = client.get(reverse("consumables_report"))
    assert response.context["report"].national.supplies == 2 * count
    # The workbook: no menu, no form shown, no count; the offices' names for the office sheet;
    # the filters' check whether the offices are too many to list.
    with django_assert_num_queries(10):
        b"".join(client.get(reverse("consumables_xlsx")).streaming_content)


# --- the demo data ---------------------------------------------------------------------------


def demo_load() -> None:
    """Load the demo fleet with its operations history: the simulated devices monitored (the
    SNMP agent is not started), then ``demo_operations`` (poll history, forecasts)."""
    from monitoring import simulator
    from monitoring.management.commands.simulate_devices import fleet_specs, monitoring_configure

    call_command("demo_setup", verbosity=0)
    call_command("demo_deployments", verbosity=0)
    specs = simulator.assign_states(fleet_specs(seed=simulator.SEED), seed=simulator.SEED)
    monitoring_configure(specs=specs, port=11161)
    call_command("demo_operations", verbosity=0, stdout=io.StringIO())


@pytest.fixture
def demo(settings, db):
    settings.DEBUG = True
    demo_load()


@pytest.mark.django_db
def test_demo_totals_against_hand_computed_totals(client, demo):
    """Every stored forecast of the demo fleet, counted one by one here."""
    client.force_login(make_user(Role.AUDITOR, username="demo-auditor"))
    report = client.get(reverse("consumables_report")).context["report"]
    now = report.now
    expected = dict.fromkeys(consumables.HORIZONS, 0)
    unknown = supplies = 0
    for stored in SupplyForecast.objects.all():
        supplies += 1
        stale = stored.level_at is not None and now - stored.level_at > 60 * DAY
        if stale or stored.runs_out is None:
            unknown += stale or stored.reason != "too_far"
            continue
        ahead = max((stored.runs_out - now) / DAY, 0)
        rate = stored.percent_per_day
        for days in consumables.HORIZONS:
            if ahead <= days:
                lifetime = max(100 / rate, 7) if rate and rate > 0 else None
                expected[days] += 1 + (math.floor((days - ahead) / lifetime) if lifetime else 0)
    assert supplies > 0
    assert report.national.totals == expected
    assert (report.national.supplies, report.national.unknown) == (supplies, unknown)
    for days in consumables.HORIZONS:
        assert sum(t.totals[days] for _r, t in report.regions) == expected[days]


@pytest.mark.django_db
def test_the_list_is_paged_and_the_index_links_the_reports(client, fleet, monkeypatch):
    monkeypatch.setattr(queries, "FORECAST_ROWS", 2)
    for _i in range(3):
        forecast_make(device_make(fleet, office=fleet.office_a, model=fleet.m404))
    client.force_login(fleet.logistics)
    first = client.get(reverse("consumables_report"), {"region": fleet.north.pk})
    assert len(first.context["rows"]) == 2
    assert f"?region={fleet.north.pk}&amp;page=2" in first.content.decode()
    second = client.get(reverse("consumables_report"), {"region": fleet.north.pk, "page": 2})
    assert len(second.context["rows"]) == 1
    assert "3 supplies · page 2 of 2" in second.content.decode()
    index = client.get(reverse("report_index")).content.decode()
    assert reverse("consumables_report") in index and reverse("usage_report") in index


def test_the_office_filter_lists_a_regions_offices_when_there_are_too_many(fleet, settings):
    from reports import forms as report_forms

    settings.LANGUAGE_CODE = "en"
    user = fleet.logistics
    offices = report_forms.queries.report_offices(user=user)
    form = report_forms.ConsumablesFilterForm({}, user=user)
    assert list(form.fields["office"].queryset) == list(offices)
    limit = report_forms.OFFICE_CHOICES_MAX
    try:
        report_forms.OFFICE_CHOICES_MAX = 1
        form = report_forms.ConsumablesFilterForm({}, user=user)
        assert list(form.fields["office"].queryset) == []
        assert "Pick a region first" in str(form.fields["office"].help_text)
        region = fleet.office_a.region
        form = report_forms.ConsumablesFilterForm({"region": region.pk}, user=user)
        assert set(form.fields["office"].queryset) == set(offices.filter(region=region))
        # An office chosen without its region still validates, among its region's offices.
        form = report_forms.ConsumablesFilterForm({"office": fleet.office_a.pk}, user=user)
        assert form.is_valid() and form.cleaned_data["office"] == fleet.office_a
    finally:
        report_forms.OFFICE_CHOICES_MAX = limit
