"""Rules of the consumables forecast and usage reports: pure functions, no database.

How figures are counted (the pages say the same in their "How figures are counted" box):

- Forecasts are stored per printer and supply by ``monitoring.services.supply_forecasts_refresh``
  (``monitoring.forecast.supply_forecast``); the reports read them, they do not recompute them.
  A forecast whose latest level reading is older than ``STALE_DAYS`` counts as "no recent
  level reading", whatever date it gave when it was computed.
- What to order: per cartridge, that is the supply's description and the printer's model
  (the cartridge fits that model), the cartridges needed within 30, 60 and 90 days
  (``monitoring.forecast.order_quantities``): one on the run-out date (now, if that is past),
  then one more each time a new cartridge would run out within the horizon at the observed
  rate. Supplies without a date (other than "more than two years away") are counted as
  unknown: they may need a cartridge that the figures do not include.
- Usage: pages per device and month from the page counters (``page_counter_usage``: a
  counter that drops restarted at 0; a reading gap that spans months is shared between them
  in proportion to the time), summed per office. The readings read are those of the period
  plus each device's last reading before it and first reading after it, so that the pages
  of an interval crossing the period's edges are shared out and not lost.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from monitoring import forecast
from monitoring.forecast import (
    CONFIDENCE_LABELS,
    FORECAST_REASONS,
    METHOD_LABELS,
    Forecast,
    OrderLine,
)

# A forecast whose latest level reading is older than this is "no recent level reading".
STALE_DAYS = 60
NO_RECENT = "no_recent"
# The horizons of the order tables, in days.
HORIZONS = (30, 60, 90)
# The horizon the order chart shows.
CHART_HORIZON = 90
# Cartridges the order chart shows at most (the most needed first).
CHART_CARTRIDGES = 20
# The usage period when none is chosen: the last 12 full months and the current one.
USAGE_MONTHS_DEFAULT = 12
# The longest usage period one can ask for, in months.
USAGE_MONTHS_MAX = 60


# --- consumables ----------------------------------------------------------------------------


class Cartridge(NamedTuple):
    """What is ordered: the supply's description and the model of printer it fits."""

    description: str
    model: str

    def __str__(self) -> str:
        return f"{self.description} · {self.model}" if self.model else self.description


class SupplyRow(NamedTuple):
    """One stored forecast, as the order rule reads it (a tuple: there is one per supply)."""

    office_id: int | None
    region_id: int | None
    description: str
    model: str
    runs_out: dt.datetime | None
    percent_per_day: float | None
    reason: str
    stale: bool  # the latest level reading is older than STALE_DAYS (``is_stale``)

    @property
    def cartridge(self) -> Cartridge:
        return Cartridge(self.description, self.model)


