"""Readiness pages: who may see what, scope, filters, fixed query counts, the workbooks,
"Recompute now", the impact of a device (from an asset or an alert) and the panels."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from inventory.choices import Zone
from monitoring import selectors, services
from monitoring.choices import AlertKind, AlertSeverity, Health, Readiness
from monitoring.models import Alert, MonitoredDevice, ReadinessPeriod, ReadinessRun
from tests.factories import (
    CRServiceFactory,
    DistrictFactory,
    OfficeFactory,
    RegionFactory,
    UserFactory,
    make_user,
)
from tests.monitoring.test_readiness_service import device_at, require, set_health

pytestmark = pytest.mark.django_db

READY, DEGRADED, DOWN = Readiness.READY, Readiness.DEGRADED, Readiness.DOWN
CUT_OFF = Readiness.CUT_OFF


@pytest.fixture
def world():
    """Two offices in two regions. At home, birth registration needs its only front-office
    printer; death registration has two printers, one needed; the office has a router. Away,
    the one birth printer does not answer: birth is down there."""
    birth = CRServiceFactory(code="birth", name_en="Birth registration", sort_order=1)
    death = CRServiceFactory(code="death", name_en="Death registration", sort_order=2)
    require(birth)
    require(death)
    home_region = RegionFactory(code="SU")
    home = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=home_region))
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=RegionFactory(code="GB")))
    home.services.set([birth, death])
    away.services.set([birth])
    only = device_at(home, services=[birth, death], monitored=True)
    second = device_at(home, services=[death], monitored=True)
    router = device_at(home, category="router", zone="", monitored=True)
    away_printer = device_at(away, services=[birth], monitored=True)
    set_health(away_printer, Health.DOWN)
    services.readiness_refresh()
    return {
        "birth": birth,
        "death": death,
        "home": home,
        "away": away,
        "only": only,
        "second": second,
        "router": router,
        "away_printer": away_printer,
    }


ROLES = ["anonymous", "administrator", "logistics_officer", "auditor", "technician", "office_head"]

# page: expected status per role, in the order of ROLES (technician and office head are
# scoped to the home office's region and office).
MATRIX = {
    "overview": (302, 200, 200, 200, 200, 200),
    "overview_xlsx": (302, 200, 200, 200, 200, 200),
    "office_in_scope": (302, 200, 200, 200, 200, 200),
    "office_out_of_scope": (302, 200, 200, 200, 404, 404),
    "impact_in_scope": (302, 200, 200, 200, 200, 200),
    "impact_out_of_scope": (302, 200, 200, 200, 404, 404),
    "alert_impact_out_of_scope": (302, 200, 200, 200, 404, 404),
    "availability": (302, 200, 200, 200, 200, 200),
    "availability_xlsx": (302, 200, 200, 200, 200, 200),
    "recompute": (302, 302, 302, 403, 403, 403),
}


def _user(role, world):
    if role == "anonymous":
        return None
    if role == "technician":
        return make_user(role, regions=[world["home"].region])
    if role == "office_head":
        return make_user(role, office=world["home"])
    return make_user(role)


def _alert(asset) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        device=MonitoredDevice.objects.get(asset=asset),
        kind=AlertKind.UNREACHABLE,
        key="",
        severity=AlertSeverity.CRITICAL,
        message=f"{asset.tag} does not answer",
        first_seen=now,
        last_seen=now,
    )


def _request(client, page, world):
    impact = reverse("readiness_impact")
    if page == "overview":
        return client.get(reverse("readiness_overview"))
    if page == "overview_xlsx":
        return client.get(reverse("readiness_xlsx"))
    if page == "office_in_scope":
        return client.get(reverse("readiness_office", args=[world["home"].pk]))
    if page == "office_out_of_scope":
        return client.get(reverse("readiness_office", args=[world["away"].pk]))
    if page == "impact_in_scope":
        return client.get(impact, {"asset": world["only"].pk})
    if page == "impact_out_of_scope":
        return client.get(impact, {"asset": world["away_printer"].pk})
    if page == "alert_impact_out_of_scope":
        return client.get(impact, {"alert": _alert(world["away_printer"]).pk})
    if page == "availability":
        return client.get(reverse("readiness_availability"))
    if page == "availability_xlsx":
        return client.get(reverse("readiness_availability_xlsx"))
    if page == "recompute":
        return client.post(reverse("readiness_recompute"))
    raise AssertionError(page)


@pytest.mark.parametrize("page", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_and_scope_decide_access(client, world, page, role):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = _request(client, page, world)
    assert response.status_code == MATRIX[page][ROLES.index(role)], (page, role)


def test_without_a_role_there_is_no_menu_entry_and_no_page(client, world):
    client.force_login(UserFactory())
    assert 'href="/readiness/"' not in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("readiness_overview")).status_code == 403


def test_the_menu_shows_readiness(client, world):
    client.force_login(make_user("office_head", office=world["home"]))
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("readiness_overview")}"' in html and ">Readiness</a>" in html


# --- The overview -------------------------------------------------------------------------------


def _grid(response) -> dict[str, list[str | None]]:
    """Return the grid shown: office code → the states of its cells (None: no state)."""
    return {row.office.code: [cell.state for cell in row.cells] for row in response.context["rows"]}


def test_the_overview_shows_the_stored_states_by_region_with_counts(client, world):
    client.force_login(make_user("auditor"))
    response = client.get(reverse("readiness_overview"))
    html = response.content.decode()
    overview = response.context["overview"]
    # Two regions and no filter: the counts, not the grid.
    assert not response.context["show_grid"] and response.context["rows"] == []
    assert [r.region.code for r in overview.regions] == ["GB", "SU"]
    birth, death = overview.by_service
    assert (birth.counts[READY], birth.counts[DOWN], birth.counts.total) == (1, 1, 2)
    assert (death.counts[READY], death.counts.total) == (1, 1)
    assert (overview.worst[READY], overview.worst[DOWN]) == (1, 1)
    assert 'id="national-counts"' in html and "Show its offices" in html
    assert 'class="badge readiness-down"' in html  # the figure, on the state's colour
    # A region's link shows its grid: the office, its states in words, linked to its page.
    response = client.get(reverse("readiness_overview"), {"region": world["home"].region_id})
    assert response.context["show_grid"]
    assert _grid(response) == {"CR-HOME": [READY, READY]}
    html = response.content.decode()
    office_url = reverse("readiness_office", args=[world["home"].pk])
    assert f'<a class="badge readiness-ready" href="{office_url}"' in html
    assert ">Ready</a>" in html


def test_the_overview_filters(client, world):
    client.force_login(make_user("logistics_officer"))
    url = reverse("readiness_overview")
    assert _grid(client.get(url, {"state": DOWN})) == {"CR-AWAY": [DOWN, None]}
    assert _grid(client.get(url, {"state": "not_ready"})) == {"CR-AWAY": [DOWN, None]}
    assert _grid(client.get(url, {"state": READY})) == {"CR-HOME": [READY, READY]}
    assert _grid(client.get(url, {"q": "home"})) == {"CR-HOME": [READY, READY]}
    by_district = client.get(url, {"district": world["away"].district_id})
    assert _grid(by_district) == {"CR-AWAY": [DOWN, None]}
    death_only = client.get(url, {"service": world["death"].pk, "q": "CR-"})
    assert _grid(death_only) == {"CR-HOME": [READY], "CR-AWAY": [None]}
    assert [s.code for s in death_only.context["overview"].services] == ["death"]
    html = death_only.content.decode()
    assert "—" in html  # the office does not offer it


def test_the_overview_follows_the_scope(client, world):
    client.force_login(make_user("office_head", office=world["home"]))
    response = client.get(reverse("readiness_overview"))
    assert response.context["show_grid"]  # one region: the grid at once
    assert _grid(response) == {"CR-HOME": [READY, READY]}
    assert [r.region.code for r in response.context["overview"].regions] == ["SU"]


def test_the_grid_is_capped_with_a_message(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "READINESS_GRID_MAX", 1)
    client.force_login(make_user("auditor"))
    response = client.get(reverse("readiness_overview"), {"q": "CR-"})
    assert len(response.context["rows"]) == 1 and response.context["capped"]
    assert "The first 1 of 2 offices" in response.content.decode()


def test_as_of_the_last_complete_run_with_a_notice_when_old(client, world):
    client.force_login(make_user("auditor"))
    url = reverse("readiness_overview")
    html = client.get(url).content.decode()
    assert 'id="as-of"' in html and 'id="stale"' not in html
    ReadinessRun.objects.update(at=timezone.now() - dt.timedelta(minutes=31))
    html = client.get(url).content.decode()
    assert "more than 30 minutes old" in html
    ReadinessRun.objects.all().delete()
    html = client.get(url).content.decode()
    assert "has not been computed yet" in html


def test_recompute_now_needs_the_permission(client, world):
    auditor = make_user("auditor")
    client.force_login(auditor)
    assert 'id="recompute"' not in client.get(reverse("readiness_overview")).content.decode()
    assert client.post(reverse("readiness_recompute")).status_code == 403

    client.force_login(make_user("logistics_officer"))
    url = reverse("readiness_overview")
    assert 'id="recompute"' in client.get(url).content.decode()
    set_health(world["away_printer"], Health.UP)
    runs = ReadinessRun.objects.count()
    response = client.post(reverse("readiness_recompute"), {"next": f"{url}?q=away"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{url}?q=away"
    assert "Readiness of 2 offices recomputed" in response.content.decode()
    assert ReadinessRun.objects.count() == runs + 1
    assert _grid(response) == {"CR-AWAY": [READY, None]}
    # Never back to another site.
    response = client.post(reverse("readiness_recompute"), {"next": "https://example.com/"})
    assert response.url == url


def test_the_permission_alone_allows_recomputing(client, world):
    user = make_user("auditor")
    user.user_permissions.add(Permission.objects.get(codename="add_readinessrun"))
    client.force_login(user)
    assert client.post(reverse("readiness_recompute")).status_code == 302


# Queries of the overview whatever the number of offices: session, user, roles, 2 permission
# lookups for the menu, the open alerts in the menu, the services, the offices, their open
# periods, the last complete run, and the filter's region, district and service choices.
OVERVIEW_QUERIES = 13
AVAILABILITY_QUERIES = 11


def _offices(n: int) -> list:
    """Return n offices of one region offering birth and death, each with stored states."""
    birth = CRServiceFactory(code="birth", sort_order=1)
    death = CRServiceFactory(code="death", name_en="Death registration", sort_order=2)
    district = DistrictFactory(region=RegionFactory(code="SU"))
    offices = [OfficeFactory(district=district) for _ in range(n)]
    since = timezone.now() - dt.timedelta(days=40)
    periods = []
    for i, office in enumerate(offices):
        office.services.set([birth, death])
        periods += [
            ReadinessPeriod(
                office=office,
                service=birth,
                state=READY,
                since=since,
                until=since + dt.timedelta(days=30),
            ),
            ReadinessPeriod(
                office=office,
                service=birth,
                state=(READY, DEGRADED, DOWN)[i % 3],
                since=since + dt.timedelta(days=30),
                reason_kinds=["no_spare"] if i % 3 == 1 else [],
            ),
            ReadinessPeriod(office=office, service=death, state=CUT_OFF, since=since),
        ]
    ReadinessPeriod.objects.bulk_create(periods)
    ReadinessRun.objects.create(at=timezone.now(), offices=n, changes=0, duration_s=0.1)
    return offices


@pytest.mark.parametrize("rows", [1, 50])
def test_overview_query_count_is_fixed(client, django_assert_num_queries, rows):
    _offices(rows)
    client.force_login(make_user("logistics_officer"))
    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = client.get(reverse("readiness_overview"))
    assert len(response.context["rows"]) == rows
    assert response.content.decode().count('class="badge readiness-cut_off"') >= rows


@pytest.mark.parametrize("rows", [1, 50])
def test_availability_query_count_is_fixed(client, django_assert_num_queries, rows):
    _offices(rows)
    client.force_login(make_user("logistics_officer"))
    with django_assert_num_queries(AVAILABILITY_QUERIES):
        response = client.get(reverse("readiness_availability"))
    assert len(response.context["rows"]) == rows


# Queries of an office's page, whatever its history: session, user, 2 permission lookups,
# roles, the office and its services, the readiness inputs (monitoring.selectors.
# readiness_inputs: 8), the services' and categories' names, its periods, and the open alerts
# in the menu.
OFFICE_QUERIES = 19


@pytest.mark.parametrize("changes", [1, 50])
def test_office_page_query_count_is_fixed(client, django_assert_num_queries, world, changes):
    printer = world["only"]
    for i in range(changes):
        set_health(printer, Health.DOWN if i % 2 == 0 else Health.UP)
        services.readiness_refresh(
            office_ids=[world["home"].pk], now=timezone.now() + dt.timedelta(minutes=i)
        )
    client.force_login(make_user("logistics_officer"))
    url = reverse("readiness_office", args=[world["home"].pk])
    with django_assert_num_queries(OFFICE_QUERIES):
        response = client.get(url)
    assert len(response.context["report"].history) >= changes


# Queries of the impact page, whatever the number of devices at the office: session, user, 2
# permission lookups, roles, the asset, its services, the check that a requirement names it,
# the readiness inputs (8), the services' names, and the open alerts in the menu.
IMPACT_QUERIES = 18


@pytest.mark.parametrize("devices", [1, 50])
def test_impact_page_query_count_is_fixed(client, django_assert_num_queries, world, devices):
    for _ in range(devices):
        device_at(world["home"], services=[world["death"]])
    client.force_login(make_user("logistics_officer"))
    with django_assert_num_queries(IMPACT_QUERIES):
        response = client.get(reverse("readiness_impact"), {"asset": world["only"].pk})
    assert len(response.context["impact"].lines) == 2


# --- Workbooks ----------------------------------------------------------------------------------


def _workbook(response) -> openpyxl.Workbook:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _table(sheet, *headers: str) -> list[tuple]:
    """Return the rows under the header row that starts with ``headers``."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[: len(headers)] == headers)
    table = []
    for row in rows[start + 1 :]:
        if not row or row[0] is None:
            break
        table.append(row)
    return table


