"""A poll round: read every target concurrently (bounded), decode, never stopped by one device.

CONTRACT (filled in by the poller work):

- ``PollResult``: one device's outcome: ``key`` (the target's key), ``reachable``, ``error``
  (None, "timeout", "auth", or the reason), ``response_ms`` (first answer), ``facts``
  (``DeviceFacts`` when reachable), ``raw`` (``RawDevice``), ``polled_at`` (aware datetime),
  ``overloaded`` (True when the poller itself could not send in time: kept apart from
  "unreachable").
- ``poll_round(targets, *, window=…) -> list[PollResult]``: synchronous; runs its own event
  loop (in a worker thread when the caller's thread already has one). No ORM inside.
- ``poll_round_async(targets, *, window=…)``: the same, awaited.

Added by the poller work: ``PollResult.warnings`` (what a device that answered could not
give, e.g. ``"<column>: timeout"``); ``poll_device`` (one device, with an open client);
``scalars=`` / ``tables=`` (default ``oids.SCALARS`` / ``oids.TABLES``) on the round.

One device's poll reads exactly what a GET of ``scalars`` and a walk of each of ``tables``
would read (``raw.scalars`` has every scalar asked, None where the device has none;
``raw.tables`` every column asked, {} where the device has none), in fewer requests and
far fewer variables than asking for each, which is what a device's agent spends its time on:

1. one discovery GETNEXT (PDUs of 30), whose first answer makes the device reachable and
   gives ``response_ms`` (a silent device stops here, after one timeout budget) of:
   - the system group's scalars, by their object's OID (the GETNEXT of ``X`` is ``X.0``
     exactly when the device has ``X.0``);
   - the subtree of every other scalar (``1.3.6.1.4.1.<vendor>``, ``1.3.6.1.2.1.<MIB>``):
     a vendor's or a MIB's scalars are asked only from a device that has that subtree, so
     a printer is not asked forty UPS values, whatever its sysObjectID claims;
   - every column of ``tables``: its first row, or nothing (no such table);
2. at the same time: a GET of the scalars in the subtrees the device has, and one
   side-by-side walk of every column that has rows (one GETBULK per page for all of them,
   as ``snmptable`` does; each column ends on its own);
3. ``decode.device_facts`` on what was read (a decoder bug becomes ``error="decode: …"``).

A part of step 2 that fails (timeout, error) leaves its scalars or columns out of ``raw``
and is named in ``warnings``; the device stays reachable with what was read. Targets are
polled concurrently; the client's window bounds the requests in flight, so the round is as
long as its slowest device, not the sum of them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from monitoring.snmp import decode, oids
from monitoring.snmp.client import (
    DEFAULT_WINDOW,
    SnmpAuthError,
    SnmpClient,
    SnmpError,
    SnmpOverloaded,
    SnmpTarget,
    SnmpTimeout,
    oid_str,
    oid_tuple,
)
from monitoring.snmp.decode import DeviceFacts, RawDevice, SnmpValue

ERROR_TIMEOUT = "timeout"
ERROR_AUTH = "auth"
ERROR_OVERLOADED = "overloaded"

SYSTEM_GROUP = "1.3.6.1.2.1.1"  # every agent has it: its scalars are read in the discovery
SUBTREE_DEPTH = 7  # 1.3.6.1.4.1.<vendor> and 1.3.6.1.2.1.<MIB>
FIRST_ROWS = 2  # rows per column on a walk's first page (then twice as many each page)


@dataclass(frozen=True)
class PollResult:
    key: object
    reachable: bool
    error: str | None
    response_ms: float | None
    facts: DeviceFacts | None
    raw: RawDevice | None
    polled_at: dt.datetime
    overloaded: bool = False
    warnings: tuple[str, ...] = ()  # what could not be read from a device that answered


@dataclass(frozen=True)
class ReadPlan:
    """What one poll asks, worked out once per round from the scalars and the columns."""

    scalars: tuple[str, ...]  # every scalar, in the order asked
    direct: dict[str, str]  # system-group scalar → its object's OID (asked by GETNEXT)
    by_subtree: dict[str, tuple[str, ...]]  # subtree → the other scalars in it
    columns: dict[str, str]  # column → what must exist for it: a subtree above, or its entry

    @property
    def discovery(self) -> list[str]:
        return list(
            dict.fromkeys([*self.direct.values(), *self.by_subtree, *self.columns.values()])
        )


@lru_cache(maxsize=32)
def read_plan(scalars: tuple[str, ...], columns: tuple[str, ...]) -> ReadPlan:
    """Return the plan for reading ``scalars`` and walking ``columns``."""
    scalars = tuple(dict.fromkeys(oid_str(oid_tuple(oid)) for oid in scalars))
    direct: dict[str, str] = {}
    by_subtree: dict[str, list[str]] = {}
    for scalar in scalars:
        if _under(scalar, SYSTEM_GROUP) and scalar.endswith(".0"):
            direct[scalar] = scalar.removesuffix(".0")
        else:
            subtree = oid_str(oid_tuple(scalar)[:SUBTREE_DEPTH])
            by_subtree.setdefault(subtree, []).append(scalar)
    needs: dict[str, str] = {}
    for column in dict.fromkeys(oid_str(oid_tuple(oid)) for oid in columns):
        entry = column.rsplit(".", 1)[0]  # the table entry: its other columns share it
        above = [subtree for subtree in by_subtree if entry == subtree or _under(entry, subtree)]
        needs[column] = above[0] if above else entry
    return ReadPlan(
        scalars=scalars,
        direct=direct,
        by_subtree={subtree: tuple(found) for subtree, found in by_subtree.items()},
        columns=needs,
    )


def poll_round(
    targets: Iterable[SnmpTarget],
    *,
    window: int = DEFAULT_WINDOW,
    scalars: Sequence[str] | None = None,
    tables: Sequence[str] | None = None,
) -> list[PollResult]:
    """Poll every target once and return one result per target, in the targets' order."""
    targets = list(targets)

    def run() -> list[PollResult]:
        return asyncio.run(poll_round_async(targets, window=window, scalars=scalars, tables=tables))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    # This thread already runs an event loop (an async caller, or what Playwright's sync
    # API leaves behind): give the round a loop of its own in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def poll_round_async(
    targets: Iterable[SnmpTarget],
    *,
    window: int = DEFAULT_WINDOW,
    scalars: Sequence[str] | None = None,
    tables: Sequence[str] | None = None,
    client: SnmpClient | None = None,
) -> list[PollResult]:
    """Poll every target concurrently, at most ``window`` requests in flight.

    ``scalars`` and ``tables`` default to ``oids.SCALARS`` and ``oids.TABLES``; pass an open
    ``client`` to share one between rounds (it is then left open, and ``window`` unused).
    """
    targets = list(targets)
    scalar_oids = tuple(oids.SCALARS if scalars is None else scalars)
    table_roots = tuple(oids.TABLES if tables is None else tables)
    if client is not None:
        return await _poll_all(client, targets, scalar_oids, table_roots)
    async with SnmpClient(window=window) as own_client:
        return await _poll_all(own_client, targets, scalar_oids, table_roots)


