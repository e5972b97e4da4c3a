"""Usage report: pages per office and month from the page counters; scanners' output."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inventory.choices import Role
from monitoring.models import MonitoredDevice, PollOutcome, SnmpProfile
from reports import consumables, queries
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
from tests.reports.test_consumables import demo_load

UTC = dt.UTC
TJ = ZoneInfo("Asia/Dushanbe")


def at(year, month, day, tz=UTC) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=tz)


# --- months ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "months", "expected"),
    [
        (dt.date(2025, 1, 1), 1, dt.date(2025, 2, 1)),
        (dt.date(2025, 12, 1), 1, dt.date(2026, 1, 1)),
        (dt.date(2025, 1, 1), -1, dt.date(2024, 12, 1)),
        (dt.date(2025, 5, 1), -12, dt.date(2024, 5, 1)),
        (dt.date(2025, 5, 1), 0, dt.date(2025, 5, 1)),
    ],
)
def test_month_add(month, months, expected):
    assert consumables.month_add(month, months) == expected


def test_months_between_and_the_default_period():
    assert consumables.months_between(dt.date(2024, 11, 20), dt.date(2025, 2, 3)) == [
        dt.date(2024, 11, 1),
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 1),
    ]
    assert consumables.months_between(dt.date(2025, 2, 1), dt.date(2025, 1, 1)) == []
    first, last = consumables.usage_period_default(dt.date(2026, 5, 15))
    assert (first, last) == (dt.date(2025, 5, 1), dt.date(2026, 5, 1))
    assert len(consumables.months_between(first, last)) == 13  # 12 full months + the current
    start, end = consumables.period_bounds(first, last, tz=TJ)
    assert (start, end) == (at(2025, 5, 1, TJ), at(2026, 6, 1, TJ))


# --- pages per device and month --------------------------------------------------------------

# Device 1: printing in January; a gap across the month's end; a counter reset in February;
# then a gap of 60 days (15 Feb → 16 Apr) over three months.
DEVICE_1 = [
    (at(2026, 1, 10), 1000),
    (at(2026, 1, 20), 1300),  # January: 300
    (at(2026, 2, 5), 1500),  # 200 over 16 days: January 12 days (150), February 4 (50)
    (at(2026, 2, 15), 100),  # restarted at 0: 100 in February
    (at(2026, 4, 16), 1000),  # 900 over 60 days: February 14 (210), March 31 (465), April 15
]
# Device 2: one reading, nothing counted. Device 3: a jump no printer makes (counted 0).
DEVICE_2 = [(at(2026, 3, 3), 777)]
DEVICE_3 = [(at(2026, 3, 1), 10), (at(2026, 3, 2), 50_000), (at(2026, 3, 10), 50_500)]


def known(pages) -> int:
    """Return the pages of the months read (None: not read)."""
    return sum(count for count in pages if count is not None)


def readings(*devices):
    return [(device_id, t, count) for device_id, rows in devices for t, count in rows]


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (
            consumables.months_between(dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
            {1: [450, 360, 465, 225], 2: [None] * 4, 3: [None, None, 500, None]},
        ),
        # January and May are left out; nothing moves between the months kept. A month a
        # device's readings do not reach is None (not read), not 0.
        (
            consumables.months_between(dt.date(2026, 2, 1), dt.date(2026, 5, 1)),
            {1: [360, 465, 225, None], 2: [None] * 4, 3: [None, 500, None, None]},
        ),
    ],
)
def test_pages_per_month_with_a_reset_and_a_gap_spanning_months(months, expected):
    pages = consumables.device_month_pages(
        readings((1, DEVICE_1), (2, DEVICE_2), (3, DEVICE_3)), months=months, tz=UTC
    )
    assert pages == expected


def test_months_are_the_offices_months():
    """18:00 and 20:00 UTC on 31 January are 23:00 on 31 January and 01:00 on 1 February in
    Dushanbe (UTC+5): the pages between them are half January's, half February's there."""
    rows = [
        (1, dt.datetime(2026, 1, 31, 18, tzinfo=UTC), 0),
        (1, dt.datetime(2026, 1, 31, 20, tzinfo=UTC), 100),
    ]
    months = [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert consumables.device_month_pages(rows, months=months, tz=TJ) == {1: [50, 50]}
    assert consumables.device_month_pages(rows, months=months, tz=UTC) == {1: [100, None]}


def test_usage_by_office_adds_up():
    months = consumables.months_between(dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    pages = consumables.device_month_pages(
        readings((1, DEVICE_1), (2, DEVICE_2), (3, DEVICE_3)), months=months, tz=UTC
    )
    table = consumables.usage_by(pages, months=months, key={1: "A", 2: "B", 3: "A"}.get)
    lines = {line.key: (line.pages, line.devices, line.total) for line in table.lines}
    assert lines == {"A": ([450, 360, 965, 225], 2, 2000), "B": ([None] * 4, 1, 0)}
    assert table.month_totals == [450, 360, 965, 225]
    assert (table.total, table.devices) == (2000, 3)
    empty = consumables.usage_by({}, months=months, key=str)
    assert (empty.lines, empty.month_totals, empty.total) == ([], [None] * 4, 0)


# --- the page and the workbook ---------------------------------------------------------------

PERIOD = {"first_month": "2025-01", "last_month": "2025-04"}


@pytest.fixture
def fleet(db):
    """Offices A (north) and B (south); printers p1, p2 at A, p3 at B; scanner s1 at A with a
    counter, s2 at B without. Times in Dushanbe; the period is January–April 2025."""
    fleet = SimpleNamespace()
    fleet.north = RegionFactory(code="NO", name_en="North")
    fleet.south = RegionFactory(code="SO", name_en="South")
    fleet.office_a = OfficeFactory(code="OF-A", district=DistrictFactory(region=fleet.north))
    fleet.office_b = OfficeFactory(code="OF-B", district=DistrictFactory(region=fleet.south))
    fleet.printer = AssetModelFactory(name="M404", category=CategoryFactory(code="printer"))
    fleet.scanner = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Fujitsu"),
        name="fi-7160",
        category=CategoryFactory(code="scanner"),
    )
    fleet.profile = SnmpProfile.objects.create(name="Test v2c")
    fleet.logistics = make_user(Role.LOGISTICS_OFFICER, username="logistics")
    return fleet


_hosts = iter(range(1, 1_000_000))


def device_make(fleet, *, office, model, counts=()) -> MonitoredDevice:
    device = MonitoredDevice.objects.create(
        asset=make_asset(asset_model=model, office=office),
        address=f"10.7.{next(_hosts) % 250}.1",
        profile=fleet.profile,
    )
    PollOutcome.objects.bulk_create(
        PollOutcome(
            device=device,
            polled_at=polled_at,
            reachable=count is not None,
            health="up",
            page_count=count,
            fingerprint="t",
        )
        for polled_at, count in counts
    )
    return device


def tj(month, day, year=2025) -> dt.datetime:
    return at(year, month, day, TJ)


@pytest.fixture
def counters(fleet):
    fleet.p1 = device_make(
        fleet,
        office=fleet.office_a,
        model=fleet.printer,
        counts=[
            (tj(11, 1, 2024), 800),  # not read: not the last before the period
            (tj(12, 20, 2024), 900),  # the last before: 100 over 21 days, 9 of them in January
            (tj(1, 10), 1000),
            (tj(1, 20), 1300),
            (tj(2, 5), 1500),
            (tj(2, 15), 100),  # restarted at 0
            (tj(4, 16), 1000),  # 900 over 60 days: February 210, March 465, April 225
            (tj(5, 16), 1300),  # the first after: 300 over 30 days, 15 of them in April
            (tj(6, 1), 1500),  # not read
        ],
    )
    fleet.p2 = device_make(
        fleet,
        office=fleet.office_a,
        model=fleet.printer,
        counts=[(tj(1, 1), 0), (tj(3, 1), 2000)],  # 59 days: January 31, February 28
    )
    fleet.p3 = device_make(
        fleet,
        office=fleet.office_b,
        model=fleet.printer,
        counts=[(tj(2, 10), 5000), (tj(2, 20), 5600)],
    )
    fleet.s1 = device_make(
        fleet,
        office=fleet.office_a,
        model=fleet.scanner,
        counts=[(tj(1, 5), 100), (tj(3, 5), 700)],  # 59 days: January 27, February 28, March 4
    )
    fleet.s2 = device_make(
        fleet, office=fleet.office_b, model=fleet.scanner, counts=[(tj(2, 1), None)]
    )
    return fleet


# Worked out by hand (see the readings' comments). p1: December 57.14 (left out), January
# 42.86 + 300 + 150, February 50 + 100 + 210, March 465, April 225 + 150, May 150 (left out):
# rounded keeping p1's exact total, January gets the odd page (largest remainder, .86).
P1 = [493, 360, 465, 375]
P2 = [1051, 949, None, None]  # 2000 × 31/59 = 1050.8, × 28/59 = 949.2; not read after
P3 = [None, 600, None, None]
S1 = [274, 285, 41, None]  # 600 × 27/59 = 274.6, × 28/59 = 284.7, × 4/59 = 40.7


def _office_lines(report) -> dict:
    return {
        line.label.code: (line.pages, line.devices, line.total) for line in report.by_office.lines
    }


@pytest.mark.django_db
def test_readings_are_the_period_and_one_on_either_side(counters):
    start, end = consumables.period_bounds(dt.date(2025, 1, 1), dt.date(2025, 4, 1), tz=TJ)
    rows = list(
        queries.usage_readings(
            device_ids=MonitoredDevice.objects.filter(pk=counters.p1.pk).values("pk"),
            start=start,
            end=end,
        )
    )
    assert [(t.astimezone(TJ).date(), count) for _d, t, count in rows] == [
        (dt.date(2024, 12, 20), 900),
        (dt.date(2025, 1, 10), 1000),
        (dt.date(2025, 1, 20), 1300),
        (dt.date(2025, 2, 5), 1500),
        (dt.date(2025, 2, 15), 100),
        (dt.date(2025, 4, 16), 1000),
        (dt.date(2025, 5, 16), 1300),
    ]


@pytest.mark.django_db
def test_pages_per_office_and_month_as_worked_out_by_hand(client, counters):
    client.force_login(counters.logistics)
    response = client.get(reverse("usage_report"), PERIOD)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.months == [dt.date(2025, m, 1) for m in (1, 2, 3, 4)]
    office_a = [p1 + (p2 or 0) for p1, p2 in zip(P1, P2, strict=True)]
    assert _office_lines(report) == {
        "OF-A": (office_a, 2, sum(office_a)),
        "OF-B": (P3, 1, 600),
    }
    assert report.by_office.month_totals == [1544, 1909, 465, 375]
    assert report.by_office.total == 4293 == sum(P1) + known(P2) + known(P3)
    assert (report.devices, report.not_counted) == (3, 0)
    content = response.content.decode()
    assert "How figures are counted" in content
    assert '<td class="num" data-figure="total">4293</td>' in content
    assert content.count('role="img"') == 1
    assert "Digitisation output per scanner" not in content


@pytest.mark.django_db
def test_scanners_output_and_those_without_a_counter(client, counters):
    client.force_login(counters.logistics)
    response = client.get(reverse("usage_report"), {**PERIOD, "category": "scanner"})
    report = response.context["report"]
    assert [(line.label.tag, line.pages) for line in report.by_device.lines] == [
        (counters.s1.asset.tag, S1)
    ]
    assert _office_lines(report) == {"OF-A": (S1, 1, 600)}
    assert (report.devices, report.not_counted) == (2, 1)
    content = response.content.decode()
    assert "Digitisation output per scanner" in content
    assert "1 scanner without a page counter reading is not counted." in content
    assert reverse("asset_detail", args=[counters.s1.asset_id]) in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "south"}, {"OF-B": P3}),
        ({"office": "office_a"}, {"OF-A": [a + (b or 0) for a, b in zip(P1, P2, strict=True)]}),
        (
            {"first_month": "2025-02", "last_month": "2025-03"},
            {"OF-A": [1309, 465], "OF-B": [600, None]},
        ),
    ],
)
def test_filters(client, counters, params, expected):
    query = {**PERIOD}
    for key, value in params.items():
        query[key] = getattr(counters, value).pk if key in ("region", "office") else value
    client.force_login(counters.logistics)
    report = client.get(reverse("usage_report"), query).context["report"]
    assert {code: pages for code, (pages, _d, _t) in _office_lines(report).items()} == expected


@pytest.mark.django_db
def test_the_default_period_and_a_wrong_one(client, counters):
    client.force_login(counters.logistics)
    report = client.get(reverse("usage_report")).context["report"]
    first, last = consumables.usage_period_default(timezone.localdate())
    assert (report.months[0], report.months[-1]) == (first, last)
    response = client.get(
        reverse("usage_report"), {"first_month": "2025-04", "last_month": "2025-01"}
    )
    assert "The first month must not be after the last." in response.content.decode()
    assert response.context["report"].months[0] == first


@pytest.mark.django_db
def test_scope(client, counters):
    other = OfficeFactory(code="OF-X", district=DistrictFactory(region=RegionFactory(code="EA")))
    client.force_login(make_user(Role.OFFICE_HEAD, username="head-x", office=other))
    response = client.get(reverse("usage_report"), PERIOD)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.by_office.lines, report.devices, report.by_office.total) == ([], 0, 0)
    client.force_login(make_user(Role.OFFICE_HEAD, username="head-b", office=counters.office_b))
    report = client.get(reverse("usage_report"), PERIOD).context["report"]
    assert _office_lines(report) == {"OF-B": (P3, 1, 600)}
    technician = make_user(Role.TECHNICIAN, username="tech-n", regions=[counters.north])
    client.force_login(technician)
    report = client.get(reverse("usage_report"), PERIOD).context["report"]
    assert set(_office_lines(report)) == {"OF-A"}


@pytest.mark.django_db
def test_workbook_holds_a_chart_and_the_same_totals(client, counters):
    client.force_login(counters.logistics)
    response = client.get(reverse("usage_xlsx"), {**PERIOD, "category": "printer"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Summary", "By office"]
    summary = workbook["Summary"]
    assert len(summary._charts) == 1
    rows = [[cell.value for cell in row] for row in summary.iter_rows()]
    months = [row for row in rows if isinstance(row[0], dt.datetime)]
    assert [(m.date(), pages) for m, pages, *_rest in months] == list(
        zip(
            [dt.date(2025, m, 1) for m in (1, 2, 3, 4)],
            [1544, 1909, 465, 375],
            strict=True,
        )
    )
    assert next(row for row in rows if row[0] == "Total")[1] == 4293
    offices = [[cell.value for cell in row] for row in workbook["By office"].iter_rows()]
    assert offices[0][:5] == ["Region", "Office code", "Office", "Devices", "Jan 2025"]
    assert offices[-1] == ["Total", None, None, 3, 1544, 1909, 465, 375, 4293]
    scanners = client.get(reverse("usage_xlsx"), {**PERIOD, "category": "scanner"})
    workbook = load_workbook(io.BytesIO(b"".join(scanners.streaming_content)))
    assert workbook.sheetnames == ["Summary", "By office", "By scanner"]
    by_scanner = [[cell.value for cell in row] for row in workbook["By scanner"].iter_rows()]
    assert by_scanner[1] == [counters.s1.asset.tag, "Fujitsu fi-7160", "OF-A", *S1, 600]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 50])
def test_query_count_does_not_grow(client, fleet, django_assert_num_queries, count):
    for i in range(count):
        device_make(
            fleet,
            office=fleet.office_a if i % 2 else fleet.office_b,
            model=fleet.printer,
            counts=[(tj(1, 5), 100 * i), (tj(2, 5), 100 * i + 50), (tj(3, 5), 100 * i + 80)],
        )
    client.force_login(fleet.logistics)
    # Session, user, two for permissions, roles; the devices, their offices, the readings;
    # the open alerts (menu); the form's regions, whether the offices are too many to list
    # (reports.forms.office_choices_narrow), and the offices.
    with django_assert_num_queries(12):
        response = client.get(reverse("usage_report"), PERIOD)
    assert response.context["report"].by_office.total == 80 * count
    with django_assert_num_queries(9):  # no menu, no form shown; the offices-to-list check
        b"".join(client.get(reverse("usage_xlsx"), PERIOD).streaming_content)


# --- the demo data ---------------------------------------------------------------------------


def _pages_by_hand(counts: list[int | None], times: list[dt.datetime]) -> int:
    """Add up a counter's rises; a drop restarts at 0; a jump over 10,000 a day counts 0."""
    total = 0
    previous = None
    for count, time in zip(counts, times, strict=True):
        if count is None:
            continue
        if previous is not None:
            before, then = previous
            pages = count if count < before else count - before
            days = max((time - then).total_seconds() / 86400, 1)
            total += pages if pages <= 10_000 * days else 0
        previous = (count, time)
    return total


