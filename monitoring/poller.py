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
   - the subtree of every other scalar (``1.3.6.1.2.1.<MIB>``, ``1.3.6.1.4.1.<vendor>``):
     a vendor's or a MIB's scalars are asked only from a device that has that subtree, so
     a printer is not asked forty UPS values, whatever its sysObjectID claims. Of the
     vendors only the first is asked: a GETNEXT's answer ``R`` says there is nothing
     between the OID asked and ``R``, so one answer settles every subtree up to ``R``
     (``_settle``, from every answer of the poll): most devices need one or two;
   - the first column of each run of neighbouring columns of ``tables``
     (``client.column_runs``): the run's first row, or nothing (no such table);
2. at the same time: a GET of the scalars in the subtrees the device has (a few ride in
   the walk as the GETNEXT of their object instead), and a walk of every run
   (``SnmpClient.walk_many``: each run one stream of variables, going on from the row the
   discovery gave, so a table's end costs one variable per run; a page is a GETBULK per
   group of runs needing about as many rows; once a column of a table has ended, the
   others are asked for exactly that many). The next vendor subtree not yet settled rides
   in the first GETBULK as a non-repeater; what its answer leaves open is asked one
   GETNEXT at a time, and a vendor found there is read after;
3. ``decode.device_facts`` on what was read (a decoder bug becomes ``error="decode: …"``).

A part of step 2 that fails (timeout, error) leaves its scalars or columns out of ``raw``
and is named in ``warnings``; the device stays reachable with what was read (when its walk
failed, no further vendor subtree is asked: their scalars and columns are left out). Targets are
polled concurrently; the client's window bounds the requests in flight, so the round is as
long as its slowest device, not the sum of them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    column_runs,
    oid_str,
    oid_tuple,
)
from monitoring.snmp.decode import DeviceFacts, RawDevice, SnmpValue

ERROR_TIMEOUT = "timeout"
ERROR_AUTH = "auth"
ERROR_OVERLOADED = "overloaded"

