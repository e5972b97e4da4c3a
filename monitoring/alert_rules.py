"""Alert rules: which alerts a device's current state calls for. Pure: no database, no I/O.

- ``AlertThresholds``: the configurable levels (settings ALERT_*), ``thresholds_from_settings``.
- ``DeviceState``: what the rules look at, built from decoded facts (``state_from_facts``) or
  from a device's stored row (``state_from_device``, attributes only, no query).
- ``alert_conditions``: the set of ``Condition`` (kind, key, severity, message) a state calls for.
- ``alert_plan``: given the open alerts of a device (by kind and key) and its conditions, what
  to open, keep (last seen, and new words if they changed) and resolve. A condition that clears
  resolves its alert; when it comes back, a new alert is opened (the resolved row stays).

Edges: a supply is "low" at or below ALERT_SUPPLY_WARNING %, "critical" at or below
ALERT_SUPPLY_CRITICAL %, "empty" at 0 % (one alert per supply: the worst); a UPS charge is low
strictly under ALERT_UPS_CHARGE %; a device is unreachable once it has been down for
ALERT_UNREACHABLE_MINUTES or more. A page counter that went backwards is an event, not a
state: its alert is "sticky" (``STICKY_KINDS``), kept open until someone acknowledges it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from monitoring.choices import PRINTER_ERROR_LABELS, AlertKind, AlertSeverity, Health
from monitoring.rules import (
    RECEPTACLE_CLASS,
    WARNING_ERRORS,
    interfaces_from_json,
    supplies_from_json,
    ups_from_json,
)
from monitoring.snmp.decode import DeviceFacts, InterfaceFacts, SupplyLevel, UpsFacts

# Printer error bits that stop printing at once: critical; the other WARNING_ERRORS: warning.
CRITICAL_ERRORS: frozenset[str] = frozenset(
    {"jammed", "noPaper", "noToner", "doorOpen", "offline", "markerSupplyMissing"}
)
# Alerts of these kinds are not resolved when their condition clears (it is an event, it
# clears by itself on the next poll): they stay open until acknowledged.
STICKY_KINDS: frozenset[str] = frozenset({AlertKind.PAGE_COUNTER_BACKWARDS})
MESSAGE_MAX = 255


@dataclass(frozen=True)
class AlertThresholds:
    unreachable_minutes: float = 30
    supply_warning: float = 15
    supply_critical: float = 5
    ups_charge: float = 50


def thresholds_from_settings(settings) -> AlertThresholds:
    """Return the thresholds of a settings object (ALERT_*; defaults where missing)."""
    default = AlertThresholds()
    return AlertThresholds(
        unreachable_minutes=float(
            getattr(settings, "ALERT_UNREACHABLE_MINUTES", default.unreachable_minutes)
        ),
        supply_warning=float(getattr(settings, "ALERT_SUPPLY_WARNING", default.supply_warning)),
        supply_critical=float(getattr(settings, "ALERT_SUPPLY_CRITICAL", default.supply_critical)),
        ups_charge=float(getattr(settings, "ALERT_UPS_CHARGE", default.ups_charge)),
    )


@dataclass(frozen=True)
class DeviceState:
    """What the alert rules look at: a device's health and its latest facts."""

    kind: str = ""
    health: str = Health.UNKNOWN
    health_since: dt.datetime | None = None
    errors: tuple[str, ...] = ()
    supplies: tuple[SupplyLevel, ...] = ()
    ups: UpsFacts | None = None
    interfaces: tuple[InterfaceFacts, ...] = ()
    page_count: int | None = None
    previous_page_count: int | None = None
    serial_mismatch: bool = False
    serial_seen: str = ""
    serial_registered: str = ""


@dataclass(frozen=True, order=True)
class Condition:
    """One alert a device's state calls for; (kind, key) is what makes it distinct."""

    kind: str
    key: str
    severity: str = field(compare=False)
    message: str = field(compare=False)