def is_stale(level_at: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Return whether a level read at ``level_at`` is too old for a forecast (STALE_DAYS)."""
    return level_at is not None and now - level_at > dt.timedelta(days=STALE_DAYS)


def stale_cutoff(now: dt.datetime) -> dt.datetime:
    """Return the time before which a level reading is too old (the SQL twin of is_stale)."""
    return now - dt.timedelta(days=STALE_DAYS)


def forecast_rebuild(
    *, runs_out: dt.datetime | None, percent_per_day: float | None, reason: str, stale: bool
) -> Forecast:
    """Return the stored forecast as a ``Forecast`` for ordering; a stale one has no date."""
    if stale:
        return Forecast(runs_out=None, reason=NO_RECENT, percent_per_day=percent_per_day)
    return Forecast(runs_out=runs_out, percent_per_day=percent_per_day, reason=reason or None)


def row_forecast(row: SupplyRow) -> Forecast:
    """Return the forecast of one stored row, for ordering."""
    return forecast_rebuild(
        runs_out=row.runs_out,
        percent_per_day=row.percent_per_day,
        reason=row.reason,
        stale=row.stale,
    )


@dataclass(frozen=True)
class OrderTable:
    """What to order for one place (the country, a region or an office), per cartridge."""

    key: Hashable
    lines: list[OrderLine[Cartridge]]
    horizons: tuple[int, ...] = HORIZONS

    @property
    def totals(self) -> dict[int, int]:
        return {days: sum(line.quantities[days] for line in self.lines) for days in self.horizons}

    @property
    def total_cells(self) -> list[int]:
        """Return the totals in the order of ``horizons`` (for templates)."""
        totals = self.totals
        return [totals[days] for days in self.horizons]

    @property
    def supplies(self) -> int:
        return sum(line.supplies for line in self.lines)

    @property
    def unknown(self) -> int:
        return sum(line.unknown for line in self.lines)


def _table(key: Hashable, lines: Iterable[OrderLine], horizons: tuple[int, ...]) -> OrderTable:
    """Return the lines added up per cartridge (the last part of their keys), sorted by it."""
    added: dict[Cartridge, list] = {}
    for line in lines:
        cartridge = line.key[-1]
        total = added.get(cartridge)
        if total is None:
            added[cartridge] = [dict(line.quantities), line.supplies, line.unknown]
        else:
            for days, quantity in line.quantities.items():
                total[0][days] += quantity
            total[1] += line.supplies
            total[2] += line.unknown
    return OrderTable(
        key=key,
        lines=[
            OrderLine(key=cartridge, quantities=quantities, supplies=supplies, unknown=unknown)
            for cartridge, (quantities, supplies, unknown) in sorted(added.items())
        ],
        horizons=horizons,
    )


@dataclass(frozen=True)
class Orders:
    """What to order for the whole of the rows, per region and per office."""

    national: OrderTable
    regions: dict[int | None, OrderTable]  # region id → table, in the order first seen
    offices: dict[int | None, OrderTable]  # office id → table, in the order first seen


def orders(
    rows: Iterable[SupplyRow], *, now: dt.datetime, horizons: Sequence[int] = HORIZONS
) -> Orders:
    """Return what to order in all, per region and per office, per cartridge.

    Each supply's need is worked out once (``order_quantities`` per region, office and
    cartridge), then added up per region and for all.
    """
    horizons = tuple(horizons)
    lines = forecast.order_quantities(
        (((row.region_id, row.office_id, row.cartridge), row_forecast(row)) for row in rows),
        now=now,
        horizon_days=horizons,
    )
    by_region: dict[int | None, list[OrderLine]] = {}
    by_office: dict[int | None, list[OrderLine]] = {}
    for line in lines:
        region_id, office_id, _cartridge = line.key
        by_region.setdefault(region_id, []).append(line)
        by_office.setdefault(office_id, []).append(line)
    return Orders(
        national=_table(None, lines, horizons),
        regions={key: _table(key, group, horizons) for key, group in by_region.items()},
        offices={key: _table(key, group, horizons) for key, group in by_office.items()},
    )


def chart_lines(
    lines: Iterable[OrderLine[Cartridge]],
    *,
    horizon: int = CHART_HORIZON,
    limit: int = CHART_CARTRIDGES,
) -> list[OrderLine[Cartridge]]:
    """Return the lines the order chart shows: needed within ``horizon``, most first."""
    needed = [line for line in lines if line.quantities.get(horizon, 0) > 0]
    needed.sort(key=lambda line: (-line.quantities[horizon], line.key))
    return needed[:limit]


@dataclass(frozen=True)
class ForecastWords:
    """How one forecast reads on the page: confidence, method, or why there is no date."""

    runs_out: dt.datetime | None
    confidence: str
    method: str
    reason: str


def forecast_words(
    *,
    runs_out: dt.datetime | None,
    confidence: str,
    method: str,
    reason: str,
    level_at: dt.datetime | None,
    now: dt.datetime,
) -> ForecastWords:
    """Return a stored forecast in words; a stale one reads "no recent level reading"."""
    if is_stale(level_at, now=now):
        return ForecastWords(None, "", "", str(FORECAST_REASONS[NO_RECENT]))
    if runs_out is None:
        words = FORECAST_REASONS.get(reason)
        return ForecastWords(None, "", "", str(words) if words else "")
    return ForecastWords(
        runs_out,
        str(CONFIDENCE_LABELS.get(confidence, confidence)),
        str(METHOD_LABELS.get(method, method)),
        "",
    )


# --- usage ----------------------------------------------------------------------------------


def month_first(day: dt.date) -> dt.date:
    """Return the first day of ``day``'s month."""
    return day.replace(day=1)


