"""Alert rules without a database: every rule and threshold edge, de-duplication, auto-resolve,
reopen. Driven by hand-made states and by the decoded facts of the shared recordings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from monitoring import alert_rules
from monitoring.alert_rules import (
    AlertThresholds,
    Condition,
    DeviceState,
    OpenAlert,
    alert_conditions,
    alert_plan,
    state_from_facts,
)
from monitoring.choices import AlertKind, AlertSeverity, Health
from monitoring.snmp.decode import InterfaceFacts, SupplyLevel, UpsFacts, device_facts
from monitoring.snmp.snmprec import raw_from_values, read_snmprec

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "snmp" / "recordings"
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
T = AlertThresholds()  # 30 minutes, 15 %, 5 %, 50 %


def supply(percent, *, index="1.1", description="Black Toner", supply_class=None):
    return SupplyLevel(
        index=index,
        description=description,
        supply_class=supply_class or "supplyThatIsConsumed",
        type="toner",
        unit="percent",
        level=None if percent is None else int(percent),
        max_capacity=100,
        percent=percent,
    )


def ups(source="normal", battery="normal", charge=100.0):
    return UpsFacts(
        output_source=source,
        battery_status=battery,
        charge_percent=charge,
        minutes_remaining=30.0,
        load_percent=20.0,
        input_voltage=220.0,
    )


def up(**values) -> DeviceState:
    return DeviceState(health=Health.UP, health_since=NOW, **values)


def found(state: DeviceState, thresholds: AlertThresholds = T) -> set[tuple[str, str, str]]:
    return {
        (c.kind, c.key, c.severity) for c in alert_conditions(state, thresholds=thresholds, now=NOW)
    }


def messages(state: DeviceState) -> list[str]:
    return sorted(c.message for c in alert_conditions(state, thresholds=T, now=NOW))


# --- Unreachable -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes_down", "alerted"), [(0, False), (29.99, False), (30, True), (600, True)]
)
def test_unreachable_after_the_threshold(minutes_down, alerted):
    state = DeviceState(health=Health.DOWN, health_since=NOW - dt.timedelta(minutes=minutes_down))
    expected = {("unreachable", "", "critical")} if alerted else set()
    assert found(state) == expected


def test_unreachable_message_and_configured_threshold():
    state = DeviceState(health=Health.DOWN, health_since=NOW - dt.timedelta(minutes=10))
    assert found(state, AlertThresholds(unreachable_minutes=10)) == {
        ("unreachable", "", "critical")
    }
    conditions = alert_conditions(
        state, thresholds=AlertThresholds(unreachable_minutes=10), now=NOW
    )
    assert [c.message for c in conditions] == ["No answer for 10 minutes or more."]


def test_a_down_device_has_only_the_unreachable_alert_its_old_facts_do_not_count():
    state = DeviceState(
        health=Health.DOWN,
        health_since=NOW - dt.timedelta(hours=2),
        supplies=(supply(0.0),),
        errors=("jammed",),
        serial_mismatch=True,
    )
    assert found(state) == {("unreachable", "", "critical")}


def test_unknown_devices_and_healthy_ones_have_no_alerts():
    assert found(DeviceState()) == set()
    assert found(up(supplies=(supply(80.0),), ups=ups())) == set()


# --- Supplies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (None, set()),
        (100.0, set()),
        (15.01, set()),
        (15.0, {("supply_low", "1.1", "warning")}),
        (5.01, {("supply_low", "1.1", "warning")}),
        (5.0, {("supply_critical", "1.1", "critical")}),
        (0.01, {("supply_critical", "1.1", "critical")}),
        (0.0, {("supply_empty", "1.1", "critical")}),
    ],
)
def test_supply_threshold_edges(percent, expected):
    assert found(up(supplies=(supply(percent),))) == expected


def test_supply_thresholds_come_from_settings():
    settings = SimpleNamespace(ALERT_SUPPLY_WARNING=30, ALERT_SUPPLY_CRITICAL=10)
    thresholds = alert_rules.thresholds_from_settings(settings)
    assert thresholds == AlertThresholds(supply_warning=30, supply_critical=10)
    assert found(up(supplies=(supply(25.0),)), thresholds) == {("supply_low", "1.1", "warning")}
    assert found(up(supplies=(supply(10.0),)), thresholds) == {
        ("supply_critical", "1.1", "critical")
    }


def test_supply_messages_say_which_and_how_much():
    state = up(
        supplies=(
            supply(12.0, index="1.1", description="Black Toner"),
            supply(3.0, index="1.2", description="Cyan Toner"),
            supply(0.0, index="1.3", description="Drum"),
            supply(
                10.0,
                index="1.4",
                description="Waste Toner Box",
                supply_class="receptacleThatIsFilled",
            ),
            supply(
                0.0, index="1.5", description="Waste Box 2", supply_class="receptacleThatIsFilled"
            ),
        )
    )
    assert messages(state) == [
        "Black Toner is low: 12 % left.",
        "Cyan Toner is almost empty: 3 % left.",
        "Drum is empty.",
        "Waste Box 2 is full.",
        "Waste Toner Box is nearly full: 10 % space left.",
    ]


def test_each_supply_is_its_own_alert():
    state = up(supplies=(supply(10.0, index="1.1"), supply(10.0, index="1.2")))
    assert found(state) == {("supply_low", "1.1", "warning"), ("supply_low", "1.2", "warning")}


# --- Printer errors ----------------------------------------------------------------------------


def test_printer_errors_that_stop_printing_are_alerts_notices_are_not():
    state = up(errors=("lowToner", "jammed", "doorOpen", "serviceRequested", "lowPaper", "jammed"))
    assert found(state) == {
        ("printer_error", "jammed", "critical"),
        ("printer_error", "doorOpen", "critical"),
        ("printer_error", "serviceRequested", "warning"),
    }
    assert messages(up(errors=("jammed",))) == ["Printer reports: paper jam"]


@pytest.mark.parametrize("name", ["noPaper", "noToner", "offline", "doorOpen", "jammed"])
def test_issue_printer_errors_are_critical(name):
    assert found(up(errors=(name,))) == {("printer_error", name, "critical")}


# --- UPS ---------------------------------------------------------------------------------------


def test_ups_on_battery_and_low_battery():
    assert found(up(ups=ups(source="battery"))) == {("ups_on_battery", "", "warning")}
    assert found(up(ups=ups(battery="low"))) == {("ups_battery_low", "", "critical")}
    assert messages(up(ups=ups(battery="depleted"))) == ["The UPS battery is depleted."]
    assert messages(up(ups=ups(source="battery"))) == ["The UPS is on battery: no mains power."]


@pytest.mark.parametrize(
    ("charge", "alerted"), [(None, False), (50.0, False), (49.9, True), (0.0, True)]
)
def test_ups_charge_under_the_threshold(charge, alerted):
    expected = {("ups_charge_low", "", "warning")} if alerted else set()
    assert found(up(ups=ups(charge=charge))) == expected


def test_ups_charge_message():
    assert messages(up(ups=ups(charge=42.0))) == ["The UPS battery charge is 42 %, under 50 %."]


# --- Interfaces, page counter, serial ----------------------------------------------------------


def interface(index, *, admin_up, oper_up, name=""):
    return InterfaceFacts(index=index, name=name, admin_up=admin_up, oper_up=oper_up)


def test_router_interfaces_admin_up_but_down():
    interfaces = (
        interface(1, admin_up=True, oper_up=True, name="ge-0"),
        interface(2, admin_up=True, oper_up=False, name="ge-1"),
        interface(3, admin_up=False, oper_up=False, name="ge-2"),  # switched off on purpose
        interface(4, admin_up=True, oper_up=None, name="ge-3"),  # not told
        interface(5, admin_up=True, oper_up=False),
    )
    state = up(kind="router", interfaces=interfaces)
    assert found(state) == {("interface_down", "2", "warning"), ("interface_down", "5", "warning")}
    assert messages(state) == [
        "Interface 5 is enabled but down.",
        "Interface ge-1 is enabled but down.",
    ]
    assert found(dataclasses.replace(state, kind="printer")) == set()


@pytest.mark.parametrize(
    ("previous", "now", "alerted"),
    [(None, 100, False), (100, None, False), (100, 100, False), (100, 150, False), (100, 99, True)],
)
def test_page_counter_going_backwards(previous, now, alerted):
    state = up(page_count=now, previous_page_count=previous)
    expected = {("page_counter_backwards", "", "warning")} if alerted else set()
    assert found(state) == expected


def test_page_counter_message():
    assert messages(up(page_count=10, previous_page_count=5000)) == [
        "The page counter went back from 5000 to 10."
    ]


def test_serial_mismatch():
    state = up(serial_mismatch=True, serial_seen="CN123", serial_registered="SN999")
    assert found(state) == {("serial_mismatch", "", "info")}
    assert messages(state) == ["The device reports serial CN123; the register has SN999."]


def test_state_from_a_device_row_reads_its_json():
    asset = SimpleNamespace(serial="SN1")
    row = SimpleNamespace(
        kind="printer",
        health=Health.WARNING,
        health_since=NOW,
        errors=["noToner"],
        supplies=[dataclasses.asdict(supply(4.0))],
        ups=None,
        interfaces=None,
        page_count=10,
        serial_mismatch=True,
        serial_seen="X1",
        _state=SimpleNamespace(fields_cache={"asset": asset}),
    )
    state = alert_rules.state_from_device(row, previous_page_count=20)
    assert found(state) == {
        ("supply_critical", "1.1", "critical"),
        ("printer_error", "noToner", "critical"),
        ("page_counter_backwards", "", "warning"),
        ("serial_mismatch", "", "info"),
    }
    assert state.serial_registered == "SN1"


# --- The plan: de-duplication, auto-resolve, reopen --------------------------------------------


def cond(kind, key="", severity=AlertSeverity.WARNING, message="m"):
    return Condition(kind=kind, key=key, severity=severity, message=message)


def opened(pk, kind, key="", severity=AlertSeverity.WARNING, message="m"):
    return OpenAlert(pk=pk, kind=kind, key=key, severity=severity, message=message)


def test_a_new_condition_opens_an_alert():
    plan = alert_plan(device_id=7, open_alerts=[], conditions=[cond("supply_low", "1.1")])
    assert plan.open == [(7, cond("supply_low", "1.1"))]
    assert (plan.seen, plan.resolve, plan.reworded) == ([], [], [])


def test_a_condition_still_there_is_seen_not_opened_again():
    plan = alert_plan(
        device_id=7,
        open_alerts=[opened(1, "supply_low", "1.1")],
        conditions=[cond("supply_low", "1.1")],
    )
    assert (plan.open, plan.seen, plan.resolve) == ([], [1], [])


def test_same_kind_other_key_is_another_alert():
    plan = alert_plan(
        device_id=7,
        open_alerts=[opened(1, "supply_low", "1.1")],
        conditions=[cond("supply_low", "1.1"), cond("supply_low", "1.2")],
    )
    assert plan.open == [(7, cond("supply_low", "1.2"))]
    assert plan.seen == [1]


def test_a_cleared_condition_resolves_its_alert():
    plan = alert_plan(device_id=7, open_alerts=[opened(1, "ups_on_battery")], conditions=[])
    assert (plan.open, plan.seen, plan.resolve) == ([], [], [1])


def test_a_returning_condition_opens_a_new_alert():
    # The resolved alert is no longer among the open ones: the condition opens a new row.
    plan = alert_plan(device_id=7, open_alerts=[], conditions=[cond("ups_on_battery")])
    assert plan.open == [(7, cond("ups_on_battery"))]


def test_changed_words_are_updated():
    plan = alert_plan(
        device_id=7,
        open_alerts=[opened(1, "ups_charge_low", message="40 %")],
        conditions=[cond("ups_charge_low", message="30 %")],
    )
    assert plan.seen == [1]
    assert plan.reworded == [(1, cond("ups_charge_low", message="30 %"))]


def test_a_page_counter_alert_stays_open_until_acknowledged():
    plan = alert_plan(device_id=7, open_alerts=[opened(1, "page_counter_backwards")], conditions=[])
    assert (plan.open, plan.resolve) == ([], [])
    again = alert_plan(
        device_id=7,
        open_alerts=[opened(1, "page_counter_backwards")],
        conditions=[cond("page_counter_backwards")],
    )
    assert (again.open, again.seen) == ([], [1])


def test_plans_add_up_over_devices():
    plan = alert_plan(device_id=1, open_alerts=[], conditions=[cond("unreachable")])
    alert_plan(device_id=2, open_alerts=[opened(9, "unreachable")], conditions=[], plan=plan)
    assert plan.open == [(1, cond("unreachable"))]
    assert plan.resolve == [9]


def test_escalation_from_low_to_critical_resolves_low_and_opens_critical():
    before = up(supplies=(supply(10.0),))
    after = up(supplies=(supply(4.0),))
    first = alert_conditions(before, thresholds=T, now=NOW)
    open_alerts = [opened(1, c.kind, c.key, c.severity, c.message) for c in first]
    plan = alert_plan(
        device_id=3,
        open_alerts=open_alerts,
        conditions=alert_conditions(after, thresholds=T, now=NOW),
    )
    assert plan.resolve == [1]
    assert [(c.kind, c.key) for _, c in plan.open] == [(AlertKind.SUPPLY_CRITICAL, "1.1")]


# --- The shared recordings ---------------------------------------------------------------------

# What each real recording calls for, as found and checked against its .expected.json.
RECORDED = {
    "cisco_isr4321": {("interface_down", "10", "warning")},
    "epson_builtin": {
        ("supply_critical", "1.1", "critical"),
        ("supply_critical", "1.2", "critical"),
        ("supply_critical", "1.3", "critical"),
        ("supply_critical", "1.4", "critical"),
    },
    "xerox_altalink-c8045": {("supply_critical", "1.10", "critical")},
    "huawei_ar169f": {("interface_down", "18", "warning")},
    "mikrotik_rb750gr3": {
        ("interface_down", "3", "warning"),
        ("interface_down", "4", "warning"),
        ("interface_down", "5", "warning"),
    },
    "tp-link_td-w9970": {("interface_down", "20", "warning")},
}


def recording_facts(name: str):
    return device_facts(raw_from_values(read_snmprec(RECORDINGS / f"{name}.snmprec")))


@pytest.mark.skipif(not RECORDINGS.exists(), reason="../shared/snmp is absent")
@pytest.mark.parametrize(
    "path",
    sorted(RECORDINGS.glob("*.snmprec")) if RECORDINGS.exists() else [],
    ids=lambda p: p.stem,
)
def test_recordings_call_for_the_alerts_they_show(path):
    facts = recording_facts(path.stem)
    conditions = found(state_from_facts(facts))
    if path.stem in RECORDED:
        assert conditions == RECORDED[path.stem]
    elif facts.kind == "router":
        assert conditions and {kind for kind, _, _ in conditions} == {"interface_down"}
    else:
        assert conditions == set()


@pytest.mark.skipif(not RECORDINGS.exists(), reason="../shared/snmp is absent")
def test_a_recorded_device_going_silent_resolves_and_coming_back_reopens():
    facts = recording_facts("epson_builtin")
    answering = state_from_facts(facts)
    first = alert_conditions(answering, thresholds=T, now=NOW)
    assert len(first) == 4
    alerts = [opened(i, c.kind, c.key, c.severity, c.message) for i, c in enumerate(first)]
    # Same facts next round: nothing new, nothing resolved (no flood).
    again = alert_plan(device_id=1, open_alerts=alerts, conditions=first)
    assert (again.open, sorted(again.seen), again.resolve) == ([], [0, 1, 2, 3], [])
    # Down for an hour: supplies resolve, unreachable opens.
    down = DeviceState(health=Health.DOWN, health_since=NOW - dt.timedelta(hours=1))
    silent = alert_plan(
        device_id=1, open_alerts=alerts, conditions=alert_conditions(down, thresholds=T, now=NOW)
    )
    assert sorted(silent.resolve) == [0, 1, 2, 3]
    assert [c.kind for _, c in silent.open] == ["unreachable"]
    # Back: the supply alerts open again, as new alerts.
    back = alert_plan(device_id=1, open_alerts=[opened(9, "unreachable")], conditions=first)
    assert back.resolve == [9] and len(back.open) == 4


@pytest.mark.skipif(not RECORDINGS.exists(), reason="../shared/snmp is absent")
def test_a_recorded_ups_on_battery_with_low_charge():
    facts = recording_facts("apc_smart-ups-x-750i")
    battery = dataclasses.replace(facts.ups, output_source="battery", charge_percent=20.0)
    state = state_from_facts(dataclasses.replace(facts, ups=battery))
    assert found(state) == {("ups_on_battery", "", "warning"), ("ups_charge_low", "", "warning")}
