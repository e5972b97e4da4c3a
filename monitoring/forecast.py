"""Consumables forecast and page usage: level history → run-out date; counters → pages. Pure.

No database, no I/O: the caller loads readings (e.g. from ``PollOutcome.supplies`` and
``page_count``) and passes plain ``(datetime, value)`` pairs. Durations are taken from
``datetime.timestamp()``, so aware datetimes in any zone (or naive ones, consistently) work.

How a supply's run-out date is found (``supply_forecast``), in order:

1. Readings: ``(time, percent)`` of one supply of one printer, in any order. ``None``, negative
   or non-finite percents are unknown levels (RFC 3805 -1/-2/-3 "some remaining" decode to
   ``percent=None``) and are skipped. Only unknown levels → no date, reason ``unknown_level``.
   A receptacle's percent is the space left (``decode``): it "runs out" when it is full.
2. Refills and replacements: a reading more than ``REFILL_RISE_PERCENT`` above the highest of
   the ``REFILL_LOOKBACK`` readings before it, and not followed by a fall back (the next
   reading, if any, is also that far above), starts a new cartridge. Only readings since the
   last one count. A single glitch (one low or one high reading) is not a refill.
3. Already empty (the latest known level is 0 %): runs out now (``method="empty"``); the
   consumption rate is still estimated where the history allows, for ordering.
4. No known reading within ``window_days`` before ``now`` → no date, reason ``no_recent``.
5. The fit uses the readings of the last ``window_days`` before the latest reading (reaching
   further back within the cartridge when that gives fewer than ``min_points``). Fewer than
   ``min_points`` readings or a span under ``min_span_days`` → reason ``not_enough_data``.
6. Coarse levels (the distinct values are ``COARSE_STEP_PERCENT`` or more apart, e.g. steps of
   10 % or 25 %): a device shows a step down to *v* when the level reaches *v* (the shown value
   is the level rounded up, so 0 % means empty). Each first step to a new lower value is a
   transition, dated at the midpoint between the reading before and the first reading at the
   new value. With a page counter: percent per page = the percent between the first and last
   transition of the cartridge ÷ the pages printed between them (``method="page_rate"``),
   times pages per day over the last ``page_window_days`` (whole weeks, so weekends count
   alike; shorter than the level window, as usage changes faster than a cartridge); pages
   are counted as in ``page_counter_intervals`` (resets handled). Without a usable counter:
   percent per day between the first and last transition (``method="steps"``). Fewer than
   two transitions → ``not_enough_data`` (one shown value only → ``not_falling``); a counter
   that stood still over the recent weeks → ``no_pages``. The range comes from the
   transitions' uncertain times (each lies between two readings).
7. Otherwise a least-squares line over the window, refitted once without outliers (readings
   further from the line than ``OUTLIER_MADS`` robust standard deviations, and more than
   ``OUTLIER_MIN_PERCENT``): the date the line reaches 0 (``method="trend"``). The range uses
   the slope ± 2 standard errors and the level at the mean ± 2 standard errors. A slope that is
   not negative, not significantly negative, or a fitted fall under ``MIN_FALL_PERCENT`` over
   the span → reason ``not_falling``.
8. A date more than ``MAX_FORECAST_DAYS`` after ``now`` → no date, reason ``too_far`` (the rate
   is kept). A device that still shows toner has not run out before its latest reading: dates
   are never earlier than that reading.

Confidence (``_confidence``): "high" when the range's half-width is at most 3 days or 15 % of
the days ahead, with at least 8 readings over 14 days or more; "medium" within 7 days or 35 %;
"low" otherwise or when the range is open-ended. Page-rate forecasts are at most "medium",
step forecasts at most "low" (coarse levels say little).

Page counters (``page_counter_intervals``, ``page_counter_usage``): a counter that drops was
restarted at 0 (service reset, new formatter board), so the pages of that interval are the new
value. A change larger than ``max_pages_per_day`` × the interval's days (at least one day) is
not printing (another device's counter after a replacement, a garbage reading): it counts 0 and
counting resumes from the new value. Pages of an interval that spans months (a gap in the
readings) are split across those months in proportion to the time spent in each; monthly
totals are rounded so that they add up to the exact total.

Ordering (``cartridges_needed``, ``order_quantities``): a cartridge is needed on its run-out
date (now, if that is past); a new one lasts 100 % ÷ the observed percent per day (at least
``MIN_CARTRIDGE_DAYS``), and every further run-out within the horizon needs one more.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import math
import operator
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DAY_S = 86400.0

# A rise of more than this many percentage points over the recent readings is a refill.
REFILL_RISE_PERCENT = 10.0
# How many readings before a rise it is compared with (so one low glitch is not a refill).
REFILL_LOOKBACK = 3
# Distinct levels this far apart (or more) are coarse steps: the page rate is used instead.
COARSE_STEP_PERCENT = 9.5
# The trend fit drops readings further from the line than this many robust SDs …
OUTLIER_MADS = 4.0
# … and further than this many percentage points (so integer rounding is never an outlier).
OUTLIER_MIN_PERCENT = 3.0
# A fitted fall smaller than this over the fitted span is "not falling".
MIN_FALL_PERCENT = 1.0
# Dates further away than this are not given.
MAX_FORECAST_DAYS = 730
# A new cartridge is assumed to last at least this long when ordering (noisy rates aside).
MIN_CARTRIDGE_DAYS = 7.0
# A counter change faster than this is not printing (see the module docstring).
MAX_PAGES_PER_DAY = 10_000

HIGH, MEDIUM, LOW = "high", "medium", "low"
_CONFIDENCE_ORDER = {LOW: 0, MEDIUM: 1, HIGH: 2}

# With a context: "low" alone is already the UPS battery's "low charge" in the catalogues.
CONFIDENCE_LABELS: dict[str, object] = {
    HIGH: pgettext_lazy("forecast confidence", "high"),
    MEDIUM: pgettext_lazy("forecast confidence", "medium"),
    LOW: pgettext_lazy("forecast confidence", "low"),
}
METHOD_LABELS: dict[str, object] = {
    "trend": pgettext_lazy("forecast method", "level trend"),
    "page_rate": pgettext_lazy("forecast method", "page rate"),
    "steps": pgettext_lazy("forecast method", "level steps"),
    "empty": pgettext_lazy("forecast method", "already empty"),
}
# Why a forecast has no date: code → words (the code is what is stored or tested).
FORECAST_REASONS: dict[str, object] = {
    "not_enough_data": _("not enough data"),
    "unknown_level": _("level unknown: the device gives no measurable level"),
    "not_falling": _("level not falling"),
    "no_recent": _("no recent level reading"),
    "no_pages": _("no pages printed recently"),
    "too_far": _("runs out more than two years from now"),
}


@dataclass(frozen=True)
class Forecast:
    """When one supply runs out, how sure that is, or why there is no date."""

    runs_out: dt.datetime | None
    earliest: dt.datetime | None = None
    latest: dt.datetime | None = None  # None with a date: the range is open-ended
    confidence: str | None = None  # "high", "medium", "low"; None without a date
    method: str | None = None  # "trend", "page_rate", "steps", "empty"
    reason: str | None = None  # a key of FORECAST_REASONS when runs_out is None
    level: float | None = None  # the latest known percent
    level_at: dt.datetime | None = None
    percent_per_day: float | None = None  # consumption rate, when it could be estimated
    points: int = 0  # readings the estimate used
    cartridge_since: dt.datetime | None = None  # first reading after the last refill found

    @property
    def reason_text(self) -> object:
        """Return why there is no date, in words (lazy), or "" when there is one."""
        return FORECAST_REASONS.get(self.reason or "", "")

    @property
    def cartridge_days(self) -> float | None:
        """Return how many days a full cartridge lasts at the observed rate, if known."""
        if not self.percent_per_day or self.percent_per_day <= 0:
            return None
        return max(100.0 / self.percent_per_day, MIN_CARTRIDGE_DAYS)


class MonthPages(NamedTuple):
    """Pages printed in one calendar month (``month`` is its first day)."""

    month: dt.date
    pages: int


@dataclass(frozen=True)
class PageInterval:
    """Pages counted between two consecutive counter readings."""

    start: dt.datetime
    end: dt.datetime
    pages: int
    reset: bool = False  # the counter dropped: restarted at 0
    discarded: bool = False  # a change no device prints: counted as 0


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class OrderLine(Generic[K]):
    """Cartridges of one kind (e.g. supply description and printer model) needed per horizon."""

    key: K
    quantities: dict[int, int]  # horizon in days → cartridges needed within it
    supplies: int = 0  # supplies of this kind counted
    unknown: int = 0  # of which the need is unknown: no date, and not for being years away


# --- Small helpers ---------------------------------------------------------------------------
#
# Inside, times are floats: days since the epoch (``timestamp() / DAY_S``), so durations are
# plain differences whatever the zone; datetimes again on the way out (``_Clock``).


def _day(t: dt.datetime) -> float:
    return t.timestamp() / DAY_S


def _days(a: dt.datetime, b: dt.datetime) -> float:
    """Return b − a in days."""
    return (b.timestamp() - a.timestamp()) / DAY_S


@dataclass(frozen=True)
class _Clock:
    """Turns float days back into datetimes in the readings' zone."""

    tz: dt.tzinfo | None

    def time(self, day: float | None) -> dt.datetime | None:
        return None if day is None else dt.datetime.fromtimestamp(day * DAY_S, tz=self.tz)


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# A known level is an int or float (not a bool), finite and not negative: 0 <= NaN is False.
_NUMBERS = (int, float)


