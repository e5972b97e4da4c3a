"""Service readiness against the database: the inputs read from the register and monitoring,
the computation, the periods ``readiness_refresh`` keeps, and availability read from them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.choices import AssetStatus, Zone
from inventory.models import Asset, ServiceRequirement
from monitoring import selectors, services
from monitoring.choices import FaultCategory, Health, Readiness, ReasonKind
from monitoring.models import MonitoredDevice, ReadinessPeriod, ReadinessRun
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    CRServiceFactory,
    DistrictFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)
from tests.monitoring.test_models_services import make_device, make_profile, monitored_asset

pytestmark = pytest.mark.django_db

READY, DEGRADED, DOWN = Readiness.READY, Readiness.DEGRADED, Readiness.DOWN
CUT_OFF, UNKNOWN = Readiness.CUT_OFF, Readiness.UNKNOWN
FRONT = Zone.FRONT_OFFICE
T0 = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


def _birth():
    return CRServiceFactory(code="birth", name_en="Birth registration")


def _death():
    return CRServiceFactory(code="death", name_en="Death registration")


def require(service, *, category="printer", zone=FRONT, min_count=1) -> ServiceRequirement:
    return ServiceRequirement.objects.create(
        service=service, zone=zone, category=CategoryFactory(code=category), min_count=min_count
    )


def device_at(office, *, category="printer", zone=FRONT, services=(), monitored=False, **kwargs):
    """Register a deployed device at the office (monitored when asked: printers, routers, UPS)."""
    if monitored:
        asset = monitored_asset(
            category_code=category, office=office, zone=zone, services=services, **kwargs
        )
        make_device(asset=asset, profile=make_profile() if not _profiles() else None)
        return asset
    model = AssetModelFactory(name=f"Model {category}", category=CategoryFactory(code=category))
    return make_asset(asset_model=model, office=office, zone=zone, services=services, **kwargs)


def _profiles() -> bool:
    from monitoring.models import SnmpProfile

    return SnmpProfile.objects.exists()


def set_health(asset, health: str, **fields) -> None:
    MonitoredDevice.objects.filter(asset=asset).update(health=health, **fields)


def open_period(office, service) -> ReadinessPeriod:
    return ReadinessPeriod.objects.get(office=office, service=service, until__isnull=True)


@pytest.fixture
def office():
    """An office offering birth and death registration; each needs a front-office printer."""
    office = OfficeFactory(code="CR-HOME")
    birth, death = _birth(), _death()
    office.services.set([birth, death])
    require(birth)
    require(death)
    return office


# --- Inputs -------------------------------------------------------------------------------------


def test_inputs_read_devices_links_repairs_health_router_and_ups(office):
    birth, death = _birth(), _death()
    printer = device_at(office, services=[birth, death], monitored=True)
    laptop = device_at(office, category="laptop", services=[birth])
    router = device_at(office, category="router", zone="", monitored=True)
    ups = device_at(office, category="ups", zone="", monitored=True)
    device_at(office, status=AssetStatus.IN_STOCK, services=[birth])  # not the office's to use
    set_health(printer, Health.WARNING)
    set_health(ups, Health.UP, ups={"output_source": "battery"})
    services.repair_ticket_open(
        asset=laptop, by=None, fault=FaultCategory.SCREEN, stops_work=True, description="cracked"
    )
    other = OfficeFactory(code="CR-AWAY")
    device_at(other, services=[birth])

    inputs = selectors.readiness_inputs(office_ids=[office.pk])

    assert list(inputs.offices) == [office.pk]
    here = inputs.offices[office.pk]
    assert here.services == ["birth", "death"]
    by_id = {device.asset_id: device for device in here.devices}
    assert set(by_id) == {printer.pk, laptop.pk, router.pk, ups.pk}
    assert by_id[printer.pk].services == {"birth", "death"}
    assert by_id[printer.pk].health == Health.WARNING
    assert by_id[laptop.pk].health is None  # not monitored
    assert by_id[laptop.pk].status == AssetStatus.IN_REPAIR
    assert by_id[laptop.pk].open_repair_stops_work is True
    assert by_id[printer.pk].open_repair_stops_work is False
    assert here.router.asset_id == router.pk and here.ups.asset_id == ups.pk
    assert here.ups_on_battery is True
    assert {r.service for r in inputs.requirements} == {"birth", "death"}


def test_only_devices_linked_to_the_service_count(office):
    birth = _birth()
    device_at(office, services=[birth])  # the only front-office printer, for birth only

    states = {r.service: r for r in selectors.readiness_compute(office_ids=[office.pk])[office.pk]}

    assert states["birth"].state == READY
    assert states["death"].state == DOWN
    (reason,) = states["death"].reasons
    assert reason.kind == ReasonKind.SHORT and reason.total == 0 and reason.needed == 1


def test_an_open_repair_that_stops_work_takes_the_device_out(office):
    birth = _birth()
    first = device_at(office, services=[birth])
    device_at(office, services=[birth])
    services.repair_ticket_open(asset=first, by=None, fault=FaultCategory.PAPER_PATH)
    # Put back in use while its ticket is still open: the ticket alone keeps it out.
    Asset.objects.filter(pk=first.pk).update(status=AssetStatus.DEPLOYED)

    (birth_state, _death_state) = selectors.readiness_compute(office_ids=[office.pk])[office.pk]

    assert birth_state.state == DEGRADED
    (reason,) = birth_state.reasons
    assert reason.kind == ReasonKind.NO_SPARE and (reason.working, reason.total) == (1, 2)
    assert [d.asset_id for d in reason.devices] == [first.pk]
    assert str(reason.devices[0].why) == "an open repair ticket says it cannot be used"


def test_a_repair_that_does_not_stop_work_leaves_the_device_working(office):
    birth = _birth()
    printer = device_at(office, services=[birth])
    services.repair_ticket_open(
        asset=printer, by=None, fault=FaultCategory.PRINT_QUALITY, stops_work=False
    )
    birth_state = selectors.readiness_compute(office_ids=[office.pk])[office.pk][0]
    assert birth_state.state == READY and birth_state.reasons == ()


def test_health_down_makes_the_only_printer_fail(office):
    birth = _birth()
    printer = device_at(office, services=[birth], monitored=True)
    set_health(printer, Health.DOWN)
    birth_state = selectors.readiness_compute(office_ids=[office.pk])[office.pk][0]
    assert birth_state.state == DOWN
    assert str(birth_state.reasons[0].devices[0].why) == "does not answer the monitoring"


# --- Refresh ------------------------------------------------------------------------------------


def test_refresh_opens_a_period_per_offered_service_with_reasons(office):
    birth, death = _birth(), _death()
    printer = device_at(office, services=[birth])

    summary = services.readiness_refresh(now=T0)

    assert (summary.offices, summary.opened, summary.closed, summary.updated) == (1, 2, 0, 0)
    assert open_period(office, birth).state == READY
    death_period = open_period(office, death)
    assert death_period.state == DOWN and death_period.since == T0
    assert death_period.reason_kinds == [ReasonKind.SHORT] and death_period.asset_ids == []
    run = ReadinessRun.objects.get()
    assert run.at == T0 and run.offices == 1 and run.changes == 2 and run.complete
    assert printer.pk not in death_period.asset_ids


def test_router_down_cuts_off_every_service(office):
    birth, death = _birth(), _death()
    device_at(office, services=[birth, death])
    router = device_at(office, category="router", zone="", monitored=True)
    services.readiness_refresh(now=T0)
    assert {p.state for p in ReadinessPeriod.objects.filter(until__isnull=True)} == {READY}

    set_health(router, Health.DOWN)
    later = T0 + dt.timedelta(minutes=5)
    summary = services.readiness_refresh(now=later)

    assert (summary.opened, summary.closed) == (2, 2)
    for service in (birth, death):
        period = open_period(office, service)
        assert period.state == CUT_OFF and period.since == later
        assert period.reason_kinds == [ReasonKind.ROUTER_DOWN]
        assert period.asset_ids == [router.pk]
    closed = ReadinessPeriod.objects.filter(until=later)
    assert {p.state for p in closed} == {READY} and closed.count() == 2


def test_a_ups_on_battery_is_a_reason_not_a_state(office):
    birth = _birth()
    device_at(office, services=[birth, _death()])
    ups = device_at(office, category="ups", zone="", monitored=True)
    set_health(ups, Health.WARNING, ups={"output_source": "battery"})

    services.readiness_refresh(now=T0)

    period = open_period(office, birth)
    assert period.state == READY
    assert period.reason_kinds == [ReasonKind.UPS_ON_BATTERY] and period.asset_ids == [ups.pk]


def test_a_service_no_longer_offered_closes_its_period(office):
    birth, death = _birth(), _death()
    device_at(office, services=[birth, death])
    services.readiness_refresh(now=T0)
    office.services.remove(death)

    later = T0 + dt.timedelta(hours=1)
    summary = services.readiness_refresh(now=later)

    assert (summary.opened, summary.closed) == (0, 1)
    assert not ReadinessPeriod.objects.filter(service=death, until__isnull=True).exists()
    assert ReadinessPeriod.objects.get(service=death).until == later
    assert open_period(office, birth).since == T0


def test_reasons_are_updated_in_place_while_the_state_stays(office):
    birth = _birth()
    printer = device_at(office, services=[birth, _death()], monitored=True)
    set_health(printer, Health.WARNING)
    services.readiness_refresh(now=T0)
    period = open_period(office, birth)
    assert period.state == READY and period.reason_kinds == [ReasonKind.WARNING]
    assert period.asset_ids == [printer.pk]

    set_health(printer, Health.UP)
    summary = services.readiness_refresh(now=T0 + dt.timedelta(minutes=5))

    assert (summary.opened, summary.closed, summary.updated) == (0, 0, 2)
    again = open_period(office, birth)
    assert again.pk == period.pk and again.since == T0
    assert again.reason_kinds == [] and again.asset_ids == []


def test_a_second_refresh_with_no_change_writes_no_period(office):
    birth = _birth()
    device_at(office, services=[birth])
    services.readiness_refresh(now=T0)
    before = list(ReadinessPeriod.objects.values_list("pk", "state", "since", "until"))

    with CaptureQueriesContext(connection) as ctx:
        summary = services.readiness_refresh(now=T0 + dt.timedelta(minutes=5))

    assert (summary.opened, summary.closed, summary.updated) == (0, 0, 0)
    # No period opened, closed or changed: no INSERT, no bulk UPDATE (the sweep that ends the
    # periods of offices no longer active is a plain UPDATE that matches no row here).
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if "monitoring_readinessperiod" in q["sql"]
        and (q["sql"].lstrip().upper().startswith(("INSERT", "DELETE")) or "CASE" in q["sql"])
    ]
    assert writes == []
    assert list(ReadinessPeriod.objects.values_list("pk", "state", "since", "until")) == before
    assert ReadinessRun.objects.count() == 2  # the run itself is recorded


def test_refreshing_one_office_leaves_the_others_alone(office):
    birth, death = _birth(), _death()
    home_printer = device_at(office, services=[birth, death], monitored=True)
    other = OfficeFactory(code="CR-AWAY")
    other.services.set([birth])
    other_printer = device_at(other, services=[birth], monitored=True)
    services.readiness_refresh(now=T0)

    set_health(home_printer, Health.DOWN)
    set_health(other_printer, Health.DOWN)
    later = T0 + dt.timedelta(minutes=5)
    summary = services.readiness_refresh(office_ids=[office.pk], now=later)

    assert summary.offices == 1 and (summary.opened, summary.closed) == (2, 2)
    assert open_period(office, birth).state == DOWN
    assert open_period(other, birth).state == READY  # not recomputed: still the old state
    assert open_period(other, birth).since == T0
    assert ReadinessRun.objects.order_by("-at").first().complete is False


def test_an_office_no_longer_active_ends_its_periods(office):
    device_at(office, services=[_birth()])
    services.readiness_refresh(now=T0)
    office.is_active = False
    office.save(update_fields=["is_active"])

    services.readiness_refresh(now=T0 + dt.timedelta(hours=1))

    assert not ReadinessPeriod.objects.filter(until__isnull=True).exists()


# --- Availability -------------------------------------------------------------------------------


def test_period_transitions_end_a_closed_period_in_unknown_unless_another_follows():
    a, b, c = T0, T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2)
    transitions = selectors.period_transitions([(a, b, READY), (b, c, DOWN)])
    # The closings first: at b the opening of "down" wins over the closing of "ready".
    assert transitions == [(b, UNKNOWN), (c, UNKNOWN), (a, READY), (b, DOWN)]
    start, end = a, a + dt.timedelta(days=4)
    assert selectors.share_ready([(a, b, READY), (b, c, DOWN)], start=start, end=end) == 0.25
    assert selectors.share_ready([], start=end, end=start) is None


def test_months_start_at_local_midnight():
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    start, end = selectors.month_bounds(dt.date(2026, 10, 1), now=now)
    assert timezone.localtime(start).replace(tzinfo=None) == dt.datetime(2026, 10, 1)
    assert timezone.localtime(end).replace(tzinfo=None) == dt.datetime(2026, 11, 1)
    start, end = selectors.month_bounds(dt.date(2026, 11, 1), now=now)
    assert end == now  # the month under way ends now
    assert selectors.month_next(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert selectors.month_previous(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)


def _at(day: int, hour: int = 0) -> dt.datetime:
    """Return a time in November 2026, local time (the month's days are local days)."""
    return timezone.make_aware(dt.datetime(2026, 11, day, hour))


def test_availability_is_the_share_of_the_month_ready():
    birth, death = _birth(), _death()
    region = RegionFactory(code="SU")
    home = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=region))
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=RegionFactory(code="GB")))
    before = timezone.make_aware(dt.datetime(2026, 10, 20))
    ReadinessPeriod.objects.bulk_create(
        [
            # home, birth: ready from before the month, down for 12 hours, ready again
            ReadinessPeriod(office=home, service=birth, state=READY, since=before, until=_at(11)),
            ReadinessPeriod(
                office=home, service=birth, state=DOWN, since=_at(11), until=_at(11, 12)
            ),
            ReadinessPeriod(office=home, service=birth, state=READY, since=_at(11, 12)),
            # home, death: first recorded on the 16th: the half before is unknown
            ReadinessPeriod(office=home, service=death, state=READY, since=_at(16)),
            # away, birth: degraded all month (not ready), then no longer offered from the 25th
            ReadinessPeriod(
                office=away, service=birth, state=DEGRADED, since=before, until=_at(25)
            ),
            # a period that ended before the month does not count
            ReadinessPeriod(office=away, service=death, state=READY, since=before, until=_at(1)),
        ]
    )
    now = _at(30, 12)  # the month is under way: it ends now
    filters = selectors.AvailabilityFilters(month=dt.date(2026, 11, 1))
    auditor = make_user("auditor")

    with CaptureQueriesContext(connection) as ctx:
        report = selectors.readiness_availability(user=auditor, filters=filters, now=now)
    # services, offices, periods (+ the user's roles)
    assert len(ctx.captured_queries) == 4

    span = now - _at(1)
    rows = {row.office.code: row.values for row in report.rows}
    assert rows["CR-HOME"][0] == pytest.approx(1 - dt.timedelta(hours=12) / span)
    assert rows["CR-HOME"][1] == pytest.approx((now - _at(16)) / span)
    assert rows["CR-AWAY"] == [0.0, None]
    assert not report.complete and report.end == now
    (birth_line, death_line) = report.by_service
    assert birth_line.offices == 2 and birth_line.below == 1
    assert birth_line.mean == pytest.approx(rows["CR-HOME"][0] / 2)  # and 0.0 away
    assert death_line.offices == 1 and death_line.below == 1
    regions = {region.region.code: region for region in report.regions}
    assert regions["SU"].by_service[0].values == [rows["CR-HOME"][0]]
    assert regions["GB"].by_service[1].values == []

    # A whole month, and one region: the complete month and only its offices.
    october = selectors.readiness_availability(
        user=auditor,
        filters=selectors.AvailabilityFilters(month=dt.date(2026, 10, 1), region=region),
        now=now,
    )
    assert october.complete
    assert [row.office.code for row in october.rows] == ["CR-HOME"]
    october_start = timezone.make_aware(dt.datetime(2026, 10, 1))
    assert october.rows[0].values[0] == pytest.approx((_at(1) - before) / (_at(1) - october_start))


def test_availability_follows_the_scope():
    birth = _birth()
    home = OfficeFactory(code="CR-HOME")
    away = OfficeFactory(code="CR-AWAY")
    for office in (home, away):
        ReadinessPeriod.objects.create(office=office, service=birth, state=READY, since=_at(1))
    report = selectors.readiness_availability(
        user=make_user("office_head", office=home),
        filters=selectors.AvailabilityFilters(month=dt.date(2026, 11, 1)),
        now=_at(20),
    )
    assert [row.office for row in report.rows] == [home]
    assert report.rows[0].values == [1.0]
