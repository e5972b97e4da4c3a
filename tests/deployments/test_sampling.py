"""Sampling: the stratified draw from a seed, the allocation, and the found-rate interval.

Pure functions: no database.
"""

from __future__ import annotations

import random

import pytest

from deployments.sampling import (
    SEED_MAX,
    found_rate_interval,
    sample_draw,
    seed_new,
    strata_allocate,
)


def _population(sizes: dict[tuple[str, str], int]):
    """Return (stratum, tag, tag) rows: `sizes[stratum]` assets per stratum."""
    rows = []
    for (region, category), size in sizes.items():
        for n in range(size):
            tag = f"CR-{region}-{category}-{n:04d}"
            rows.append(((region, category), tag, tag))
    return rows


SIZES = {("DU", "laptop"): 120, ("DU", "printer"): 40, ("SU", "laptop"): 70, ("GB", "ups"): 3}


def test_same_seed_same_sample_whatever_the_order_of_the_rows():
    rows = _population(SIZES)
    first = sample_draw(rows, 40, 20261127)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    assert sample_draw(shuffled, 40, 20261127) == first
    assert len(first) == 40 and len(set(first)) == 40


def test_a_different_seed_draws_a_different_sample():
    rows = _population(SIZES)
    assert set(sample_draw(rows, 40, 1)) != set(sample_draw(rows, 40, 2))


def test_strata_sizes_add_up_to_n_and_follow_the_allocation():
    rows = _population(SIZES)
    drawn = sample_draw(rows, 50, 7)
    per_stratum: dict[tuple[str, str], int] = {}
    stratum_of = {tag: stratum for stratum, tag, _item in rows}
    for tag in drawn:
        per_stratum[stratum_of[tag]] = per_stratum.get(stratum_of[tag], 0) + 1
    assert sum(per_stratum.values()) == 50
    assert per_stratum == {k: v for k, v in strata_allocate(SIZES, 50).items() if v}


def test_a_sample_as_large_as_the_population_takes_everyone_exactly_once():
    rows = _population(SIZES)
    total = sum(SIZES.values())
    for n in (total, total + 500):
        drawn = sample_draw(rows, n, 99)
        assert sorted(drawn) == sorted(tag for _s, tag, _i in rows)
        assert len(drawn) == len(set(drawn))


def test_the_draw_lists_strata_in_key_order_members_by_tag():
    drawn = sample_draw(_population(SIZES), 20, 3)
    keys = [(tag.split("-")[1], tag.split("-")[2]) for tag in drawn]
    assert keys == sorted(keys)
    assert drawn == sorted(drawn, key=lambda tag: (tag.split("-")[1], tag.split("-")[2], tag))


def test_allocation_is_proportional_by_largest_remainder():
    # Exact shares of 12 (of 233): 6.18, 2.06, 3.61, 0.15. Whole parts 6 + 2 + 3 = 11; the
    # small stratum gets its guaranteed one, which makes 12.
    assert strata_allocate(SIZES, 12) == {
        ("DU", "laptop"): 6,
        ("DU", "printer"): 2,
        ("SU", "laptop"): 3,
        ("GB", "ups"): 1,
    }
    # Of 13 (shares 6.70, 2.23, 3.91, 0.17): 6 + 2 + 3 + 1 (guaranteed) = 12, and the 13th
    # goes to the largest remainder, Sughd laptops (.91).
    assert strata_allocate(SIZES, 13)[("SU", "laptop")] == 4
    # Of 5 (shares 2.58, 0.86, 1.50, 0.06): 2 + 0 + 1 + 0, raised to one each: 2 + 1 + 1 + 1.
    assert strata_allocate(SIZES, 5) == {
        ("DU", "laptop"): 2,
        ("DU", "printer"): 1,
        ("SU", "laptop"): 1,
        ("GB", "ups"): 1,
    }
    # Fewer draws than strata: no one-each floor, the plain proportion (shares .02, .02, 1.96).
    assert strata_allocate({"a": 1, "b": 1, "c": 98}, 2) == {"a": 0, "b": 0, "c": 2}


def test_allocation_ties_go_to_the_first_key():
    assert strata_allocate({"b": 1, "a": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert strata_allocate({"b": 5, "a": 5}, 3) == {"a": 2, "b": 1}


@pytest.mark.parametrize("seed", range(40))
def test_allocation_properties_hold_for_random_sizes(seed):
    rng = random.Random(seed)
    sizes = {
        f"s{i:02d}": rng.choice([0, 0, 1, 2, 3, 10, 50, 400]) for i in range(rng.randint(1, 12))
    }
    total = sum(sizes.values())
    filled = [key for key, size in sizes.items() if size]
    for n in (0, 1, len(filled), rng.randint(0, total + 5), total, total + 3):
        allocation = strata_allocate(sizes, n)
        assert set(allocation) == set(sizes)
        assert sum(allocation.values()) == min(n, total)
        assert all(0 <= allocation[key] <= sizes[key] for key in sizes)
        if n >= len(filled):
            assert all(allocation[key] >= 1 for key in filled)


def test_allocation_of_nothing():
    assert strata_allocate({}, 5) == {}
    assert strata_allocate({"a": 0}, 5) == {"a": 0}
    assert strata_allocate({"a": 4}, -1) == {"a": 0}


def test_interval_contains_the_rate_and_narrows_with_more_checks():
    small = found_rate_interval(found=18, checked=20, population=600)
    large = found_rate_interval(found=180, checked=200, population=600)
    for rate in (small, large):
        assert rate.low < rate.rate < rate.high
        assert rate.low >= 0 and rate.high <= 1
    assert rate.rate == pytest.approx(0.9)
    assert (large.high - large.low) < (small.high - small.low)


def test_interval_known_value_without_correction_is_wilson():
    # n = 20, 18 found, 95 %: Wilson gives 0.6990–0.9721; a huge population needs no correction.
    rate = found_rate_interval(found=18, checked=20, population=10**9)
    assert rate.low == pytest.approx(0.6990, abs=1e-3)
    assert rate.high == pytest.approx(0.9721, abs=1e-3)


def test_the_finite_population_correction_narrows_the_interval():
    wide = found_rate_interval(found=45, checked=50, population=10**9)
    narrow = found_rate_interval(found=45, checked=50, population=60)
    assert (narrow.high - narrow.low) < (wide.high - wide.low)


def test_a_full_census_has_zero_width():
    rate = found_rate_interval(found=57, checked=60, population=60)
    assert rate.low == rate.high == rate.rate == pytest.approx(0.95)
    assert rate.is_exact
    # All found: the interval is the point 1.
    assert found_rate_interval(found=5, checked=5, population=5).low == 1.0


def test_nothing_checked_gives_no_rate():
    assert found_rate_interval(found=0, checked=0, population=100) is None


def test_extreme_rates_stay_within_zero_and_one():
    none = found_rate_interval(found=0, checked=30, population=1000)
    everyone = found_rate_interval(found=30, checked=30, population=1000)
    assert none.low == 0.0 and 0 < none.high < 0.15
    assert everyone.high == 1.0 and 0.85 < everyone.low < 1


def test_interval_refuses_impossible_counts():
    with pytest.raises(ValueError):
        found_rate_interval(found=5, checked=4, population=10)


def test_new_seeds_are_in_range_and_differ():
    seeds = {seed_new() for _ in range(50)}
    assert all(1 <= seed <= SEED_MAX for seed in seeds)
    assert len(seeds) > 45