def _cap(level: str, best: str) -> str:
    return level if _CONFIDENCE_ORDER[level] <= _CONFIDENCE_ORDER[best] else best


def _confidence(
    *,
    runs_out: float,
    earliest: float | None,
    latest: float | None,
    now: float,
    points: int,
    span_days: float,
    best: str = HIGH,
) -> str:
    """Return "high", "medium" or "low" from the range's width against the days ahead."""
    if earliest is None or latest is None:
        return LOW
    ahead = max(runs_out - now, 1.0)
    half_width = (latest - earliest) / 2
    if points >= 8 and span_days >= 14 and half_width <= max(3.0, 0.15 * ahead):
        level = HIGH
    elif half_width <= max(7.0, 0.35 * ahead):
        level = MEDIUM
    else:
        level = LOW
    return _cap(level, best)


# --- Refills ---------------------------------------------------------------------------------


def _cartridge_start(levels: Sequence[tuple[float, float]]) -> int:
    """Return the index of the first reading of the current cartridge (after the last refill)."""
    start = 0
    count = len(levels)
    for i in range(1, count):
        level = levels[i][1]
        if level - levels[i - 1][1] <= REFILL_RISE_PERCENT:
            continue  # the usual case; a refill rises above the previous reading too
        lookback = max(start, i - REFILL_LOOKBACK)
        threshold = max(v for _x, v in levels[lookback:i]) + REFILL_RISE_PERCENT
        if level <= threshold:
            continue
        if i + 1 < count and levels[i + 1][1] <= threshold:
            continue  # one high reading, then back down: a glitch
        start = i
    return start


