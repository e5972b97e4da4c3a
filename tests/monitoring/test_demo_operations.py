"""The demo's operations history: the pure generators, then the command on the demo fleet."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Min
from django.test import override_settings
from django.utils import timezone

from inventory.choices import AssetStatus, Zone
from inventory.models import Asset
from monitoring import readiness, selectors, services, simulator
from monitoring.choices import Readiness, ReasonKind, RepairStatus
from monitoring.management.commands import demo_operations
from monitoring.management.commands.demo_operations import RepairCandidate
from monitoring.management.commands.simulate_devices import (
    fleet_specs,
    monitoring_configure,
    page_history_seed,
)
from monitoring.models import (
    MonitoredDevice,
    PollOutcome,
    ReadinessPeriod,
    RepairTicket,
    SupplyForecast,
    WorkEntry,
)
from monitoring.simulator import DeviceSpec, State
from monitoring.snmp.decode import device_facts
from monitoring.snmp.snmprec import format_snmprec, parse_snmprec, raw_from_values

NOW = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODELS = {"HP": "LaserJet Pro M404dn", "Canon": "i-SENSYS MF443dw", "Kyocera": "ECOSYS P3145dn"}


def printer(state: State = State.NORMAL, maker: str = "HP", **kw) -> DeviceSpec:
    models = {"HP": "LaserJet Pro M404dn", "Canon": "i-SENSYS MF443dw", "Kyocera": "ECOSYS P3145dn"}
    values = {"tag": "CR-PR-000042", "serial": f"{maker[:3].upper()}7X0042"} | kw
    return DeviceSpec(
        kind="printer", manufacturer=maker, model=models[maker], state=state, **values
    )


def toner(reading: simulator.Reading) -> float:
    return simulator.supplies_json(reading.supplies)[0]["percent"]


# --- supply_history (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize("maker", ["HP", "Canon", "Kyocera"])
def test_history_ends_with_what_the_device_reports_today(maker):
    spec = printer(maker=maker)
    history = simulator.supply_history(spec, days=120, now=NOW)
    values = simulator.device_values(spec)

    assert history[-1] == simulator.Reading(NOW, values.page_count, values.supplies)
    assert len(history) == 481  # every 6 hours over 120 days
    assert history[0].at == NOW - dt.timedelta(days=120)
    assert all(b.at - a.at == dt.timedelta(hours=6) for a, b in itertools.pairwise(history))
    assert history == simulator.supply_history(spec, days=120, now=NOW)  # deterministic


@pytest.mark.parametrize("maker", ["HP", "Canon", "Kyocera"])
def test_toner_falls_with_the_pages_and_rises_only_at_a_new_cartridge(maker):
    spec = printer(maker=maker, tag="CR-PR-000077")
    history = simulator.supply_history(spec, days=120, now=NOW)
    counts = [r.page_count for r in history]
    assert counts == sorted(counts)  # no reset asked for
    refills = 0
    for a, b in itertools.pairwise(history):
        if toner(b) > toner(a):
            refills += 1
            assert toner(b) - toner(a) > 50  # a new cartridge, not noise
        elif b.page_count == a.page_count:
            assert toner(b) == toner(a)  # nothing printed, nothing used
    assert 1 <= refills <= 2  # a cartridge lasts 8 to 14 weeks
    # Weekdays print more than Sundays.
    by_day = Counter()
    for a, b in itertools.pairwise(history):
        by_day[b.at.astimezone(simulator.OFFICE_ZONE).weekday()] += b.page_count - a.page_count
    assert by_day[2] > 5 * by_day[6]


def test_the_toner_rate_puts_low_toner_before_any_normal_printer():
    def rate(reading_pairs):
        used = sum(toner(a) - toner(b) for a, b in reading_pairs if toner(b) <= toner(a))
        return used / 120

    rates = []
    for number in range(40):
        history = simulator.supply_history(printer(tag=f"CR-PR-{number:06d}"), days=120, now=NOW)
        rates.append(rate(list(itertools.pairwise(history))))
    # 8 to 14 weeks per cartridge: 1.02 to 1.79 % a day (less the weekends' noise).
    assert min(rates) > 0.9 and max(rates) < 1.9
    assert 9 / min(rates) < 22 / max(rates)


def test_a_printer_out_of_toner_has_printed_nothing_lately():
    history = simulator.supply_history(printer(State.TONER_OUT), days=120, now=NOW)
    assert toner(history[-1]) == 0
    assert history[-1].page_count == history[-3].page_count  # idle for the last half day


def test_a_silent_printer_last_answered_weeks_ago():
    spec = printer(State.SILENT)
    history = simulator.supply_history(spec, days=120, now=NOW)
    assert dt.timedelta(days=14) <= NOW - history[-1].at <= dt.timedelta(days=42)
    assert history[-1].page_count == simulator.device_values(spec).page_count


def test_a_counter_reset_restarts_at_zero_and_shows_the_old_board_before():
    # A Kyocera printing ~1,000 pages a week with a young counter reaches 0 within 120 days.
    spec = next(
        s
        for n in range(200)
        if simulator.device_values(s := printer(maker="Kyocera", tag=f"CR-PR-{n:06d}")).page_count
        < 12_000
    )
    plain = simulator.supply_history(spec, days=120, now=NOW)
    assert plain[0].at > NOW - dt.timedelta(days=119)  # a new printer: history starts later

    history = simulator.supply_history(spec, days=120, now=NOW, counter_reset=True)
    drops = [(a, b) for a, b in itertools.pairwise(history) if b.page_count < a.page_count]
    assert len(drops) == 1
    before, after = drops[0]
    assert after.at == plain[0].at
    assert after.page_count < 2_000 and before.page_count >= 20_000
    assert len(history) == 481


def test_a_device_without_a_page_counter_has_no_history():
    scanner = DeviceSpec(
        tag="CR-SC-1", serial="S1", kind="scanner", manufacturer="Epson", model="DS"
    )
    assert simulator.supply_history(scanner, days=120, now=NOW) == []


@pytest.mark.parametrize("maker", ["HP", "Canon", "Kyocera"])
def test_supplies_json_is_what_decoding_the_recording_stores(maker):
    from monitoring import rules

    spec = printer(State.LOW_TONER, maker=maker)
    decoded = device_facts(
        raw_from_values(parse_snmprec(format_snmprec(simulator.device_records(spec))))
    )
    stored = rules.to_json(decoded.printer.supplies)
    assert simulator.supplies_json(simulator.device_values(spec).supplies) == stored


# --- repair_plan and readiness_history (pure) ---------------------------------------------------


def candidates() -> list[RepairCandidate]:
    made = []
    for number in range(120):
        category = ("printer", "laptop", "scanner", "ups", "router")[number % 5]
        made.append(
            RepairCandidate(
                asset_id=number + 1,
                tag=f"CR-{category[:2].upper()}-{number:06d}",
                category=category,
                manufacturer="HP" if category == "printer" else "APC",
                status=AssetStatus.IN_REPAIR if number < 3 else AssetStatus.DEPLOYED,
                warranty_end=dt.date(2027, 3, 15),
                reason="Demo data: paper jam, pickup roller worn" if number < 3 else "",
            )
        )
    return made


def test_repair_plan_makes_a_year_of_tickets_without_changing_any_status():
    swap = (6, NOW - dt.timedelta(days=50))
    plan = demo_operations.repair_plan(candidates(), now=NOW, board_swap=swap)

    assert plan == demo_operations.repair_plan(candidates(), now=NOW, board_swap=swap)
    assert 40 <= len(plan) <= 60
    assert [t.reported_at for t in plan] == sorted(t.reported_at for t in plan)
    assert min(t.reported_at for t in plan) >= NOW - dt.timedelta(days=365)
    assert 5 <= sum(t.warranty_claim for t in plan) <= 10
    assert all(t.supplier_reference for t in plan if t.warranty_claim)
    assert len({t.fault for t in plan}) >= 6
    status = {c.asset_id: c.status for c in candidates()}
    for ticket in plan:
        times = [ticket.reported_at, *(step.at for step in ticket.steps)]
        assert times == sorted(times) and times[-1] < NOW
        if ticket.resolved_at is None and ticket.stops_work:
            assert status[ticket.asset_id] == AssetStatus.IN_REPAIR  # its open ticket
        if status[ticket.asset_id] == AssetStatus.IN_REPAIR:
            assert ticket.resolved_at is None  # resolving would deploy it
    resolved = [t for t in plan if t.resolved_at]
    assert len(resolved) >= 0.7 * len(plan)
    hours = [(t.resolved_at - t.reported_at) / dt.timedelta(hours=1) for t in resolved]
    assert min(hours) < 8 and max(hours) > 24 * 14
    assert any(s.to_status == RepairStatus.WAITING_PARTS for t in resolved for s in t.steps)
    # Tickets of one asset never overlap; 4 assets fail again within 90 days.
    by_asset: dict[int, list] = {}
    for ticket in plan:
        by_asset.setdefault(ticket.asset_id, []).append(ticket)
    again = 0
    for tickets in by_asset.values():
        for first, second in itertools.pairwise(tickets):
            assert first.resolved_at is not None and first.resolved_at < second.reported_at
            again += second.reported_at - first.reported_at <= dt.timedelta(days=90)
    assert again == 4
    swapped = [t for t in plan if t.asset_id == 6]
    assert swapped[-1].resolved_at < swap[1] and "Formatter board" in swapped[-1].steps[-1].parts


def state(asset_id: int, tag: str, **kw) -> readiness.DeviceState:
    values = {
        "category": "printer",
        "zone": Zone.FRONT_OFFICE,
        "status": AssetStatus.DEPLOYED,
        "services": frozenset({"birth"}),
    } | kw
    return readiness.DeviceState(asset_id=asset_id, tag=tag, **values)


def test_readiness_history_replays_the_tickets_and_ends_in_todays_state():
    start = NOW - dt.timedelta(days=90)
    office = selectors.OfficeInputs(
        services=["birth"],
        devices=[
            state(1, "P1"),
            state(2, "P2", status=AssetStatus.IN_REPAIR, open_repair_stops_work=True),
        ],
    )
    requirements = [readiness.Requirement("birth", Zone.FRONT_OFFICE, "printer", 1)]
    broke, fixed = NOW - dt.timedelta(days=40), NOW - dt.timedelta(days=38)
    stops = {
        1: [(broke, fixed), (NOW - dt.timedelta(days=100), NOW - dt.timedelta(days=95))],
        2: [(NOW - dt.timedelta(days=5), None)],
    }

    periods = demo_operations.readiness_history(
        office=office, requirements=requirements, stops=stops, start=start, now=NOW
    )

    assert [(p.state, p.since, p.until) for p in periods] == [
        (Readiness.READY, start, broke),
        (Readiness.DEGRADED, broke, fixed),  # one of two printers left
        (Readiness.READY, fixed, NOW - dt.timedelta(days=5)),
        (Readiness.DEGRADED, NOW - dt.timedelta(days=5), None),
    ]
    assert periods[1].reason_kinds == (ReasonKind.NO_SPARE,) and periods[1].asset_ids == (1,)
    today = readiness.office_readiness(
        services=office.services, requirements=requirements, devices=office.devices
    )
    assert periods[-1].state == today[0].state


@pytest.mark.django_db
def test_refuses_with_debug_off_and_stops_without_monitored_devices(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to add the demo's operations history"):
        call_command("demo_operations", stdout=StringIO())

    settings.DEBUG = True
    out = StringIO()
    call_command("demo_operations", stdout=out)
    assert "No simulated device is monitored: run `manage.py simulate_devices` first" in (
        out.getvalue()
    )
    assert not PollOutcome.objects.exists() and not RepairTicket.objects.exists()


# --- the command on the demo fleet --------------------------------------------------------------


@dataclass
class Demo:
    output: str
    statuses: dict[int, str]
    specs: dict[str, DeviceSpec]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo fleet monitored (no agent), with its operations history; rolled back after."""
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        call_command("demo_setup", stdout=StringIO())
        call_command("demo_deployments", stdout=StringIO())
        specs = simulator.assign_states(fleet_specs())
        monitoring_configure(specs=fleet_specs(), port=1161)
        page_history_seed(specs=specs)  # as simulate_devices does: replaced by the history
        statuses = dict(Asset.objects.values_list("pk", "status"))
        out = StringIO()
        call_command("demo_operations", stdout=out)
        yield Demo(out.getvalue(), statuses, {spec.tag: spec for spec in specs})
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_summary_line_counts_what_was_added(demo):
    line = demo.output.strip()
    assert line.startswith("Operations history: ")
    readings = PollOutcome.objects.count()
    assert f"{readings:,} readings of 185 printers (one counter reset)" in line
    assert 60_000 < readings < 150_000
    assert f"{RepairTicket.objects.count()} repair tickets" in line
    assert f"{ReadinessPeriod.objects.count()} readiness periods over 90 days" in line
    assert "readiness recomputed, 0 periods opened" in line


