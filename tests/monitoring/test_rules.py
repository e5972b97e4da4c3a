"""Health rules and the pure helpers pages draw with: no database, no network.

The builders here (``printer``, ``result`` …) make decoded facts by hand; the other monitoring
test modules use them too.
"""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring import rules, selectors
from monitoring.choices import Health
from monitoring.poller import PollResult
from monitoring.rules import HealthState, Problem
from monitoring.snmp.decode import (
    DeviceFacts,
    InterfaceFacts,
    PrinterFacts,
    SupplyLevel,
    UpsFacts,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def supply(
    index="1.1",
    description="Black Toner",
    percent: float | None = 80.0,
    level: int | None = None,
    max_capacity: int | None = 100,
    supply_class="supplyThatIsConsumed",
    type="toner",
) -> SupplyLevel:
    if level is None:
        level = int(percent) if percent is not None else -2
    return SupplyLevel(
        index=index,
        description=description,
        supply_class=supply_class,
        type=type,
        unit="percent",
        level=level,
        max_capacity=max_capacity,
        percent=percent,
    )


def printer(
    *,
    errors=(),
    supplies=None,
    page_count=12345,
    device_status="running",
    printer_status="idle",
    serial="CNB1234567",
    uptime=3600.0,
) -> DeviceFacts:
    return DeviceFacts(
        sys_descr="HP LaserJet Pro M404dn",
        sys_object_id="1.3.6.1.4.1.11.2.3.9.1",
        sys_name="prn-front",
        uptime_seconds=uptime,
        serial=serial,
        kind="printer",
        printer=PrinterFacts(
            device_status=device_status,
            printer_status=printer_status,
            errors=tuple(errors),
            page_count=page_count,
            supplies=tuple(supplies if supplies is not None else [supply()]),
        ),
    )


def ups_device(*, output_source="normal", battery_status="normal", charge=100.0) -> DeviceFacts:
    return DeviceFacts(
        sys_descr="APC Smart-UPS X 750",
        sys_object_id="1.3.6.1.4.1.318.1.3.27",
        sys_name="ups-1",
        uptime_seconds=86_400.0,
        serial="AS1234567890",
        kind="ups",
        ups=UpsFacts(
            output_source=output_source,
            battery_status=battery_status,
            charge_percent=charge,
            minutes_remaining=42.0,
            load_percent=31.0,
            input_voltage=221.0,
        ),
    )


def router(*interfaces: tuple[str, bool | None, bool | None], kind="router") -> DeviceFacts:
    return DeviceFacts(
        sys_descr="Cisco IOS XE",
        sys_object_id="1.3.6.1.4.1.9.1.2068",
        sys_name="rtr-1",
        uptime_seconds=500.0,
        serial="FDO12345678",
        kind=kind,
        interfaces=tuple(
            InterfaceFacts(index=i + 1, name=name, admin_up=admin, oper_up=oper)
            for i, (name, admin, oper) in enumerate(interfaces)
        ),
    )


def result(
    facts: DeviceFacts | None = None,
    *,
    key=1,
    at: dt.datetime = T0,
    reachable: bool | None = None,
    error: str | None = None,
    overloaded: bool = False,
    response_ms: float | None = 12.0,
) -> PollResult:
    if reachable is None:
        reachable = facts is not None and not overloaded
    return PollResult(
        key=key,
        reachable=reachable,
        error=error,
        response_ms=response_ms if reachable else None,
        facts=facts if reachable else None,
        raw=None,
        polled_at=at,
        overloaded=overloaded,
    )


UNKNOWN = HealthState()


# --- Health ----------------------------------------------------------------------------------


def test_unknown_before_the_first_poll():
    assert UNKNOWN.health == Health.UNKNOWN and UNKNOWN.since is None


def test_down_when_unreachable():
    state = rules.health_next(result=result(error="timeout"), previous=UNKNOWN)
    assert state == HealthState(health=Health.DOWN, since=T0)


def test_wrong_credentials_are_down_with_their_own_reason():
    outcome = result(error="auth")
    assert rules.health_of(outcome) == Health.DOWN
    assert rules.problem_text(rules.unreachable_problem("auth")) == (
        "The device refused the SNMP credentials: check its profile."
    )
    assert rules.problem_text(rules.unreachable_problem("timeout")) == (
        "No answer within the timeout and retries."
    )
    assert rules.problem_text(rules.unreachable_problem("garbage reply")) == (
        "Poll failed: garbage reply"
    )


def test_up_when_nothing_is_wrong():
    assert rules.health_of(result(printer())) == Health.UP


@pytest.mark.parametrize("error", sorted(rules.WARNING_ERRORS))
def test_printer_errors_that_stop_printing_warn(error):
    assert rules.health_of(result(printer(errors=[error]))) == Health.WARNING


@pytest.mark.parametrize("error", sorted(rules.NOTICE_ERRORS))
def test_notices_are_shown_but_keep_the_device_up(error):
    assert rules.health_of(result(printer(errors=[error]))) == Health.UP


@pytest.mark.parametrize(
    ("percent", "health"),
    [(0.0, "warning"), (8.0, "warning"), (10.0, "warning"), (10.5, "up"), (100.0, "up")],
)
def test_a_supply_at_or_below_ten_percent_warns(percent, health):
    facts = printer(supplies=[supply(percent=80.0), supply(index="1.2", percent=percent)])
    assert rules.health_of(result(facts)) == health


@pytest.mark.parametrize("level", [-1, -2, -3])
def test_special_supply_levels_never_warn(level):
    facts = printer(supplies=[supply(percent=None, level=level)])
    assert rules.health_of(result(facts)) == Health.UP


def test_a_nearly_full_waste_box_warns_in_its_own_words():
    box = supply(
        index="1.5",
        description="Waste Toner Box",
        percent=5.0,
        supply_class="receptacleThatIsFilled",
        type="wasteToner",
    )
    problems = rules.problems_of(printer(supplies=[box]))
    assert problems == (Problem(code="receptacle_full", subject="Waste Toner Box", percent=5.0),)
    assert rules.problem_text(problems[0]) == "Waste Toner Box is nearly full: 5 % space left."


def test_low_toner_is_worded():
    problems = rules.problems_of(printer(supplies=[supply(percent=7.4)]))
    assert [rules.problem_text(p) for p in problems] == ["Black Toner is low: 7 % left."]


def test_a_device_reporting_itself_down_warns():
    problems = rules.problems_of(printer(device_status="down"))
    assert [rules.problem_text(p) for p in problems] == ["The device reports itself down."]


@pytest.mark.parametrize(
    ("facts", "health", "text"),
    [
        (ups_device(), "up", None),
        (
            ups_device(output_source="battery", charge=64.0),
            "warning",
            "The UPS is on battery (64 % charge).",
        ),
        (ups_device(battery_status="low"), "warning", "The UPS battery is low."),
        (ups_device(battery_status="depleted"), "warning", "The UPS battery is depleted."),
        (ups_device(output_source="bypass"), "up", None),
    ],
)
def test_ups_on_battery_or_low_battery_warns(facts, health, text):
    assert rules.health_of(result(facts)) == health
    texts = [rules.problem_text(p) for p in rules.problems_of(facts)]
    assert texts == ([text] if text else [])


def test_a_router_with_an_enabled_interface_down_warns():
    facts = router(("Gi0/0/0", True, True), ("Gi0/0/1", True, False), ("Gi0/0/2", False, False))
    assert rules.health_of(result(facts)) == Health.WARNING
    assert [rules.problem_text(p) for p in rules.problems_of(facts)] == [
        "Interface Gi0/0/1 is enabled but down."
    ]


def test_disabled_or_unknown_interfaces_do_not_warn():
    facts = router(("Gi0/0/0", True, True), ("Gi0/0/2", False, False), ("Gi0/0/3", None, None))
    assert rules.health_of(result(facts)) == Health.UP


def test_interfaces_down_on_a_device_that_is_no_router_do_not_warn():
    facts = router(("eth1", True, False), kind="other")
    assert rules.health_of(result(facts)) == Health.UP


@pytest.mark.parametrize("previous", [UNKNOWN, HealthState(Health.UP, T0), HealthState("down", T0)])
def test_an_overloaded_poller_changes_no_health(previous):
    outcome = result(overloaded=True, reachable=False, error="overloaded")
    assert rules.health_of(outcome) is None
    assert rules.health_next(result=outcome, previous=previous) is previous


def test_since_is_kept_while_health_is_unchanged_and_moves_when_it_changes():
    later = T0 + dt.timedelta(minutes=5)
    up = rules.health_next(result=result(printer()), previous=UNKNOWN)
    assert up == HealthState(Health.UP, T0)
    still_up = rules.health_next(result=result(printer(), at=later), previous=up)
    assert still_up.since == T0
    down = rules.health_next(result=result(at=later, error="timeout"), previous=still_up)
    assert down == HealthState(Health.DOWN, later)


# --- Stored JSON back to facts ---------------------------------------------------------------


def test_stored_facts_come_back_as_the_decoder_dataclasses():
    facts = printer(supplies=[supply(percent=5.0)])
    stored = rules.to_json(facts.printer.supplies)
    assert rules.supplies_from_json(stored) == list(facts.printer.supplies)
    assert rules.supplies_from_json([{"index": "1.1"}, "odd", None]) == []
    assert rules.ups_from_json(rules.to_json(ups_device().ups)) == ups_device().ups
    assert rules.ups_from_json(None) is None
    assert rules.interfaces_from_json(None) is None


def test_lowest_supply_percent_ignores_unknown_levels():
    supplies = [supply(percent=None, level=-3), supply(percent=42.0), supply(percent=17.5)]
    assert rules.lowest_supply_percent(supplies) == 17.5
    assert rules.lowest_supply_percent([supply(percent=None, level=-2)]) is None


@pytest.mark.parametrize(
    ("seen", "registered", "differs"),
    [
        ("CNB1234567", "CNB1234567", False),
        ("cnb 1234567 ", "CNB1234567", False),
        ("CNB1234567\x00", "CNB1234567", False),
        ("ＣＮＢ1234567", "CNB1234567", False),  # full-width letters
        ("CNB7654321", "CNB1234567", True),
        (None, "CNB1234567", False),
        ("", "CNB1234567", False),
    ],
)
def test_serial_differs(seen, registered, differs):
    assert rules.serial_differs(seen=seen, registered=registered) is differs


# --- What is stored --------------------------------------------------------------------------


def test_the_fingerprint_ignores_what_changes_on_every_poll():
    a = result(printer(page_count=100, uptime=10.0), response_ms=5.0)
    b = result(printer(page_count=250, uptime=910.0), response_ms=40.0, at=T0 + dt.timedelta(1))
    assert rules.outcome_fingerprint(a) == rules.outcome_fingerprint(b)


@pytest.mark.parametrize(
    "other",
    [
        result(printer(errors=["jammed"])),
        result(printer(supplies=[supply(percent=79.0)])),
        result(printer(printer_status="printing")),
        result(printer(serial="OTHER")),
        result(error="timeout"),
        result(overloaded=True, reachable=False),
    ],
)
def test_the_fingerprint_changes_with_what_matters(other):
    assert rules.outcome_fingerprint(result(printer())) != rules.outcome_fingerprint(other)


def test_a_level_in_units_without_a_capacity_is_no_change():
    def drum(level):
        return result(printer(supplies=[supply(percent=None, level=level, max_capacity=-2)]))

    assert rules.outcome_fingerprint(drum(1200)) == rules.outcome_fingerprint(drum(1150))
    assert rules.outcome_fingerprint(drum(1200)) != rules.outcome_fingerprint(drum(-3))


def test_ups_charge_counts_in_steps():
    same = [result(ups_device(charge=c)) for c in (91.0, 95.0, 99.0)]
    assert len({rules.outcome_fingerprint(r) for r in same}) == 1
    assert rules.outcome_fingerprint(result(ups_device(charge=89.0))) != rules.outcome_fingerprint(
        same[0]
    )


@pytest.mark.parametrize(
    ("stored_fingerprint", "stored_at", "hours_later", "due"),
    [
        (None, None, 0, True),  # the first outcome
        ("other", T0, 1, True),  # something changed
        ("same", T0, 1, False),  # nothing changed, sample not due
        ("same", T0, 5.99, False),
        ("same", T0, 6, True),  # a sample is due
    ],
)
def test_store_due(stored_fingerprint, stored_at, hours_later, due):
    assert (
        rules.outcome_store_due(
            fingerprint="same",
            stored_fingerprint=stored_fingerprint,
            stored_at=stored_at,
            polled_at=T0 + dt.timedelta(hours=hours_later),
            sample_hours=6,
        )
        is due
    )


# --- Pure helpers of the pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "words", "percent"),
    [
        ({"description": "Black", "level": 42, "max_capacity": 100, "percent": 42.0}, "42 %", 42.0),
        (
            {"description": "Cyan", "level": -3, "max_capacity": 100, "percent": None},
            "some remaining",
            None,
        ),
        (
            {"description": "Magenta", "level": -2, "max_capacity": -2, "percent": None},
            "unknown",
            None,
        ),
        (
            {"description": "Yellow", "level": -1, "max_capacity": 100, "percent": None},
            "other (not measured)",
            None,
        ),
        (
            {
                "description": "Drum",
                "level": 120,
                "max_capacity": -2,
                "percent": None,
                "unit": "impressions",
            },
            "level 120 impressions, capacity unknown",
            None,
        ),
        (
            {
                "description": "Waste",
                "level": 80,
                "percent": 80.0,
                "supply_class": "receptacleThatIsFilled",
            },
            "80 % space left",
            80.0,
        ),
    ],
)
def test_supply_gauges_never_make_up_a_percentage(stored, words, percent):
    gauge = selectors.supply_gauge(stored)
    assert gauge.words == words
    assert gauge.percent == percent