def state_from_facts(
    facts: DeviceFacts,
    *,
    health: str = Health.UP,
    health_since: dt.datetime | None = None,
    previous_page_count: int | None = None,
    serial_mismatch: bool = False,
    serial_registered: str = "",
) -> DeviceState:
    """Return the state of a device that answered with ``facts``."""
    printer = facts.printer
    return DeviceState(
        kind=facts.kind,
        health=health,
        health_since=health_since,
        errors=tuple(printer.errors) if printer else (),
        supplies=tuple(printer.supplies) if printer else (),
        ups=facts.ups,
        interfaces=tuple(facts.interfaces or ()),
        page_count=printer.page_count if printer else None,
        previous_page_count=previous_page_count,
        serial_mismatch=serial_mismatch,
        serial_seen=facts.serial or "",
        serial_registered=serial_registered,
    )


def state_from_device(device, *, previous_page_count: int | None = None) -> DeviceState:
    """Return the state of a MonitoredDevice row (its attributes; ``device.asset`` if loaded)."""
    asset = device._state.fields_cache.get("asset")
    return DeviceState(
        kind=device.kind,
        health=device.health,
        health_since=device.health_since,
        errors=tuple(device.errors or ()),
        supplies=tuple(supplies_from_json(device.supplies)),
        ups=ups_from_json(device.ups),
        interfaces=tuple(interfaces_from_json(device.interfaces) or ()),
        page_count=device.page_count,
        previous_page_count=previous_page_count,
        serial_mismatch=device.serial_mismatch,
        serial_seen=device.serial_seen,
        serial_registered=asset.serial if asset is not None else "",
    )


def _percent(value: float) -> str:
    return f"{value:.0f}"


def supply_condition(supply: SupplyLevel, thresholds: AlertThresholds) -> Condition | None:
    """Return the alert one supply calls for (the worst of empty, critical, low), if any."""
    percent = supply.percent
    if percent is None or percent > thresholds.supply_warning:
        return None
    receptacle = supply.supply_class == RECEPTACLE_CLASS
    words = {"supply": supply.description or supply.index, "percent": _percent(percent)}
    if percent <= 0:
        kind, severity = AlertKind.SUPPLY_EMPTY, AlertSeverity.CRITICAL
        message = (
            _("%(supply)s is full.") % words if receptacle else _("%(supply)s is empty.") % words
        )
    elif percent <= thresholds.supply_critical:
        kind, severity = AlertKind.SUPPLY_CRITICAL, AlertSeverity.CRITICAL
        message = (
            _("%(supply)s is almost full: %(percent)s %% space left.") % words
            if receptacle
            else _("%(supply)s is almost empty: %(percent)s %% left.") % words
        )
    else:
        kind, severity = AlertKind.SUPPLY_LOW, AlertSeverity.WARNING
        message = (
            _("%(supply)s is nearly full: %(percent)s %% space left.") % words
            if receptacle
            else _("%(supply)s is low: %(percent)s %% left.") % words
        )
    return Condition(kind=kind, key=supply.index, severity=severity, message=message)


def _ups_conditions(ups: UpsFacts, thresholds: AlertThresholds) -> list[Condition]:
    found: list[Condition] = []
    if ups.output_source == "battery":
        found.append(
            Condition(
                kind=AlertKind.UPS_ON_BATTERY,
                key="",
                severity=AlertSeverity.WARNING,
                message=_("The UPS is on battery: no mains power."),
            )
        )
    if ups.battery_status in ("low", "depleted"):
        found.append(
            Condition(
                kind=AlertKind.UPS_BATTERY_LOW,
                key="",
                severity=AlertSeverity.CRITICAL,
                message=_("The UPS battery is depleted.")
                if ups.battery_status == "depleted"
                else _("The UPS battery is low."),
            )
        )
    if ups.charge_percent is not None and ups.charge_percent < thresholds.ups_charge:
        found.append(
            Condition(
                kind=AlertKind.UPS_CHARGE_LOW,
                key="",
                severity=AlertSeverity.WARNING,
                message=_("The UPS battery charge is %(percent)s %%, under %(limit)s %%.")
                % {
                    "percent": _percent(ups.charge_percent),
                    "limit": _percent(thresholds.ups_charge),
                },
            )
        )
    return found