@pytest.mark.django_db
def test_demo_totals_against_hand_computed_totals(client, settings):
    settings.DEBUG = True
    demo_load()
    readings: dict[int, list] = {}
    for device_id, polled_at, count in (
        PollOutcome.objects.filter(device__asset__asset_model__category__code="printer")
        .order_by("device_id", "polled_at")
        .values_list("device_id", "polled_at", "page_count")
    ):
        readings.setdefault(device_id, []).append((polled_at, count))
    offices = dict(MonitoredDevice.objects.values_list("pk", "asset__office__code"))
    expected: dict[str, int] = {}
    resets = 0
    for device_id, rows in readings.items():
        counts = [count for _t, count in rows]
        known = [count for count in counts if count is not None]
        resets += sum(b < a for a, b in itertools.pairwise(known))
        pages = _pages_by_hand(counts, [t for t, _c in rows])
        expected[offices[device_id]] = expected.get(offices[device_id], 0) + pages
    assert resets >= 1  # the demo swaps one printer's formatter board
    first = min(t for rows in readings.values() for t, _c in rows)
    client.force_login(make_user(Role.AUDITOR, username="demo-auditor"))
    report = client.get(
        reverse("usage_report"),
        {
            "first_month": timezone.localtime(first).strftime("%Y-%m"),
            "last_month": timezone.localdate().strftime("%Y-%m"),
        },
    ).context["report"]
    got = {line.label.code: line.total for line in report.by_office.lines}
    assert sum(expected.values()) > 0
    assert got == expected
    assert report.by_office.total == sum(expected.values())
    assert sum(report.by_office.month_totals) == report.by_office.total