# --- Trend fit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    slope: float  # percent per day
    x_mean: float  # day
    y_mean: float  # percent
    residual_sd: float
    slope_se: float
    n: int

    def crossing(self, *, slope: float, level: float) -> float | None:
        """Return the day the line through (x_mean, level) with ``slope`` reaches 0."""
        if slope >= 0:
            return None
        return self.x_mean - level / slope


def _least_squares(xs: Sequence[float], ys: Sequence[float]) -> _Line | None:
    """Return the least-squares line (x in a few dozen days, y in percent: sums are exact
    enough without centring first)."""
    n = len(xs)
    if n < 2:
        return None
    x_mean = sum(xs) / n
    y_mean = sum(ys) / n
    sxx = sum(map(operator.mul, xs, xs)) - n * x_mean * x_mean
    if sxx <= 1e-12 * max(x_mean * x_mean, 1.0):
        return None
    sxy = sum(map(operator.mul, xs, ys)) - n * x_mean * y_mean
    syy = sum(map(operator.mul, ys, ys)) - n * y_mean * y_mean
    slope = sxy / sxx
    ssr = max(syy - slope * sxy, 0.0)
    residual_sd = math.sqrt(ssr / (n - 2)) if n > 2 else 0.0
    return _Line(
        slope=slope,
        x_mean=x_mean,
        y_mean=y_mean,
        residual_sd=residual_sd,
        slope_se=residual_sd / math.sqrt(sxx),
        n=n,
    )