def alert_conditions(
    state: DeviceState, *, thresholds: AlertThresholds, now: dt.datetime
) -> frozenset[Condition]:
    """Return the alerts ``state`` calls for at ``now``.

    A device that does not answer keeps its last facts on its row, but only the unreachable
    alert holds while it is down: the facts are not current.
    """
    found: list[Condition] = []
    if state.health == Health.DOWN:
        since = state.health_since
        limit = dt.timedelta(minutes=thresholds.unreachable_minutes)
        if since is not None and now - since >= limit:
            found.append(
                Condition(
                    kind=AlertKind.UNREACHABLE,
                    key="",
                    severity=AlertSeverity.CRITICAL,
                    message=_("No answer for %(minutes)s minutes or more.")
                    % {"minutes": _percent(thresholds.unreachable_minutes)},
                )
            )
        return frozenset(found)
    if state.health == Health.UNKNOWN:
        return frozenset()
    found += [c for s in state.supplies if (c := supply_condition(s, thresholds)) is not None]
    found += [
        Condition(
            kind=AlertKind.PRINTER_ERROR,
            key=name,
            severity=AlertSeverity.CRITICAL if name in CRITICAL_ERRORS else AlertSeverity.WARNING,
            message=_("Printer reports: %(error)s")
            % {"error": PRINTER_ERROR_LABELS.get(name, name)},
        )
        for name in dict.fromkeys(state.errors)
        if name in WARNING_ERRORS
    ]
    if state.ups is not None:
        found += _ups_conditions(state.ups, thresholds)
    if state.kind == "router":
        found += [
            Condition(
                kind=AlertKind.INTERFACE_DOWN,
                key=str(interface.index),
                severity=AlertSeverity.WARNING,
                message=_("Interface %(name)s is enabled but down.")
                % {"name": interface.name or interface.index},
            )
            for interface in state.interfaces
            if interface.admin_up and interface.oper_up is False
        ]
    if (
        state.page_count is not None
        and state.previous_page_count is not None
        and state.page_count < state.previous_page_count
    ):
        found.append(
            Condition(
                kind=AlertKind.PAGE_COUNTER_BACKWARDS,
                key="",
                severity=AlertSeverity.WARNING,
                message=_("The page counter went back from %(before)s to %(now)s.")
                % {"before": state.previous_page_count, "now": state.page_count},
            )
        )
    if state.serial_mismatch:
        found.append(
            Condition(
                kind=AlertKind.SERIAL_MISMATCH,
                key="",
                severity=AlertSeverity.INFO,
                message=_("The device reports serial %(seen)s; the register has %(registered)s.")
                % {"seen": state.serial_seen or "—", "registered": state.serial_registered or "—"},
            )
        )
    return frozenset(
        Condition(kind=c.kind, key=c.key[:100], severity=c.severity, message=c.message[:255])
        for c in found
    )


@dataclass(frozen=True)
class OpenAlert:
    """An open alert as the plan sees it."""

    pk: int
    kind: str
    key: str
    severity: str
    message: str


@dataclass
class AlertPlan:
    """What to do with one device's alerts (or many devices': plans add up)."""

    open: list[tuple[int, Condition]] = field(default_factory=list)  # (device id, condition)
    seen: list[int] = field(default_factory=list)  # alert ids whose condition still holds
    reworded: list[tuple[int, Condition]] = field(default_factory=list)  # (alert id, new words)
    resolve: list[int] = field(default_factory=list)  # alert ids whose condition cleared


def alert_plan(
    *,
    device_id: int,
    open_alerts: Iterable[OpenAlert],
    conditions: Iterable[Condition],
    plan: AlertPlan | None = None,
) -> AlertPlan:
    """Return (or add to ``plan``) what to do with a device's open alerts and its conditions."""
    plan = plan if plan is not None else AlertPlan()
    wanted: Mapping[tuple[str, str], Condition] = {(c.kind, c.key): c for c in conditions}
    held: set[tuple[str, str]] = set()
    for alert in open_alerts:
        condition = wanted.get((alert.kind, alert.key))
        if condition is None:
            if alert.kind not in STICKY_KINDS:
                plan.resolve.append(alert.pk)
            held.add((alert.kind, alert.key))  # a sticky alert is not opened twice
            continue
        held.add((alert.kind, alert.key))
        plan.seen.append(alert.pk)
        if (condition.severity, condition.message) != (alert.severity, alert.message):
            plan.reworded.append((alert.pk, condition))
    plan.open += [(device_id, c) for key, c in sorted(wanted.items()) if key not in held]
    return plan