def test_the_overview_workbook_has_the_chart_and_the_page_counts(client, world):
    set_health(world["second"], Health.DOWN)  # death at home: one of two left
    services.readiness_refresh()
    client.force_login(make_user("auditor"))
    page = client.get(reverse("readiness_overview")).context["overview"]
    book = _workbook(client.get(reverse("readiness_xlsx")))

    assert book.sheetnames == ["Summary", "By region", "Grid", "Not ready"]
    summary = book["Summary"]
    assert len(summary._charts) == 1
    counts = _table(summary, "CR service", "Ready")
    states = list(Readiness.values)
    expected = [
        (str(line.service), *(line.counts[s] for s in states), line.counts.total)
        for line in page.by_service
    ]
    assert counts[: len(expected)] == expected
    assert counts[0] == ("Birth registration", 1, 0, 1, 0, 0, 2)
    grid = {row[1]: row for row in book["Grid"].iter_rows(min_row=2, values_only=True)}
    assert grid["CR-HOME"][3:] == ("Degraded", "Ready", "Degraded")
    assert grid["CR-AWAY"][3:] == ("Down", "Down", "—")
    assert book["Grid"].freeze_panes == "D2"
    fill = book["Grid"]["E2"].fill.start_color.rgb  # a state on its colour
    assert fill.endswith(("C6EFCE", "FFEB9C", "FFC7CE"))
    not_ready = list(book["Not ready"].iter_rows(min_row=2, values_only=True))
    named = {(row[1], row[3]): row for row in not_ready}
    assert named["CR-HOME", "Death registration"][4] == "Degraded"
    assert named["CR-HOME", "Death registration"][7] == world["second"].tag
    assert "No spare left" in named["CR-HOME", "Death registration"][6]


