"""Stored supply forecasts: computed from the poll history, refreshed by the poller's saves."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import services
from monitoring.models import PollOutcome, SupplyForecast
from tests.monitoring.test_models_services import make_device, make_profile
from tests.monitoring.test_rules import printer, result, supply

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _supplies(toner: float | None, waste: float = 60.0) -> list[dict]:
    return [
        dataclasses.asdict(supply(index="1.1", description="Black Toner TK-3160", percent=toner)),
        dataclasses.asdict(
            supply(
                index="1.2",
                description="Waste Toner Box",
                percent=waste,
                supply_class="receptacleThatIsFilled",
                type="wasteToner",
            )
        ),
    ]


def _history(device, levels: list[float | None], *, every_days: float = 2.0, pages_per_day=100):
    """Store one outcome per level, ``every_days`` apart, the last one a day before NOW."""
    start = NOW - dt.timedelta(days=1 + every_days * (len(levels) - 1))
    PollOutcome.objects.bulk_create(
        [
            PollOutcome(
                device=device,
                polled_at=start + dt.timedelta(days=every_days * i),
                reachable=True,
                health="up",
                page_count=10_000 + int(pages_per_day * every_days * i),
                supplies=_supplies(level),
                fingerprint="test",
            )
            for i, level in enumerate(levels)
        ]
    )
    device.supplies = _supplies(levels[-1])
    device.save(update_fields=["supplies"])


def test_a_falling_level_gets_a_dated_forecast_and_the_waste_box_none():
    device = make_device()
    # 2 % a day from 80 %, read every two days: 60 % a day before NOW → empty 30 days later.
    _history(device, [80.0 - 4 * i for i in range(6)])
    stored = services.supply_forecasts_refresh(now=NOW)
    assert stored == 1
    forecast = SupplyForecast.objects.get()
    assert forecast.description == "Black Toner TK-3160" and forecast.supply_index == "1.1"
    assert forecast.method == "trend" and forecast.reason == ""
    expected = NOW - dt.timedelta(days=1) + dt.timedelta(days=30)
    assert abs((forecast.runs_out - expected).total_seconds()) < 86400
    assert forecast.percent_per_day == pytest.approx(2.0, rel=0.01)
    assert forecast.level == 60.0 and forecast.points == 6 and forecast.computed_at == NOW


def test_too_little_history_says_so_and_never_makes_up_a_date():
    device = make_device()
    _history(device, [80.0, 78.0])
    services.supply_forecasts_refresh(now=NOW)
    forecast = SupplyForecast.objects.get()
    assert forecast.runs_out is None and forecast.reason == "not_enough_data"


def test_unknown_levels_and_odd_rows_do_not_stop_the_refresh():
    odd = make_device()
    PollOutcome.objects.create(
        device=odd,
        polled_at=NOW - dt.timedelta(days=1),
        reachable=True,
        health="up",
        supplies=[{"no": "index"}, "garbage", {"index": "1.1", "percent": "x"}],
        fingerprint="odd",
    )
    odd.supplies = [{"index": "1.1", "description": "Toner"}, 7]
    odd.save(update_fields=["supplies"])
    unknown = make_device(profile=make_profile(name="Second"))
    _history(unknown, [None] * 6)
    services.supply_forecasts_refresh(now=NOW)
    reasons = dict(SupplyForecast.objects.values_list("device_id", "reason"))
    assert reasons == {odd.pk: "unknown_level", unknown.pk: "unknown_level"}


def test_a_refresh_replaces_the_devices_forecasts_and_leaves_others_alone():
    first = make_device()
    second = make_device(profile=make_profile(name="Second"))
    _history(first, [80.0 - 4 * i for i in range(6)])
    _history(second, [90.0 - 1 * i for i in range(6)])
    services.supply_forecasts_refresh(now=NOW)
    kept = SupplyForecast.objects.get(device=second)
    services.supply_forecasts_refresh(device_ids=[first.pk], now=NOW + dt.timedelta(hours=1))
    assert SupplyForecast.objects.count() == 2
    assert SupplyForecast.objects.get(device=second).computed_at == kept.computed_at
    assert SupplyForecast.objects.get(device=first).computed_at == NOW + dt.timedelta(hours=1)


@pytest.mark.parametrize("rows", [1, 50])
def test_refresh_costs_four_queries_per_chunk_whatever_the_devices(rows):
    profile = make_profile()
    devices = [make_device(profile=profile) for _ in range(rows)]
    for device in devices:
        _history(device, [80.0 - 4 * i for i in range(6)])
    with CaptureQueriesContext(connection) as ctx:
        services.supply_forecasts_refresh(device_ids=[d.pk for d in devices], now=NOW)
    statements = [
        q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == 4, "\n".join(q["sql"] for q in statements)
    assert SupplyForecast.objects.count() == rows


def test_a_saved_poll_with_supplies_refreshes_that_printers_forecast():
    device = make_device()
    at = timezone.now()
    for day in range(6, 0, -1):
        facts = printer(supplies=(supply(percent=70.0 - 5 * (6 - day)),))
        services.monitoring_results_save(
            results=[result(facts, key=device.pk, at=at - dt.timedelta(days=day))]
        )
    forecast = SupplyForecast.objects.get(device=device)
    assert forecast.runs_out is not None and forecast.method == "trend"
    assert forecast.percent_per_day == pytest.approx(5.0, rel=0.01)
    # An unreachable round stores an outcome without supplies: the forecast stays.
    services.monitoring_results_save(results=[result(key=device.pk, at=at, error="timeout")])
    assert SupplyForecast.objects.get(device=device).pk == forecast.pk


def test_a_round_recomputes_readiness_and_a_failure_there_does_not_stop_it(monkeypatch, caplog):
    from monitoring.models import ReadinessRun

    make_device()
    services.monitoring_round_run(poll=lambda targets: [])
    assert ReadinessRun.objects.filter(complete=True).count() == 1

    def broken(**kwargs):
        raise RuntimeError("readiness exploded")

    monkeypatch.setattr(services, "readiness_after_round", broken)
    summary = services.monitoring_round_run(poll=lambda targets: [])
    assert summary.devices == 1 and "Recomputing service readiness failed" in caplog.text


def test_after_a_round_only_offices_whose_devices_changed_health_unless_a_full_run_is_due(
    settings,
):
    from monitoring.models import ReadinessRun

    settings.READINESS_FULL_MINUTES = 15
    device = make_device()
    t0 = timezone.now()
    first = services.readiness_after_round(offices_changed=set(), now=t0)
    assert first is not None and ReadinessRun.objects.get().complete
    # Within 15 minutes: nothing changed → nothing computed; a change → that office only.
    assert services.readiness_after_round(offices_changed=set(), now=t0) is None
    office_id = device.asset.office_id
    partial = services.readiness_after_round(
        offices_changed={office_id}, now=t0 + dt.timedelta(minutes=5)
    )
    assert partial is not None and partial.offices == 1
    # A partial run that changed nothing is not recorded: "as of" is the complete run's.
    assert ReadinessRun.objects.count() == 1
    # 15 minutes after the last complete run: every office again.
    services.readiness_after_round(offices_changed=set(), now=t0 + dt.timedelta(minutes=15))
    assert ReadinessRun.objects.filter(complete=True).count() == 2


def test_a_saved_health_change_names_the_devices_office():
    device = make_device()
    summary = services.monitoring_results_save(
        results=[result(printer(), key=device.pk, at=timezone.now())]
    )
    assert summary.offices_changed == {device.asset.office_id}
    again = services.monitoring_results_save(
        results=[result(printer(), key=device.pk, at=timezone.now())]
    )
    assert again.offices_changed == frozenset()
