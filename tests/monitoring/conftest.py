"""A real SNMP agent for the monitoring tests: snmpsim on 127.0.0.1, on a free UDP port.

The session-scoped ``snmpsim`` fixture writes the project's own small recordings (a printer
with supplies, special levels and an error state, a UPS on battery, a router with 40
interfaces, a sparse device), adds copies of ``shared/snmp/recordings`` when that folder is
there, starts ``snmpsim-command-responder`` with a few SNMPv3 users, waits for "Listening at"
and stops it at the end. Each data file's name is its v1/v2c community and its v3 context.

When the machine has ::1, snmpsim listens there too (same port: ``host6``).

``run_async(factory)`` runs a coroutine in a worker thread with its own event loop: the
browser tests leave an event loop in the main thread, where ``asyncio.run`` would fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from monitoring.snmp.client import SnmpClient, SnmpError, SnmpTarget
from monitoring.snmp.snmprec import Typed, format_snmprec

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "snmp" / "recordings"
SNMPSIM = Path(sys.executable).parent / "snmpsim-command-responder"
READY_LINE = "Listening at"
START_TIMEOUT = 30.0  # seconds for snmpsim to index its data files and bind

T = TypeVar("T")

# -- the project's own recordings ------------------------------------------------------------

SYS = "1.3.6.1.2.1.1"
SYS_DESCR_0 = f"{SYS}.1.0"
HR_DEVICE = "1.3.6.1.2.1.25.3.2.1"
HR_PRINTER = "1.3.6.1.2.1.25.3.5.1"
PRT_SUPPLIES = "1.3.6.1.2.1.43.11.1.1"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IF_X_ENTRY = "1.3.6.1.2.1.31.1.1.1"
UPS = "1.3.6.1.2.1.33.1"
ENTITY = "1.3.6.1.2.1.47.1.1.1.1"

# (index, class, type, description (bytes: may hold a NUL), unit, max capacity, level)
PRINTER_SUPPLIES = (
    ("1.1", 3, 3, b"Black Toner Cartridge", 19, 100, 15),
    ("1.2", 3, 3, b"Cyan Toner Cartridge", 19, 100, -3),  # some remaining
    ("1.3", 3, 3, b"Magenta Toner Cartridge", 19, -2, -2),  # unknown
    ("1.4", 3, 3, b"Yellow Toner Cartridge", 19, 100, -1),  # other
    ("1.5", 4, 4, b"Waste Toner Box", 19, 100, 80),  # receptacle: level = free space
    ("1.6", 3, 9, b"Drum Unit\x00", 7, 20000, 0),  # empty; a NUL in the description
)
ROUTER_INTERFACES = 40  # more than one GETBULK page (25 repetitions)


def _system(descr: str | bytes, object_id: str, uptime: int, name: str) -> list[tuple]:
    return [
        (f"{SYS}.1.0", 4, descr),
        (f"{SYS}.2.0", 6, object_id),
        (f"{SYS}.3.0", 67, uptime),
        (f"{SYS}.4.0", 4, "it@adliya.tj"),
        (f"{SYS}.5.0", 4, name),
        (f"{SYS}.6.0", 4, "Dushanbe, CR office 1"),
    ]


def printer_records() -> list[tuple]:
    rows = _system("TestPrint LaserJet 4000dn", "1.3.6.1.4.1.11.2.3.9.1", 8_640_000, "prn-1")
    rows += [
        ("1.3.6.1.2.1.2.1.0", 2, 1),
        (f"{IF_ENTRY}.1.1", 2, 1),
        (f"{IF_ENTRY}.2.1", 4, "eth0"),
        (f"{IF_ENTRY}.7.1", 2, 1),
        (f"{IF_ENTRY}.8.1", 2, 1),
        (f"{HR_DEVICE}.1.1", 2, 1),
        (f"{HR_DEVICE}.2.1", 6, "1.3.6.1.2.1.25.3.1.5"),  # hrDevicePrinter
        (f"{HR_DEVICE}.3.1", 4, "TestPrint LaserJet 4000dn"),
        (f"{HR_DEVICE}.5.1", 2, 3),  # warning
        (f"{HR_PRINTER}.1.1", 2, 4),  # printing
        (f"{HR_PRINTER}.2.1", "4x", bytes([0x24, 0x00])),  # lowToner, jammed
        ("1.3.6.1.2.1.43.5.1.1.17.1", 4, "TPLJ4000-0001"),
        ("1.3.6.1.2.1.43.10.2.1.4.1.1", 65, 123_456),
    ]
    for index, klass, kind, descr, unit, maximum, level in PRINTER_SUPPLIES:
        rows += [
            (f"{PRT_SUPPLIES}.4.{index}", 2, klass),
            (f"{PRT_SUPPLIES}.5.{index}", 2, kind),
            (f"{PRT_SUPPLIES}.6.{index}", "4x", descr),
            (f"{PRT_SUPPLIES}.7.{index}", 2, unit),
            (f"{PRT_SUPPLIES}.8.{index}", 2, maximum),
            (f"{PRT_SUPPLIES}.9.{index}", 2, level),
        ]
    rows += [
        ("1.3.6.1.2.1.43.18.1.1.2.1.1", 2, 3),  # prtAlertSeverityLevel: critical
        ("1.3.6.1.2.1.43.18.1.1.7.1.1", 2, 8),  # prtAlertCode: jam
        ("1.3.6.1.2.1.43.18.1.1.8.1.1", 4, "Paper jam in tray 2"),
    ]
    return rows


def ups_records() -> list[tuple]:
    rows = _system("TestPower UPS 1500 network card", "1.3.6.1.4.1.318.1.3.27", 4_200, "ups-1")
    rows += [
        (f"{UPS}.1.1.0", 4, "TestPower"),
        (f"{UPS}.1.2.0", 4, "UPS 1500"),
        (f"{UPS}.2.1.0", 2, 3),  # upsBatteryStatus: batteryLow
        (f"{UPS}.2.2.0", 2, 600),  # upsSecondsOnBattery
        (f"{UPS}.2.3.0", 2, 7),  # upsEstimatedMinutesRemaining
        (f"{UPS}.2.4.0", 2, 18),  # upsEstimatedChargeRemaining
        (f"{UPS}.2.5.0", 2, 240),  # upsBatteryVoltage (0.1 V)
        (f"{UPS}.2.7.0", 2, 31),  # upsBatteryTemperature
        (f"{UPS}.3.2.0", 2, 2),  # upsInputNumLines
        (f"{UPS}.3.3.1.3.1", 2, 0),  # upsInputVoltage: mains lost
        (f"{UPS}.3.3.1.3.2", 5, None),  # a NULL in the middle of a walk: not its end
        (f"{UPS}.3.3.1.3.3", 2, 0),
        (f"{UPS}.4.1.0", 2, 5),  # upsOutputSource: battery
        (f"{UPS}.4.3.0", 2, 1),  # upsOutputNumLines
        (f"{UPS}.4.4.1.2.1", 2, 230),  # upsOutputVoltage
        (f"{UPS}.4.4.1.5.1", 2, 42),  # upsOutputPercentLoad
        (f"{UPS}.6.1.0", 66, 1),  # upsAlarmsPresent
    ]
    return rows


def router_records() -> list[tuple]:
    rows = _system(
        b"TestRoute R1 Software\r\nVersion 1.0\n", "1.3.6.1.4.1.9.1.2068", 360_000, "rtr-1"
    )
    rows.append(("1.3.6.1.2.1.2.1.0", 2, ROUTER_INTERFACES))
    rows.append(("1.3.6.1.2.1.4.20.1.1.10.0.0.1", 64, "10.0.0.1"))  # ipAdEntAddr: IpAddress
    for i in range(1, ROUTER_INTERFACES + 1):
        admin = 2 if i % 10 == 0 else 1
        oper = 1 if i <= 3 else 2
        rows += [
            (f"{IF_ENTRY}.1.{i}", 2, i),
            (f"{IF_ENTRY}.2.{i}", 4, f"GigabitEthernet0/{i}"),
            (f"{IF_ENTRY}.3.{i}", 2, 6),
            (f"{IF_ENTRY}.7.{i}", 2, admin),
            (f"{IF_ENTRY}.8.{i}", 2, oper),
            (f"{IF_X_ENTRY}.1.{i}", 4, f"Gi0/{i}"),
        ]
    rows += [
        (f"{ENTITY}.2.1", 4, "TestRoute R1 chassis"),
        (f"{ENTITY}.5.1", 2, 3),  # chassis
        (f"{ENTITY}.11.1", 4, "FTX1234ABCD"),
    ]
    return rows


def sparse_records() -> list[tuple]:
    return [
        (f"{SYS}.1.0", 4, "Sparse Printing System"),
        (f"{SYS}.2.0", 6, "1.3.6.1.4.1.1347.41"),
    ]


OWN_RECORDINGS: dict[str, Callable[[], list[tuple]]] = {
    "test-printer": printer_records,
    "test-ups": ups_records,
    "test-router": router_records,
    "test-sparse": sparse_records,
}


def snmprec(records: list[tuple]) -> str:
    """Return snmpsim's .snmprec text for (oid, tag, value) records (the project's writer)."""
    return format_snmprec(
        {oid: Typed(str(tag).removesuffix("x"), value) for oid, tag, value in records}
    )


# -- the agent -------------------------------------------------------------------------------

# user: (auth protocol, auth key, privacy protocol, privacy key)
V3_USERS: dict[str, tuple[str, str, str, str]] = {
    "poller": ("SHA", "authpass123", "AES", "privpass123"),
    "md5des": ("MD5", "md5-auth-key", "DES", "des-priv-key"),
    "sha256aes256": ("SHA256", "sha256-auth-key", "AES256", "aes256-priv-key"),
    "sha512aes": ("SHA512", "sha512-auth-key", "AES", "aes128-priv-key"),
    "authonly": ("SHA", "auth-only-key", "", ""),
}


@dataclass(frozen=True)
class SnmpSim:
    host: str
    port: int
    data_dir: Path
    own: tuple[str, ...]  # the project's recordings (communities)
    shared: tuple[str, ...]  # copies of shared/snmp/recordings, when present
    users: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    host6: str | None = None  # "::1" when snmpsim listens there too (same port)

    @property
    def communities(self) -> tuple[str, ...]:
        return self.own + self.shared

    def target(self, community: str, **kwargs: Any) -> SnmpTarget:
        """Return a v2c (or ``version=…``) target for one recording."""
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "timeout": 1.0,
            "retries": 1,
            "key": community,
        }
        options.update(kwargs)
        return SnmpTarget(community=community, **options)

    def v3_target(self, context: str, user: str = "poller", **kwargs: Any) -> SnmpTarget:
        """Return an SNMPv3 target for one recording (its name is the v3 context)."""
        auth_proto, auth_key, priv_proto, priv_key = self.users[user]
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "version": "3",
            "v3_user": user,
            "auth_proto": auth_proto,
            "auth_key": auth_key,
            "priv_proto": priv_proto,
            "priv_key": priv_key,
            "context": context,
            "timeout": 1.0,
            "retries": 1,
            "key": f"v3:{context}",
        }
        options.update(kwargs)
        return SnmpTarget(**options)


def free_udp_port(host: str = "127.0.0.1", also_ipv6: bool = False) -> int:
    """Return a UDP port nobody listens on right now (on ::1 too if asked)."""
    for _attempt in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if not also_ipv6 or _ipv6_free(port):
            return port
    raise RuntimeError("no UDP port free on both 127.0.0.1 and ::1")


def ipv6_loopback() -> bool:
    """Return whether this machine has ::1 (containers may not)."""
    return _ipv6_free(0)


def _ipv6_free(port: int) -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", port))
    except OSError:
        return False
    return True


def write_data_dir(data_dir: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write the project's recordings and copy the shared ones; return both name lists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, records in OWN_RECORDINGS.items():
        (data_dir / f"{name}.snmprec").write_text(snmprec(records()), encoding="utf-8")
    shared: list[str] = []
    if RECORDINGS.exists():
        for source in sorted(RECORDINGS.glob("*.snmprec")):
            shutil.copyfile(source, data_dir / source.name)  # real copies: snmpsim resolves links
            shared.append(source.stem)
    return tuple(OWN_RECORDINGS), tuple(shared)


def start_snmpsim(
    data_dir: Path, cache_dir: Path, log_path: Path, host: str, port: int, ipv6: bool = False
) -> subprocess.Popen:
    """Start snmpsim and return it once it listens (or raise with its log)."""
    args = [
        str(SNMPSIM),
        f"--data-dir={data_dir}",
        f"--cache-dir={cache_dir}",
        f"--agent-udpv4-endpoint={host}:{port}",
    ]
    if ipv6:
        args.append(f"--agent-udpv6-endpoint=[::1]:{port}")
    for user, (auth_proto, auth_key, priv_proto, priv_key) in V3_USERS.items():
        args += [f"--v3-user={user}", f"--v3-auth-key={auth_key}", f"--v3-auth-proto={auth_proto}"]
        if priv_proto:
            args += [f"--v3-priv-key={priv_key}", f"--v3-priv-proto={priv_proto}"]
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    with log_path.open("wb") as log:  # a file, not a pipe: snmpsim logs every request
        process = subprocess.Popen(  # noqa: S603 (our own arguments)
            args, stdout=log, stderr=subprocess.STDOUT, env=env
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if text.count(READY_LINE) >= (2 if ipv6 else 1):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop_process(process)
    raise RuntimeError(f"snmpsim did not start on {host}:{port}:\n{log_path.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSim]:
    """Run snmpsim on 127.0.0.1 for the whole session; yield where and how to reach it."""
    if not SNMPSIM.exists():
        pytest.fail(f"{SNMPSIM} is missing: install requirements.txt (snmpsim, pysmi)")
    base = tmp_path_factory.mktemp("snmpsim")
    own, shared = write_data_dir(base / "data")
    host = "127.0.0.1"
    ipv6 = ipv6_loopback()
    process = None
    for attempt in range(3):  # another process may take the port between check and bind
        port = free_udp_port(host, also_ipv6=ipv6)
        try:
            process = start_snmpsim(
                base / "data", base / "cache", base / f"snmpsim-{attempt}.log", host, port, ipv6
            )
            break
        except RuntimeError:
            if attempt == 2:
                raise
    assert process is not None
    try:
        sim = SnmpSim(
            host=host,
            port=port,
            data_dir=base / "data",
            own=own,
            shared=shared,
            users=V3_USERS,
            host6="::1" if ipv6 else None,
        )
        run_async(lambda: warm_up(sim))
        yield sim
    finally:
        stop_process(process)


async def warm_up(sim: SnmpSim) -> None:
    """Ask every recording once, so that no test pays for snmpsim's first answers.

    snmpsim drops the first datagram it receives after "Listening at" (hence the short
    timeout and many retries of the first request) and opens a data file at its first use.
    """
    async with SnmpClient() as client:
        for host in filter(None, (sim.host, sim.host6)):
            with contextlib.suppress(SnmpError):
                first = sim.target(sim.own[0], host=host, timeout=0.25, retries=40)
                await client.get(first, [SYS_DESCR_0])
        await asyncio.gather(
            *(
                client.get(sim.target(name, timeout=2.0, retries=2), [SYS_DESCR_0])
                for name in sim.communities
            ),
            return_exceptions=True,
        )
        with contextlib.suppress(SnmpError):  # the tests say what is wrong, if anything
            await client.get(sim.v3_target(sim.own[0], timeout=2.0), [SYS_DESCR_0])


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``factory()`` to completion in a worker thread with its own event loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()
