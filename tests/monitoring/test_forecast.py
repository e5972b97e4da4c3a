"""Consumables forecast and page usage: synthetic series with a known end. No database."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import zoneinfo

import pytest

from monitoring import forecast
from monitoring.forecast import (
    Forecast,
    MonthPages,
    cartridges_needed,
    order_quantities,
    page_counter_intervals,
    page_counter_usage,
    supply_forecast,
)

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
TOLERANCE_DAYS = 3.0
FLAT_NOISE = random.Random(5)


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def series(level, *, days: float, every_hours: float = 12.0, start: float = 0.0):
    """Return (time, level(day)) readings from ``start`` to ``days``, every few hours."""
    count = int((days - start) * 24 / every_hours) + 1
    return [
        (at(start + i * every_hours / 24), level(start + i * every_hours / 24))
        for i in range(count)
    ]


def counter(pages_per_day: float, *, days: float, every_hours: float = 12.0, first: int = 10_000):
    return [
        (at(i * every_hours / 24), first + round(pages_per_day * i * every_hours / 24))
        for i in range(int(days * 24 / every_hours) + 1)
    ]


def coarse(level, step: float):
    """Return a level function shown in steps, rounded up (0 only when empty)."""
    return lambda day: max(math.ceil(round(level(day), 6) / step) * step, 0.0)


def days_off(result: Forecast, end_day: float) -> float:
    assert result.runs_out is not None, result.reason
    return abs((result.runs_out - at(end_day)).total_seconds() / 86400)


# --- Series with a known end --------------------------------------------------------------------


def linear_series():
    # 100 % falling 1.5 %/day: empty on day 66.67; 45 days of readings.
    return series(lambda d: 100 - 1.5 * d, days=45), [], 100 / 1.5


def noisy_series():
    rng = random.Random(8)
    return (
        series(lambda d: min(100.0, max(0.0, 100 - 1.5 * d + rng.gauss(0, 2.0))), days=45),
        [],
        100 / 1.5,
    )


def integer_series():
    # A device that shows whole percents (rounded down): many small steps, not "coarse".
    return series(lambda d: math.floor(80 - 0.8 * d), days=40), [], 100.0


def refilled_series():
    # First cartridge 2 %/day from 90 to 30 on day 30, refilled; then 1.25 %/day: empty on 110.
    def level(d):
        return 90 - 2 * d if d < 30 else 100 - 1.25 * (d - 30)

    return series(level, days=60), [], 110.0


def glitch_series():
    # One reading of 0 and one of 100 in the middle are glitches, not refills or the end.
    readings = series(lambda d: 100 - 1.5 * d, days=45)
    readings[30] = (readings[30][0], 0.0)
    readings[50] = (readings[50][0], 100.0)
    return readings, [], 100 / 1.5


def coarse_with_pages():
    # 25 % steps; 200 pages/day use 1.25 %/day: empty on day 80; last reading on day 61.
    return (
        series(coarse(lambda d: 100 - 1.25 * d, 25), days=61, every_hours=6),
        counter(200, days=61, every_hours=6),
        80.0,
    )


def coarse_tens_with_pages():
    # 10 % steps, 300 pages/day use 1.5 %/day from 95 %: empty on day 63.33.
    return (
        series(coarse(lambda d: 95 - 1.5 * d, 10), days=45, every_hours=6),
        counter(300, days=45, every_hours=6),
        95 / 1.5,
    )


def coarse_counter_reset():
    # As coarse_with_pages, but the counter is reset to 0 on day 35.
    readings = series(coarse(lambda d: 100 - 1.25 * d, 25), days=61, every_hours=6)
    pages = [
        (t, c if t < at(35) else c - 10_000 - 7_000)
        for t, c in counter(200, days=61, every_hours=6)
    ]
    assert any(b[1] < a[1] for a, b in itertools.pairwise(pages))
    return readings, pages, 80.0


def coarse_page_rate_changes():
    # 0.00625 %/page; printing doubles to 400 pages/day on day 20 (level 75 %), so 2.5 %/day
    # from then: empty on day 50. The recent weeks' page rate sees it.
    def level(d):
        return 100 - 1.25 * d if d < 20 else 75 - 2.5 * (d - 20)

    def pages(d):
        return 10_000 + round(200 * d if d < 20 else 4_000 + 400 * (d - 20))

    readings = series(coarse(level, 25), days=45, every_hours=6)
    return readings, [(t, pages((t - T0).total_seconds() / 86400)) for t, _v in readings], 50.0


def coarse_without_pages():
    # 25 % steps and no page counter: percent per day between the steps.
    return series(coarse(lambda d: 100 - 1.25 * d, 25), days=61, every_hours=6), [], 80.0


@pytest.mark.parametrize(
    ("make", "method", "now_day"),
    [
        (linear_series, "trend", 45),
        (noisy_series, "trend", 45),
        (integer_series, "trend", 40),
        (refilled_series, "trend", 60),
        (glitch_series, "trend", 45),
        (coarse_with_pages, "page_rate", 61),
        (coarse_tens_with_pages, "page_rate", 45),
        (coarse_counter_reset, "page_rate", 61),
        (coarse_page_rate_changes, "page_rate", 45),
        (coarse_without_pages, "steps", 61),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_predicted_date_within_tolerance(make, method, now_day):
    readings, pages, end_day = make()
    result = supply_forecast(readings, now=at(now_day), pages=pages)
    assert result.method == method
    assert days_off(result, end_day) <= TOLERANCE_DAYS
    assert result.reason is None
    assert result.confidence in {"high", "medium", "low"}
    assert result.earliest is not None
    assert result.earliest <= result.runs_out
    assert result.latest is None or result.latest >= result.runs_out


def test_clean_linear_series_is_high_confidence_and_exact():
    readings, _pages, end_day = linear_series()
    result = supply_forecast(readings, now=at(45))
    assert days_off(result, end_day) < 0.01
    assert result.confidence == "high"
    assert result.percent_per_day == pytest.approx(1.5)
    assert result.level == pytest.approx(100 - 1.5 * 45)
    assert result.cartridge_since is None


def test_refill_starts_a_new_cartridge():
    readings, _pages, _end = refilled_series()
    result = supply_forecast(readings, now=at(60))
    assert result.cartridge_since == at(30)
    assert result.percent_per_day == pytest.approx(1.25)


def test_noisy_series_is_less_confident_than_a_clean_one():
    rng = random.Random(3)
    noisy = supply_forecast(series(lambda d: 100 - 1.5 * d + rng.gauss(0, 6), days=12), now=at(12))
    assert noisy.runs_out is not None
    assert noisy.confidence in {"medium", "low"}
    assert noisy.earliest < noisy.runs_out


def test_page_rate_forecast_is_at_most_medium():
    readings, pages, _end = coarse_with_pages()
    assert supply_forecast(readings, now=at(61), pages=pages).confidence in {"medium", "low"}


def test_coarse_counter_reset_matches_the_unbroken_counter():
    readings, pages, _end = coarse_with_pages()
    _readings, reset_pages, _end = coarse_counter_reset()
    plain = supply_forecast(readings, now=at(61), pages=pages)
    reset = supply_forecast(readings, now=at(61), pages=reset_pages)
    assert abs((plain.runs_out - reset.runs_out).total_seconds()) < 86400


# --- No date, and why ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "now_day", "reason"),
    [
        ([], 1, "not_enough_data"),
        ([(at(0), 80.0), (at(1), 78.0), (at(2), 76.0)], 2, "not_enough_data"),  # too few
        (series(lambda d: 80 - 2 * d, days=1, every_hours=2), 1, "not_enough_data"),  # too short
        ([(at(d), None) for d in range(20)], 20, "unknown_level"),
        (series(lambda d: 64.0, days=30), 30, "not_falling"),  # flat
        (series(lambda d: 40 + 0.5 * d, days=30), 30, "not_falling"),  # rising slowly
        (  # flat with noise
            series(lambda d: 64 + FLAT_NOISE.uniform(-1, 1), days=30),
            30,
            "not_falling",
        ),
        (series(lambda d: 100 - 1.0 * d, days=30), 120, "no_recent"),  # printer gone quiet
        (series(lambda d: 100 - 0.1 * d, days=30), 30, "too_far"),  # about 3 years
        (series(coarse(lambda d: 100 - 1.0 * d, 25), days=40), 40, "not_enough_data"),  # 1 step
        (
            series(lambda d: 100.0 if d < 30 else 75.0, days=29),
            29,
            "not_falling",
        ),  # coarse, 1 value
        (  # unknown and "some remaining" levels after a refill are not data
            [(at(d), 20.0 - d / 10) for d in range(10)] + [(at(10 + d), None) for d in range(30)],
            35,
            "not_falling",
        ),
    ],
)
def test_no_date_without_enough_data(readings, now_day, reason):
    result = supply_forecast(readings, now=at(now_day))
    assert result.runs_out is None
    assert result.earliest is None and result.latest is None and result.confidence is None
    assert result.reason == reason
    assert str(result.reason_text) == str(forecast.FORECAST_REASONS[reason])


def test_reason_words():
    result = supply_forecast([], now=at(0))
    assert str(result.reason_text) == "not enough data"
    flat = supply_forecast(series(lambda d: 50.0, days=20), now=at(20))
    assert str(flat.reason_text) == "level not falling"


def test_too_far_keeps_the_rate():
    result = supply_forecast(series(lambda d: 100 - 0.1 * d, days=30), now=at(30))
    assert result.reason == "too_far"
    assert result.percent_per_day == pytest.approx(0.1)


def test_coarse_with_a_stuck_counter_uses_the_steps():
    readings, _pages, _end = coarse_with_pages()
    idle = [(t, 50_000) for t, _c in counter(0, days=61, every_hours=6)]
    # The counter stands still over the window, yet the level fell: pages between the steps
    # cannot be counted, so the step dates are used.
    assert supply_forecast(readings, now=at(61), pages=idle).method == "steps"


def test_coarse_printer_idle_lately_has_no_date():
    readings = series(coarse(lambda d: 100 - 1.25 * d, 25), days=61, every_hours=6)

    def pages(d):
        return 10_000 + round(200 * min(d, 45))  # nothing printed after day 45

    counts = [(t, pages((t - T0).total_seconds() / 86400)) for t, _v in readings]
    result = supply_forecast(readings, now=at(61), pages=counts, page_window_days=10)
    assert result.runs_out is None
    assert result.reason == "no_pages"


def test_already_empty_runs_out_now():
    readings = series(lambda d: max(0.0, 30 - 1.5 * d), days=30)
    now = at(31)
    result = supply_forecast(readings, now=now)
    assert result.runs_out == now
    assert result.method == "empty"
    assert result.confidence == "high"
    assert result.percent_per_day == pytest.approx(1.5, rel=0.05)


def test_already_empty_long_ago_still_runs_out_now():
    now = at(400)
    result = supply_forecast([(at(0), 5.0), (at(1), 0.0)], now=now)
    assert result.runs_out == now
    assert result.percent_per_day is None


def test_a_date_is_never_before_the_latest_reading():
    # Fast fall, last reading still at 2 %: the line crosses 0 a day later at most.
    readings = series(lambda d: 62 - 2 * d, days=30)
    result = supply_forecast(readings, now=at(30))
    assert result.runs_out >= readings[-1][0]
    assert result.earliest >= readings[-1][0]


def test_readings_in_any_order():
    readings, _pages, _end = linear_series()
    shuffled = readings[:]
    random.Random(1).shuffle(shuffled)
    assert supply_forecast(shuffled, now=at(45)) == supply_forecast(readings, now=at(45))


# --- Page counters ------------------------------------------------------------------------------


def test_counter_intervals_reset_and_discard():
    readings = [
        (at(0), 1_000),
        (at(1), 1_300),
        (at(2), 200),  # reset: 200 pages since the counter restarted at 0
        (at(3), None),  # no reading
        (at(4), 500),
        (at(5), 900_000),  # another device's counter: no office prints that in a day
        (at(6), 900_100),
    ]
    intervals = page_counter_intervals(readings)
    assert [(i.pages, i.reset, i.discarded) for i in intervals] == [
        (300, False, False),
        (200, True, False),
        (300, False, False),
        (0, False, True),
        (100, False, False),
    ]


DUSHANBE = zoneinfo.ZoneInfo("Asia/Dushanbe")


@pytest.mark.parametrize(
    ("readings", "tz", "expected"),
    [
        pytest.param([], None, [], id="no readings"),
        pytest.param([(at(0), 5)], None, [], id="one reading"),
        pytest.param(
            [(at(0), 1_000), (at(10), 2_000), (at(20), 2_500)],
            None,
            [(dt.date(2026, 3, 1), 1_500)],
            id="one month",
        ),
        pytest.param(
            # 100 pages/day through March, reset on 10 April (counter restarted: 300 counted).
            [
                (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), 50_000),
                (dt.datetime(2026, 4, 1, tzinfo=dt.UTC), 53_100),
                (dt.datetime(2026, 4, 10, tzinfo=dt.UTC), 300),
                (dt.datetime(2026, 5, 1, tzinfo=dt.UTC), 2_400),
                (dt.datetime(2026, 5, 11, tzinfo=dt.UTC), 3_400),
            ],
            None,
            [
                (dt.date(2026, 3, 1), 3_100),
                (dt.date(2026, 4, 1), 300 + 2_100),
                (dt.date(2026, 5, 1), 1_000),
            ],
            id="reset",
        ),
        pytest.param(
            # A gap from 21 March to 11 May (51 days, 5,100 pages) is split by time:
            # 11 days in March, 30 in April, 10 in May.
            [
                (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), 0),
                (dt.datetime(2026, 3, 21, tzinfo=dt.UTC), 2_000),
                (dt.datetime(2026, 5, 11, tzinfo=dt.UTC), 7_100),
            ],
            None,
            [
                (dt.date(2026, 3, 1), 2_000 + 1_100),
                (dt.date(2026, 4, 1), 3_000),
                (dt.date(2026, 5, 1), 1_000),
            ],
            id="gap",
        ),
        pytest.param(
            # Months with nothing printed are listed with 0.
            [
                (dt.datetime(2026, 1, 10, tzinfo=dt.UTC), 10),
                (dt.datetime(2026, 1, 20, tzinfo=dt.UTC), 60),
                (dt.datetime(2026, 4, 2, tzinfo=dt.UTC), 60),
                (dt.datetime(2026, 4, 3, tzinfo=dt.UTC), 70),
            ],
            None,
            [
                (dt.date(2026, 1, 1), 50),
                (dt.date(2026, 2, 1), 0),
                (dt.date(2026, 3, 1), 0),
                (dt.date(2026, 4, 1), 10),
            ],
            id="idle months",
        ),
        pytest.param(
            # 22:00 UTC on 31 March is 03:00 on 1 April in Dushanbe.
            [
                (dt.datetime(2026, 3, 31, 10, tzinfo=dt.UTC), 100),
                (dt.datetime(2026, 3, 31, 18, tzinfo=dt.UTC), 150),
                (dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC), 170),
            ],
            DUSHANBE,
            # 50 pages on the 31st; of the next 20 (23:00–03:00 local), 5 in March.
            [(dt.date(2026, 3, 1), 55), (dt.date(2026, 4, 1), 15)],
            id="office time zone",
        ),
        pytest.param(
            # Thirds round so that the months still add up to the total.
            [
                (dt.datetime(2026, 1, 31, 16, tzinfo=dt.UTC), 0),
                (dt.datetime(2026, 2, 1, 0, tzinfo=dt.UTC), 100),
                (dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC), 200),
            ],
            None,
            [(dt.date(2026, 1, 1), 100), (dt.date(2026, 2, 1), 100)],
            id="rounding",
        ),
    ],
)
def test_page_counter_usage(readings, tz, expected):
    usage = page_counter_usage(readings, tz=tz)
    assert usage == [MonthPages(month, pages) for month, pages in expected]
    if usage:
        assert sum(m.pages for m in usage) == sum(i.pages for i in page_counter_intervals(readings))


def test_page_counter_usage_totals_are_exact_when_split():
    rng = random.Random(11)
    readings, count = [], 0
    for i in range(200):
        count += rng.randint(0, 300)
        readings.append((T0 + dt.timedelta(hours=17 * i + rng.random()), count))
    usage = page_counter_usage(readings)
    assert sum(m.pages for m in usage) == count - readings[0][1]
    assert [m.month for m in usage] == [
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 1),
        dt.date(2026, 7, 1),
    ]


# --- Ordering -----------------------------------------------------------------------------------

NOW = at(0)


def dated(runs_out_day: float | None, per_day: float | None = None) -> Forecast:
    if runs_out_day is None:
        return Forecast(runs_out=None, reason="not_enough_data")
    return Forecast(runs_out=at(runs_out_day), percent_per_day=per_day, confidence="high")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (dated(None), {30: 0, 60: 0, 90: 0}),
        (dated(100, 1.0), {30: 0, 60: 0, 90: 0}),
        (dated(45, 1.0), {30: 0, 60: 1, 90: 1}),  # next one runs out on day 145
        (dated(10, 2.0), {30: 1, 60: 2, 90: 2}),  # then on days 60, 110
        (dated(10, 4.0), {30: 1, 60: 3, 90: 4}),  # then on days 35, 60, 85
        (dated(-20, 5.0), {30: 2, 60: 4, 90: 5}),  # ran out: replaced now; then 20, 40, …
        (dated(30, None), {30: 1, 60: 1, 90: 1}),  # no rate: one cartridge only
        (dated(5, 500.0), {30: 4, 60: 8, 90: 13}),  # a cartridge lasts at least 7 days
    ],
)
def test_cartridges_needed(item, expected):
    assert {h: cartridges_needed(item, now=NOW, horizon_days=h) for h in expected} == expected


def test_order_quantities_grouped_by_cartridge():
    black_m404 = ("Black Cartridge CF259A", "HP LaserJet Pro M404dn")
    black_m428 = ("Black Cartridge CF259A", "HP LaserJet Pro MFP M428fdn")
    drum = ("Drum Unit DR-2400", "Brother HL-L2350DW")
    lines = order_quantities(
        [
            (black_m404, dated(10, 2.0)),  # 1, 2, 2
            (drum, dated(None)),
            (black_m404, dated(50, 1.0)),  # 0, 1, 1
            (black_m428, dated(80, 1.0)),  # 0, 0, 1
            (drum, dated(20, 0.25)),  # 1, 1, 1
            (black_m404, dated(-3, 4.0)),  # 2, 3, 4 (now, then days 25, 50, 75)
        ],
        now=NOW,
    )
    assert [(line.key, line.quantities, line.supplies, line.unknown) for line in lines] == [
        (black_m404, {30: 3, 60: 6, 90: 7}, 3, 0),
        (drum, {30: 1, 60: 1, 90: 1}, 2, 1),
        (black_m428, {30: 0, 60: 0, 90: 1}, 1, 0),
    ]


def test_order_quantities_other_horizons():
    lines = order_quantities([("toner", dated(3, 10.0))], now=NOW, horizon_days=(7, 14))
    assert lines[0].quantities == {7: 1, 14: 2}
    assert order_quantities([("toner", dated(3, 10.0))], now=NOW, horizon_days=7)[0].quantities == {
        7: 1
    }


def test_order_quantities_years_away_is_not_unknown():
    years_away = Forecast(runs_out=None, reason="too_far", percent_per_day=0.1)
    lines = order_quantities([("drum", years_away), ("drum", dated(None))], now=NOW)
    assert (lines[0].quantities, lines[0].supplies, lines[0].unknown) == (
        {30: 0, 60: 0, 90: 0},
        2,
        1,
    )


def test_forecast_drives_the_order():
    readings, _pages, _end = linear_series()  # empty on day 66.7, 1.5 %/day: 66.7 days each
    result = supply_forecast(readings, now=at(45))
    lines = order_quantities([("toner", result)], now=at(45))
    assert lines[0].quantities == {30: 1, 60: 1, 90: 2}


# --- Odd input ----------------------------------------------------------------------------------


def test_refill_across_unknown_readings():
    # The old cartridge ends "some remaining" (None); the new one reads 100 % and falls 2 %/day.
    readings = [(at(d), 40.0 - d) for d in range(10)]
    readings += [(at(10 + d / 2), None) for d in range(6)]
    readings += [(at(13 + d / 2), 100 - 2 * d / 2) for d in range(20)]
    result = supply_forecast(readings, now=at(23))
    assert result.cartridge_since == at(13)
    assert days_off(result, 63) < 0.01


def test_sparse_readings_reach_back_for_enough_points():
    # One reading every 20 days: the 60-day window holds 4, so the fit takes the last 5.
    # (Steps of 8 %: 10 % or more apart would read as a coarse device.)
    readings = [(at(d), 100 - 0.4 * d) for d in range(0, 121, 20)]
    result = supply_forecast(readings, now=at(120))
    assert result.method == "trend"
    assert result.points == 5
    assert days_off(result, 250) < 0.01


def test_integer_levels_naive_times_and_odd_values():
    naive = [(at(d).replace(tzinfo=None), 90 - 2 * d) for d in range(20)]
    naive += [(at(20.5).replace(tzinfo=None), True), (at(21).replace(tzinfo=None), math.nan)]
    result = supply_forecast(naive, now=at(21).replace(tzinfo=None))
    assert result.runs_out.tzinfo is None
    assert abs((result.runs_out - at(45).replace(tzinfo=None)).total_seconds()) < 60
    assert result.points == 20


def test_counter_readings_in_any_order():
    readings = [(at(2), 300), (at(0), 100), (at(1), 250)]
    assert [i.pages for i in page_counter_intervals(readings)] == [150, 50]


def test_labels_cover_every_value():
    assert set(forecast.CONFIDENCE_LABELS) == {"high", "medium", "low"}
    assert set(forecast.METHOD_LABELS) == {"trend", "page_rate", "steps", "empty"}
    assert str(forecast.CONFIDENCE_LABELS["low"]) == "low"
    assert str(forecast.METHOD_LABELS["page_rate"]) == "page rate"


def test_a_range_reaching_beyond_two_years_is_open_ended_not_an_overflow():
    # A slow fall with noise: the slope's upper bound is barely below zero, so the late end of
    # the range lies centuries away (it once overflowed datetime); it is left open instead.
    noise = random.Random(8)
    readings = [(at(2 * i), 50 - 0.6 * i + noise.uniform(-3, 3)) for i in range(10)]
    result = supply_forecast(readings, now=at(19))
    assert result.runs_out is not None and result.latest is None
    assert result.confidence == "low"
