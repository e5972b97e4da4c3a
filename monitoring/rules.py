"""Health rules: what a poll's facts and the previous state mean. Pure: no database, no I/O.

- ``health_next``: a device's health and since when, from one PollResult and the state before.
  Down when the device did not answer; warning when it answered with a problem
  (``problems_of``); up otherwise; unknown before its first poll. A result the poller marked
  "overloaded" changes nothing: it is the poller's fault, not the device's.
- ``problems_of`` / ``device_problems``: the problems behind a warning, as codes a page words.
- ``outcome_fingerprint`` and ``outcome_store_due``: whether a poll's outcome is worth storing
  (something changed since the last stored one, or that one is older than the sample period).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from monitoring.choices import PRINTER_ERROR_LABELS, Health
from monitoring.poller import PollResult
from monitoring.snmp.decode import DeviceFacts, InterfaceFacts, SupplyLevel, UpsFacts

# A supply at or below this percent makes its device "warning" (toner, drum, or the space
# left in a waste-toner box).
SUPPLY_LOW_PERCENT = 10.0

# RFC 3805 error bits that stop or soon stop printing: the device is "warning".
WARNING_ERRORS: frozenset[str] = frozenset(
    {
        "noPaper",
        "noToner",
        "doorOpen",
        "jammed",
        "offline",
        "serviceRequested",
        "inputTrayMissing",
        "outputTrayMissing",
        "markerSupplyMissing",
        "outputFull",
    }
)
# Bits that are shown but do not change health: the device still prints (lowToner comes
# long before empty; the supply percent above is the rule for that).
NOTICE_ERRORS: frozenset[str] = frozenset(
    {"lowPaper", "lowToner", "outputNearFull", "inputTrayEmpty", "overduePreventMaint"}
)

# UPS states that make it "warning".
UPS_WARNING_SOURCES: frozenset[str] = frozenset({"battery"})
UPS_WARNING_BATTERY: frozenset[str] = frozenset({"low", "depleted"})

# Supplies whose level is the space left rather than the amount left (RFC 3805).
RECEPTACLE_CLASS = "receptacleThatIsFilled"

# UPS charge is compared in steps of this many percent, so a charge drifting by one percent
# does not store a new outcome.
CHARGE_STEP_PERCENT = 10


@dataclass(frozen=True)
class HealthState:
    """A device's health and since when (None before its first poll)."""

    health: str = Health.UNKNOWN
    since: dt.datetime | None = None


@dataclass(frozen=True)
class Problem:
    """Why a device is not "up": a code, and what it is about (a supply, an error bit…)."""

    code: str  # see problem_text
    subject: str = ""
    percent: float | None = None


# --- Problems --------------------------------------------------------------------------------


def supply_problem(supply: SupplyLevel) -> Problem | None:
    """Return the problem of one supply at or below SUPPLY_LOW_PERCENT, if it is."""
    if supply.percent is None or supply.percent > SUPPLY_LOW_PERCENT:
        return None
    code = "receptacle_full" if supply.supply_class == RECEPTACLE_CLASS else "supply_low"
    return Problem(code=code, subject=supply.description, percent=supply.percent)


def device_problems(
    *,
    kind: str,
    device_status: str | None = None,
    errors: Iterable[str] = (),
    supplies: Iterable[SupplyLevel] = (),
    ups: UpsFacts | None = None,
    interfaces: Iterable[InterfaceFacts] | None = None,
) -> tuple[Problem, ...]:
    """Return the problems an answering device reports, in a stable order."""
    problems: list[Problem] = []
    if device_status == "down":
        problems.append(Problem(code="device_down"))
    problems += [
        Problem(code="printer_error", subject=name) for name in errors if name in WARNING_ERRORS
    ]
    problems += [p for supply in supplies if (p := supply_problem(supply)) is not None]
    if ups is not None:
        if ups.output_source in UPS_WARNING_SOURCES:
            problems.append(Problem(code="ups_on_battery", percent=ups.charge_percent))
        if ups.battery_status in UPS_WARNING_BATTERY:
            problems.append(Problem(code="ups_battery", subject=ups.battery_status))
    if kind == "router" and interfaces:
        problems += [
            Problem(code="interface_down", subject=interface.name or str(interface.index))
            for interface in interfaces
            if interface.admin_up and interface.oper_up is False
        ]
    return tuple(problems)


def problems_of(facts: DeviceFacts) -> tuple[Problem, ...]:
    """Return the problems in a device's decoded facts."""
    printer = facts.printer
    return device_problems(
        kind=facts.kind,
        device_status=printer.device_status if printer else None,
        errors=printer.errors if printer else (),
        supplies=printer.supplies if printer else (),
        ups=facts.ups,
        interfaces=facts.interfaces,
    )


def unreachable_problem(error: str | None) -> Problem:
    """Return why a device did not answer, as a problem."""
    if error == "auth":
        return Problem(code="auth")
    if error in (None, "", "timeout"):
        return Problem(code="no_answer")
    return Problem(code="error", subject=error)


def health_of(result: PollResult) -> str | None:
    """Return the health a result shows, or None when it says nothing (poller overloaded)."""
    if result.overloaded:
        return None
    if not result.reachable:
        return Health.DOWN
    if result.facts is not None and problems_of(result.facts):
        return Health.WARNING
    return Health.UP


def health_next(*, result: PollResult, previous: HealthState) -> HealthState:
    """Return the device's health after ``result``; "since" is kept while health is unchanged."""
    health = health_of(result)
    if health is None:
        return previous
    if health == previous.health and previous.since is not None:
        return previous
    return HealthState(health=health, since=result.polled_at)


