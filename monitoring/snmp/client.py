"""Talking to a device: the only module that sends SNMP. Returns plain Python values.

CONTRACT (filled in by the client work):

- ``SnmpTarget``: where and how to reach one device.
- ``SnmpClient``: ``async with SnmpClient(window=…) as client:`` one UDP socket (per address
  family) and a bounded window of requests in flight, shared by every target of a round;
  ``await client.get(target, oids) -> dict[str, SnmpValue]`` and
  ``await client.walk(target, root) -> dict[str, SnmpValue]``.
- Errors: ``SnmpTimeout`` (no answer within timeout × (retries + 1)), ``SnmpAuthError``
  (wrong community cannot be told from silence in v1/v2c, so it is a timeout there; SNMPv3
  unknown user / wrong keys / wrong digest), ``SnmpError`` (anything else, with the reason).

Added by the client work (same meanings as above):

- ``get_timed`` (the GET's values and the milliseconds to the first answer), ``get_next``
  and ``get_next_timed`` (one GETNEXT of several OIDs: {oid: (next oid, value) or None}),
  ``walk_many`` (several columns at once: each run of neighbouring columns of one entry,
  ``column_runs``, is read as one stream of variables, so a table's end costs one variable
  per run; a page is one GETBULK per group of streams needing about as many variables;
  ``first_rows`` starts small and doubles, and once a column of an entry has ended the
  others are asked for that many rows; ``known=`` takes a run's first variable already
  read, ``probes=`` rides GETNEXTs in the first page as non-repeaters), ``walk(…,
  after=oid)`` (continue a walk after a row already read), ``stats`` (counters for
  benchmarks).
- ``SnmpOverloaded(SnmpError)``: a request waited its target's whole timeout budget for a
  place in the window while no request in flight finished (the poller was the bottleneck,
  not the device). Merely queueing behind other devices of a large round is not overload.

How it works. SNMPv1 and v2c use pysnmp's lower-level protocol API (``pysnmp.proto.api``
PDUs, pyasn1's BER codec) over one non-blocking UDP socket per address family, read by the
event loop: every datagram waiting is read at each wake-up, before the loop runs its due
timers, so a busy loop never times out an answer it has already received. A request is
encoded once and the same bytes are sent again on retry; GETs and GETNEXTs of the same OIDs
with the same community share one encoding, only the request-id differs. Answers are matched
by request-id and source address; a v1/v2c response is parsed by a small BER reader of its
own (``_parse_response``: what pyasn1's decoder gives, at a fraction of its cost, which was
half the poller's CPU), anything unusual goes through pyasn1 as before. At most ``window``
requests are in flight; a request that goes unanswered once gives its place up (its retries
are sent outside the window), so silent devices cost about one timeout per round, not one
per ``window`` of them. This is what made
pysnmp 2.6–3.2 × faster than net-snmp here (see shared/PERFORMANCE.md); the high-level
v3arch API registers every target in its engine and reported live devices down.

SNMPv3 needs the engine (USM: discovery, time windows, keys localised per engine): those
targets go through pysnmp's v3arch API (hlapi ``UsmUserData``, ``ContextData``,
``UdpTransportTarget`` and its target configurator, then the engine's command generators
with numeric varbinds, which skips ``get_cmd``'s MIB resolution), one ``SnmpEngine`` per
distinct set of v3 credentials (pysnmp keeps one USM entry per user name and copies it per
remote engine, so two key sets for one user name in one engine would silently use each
other's keys), inside the same window. pysnmp's error indications become ``SnmpTimeout``
(request timed out) or ``SnmpAuthError`` (unknown user, wrong digest, decryption error,
unsupported security level …). A wrong key together with a security level the user does
not have gets no answer an agent can authenticate: that is a timeout.

Secrets (community, keys) never appear in an error message or a ``repr``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import socket
import warnings
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902, rfc1905

from monitoring.snmp.decode import SnmpValue

DEFAULT_WINDOW = 150  # requests in flight at once (PERFORMANCE.md: 100–250 were best)
MAX_VARBINDS = 30  # per GET/GETNEXT PDU
MAX_REPETITIONS = 25  # per GETBULK of one column
BULK_VARBINDS = 48  # per GETBULK of several columns: repetitions = this // columns
WIDE_GUESS = 2  # a run of three columns or more (a table read for its rows) expects twice as many
REQUEST_COST = 10  # what one more request costs (agent and client), in variables returned
MAX_ROWS = 10_000  # per walked column: a sane bound against agents that never end
MAX_REASON = 200  # characters of a library's error text kept in a message
READ_BURST = 512  # datagrams read per wake-up at most, so a flood cannot starve the loop

AUTH_PROTOCOLS = ("MD5", "SHA", "SHA256", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES256")
MIN_KEY_LENGTH = 8  # RFC 3414: a shorter passphrase is refused

_V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
_V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

_NO_VALUE_TAGS = frozenset(
    {
        rfc1905.NoSuchObject.tagSet,
        rfc1905.NoSuchInstance.tagSet,
        rfc1905.EndOfMibView.tagSet,
        univ.Null.tagSet,
    }
)
_END_OF_MIB = rfc1905.EndOfMibView.tagSet
_IP_ADDRESS = rfc1902.IpAddress.tagSet
_RESPONSE = _V2C.GetResponsePDU.tagSet  # the v1 GetResponse-PDU has the same tag
_END = object()  # in a walk's page: this column has nothing more (endOfMibView, end of MIB)

# error-status values (RFC 3416)
_TOO_BIG = 1
_NO_SUCH_NAME = 2
# errors that point at one variable of a GET: that variable is not supported, the rest is
_PER_VARIABLE_ERRORS = frozenset({2, 3, 5, 6, 16})  # noSuchName badValue genErr noAccess authz

# Request-ids are kept in [2^24, 2^31): always four octets in BER, so a cached encoding can
# take a new id by replacing those four octets.
_ID_LOW = 1 << 24
_ID_HIGH = (1 << 31) - 1
_ID_PLACEHOLDER = 0x7EADBEEF
_TEMPLATE_CACHE_SIZE = 512


class SnmpError(Exception):
    """The device answered with an error, or the answer made no sense."""


class SnmpTimeout(SnmpError):
    """No answer within the target's timeout and retries."""


class SnmpAuthError(SnmpError):
    """SNMPv3 authentication or privacy failed (unknown user, wrong key or protocol)."""


class SnmpOverloaded(SnmpError):
    """The request could not even be sent within its timeout: the window was full."""