def month_add(month: dt.date, months: int) -> dt.date:
    """Return the first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Return the first days of every month from ``first``'s to ``last``'s, both included."""
    months = []
    month = month_first(first)
    end = month_first(last)
    while month <= end:
        months.append(month)
        month = month_add(month, 1)
    return months


def usage_period_default(today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the default usage period: the last 12 full months and the current one."""
    current = month_first(today)
    return month_add(current, -USAGE_MONTHS_DEFAULT), current


def period_bounds(
    first: dt.date, last: dt.date, *, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """Return the period's start (first month's first midnight) and end (exclusive), in ``tz``."""
    start = dt.datetime.combine(month_first(first), dt.time(), tzinfo=tz)
    end = dt.datetime.combine(month_add(month_first(last), 1), dt.time(), tzinfo=tz)
    return start, end


def device_month_pages(
    readings: Iterable[tuple[int, dt.datetime, int | None]],
    *,
    months: Sequence[dt.date],
    tz: dt.tzinfo | None,
) -> dict[int, list[int]]:
    """Return each device's pages per month of ``months`` from its counter readings.

    ``readings``: ``(device id, time, counter)`` ordered by device (then time): each device's
    readings are counted with ``monitoring.forecast.page_counter_usage`` (resets handled, gaps
    shared between months), and only the months asked for are kept. Every device with a
    reading gets a row: 0 for a month its readings cover and it printed nothing in, None for a
    month before its first reading or after its last (not read: nothing is known).
    """
    index = {month: i for i, month in enumerate(months)}
    result: dict[int, list[int | None]] = {}
    for device_id, group in itertools.groupby(readings, key=operator.itemgetter(0)):
        pages = result.setdefault(device_id, [None] * len(months))
        counter = [(at, count) for _device, at, count in group]
        for month, count in forecast.page_counter_usage(counter, tz=tz):
            position = index.get(month)
            if position is not None:
                pages[position] = (pages[position] or 0) + count
    return result


def _add(total: int | None, pages: int | None) -> int | None:
    """Return two months' pages added up, None (not read) only when both are."""
    return total if pages is None else (total or 0) + pages


@dataclass
class UsageLine:
    """Pages per month of one office or device, with how many devices were counted."""

    key: Hashable
    pages: list[int | None]  # None: no device of the line was read that month
    devices: int = 0
    label: object = ""  # set by the caller: the office or the device, for display

    @property
    def total(self) -> int:
        return sum(pages for pages in self.pages if pages is not None)


@dataclass
class UsageTable:
    """Pages per month of each office (or device), and their totals."""

    months: list[dt.date]
    lines: list[UsageLine] = field(default_factory=list)

    @property
    def month_totals(self) -> list[int | None]:
        totals: list[int | None] = [None] * len(self.months)
        for line in self.lines:
            for i, pages in enumerate(line.pages):
                totals[i] = _add(totals[i], pages)
        return totals

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def devices(self) -> int:
        return sum(line.devices for line in self.lines)


def usage_by(
    device_pages: dict[int, list[int | None]],
    *,
    months: Sequence[dt.date],
    key: Callable[[int], Hashable],
) -> UsageTable:
    """Return the devices' pages added up per ``key(device id)`` (e.g. its office), in the
    order the keys first appear."""
    lines: dict[Hashable, UsageLine] = {}
    for device_id, pages in device_pages.items():
        group = key(device_id)
        line = lines.get(group)
        if line is None:
            line = lines[group] = UsageLine(key=group, pages=[None] * len(months))
        line.devices += 1
        for i, count in enumerate(pages):
            line.pages[i] = _add(line.pages[i], count)
    return UsageTable(months=list(months), lines=list(lines.values()))