@pytest.mark.django_db
def test_forecasts_are_dated_and_low_toner_printers_run_out_first(demo):
    toners = list(
        SupplyForecast.objects.filter(supply_type="toner").select_related("device__asset")
    )
    printers = MonitoredDevice.objects.filter(asset__asset_model__category__code="printer")
    assert len(toners) == printers.count()
    assert sum(f.runs_out is not None for f in toners) >= 0.9 * len(toners)
    by_state: dict[str, list[dt.datetime]] = {}
    for forecast in toners:
        if forecast.runs_out is not None:
            by_state.setdefault(demo.specs[forecast.device.asset.tag].state, []).append(
                forecast.runs_out
            )
    low, normal = by_state[State.LOW_TONER], by_state[State.NORMAL]
    assert len(low) == 14 and len(normal) > 140
    assert max(low) < min(normal)
    assert max(by_state[State.TONER_OUT]) <= min(low)  # empty: runs out now


@pytest.mark.django_db
def test_one_printer_counter_resets_after_its_board_swap_ticket(demo):
    drops = []
    previous = None
    for device_id, at, count in (
        PollOutcome.objects.order_by("device_id", "polled_at")
        .values_list("device_id", "polled_at", "page_count")
        .iterator()
    ):
        if previous and previous[0] == device_id and count < previous[2]:
            drops.append((device_id, at))
        previous = (device_id, at, count)
    assert len(drops) == 1
    device = MonitoredDevice.objects.get(pk=drops[0][0])
    swap = RepairTicket.objects.get(asset=device.asset, entries__parts="Formatter board")
    assert swap.status == RepairStatus.RESOLVED and swap.resolved_at < drops[0][1]