SYSTEM_GROUP = "1.3.6.1.2.1.1"  # every agent has it: its scalars are read in the discovery
SUBTREE_DEPTH = 7  # 1.3.6.1.4.1.<vendor> and 1.3.6.1.2.1.<MIB>
ENTERPRISES = "1.3.6.1.4.1"  # vendor subtrees: a device has one or two, probed as a chain
RIDING_SCALARS = 4  # at most this many scalars of the subtrees found ride in the walk
FIRST_ROWS = 1  # rows per column a walk expects before it has seen a column end


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
    # column (not under a subtree of by_subtree) → the first column of its run (column_runs):
    # the discovery's GETNEXT of that one is the run's first variable
    starts: dict[str, str] = field(default_factory=dict)

    @property
    def subtrees(self) -> list[str]:
        """Return the subtrees of ``by_subtree``, in the agent's (numeric) order."""
        return sorted(self.by_subtree, key=oid_tuple)

    @property
    def discovery(self) -> list[str]:
        """Return the OIDs of the first GETNEXT: the system group's objects, every subtree
        but the vendors' (only the first of those: its answer rules out every vendor below
        the OID it returns, see ``_settle``), and each run's first column."""
        vendors = [tree for tree in self.subtrees if _under(tree, ENTERPRISES)]
        return list(
            dict.fromkeys(
                [
                    *self.direct.values(),
                    *(tree for tree in self.subtrees if tree not in vendors),
                    *vendors[:1],
                    *self.starts.values(),
                ]
            )
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
    own = [column for column, needed in needs.items() if needed not in by_subtree]
    starts = {column: run[0] for run in column_runs(own) for column in run}
    return ReadPlan(
        scalars=scalars,
        direct=direct,
        by_subtree={subtree: tuple(found) for subtree, found in by_subtree.items()},
        columns=needs,
        starts={column: starts[column] for column in needs if column in starts},
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
    order = plan.subtrees
    present: dict[str, bool] = {}
    _settle(order, present, found)
    tables: dict[str, dict[str, SnmpValue]] = {}
    failures: list[tuple[str, Exception]] = []
    walk_failed: list[Exception] = []

    async def read(
        subtrees: list[str], columns: list[str], probes: Sequence[str] = ()
    ) -> dict[str, tuple[str, SnmpValue] | None]:
        """GET the scalars of ``subtrees`` and walk ``columns``, at the same time; return
        the answers to ``probes`` (GETNEXTs riding in the walk's first page).

        A few scalars ride there too, as the GETNEXT of their object (its answer is the
        scalar exactly when the device has it, as for the system group), which spares a
        request; more of them are cheaper for an agent in a GET of their own.
        """
        probed: dict[str, tuple[str, SnmpValue] | None] = {}
        to_get = [scalar for tree in subtrees for scalar in plan.by_subtree[tree]]
        objects: dict[str, str] = {}
        if len(to_get) <= RIDING_SCALARS and all(oid.endswith(".0") for oid in to_get):
            objects = {scalar.removesuffix(".0"): scalar for scalar in to_get}
            to_get = []
            probes = [*probes, *objects]
        starts = {plan.starts[column] for column in columns if column in plan.starts}
        known = {start: found[start] for start in starts if start in found}
        got, walked = await asyncio.gather(
            client.get(target, to_get) if to_get else _nothing(),
            client.walk_many(
                target,
                columns,
                first_rows=FIRST_ROWS,
                known=known,
                probes=probes,
                probed=probed,
            )
            if columns or probes
            else _nothing(),
            return_exceptions=True,
        )
        for part, result in (("scalars", got), ("tables", walked)):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancelled: let it through
                failures.append((part, result))
                if part == "tables":
                    walk_failed.append(result)
            elif part == "scalars":
                scalars.update(result)
            else:
                tables.update(result)
        missing = []
        for obj, scalar in objects.items():
            if obj in probed:
                row = probed[obj]
                scalars[scalar] = row[1] if row is not None and row[0] == scalar else None
            elif not isinstance(walked, BaseException):
                missing.append(scalar)  # the agent's page had no answer for it: GET it
            elif ("scalars", walked) not in failures:
                failures.append(("scalars", walked))
        if missing:
            try:
                scalars.update(await client.get(target, missing))
            except Exception as exc:
                failures.append(("scalars", exc))
        return probed

    def ready(subtrees: Iterable[str]) -> tuple[list[str], list[str]]:
        """Return the present ones of ``subtrees`` and the columns now known to be walked."""
        subtrees = set(subtrees)
        for tree in subtrees:
            if not present[tree]:
                scalars.update(dict.fromkeys(plan.by_subtree[tree]))  # not supported
        columns = []
        for column, needed in plan.columns.items():
            if needed in subtrees:
                if present[needed]:
                    columns.append(column)
                else:
                    tables[column] = {}  # nothing in that subtree
        return [tree for tree in order if tree in subtrees and present[tree]], columns

    first_subtrees, first_columns = ready(present)
    first_columns.extend(plan.starts)  # their runs' first variables are known: walk them on

    # The vendor subtrees the discovery could not settle: the first of them rides in the
    # walk's first page, then one GETNEXT each for what its answer did not settle.
    settled = set(present)
    probes = [tree for tree in order if tree not in present][:1]
    _settle(order, present, await read(first_subtrees, first_columns, probes))
    try:
        while not walk_failed and (unsettled := [tree for tree in order if tree not in present]):
            _settle(order, present, await client.get_next(target, unsettled[:1]))
    except Exception as exc:
        failures.append(("scalars", exc))
    if walk_failed and any(tree not in present for tree in order):
        failures.append(("scalars", walk_failed[0]))  # vendors left unsettled: left out
    subtrees, columns = ready(tree for tree in present if tree not in settled)
    if subtrees or columns:
        await read(subtrees, columns)
    warnings: list[str] = []
    overloaded = False
    for part, exc in failures:
        error, was_overloaded = _error_code(exc)
        overloaded = overloaded or was_overloaded
        if f"{part}: {error}" not in warnings:
            warnings.append(f"{part}: {error}")
    raw = RawDevice(
        scalars={oid: scalars[oid] for oid in plan.scalars if oid in scalars},
        tables={column: tables[column] for column in plan.columns if column in tables},
    )
    return raw, warnings, overloaded


def _settle(
    subtrees: Sequence[str],
    present: dict[str, bool],
    answers: dict[str, tuple[str, SnmpValue] | None],
) -> None:
    """Record in ``present`` what GETNEXT ``answers`` tell of ``subtrees`` (sorted).

    The answer ``R`` to a GETNEXT of ``P`` says the agent has nothing between ``P`` and
    ``R``: a subtree at or after ``P`` is present when ``R`` is in it, absent when ``R`` is
    past it (or nothing follows ``P``), and unknown when ``R`` comes before it. A subtree
    asked itself is settled whatever its answer (an agent that does not go forward has
    nothing there), so asking the first unsettled one always makes progress.
    """
    for probe, row in answers.items():
        asked = oid_tuple(probe)
        answer = oid_tuple(row[0]) if row is not None else None
        for tree in subtrees:
            if tree in present:
                continue
            tree_t = oid_tuple(tree)
            if tree_t < asked:
                continue
            if answer is None:
                present[tree] = False
            elif len(answer) > len(tree_t) and answer[: len(tree_t)] == tree_t:
                present[tree] = True
            elif answer > tree_t or tree_t == asked:
                present[tree] = False


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
