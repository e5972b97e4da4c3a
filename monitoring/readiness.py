"""Service readiness: what an office can do today, from its requirements and its devices. Pure.

No database, no I/O: a selector loads one office's ``DeviceState`` rows and the
``Requirement`` rows of the services it offers, then calls ``office_readiness``; the national
grid calls it once per office. ``impact_of`` answers the other way round (which services a
device puts at risk) and ``availability`` turns a readiness history into a month's percent.

The rules, as decided for issue 8:

- **Which devices count** for a requirement (service S, zone Z, category C, min_count n): the
  office's devices of category C in zone Z that are *linked to S* (``Asset.services``), as the
  issue says ("the assets linked to that service"). A printer in the right room but not linked
  to S does not count: linking is how the register says what a device is for, and a back-office
  printer kept for archive work should not make birth registration look ready. Of those, only
  devices whose status is deployed or in repair count at all (``COUNTED_STATUSES``): retired,
  lost, in-stock and in-transit devices are not the office's to use, so they neither work nor
  count as a lost spare.
- **A device works** (``device_working``) when it is deployed, no open repair ticket says it
  cannot be used, and its monitoring health is not down. Unknown health, or no monitoring at
  all (``health=None``: laptops are never polled), counts as working: no news is not evidence
  of a fault. Warning counts as working and is mentioned in the reasons.
- **A service's state** (``Readiness``), the first that applies:

  ``CUT_OFF``  the office router is given and does not work (health down, not deployed, or a
  repair that stops work). Every service of the office is cut off, never ready, whatever its
  own devices. Devices behind a dead router cannot be polled, so their "down" health is
  ignored in the reasons then (status and repairs still show).
  ``UNKNOWN``  the service has no requirement defined: nothing can be said of it.
  ``DOWN``     some requirement has fewer working devices than its min_count.
  ``DEGRADED`` every requirement is met, but one is met exactly while it counts more devices
  than that: it lost its redundancy (one of two printers left).
  ``READY``    every requirement is met, each with a spare or exactly as designed (one of one).

  No router given (the office has none in the register) changes nothing.
- **The UPS** never changes the state; when it does not work, or runs on battery, a reason is
  added to every service. A UPS on battery still powers the devices; when it runs out they stop
  answering and their own requirements say so.
- **Reasons** (``Reason``): one per requirement with something to say (short, no spare left,
  a spare lost but still enough, or warnings), naming the devices and why each is not working;
  plus one for the router, the UPS, or a service without requirements. Worst first;
  ``reason_text`` words one in the active language.
- **Worst of several** (an office's summary, ``worst_state``): ready, unknown, degraded, down,
  cut off: unknown is a gap in the reference data, not a fault.
- **Availability** counts only ready time by default (the issue's "% of time ready"); the
  time before the first recorded state is unknown, so not ready (see ``availability``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from inventory.choices import AssetStatus, Zone
from monitoring.choices import Health, Readiness, ReasonKind

# Statuses in which a device is the office's to use: counted for its requirements.
COUNTED_STATUSES: frozenset[str] = frozenset({AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR})

# The order of the service states from best to worst, for "the worst of" a few.
# Unknown (no requirement defined) is a gap in the reference data, not a fault: better than
# degraded. Cut off is the worst: nothing at the office can be reached.
_STATE_RANK = {
    Readiness.READY: 0,
    Readiness.UNKNOWN: 1,
    Readiness.DEGRADED: 2,
    Readiness.DOWN: 3,
    Readiness.CUT_OFF: 4,
}
_REASON_RANK = {kind: rank for rank, kind in enumerate(ReasonKind.values)}


@dataclass(frozen=True)
class DeviceState:
    """What readiness needs to know of one asset at an office."""

    asset_id: int
    tag: str
    category: str  # Category.code
    zone: str  # a Zone value; "" when not set
    status: str  # an AssetStatus value
    health: str | None = None  # a Health value; None when the asset is not monitored
    open_repair_stops_work: bool = False
    services: frozenset[str] = frozenset()  # CRService codes the asset is linked to


@dataclass(frozen=True)
class Requirement:
    """A ServiceRequirement: the service needs min_count working devices of a category in a zone."""

    service: str  # CRService.code
    zone: str  # a Zone value
    category: str  # Category.code
    min_count: int = 1


@dataclass(frozen=True)
class DeviceIssue:
    """One device named in a reason: why it does not work, or its warning while it works."""

    asset_id: int
    tag: str
    why: str  # lazy: worded in the language active when shown
    working: bool = False


@dataclass(frozen=True)
class Reason:
    """Why a service is in its state: which requirement (if any), its counts, and the devices.

    ``working`` of ``total`` counted devices work, ``needed`` (the min_count) must. Router and
    UPS reasons have no requirement and name the router or UPS in ``devices``.
    """

    kind: str  # a ReasonKind value
    requirement: Requirement | None = None
    working: int = 0
    needed: int = 0
    total: int = 0
    devices: tuple[DeviceIssue, ...] = ()


@dataclass(frozen=True)
class ServiceReadiness:
    """One service's state at one office, with the reasons, worst first."""

    service: str
    state: str  # a Readiness value
    reasons: tuple[Reason, ...] = field(default=())