def test_a_low_supply_gauge_is_marked_low():
    assert selectors.supply_gauge({"description": "Black", "percent": 9.0}).low
    assert not selectors.supply_gauge({"description": "Black", "percent": 11.0}).low


def test_line_chart_geometry():
    samples = [(T0 + dt.timedelta(days=d), 1000 + 100 * d) for d in range(3)]
    chart = selectors.line_chart(samples, width=106, height=56, pad=3)
    assert chart.points == "3.0,53.0 53.0,28.0 103.0,3.0"
    assert (chart.low, chart.high, chart.pages_in_period) == (1000, 1200, 200)
    assert selectors.line_chart(samples[:1]) is None


def test_line_chart_thins_many_points_keeping_the_ends():
    samples = [(T0 + dt.timedelta(hours=h), h) for h in range(1000)]
    chart = selectors.line_chart(samples, max_points=50)
    assert chart.count == 50
    assert chart.first == samples[0] and chart.last == samples[-1]


def test_line_chart_of_a_flat_counter():
    samples = [(T0, 500), (T0 + dt.timedelta(days=1), 500)]
    chart = selectors.line_chart(samples, width=100, height=50, pad=0)
    assert chart.points == "0.0,50.0 100.0,50.0"  # drawn along the bottom


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (45, "45 s"),
        (125, "2 min"),
        (3 * 3600 + 20 * 60, "3 h 20 min"),
        (86_400 + 7200, "1 day 2 h"),
        (12 * 86_400, "12 days 0 h"),
        (None, ""),
    ],
)
def test_duration_words(seconds, words):
    assert selectors.duration_words(seconds) == words