def problem_text(problem: Problem) -> str:
    """Return a problem in words, in the active language."""
    percent = "" if problem.percent is None else f"{problem.percent:.0f}"
    if problem.code == "no_answer":
        return _("No answer within the timeout and retries.")
    if problem.code == "auth":
        return _("The device refused the SNMP credentials: check its profile.")
    if problem.code == "error":
        return _("Poll failed: %(reason)s") % {"reason": problem.subject}
    if problem.code == "device_down":
        return _("The device reports itself down.")
    if problem.code == "printer_error":
        return _("Printer reports: %(error)s") % {
            "error": PRINTER_ERROR_LABELS.get(problem.subject, problem.subject)
        }
    if problem.code == "supply_low":
        return _("%(supply)s is low: %(percent)s %% left.") % {
            "supply": problem.subject,
            "percent": percent,
        }
    if problem.code == "receptacle_full":
        return _("%(supply)s is nearly full: %(percent)s %% space left.") % {
            "supply": problem.subject,
            "percent": percent,
        }
    if problem.code == "ups_on_battery":
        if problem.percent is None:
            return _("The UPS is on battery.")
        return _("The UPS is on battery (%(percent)s %% charge).") % {"percent": percent}
    if problem.code == "ups_battery":
        return _("The UPS battery is %(status)s.") % {
            "status": _("depleted") if problem.subject == "depleted" else _("low")
        }
    if problem.code == "interface_down":
        return _("Interface %(name)s is enabled but down.") % {"name": problem.subject}
    return problem.code


# --- Stored facts (JSON) back to the decoder's dataclasses -----------------------------------


def _from_json(cls, data: Mapping | None):
    if not isinstance(data, Mapping):
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{key: value for key, value in data.items() if key in names})
    except TypeError:  # a field the decoder added later is missing from an old row
        return None


def supplies_from_json(rows: Sequence[Mapping] | None) -> list[SupplyLevel]:
    """Return stored supply dicts as SupplyLevel objects (odd rows skipped)."""
    return [s for row in rows or () if (s := _from_json(SupplyLevel, row)) is not None]


def ups_from_json(data: Mapping | None) -> UpsFacts | None:
    return _from_json(UpsFacts, data)


def interfaces_from_json(rows: Sequence[Mapping] | None) -> list[InterfaceFacts] | None:
    if rows is None:
        return None
    return [i for row in rows if (i := _from_json(InterfaceFacts, row)) is not None]


def to_json(value):
    """Return a decoder dataclass (or a sequence of them) as JSON-ready dicts."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [dataclasses.asdict(item) for item in value]
    return dataclasses.asdict(value)


# --- Summaries kept on the device ------------------------------------------------------------


def lowest_supply_percent(supplies: Iterable[SupplyLevel]) -> float | None:
    """Return the lowest known percent of a device's supplies, or None when none is known."""
    known = [s.percent for s in supplies if s.percent is not None]
    return min(known) if known else None


def _serial_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(text.split()).upper().strip("\x00")


def serial_differs(*, seen: str | None, registered: str) -> bool:
    """Return whether a serial a device reports differs from the register's (case, spaces aside).

    A device that reports no serial does not differ.
    """
    if not seen or not _serial_key(seen):
        return False
    return _serial_key(seen) != _serial_key(registered)


# --- Which outcomes are stored ---------------------------------------------------------------


def _supply_step(supply: SupplyLevel) -> int | str | None:
    """Return what of a supply's level counts as a change: its whole percent, or its special
    value (-1, -2, -3); a level in units without a known capacity changes with every page."""
    if supply.percent is not None:
        return round(supply.percent)
    if supply.level is not None and supply.level < 0:
        return supply.level
    return "level" if supply.level is not None else None


def _fingerprint_parts(result: PollResult) -> list:
    if result.overloaded:
        return ["overloaded"]
    if not result.reachable:
        return ["unreachable", result.error or ""]
    facts = result.facts
    if facts is None:
        return ["reachable"]
    parts: list = ["reachable", facts.kind, facts.serial or ""]
    printer = facts.printer
    if printer is not None:
        parts.append(
            [
                printer.device_status,
                printer.printer_status,
                sorted(printer.errors),
                [[s.index, _supply_step(s)] for s in printer.supplies],
            ]
        )
    ups = facts.ups
    if ups is not None:
        charge = (
            None if ups.charge_percent is None else int(ups.charge_percent // CHARGE_STEP_PERCENT)
        )
        parts.append([ups.output_source, ups.battery_status, charge])
    if facts.interfaces is not None:
        parts.append([[i.index, i.admin_up, i.oper_up] for i in facts.interfaces])
    return parts


def outcome_fingerprint(result: PollResult) -> str:
    """Return a short hash of what matters in a result: state, error bits, supply steps.

    Left out, because they change on every poll: response time, uptime, page counter, UPS
    minutes, load and voltage (they are still stored with each stored outcome).
    """
    text = json.dumps(_fingerprint_parts(result), separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def outcome_store_due(
    *,
    fingerprint: str,
    stored_fingerprint: str | None,
    stored_at: dt.datetime | None,
    polled_at: dt.datetime,
    sample_hours: float,
) -> bool:
    """Return whether an outcome is stored: first one, something changed, or a sample is due."""
    if stored_at is None or stored_fingerprint is None:
        return True
    if fingerprint != stored_fingerprint:
        return True
    return polled_at - stored_at >= dt.timedelta(hours=sample_hours)