def test_the_overview_workbook_keeps_the_filters_and_every_office(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "READINESS_GRID_MAX", 1)
    client.force_login(make_user("auditor"))
    book = _workbook(client.get(reverse("readiness_xlsx"), {"q": "CR-"}))
    assert [row[1] for row in book["Grid"].iter_rows(min_row=2, values_only=True)] == [
        row.office.code
        for row in selectors.readiness_overview(
            user=make_user("auditor"), filters=selectors.ReadinessFilters(q="CR-")
        ).rows
    ]
    assert book["Grid"].max_row == 3  # both offices, whatever the page shows
    book = _workbook(client.get(reverse("readiness_xlsx"), {"state": DOWN}))
    assert [row[1] for row in book["Grid"].iter_rows(min_row=2, values_only=True)] == ["CR-AWAY"]


def test_the_availability_workbook_has_the_chart_and_the_page_means(client, world):
    client.force_login(make_user("auditor"))
    report = client.get(reverse("readiness_availability")).context["report"]
    book = _workbook(client.get(reverse("readiness_availability_xlsx")))
    assert book.sheetnames == ["Summary", "By region", "Grid"]
    assert len(book["Summary"]._charts) == 1
    lines = _table(book["Summary"], "CR service", "Offices")
    assert [(row[0], row[1], row[3]) for row in lines] == [
        (str(line.service), line.offices, line.below) for line in report.by_service
    ]
    for row, line in zip(lines, report.by_service, strict=True):
        assert row[2] == pytest.approx(line.mean, abs=1e-3)  # the month under way ends now
    grid = {row[1]: row for row in book["Grid"].iter_rows(min_row=2, values_only=True)}
    assert set(grid) == {"CR-HOME", "CR-AWAY"}
    assert grid["CR-AWAY"][4] is None  # death is not offered there