@pytest.mark.django_db
def test_silent_printers_last_answered_weeks_ago_the_others_now(demo):
    latest = dict(
        PollOutcome.objects.values_list("device__asset__tag").annotate(at=Max("polled_at"))
    )
    now = timezone.now()
    silent = {tag for tag, spec in demo.specs.items() if spec.state == State.SILENT}
    assert silent & set(latest)
    for tag, at in latest.items():
        if tag in silent:
            assert dt.timedelta(days=14) <= now - at <= dt.timedelta(days=43)
        else:
            assert now - at < dt.timedelta(minutes=10)
    # Never polled, they show their latest reading as a poll would have left it.
    device = MonitoredDevice.objects.get(asset__tag=min(set(latest) - silent))
    assert device.last_polled_at is None and device.last_reachable_at == latest[device.asset.tag]
    assert (
        device.supplies
        and device.page_count == simulator.device_values(demo.specs[device.asset.tag]).page_count
    )


@pytest.mark.django_db
def test_repair_history_through_the_services_keeps_every_status(demo):
    tickets = list(RepairTicket.objects.all())
    assert 40 <= len(tickets) <= 60
    resolved = [t for t in tickets if t.status == RepairStatus.RESOLVED]
    assert len(resolved) >= 35
    assert all(t.resolved_at > t.reported_at for t in resolved)
    # Claims only while the warranty ran (the demo's warranties end in 2027: later, none).
    under = [
        t for t in tickets if t.asset.warranty_end and t.asset.warranty_end >= t.reported_at.date()
    ]
    claims = [t for t in tickets if t.warranty_claim]
    assert set(claims) <= set(under)
    assert 1 <= len(claims) <= 10 if len(under) >= 10 else len(claims) <= 10
    assert RepairTicket.objects.filter(status=RepairStatus.WAITING_PARTS).exists()
    assert WorkEntry.objects.filter(status_to=RepairStatus.WAITING_PARTS).count() >= 5
    assert len({t.fault for t in tickets}) >= 8
    times: dict[int, list[dt.datetime]] = {}
    for ticket in tickets:
        times.setdefault(ticket.asset_id, []).append(ticket.reported_at)
    again = [
        asset
        for asset, reported in times.items()
        if any(b - a <= dt.timedelta(days=90) for a, b in itertools.pairwise(sorted(reported)))
    ]
    assert 3 <= len(again) <= 4
    # The assets demo_setup left in repair have their open tickets; no status changed.
    assert dict(Asset.objects.values_list("pk", "status")) == demo.statuses
    in_repair = set(Asset.objects.filter(status=AssetStatus.IN_REPAIR).values_list("pk", flat=True))
    open_stopping = set(
        RepairTicket.objects.filter(stops_work=True)
        .exclude(status__in=[RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR])
        .values_list("asset_id", flat=True)
    )
    assert open_stopping == in_repair