def _robust_line(xs: Sequence[float], ys: Sequence[float], *, min_points: int) -> _Line | None:
    """Return a least-squares line, refitted once without the outliers of the first fit."""
    line = _least_squares(xs, ys)
    if line is None or line.n < 4:
        return line
    residuals = [
        y - line.y_mean - line.slope * (x - line.x_mean) for x, y in zip(xs, ys, strict=True)
    ]
    centre = _median(residuals)
    deviations = [abs(r - centre) for r in residuals]
    if max(deviations) <= OUTLIER_MIN_PERCENT:
        return line  # nothing is far enough to be an outlier
    cutoff = max(OUTLIER_MADS * 1.4826 * _median(deviations), OUTLIER_MIN_PERCENT)
    kept = [i for i, deviation in enumerate(deviations) if deviation <= cutoff]
    if len(kept) == len(xs) or len(kept) < max(min_points, 3):
        return line
    return _least_squares([xs[i] for i in kept], [ys[i] for i in kept]) or line


def _trend(levels: Sequence[tuple[float, float]], *, min_points: int) -> _Line | None:
    """Return the robust line over ``levels`` (fitted in days from the first reading)."""
    xs, ys = zip(*levels, strict=True)
    origin = xs[0]
    line = _robust_line([x - origin for x in xs], ys, min_points=min_points)
    return None if line is None else dataclasses.replace(line, x_mean=line.x_mean + origin)


def _falling(line: _Line, span_days: float) -> bool:
    return (
        line.slope < 0
        and line.slope + 2 * line.slope_se < 0
        and -line.slope * span_days >= MIN_FALL_PERCENT
    )


# --- Page counters ---------------------------------------------------------------------------


def _clean_counter(
    readings: Iterable[tuple[dt.datetime, int | None]],
) -> list[tuple[dt.datetime, int]]:
    cleaned = []
    for t, value in readings:
        if value is None or isinstance(value, bool):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number >= 0:
            cleaned.append((t, number))
    cleaned.sort(key=lambda row: row[0].timestamp())
    return cleaned


def page_counter_intervals(
    readings: Iterable[tuple[dt.datetime, int | None]],
    *,
    max_pages_per_day: float = MAX_PAGES_PER_DAY,
) -> list[PageInterval]:
    """Return the pages printed between consecutive readings of a cumulative page counter.

    A drop means the counter restarted at 0: the interval's pages are the new value. A change
    above ``max_pages_per_day`` × the interval's days (at least one) counts 0 (``discarded``).
    Readings without a value are skipped; the readings may come in any order.
    """
    counter = _clean_counter(readings)
    intervals: list[PageInterval] = []
    for (t0, c0), (t1, c1) in itertools.pairwise(counter):
        reset = c1 < c0
        pages = c1 if reset else c1 - c0
        ceiling = max_pages_per_day * max(_days(t0, t1), 1.0)
        discarded = pages > ceiling
        intervals.append(
            PageInterval(
                start=t0, end=t1, pages=0 if discarded else pages, reset=reset, discarded=discarded
            )
        )
    return intervals