@dataclass(frozen=True)
class Impact:
    """A service at the device's office that depends on the device.

    ``requirement`` is None for the router, on which every service depends. ``state_after`` is
    the service's state if the device stopped working; None when the office's other devices
    were not given.
    """

    service: str
    requirement: Requirement | None = None
    state_after: str | None = None


# --- Words ------------------------------------------------------------------------------------


def _percent_format(template: str, params: Mapping[str, object]) -> str:
    return str(template % params)


# ``template % params``, evaluated when shown, so that a reason kept for a while (a cached
# grid) is worded in the language of whoever reads it.
_lazy_format = lazy(_percent_format, str)


def _label(choices: type[models.TextChoices], value: str) -> str:
    """Return a choice's label, or the value itself when it is not one of the choices."""
    try:
        return choices(value).label
    except ValueError:
        return value


# --- Devices ----------------------------------------------------------------------------------


def device_working(device: DeviceState, *, ignore_health: bool = False) -> tuple[bool, str | None]:
    """Return whether the device works, and why not (or its warning while it works).

    Working: deployed, no open repair that stops work, health not down. Unknown or no health
    counts as working; warning counts as working, with the warning as the text.
    ``ignore_health`` treats the device as not monitored.
    """
    if device.status != AssetStatus.DEPLOYED:
        return False, _lazy_format(
            _("status is “%(status)s”"), {"status": _label(AssetStatus, device.status)}
        )
    if device.open_repair_stops_work:
        return False, _("an open repair ticket says it cannot be used")
    if ignore_health:
        return True, None
    if device.health == Health.DOWN:
        return False, _("does not answer the monitoring")
    if device.health == Health.WARNING:
        return True, _("works, with a warning from the monitoring")
    return True, None


def _counted(requirement: Requirement, devices: Iterable[DeviceState]) -> list[DeviceState]:
    """Return the devices that count for a requirement, by tag."""
    return sorted(
        (
            device
            for device in devices
            if device.zone == requirement.zone
            and device.category == requirement.category
            and requirement.service in device.services
            and device.status in COUNTED_STATUSES
        ),
        key=lambda device: device.tag,
    )


def _check(
    requirement: Requirement,
    counted: Sequence[DeviceState],
    verdicts: Mapping[int, tuple[bool, str | None]],
) -> tuple[str, Reason | None]:
    """Return a requirement's state and reason from its counted devices and their verdicts."""
    working = 0
    issues: list[DeviceIssue] = []
    for device in counted:
        works, why = verdicts[device.asset_id]
        working += works
        if why is not None:
            issues.append(DeviceIssue(device.asset_id, device.tag, why, working=works))
    if working < requirement.min_count:
        state, kind = Readiness.DOWN, ReasonKind.SHORT
    elif working == requirement.min_count and len(counted) > requirement.min_count:
        state, kind = Readiness.DEGRADED, ReasonKind.NO_SPARE
    elif working < len(counted):
        state, kind = Readiness.READY, ReasonKind.SPARE_LOST
    elif issues:
        state, kind = Readiness.READY, ReasonKind.WARNING
    else:
        return Readiness.READY, None
    reason = Reason(
        kind=kind,
        requirement=requirement,
        working=working,
        needed=requirement.min_count,
        total=len(counted),
        devices=tuple(issues),
    )
    return state, reason


def requirement_check(
    requirement: Requirement, *, devices: Iterable[DeviceState], ignore_health: bool = False
) -> tuple[str, Reason | None]:
    """Return a requirement's state (ready, degraded or down) and its reason, if it has one.

    ``ignore_health`` treats every device as not monitored: for an office cut off from the
    poller, where "down" says nothing of the device itself.
    """
    counted = _counted(requirement, devices)
    verdicts = {d.asset_id: device_working(d, ignore_health=ignore_health) for d in counted}
    return _check(requirement, counted, verdicts)


def _device_reason(kind: str, device: DeviceState, why: str, *, working: bool) -> Reason:
    """Return an office-wide reason naming the router or the UPS."""
    return Reason(kind=kind, devices=(DeviceIssue(device.asset_id, device.tag, why, working),))


