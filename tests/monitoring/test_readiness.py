"""Service readiness, impact and availability: pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from monitoring.readiness import (
    DeviceIssue,
    DeviceState,
    Impact,
    Readiness,
    Reason,
    ReasonKind,
    Requirement,
    ServiceReadiness,
    availability,
    device_working,
    devices_text,
    impact_of,
    office_readiness,
    reason_text,
    requirement_check,
    worst_state,
)

READY, DEGRADED, DOWN = Readiness.READY, Readiness.DEGRADED, Readiness.DOWN
CUT_OFF, UNKNOWN = Readiness.CUT_OFF, Readiness.UNKNOWN

PRINTER_1 = Requirement(service="birth", zone="front_office", category="printer", min_count=1)
PRINTER_2 = Requirement(service="birth", zone="front_office", category="printer", min_count=2)
LAPTOP_1 = Requirement(service="birth", zone="front_office", category="laptop", min_count=1)


def device(
    n: int,
    *,
    category: str = "printer",
    zone: str = "front_office",
    status: str = "deployed",
    health: str | None = None,
    repair: bool = False,
    services: tuple[str, ...] = ("birth",),
) -> DeviceState:
    """Return a device tagged CR-XX-00000n, by default a deployed front-office birth printer."""
    prefix = {"printer": "PR", "laptop": "LT", "router": "RT", "ups": "UP"}.get(category, "XX")
    return DeviceState(
        asset_id=n,
        tag=f"CR-{prefix}-{n:06d}",
        category=category,
        zone=zone,
        status=status,
        health=health,
        open_repair_stops_work=repair,
        services=frozenset(services),
    )


def router(*, status: str = "deployed", health: str | None = "up") -> DeviceState:
    return device(900, category="router", zone="back_office", status=status, health=health)


def ups(*, status: str = "deployed", health: str | None = "up") -> DeviceState:
    return device(950, category="ups", zone="back_office", status=status, health=health)


def birth(**kwargs) -> ServiceReadiness:
    """Return the readiness of birth registration at an office offering only that."""
    [result] = office_readiness(services=["birth"], **kwargs)
    return result


# --- The table: requirement × device states → state -------------------------------------------

CASES = [
    # (id, requirements, devices, router, expected state)
    ("1 of 1 working", [PRINTER_1], [device(1)], None, READY),
    ("2 of 2 working", [PRINTER_1], [device(1), device(2)], None, READY),
    ("1 of 2: degraded", [PRINTER_1], [device(1), device(2, health="down")], None, DEGRADED),
    ("0 of 2: down", [PRINTER_1], [device(1, health="down"), device(2, repair=True)], None, DOWN),
    ("0 of 0: down", [PRINTER_1], [], None, DOWN),
    ("device in repair", [PRINTER_1], [device(1, status="in_repair")], None, DOWN),
    ("repair stops work", [PRINTER_1], [device(1, repair=True)], None, DOWN),
    ("monitored down", [PRINTER_1], [device(1, health="down")], None, DOWN),
    ("monitored up", [PRINTER_1], [device(1, health="up")], None, READY),
    ("warning counts as working", [PRINTER_1], [device(1, health="warning")], None, READY),
    ("unknown health counts", [PRINTER_1], [device(1, health="unknown")], None, READY),
    ("wrong zone", [PRINTER_1], [device(1, zone="back_office")], None, DOWN),
    ("zone not set", [PRINTER_1], [device(1, zone="")], None, DOWN),
    ("wrong category", [PRINTER_1], [device(1, category="laptop")], None, DOWN),
    ("not linked", [PRINTER_1], [device(1, services=("death",))], None, DOWN),
    ("linked to nothing", [PRINTER_1], [device(1, services=())], None, DOWN),
    ("in stock: not counted", [PRINTER_1], [device(1, status="in_stock")], None, DOWN),
    (
        "retired spare: no lost redundancy",
        [PRINTER_1],
        [device(1), device(2, status="retired")],
        None,
        READY,
    ),
    (
        "lost spare: no lost redundancy",
        [PRINTER_1],
        [device(1), device(2, status="lost")],
        None,
        READY,
    ),
    (
        "3 of 4, 2 needed: a spare left",
        [PRINTER_2],
        [device(1), device(2), device(3), device(4, health="down")],
        None,
        READY,
    ),
    (
        "2 of 3, 2 needed: degraded",
        [PRINTER_2],
        [device(1), device(2), device(3, repair=True)],
        None,
        DEGRADED,
    ),
    ("2 of 2, 2 needed", [PRINTER_2], [device(1), device(2)], None, READY),
    ("1 of 2, 2 needed: down", [PRINTER_2], [device(1), device(2, health="down")], None, DOWN),
    (
        "laptop fine, printer degraded",
        [LAPTOP_1, PRINTER_1],
        [device(1), device(2, health="down"), device(3, category="laptop")],
        None,
        DEGRADED,
    ),
    (
        "laptop missing, printer degraded",
        [LAPTOP_1, PRINTER_1],
        [device(1), device(2, health="down")],
        None,
        DOWN,
    ),
    ("router down: cut off", [PRINTER_1], [device(1)], router(health="down"), CUT_OFF),
    ("router in repair: cut off", [PRINTER_1], [device(1)], router(status="in_repair"), CUT_OFF),
    (
        "router repair stops work",
        [PRINTER_1],
        [device(1)],
        DeviceState(900, "CR-RT-000900", "router", "back_office", "deployed", "up", True),
        CUT_OFF,
    ),
    (
        "router down beats down",
        [PRINTER_1],
        [device(1, health="down")],
        router(health="down"),
        CUT_OFF,
    ),
    ("router up", [PRINTER_1], [device(1)], router(), READY),
    ("router warning", [PRINTER_1], [device(1)], router(health="warning"), READY),
    ("router not monitored", [PRINTER_1], [device(1)], router(health=None), READY),
    ("router missing: no effect", [PRINTER_1], [device(1)], None, READY),
    ("no requirements", [], [device(1)], None, UNKNOWN),
    (
        "other service's requirements only",
        [Requirement("death", "front_office", "printer")],
        [device(1)],
        None,
        UNKNOWN,
    ),
    ("no requirements, router down", [], [device(1)], router(health="down"), CUT_OFF),
]


@pytest.mark.parametrize(
    ("requirements", "devices", "office_router", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_state(requirements, devices, office_router, expected):
    result = birth(requirements=requirements, devices=devices, router=office_router)
    assert result.service == "birth"
    assert result.state == expected


def test_the_table_has_the_rows_the_issue_asks_for():
    assert len(CASES) >= 12
    assert {case[-1] for case in CASES} == set(Readiness.values)


# --- Devices ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "working", "why"),
    [
        (device(1), True, None),
        (device(1, health="up"), True, None),
        (device(1, health="unknown"), True, None),
        (device(1, health="warning"), True, "works, with a warning from the monitoring"),
        (device(1, health="down"), False, "does not answer the monitoring"),
        (device(1, repair=True), False, "an open repair ticket says it cannot be used"),
        (device(1, status="in_repair"), False, "status is “In repair”"),
        (device(1, status="retired", health="down"), False, "status is “Retired”"),
        (device(1, status="in_repair", repair=True), False, "status is “In repair”"),
        (device(1, status="mislaid"), False, "status is “mislaid”"),
    ],
)
def test_device_working(state, working, why):
    works, text = device_working(state)
    assert works is working
    assert (None if text is None else str(text)) == why


def test_device_working_words_in_the_language_shown():
    _works, text = device_working(device(1, status="in_repair"))
    with translation.override("ru"):
        russian = str(text)
    assert russian != str(text)
    assert "В ремонте" in russian  # the status, in the words of the language shown too


# --- Reasons ----------------------------------------------------------------------------------


def test_down_names_the_requirement_and_the_devices():
    result = birth(
        requirements=[LAPTOP_1, PRINTER_1],
        devices=[
            device(1, health="down"),
            device(2, status="in_repair"),
            device(3, category="laptop", health="warning"),
            device(4, services=("death",), health="down"),  # not linked: not named
        ],
    )
    assert result.state == DOWN
    short, warning = result.reasons
    assert short.kind == ReasonKind.SHORT
    assert short.requirement == PRINTER_1
    assert (short.working, short.needed, short.total) == (0, 1, 2)
    assert [(i.tag, str(i.why), i.working) for i in short.devices] == [
        ("CR-PR-000001", "does not answer the monitoring", False),
        ("CR-PR-000002", "status is “In repair”", False),
    ]
    assert warning.kind == ReasonKind.WARNING
    assert warning.requirement == LAPTOP_1
    assert [(i.tag, i.working) for i in warning.devices] == [("CR-LT-000003", True)]
    assert reason_text(short, category_names={"printer": "Printer"}) == (
        "Front office, Printer: 0 of 2 working, 1 needed. "
        "CR-PR-000001: does not answer the monitoring; CR-PR-000002: status is “In repair”."
    )
    assert (
        reason_text(warning, with_devices=False) == "Front office, laptop: working, with warnings."
    )


def test_degraded_says_no_spare_left():
    result = birth(requirements=[PRINTER_1], devices=[device(1), device(2, repair=True)])
    [reason] = result.reasons
    assert reason.kind == ReasonKind.NO_SPARE
    assert (reason.working, reason.needed, reason.total) == (1, 1, 2)
    assert [i.tag for i in reason.devices] == ["CR-PR-000002"]
    assert reason_text(reason) == (
        "Front office, printer: 1 of 2 working, no spare left (1 needed). "
        "CR-PR-000002: an open repair ticket says it cannot be used."
    )


def test_ready_with_a_spare_lost_still_says_so():
    result = birth(
        requirements=[PRINTER_2],
        devices=[device(1), device(2), device(3), device(4, health="down")],
    )
    assert result.state == READY
    [reason] = result.reasons
    assert reason.kind == ReasonKind.SPARE_LOST
    assert reason_text(reason, with_devices=False) == (
        "Front office, printer: 3 of 4 working, still enough (2 needed)."
    )


def test_ready_without_anything_to_say_has_no_reasons():
    assert birth(requirements=[PRINTER_1], devices=[device(1, health="up")]).reasons == ()


def test_nothing_linked_is_worded_as_such():
    [reason] = birth(requirements=[PRINTER_1], devices=[device(1, zone="back_office")]).reasons
    assert (reason.kind, reason.total, reason.devices) == (ReasonKind.SHORT, 0, ())
    assert reason_text(reason) == (
        "Front office, printer: no device is linked to this service, 1 needed."
    )


def test_cut_off_puts_the_router_first_and_ignores_health_behind_it():
    result = birth(
        requirements=[PRINTER_1],
        devices=[device(1, health="down"), device(2, status="in_repair")],
        router=router(health="down"),
    )
    assert result.state == CUT_OFF
    first, second = result.reasons
    assert first.kind == ReasonKind.ROUTER_DOWN
    assert first.requirement is None
    assert [i.tag for i in first.devices] == ["CR-RT-000900"]
    assert reason_text(first) == (
        "The office router CR-RT-000900 is not working (does not answer the monitoring): "
        "the office is cut off, nothing can be said of its services."
    )
    # The printer's "down" may be the router's fault: only what the register says is kept.
    assert second.kind == ReasonKind.NO_SPARE
    assert [(i.tag, str(i.why)) for i in second.devices] == [
        ("CR-PR-000002", "status is “In repair”")
    ]


def test_no_requirements_is_unknown_with_its_reason():
    result = birth(requirements=[], devices=[])
    assert result.state == UNKNOWN
    assert [r.kind for r in result.reasons] == [ReasonKind.NO_REQUIREMENTS]
    assert reason_text(result.reasons[0]) == (
        "No requirement is defined for this service: its state is not known."
    )


@pytest.mark.parametrize(
    ("office_ups", "on_battery", "kinds", "text"),
    [
        (ups(), False, [], None),
        (ups(health="warning"), False, [], None),
        (
            ups(health="warning"),
            True,
            [ReasonKind.UPS_ON_BATTERY],
            "The UPS CR-UP-000950 runs on battery: the mains power is out.",
        ),
        (
            ups(health="down"),
            True,
            [ReasonKind.UPS_DOWN],
            "The UPS CR-UP-000950 is not working (does not answer the monitoring).",
        ),
        (
            ups(status="in_repair"),
            False,
            [ReasonKind.UPS_DOWN],
            "The UPS CR-UP-000950 is not working (status is “In repair”).",
        ),
        (None, True, [], None),
    ],
)
def test_ups_adds_a_reason_but_never_changes_the_state(office_ups, on_battery, kinds, text):
    result = birth(
        requirements=[PRINTER_1], devices=[device(1)], ups=office_ups, ups_on_battery=on_battery
    )
    assert result.state == READY
    assert [r.kind for r in result.reasons] == kinds
    if text is not None:
        assert reason_text(result.reasons[0]) == text


def test_reasons_are_worst_first():
    result = birth(
        requirements=[LAPTOP_1, PRINTER_2],
        devices=[
            device(1),
            device(2, health="down"),
            device(3, category="laptop", health="warning"),
        ],
        ups=ups(health="down"),
    )
    assert result.state == DOWN
    assert [r.kind for r in result.reasons] == [
        ReasonKind.SHORT,
        ReasonKind.UPS_DOWN,
        ReasonKind.WARNING,
    ]


def test_every_service_of_the_office_in_the_order_given():
    requirements = [
        PRINTER_1,
        Requirement("certificates", "back_office", "printer"),
        Requirement("digitisation", "archive_room", "scanner"),
    ]
    devices = [
        device(1, services=("birth", "death")),
        device(2, zone="back_office", services=("certificates",), health="down"),
    ]
    results = office_readiness(
        services=["certificates", "birth", "death", "birth"],
        requirements=requirements,
        devices=devices,
    )
    assert [(r.service, r.state) for r in results] == [
        ("certificates", DOWN),
        ("birth", READY),
        ("death", UNKNOWN),
    ]


def test_requirement_check_alone():
    state, reason = requirement_check(PRINTER_1, devices=[device(1), device(2)])
    assert (state, reason) == (READY, None)
    state, reason = requirement_check(
        PRINTER_1, devices=[device(1, health="down")], ignore_health=True
    )
    assert (state, reason) == (READY, None)


def test_worst_state():
    assert worst_state([]) == READY
    assert worst_state([READY, DEGRADED]) == DEGRADED
    assert worst_state([UNKNOWN, DEGRADED, READY]) == DEGRADED
    assert worst_state([DOWN, UNKNOWN, DEGRADED]) == DOWN
    assert worst_state([DOWN, CUT_OFF]) == CUT_OFF


def test_devices_text():
    issues = [DeviceIssue(1, "CR-PR-000001", "jammed"), DeviceIssue(2, "CR-PR-000002", "gone")]
    assert devices_text(issues) == "CR-PR-000001: jammed; CR-PR-000002: gone"


def test_reason_text_in_russian_keeps_the_numbers():
    reason = Reason(
        kind=ReasonKind.SHORT, requirement=PRINTER_2, working=1, needed=2, total=3, devices=()
    )
    with translation.override("ru"):
        text = reason_text(reason, category_names={"printer": "Принтер"})
    assert "Принтер" in text
    assert all(number in text for number in "123")


# --- Impact -----------------------------------------------------------------------------------

OFFICE_SERVICES = ["birth", "death", "certificates"]
OFFICE_REQUIREMENTS = [
    PRINTER_1,
    LAPTOP_1,
    Requirement("death", "front_office", "printer"),
    Requirement("certificates", "back_office", "printer"),
    Requirement("adoption", "front_office", "printer"),  # not offered here
]


def test_impact_of_a_printer_linked_to_two_services():
    printer = device(1, services=("birth", "death", "adoption"))
    impacts = impact_of(printer, services=OFFICE_SERVICES, requirements=OFFICE_REQUIREMENTS)
    assert impacts == [
        Impact("birth", PRINTER_1, None),
        Impact("death", Requirement("death", "front_office", "printer"), None),
    ]


def test_impact_tells_the_state_after_the_device_stops():
    lone = device(1, services=("birth",))
    spare = device(2, services=("birth", "death"))
    laptop = device(3, category="laptop")
    devices = [lone, spare, laptop]
    [by_lone] = impact_of(
        lone, services=OFFICE_SERVICES, requirements=OFFICE_REQUIREMENTS, devices=devices
    )
    assert by_lone == Impact("birth", PRINTER_1, DEGRADED)
    assert impact_of(
        spare, services=OFFICE_SERVICES, requirements=iter(OFFICE_REQUIREMENTS), devices=devices
    ) == [
        Impact("birth", PRINTER_1, DEGRADED),
        Impact("death", Requirement("death", "front_office", "printer"), DOWN),
    ]
    # Already broken: its impact is the state the service is in now.
    broken = device(4, category="laptop", status="in_repair")
    [by_broken] = impact_of(
        broken,
        services=OFFICE_SERVICES,
        requirements=OFFICE_REQUIREMENTS,
        devices=[lone, broken],
    )
    assert by_broken == Impact("birth", LAPTOP_1, DOWN)


def test_impact_of_the_router_is_every_service():
    office_router = router()
    impacts = impact_of(
        office_router,
        services=OFFICE_SERVICES,
        requirements=OFFICE_REQUIREMENTS,
        router=office_router,
    )
    assert impacts == [Impact(service, None, CUT_OFF) for service in OFFICE_SERVICES]


@pytest.mark.parametrize(
    "state",
    [
        device(1, status="retired"),
        device(1, status="in_stock"),
        device(1, services=("marriage",)),
        device(1, zone="archive_room"),
        device(1, category="scanner"),
        router(),  # a router that is not the office's router: just a device
        ups(),
    ],
)
def test_no_impact(state):
    assert impact_of(state, services=OFFICE_SERVICES, requirements=OFFICE_REQUIREMENTS) == []


# --- Availability -----------------------------------------------------------------------------

MONTH_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MONTH_END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)  # 30 days


def day(n: float) -> dt.datetime:
    return MONTH_START + dt.timedelta(days=n)


def test_availability_with_several_transitions():
    transitions = [
        (day(-3), READY),  # the change before the month sets the state at its start
        (day(3), DOWN),
        (day(4.5), DEGRADED),
        (day(6), READY),
        (day(20), CUT_OFF),
        (day(21), READY),
        (day(31), DOWN),  # after the month: ignored
    ]
    # Ready: days 0–3, 6–20 and 21–30: 3 + 14 + 9 = 26 of 30.
    assert availability(transitions, start=MONTH_START, end=MONTH_END) == pytest.approx(26 / 30)
    # Degraded still gives the service: 27.5 of 30.
    assert availability(
        transitions, start=MONTH_START, end=MONTH_END, counts_as={READY, DEGRADED}
    ) == pytest.approx(27.5 / 30)


def test_availability_takes_transitions_in_any_order():
    transitions = [(day(15), READY), (day(10), DOWN), (day(-1), READY)]
    assert availability(transitions, start=MONTH_START, end=MONTH_END) == pytest.approx(25 / 30)


def test_availability_before_the_first_transition_is_unknown_unless_told():
    transitions = [(day(10), READY)]
    assert availability(transitions, start=MONTH_START, end=MONTH_END) == pytest.approx(20 / 30)
    assert availability(
        transitions, start=MONTH_START, end=MONTH_END, initial=READY
    ) == pytest.approx(1.0)


def test_availability_edges():
    assert availability([], start=MONTH_START, end=MONTH_END) == 0.0
    assert availability([], start=MONTH_START, end=MONTH_END, initial=READY) == 1.0
    # A change exactly at the start counts from the start; at the end it changes nothing.
    assert availability([(day(0), READY), (day(30), DOWN)], start=MONTH_START, end=MONTH_END) == 1.0
    # Two changes at one instant: the last given wins.
    assert availability([(day(0), DOWN), (day(0), READY)], start=MONTH_START, end=MONTH_END) == 1.0
    # A month under way: up to now.
    assert availability(
        [(day(-1), READY), (day(5), DOWN)], start=MONTH_START, end=day(10)
    ) == pytest.approx(0.5)


@pytest.mark.parametrize("end", [MONTH_START, day(-1)])
def test_availability_of_an_empty_period_is_an_error(end):
    with pytest.raises(ValueError, match="The period is empty"):
        availability([], start=MONTH_START, end=end)


def test_the_order_of_devices_does_not_matter():
    devices = [device(3, health="down"), device(1), device(2, status="in_repair")]
    forwards = birth(requirements=[PRINTER_1], devices=devices)
    backwards = birth(requirements=[PRINTER_1], devices=devices[::-1])
    assert forwards == backwards
    assert [i.tag for i in forwards.reasons[0].devices] == ["CR-PR-000002", "CR-PR-000003"]


def test_a_dead_router_cuts_off_every_service():
    results = office_readiness(
        services=["birth", "death", "digitisation"],
        requirements=[PRINTER_1, Requirement("death", "front_office", "printer")],
        devices=[device(1, services=("birth", "death"))],
        router=router(status="retired"),
    )
    assert {r.state for r in results} == {CUT_OFF}
    assert all(r.reasons[0].kind == ReasonKind.ROUTER_DOWN for r in results)


def test_device_working_can_ignore_health():
    assert device_working(device(1, health="down"), ignore_health=True) == (True, None)
    works, why = device_working(device(1, repair=True, health="down"), ignore_health=True)
    assert (works, str(why)) == (False, "an open repair ticket says it cannot be used")
