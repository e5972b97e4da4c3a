"""Rules of the operations reports (fleet health, repairs): pure functions, no database.

How figures are counted (the pages say the same in their "How figures are counted" box):

- Fleet health puts every registered asset in exactly one state, the first that applies:
  lost, retired, in repair (status "in repair", or an open repair ticket that stops work),
  in stock, in transit, unreachable (deployed, polled, and monitoring says it is down),
  working (the rest of the deployed). So each row adds up to the assets registered.
- Time to repair: from reported to closed, of the tickets reported in the period and
  resolved; tickets found beyond repair are counted but left out of the time to repair.
- Downtime: of each ticket that stops work, the time from reported to closed (to now while
  open), clipped to the period, added up per office.
- Repeat failure: an asset with two or more tickets reported within ``REPEAT_WINDOW_DAYS``
  of each other.

``reports.queries`` reads the rows (grouped in the database where it can); the functions
here classify, roll up and measure them, and are tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.choices import AssetStatus
from monitoring.choices import RepairStatus

# --- fleet health ---------------------------------------------------------------------------

WORKING = "working"
IN_REPAIR = "in_repair"
UNREACHABLE = "unreachable"
IN_STOCK = "in_stock"
IN_TRANSIT = "in_transit"
RETIRED = "retired"
LOST = "lost"
# The columns of the fleet tables, in order; they add up to the assets registered.
FLEET_STATES = (WORKING, IN_REPAIR, UNREACHABLE, IN_STOCK, IN_TRANSIT, RETIRED, LOST)
# The states the fleet chart shows (stock and transit are not yet in service).
CHART_STATES = (WORKING, IN_REPAIR, UNREACHABLE, RETIRED, LOST)
STATE_LABELS = {
    WORKING: gettext_lazy("Working"),
    IN_REPAIR: gettext_lazy("In repair"),
    UNREACHABLE: gettext_lazy("Unreachable"),
    IN_STOCK: gettext_lazy("In stock"),
    IN_TRANSIT: gettext_lazy("In transit"),
    RETIRED: gettext_lazy("Retired"),
    LOST: gettext_lazy("Lost"),
}
# The asset status each state is exactly, where one is: the asset list can show those.
STATE_STATUS = {
    IN_STOCK: AssetStatus.IN_STOCK,
    IN_TRANSIT: AssetStatus.IN_TRANSIT,
    RETIRED: AssetStatus.RETIRED,
    LOST: AssetStatus.LOST,
}
# Devices the poller has not heard from for this many days are listed (the page's default).
NOT_SEEN_DAYS_DEFAULT = 7
NOT_SEEN_DAYS_MAX = 3650


def fleet_state(*, status: str, open_repair: bool, down: bool) -> str:
    """Return the fleet-health state of an asset (the SQL in ``reports.queries`` mirrors it).

    ``open_repair``: an open repair ticket stops its work; ``down``: it is polled and
    monitoring says it is down.
    """
    if status == AssetStatus.LOST:
        return LOST
    if status == AssetStatus.RETIRED:
        return RETIRED
    if status == AssetStatus.IN_REPAIR or open_repair:
        return IN_REPAIR
    if status == AssetStatus.IN_STOCK:
        return IN_STOCK
    if status == AssetStatus.IN_TRANSIT:
        return IN_TRANSIT
    if down:
        return UNREACHABLE
    return WORKING


@dataclass
class FleetCounts:
    """How many assets are in each state, and their total."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLEET_STATES, 0))

    def __getitem__(self, state: str) -> int:
        return self.counts[state]

    def add(self, state: str, number: int) -> None:
        self.counts[state] += number

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def in_service(self) -> int:
        """Return the assets deployed or being repaired: working, in repair or unreachable."""
        return self[WORKING] + self[IN_REPAIR] + self[UNREACHABLE]


@dataclass(frozen=True)
class FleetGroup:
    """A number of assets of one category at one office in one state (a grouped row)."""

    category_id: int | None
    region_id: int | None
    office_id: int | None
    state: str
    count: int


def fleet_rollup(
    groups: Iterable[FleetGroup], key: Callable[[FleetGroup], Hashable]
) -> dict[Hashable, FleetCounts]:
    """Return the groups' counts added up per ``key`` (e.g. per category), in first-seen order."""
    result: dict[Hashable, FleetCounts] = {}
    for group in groups:
        counts = result.get(key(group))
        if counts is None:
            counts = result[key(group)] = FleetCounts()
        counts.add(group.state, group.count)
    return result


def fleet_total(groups: Iterable[FleetGroup]) -> FleetCounts:
    """Return the groups' counts added up."""
    total = FleetCounts()
    for group in groups:
        total.add(group.state, group.count)
    return total


def days_since(moment: dt.datetime | None, *, now: dt.datetime) -> int | None:
    """Return the whole days from ``moment`` to ``now`` (None: never)."""
    if moment is None:
        return None
    return max((now - moment).days, 0)


# --- repairs --------------------------------------------------------------------------------

# Two tickets of one asset reported this many days apart or less make a repeat failure.
REPEAT_WINDOW_DAYS = 90
# Offices the downtime chart shows: the most down first.
DOWNTIME_CHART_OFFICES = 15
# The period a repairs report covers when none is chosen: the last 12 months.
PERIOD_MONTHS_DEFAULT = 12


