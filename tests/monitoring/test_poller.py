"""The SNMP client and the poll round against a real snmpsim on 127.0.0.1 (see conftest.py).

Slow, silent and garbage-answering devices are small asyncio UDP servers started next to the
poller, in the same event loop (a worker thread's: see ``run_async``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from monitoring import poller
from monitoring.snmp import decode, oids
from monitoring.snmp.client import (
    SnmpAuthError,
    SnmpClient,
    SnmpError,
    SnmpTarget,
    SnmpTimeout,
    to_python,
)
from monitoring.snmp.decode import RawDevice
from monitoring.snmp.snmprec import raw_from_values, read_snmprec
from tests.monitoring.conftest import (
    PRINTER_SUPPLIES,
    ROUTER_INTERFACES,
    SnmpSim,
    run_async,
)

SYS_DESCR = oids.SYS_DESCR
MISSING = "1.3.6.1.2.1.1.9.9.0"  # no agent has this
IF_DESCR = oids.IF_DESCR
SUPPLIES_ENTRY = "1.3.6.1.2.1.43.11.1.1"


# -- small UDP servers for odd devices --------------------------------------------------------


class _Relay(asyncio.DatagramProtocol):
    def __init__(self, handle: Callable[[bytes, tuple], None]) -> None:
        self.handle = handle
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.handle(data, addr)


class DelayProxy:
    """Forward datagrams to snmpsim and its answers back, each answer ``delay`` seconds late.

    ``drop(data)`` says which requests never reach the agent (to make one request kind fail).
    """

    def __init__(self, sim: SnmpSim, delay: float, drop: Callable[[bytes], bool] | None = None):
        self.sim = sim
        self.delay = delay
        self.drop = drop
        self.client_addr: tuple | None = None
        self.port = 0

    async def __aenter__(self) -> DelayProxy:
        loop = asyncio.get_running_loop()
        self.front, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(self._from_client), local_addr=("127.0.0.1", 0)
        )
        self.back, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(self._from_agent), local_addr=("127.0.0.1", 0)
        )
        self.port = self.front.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.front.close()
        self.back.close()

    def _from_client(self, data: bytes, addr: tuple) -> None:
        self.client_addr = addr
        if self.drop is None or not self.drop(data):
            self.back.sendto(data, (self.sim.host, self.sim.port))

    def _from_agent(self, data: bytes, addr: tuple) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, self._answer, data)

    def _answer(self, data: bytes) -> None:
        if self.client_addr is not None and not self.front.is_closing():
            self.front.sendto(data, self.client_addr)


class GarbageServer:
    """Answer every datagram with random bytes that are not SNMP."""

    async def __aenter__(self) -> GarbageServer:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(self._reply), local_addr=("127.0.0.1", 0)
        )
        self.port = self.transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.transport.close()

    def _reply(self, data: bytes, addr: tuple) -> None:
        self.transport.sendto(b"\xff" + os.urandom(40), addr)  # 0xff starts no BER SEQUENCE


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Return a UDP port bound by a socket that never reads nor answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _is_getbulk(data: bytes) -> bool:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto.api import v2c

    message, _rest = decoder.decode(data, asn1Spec=v2c.Message())
    return v2c.apiMessage.get_pdu(message).tagSet == v2c.GetBulkRequestPDU.tagSet


# -- the client, SNMPv1/v2c -------------------------------------------------------------------


def test_v2c_get_returns_plain_python_values_in_the_order_asked(snmpsim: SnmpSim):
    target = snmpsim.target("test-printer")
    asked = [
        oids.SYS_OBJECT_ID,
        SYS_DESCR,
        MISSING,
        oids.SYS_UPTIME,
        "1.3.6.1.2.1.43.10.2.1.4.1.1",  # Counter32
        "." + oids.SYS_NAME,  # a leading dot is accepted and dropped
    ]

    async def scenario():
        async with SnmpClient() as client:
            return await client.get_timed(target, asked)

    values, response_ms = run_async(scenario)

    assert values == {
        oids.SYS_OBJECT_ID: "1.3.6.1.4.1.11.2.3.9.1",
        SYS_DESCR: b"TestPrint LaserJet 4000dn",
        MISSING: None,
        oids.SYS_UPTIME: 8_640_000,
        "1.3.6.1.2.1.43.10.2.1.4.1.1": 123_456,
        oids.SYS_NAME: b"prn-1",
    }
    assert list(values) == [oid.lstrip(".") for oid in asked]
    assert 0 < response_ms < 1000


def test_v2c_get_splits_many_oids_into_pdus_of_thirty(snmpsim: SnmpSim):
    target = snmpsim.target("test-ups")

    async def scenario():
        async with SnmpClient() as client:
            values = await client.get(target, oids.SCALARS)
            return values, client.stats["requests"]

    values, requests = run_async(scenario)

    assert len(oids.SCALARS) > 30
    assert requests == -(-len(oids.SCALARS) // 30)
    assert values[oids.UPS_BATTERY_STATUS] == 3
    assert values[oids.UPS_OUTPUT_SOURCE] == 5
    assert values[oids.APC_OUTPUT_STATUS] is None  # noSuchObject: not supported


def test_ip_address_and_object_identifier_values_are_dotted_strings(snmpsim: SnmpSim):
    target = snmpsim.target("test-router")

    async def scenario():
        async with SnmpClient() as client:
            return await client.get(target, ["1.3.6.1.2.1.4.20.1.1.10.0.0.1", oids.SYS_OBJECT_ID])

    assert run_async(scenario) == {
        "1.3.6.1.2.1.4.20.1.1.10.0.0.1": "10.0.0.1",
        oids.SYS_OBJECT_ID: "1.3.6.1.4.1.9.1.2068",
    }


def test_v2c_walk_reads_a_column_across_getbulk_pages(snmpsim: SnmpSim):
    target = snmpsim.target("test-router")

    async def scenario():
        async with SnmpClient(max_repetitions=25) as client:
            rows = await client.walk(target, IF_DESCR)
            return rows, client.stats["requests"]

    rows, requests = run_async(scenario)

    assert list(rows) == [f"{IF_DESCR}.{i}" for i in range(1, ROUTER_INTERFACES + 1)]
    assert rows[f"{IF_DESCR}.40"] == b"GigabitEthernet0/40"
    assert requests == 2  # 25 + 15 rows, the second page leaves the column


def test_walk_many_reads_columns_side_by_side(snmpsim: SnmpSim):
    target = snmpsim.target("test-router")
    columns = [oids.IF_DESCR, oids.IF_ADMIN_STATUS, oids.IF_OPER_STATUS, oids.IF_NAME]

    async def scenario():
        async with SnmpClient() as client:
            side_by_side = await client.walk_many(target, columns)
            requests = client.stats["requests"]
            one_by_one = {column: await client.walk(target, column) for column in columns}
            return side_by_side, one_by_one, requests, client.stats["requests"] - requests

    side_by_side, one_by_one, requests, requests_one_by_one = run_async(scenario)

    assert side_by_side == one_by_one
    assert [len(rows) for rows in side_by_side.values()] == [ROUTER_INTERFACES] * 4
    assert side_by_side[oids.IF_ADMIN_STATUS][f"{oids.IF_ADMIN_STATUS}.10"] == 2
    assert side_by_side[oids.IF_NAME][f"{oids.IF_NAME}.7"] == b"Gi0/7"
    assert requests < requests_one_by_one


def test_a_walk_goes_on_past_a_null_value(snmpsim: SnmpSim):
    target = snmpsim.target("test-ups")

    async def scenario():
        async with SnmpClient() as client:
            return await client.walk(target, oids.UPS_INPUT_VOLTAGE)

    assert run_async(scenario) == {
        f"{oids.UPS_INPUT_VOLTAGE}.1": 0,
        f"{oids.UPS_INPUT_VOLTAGE}.2": None,
        f"{oids.UPS_INPUT_VOLTAGE}.3": 0,
    }


def test_a_walk_ends_at_end_of_mib_view(snmpsim: SnmpSim):
    target = snmpsim.target("test-sparse")

    async def scenario():
        async with SnmpClient() as client:
            after_last = await client.get_next(target, [oids.SYS_OBJECT_ID])
            rows = await client.walk(target, "1.3.6.1")
            return after_last, rows

    after_last, rows = run_async(scenario)

    assert after_last == {oids.SYS_OBJECT_ID: None}  # the agent said endOfMibView
    assert rows == {SYS_DESCR: b"Sparse Printing System", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.1347.41"}


def test_a_walk_stops_after_max_rows(snmpsim: SnmpSim):
    target = snmpsim.target("test-router")

    async def scenario():
        async with SnmpClient(max_rows=7) as client:
            return await client.walk(target, IF_DESCR)

    assert len(run_async(scenario)) == 7


def test_v1_get_drops_a_missing_oid_and_asks_again_for_the_rest(snmpsim: SnmpSim):
    v1 = snmpsim.target("test-printer", version="1")
    v2c = snmpsim.target("test-printer")

    async def scenario():
        async with SnmpClient() as client:
            values = await client.get(v1, [SYS_DESCR, MISSING, oids.SYS_UPTIME])
            walked_v1 = await client.walk(v1, SUPPLIES_ENTRY)
            walked_v2c = await client.walk(v2c, SUPPLIES_ENTRY)
            return values, walked_v1, walked_v2c

    values, walked_v1, walked_v2c = run_async(scenario)

    assert values == {
        SYS_DESCR: b"TestPrint LaserJet 4000dn",
        MISSING: None,
        oids.SYS_UPTIME: 8_640_000,
    }
    assert walked_v1 == walked_v2c
    assert len(walked_v1) == 6 * len(PRINTER_SUPPLIES)


def test_wrong_community_is_a_timeout(snmpsim: SnmpSim):
    target = snmpsim.target("no-such-community", timeout=0.3, retries=1)

    async def scenario():
        async with SnmpClient() as client:
            started = time.perf_counter()
            with pytest.raises(SnmpTimeout) as caught:
                await client.get(target, [SYS_DESCR])
            return caught.value, time.perf_counter() - started

    error, elapsed = run_async(scenario)

    assert str(error) == "no answer within 0.6 s (2 × 0.3 s)"
    assert 0.55 < elapsed < 1.2


def test_unknown_snmp_version_is_refused(snmpsim: SnmpSim):
    target = snmpsim.target("test-printer", version="4")

    async def scenario():
        async with SnmpClient() as client:
            with pytest.raises(SnmpError) as caught:
                await client.get(target, [SYS_DESCR])
            return caught.value

    assert str(run_async(scenario)) == "unknown SNMP version '4'"


def test_the_target_repr_shows_no_secret():
    target = SnmpTarget("10.0.0.5", community="s3cret-community", auth_key="s3cret-key", key=7)

    assert repr(target) == "SnmpTarget(10.0.0.5:161 v2c key=7)"


def test_to_python_maps_no_value_markers_to_none():
    from pysnmp.proto import rfc1902, rfc1905

    assert to_python(rfc1905.noSuchObject) is None
    assert to_python(rfc1905.noSuchInstance) is None
    assert to_python(rfc1905.endOfMibView) is None
    assert to_python(rfc1902.Null("")) is None
    assert to_python(rfc1902.Counter64(2**40)) == 2**40
    assert to_python(rfc1902.Bits(b"\x24")) == b"\x24"


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_ipv6_targets_use_the_ipv6_socket(snmpsim: SnmpSim, host: str):
    if snmpsim.host6 is None:
        pytest.skip("no ::1 on this machine")
    target = snmpsim.target("test-printer", host=host)

    async def scenario():
        async with SnmpClient() as client:
            return await client.get(target, [SYS_DESCR]), await client.walk(target, SUPPLIES_ENTRY)

    values, rows = run_async(scenario)

    assert values == {SYS_DESCR: b"TestPrint LaserJet 4000dn"}
    assert len(rows) == 6 * len(PRINTER_SUPPLIES)


# -- the client, SNMPv3 -----------------------------------------------------------------------


@pytest.mark.parametrize("user", ["poller", "md5des", "sha256aes256", "sha512aes", "authonly"])
def test_v3_reads_with_good_keys(snmpsim: SnmpSim, user: str):
    target = snmpsim.v3_target("test-ups", user=user)

    async def scenario():
        async with SnmpClient() as client:
            values = await client.get(target, [SYS_DESCR, MISSING])
            rows = await client.walk(target, oids.UPS_INPUT_VOLTAGE)
            return values, rows

    values, rows = run_async(scenario)

    assert values == {SYS_DESCR: b"TestPower UPS 1500 network card", MISSING: None}
    assert list(rows.values()) == [0, None, 0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"auth_key": "wrong-auth-key"}, "SNMPv3 authentication failed: Wrong SNMP PDU digest"),
        (
            {"priv_key": "wrong-priv-key"},
            "SNMPv3 authentication failed: Ciphering services not available or ciphertext is "
            "broken",
        ),
        ({"v3_user": "nobody"}, "SNMPv3 authentication failed: Unknown USM user"),
    ],
)
def test_v3_wrong_credentials_are_an_auth_error(snmpsim: SnmpSim, change: dict, message: str):
    good = snmpsim.v3_target("test-ups")
    bad = snmpsim.v3_target("test-ups", **change)

    async def scenario():
        async with SnmpClient() as client:
            # the good keys first: what the engine learnt from them must not let the bad in
            before = await client.get(good, [SYS_DESCR])
            with pytest.raises(SnmpAuthError) as caught:
                await client.get(bad, [SYS_DESCR])
            after = await client.get(good, [SYS_DESCR])
            return before, caught.value, after

    before, error, after = run_async(scenario)

    assert str(error) == message
    assert before == after == {SYS_DESCR: b"TestPower UPS 1500 network card"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"auth_key": "short"}, "the SNMPv3 authentication key is shorter than 8 characters"),
        ({"priv_key": "short"}, "the SNMPv3 privacy key is shorter than 8 characters"),
        ({"auth_proto": "SHA1024"}, "unknown SNMPv3 authentication protocol 'SHA1024'"),
        ({"priv_proto": "ROT13"}, "unknown SNMPv3 privacy protocol 'ROT13'"),
        ({"auth_proto": "", "auth_key": ""}, "SNMPv3 privacy needs authentication too"),
        ({"v3_user": ""}, "an SNMPv3 target needs a user name"),
    ],
)
def test_v3_settings_that_cannot_work_are_refused(snmpsim: SnmpSim, change: dict, message: str):
    target = snmpsim.v3_target("test-ups", **change)

    async def scenario():
        async with SnmpClient() as client:
            with pytest.raises(SnmpError) as caught:
                await client.get(target, [SYS_DESCR])
            return caught.value

    error = run_async(scenario)

    assert str(error) == message
    assert not isinstance(error, SnmpTimeout)


def test_v3_unknown_context_is_a_timeout(snmpsim: SnmpSim):
    target = snmpsim.v3_target("no-such-context", timeout=0.3, retries=0)

    async def scenario():
        async with SnmpClient() as client:
            with pytest.raises(SnmpTimeout) as caught:
                await client.get(target, [SYS_DESCR])
            return caught.value

    assert str(run_async(scenario)).startswith("no answer within 0.3 s")


# -- the poll round ---------------------------------------------------------------------------


def test_a_printer_poll_reads_scalars_and_tables_and_decodes_them(snmpsim: SnmpSim):
    [result] = poller.poll_round([snmpsim.target("test-printer")])

    assert result.reachable
    assert result.error is None
    assert result.warnings == ()
    assert not result.overloaded
    assert result.key == "test-printer"
    assert 0 < result.response_ms < 1000
    assert result.polled_at.tzinfo is not None
    assert set(result.raw.tables) == set(oids.TABLES)  # every column, empty when absent
    assert result.raw.tables[oids.IF_NAME] == {}
    facts = result.facts
    assert facts.kind == "printer"
    assert facts.serial == "TPLJ4000-0001"
    assert facts.printer.errors == ("lowToner", "jammed")
    assert facts.printer.page_count == 123_456
    assert [(s.index, s.level, s.percent) for s in facts.printer.supplies] == [
        ("1.1", 15, 15.0),
        ("1.2", -3, None),
        ("1.3", -2, None),
        ("1.4", -1, None),
        ("1.5", 80, 80.0),
        ("1.6", 0, 0.0),
    ]


def test_the_read_plan_asks_subtrees_and_entries_in_one_discovery_pdu():
    plan = poller.read_plan(oids.SCALARS, oids.TABLES)

    assert set(plan.scalars) == set(oids.SCALARS)
    assert plan.direct[oids.SYS_DESCR] == "1.3.6.1.2.1.1.1"  # GETNEXT of it is sysDescr.0
    assert oids.UPS_BATTERY_STATUS in plan.by_subtree["1.3.6.1.2.1.33"]
    assert oids.APC_SERIAL in plan.by_subtree["1.3.6.1.4.1.318"]
    assert plan.columns[oids.PRT_SUPPLY_LEVEL] == "1.3.6.1.2.1.43.11.1.1"  # its entry
    assert plan.columns[oids.UPS_INPUT_VOLTAGE] == "1.3.6.1.2.1.33"  # the UPS-MIB decides
    assert plan.columns[oids.XUPS_INPUT_VOLTAGE] == "1.3.6.1.4.1.534"
    assert len(plan.discovery) == len(set(plan.discovery)) <= 30


def test_a_scalar_outside_the_system_group_or_not_ending_in_0_is_read_by_get():
    plan = poller.read_plan(("1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.9.1.2.1", "1.3.6.1.2.1.2.1.0"), ())

    assert plan.direct == {"1.3.6.1.2.1.1.3.0": "1.3.6.1.2.1.1.3"}
    assert plan.by_subtree == {
        "1.3.6.1.2.1.1": ("1.3.6.1.2.1.1.9.1.2.1",),  # a table cell: asked if the group has it
        "1.3.6.1.2.1.2": ("1.3.6.1.2.1.2.1.0",),
    }


@pytest.mark.parametrize("community", ["test-printer", "test-ups", "test-router", "test-sparse"])
def test_v1_v2c_and_v3_polls_read_the_same(snmpsim: SnmpSim, community: str):
    targets = [
        snmpsim.target(community, version="1", key="v1"),
        snmpsim.target(community, key="v2c"),
        snmpsim.v3_target(community, key="v3"),
    ]

    v1, v2c, v3 = poller.poll_round(targets)

    assert (v1.error, v2c.error, v3.error) == (None, None, None)
    assert v1.raw == v2c.raw == v3.raw
    assert v1.facts == v2c.facts == v3.facts


def test_what_the_poller_reads_equals_the_recordings(snmpsim: SnmpSim):
    """Every recording (the project's and, when present, shared/snmp's) read over SNMP gives
    the RawDevice, and so the facts, that reading the file as a poller would gives."""
    targets = [snmpsim.target(name, timeout=2.0) for name in snmpsim.communities]

    results = poller.poll_round(targets)

    mismatches = []
    for result in results:
        assert result.reachable, (result.key, result.error)
        assert result.warnings == ()
        expected = raw_from_values(read_snmprec(snmpsim.data_dir / f"{result.key}.snmprec"))
        if _served(result.raw) != _served(expected):
            mismatches.append(result.key)
        assert result.facts == decode.device_facts(expected), result.key
    assert mismatches == []


def _served(raw: RawDevice) -> RawDevice:
    """Return ``raw`` as snmpsim serves it: it drops trailing spaces of a recorded value."""

    def strip(value):
        return value.rstrip(b" ") if isinstance(value, bytes) else value

    return RawDevice(
        scalars={oid: strip(value) for oid, value in raw.scalars.items()},
        tables={
            root: {oid: strip(value) for oid, value in rows.items()}
            for root, rows in raw.tables.items()
        },
    )


def test_silent_devices_time_out_within_one_budget_together(snmpsim: SnmpSim, silent_port: int):
    silent = [
        SnmpTarget("127.0.0.1", silent_port, timeout=0.3, retries=1, key=f"silent-{i}")
        for i in range(30)
    ]
    live = snmpsim.target("test-ups", key="live")

    started = time.perf_counter()
    results = poller.poll_round([*silent, live])
    elapsed = time.perf_counter() - started

    by_key = {result.key: result for result in results}
    assert {(r.reachable, r.error, r.overloaded) for r in results[:30]} == {
        (False, "timeout", False)
    }
    assert by_key["silent-0"].raw is None and by_key["silent-0"].facts is None
    assert by_key["live"].reachable and by_key["live"].facts.kind == "ups"
    assert elapsed < 0.6 + 0.5  # one budget (2 × 0.3 s) for all thirty, not thirty


def test_garbage_answers_are_an_error_and_the_round_goes_on(snmpsim: SnmpSim):
    async def scenario():
        async with GarbageServer() as garbage:
            targets = [
                SnmpTarget("127.0.0.1", garbage.port, timeout=1.0, retries=1, key="garbage"),
                snmpsim.target("test-router", key="router"),
            ]
            started = time.perf_counter()
            results = await poller.poll_round_async(targets)
            return results, time.perf_counter() - started

    results, elapsed = run_async(scenario)

    garbage, router = results
    assert garbage.reachable is False
    assert garbage.error.startswith("the device's answer is not valid SNMP (")
    assert router.reachable and router.facts.kind == "router"
    assert elapsed < 1.0  # the garbage fails at its first answer, not at its timeout


def test_a_slow_device_does_not_delay_the_others(snmpsim: SnmpSim):
    done_at: dict[str, float] = {}

    async def scenario():
        async with DelayProxy(snmpsim, delay=1.0) as proxy, SnmpClient() as client:
            slow = SnmpTarget(
                "127.0.0.1", proxy.port, community="test-printer", timeout=2.0, key="slow"
            )
            fast = [snmpsim.target(name, key=name) for name in snmpsim.own]
            started = time.perf_counter()

            async def one(target: SnmpTarget):
                result = await poller.poll_device(client, target, oids.SYSTEM, ())
                done_at[target.key] = time.perf_counter() - started
                return result

            return await asyncio.gather(*(one(t) for t in [slow, *fast]))

    results = run_async(scenario)

    assert all(result.reachable for result in results)
    slow_result = results[0]
    assert 950 < slow_result.response_ms < 1800
    assert 0.95 < done_at["slow"] < 1.8
    assert max(done_at[name] for name in snmpsim.own) < 0.5


def test_a_table_that_fails_is_a_warning_on_a_reachable_device(snmpsim: SnmpSim):
    async def scenario():
        async with DelayProxy(snmpsim, delay=0, drop=_is_getbulk) as proxy:
            target = SnmpTarget(
                "127.0.0.1", proxy.port, community="test-printer", timeout=0.2, retries=0, key=1
            )
            return await poller.poll_round_async([target], tables=[oids.PRT_SUPPLY_LEVEL, IF_DESCR])

    [result] = run_async(scenario)

    assert result.reachable
    assert result.error is None
    assert result.warnings == ("tables: timeout",)
    assert result.raw.tables == {}  # left out, not given as empty
    assert result.facts.kind == "printer"


def test_a_decoder_bug_is_the_devices_error_not_the_rounds(snmpsim: SnmpSim, monkeypatch):
    def broken(raw: RawDevice):
        raise RuntimeError("boom")

    monkeypatch.setattr(decode, "device_facts", broken)

    [result] = poller.poll_round([snmpsim.target("test-printer")])

    assert result.reachable
    assert result.error == "decode: RuntimeError: boom"
    assert result.facts is None
    assert result.raw.scalars[SYS_DESCR] == b"TestPrint LaserJet 4000dn"


def test_a_stuck_window_makes_the_waiting_device_overloaded_not_down(
    snmpsim: SnmpSim, silent_port: int
):
    silent = SnmpTarget("127.0.0.1", silent_port, timeout=0.6, retries=0, key="silent")
    waiting = snmpsim.target("test-ups", timeout=0.1, retries=1, key="waiting")

    results = poller.poll_round([silent, waiting], window=1)

    assert [(r.key, r.reachable, r.error, r.overloaded) for r in results] == [
        ("silent", False, "timeout", False),
        ("waiting", False, "overloaded", True),
    ]


def test_a_moving_queue_longer_than_the_timeout_is_not_overload(snmpsim: SnmpSim):
    async def scenario():
        async with DelayProxy(snmpsim, delay=0.1) as proxy:
            targets = [
                SnmpTarget(
                    "127.0.0.1", proxy.port, community="test-ups", timeout=0.5, retries=0, key=i
                )
                for i in range(12)
            ]
            started = time.perf_counter()
            results = await poller.poll_round_async(
                targets, window=2, scalars=[SYS_DESCR], tables=()
            )
            return results, time.perf_counter() - started

    results, elapsed = run_async(scenario)

    assert elapsed > 0.5  # the last ones waited longer than their whole budget …
    assert [(r.reachable, r.overloaded) for r in results] == [(True, False)] * 12  # … in a queue


def test_a_round_of_a_hundred_devices_is_all_answered(snmpsim: SnmpSim):
    names = snmpsim.communities
    targets = [snmpsim.target(names[i % len(names)], key=i, timeout=2.0) for i in range(100)]

    results = poller.poll_round(targets, window=50, scalars=oids.SYSTEM, tables=())

    assert [result.key for result in results] == list(range(100))
    assert [result.error for result in results if not result.reachable] == []
    assert all(result.facts is not None for result in results)
    assert all(result.raw.scalars[SYS_DESCR] is not None for result in results)


def test_poll_round_works_where_an_event_loop_already_runs(snmpsim: SnmpSim):
    async def inside_a_loop():
        return poller.poll_round([snmpsim.target("test-sparse")], tables=())

    [result] = run_async(inside_a_loop)

    assert result.reachable
    assert result.facts.sys_descr == "Sparse Printing System"


def test_an_unresolvable_host_is_that_devices_error(snmpsim: SnmpSim):
    target = SnmpTarget("no-such-host.invalid", key="nohost", timeout=0.2)

    [result, live] = poller.poll_round([target, snmpsim.target("test-sparse")], tables=())

    assert result.reachable is False
    assert result.error.startswith("cannot resolve no-such-host.invalid")
    assert live.reachable
