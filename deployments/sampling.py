"""Drawing the assets a verification campaign checks, and what the checks say about the rest.

Pure functions, no database: the campaign service hands in plain tuples and stores what comes
back. The draw depends only on the population and the seed, so anyone holding the seed (it is
printed on the campaign page and in the report) can redraw the same sample from the same
register.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

# Seeds are shown to people and typed back in: keep them to nine digits.
SEED_MAX = 999_999_999


def seed_new() -> int:
    """Return a new random seed between 1 and 999,999,999."""
    return secrets.randbelow(SEED_MAX) + 1


def strata_allocate(sizes: Mapping[K, int], n: int) -> dict[K, int]:
    """Return how many of ``n`` draws each stratum gets, in proportion to its size.

    Largest-remainder (Hamilton) allocation: each stratum first gets the whole part of its
    exact share ``n × size / total``; the draws left over go one by one to the strata with the
    largest fractional remainder, ties going to the stratum whose key sorts first. Rules on
    top of that:

    - a stratum never gets more than its size, and an empty one gets nothing;
    - when ``n`` is at least the number of non-empty strata, every non-empty stratum gets at
      least one (so no region or category goes unchecked); the draws this takes come back from
      the strata most above their exact share;
    - the allocations add up to ``min(n, total)`` (a negative ``n`` counts as 0).

    Every stratum of ``sizes`` is in the result, with 0 where nothing is drawn.
    """
    result: dict[K, int] = dict.fromkeys(sizes, 0)
    filled = sorted(key for key, size in sizes.items() if size > 0)
    total = sum(sizes[key] for key in filled)
    n = max(0, min(n, total))
    if n == 0:
        return result
    share = {key: Fraction(n * sizes[key], total) for key in filled}
    alloc = {key: math.floor(share[key]) for key in filled}
    if n >= len(filled):
        for key in filled:
            alloc[key] = max(alloc[key], 1)
    order = {key: index for index, key in enumerate(filled)}
    while sum(alloc.values()) > n:
        # Take back from the stratum most above its share (never below one).
        key = min(
            (key for key in filled if alloc[key] > 1),
            key=lambda k: (share[k] - alloc[k], -order[k]),
        )
        alloc[key] -= 1
    while sum(alloc.values()) < n:
        key = min(
            (key for key in filled if alloc[key] < sizes[key]),
            key=lambda k: (-(share[k] - alloc[k]), order[k]),
        )
        alloc[key] += 1
    result.update(alloc)
    return result


def sample_draw(population: Iterable[tuple[K, str, T]], n: int, seed: int) -> list[T]:
    """Return a stratified random sample of ``n`` items, the same every time for one seed.

    ``population`` holds ``(stratum key, stable sort key, item)``: the stratum is e.g.
    (region code, category code), the stable key e.g. the asset tag. Strata are visited in key
    order, members sorted by their stable key, and one ``random.Random(seed)`` draws
    ``rng.sample`` in each stratum in that order, as many as ``strata_allocate`` gives it. So
    the sample depends only on the population and the seed, never on the order the rows came
    from the database. When ``n`` is at least the population, everything is returned.

    The result lists strata in key order, members in stable-key order.
    """
    groups: dict[K, list[tuple[str, T]]] = {}
    for stratum, stable, item in population:
        groups.setdefault(stratum, []).append((stable, item))
    for members in groups.values():
        members.sort(key=lambda member: member[0])
    total = sum(len(members) for members in groups.values())
    everyone = n >= total
    allocation = strata_allocate({key: len(members) for key, members in groups.items()}, n)
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose, not a secret
    chosen: list[T] = []
    for key in sorted(groups):
        members = groups[key]
        if everyone:
            picked = members
        else:
            picked = sorted(rng.sample(members, allocation[key]), key=lambda member: member[0])
        chosen.extend(item for _stable, item in picked)
    return chosen


@dataclass(frozen=True)
class FoundRate:
    """The share of checked assets found, and its confidence interval for the population."""

    rate: float
    low: float
    high: float
    found: int
    checked: int
    population: int
    confidence: float

    @property
    def rate_percent(self) -> float:
        return 100 * self.rate

    @property
    def low_percent(self) -> float:
        return 100 * self.low

    @property
    def high_percent(self) -> float:
        return 100 * self.high

    @property
    def confidence_percent(self) -> int:
        return round(100 * self.confidence)

    @property
    def is_exact(self) -> bool:
        """Return whether every asset was checked, so the rate has no uncertainty."""
        return self.low == self.high


def found_rate_interval(
    *, found: int, checked: int, population: int, confidence: float = 0.95
) -> FoundRate | None:
    """Return the found rate with its Wilson score interval, or None when nothing was checked.

    The sample is drawn without replacement from a finite population, so the variance is
    multiplied by the finite-population correction ``(N − n) / (N − 1)``; in the Wilson formula
    that is the same as using ``z × √fpc``. When every asset was checked (n = N) the interval
    closes to the rate itself. A population smaller than the checks (the register shrank since
    the draw) counts as the number checked.
    """
    if checked <= 0:
        return None
    if not 0 <= found <= checked:
        raise ValueError(f"found={found} must lie between 0 and checked={checked}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence} must lie between 0 and 1")
    population = max(population, checked)
    rate = found / checked
    fpc = (population - checked) / (population - 1) if population > 1 else 0.0
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2) * math.sqrt(fpc)
    if z == 0:
        return FoundRate(rate, rate, rate, found, checked, population, confidence)
    z2 = z * z
    denominator = 1 + z2 / checked
    centre = (rate + z2 / (2 * checked)) / denominator
    half = (z / denominator) * math.sqrt(rate * (1 - rate) / checked + z2 / (4 * checked * checked))
    # At 0 and 1 the Wilson bound is exactly the rate; keep rounding noise out of it.
    return FoundRate(
        rate=rate,
        low=0.0 if found == 0 else max(0.0, centre - half),
        high=1.0 if found == checked else min(1.0, centre + half),
        found=found,
        checked=checked,
        population=population,
        confidence=confidence,
    )