@dataclass(frozen=True)
class SnmpTarget:
    host: str
    port: int = 161
    version: str = "2c"  # "1", "2c", "3"
    community: str = "public"
    v3_user: str = ""
    auth_proto: str = ""  # "", "MD5", "SHA", "SHA256", "SHA512"
    auth_key: str = ""
    priv_proto: str = ""  # "", "DES", "AES", "AES256"
    priv_key: str = ""
    context: str = ""
    timeout: float = 2.0
    retries: int = 1
    key: object = None  # the caller's own id for this target (e.g. the monitored asset's pk)

    def __repr__(self) -> str:  # never print secrets
        return f"SnmpTarget({self.host}:{self.port} v{self.version} key={self.key!r})"

    @property
    def budget(self) -> float:
        """Return the longest one request may take: timeout × (retries + 1)."""
        return max(self.timeout, 0.0) * (max(self.retries, 0) + 1)


def oid_tuple(oid: str | Sequence[int]) -> tuple[int, ...]:
    """Return an OID as a tuple of ints, from a dotted string with or without a leading dot."""
    if isinstance(oid, str):
        return tuple(int(part) for part in oid.strip().strip(".").split("."))
    return tuple(int(part) for part in oid)


def oid_str(oid: Iterable[int]) -> str:
    """Return an OID as a dotted string without a leading dot."""
    return ".".join(map(str, oid))


def to_python(value: Any) -> SnmpValue:
    """Return a pyasn1/pysnmp SNMP value as the plain value of the SnmpValue contract."""
    tag = value.tagSet
    if tag in _NO_VALUE_TAGS:
        return None
    if tag == _IP_ADDRESS:
        return ".".join(str(octet) for octet in value.asOctets())
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks, Unsigned32
        return int(value)
    if isinstance(value, univ.OctetString):  # OCTET STRING, Opaque, BITS
        return value.asOctets()
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    return None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:MAX_REASON]


def _status_name(status: int) -> str:
    named = rfc1905.errorStatus.namedValues
    return str(named.getName(status)) if status in named else str(status)


@dataclass(eq=False)
class _Pending:
    future: asyncio.Future
    addr: tuple
    data: bytes
    sock: socket.socket
    timeout: float
    retries: int
    tries_left: int
    timer: asyncio.TimerHandle | None = None
    holds_slot: bool = True


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future
    budget: float
    timer: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class _Column:
    """One column of a side-by-side walk."""

    key: str
    root: tuple[int, ...]
    last: tuple[int, ...]
    rows: dict[str, SnmpValue] = field(default_factory=dict)
    done: bool = False


@dataclass(eq=False)
class _Stream:
    """A run of neighbouring columns of one entry (``low`` … ``high``), walked as one sequence
    of variables: the agent's order is column by column, so the run ends once, not per column.
    A single column (or any root) is a run of one: ``entry`` is then the root minus its last
    number."""

    entry: tuple[int, ...]
    low: int
    high: int
    columns: dict[int, _Column]
    last: tuple[int, ...]
    guess: int  # rows per column expected while no column of the entry is known to have ended
    done: bool = False

    @property
    def column(self) -> int:
        """Return the column the stream is in (its first before any row)."""
        depth = len(self.entry)
        if len(self.last) > depth and self.last[:depth] == self.entry:
            return max(self.low, min(self.last[depth], self.high))
        return self.low

    def rows_in(self, column: int) -> int:
        return len(self.columns[column].rows)


def column_runs(roots: Iterable[str]) -> list[list[str]]:
    """Return the roots grouped in runs of neighbouring columns of one entry (``….4``, ``….5``,
    ``….6``), each run in column order; a walk reads a run as one stream of variables."""
    by_entry: dict[tuple[int, ...], list[int]] = {}
    for root in _unique(roots):
        root_t = oid_tuple(root)
        by_entry.setdefault(root_t[:-1], []).append(root_t[-1])
    runs: list[list[str]] = []
    for entry, numbers in by_entry.items():
        run: list[int] = []
        for number in sorted(numbers):
            if run and number != run[-1] + 1:
                runs.append([oid_str((*entry, n)) for n in run])
                run = []
            run.append(number)
        runs.append([oid_str((*entry, n)) for n in run])
    return runs