def _office_reasons(
    *, router: DeviceState | None, ups: DeviceState | None, ups_on_battery: bool
) -> tuple[bool, list[Reason]]:
    """Return whether the office is cut off, and the reasons about its router and UPS."""
    reasons: list[Reason] = []
    cut_off = False
    if router is not None:
        works, why = device_working(router)
        if not works:
            cut_off = True
            reasons.append(_device_reason(ReasonKind.ROUTER_DOWN, router, why, working=False))
    if ups is not None:
        works, why = device_working(ups)
        if not works:
            reasons.append(_device_reason(ReasonKind.UPS_DOWN, ups, why, working=False))
        elif ups_on_battery:
            on_battery = _("runs on battery")
            reasons.append(_device_reason(ReasonKind.UPS_ON_BATTERY, ups, on_battery, working=True))
    return cut_off, reasons


def worst_state(states: Iterable[str]) -> str:
    """Return the worst of some readiness states (ready when there are none).

    From best to worst: ready, unknown, degraded, down, cut off.
    """
    return max(states, key=_STATE_RANK.__getitem__, default=Readiness.READY)


def office_readiness(
    *,
    services: Iterable[str],
    requirements: Iterable[Requirement],
    devices: Iterable[DeviceState],
    router: DeviceState | None = None,
    ups: DeviceState | None = None,
    ups_on_battery: bool = False,
) -> list[ServiceReadiness]:
    """Return the state of each service the office offers, in the order given.

    ``devices`` are the office's devices (the router and UPS may be among them);
    ``requirements`` may hold those of other services too. ``ups_on_battery`` comes from the
    UPS's last poll (its output source).
    """
    by_service: dict[str, list[Requirement]] = defaultdict(list)
    for requirement in requirements:
        by_service[requirement.service].append(requirement)
    cut_off, office_reasons = _office_reasons(router=router, ups=ups, ups_on_battery=ups_on_battery)
    # Each device's verdict once, and the devices that count by (zone, category), by tag: an
    # office's whole grid row in one pass (the national overview does this 5,000 times).
    counted: dict[tuple[str, str, str], list[DeviceState]] = defaultdict(list)
    verdicts: dict[int, tuple[bool, str | None]] = {}
    for device in sorted(devices, key=lambda device: device.tag):
        if device.status in COUNTED_STATUSES:
            verdicts[device.asset_id] = device_working(device, ignore_health=cut_off)
            for service in device.services:
                counted[device.zone, device.category, service].append(device)
    results = []
    for service in dict.fromkeys(services):
        own = by_service.get(service, [])
        checks = [_check(r, counted.get((r.zone, r.category, service), ()), verdicts) for r in own]
        reasons = [*office_reasons, *(reason for _state, reason in checks if reason is not None)]
        if cut_off:
            state = Readiness.CUT_OFF
        elif not own:
            state = Readiness.UNKNOWN
        else:
            state = max((state for state, _reason in checks), key=_STATE_RANK.__getitem__)
        if not own:
            reasons.append(Reason(kind=ReasonKind.NO_REQUIREMENTS))
        if len(reasons) > 1:
            reasons.sort(key=lambda reason: _REASON_RANK[reason.kind])
        results.append(ServiceReadiness(service=service, state=state, reasons=tuple(reasons)))
    return results


# --- Impact -----------------------------------------------------------------------------------


def impact_of(
    device: DeviceState,
    *,
    services: Iterable[str],
    requirements: Iterable[Requirement],
    devices: Iterable[DeviceState] | None = None,
    router: DeviceState | None = None,
    ups: DeviceState | None = None,
    ups_on_battery: bool = False,
) -> list[Impact]:
    """Return the services of the device's office that depend on it, in the order given.

    ``services`` are those the office offers. The router: every service (cut off without it).
    Any other device: the services it is linked to with a requirement of its zone and category,
    when its status counts (deployed or in repair). With the office's ``devices`` (and its
    router and UPS), each impact also tells the service's state were the device to stop working.
    A UPS is not a requirement (see the module's docstring), so it puts nothing at risk unless
    a requirement names its category.
    """
    services = tuple(dict.fromkeys(services))
    requirements = tuple(requirements)
    if router is not None and device.asset_id == router.asset_id:
        return [Impact(service, None, Readiness.CUT_OFF) for service in services]
    if device.status not in COUNTED_STATUSES:
        return []
    matching = [
        requirement
        for requirement in requirements
        if requirement.service in services
        and requirement.service in device.services
        and requirement.zone == device.zone
        and requirement.category == device.category
    ]
    after: dict[str, str] = {}
    if devices is not None and matching:
        broken = replace(device, open_repair_stops_work=True)
        others = [broken if d.asset_id == device.asset_id else d for d in devices]
        if all(d.asset_id != device.asset_id for d in others):
            others.append(broken)
        states = office_readiness(
            services=[r.service for r in matching],
            requirements=requirements,
            devices=others,
            router=router,
            ups=ups,
            ups_on_battery=ups_on_battery,
        )
        after = {result.service: result.state for result in states}
    by_service = {service: rank for rank, service in enumerate(services)}
    matching.sort(key=lambda requirement: by_service[requirement.service])
    return [Impact(r.service, r, after.get(r.service)) for r in matching]