def _cumulative_pages(
    readings: Iterable[tuple[dt.datetime, int | None]],
) -> tuple[list[float], list[float]]:
    """Return reading times (days) and reset-free cumulative pages at those times."""
    intervals = page_counter_intervals(readings)
    if not intervals:
        return [], []
    times = [_day(intervals[0].start)]
    totals = [0.0]
    for interval in intervals:
        times.append(_day(interval.end))
        totals.append(totals[-1] + interval.pages)
    return times, totals


def _pages_at(times: Sequence[float], totals: Sequence[float], x: float) -> float | None:
    """Return the cumulative pages on day ``x``, interpolated; None outside the readings."""
    if not times or x < times[0] or x > times[-1]:
        return None
    i = bisect.bisect_left(times, x)
    if times[i] == x:
        return totals[i]
    x0, x1 = times[i - 1], times[i]
    return totals[i - 1] + (totals[i] - totals[i - 1]) * (x - x0) / (x1 - x0)


def _month_start(t: dt.datetime) -> dt.datetime:
    return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(t: dt.datetime) -> dt.datetime:
    return t.replace(year=t.year + 1, month=1) if t.month == 12 else t.replace(month=t.month + 1)


def _rounded_keeping_total(values: list[float], total: int) -> list[int]:
    """Return ``values`` as integers adding up to ``total`` (largest remainders get the rest)."""
    floors = [math.floor(v) for v in values]
    rest = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: max(rest, 0)]:
        floors[i] += 1
    return floors


def page_counter_usage(
    readings: Iterable[tuple[dt.datetime, int | None]],
    *,
    tz: dt.tzinfo | None = None,
    max_pages_per_day: float = MAX_PAGES_PER_DAY,
) -> list[MonthPages]:
    """Return the pages printed in each calendar month from a cumulative page counter.

    Every month from the first reading's to the last reading's is listed (0 when nothing was
    printed). Months are those of ``tz`` (the offices' zone) when given, else of the readings'
    own zone. An interval spanning months is split in proportion to the time in each.
    """
    intervals = page_counter_intervals(readings, max_pages_per_day=max_pages_per_day)
    if not intervals:
        return []

    def local(t: dt.datetime) -> dt.datetime:
        return t.astimezone(tz) if tz is not None else t

    first, last = _month_start(local(intervals[0].start)), _month_start(local(intervals[-1].end))
    months: list[dt.datetime] = [first]
    while months[-1] < last:
        months.append(_next_month(months[-1]))
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    shares = [0.0] * len(months)

    for interval in intervals:
        if not interval.pages:
            continue
        start, end = local(interval.start), local(interval.end)
        length = end.timestamp() - start.timestamp()
        if length <= 0:
            shares[index[(end.year, end.month)]] += interval.pages
            continue
        cursor = start
        while cursor < end:
            boundary = min(_next_month(_month_start(cursor)), end)
            part = (boundary.timestamp() - cursor.timestamp()) / length
            shares[index[(cursor.year, cursor.month)]] += interval.pages * part
            cursor = boundary
    total = sum(interval.pages for interval in intervals)
    pages = _rounded_keeping_total(shares, total)
    return [MonthPages(m.date(), p) for m, p in zip(months, pages, strict=True)]


# --- Coarse levels ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    level: float  # the new, lower value shown
    before: float  # day of the last reading at a higher value
    after: float  # day of the first reading at this value

    @property
    def mid(self) -> float:
        return (self.before + self.after) / 2


def _coarse_step(levels: Sequence[tuple[float, float]]) -> float | None:
    """Return the step between shown values when they are coarse, else None."""
    distinct = sorted({v for _x, v in levels})
    if len(distinct) < 2 or len(distinct) > distinct[-1] / COARSE_STEP_PERCENT + 1:
        return None  # one value, or too many values for steps that far apart
    step = min(b - a for a, b in itertools.pairwise(distinct))
    return step if step >= COARSE_STEP_PERCENT else None


def _steps_down(levels: Sequence[tuple[float, float]]) -> list[_Step]:
    """Return each first reading at a new lowest value, with the reading before it."""
    steps = []
    lowest = levels[0][1]
    for (x0, _v0), (x1, v1) in itertools.pairwise(levels):
        if v1 < lowest:
            steps.append(_Step(level=v1, before=x0, after=x1))
            lowest = v1
    return steps