class SnmpClient:
    """An SNMP manager for one poll round: ``async with SnmpClient() as client: …``."""

    def __init__(
        self,
        *,
        window: int = DEFAULT_WINDOW,
        max_varbinds: int = MAX_VARBINDS,
        max_repetitions: int = MAX_REPETITIONS,
        bulk_varbinds: int = BULK_VARBINDS,
        max_rows: int = MAX_ROWS,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self.max_varbinds = max(1, max_varbinds)
        self.max_repetitions = max(1, max_repetitions)
        self.bulk_varbinds = max(1, bulk_varbinds)
        self.max_rows = max(1, max_rows)
        # counters for benchmarks and debugging: requests, retries, answers, stray, garbage …
        self.stats: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy = 0
        self._waiters: deque[_Waiter] = deque()
        self._last_progress = 0.0
        self._pending: dict[int, _Pending] = {}
        self._sockets: dict[int, socket.socket] = {}
        self._addresses: dict[tuple[str, int], tuple[tuple, int]] = {}
        self._templates: dict[tuple, tuple[bytes, bytes]] = {}
        self._next_id = random.randrange(_ID_LOW, _ID_HIGH)  # noqa: S311 (an id, not a secret)
        self._v3: _V3 | None = None
        self._closed = False

    # -- life cycle -------------------------------------------------------------------------

    async def __aenter__(self) -> SnmpClient:
        self._loop = asyncio.get_running_loop()
        self._last_progress = self._loop.time()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Fail what is still pending, close the sockets and the SNMPv3 engines."""
        if self._closed:
            return
        self._closed = True
        closed = SnmpError("the SNMP client was closed")
        for pending in list(self._pending.values()):
            if pending.timer is not None:
                pending.timer.cancel()
            if not pending.future.done():
                pending.future.set_exception(closed)
        self._pending.clear()
        for waiter in self._waiters:
            if waiter.timer is not None:
                waiter.timer.cancel()
            if not waiter.future.done():
                waiter.future.set_exception(closed)
        self._waiters.clear()
        for sock in self._sockets.values():
            if self._loop is not None:
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._sockets.clear()
        if self._v3 is not None:
            self._v3.close()
            self._v3 = None

    # -- public API ---------------------------------------------------------------------------

    async def get(self, target: SnmpTarget, oids: Iterable[str]) -> dict[str, SnmpValue]:
        """Return {oid: value} for each OID asked (None: not supported by this device)."""
        values, _rtt = await self.get_timed(target, oids)
        return values

    async def get_timed(
        self, target: SnmpTarget, oids: Iterable[str]
    ) -> tuple[dict[str, SnmpValue], float]:
        """Return the GET's values and the milliseconds until the device's first answer."""
        wanted = _unique(oids)
        if not wanted:
            return {}, 0.0
        if target.version == "3":
            return await self._v3_session().get(target, wanted)
        values: dict[str, SnmpValue] = {}
        first_rtt: float | None = None
        # one PDU after the other: a silent device fails on the first and holds one place
        for start in range(0, len(wanted), self.max_varbinds):
            chunk = wanted[start : start + self.max_varbinds]
            chunk_values, rtt = await self._get_pdu(target, chunk, next_=False)
            values.update(chunk_values)
            first_rtt = rtt if first_rtt is None else first_rtt
        return {oid: values[oid] for oid in wanted}, first_rtt or 0.0

    async def get_next(
        self, target: SnmpTarget, oids: Iterable[str]
    ) -> dict[str, tuple[str, SnmpValue] | None]:
        """Return {oid: (next OID, its value)} for each OID asked; None when nothing follows."""
        found, _rtt = await self.get_next_timed(target, oids)
        return found

    async def get_next_timed(
        self, target: SnmpTarget, oids: Iterable[str]
    ) -> tuple[dict[str, tuple[str, SnmpValue] | None], float]:
        """Return the GETNEXT's answers and the milliseconds until the first answer."""
        wanted = _unique(oids)
        if not wanted:
            return {}, 0.0
        if target.version == "3":
            return await self._v3_session().get_next(target, wanted)
        result: dict[str, tuple[str, SnmpValue] | None] = {}
        first_rtt: float | None = None
        for start in range(0, len(wanted), self.max_varbinds):
            chunk = wanted[start : start + self.max_varbinds]
            chunk_values, rtt = await self._get_pdu(target, chunk, next_=True)
            result.update(chunk_values)
            first_rtt = rtt if first_rtt is None else first_rtt
        return {oid: result[oid] for oid in wanted}, first_rtt or 0.0

    async def walk(
        self, target: SnmpTarget, root: str, *, after: str | None = None
    ) -> dict[str, SnmpValue]:
        """Return {oid: value} of every variable under ``root`` (after ``after`` if given).

        GETBULK for v2c and v3, GETNEXT for v1. Stops at the end of the subtree, at
        endOfMibView, at an OID that does not increase, or after ``max_rows`` rows.
        """
        key = oid_str(oid_tuple(root))
        walked = await self.walk_many(target, [key], after={key: after} if after else None)
        return walked[key]

    async def walk_many(
        self,
        target: SnmpTarget,
        roots: Iterable[str],
        *,
        after: Mapping[str, str] | None = None,
        first_rows: int | None = None,
        known: Mapping[str, tuple[str, SnmpValue] | None] | None = None,
        probes: Sequence[str] = (),
        probed: dict[str, tuple[str, SnmpValue] | None] | None = None,
    ) -> dict[str, dict[str, SnmpValue]]:
        """Walk several columns; return {root: {oid: value}} for each root.

        Neighbouring columns of one entry (``column_runs``) are walked as one stream of
        variables, in the agent's order, so a table's end costs one variable per run, not one
        per column; each page is one GETBULK per group of streams needing about as many
        variables (GETNEXT for v1), each stream ending on its own, by the same rules as
        ``walk``. A stream asks for what it still needs: once a column of an entry has ended,
        that many rows for each of the entry's columns left; before, ``first_rows`` rows per
        column (``max_repetitions`` if not given), twice as many each page after, and the
        entry's other runs as many as its first has read.
        ``known``: the answer of a GETNEXT of a run's first column, already read (None:
        nothing follows it), which the walk takes as its first variable. ``probes``: OIDs
        whose GETNEXT rides in the first page (GETBULK non-repeaters), answered in ``probed``
        as ``get_next`` would (left out if the agent gave no answer for them).
        """
        after = after or {}
        known = known or {}
        guess = max(1, first_rows or self.max_repetitions)
        result: dict[str, dict[str, SnmpValue]] = {}
        streams: list[_Stream] = []
        for run in column_runs(roots):
            # a column continued after a row already read is walked on its own
            parts = [[root] for root in run] if any(root in after for root in run) else [run]
            for part in parts:
                first = oid_tuple(part[0])
                entry = first[:-1]
                columns = {}
                for root in part:
                    root_t = oid_tuple(root)
                    columns[root_t[-1]] = _Column(root, root_t, root_t)
                    result[root] = columns[root_t[-1]].rows
                start = after.get(part[0]) if len(part) == 1 else None
                stream = _Stream(
                    entry=entry,
                    low=first[-1],
                    high=oid_tuple(part[-1])[-1],
                    columns=columns,
                    last=oid_tuple(start) if start else first,
                    guess=guess * WIDE_GUESS if first_rows and len(part) >= 3 else guess,
                )
                streams.append(stream)
                if part[0] in known and not start:
                    row = known[part[0]]
                    page = [(first, _END)] if row is None else [(oid_tuple(row[0]), row[1])]
                    _advance([stream], page, self.max_rows)
        ended: dict[tuple[int, ...], int] = {}  # entry → rows of a column known to have ended
        riding = _unique(probes)
        if riding and not any(not stream.done for stream in streams):
            answers = await self.get_next(target, riding)
            if probed is not None:
                probed.update(answers)
            riding = []
        ordered = _unique(roots)
        while True:
            active = [stream for stream in streams if not stream.done]
            if not active:
                break
            v1 = target.version == "1"  # GETNEXT: one row per stream, whatever is asked
            groups, singles = ([(active, 1)], []) if v1 else self._page_groups(active, ended)

            async def fetch(
                group: list[_Stream], repetitions: int, probes: list[str], singles: list[_Stream]
            ) -> list[tuple[list[_Stream], list]]:
                """One request: ``probes`` and ``singles`` (streams wanting one variable) as
                non-repeaters, then ``group``; return (streams, their page) pairs."""
                extra = [*probes, *(oid_str(stream.last) for stream in singles)]
                if target.version == "3":
                    varbinds = await self._v3_session().bulk(
                        target, [stream.last for stream in group], repetitions, extra
                    )
                elif target.version == "1":
                    varbinds = await self._next_varbinds(target, group, extra)
                else:
                    varbinds = await self._bulk_varbinds(target, group, repetitions, extra)
                if probed is not None:
                    for oid, (name, value) in zip(probes, varbinds, strict=False):
                        probed[oid] = None if value is _END else (oid_str(name), value)
                width = len(probes) + len(singles)
                if len(varbinds) < width:  # no answer (an agent that ends the MIB like v1)
                    return [(singles, []), (group, [])]
                return [(singles, varbinds[len(probes) : width]), (group, varbinds[width:])]

            pages = await _gather_all(
                [
                    fetch(group, repetitions, *((riding, singles) if index == 0 else ([], [])))
                    for index, (group, repetitions) in enumerate(groups)
                ]
            )
            riding = []
            for group, varbinds in (pair for page in pages for pair in page):
                if not group:
                    continue
                before = {id(stream): stream.column for stream in group}
                if not _advance(group, varbinds, self.max_rows):
                    for stream in group:  # an answer that moves no stream would loop forever
                        stream.done = True
                for stream in group:
                    now = stream.column
                    for number in range(before[id(stream)], now if not stream.done else now + 1):
                        rows = stream.rows_in(number)
                        if rows:
                            ended[stream.entry] = max(ended.get(stream.entry, 0), rows)
                    if not stream.done and stream.entry not in ended:
                        stream.guess = 2 * max(stream.guess, stream.rows_in(now))
        return {root: result[root] for root in ordered}

    def _page_groups(
        self, active: list[_Stream], ended: Mapping[tuple[int, ...], int]
    ) -> tuple[list[tuple[list[_Stream], int]], list[_Stream]]:
        """Split the streams into GETBULKs: (streams, repetitions) each, so that the variables
        asked past what each stream needs, plus ``REQUEST_COST`` per request, are fewest; and
        return apart the streams that need one variable (the first GETBULK's non-repeaters).
        """
        needs = []
        leaders: dict[tuple[int, ...], _Stream] = {}
        for stream in active:
            if stream.entry not in ended and leaders.get(stream.entry, stream).low >= stream.low:
                leaders[stream.entry] = stream
        for stream in active:
            rows = ended.get(stream.entry) or stream.guess
            leader = leaders.get(stream.entry, stream)
            if leader is not stream:
                # the entry's first run has not told how many rows there are yet: ask as
                # many as it does
                rows = max(1, leader.guess, leader.rows_in(leader.column))
            column = stream.column
            need = max(rows - stream.rows_in(column), 0) + rows * (stream.high - column) + 1
            needs.append((max(1, min(need, self.max_repetitions)), stream))
        needs.sort(key=lambda pair: pair[0])
        singles = [stream for need, stream in needs if need == 1]
        if len(singles) < len(needs):
            needs = needs[len(singles) :]
        else:
            singles = []
        count = len(needs)

        def repetitions(i: int, j: int) -> int:  # streams i … j-1 in one GETBULK
            return max(1, min(needs[j - 1][0], self.bulk_varbinds // (j - i)))

        best = [0.0] + [float("inf")] * count
        cut = [0] * (count + 1)
        for j in range(1, count + 1):
            for i in range(j):
                cost = best[i] + REQUEST_COST + repetitions(i, j) * (j - i)
                if cost < best[j]:
                    best[j], cut[j] = cost, i
        groups = []
        j = count
        while j > 0:
            i = cut[j]
            groups.append(([stream for _need, stream in needs[i:j]], repetitions(i, j)))
            j = i
        return groups[::-1], singles

    # -- v1/v2c requests --------------------------------------------------------------------

    async def _get_pdu(
        self, target: SnmpTarget, oids: list[str], *, next_: bool
    ) -> tuple[dict[str, Any], float]:
        """GET (or GETNEXT) a few OIDs in one PDU, handling tooBig and per-variable errors."""
        pmod = self._pmod(target)
        result: dict[str, Any] = {}
        remaining = list(oids)
        first_rtt: float | None = None
        while remaining:
            pdu_class = pmod.GetNextRequestPDU if next_ else pmod.GetRequestPDU
            response, rtt = await self._exchange(target, pmod, pdu_class, remaining, cache=True)
            first_rtt = rtt if first_rtt is None else first_rtt
            status = response.status
            if status == 0:
                varbinds = response.varbinds
                if len(varbinds) != len(remaining):
                    raise SnmpError(
                        f"the answer holds {len(varbinds)} values for {len(remaining)} asked"
                    )
                for oid, (name, value) in zip(remaining, varbinds, strict=True):
                    if value is _END:
                        result[oid] = None
                    elif not next_:
                        result[oid] = value
                    else:
                        result[oid] = (oid_str(name), value)
                break
            if status == _TOO_BIG and len(remaining) > 1:
                half = len(remaining) // 2
                for part in (remaining[:half], remaining[half:]):
                    part_values, _rtt = await self._get_pdu(target, part, next_=next_)
                    result.update(part_values)
                break
            index = response.index
            if status in _PER_VARIABLE_ERRORS and 1 <= index <= len(remaining):
                # v1 answers noSuchName for a missing OID (and at the end of the MIB for a
                # GETNEXT) and drops the whole PDU: mark that one and ask again for the rest
                failed = remaining.pop(index - 1)
                result[failed] = None
                if next_ and status == _NO_SUCH_NAME:
                    # nothing follows it, so nothing follows any OID after it either
                    last = oid_tuple(failed)
                    for oid in [oid for oid in remaining if oid_tuple(oid) >= last]:
                        result[oid] = None
                        remaining.remove(oid)
                continue
            raise SnmpError(f"the device answered with error {_status_name(status)}")
        return result, first_rtt or 0.0

    async def _next_varbinds(
        self, target: SnmpTarget, active: list[_Stream], probes: Sequence[str] = ()
    ) -> list:
        """v1: one GETNEXT of ``probes`` and a row of the active streams, as (name, value)
        pairs in order."""
        asked = [*probes, *(oid_str(stream.last) for stream in active)]
        found = await self.get_next(target, asked)
        varbinds = []
        for oid in asked:
            row = found.get(oid)
            if row is None:
                varbinds.append((oid_tuple(oid), _END))
            else:
                varbinds.append((oid_tuple(row[0]), row[1]))
        return varbinds

    async def _bulk_varbinds(
        self,
        target: SnmpTarget,
        active: list[_Stream],
        repetitions: int,
        probes: Sequence[str] = (),
    ) -> list:
        """v2c: one GETBULK page for the active streams, after the non-repeaters ``probes``,
        as (name, value) pairs in order."""
        pmod = _V2C
        while True:
            response, _rtt = await self._exchange(
                target,
                pmod,
                pmod.GetBulkRequestPDU,
                [*probes, *(stream.last for stream in active)],
                repetitions=repetitions,
                non_repeaters=len(probes),
            )
            status = response.status
            if status == 0:
                return response.varbinds
            if status == _NO_SUCH_NAME:
                return []  # an agent that answers GETBULK like v1 at the end of the MIB
            if status == _TOO_BIG and repetitions > 1:
                repetitions = max(1, repetitions // 2)
                continue
            if status == _TOO_BIG and len(active) > 1:
                half = len(active) // 2
                first = await self._bulk_varbinds(target, active[:half], 1, probes)
                second = await self._bulk_varbinds(target, active[half:], 1)
                width = len(probes)
                return first[:width] + _interleave(first[width:], half, second, len(active) - half)
            raise SnmpError(f"the device answered with error {_status_name(status)}")

    def _pmod(self, target: SnmpTarget) -> Any:
        if target.version == "1":
            return _V1
        if target.version == "2c":
            return _V2C
        raise SnmpError(f"unknown SNMP version {target.version!r}")

    async def _exchange(
        self,
        target: SnmpTarget,
        pmod: Any,
        pdu_class: Any,
        oids: Sequence[str | tuple[int, ...]],
        *,
        repetitions: int = 0,
        non_repeaters: int = 0,
        cache: bool = False,
    ) -> tuple[Any, float]:
        """Send one request (and its retries); return the response PDU and the RTT in ms."""
        addr, family = await self._resolve(target)
        sock = self._socket(family)
        await self._acquire(target)
        loop = self._loop
        assert loop is not None
        request_id = self._new_request_id()
        pending: _Pending | None = None
        try:
            data = self._encode(
                target, pmod, pdu_class, request_id, oids, repetitions, cache, non_repeaters
            )
            pending = _Pending(
                future=loop.create_future(),
                addr=addr,
                data=data,
                sock=sock,
                timeout=max(target.timeout, 0.001),
                retries=max(target.retries, 0),
                tries_left=max(target.retries, 0),
            )
            self._pending[request_id] = pending
            started = loop.time()
            self._send(pending)
            self.stats["requests"] += 1
            pending.timer = loop.call_later(pending.timeout, self._on_timer, request_id)
            response = await pending.future
            return response, (loop.time() - started) * 1000
        finally:
            self._pending.pop(request_id, None)
            if pending is not None and pending.timer is not None:
                pending.timer.cancel()
            if pending is None or pending.holds_slot:
                self._release()

    def _encode(
        self,
        target: SnmpTarget,
        pmod: Any,
        pdu_class: Any,
        request_id: int,
        oids: Sequence[str | tuple[int, ...]],
        repetitions: int,
        cache: bool,
        non_repeaters: int = 0,
    ) -> bytes:
        """Return the request's BER bytes (from a cached encoding when the same was sent)."""
        if not cache:
            return self._encode_message(
                target, pmod, pdu_class, request_id, oids, repetitions, non_repeaters
            )
        key = (pmod is _V1, target.community, pdu_class.tagSet, tuple(oids), repetitions)
        template = self._templates.get(key)
        if template is None:
            encoded = self._encode_message(
                target, pmod, pdu_class, _ID_PLACEHOLDER, oids, repetitions
            )
            marker = b"\x02\x04" + _ID_PLACEHOLDER.to_bytes(4, "big")
            if encoded.count(marker) != 1:  # cannot tell the id from the rest: no template
                return self._encode_message(target, pmod, pdu_class, request_id, oids, repetitions)
            head, tail = encoded.split(marker)
            template = (head + b"\x02\x04", tail)
            if len(self._templates) >= _TEMPLATE_CACHE_SIZE:
                self._templates.clear()
            self._templates[key] = template
        return template[0] + request_id.to_bytes(4, "big") + template[1]

    @staticmethod
    def _encode_message(
        target: SnmpTarget,
        pmod: Any,
        pdu_class: Any,
        request_id: int,
        oids: Sequence[str | tuple[int, ...]],
        repetitions: int,
        non_repeaters: int = 0,
    ) -> bytes:
        pdu = pdu_class()
        if pdu_class is _V2C.GetBulkRequestPDU:
            _V2C.apiBulkPDU.set_defaults(pdu)
            _V2C.apiBulkPDU.set_non_repeaters(pdu, non_repeaters)
            _V2C.apiBulkPDU.set_max_repetitions(pdu, repetitions)
        else:
            pmod.apiPDU.set_defaults(pdu)
        pmod.apiPDU.set_request_id(pdu, request_id)
        pmod.apiPDU.set_varbinds(
            pdu, [(pmod.ObjectIdentifier(oid_tuple(oid)), pmod.null) for oid in oids]
        )
        message = pmod.Message()
        pmod.apiMessage.set_defaults(message)
        pmod.apiMessage.set_community(message, target.community)
        pmod.apiMessage.set_pdu(message, pdu)
        return encoder.encode(message)

    def _new_request_id(self) -> int:
        while True:
            self._next_id = self._next_id + 1 if self._next_id < _ID_HIGH else _ID_LOW
            if self._next_id not in self._pending:
                return self._next_id

    def _send(self, pending: _Pending) -> None:
        try:
            pending.sock.sendto(pending.data, pending.addr)
        except (BlockingIOError, InterruptedError):
            self.stats["send_full"] += 1  # the socket buffer is full: the retry resends
        except OSError as exc:  # no route, network down …: this request cannot be sent
            self.stats["send_errors"] += 1
            if not pending.future.done():
                pending.future.set_exception(SnmpError(f"cannot send: {_reason(exc)}"))

    def _on_timer(self, request_id: int) -> None:
        pending = self._pending.get(request_id)
        if pending is None or pending.future.done():
            return
        if pending.tries_left > 0:
            pending.tries_left -= 1
            if pending.holds_slot:
                # Unanswered once: most likely silent. Its retries go on outside the window,
                # so silent devices do not keep live ones waiting.
                pending.holds_slot = False
                self._release()
            self._send(pending)  # the same bytes, the same request-id
            self.stats["retries"] += 1
            assert self._loop is not None
            pending.timer = self._loop.call_later(pending.timeout, self._on_timer, request_id)
            return
        self.stats["timeouts"] += 1
        tries = pending.retries + 1
        pending.future.set_exception(
            SnmpTimeout(
                f"no answer within {pending.timeout * tries:g} s ({tries} × {pending.timeout:g} s)"
            )
        )

    def _on_readable(self, sock: socket.socket) -> None:
        """Read every datagram waiting (up to a burst) and hand each to its request."""
        for _ in range(READ_BURST):
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. an ICMP error reported on the socket
                self.stats["socket_errors"] += 1
                continue
            self._on_datagram(data, addr)

    def _on_datagram(self, data: bytes, addr: tuple) -> None:
        answer = _parse_response(data)  # the common case, without pyasn1's decoder
        if answer is None:
            try:
                version = int(api.decodeMessageVersion(data))
                pmod = api.PROTOCOL_MODULES[version]
                message, _rest = decoder.decode(data, asn1Spec=pmod.Message())
                pdu = pmod.apiMessage.get_pdu(message)
                request_id = int(pmod.apiPDU.get_request_id(pdu))
                if pdu.tagSet == _RESPONSE:
                    answer = _Answer(
                        request_id,
                        int(pdu[1]),
                        int(pdu[2]),
                        [
                            (tuple(name), _END if value.tagSet == _END_OF_MIB else to_python(value))
                            for name, value in pmod.apiPDU.get_varbinds(pdu)
                        ],
                    )
            except Exception as exc:  # anything a datagram can make pyasn1 raise
                self._on_garbage(addr, exc)
                return
        else:
            request_id = answer.request_id
        pending = self._pending.get(request_id)
        if pending is None or pending.future.done() or pending.addr[:2] != addr[:2]:
            self.stats["stray"] += 1  # a late answer to a retried request, or not ours
            return
        if answer is None:  # not a response PDU
            self.stats["stray"] += 1
            return
        self.stats["answers"] += 1
        self.stats["varbinds"] += len(answer.varbinds)
        pending.future.set_result(answer)

    def _on_garbage(self, addr: tuple, exc: Exception) -> None:
        """Fail the requests waiting on an address that answered with something not SNMP."""
        self.stats["garbage"] += 1
        for pending in self._pending.values():
            if pending.addr[:2] == addr[:2] and not pending.future.done():
                pending.future.set_exception(
                    SnmpError(f"the device's answer is not valid SNMP ({_reason(exc)})")
                )

    # -- the window -----------------------------------------------------------------------

    async def _acquire(self, target: SnmpTarget) -> None:
        """Take a place in the window (FIFO), or fail with SnmpOverloaded.

        A waiter fails only when it has waited its target's whole timeout budget and no
        request finished (or gave its place up) meanwhile: the window was stuck, or the
        event loop was. Waiting in a long queue that moves is normal in a large round.
        """
        if self._closed:
            raise SnmpError("the SNMP client was closed")
        if self._busy < self.window and not self._waiters:
            self._busy += 1
            return
        loop = self._loop
        assert loop is not None
        waiter = _Waiter(future=loop.create_future(), budget=max(target.budget, 0.001))
        self._waiters.append(waiter)
        waiter.timer = loop.call_later(waiter.budget, self._check_waiter, waiter)
        try:
            await waiter.future  # _release hands its place over: _busy stays the same
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._release()
            raise
        finally:
            if waiter.timer is not None:
                waiter.timer.cancel()

    def _check_waiter(self, waiter: _Waiter) -> None:
        if waiter.future.done():
            return
        loop = self._loop
        assert loop is not None
        stuck_for = loop.time() - self._last_progress
        if stuck_for < waiter.budget:
            waiter.timer = loop.call_later(waiter.budget - stuck_for, self._check_waiter, waiter)
            return
        self.stats["overloaded"] += 1
        waiter.future.set_exception(
            SnmpOverloaded(
                f"the request could not be sent within {waiter.budget:g} s: "
                f"{self.window} requests in flight and none finished"
            )
        )
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)

    def _release(self) -> None:
        if self._loop is not None:
            self._last_progress = self._loop.time()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.future.done():
                waiter.future.set_result(None)
                return
        self._busy -= 1

    # -- addresses and sockets ------------------------------------------------------------

    async def _resolve(self, target: SnmpTarget) -> tuple[tuple, int]:
        key = (target.host, target.port)
        found = self._addresses.get(key)
        if found is not None:
            return found
        host = target.host.strip().strip("[]")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            assert self._loop is not None
            try:
                infos = await self._loop.getaddrinfo(
                    host, target.port, type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP
                )
            except OSError as exc:
                raise SnmpError(f"cannot resolve {host}: {_reason(exc)}") from exc
            if not infos:
                raise SnmpError(f"cannot resolve {host}") from None
            infos.sort(key=lambda info: info[0] != socket.AF_INET)  # IPv4 first
            family, sockaddr = infos[0][0], infos[0][4]
            found = (tuple(sockaddr), family)
        else:
            if ip.version == 4:
                found = ((str(ip), target.port), socket.AF_INET)
            else:
                found = ((str(ip), target.port, 0, 0), socket.AF_INET6)
        self._addresses[key] = found
        return found

    def _socket(self, family: int) -> socket.socket:
        sock = self._sockets.get(family)
        if sock is not None:
            return sock
        if self._closed or self._loop is None:
            raise SnmpError("the SNMP client is not open: use 'async with SnmpClient()'")
        local = ("0.0.0.0", 0) if family == socket.AF_INET else ("::", 0)  # noqa: S104
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                with contextlib.suppress(OSError):  # room for a window of answers at once
                    sock.setsockopt(socket.SOL_SOCKET, option, 4 * 1024 * 1024)
            sock.bind(local)
        except OSError as exc:
            raise SnmpError(f"cannot open a UDP socket: {_reason(exc)}") from exc
        self._loop.add_reader(sock.fileno(), self._on_readable, sock)
        self._sockets[family] = sock
        return sock

    def _v3_session(self) -> _V3:
        if self._closed:
            raise SnmpError("the SNMP client was closed")
        if self._v3 is None:
            self._v3 = _V3(self)
        return self._v3


@dataclass(slots=True)
class _Answer:
    """A response PDU: its varbinds as (name tuple, plain value or _END)."""

    request_id: int
    status: int
    index: int
    varbinds: list[tuple[tuple[int, ...], Any]]


class _Unusual(Exception):
    """Something the fast parser leaves to pyasn1 (which decides whether it is garbage)."""


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Return (tag, start of content, end of content) of the BER element at ``pos``."""
    if pos + 2 > end:
        raise _Unusual
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        octets = length & 0x7F
        if not 0 < octets <= 4 or pos + octets > end:
            raise _Unusual
        length = int.from_bytes(data[pos : pos + octets], "big")
        pos += octets
    if tag & 0x1F == 0x1F or pos + length > end:
        raise _Unusual
    return tag, pos, pos + length


def _decode_oid(data: bytes) -> tuple[int, ...]:
    if not data or data[-1] & 0x80:
        raise _Unusual
    arcs: list[int] = []
    value = 0
    for octet in data:
        if value == 0 and octet == 0x80:
            raise _Unusual  # a non-minimal encoding: pyasn1's business
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


_INT32 = (-(1 << 31), (1 << 31) - 1)
_UNSIGNED_RANGES = {0x41: 32, 0x42: 32, 0x43: 32, 0x46: 64, 0x47: 32}  # Counter32 … Counter64


def _parse_response(data: bytes) -> _Answer | None:
    """Return the SNMPv1/v2c response in ``data``, or None for anything else or unusual (then
    pyasn1 decodes it as before). The values are those ``to_python`` gives."""
    try:
        end = len(data)
        tag, pos, end = _tlv(data, 0, end)
        if tag != 0x30:
            return None
        tag, start, stop = _tlv(data, pos, end)
        if tag != 0x02 or stop - start != 1 or data[start] not in (0, 1):
            return None
        v2c = data[start] == 1
        tag, start, pos = _tlv(data, stop, end)  # community
        if tag != 0x04:
            return None
        tag, pos, pdu_end = _tlv(data, pos, end)
        if tag != 0xA2 or pdu_end != end:  # GetResponse-PDU, the message's last element
            return None
        numbers = []
        for _ in range(3):
            tag, start, pos = _tlv(data, pos, pdu_end)
            if tag != 0x02 or not 0 < pos - start <= 5:
                return None
            numbers.append(int.from_bytes(data[start:pos], "big", signed=True))
        tag, pos, list_end = _tlv(data, pos, pdu_end)
        if tag != 0x30 or list_end != pdu_end:
            return None
        varbinds = []
        while pos < list_end:
            tag, start, pos = _tlv(data, pos, list_end)
            if tag != 0x30:
                return None
            tag, name_start, name_end = _tlv(data, start, pos)
            if tag != 0x06:
                return None
            name = _decode_oid(data[name_start:name_end])
            tag, start, stop = _tlv(data, name_end, pos)
            if stop != pos:
                return None
            raw = data[start:stop]
            value: Any
            if tag == 0x02:
                if not raw:
                    return None
                value = int.from_bytes(raw, "big", signed=True)
                if not _INT32[0] <= value <= _INT32[1]:
                    return None
            elif tag in (0x04, 0x44):  # OCTET STRING, Opaque
                value = bytes(raw)
            elif tag == 0x05 and not raw:
                value = None
            elif tag == 0x06:
                value = oid_str(_decode_oid(raw))
            elif tag == 0x40 and len(raw) == 4:
                value = ".".join(str(octet) for octet in raw)
            elif tag in _UNSIGNED_RANGES and (v2c or tag != 0x46):
                if not raw:
                    return None
                value = int.from_bytes(raw, "big", signed=True)
                if not 0 <= value < 1 << _UNSIGNED_RANGES[tag]:
                    return None
            elif v2c and tag in (0x80, 0x81) and not raw:
                value = None  # noSuchObject, noSuchInstance
            elif v2c and tag == 0x82 and not raw:
                value = _END
            else:
                return None
            varbinds.append((name, value))
        return _Answer(numbers[0], numbers[1], numbers[2], varbinds)
    except (_Unusual, IndexError):
        return None


def _unique(oids: Iterable[str]) -> list[str]:
    """Return the OIDs normalised (no leading dot), each once, in their order."""
    return list(dict.fromkeys(oid_str(oid_tuple(oid)) for oid in oids))


async def _gather_all(calls: list) -> list:
    """Await the calls together; raise the first failure once all have ended."""
    if len(calls) == 1:
        return [await calls[0]]
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def _advance(active: list[_Stream], varbinds: list, max_rows: int) -> bool:
    """Take a page of (name tuple, value or _END) into the streams; True if any stream moved
    forward. Varbind ``j`` belongs to stream ``j % len(active)`` (RFC 3416)."""
    if not varbinds:
        for stream in active:
            stream.done = True
        return False
    moved = False
    width = len(active)
    skipping: set[int] = set()  # streams that jumped past a full column within this page
    for position, (name, value) in enumerate(varbinds):
        stream = active[position % width]
        if stream.done:
            continue
        if name <= stream.last:
            if id(stream) in skipping:
                continue  # rows of the full column this stream has jumped past
            stream.done = True  # an agent that does not move forward would loop forever
            continue
        depth = len(stream.entry)
        if (
            value is _END
            or len(name) <= depth
            or name[:depth] != stream.entry
            or not stream.low <= name[depth] <= stream.high  # left the run
        ):
            stream.done = True
            continue
        stream.last = name
        moved = True
        if len(name) == depth + 1:
            continue  # the column's own OID: not a row (a walk of that column skips it)
        number = name[depth]
        column = stream.columns[number]
        column.rows[oid_str(name)] = value
        if len(column.rows) >= max_rows:
            if number >= stream.high:
                stream.done = True
            else:  # the next column starts where a walk of it alone would
                stream.last = (*stream.entry, number + 1)
                skipping.add(id(stream))
    return moved


def _interleave(first: list, first_width: int, second: list, second_width: int) -> list:
    """Merge two one-row pages of split columns back into one row in column order."""
    if len(first) < first_width or len(second) < second_width:
        return []
    return first[:first_width] + second[:second_width]


# -- SNMPv3 ------------------------------------------------------------------------------------


class _V3:
    """SNMPv3 through pysnmp's engine (USM). One engine per distinct set of credentials."""

    def __init__(self, client: SnmpClient) -> None:
        with warnings.catch_warnings():  # pysnmp imports names pysmi 2 has deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            from pysnmp.entity.rfc3413 import cmdgen
            from pysnmp.hlapi.v3arch import asyncio as hlapi
            from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator

        self.client = client
        self.hlapi = hlapi
        self.cmdgen = cmdgen
        self.lcd = CommandGeneratorLcdConfigurator()
        self._engines: dict[tuple, Any] = {}
        self._transports: dict[tuple, Any] = {}

    def close(self) -> None:
        for engine in self._engines.values():
            try:
                engine.close_dispatcher()
            except Exception:  # closing must never hide the round's own outcome
                self.client.stats["close_errors"] += 1
        self._engines.clear()
        self._transports.clear()

    async def get(self, target: SnmpTarget, oids: list[str]) -> tuple[dict[str, SnmpValue], float]:
        values: dict[str, SnmpValue] = {}
        first_rtt: float | None = None
        for start in range(0, len(oids), self.client.max_varbinds):
            chunk = oids[start : start + self.client.max_varbinds]
            varbinds, rtt = await self._call(target, "get", chunk)
            for oid, (_name, value) in zip(chunk, varbinds, strict=True):
                values[oid] = to_python(value)
            first_rtt = rtt if first_rtt is None else first_rtt
        return values, first_rtt or 0.0

    async def get_next(
        self, target: SnmpTarget, oids: list[str]
    ) -> tuple[dict[str, tuple[str, SnmpValue] | None], float]:
        result: dict[str, tuple[str, SnmpValue] | None] = {}
        first_rtt: float | None = None
        for start in range(0, len(oids), self.client.max_varbinds):
            chunk = oids[start : start + self.client.max_varbinds]
            varbinds, rtt = await self._call(target, "next", chunk)
            for oid, (name, value) in zip(chunk, varbinds, strict=True):
                if value.tagSet == _END_OF_MIB:
                    result[oid] = None
                else:
                    result[oid] = (oid_str(name), to_python(value))
            first_rtt = rtt if first_rtt is None else first_rtt
        return result, first_rtt or 0.0

    async def bulk(
        self,
        target: SnmpTarget,
        afters: list[tuple[int, ...]],
        repetitions: int,
        probes: Sequence[str] = (),
    ) -> list:
        varbinds, _rtt = await self._call(
            target,
            "bulk",
            [*probes, *(oid_str(oid) for oid in afters)],
            repetitions,
            len(probes),
        )
        return [
            (name, _END if value.tagSet == _END_OF_MIB else to_python(value))
            for name, value in varbinds
        ]

    async def _call(
        self,
        target: SnmpTarget,
        kind: str,
        oids: list[str],
        repetitions: int = 0,
        non_repeaters: int = 0,
    ) -> tuple[list[tuple[tuple[int, ...], Any]], float]:
        """Send one request through the engine; return (name, pysnmp value) pairs and RTT.

        The hlapi's configurator registers the credentials and the target (``LCD``); the
        request goes through the engine's command generators with numeric varbinds, which
        skips ``get_cmd``'s MIB resolution (half a second per engine, for nothing here).
        """
        engine = self._engine(target)
        auth = self._auth(target)
        transport = await self._transport(target)
        context = self.hlapi.ContextData(contextName=target.context)
        varbinds = [(rfc1902.ObjectName(oid_tuple(oid)), rfc1902.Null("")) for oid in oids]
        client = self.client
        await client._acquire(target)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def done(engine, handle, indication, status, index, answered, context) -> None:
            if not future.done():
                future.set_result((indication, status, index, answered))

        started = loop.time()
        try:
            client.stats["requests"] += 1
            address, _params = self.lcd.configure(engine, auth, transport, context.contextName)
            where = (engine, address, context.contextEngineId, context.contextName)
            if kind == "get":
                self.cmdgen.GetCommandGenerator().send_varbinds(*where, varbinds, done)
            elif kind == "next":
                self.cmdgen.NextCommandGeneratorSingleRun().send_varbinds(*where, varbinds, done)
            else:
                self.cmdgen.BulkCommandGeneratorSingleRun().send_varbinds(
                    *where, non_repeaters, repetitions, varbinds, done
                )
            error_indication, error_status, error_index, answered = await future
        except Exception as exc:  # pysnmp raises its own errors for settings it refuses
            raise SnmpError(f"SNMPv3 request failed: {_reason(exc)}") from exc
        finally:
            client._release()
        rtt = (loop.time() - started) * 1000
        if error_indication:
            raise _v3_error(error_indication, target)
        status = int(error_status or 0)
        if status:
            index = int(error_index or 0)
            if kind != "bulk" and status in _PER_VARIABLE_ERRORS and 1 <= index <= len(oids):
                rest = oids[: index - 1] + oids[index:]
                others: list = []
                if rest:
                    others, _rtt = await self._call(target, kind, rest, repetitions)
                missing = rfc1905.endOfMibView if kind == "next" else rfc1905.noSuchInstance
                return [
                    *others[: index - 1],
                    (oid_tuple(oids[index - 1]), missing),
                    *others[index - 1 :],
                ], rtt
            raise SnmpError(f"the device answered with error {_status_name(status)}")
        pairs = [(tuple(name), value) for name, value in answered]
        if kind != "bulk" and len(pairs) != len(oids):
            raise SnmpError(f"the answer holds {len(pairs)} values for {len(oids)} asked")
        return pairs, rtt

    def _engine(self, target: SnmpTarget) -> Any:
        key = (
            target.v3_user,
            target.auth_proto,
            target.auth_key,
            target.priv_proto,
            target.priv_key,
        )
        engine = self._engines.get(key)
        if engine is None:
            engine = self.hlapi.SnmpEngine()
            self._engines[key] = engine
        return engine

    def _auth(self, target: SnmpTarget) -> Any:
        hlapi = self.hlapi
        auth_protocols = {
            "MD5": hlapi.USM_AUTH_HMAC96_MD5,
            "SHA": hlapi.USM_AUTH_HMAC96_SHA,
            "SHA256": hlapi.USM_AUTH_HMAC192_SHA256,
            "SHA512": hlapi.USM_AUTH_HMAC384_SHA512,
        }
        priv_protocols = {
            "DES": hlapi.USM_PRIV_CBC56_DES,
            "AES": hlapi.USM_PRIV_CFB128_AES,
            "AES256": hlapi.USM_PRIV_CFB256_AES,  # the "AES-256-Cisco" key extension (Reeder)
        }
        if not target.v3_user:
            raise SnmpError("an SNMPv3 target needs a user name")
        auth_proto = target.auth_proto.upper()
        priv_proto = target.priv_proto.upper()
        if priv_proto and not auth_proto:
            raise SnmpError("SNMPv3 privacy needs authentication too")
        options: dict[str, Any] = {}
        if auth_proto:
            if auth_proto not in auth_protocols:
                raise SnmpError(f"unknown SNMPv3 authentication protocol {target.auth_proto!r}")
            if len(target.auth_key) < MIN_KEY_LENGTH:
                raise SnmpError("the SNMPv3 authentication key is shorter than 8 characters")
            options.update(authKey=target.auth_key, authProtocol=auth_protocols[auth_proto])
        if priv_proto:
            if priv_proto not in priv_protocols:
                raise SnmpError(f"unknown SNMPv3 privacy protocol {target.priv_proto!r}")
            if len(target.priv_key) < MIN_KEY_LENGTH:
                raise SnmpError("the SNMPv3 privacy key is shorter than 8 characters")
            options.update(privKey=target.priv_key, privProtocol=priv_protocols[priv_proto])
        return hlapi.UsmUserData(target.v3_user, **options)

    async def _transport(self, target: SnmpTarget) -> Any:
        key = (target.host, target.port, target.timeout, target.retries)
        transport = self._transports.get(key)
        if transport is None:
            host = target.host.strip().strip("[]")
            cls = self.hlapi.Udp6TransportTarget if ":" in host else self.hlapi.UdpTransportTarget
            try:
                transport = await cls.create(
                    (host, target.port), timeout=target.timeout, retries=max(target.retries, 0)
                )
            except Exception as exc:
                raise SnmpError(f"cannot resolve {host}: {_reason(exc)}") from exc
            self._transports[key] = transport
        return transport


_V3_AUTH_ERRORS = frozenset(
    {
        "UnknownUserName",
        "WrongDigest",
        "DecryptionError",
        "AuthenticationError",
        "AuthenticationFailure",
        "UnsupportedSecurityLevel",
        "UnknownSecurityName",
        "UnsupportedAuthProtocol",
        "UnsupportedPrivProtocol",
        "NoEncryption",
        "NoAuthentication",
    }
)


def _v3_error(indication: Any, target: SnmpTarget) -> SnmpError:
    """Map a pysnmp error indication to the project's exceptions."""
    name = type(indication).__name__
    text = _reason(indication)
    if name == "RequestTimedOut":
        return SnmpTimeout(f"no answer within {target.budget:g} s ({text})")
    if name in _V3_AUTH_ERRORS:
        return SnmpAuthError(f"SNMPv3 authentication failed: {text}")
    return SnmpError(f"SNMPv3 request failed: {text}")