# --- Availability -----------------------------------------------------------------------------


def availability(
    transitions: Sequence[tuple[dt.datetime, str]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    initial: str = Readiness.UNKNOWN,
    counts_as: Collection[str] = (Readiness.READY,),
) -> float:
    """Return the share of [start, end) a service spent in ``counts_as`` (ready), 0.0 to 1.0.

    ``transitions`` are (when, new state) in any order; several at one instant: the last given
    wins. The state at ``start`` is that of the last transition at or before it, so pass the
    change before the month along with the month's changes; without one it is ``initial``
    (unknown: not ready, since nothing was recorded). Transitions at or after ``end`` are
    ignored. For the month under way pass ``end=now``. ``counts_as`` may add degraded for
    "the service could be given".
    """
    if end <= start:
        raise ValueError(f"The period is empty: it ends ({end}) before it starts ({start}).")
    ordered = sorted(transitions, key=itemgetter(0))
    state = initial
    cursor = start
    counted = dt.timedelta(0)
    for at, new_state in ordered:
        if at >= end:
            break
        if at > start:
            if state in counts_as:
                counted += at - cursor
            cursor = at
        state = new_state
    if state in counts_as:
        counted += end - cursor
    return counted / (end - start)


# --- Words for pages and spreadsheets ---------------------------------------------------------


def devices_text(devices: Iterable[DeviceIssue]) -> str:
    """Return the devices of a reason in words: "CR-PR-000117: status is “In repair”; …"."""
    return "; ".join(
        str(_("%(tag)s: %(why)s") % {"tag": issue.tag, "why": issue.why}) for issue in devices
    )


def reason_text(
    reason: Reason,
    *,
    category_names: Mapping[str, str] | None = None,
    with_devices: bool = True,
) -> str:
    """Return a reason in words, in the active language, naming its devices unless told not to.

    ``category_names`` maps category codes to names (the code is shown without it).
    """
    requirement = reason.requirement
    params: dict[str, object] = {
        "working": reason.working,
        "needed": reason.needed,
        "total": reason.total,
        "tag": reason.devices[0].tag if reason.devices else "",
        "why": reason.devices[0].why if reason.devices else "",
    }
    if requirement is not None:
        params["zone"] = _label(Zone, requirement.zone)
        params["category"] = (category_names or {}).get(requirement.category, requirement.category)
    kind = reason.kind
    if kind == ReasonKind.ROUTER_DOWN:
        return str(
            _(
                "The office router %(tag)s is not working (%(why)s): the office is cut off, "
                "nothing can be said of its services."
            )
            % params
        )
    if kind == ReasonKind.UPS_DOWN:
        return str(_("The UPS %(tag)s is not working (%(why)s).") % params)
    if kind == ReasonKind.UPS_ON_BATTERY:
        return str(_("The UPS %(tag)s runs on battery: the mains power is out.") % params)
    if kind == ReasonKind.NO_REQUIREMENTS:
        return str(_("No requirement is defined for this service: its state is not known."))
    if kind == ReasonKind.SHORT and reason.total == 0:
        text = _("%(zone)s, %(category)s: no device is linked to this service, %(needed)d needed.")
    elif kind == ReasonKind.SHORT:
        text = _("%(zone)s, %(category)s: %(working)d of %(total)d working, %(needed)d needed.")
    elif kind == ReasonKind.NO_SPARE:
        text = _(
            "%(zone)s, %(category)s: %(working)d of %(total)d working, no spare left "
            "(%(needed)d needed)."
        )
    elif kind == ReasonKind.SPARE_LOST:
        text = _(
            "%(zone)s, %(category)s: %(working)d of %(total)d working, still enough "
            "(%(needed)d needed)."
        )
    else:
        text = _("%(zone)s, %(category)s: working, with warnings.")
    text = str(text % params)
    if with_devices and reason.devices:
        text = str(
            _("%(reason)s %(devices)s.") % {"reason": text, "devices": devices_text(reason.devices)}
        )
    return text