@pytest.mark.django_db
def test_readiness_periods_cover_90_days_and_end_in_todays_state(demo):
    pairs = ReadinessPeriod.objects.values("office", "service").distinct().count()
    assert ReadinessPeriod.objects.filter(until__isnull=True).count() == pairs
    first = ReadinessPeriod.objects.order_by("since").first().since
    assert all(
        since == first
        for since in ReadinessPeriod.objects.values("office", "service")
        .annotate(start=Min("since"))
        .values_list("start", flat=True)
    )
    periods = list(ReadinessPeriod.objects.order_by("office", "service", "since"))
    for a, b in itertools.pairwise(periods):
        if (a.office_id, a.service_id) == (b.office_id, b.service_id):
            assert a.until == b.since and a.state != b.state
    assert ReadinessPeriod.objects.filter(until__isnull=False).exclude(state="ready").exists()
    assert dt.timedelta(days=90) <= timezone.now() - first < dt.timedelta(days=90, minutes=10)

    summary = services.readiness_refresh()
    assert (summary.opened, summary.closed, summary.updated) == (0, 0, 0)


@pytest.mark.django_db
def test_running_it_again_adds_nothing(demo):
    counts = [
        model.objects.count()
        for model in (PollOutcome, RepairTicket, WorkEntry, ReadinessPeriod, SupplyForecast)
    ]
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_operations", stdout=out)
    assert "The operations history is there already" in out.getvalue()
    assert counts == [
        model.objects.count()
        for model in (PollOutcome, RepairTicket, WorkEntry, ReadinessPeriod, SupplyForecast)
    ]