async def _poll_all(
    client: SnmpClient,
    targets: list[SnmpTarget],
    scalars: tuple[str, ...],
    tables: tuple[str, ...],
) -> list[PollResult]:
    return list(
        await asyncio.gather(*(poll_device(client, target, scalars, tables) for target in targets))
    )


async def poll_device(
    client: SnmpClient,
    target: SnmpTarget,
    scalars: Sequence[str],
    tables: Sequence[str],
) -> PollResult:
    """Poll one device; every failure becomes its result, never an exception."""
    polled_at = dt.datetime.now(dt.UTC)
    plan = read_plan(tuple(scalars), tuple(tables))
    try:
        found, response_ms = await client.get_next_timed(target, plan.discovery)
    except Exception as exc:  # the round must go on whatever happens to one device
        error, overloaded = _error_code(exc)
        return PollResult(
            key=target.key,
            reachable=False,
            error=error,
            response_ms=None,
            facts=None,
            raw=None,
            polled_at=polled_at,
            overloaded=overloaded,
        )
    raw, warnings, overloaded = await _read(client, target, plan, found)
    facts: DeviceFacts | None = None
    error: str | None = None
    try:
        facts = decode.device_facts(raw)
    except Exception as exc:  # a decoder bug must not cost the round (nor the raw values)
        error = f"decode: {type(exc).__name__}: {exc}"[:300]
    return PollResult(
        key=target.key,
        reachable=True,
        error=error,
        response_ms=round(response_ms, 3),
        facts=facts,
        raw=raw,
        polled_at=polled_at,
        overloaded=overloaded,
        warnings=tuple(warnings),
    )


async def _read(
    client: SnmpClient,
    target: SnmpTarget,
    plan: ReadPlan,
    found: dict[str, tuple[str, SnmpValue] | None],
) -> tuple[RawDevice, list[str], bool]:
    """Read step 2 of the plan from what the discovery found; return raw, warnings, overload."""
    scalars: dict[str, SnmpValue] = {}
    for scalar, obj in plan.direct.items():
        row = found.get(obj)
        scalars[scalar] = row[1] if row is not None and row[0] == scalar else None
    to_get: list[str] = []
    for subtree, members in plan.by_subtree.items():
        row = found.get(subtree)
        if row is not None and _under(row[0], subtree):
            to_get.extend(members)
        else:
            scalars.update(dict.fromkeys(members))  # nothing in that subtree: not supported
    tables: dict[str, dict[str, SnmpValue]] = {}
    to_walk: list[str] = []
    for column, needed in plan.columns.items():
        row = found.get(needed)
        if row is not None and _under(row[0], needed):
            to_walk.append(column)
        else:
            tables[column] = {}  # no such table (nor anything around it) on this device

    got, walked = await asyncio.gather(
        client.get(target, to_get) if to_get else _nothing(),
        client.walk_many(target, to_walk, first_rows=FIRST_ROWS) if to_walk else _nothing(),
        return_exceptions=True,
    )
    warnings: list[str] = []
    overloaded = False
    for part, result in (("scalars", got), ("tables", walked)):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result  # cancelled: let it through
            error, was_overloaded = _error_code(result)
            overloaded = overloaded or was_overloaded
            warnings.append(f"{part}: {error}")
        elif part == "scalars":
            scalars.update(result)
        else:
            tables.update(result)
    raw = RawDevice(
        scalars={oid: scalars[oid] for oid in plan.scalars if oid in scalars},
        tables={column: tables[column] for column in plan.columns if column in tables},
    )
    return raw, warnings, overloaded


async def _nothing() -> dict:
    return {}


def _under(oid: str, root: str) -> bool:
    return oid.startswith(root + ".")


def _error_code(exc: BaseException) -> tuple[str, bool]:
    """Return the result's error text for an exception, and whether it means overloaded."""
    if isinstance(exc, SnmpOverloaded):
        return ERROR_OVERLOADED, True
    if isinstance(exc, SnmpTimeout):
        return ERROR_TIMEOUT, False
    if isinstance(exc, SnmpAuthError):
        return ERROR_AUTH, False
    if isinstance(exc, SnmpError):
        return str(exc) or type(exc).__name__, False
    return f"client: {type(exc).__name__}: {exc}"[:300], False