def _remaining_after(*, anchor: _Step, used: float, last_level: float, step: float) -> float:
    """Return the percent left: the anchor step's level less what was used since, kept within
    what the latest shown value allows (the level is at most it and above one step under)."""
    return min(max(anchor.level - used, last_level - step, 0.0), last_level)


# --- The forecast ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every branch of one forecast shares."""

    clock: _Clock
    now: float  # day
    last_day: float  # day of the latest known reading: no date before it
    fields: dict  # Forecast fields known before any estimate (level, level_at, points…)

    def no_date(self, reason: str, **more) -> Forecast:
        return Forecast(runs_out=None, reason=reason, **{**self.fields, **more})

    def dated(
        self,
        *,
        runs_out: float,
        earliest: float | None,
        latest: float | None,
        best: str,
        span_days: float,
        method: str,
        percent_per_day: float,
        **more,
    ) -> Forecast:
        """Return a forecast with a date (never before the latest reading), or ``too_far``."""

        def bounded(day: float | None) -> float | None:
            return None if day is None else max(day, self.last_day)

        runs_out = max(runs_out, self.last_day)
        earliest, latest = bounded(earliest), bounded(latest)
        if latest is not None and latest - self.now > MAX_FORECAST_DAYS:
            latest = None  # a slope barely below zero: the range is open-ended
        if runs_out - self.now > MAX_FORECAST_DAYS:
            return self.no_date("too_far", percent_per_day=percent_per_day, **more)
        fields = {**self.fields, **more}
        confidence = _confidence(
            runs_out=runs_out,
            earliest=earliest,
            latest=latest,
            now=self.now,
            points=fields.get("points", 0),
            span_days=span_days,
            best=best,
        )
        return Forecast(
            runs_out=self.clock.time(runs_out),
            earliest=self.clock.time(earliest),
            latest=self.clock.time(latest),
            confidence=confidence,
            method=method,
            percent_per_day=percent_per_day,
            **fields,
        )


def _trend_forecast(
    window: Sequence[tuple[float, float]], *, context: _Context, min_points: int, span_days: float
) -> Forecast:
    line = _trend(window, min_points=min_points)
    if line is None or not _falling(line, span_days):
        return context.no_date("not_falling")
    spread = 2 * line.residual_sd / math.sqrt(line.n)
    runs_out = line.crossing(slope=line.slope, level=line.y_mean)
    assert runs_out is not None  # the slope is negative
    return context.dated(
        runs_out=runs_out,
        earliest=line.crossing(
            slope=line.slope - 2 * line.slope_se, level=max(line.y_mean - spread, 0.0)
        ),
        latest=line.crossing(slope=line.slope + 2 * line.slope_se, level=line.y_mean + spread),
        best=HIGH,
        span_days=span_days,
        method="trend",
        percent_per_day=-line.slope,
    )


def _coarse_forecast(
    levels: Sequence[tuple[float, float]],
    *,
    step: float,
    pages: Sequence[tuple[dt.datetime, int | None]],
    context: _Context,
    page_window_days: float,
    min_span_days: float,
) -> Forecast:
    steps = _steps_down(levels)
    if len(steps) < 2:
        return context.no_date("not_falling" if not steps else "not_enough_data")
    first, last = steps[0], steps[-1]
    fall = first.level - last.level
    last_day, last_level = levels[-1]

    times, totals = _cumulative_pages(pages)
    by_pages = _page_rate_forecast(
        first=first,
        last=last,
        fall=fall,
        step=step,
        last_level=last_level,
        times=times,
        totals=totals,
        context=context,
        page_window_days=page_window_days,
        min_span_days=min_span_days,
    )
    if by_pages is not None:
        return by_pages

    # Without usable page counts: percent per day between the first and last step.
    def runs_out_at(per_day: float) -> float:
        used = per_day * max(last_day - last.mid, 0.0)
        left = _remaining_after(anchor=last, used=used, last_level=last_level, step=step)
        return last_day + left / per_day

    days_mid = last.mid - first.mid
    days_long = last.after - first.before
    days_short = last.before - first.after
    if days_mid <= 0:
        return context.no_date("not_enough_data")
    return context.dated(
        runs_out=runs_out_at(fall / days_mid),
        earliest=runs_out_at(fall / days_short) if days_short > 0 else last_day,
        latest=runs_out_at(fall / days_long),
        best=LOW,
        span_days=last_day - first.mid,
        method="steps",
        percent_per_day=fall / days_mid,
    )