# --- An office's page ---------------------------------------------------------------------------


def test_the_office_page_computes_now_and_words_the_reasons(client, world):
    set_health(world["second"], Health.DOWN)  # not yet recomputed: the page computes it
    client.force_login(make_user("technician", regions=[world["home"].region]))
    response = client.get(reverse("readiness_office", args=[world["home"].pk]))
    html = response.content.decode()
    report = response.context["report"]
    assert [(s.service.code, s.state) for s in report.services] == [
        ("birth", READY),
        ("death", DEGRADED),
    ]
    assert "Front office, Printer: 1 of 2 working, no spare left (1 needed)." in html
    second = world["second"]
    assert f'<a href="{reverse("asset_detail", args=[second.pk])}">{second.tag}</a>' in html
    assert "does not answer the monitoring" in html
    assert report.router.tag == world["router"].tag and report.router.working
    assert report.ups is None and "None in the register." in html
    # History: the periods recorded so far (the refresh of the fixture), and availability.
    assert {p.state for p in report.history} == {READY}
    assert [a.service.code for a in report.availability] == ["birth", "death"]
    assert all(0 < a.current <= 1 for a in report.availability)


def test_the_office_page_with_the_router_down_shows_every_service_cut_off(client, world):
    set_health(world["router"], Health.DOWN)
    client.force_login(make_user("auditor"))
    response = client.get(reverse("readiness_office", args=[world["home"].pk]))
    assert {s.state for s in response.context["report"].services} == {CUT_OFF}
    html = response.content.decode()
    assert "the office is cut off" in html and 'class="badge readiness-cut_off"' in html