def period_default(today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the last 12 months up to ``today``: (first day, last day), both included."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + dt.timedelta(days=1), today


@dataclass(frozen=True)
class FaultGroup:
    """A number of tickets alike: one model (and its category), fault, status and claim."""

    model_id: int | None
    category_id: int | None
    fault: str
    status: str
    warranty_claim: bool
    count: int


@dataclass
class FaultCounts:
    """Tickets counted per fault, and how many are open, resolved, beyond repair, claimed."""

    faults: dict[str, int] = field(default_factory=dict)
    open: int = 0
    resolved: int = 0
    beyond_repair: int = 0
    warranty_claims: int = 0

    def of(self, fault: str) -> int:
        """Return the tickets of one fault (a method, not ``[]``: templates read ``.total``)."""
        return self.faults.get(fault, 0)

    @property
    def total(self) -> int:
        return sum(self.faults.values())

    def add(self, group: FaultGroup) -> None:
        self.faults[group.fault] = self.faults.get(group.fault, 0) + group.count
        if group.status == RepairStatus.RESOLVED:
            self.resolved += group.count
        elif group.status == RepairStatus.BEYOND_REPAIR:
            self.beyond_repair += group.count
        else:
            self.open += group.count
        if group.warranty_claim:
            self.warranty_claims += group.count


def fault_rollup(
    groups: Iterable[FaultGroup], key: Callable[[FaultGroup], Hashable]
) -> dict[Hashable, FaultCounts]:
    """Return the tickets counted per ``key`` (a model, a category, a fault), first seen first."""
    result: dict[Hashable, FaultCounts] = {}
    for group in groups:
        counts = result.get(key(group))
        if counts is None:
            counts = result[key(group)] = FaultCounts()
        counts.add(group)
    return result


def faults_seen(groups: Iterable[FaultGroup], order: Sequence[str]) -> list[str]:
    """Return the faults that occur in the groups, in the order given (the choices' order)."""
    seen = {group.fault for group in groups if group.count}
    return [fault for fault in order if fault in seen] + sorted(seen - set(order))


@dataclass(frozen=True)
class RepairTime:
    """How long repairs took: number of repairs, mean and median (None when there are none)."""

    count: int
    mean: dt.timedelta | None
    median: dt.timedelta | None


def repair_time(durations: Sequence[dt.timedelta]) -> RepairTime:
    """Return the number, mean and median of the durations (even count: mean of the middle two)."""
    if not durations:
        return RepairTime(count=0, mean=None, median=None)
    ordered = sorted(durations)
    count = len(ordered)
    mean = sum(ordered, dt.timedelta(0)) / count
    middle = count // 2
    median = ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return RepairTime(count=count, mean=mean, median=median)


def time_to_repair(reported_at: dt.datetime, resolved_at: dt.datetime) -> dt.timedelta:
    """Return the time from report to resolution (never negative)."""
    return max(resolved_at - reported_at, dt.timedelta(0))


def downtime_clipped(
    *,
    reported_at: dt.datetime,
    resolved_at: dt.datetime | None,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> dt.timedelta:
    """Return the part of a ticket's downtime inside the period [start, end).

    An open ticket (no ``resolved_at``) is down up to ``now``; nothing counts after ``now``.
    """
    down_until = resolved_at or now
    later_start = max(reported_at, start)
    earlier_end = min(down_until, end, now)
    return max(earlier_end - later_start, dt.timedelta(0))


@dataclass(frozen=True)
class TicketPoint:
    """One ticket, as the repeat-failure rule reads it."""

    asset_id: int
    ticket_id: int
    reported_at: dt.datetime


def repeat_failures(
    tickets: Iterable[TicketPoint], *, window_days: int = REPEAT_WINDOW_DAYS
) -> dict[int, list[TicketPoint]]:
    """Return, per asset with a repeat failure, its tickets within the window of another.

    Two tickets of one asset reported ``window_days`` days apart or less are a repeat
    failure; an asset's tickets that are further than that from both neighbours are left out.
    Assets in the order of their first such ticket; tickets oldest first.
    """
    window = dt.timedelta(days=window_days)
    by_asset: dict[int, list[TicketPoint]] = {}
    for ticket in tickets:
        by_asset.setdefault(ticket.asset_id, []).append(ticket)
    result: dict[int, list[TicketPoint]] = {}
    for asset_id, points in by_asset.items():
        points.sort(key=lambda point: (point.reported_at, point.ticket_id))
        close: list[TicketPoint] = []
        for index, point in enumerate(points):
            before = index > 0 and point.reported_at - points[index - 1].reported_at <= window
            after = (
                index + 1 < len(points)
                and points[index + 1].reported_at - point.reported_at <= window
            )
            if before or after:
                close.append(point)
        if close:
            result[asset_id] = close
    return dict(sorted(result.items(), key=lambda item: (item[1][0].reported_at, item[0])))


def top_rows(rows: Sequence, *, value: Callable, limit: int) -> list:
    """Return the ``limit`` rows with the largest ``value``, largest first (ties: in order)."""
    return sorted(rows, key=lambda row: value(row), reverse=True)[:limit]


def hours(duration: dt.timedelta | None) -> float | None:
    """Return a duration in hours, to one decimal (None stays None)."""
    if duration is None:
        return None
    return round(duration.total_seconds() / 3600, 1)


def duration_text(duration: dt.timedelta | None) -> str:
    """Return a duration in words a manager reads: "45 min", "5.5 h", "3.2 days"; "—": none."""
    if duration is None:
        return "—"
    seconds = duration.total_seconds()
    if seconds < 3600:
        return _("%(minutes)s min") % {"minutes": round(seconds / 60)}
    if seconds < 48 * 3600:
        return _("%(hours)s h") % {"hours": f"{seconds / 3600:.1f}"}
    return _("%(days)s days") % {"days": f"{seconds / 86400:.1f}"}