def _page_rate_forecast(
    *,
    first: _Step,
    last: _Step,
    fall: float,
    step: float,
    last_level: float,
    times: list[float],
    totals: list[float],
    context: _Context,
    page_window_days: float,
    min_span_days: float,
) -> Forecast | None:
    """Return the page-rate forecast, or None when the page counter cannot give one."""
    if len(times) < 2:
        return None
    first_mid, last_mid = _pages_at(times, totals, first.mid), _pages_at(times, totals, last.mid)
    first_before = _pages_at(times, totals, first.before)
    last_after = _pages_at(times, totals, last.after)
    if first_mid is None or last_mid is None or first_before is None or last_after is None:
        return None
    if last_mid - first_mid <= 0:
        return None
    per_page = fall / (last_mid - first_mid)
    first_after = _pages_at(times, totals, first.after)
    last_before = _pages_at(times, totals, last.before)

    # Pages per day over the last weeks before the last counter reading.
    end = times[-1]
    start = bisect.bisect_left(times, end - page_window_days)
    span_days = end - times[start]
    if span_days < min_span_days:
        return None
    pages_per_day = (totals[-1] - totals[start]) / span_days
    if pages_per_day <= 0:
        return context.no_date("no_pages")

    def runs_out_at(pp: float) -> float:
        used = pp * max(totals[-1] - last_mid, 0.0)
        left = _remaining_after(anchor=last, used=used, last_level=last_level, step=step)
        return end + left / (pp * pages_per_day)

    pages_long = last_after - first_before
    pages_short = (
        last_before - first_after if last_before is not None and first_after is not None else 0.0
    )
    return context.dated(
        runs_out=runs_out_at(per_page),
        earliest=runs_out_at(fall / pages_short) if pages_short > 0 else context.last_day,
        latest=runs_out_at(fall / pages_long),
        best=MEDIUM,
        span_days=span_days,
        method="page_rate",
        percent_per_day=per_page * pages_per_day,
    )


def supply_forecast(
    readings: Sequence[tuple[dt.datetime, float | None]],
    *,
    now: dt.datetime,
    pages: Sequence[tuple[dt.datetime, int | None]] = (),
    min_points: int = 5,
    min_span_days: float = 3.0,
    window_days: float = 60.0,
    page_window_days: float = 28.0,
) -> Forecast:
    """Return when one supply of one printer runs out, from its level history.

    ``readings``: ``(time, percent)``, ``None`` for an unknown level; ``pages``: the printer's
    cumulative page counter, used where levels are coarse. See the module docstring.
    """
    if not readings:
        return Forecast(runs_out=None, reason="not_enough_data")
    known = [
        (t.timestamp() / DAY_S, float(v))
        for t, v in readings
        if isinstance(v, _NUMBERS) and v.__class__ is not bool and 0 <= v < math.inf
    ]
    if not known:
        return Forecast(runs_out=None, reason="unknown_level")
    known.sort(key=operator.itemgetter(0))

    start = _cartridge_start(known)
    cartridge = known[start:]
    last_day, last_level = cartridge[-1]
    clock = _Clock(readings[0][0].tzinfo)
    context = _Context(
        clock=clock,
        now=_day(now),
        last_day=last_day,
        fields={
            "level": last_level,
            "level_at": clock.time(last_day),
            "cartridge_since": clock.time(cartridge[0][0]) if start else None,
        },
    )

    if last_level <= 0:
        return _empty_forecast(cartridge, now=now, min_points=min_points, fields=context.fields)
    if context.now - last_day > window_days:
        return context.no_date("no_recent")

    window_start = last_day - window_days
    first = bisect.bisect_left(cartridge, window_start, key=operator.itemgetter(0))
    window = cartridge[min(first, max(len(cartridge) - min_points, 0)) :]
    span_days = last_day - window[0][0]
    context.fields["points"] = len(window)
    if len(window) < min_points or span_days < min_span_days:
        return context.no_date("not_enough_data")

    step = _coarse_step(cartridge)
    if step is not None:
        context.fields["points"] = len(cartridge)
        return _coarse_forecast(
            cartridge,
            step=step,
            pages=pages,
            context=context,
            page_window_days=page_window_days,
            min_span_days=min_span_days,
        )
    return _trend_forecast(window, context=context, min_points=min_points, span_days=span_days)