# --- Impact -------------------------------------------------------------------------------------


def _impact(client, **params) -> dict[str, tuple[str | None, str | None]]:
    response = client.get(reverse("readiness_impact"), params)
    assert response.status_code == 200
    impact = response.context["impact"]
    return {line.service.code: (line.state_now, line.state_after) for line in impact.lines}


def test_impact_of_the_only_printer_and_of_one_of_two(client, world):
    client.force_login(make_user("auditor"))
    # The only birth printer, also one of the two death printers.
    assert _impact(client, asset=world["only"].pk) == {
        "birth": (READY, DOWN),
        "death": (READY, DEGRADED),
    }
    # The second death printer: one of two.
    assert _impact(client, asset=world["second"].pk) == {"death": (READY, DEGRADED)}
    html = client.get(reverse("readiness_impact"), {"asset": world["only"].pk}).content.decode()
    assert "Front office, Printer: at least 1 working" in html
    assert 'class="badge readiness-down">Down</span>' in html


def test_impact_of_the_router_is_every_service_cut_off(client, world):
    client.force_login(make_user("auditor"))
    assert _impact(client, asset=world["router"].pk) == {
        "birth": (READY, CUT_OFF),
        "death": (READY, CUT_OFF),
    }
    response = client.get(reverse("readiness_impact"), {"asset": world["router"].pk})
    assert response.context["impact"].is_router
    assert "Every service needs the office router." in response.content.decode()