def _empty_forecast(
    cartridge: Sequence[tuple[float, float]],
    *,
    now: dt.datetime,
    min_points: int,
    fields: dict,
) -> Forecast:
    """Return "runs out now", with the rate seen up to the first empty reading when it can."""
    first_empty = len(cartridge) - 1
    while first_empty > 0 and cartridge[first_empty - 1][1] <= 0:
        first_empty -= 1
    history = cartridge[: first_empty + 1]
    rate = None
    if len(history) >= max(min_points, 3) and _coarse_step(history) is None:
        line = _trend(history, min_points=min_points)
        if line is not None and line.slope < 0:
            rate = -line.slope
    return Forecast(
        runs_out=now,
        earliest=now,
        latest=now,
        confidence=HIGH,
        method="empty",
        percent_per_day=rate,
        points=len(history),
        **fields,
    )


# --- Ordering --------------------------------------------------------------------------------


def cartridges_needed(forecast: Forecast, *, now: dt.datetime, horizon_days: float) -> int:
    """Return how many cartridges one supply needs within ``horizon_days`` from ``now``."""
    return _needed(forecast, now_s=now.timestamp(), horizons=(horizon_days,))[0]


def _needed(forecast: Forecast, *, now_s: float, horizons: Sequence[float]) -> list[int]:
    """Return the cartridges one supply needs within each horizon (days) from ``now_s``.

    The first on its run-out date (now, if that is past), then one per cartridge lifetime.
    """
    if forecast.runs_out is None:
        return [0] * len(horizons)
    ahead = max((forecast.runs_out.timestamp() - now_s) / DAY_S, 0.0)
    lifetime = forecast.cartridge_days
    return [
        0 if days < ahead else 1 + (math.floor((days - ahead) / lifetime) if lifetime else 0)
        for days in horizons
    ]


def order_quantities(
    forecasts: Iterable[tuple[K, Forecast]],
    *,
    now: dt.datetime,
    horizon_days: Sequence[int] | int = (30, 60, 90),
) -> list[OrderLine[K]]:
    """Return the cartridges needed per key (e.g. supply description and printer model).

    ``forecasts``: ``(key, forecast)`` for each supply of each printer in scope (an office, a
    region). Lines come in the order their keys first appear.
    """
    horizons = (horizon_days,) if isinstance(horizon_days, int) else tuple(horizon_days)
    quantities: dict[K, dict[int, int]] = {}
    supplies: dict[K, int] = {}
    unknown: dict[K, int] = {}
    now_s = now.timestamp()
    for key, forecast in forecasts:
        line = quantities.setdefault(key, dict.fromkeys(horizons, 0))
        supplies[key] = supplies.get(key, 0) + 1
        unknown[key] = unknown.get(key, 0) + (
            forecast.runs_out is None and forecast.reason != "too_far"
        )
        for days, needed in zip(
            horizons, _needed(forecast, now_s=now_s, horizons=horizons), strict=True
        ):
            line[days] += needed
    return [
        OrderLine(key=key, quantities=line, supplies=supplies[key], unknown=unknown[key])
        for key, line in quantities.items()
    ]