def test_impact_from_an_alert(client, world):
    alert = _alert(world["only"])
    client.force_login(make_user("technician", regions=[world["home"].region]))
    response = client.get(reverse("readiness_impact"), {"alert": alert.pk})
    assert response.context["asset"] == world["only"]
    assert {line.service.code for line in response.context["impact"].lines} == {
        "birth",
        "death",
    }
    assert alert.message in response.content.decode()
    # Linked from the alert list and the alert's page.
    link = f"{reverse('readiness_impact')}?alert={alert.pk}"
    assert link in client.get(reverse("alert_list")).content.decode()
    ack = client.get(reverse("alert_acknowledge", args=[alert.pk])).content.decode()
    assert link in ack


def test_impact_finds_a_device_by_tag_or_serial(client, world):
    client.force_login(make_user("auditor"))
    url = reverse("readiness_impact")
    response = client.get(url, {"q": world["only"].serial})
    assert response.status_code == 302 and response.url == f"{url}?asset={world['only'].pk}"
    response = client.get(url, {"q": "NO-SUCH-TAG"})
    assert "No asset with the tag or serial “NO-SUCH-TAG” in your scope." in (
        response.content.decode()
    )
    assert client.get(url).status_code == 200  # the picker alone


def test_a_device_no_service_needs_says_so(client, world):
    laptop = device_at(world["home"], category="laptop", services=[world["birth"]])
    ups = device_at(world["home"], category="ups", zone="", monitored=True)
    client.force_login(make_user("auditor"))
    html = client.get(reverse("readiness_impact"), {"asset": laptop.pk}).content.decode()
    assert "No service at its office depends on this device" in html
    html = client.get(reverse("readiness_impact"), {"asset": ups.pk}).content.decode()
    assert "No service requires the UPS" in html


# --- Panels -------------------------------------------------------------------------------------


def test_the_asset_page_shows_the_services_at_risk(client, world):
    client.force_login(make_user("office_head", office=world["home"]))
    html = client.get(reverse("asset_detail", args=[world["only"].pk])).content.decode()
    assert 'id="services-at-risk"' in html
    assert "Birth registration" in html and 'class="badge readiness-down">Down</span>' in html
    assert f"{reverse('readiness_impact')}?asset={world['only'].pk}" in html
    # A device no service needs has no such panel.
    laptop = device_at(world["home"], category="laptop", zone=Zone.STORAGE)
    html = client.get(reverse("asset_detail", args=[laptop.pk])).content.decode()
    assert 'id="services-at-risk"' not in html


def test_the_office_page_shows_its_services_readiness(client, world):
    client.force_login(make_user("auditor"))
    html = client.get(reverse("office_detail", args=[world["away"].pk])).content.decode()
    assert 'id="office-readiness"' in html
    assert 'Birth registration: <span class="badge readiness-down">Down</span>' in html
    assert reverse("readiness_office", args=[world["away"].pk]) in html


# --- Availability -------------------------------------------------------------------------------


def test_the_availability_page_filters_by_month_region_and_service(client, world):
    client.force_login(make_user("auditor"))
    url = reverse("readiness_availability")
    response = client.get(url)
    report = response.context["report"]
    assert report.filters.month == timezone.localdate().replace(day=1)
    assert not response.context["show_grid"]  # two regions: the means, not the offices
    response = client.get(url, {"region": world["home"].region_id})
    assert [row.office.code for row in response.context["rows"]] == ["CR-HOME"]
    response = client.get(url, {"service": world["death"].pk})
    assert [line.service.code for line in response.context["report"].by_service] == ["death"]
    last_month = selectors.month_previous(timezone.localdate().replace(day=1))
    response = client.get(url, {"month": last_month.strftime("%Y-%m")})
    assert response.context["report"].rows == []  # nothing recorded then
    assert response.context["report"].complete
    next_month = selectors.month_next(timezone.localdate().replace(day=1))
    response = client.get(url, {"month": next_month.strftime("%Y-%m")})
    assert "The month has not started yet." in response.content.decode()
