"""Simulated SNMP devices: `.snmprec` recordings the project generates from its own register.

``make run``, the tests and ``bench/poll_round.py`` serve these with snmpsim, so a fresh clone
shows live health data without any real device. Everything here is pure and deterministic
(the same seed, tag and serial give the same bytes) except ``write_recordings``, which writes
the files.

- ``DeviceSpec``: one device as the register knows it, plus the ``state`` to simulate.
- ``assign_states(specs, seed=…)``: choose the demo's states (a few printers low on toner or
  jammed, one or two UPS on battery, one router with its WAN port down, a few silent devices).
- ``device_values(spec)``: the numbers a device reports (toner level, charge, page count…):
  what a test compares the decoded facts with.
- ``device_records(spec)``: those values as snmprec records, in the MIBs real devices of that
  make use (Printer-MIB and HOST-RESOURCES for printers; UPS-MIB, or APC PowerNet for APC;
  IF-MIB with the MikroTik serial or ENTITY-MIB for routers).
- ``community_for(tag)``: the v2c community (and the recording's file name) of a device.
- ``write_recordings(specs, folder)``: one ``<community>.snmprec`` per device that answers.
- ``agent_command(...)``: the command line of an snmpsim agent serving such a folder.
- ``supply_history(spec, days=…, now=…)``: a printer's past readings (page counter, supplies)
  ending at today's values, and ``supplies_json``: supplies as a poll stores them (the demo's
  history, ``manage.py demo_operations``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitoring.snmp import oids
from monitoring.snmp.decode import (
    PRINTER_ERROR_BITS,
    SUPPLY_CLASSES,
    SUPPLY_TYPES,
    SUPPLY_UNITS,
    supply_percent,
)
from monitoring.snmp.snmprec import Typed, format_snmprec, write_snmprec

SEED = 20240315  # the demo fleet's seed (inventory demo_setup): one seed, one demo


class State(enum.StrEnum):
    """What a simulated device is going through."""

    NORMAL = "normal"
    LOW_TONER = "low_toner"
    TONER_OUT = "toner_out"
    JAMMED = "jammed"
    DOOR_OPEN = "door_open"
    ON_BATTERY = "on_battery"
    BATTERY_LOW = "battery_low"
    WAN_DOWN = "wan_down"
    SILENT = "silent"  # no recording is served: the agent drops the community


KINDS = ("printer", "scanner", "ups", "router", "server")
STATES_BY_KIND: dict[str, tuple[State, ...]] = {
    "printer": (State.NORMAL, State.LOW_TONER, State.TONER_OUT, State.JAMMED, State.DOOR_OPEN),
    "scanner": (State.NORMAL,),
    "ups": (State.NORMAL, State.ON_BATTERY, State.BATTERY_LOW),
    "router": (State.NORMAL, State.WAN_DOWN),
    "server": (State.NORMAL,),
}
# Shares of the demo fleet in each state (assign_states); the rest is normal.
SILENT_SHARE = 0.03
LOW_TONER_SHARE = 0.08
JAMMED_SHARE = 0.02

# snmprec type tags (snmpsim's numeric ASN.1 tags).
INTEGER = "2"
OCTETS = "4"
OID = "6"
COUNTER32 = "65"
GAUGE32 = "66"
TIMETICKS = "67"

PRINTER_ERRORS: dict[State, tuple[str, ...]] = {
    State.LOW_TONER: ("lowToner",),
    State.TONER_OUT: ("noToner",),
    State.JAMMED: ("jammed",),
    State.DOOR_OPEN: ("doorOpen",),
}
# hrDeviceStatus: 2 running, 3 warning, 5 down; hrPrinterStatus: 1 other, 3 idle, 4 printing.
# RFC 3805 2.2.13.2: a critical condition (no toner, jam, door open) is down/other.
PRINTER_STATUS: dict[State, tuple[int, int]] = {
    State.NORMAL: (2, 3),
    State.LOW_TONER: (3, 3),
    State.TONER_OUT: (5, 1),
    State.JAMMED: (5, 1),
    State.DOOR_OPEN: (5, 1),
}

# Printer-MIB textual conventions used below.
CLASS_CONSUMED = 3  # supplyThatIsConsumed
CLASS_RECEPTACLE = 4  # receptacleThatIsFilled
TYPE_TONER = 3
TYPE_WASTE_TONER = 4
TYPE_OPC = 9  # the drum
TYPE_FUSER = 15
UNIT_IMPRESSIONS = 7
UNIT_PERCENT = 19
LEVEL_SOME_REMAINING = -3
CAPACITY_UNKNOWN = -2

COMMUNITY_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


@dataclass(frozen=True)
class DeviceSpec:
    """One simulated device: what the register says about it, and the state to show."""

    tag: str
    serial: str
    kind: str  # one of KINDS
    manufacturer: str
    model: str
    state: State = State.NORMAL
    location: str = ""  # sysLocation: the office
    reported_serial: str | None = None  # what the device reports, when it differs on purpose
    seed: int = SEED

    @property
    def community(self) -> str:
        return community_for(self.tag)

    @property
    def serial_on_device(self) -> str:
        return self.reported_serial or self.serial


@dataclass(frozen=True)
class Supply:
    description: str
    supply_class: int
    type: int
    unit: int
    max_capacity: int
    level: int

    @property
    def percent(self) -> float | None:
        """Return the RFC 3805 percentage, None for the special values."""
        if self.level < 0 or self.max_capacity <= 0:
            return None
        return round(100 * self.level / self.max_capacity, 2)


@dataclass(frozen=True)
class Interface:
    index: int
    descr: str
    name: str
    alias: str
    admin_up: bool
    oper_up: bool
    speed_mbps: int
    mac: bytes


@dataclass(frozen=True)
class DeviceValues:
    """The values one simulated device reports (what decoding its recording must give)."""

    sys_descr: str
    sys_object_id: str
    sys_name: str
    uptime_ticks: int
    serial: str
    # printers
    device_status: int | None = None
    printer_status: int | None = None
    errors: tuple[str, ...] = ()
    page_count: int | None = None
    supplies: tuple[Supply, ...] = ()
    # UPS (in RFC 1628 terms, whatever MIB carries them)
    output_source: str | None = None  # "normal", "battery"
    battery_status: str | None = None  # "normal", "low"
    charge_percent: int | None = None
    minutes_remaining: int | None = None
    seconds_on_battery: int | None = None
    load_percent: int | None = None
    input_voltage: int | None = None
    # routers (and every agent's own network port)
    interfaces: tuple[Interface, ...] = ()


Record = tuple[str, str, object]  # (dotted OID, snmprec tag, value): int, str or bytes


# --- the fleet ---------------------------------------------------------------------------


def community_for(tag: str) -> str:
    """Return the v2c community (and recording name) of a device: its asset tag, lower case."""
    community = COMMUNITY_UNSAFE.sub("-", tag.strip().lower()).strip("-")
    return community[:32] or "device"


def assign_states(specs: Sequence[DeviceSpec], *, seed: int = SEED) -> list[DeviceSpec]:
    """Return the specs with the demo's states chosen, the same for the same fleet and seed.

    About 3 % of all devices are silent; of the printers that answer about 8 % are low on
    toner, about 2 % jammed, one is out of toner, one has its door open and one reports a
    serial other than the register's; one UPS is on battery and a second (when there are four
    or more) is on battery with the battery low; one router has its WAN port down.
    """
    rng = random.Random(f"states:{seed}")  # noqa: S311 (a demo, not a secret)
    ordered = sorted(specs, key=lambda s: s.tag)
    states: dict[str, State] = {}
    mismatch: str | None = None

    silent = rng.sample(ordered, _share(len(ordered), SILENT_SHARE))
    states.update((s.tag, State.SILENT) for s in silent)

    def answering(kind: str) -> list[DeviceSpec]:
        return [s for s in ordered if s.kind == kind and s.tag not in states]

    printers = answering("printer")
    rng.shuffle(printers)
    picks: list[tuple[State, int]] = [
        (State.LOW_TONER, _share(len(printers), LOW_TONER_SHARE)),
        (State.JAMMED, _share(len(printers), JAMMED_SHARE)),
        (State.TONER_OUT, 1),
        (State.DOOR_OPEN, 1),
    ]
    for state, count in picks:
        for spec in printers[:count]:
            states[spec.tag] = state
        printers = printers[count:]
    if printers:
        mismatch = printers[0].tag

    ups = answering("ups")
    rng.shuffle(ups)
    ups_states = [State.ON_BATTERY] + ([State.BATTERY_LOW] if len(ups) >= 4 else [])
    for spec, state in zip(ups, ups_states, strict=False):
        states[spec.tag] = state

    routers = answering("router")
    if routers:
        states[rng.choice(routers).tag] = State.WAN_DOWN

    chosen = []
    for spec in specs:
        reported = _mismatched_serial(spec.serial) if spec.tag == mismatch else None
        chosen.append(
            dataclasses.replace(
                spec,
                state=states.get(spec.tag, State.NORMAL),
                reported_serial=reported or spec.reported_serial,
                seed=seed,
            )
        )
    return chosen


def _share(total: int, share: float) -> int:
    """Return ``share`` of ``total`` devices, at least one when there are any."""
    return max(1, round(total * share)) if total else 0


def _mismatched_serial(serial: str) -> str:
    """Return a plausible other serial: the last character changed (a swapped device)."""
    last = serial[-1:] or "0"
    swapped = "7" if last != "7" else "3"
    return serial[:-1] + swapped


# --- values ------------------------------------------------------------------------------


def _rng(spec: DeviceSpec, purpose: str = "") -> random.Random:
    return random.Random(f"{spec.seed}|{spec.serial}|{spec.tag}|{purpose}")  # noqa: S311


def _maker(spec: DeviceSpec) -> str:
    return spec.manufacturer.strip().lower()


def _mac(rng: random.Random, oui: str) -> bytes:
    return bytes.fromhex(oui) + bytes(rng.randrange(256) for _ in range(3))


def device_values(spec: DeviceSpec) -> DeviceValues:
    """Return what a device in ``spec.state`` reports. Pure and deterministic."""
    if spec.kind not in KINDS:
        raise ValueError(f"Unknown device kind {spec.kind!r}: expected one of {KINDS}.")
    if spec.state not in (*STATES_BY_KIND[spec.kind], State.SILENT):
        raise ValueError(f"A {spec.kind} cannot be simulated in state {str(spec.state)!r}.")
    rng = _rng(spec)
    uptime_ticks = rng.randrange(3_600 * 100, 90 * 86_400 * 100)
    sys_name = community_for(spec.tag)
    builder = {
        "printer": _printer_values,
        "scanner": _scanner_values,
        "ups": _ups_values,
        "router": _router_values,
        "server": _server_values,
    }[spec.kind]
    return builder(spec, rng, uptime_ticks=uptime_ticks, sys_name=sys_name)


def _printer_values(
    spec: DeviceSpec, rng: random.Random, *, uptime_ticks: int, sys_name: str
) -> DeviceValues:
    maker = _maker(spec)
    state = spec.state
    if state == State.LOW_TONER:
        toner_percent = rng.randint(2, 9)
    elif state == State.TONER_OUT:
        toner_percent = 0
    else:
        toner_percent = rng.randint(22, 100)
    page_count = rng.randrange(4_000, 90_000)
    device_status, printer_status = PRINTER_STATUS.get(state, PRINTER_STATUS[State.NORMAL])
    if state == State.NORMAL and rng.random() < 0.1:
        printer_status = 4  # printing right now
    serial = spec.serial_on_device
    if maker == "kyocera":
        toner_max = 12_500  # TK-3160 pages at 5 % coverage; Kyocera counts impressions
        supplies = (
            Supply(
                "TK-3160",
                CLASS_CONSUMED,
                TYPE_TONER,
                UNIT_IMPRESSIONS,
                toner_max,
                toner_max * toner_percent // 100,
            ),
            Supply(
                "DK-3170",
                CLASS_CONSUMED,
                TYPE_OPC,
                UNIT_IMPRESSIONS,
                300_000,
                300_000 - page_count,
            ),
            Supply(
                "Waste Toner Box",
                CLASS_RECEPTACLE,
                TYPE_WASTE_TONER,
                UNIT_PERCENT,
                CAPACITY_UNKNOWN,
                LEVEL_SOME_REMAINING,
            ),
        )
        sys_descr = "KYOCERA Document Solutions Printing System"
        sys_object_id = "1.3.6.1.4.1.1347.41"
    elif maker == "canon":
        supplies = (
            Supply(
                "Canon Cartridge 057 Black Toner",
                CLASS_CONSUMED,
                TYPE_TONER,
                UNIT_PERCENT,
                100,
                toner_percent,
            ),
            Supply(
                "Drum",
                CLASS_CONSUMED,
                TYPE_OPC,
                UNIT_PERCENT,
                CAPACITY_UNKNOWN,
                LEVEL_SOME_REMAINING,
            ),
        )
        sys_descr = f"Canon {_canon_series(spec.model)} /P"
        sys_object_id = "1.3.6.1.4.1.1602.4.7"
    else:  # HP and any other make: a JetDirect-style agent
        supplies = (
            Supply(
                "Black Cartridge HP CF259A",
                CLASS_CONSUMED,
                TYPE_TONER,
                UNIT_PERCENT,
                100,
                toner_percent,
            ),
            Supply(
                "Fuser Kit",
                CLASS_CONSUMED,
                TYPE_FUSER,
                UNIT_IMPRESSIONS,
                CAPACITY_UNKNOWN,
                LEVEL_SOME_REMAINING,
            ),
        )
        firmware = f"{rng.randint(2, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
        sys_descr = (
            f"HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI2{firmware},"
            f"CIDATE {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2023"
        )
        sys_object_id = "1.3.6.1.4.1.11.2.3.9.1"
    return DeviceValues(
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        sys_name=sys_name,
        uptime_ticks=uptime_ticks,
        serial=serial,
        device_status=device_status,
        printer_status=printer_status,
        errors=PRINTER_ERRORS.get(state, ()),
        page_count=page_count,
        supplies=supplies,
        interfaces=(_agent_port(rng, oui=_OUI.get(maker, "001B78")),),
    )


def _canon_series(model: str) -> str:
    """Return the series Canon agents name: "i-SENSYS MF443dw" → "MF440 Series"."""
    match = re.search(r"(MF|LBP)\s?(\d\d)\d", model)
    return f"{match.group(1)}{match.group(2)}0 Series" if match else model


def _scanner_values(
    spec: DeviceSpec, rng: random.Random, *, uptime_ticks: int, sys_name: str
) -> DeviceValues:
    maker = _maker(spec)
    if maker == "epson":
        sys_descr = "EPSON 10/100/1000 Ethernet USB Ext. Scan Server"
        sys_object_id = "1.3.6.1.4.1.1248.1.1.2.1.3"
    elif maker == "fujitsu":
        sys_descr = f"FUJITSU {spec.model} Network Scanner (PaperStream NX Manager agent)"
        sys_object_id = "1.3.6.1.4.1.211.1.127"
    else:
        sys_descr = f"{spec.manufacturer} {spec.model} Network Scanner"
        sys_object_id = "1.3.6.1.4.1.1602.4.9"
    return DeviceValues(
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        sys_name=sys_name,
        uptime_ticks=uptime_ticks,
        serial=spec.serial_on_device,
        device_status=2,
        interfaces=(_agent_port(rng, oui=_OUI.get(maker, "0026AB")),),
    )


def _ups_values(
    spec: DeviceSpec, rng: random.Random, *, uptime_ticks: int, sys_name: str
) -> DeviceValues:
    maker = _maker(spec)
    load = rng.randint(12, 48)
    if spec.state == State.ON_BATTERY:
        source, battery = "battery", "normal"
        charge = rng.randint(55, 90)
        minutes = max(3, round(charge * 0.45 * (30 / load)))
        on_battery = rng.randint(120, 1_500)
        voltage = 0
    elif spec.state == State.BATTERY_LOW:
        source, battery = "battery", "low"
        charge = rng.randint(4, 14)
        minutes = rng.randint(1, 3)
        on_battery = rng.randint(1_800, 4_000)
        voltage = 0
    else:
        source, battery = "normal", "normal"
        charge = 100
        minutes = round(60 * (30 / load))
        on_battery = 0
        voltage = rng.randint(214, 236)
    if maker == "apc":
        sys_descr = (
            "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.9.6 PN:apc_hw05_aos_696.bin "
            "AF1:v6.9.6 AN1:apc_hw05_sumx_696.bin MN:AP9631 HR:05 "
            f"SN: 5A{rng.randint(1900, 2352)}E{rng.randint(10000, 99999)} MD:03/08/2023) "
            "(Embedded PowerNet SNMP Agent SW v2.2 compatible)"
        )
        sys_object_id = "1.3.6.1.4.1.318.1.3.27"
    else:
        sys_descr = f"Eaton {spec.model} Network-M2 3.1.{rng.randint(0, 9)}"
        sys_object_id = "1.3.6.1.4.1.534.1"
    return DeviceValues(
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        sys_name=sys_name,
        uptime_ticks=uptime_ticks,
        serial=spec.serial_on_device,
        output_source=source,
        battery_status=battery,
        charge_percent=charge,
        minutes_remaining=minutes,
        seconds_on_battery=on_battery,
        load_percent=load,
        input_voltage=voltage,
        interfaces=(_agent_port(rng, oui=_OUI.get(maker, "000680")),),
    )


def _router_values(
    spec: DeviceSpec, rng: random.Random, *, uptime_ticks: int, sys_name: str
) -> DeviceValues:
    maker = _maker(spec)
    wan_up = spec.state != State.WAN_DOWN
    lan_ports_used = rng.randint(1, 3)
    if maker == "cisco":
        names = [
            ("GigabitEthernet0/0/0", "Gi0/0/0"),
            ("GigabitEthernet0/0/1", "Gi0/0/1"),
            ("GigabitEthernet0/1/0", "Gi0/1/0"),
            ("GigabitEthernet0/1/1", "Gi0/1/1"),
            ("Vlan1", "Vl1"),
        ]
        oui = "00EB4B"
        sys_descr = (
            "Cisco IOS Software [Amsterdam], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
            "Version 17.3.4a, RELEASE SOFTWARE (fc3)\r\n"
            "Technical Support: http://www.cisco.com/techsupport\r\n"
            "Copyright (c) 1986-2021 by Cisco Systems, Inc.\r\n"
            "Compiled Tue 20-Jul-21 04:59 by mcpre"
        )
        sys_object_id = "1.3.6.1.4.1.9.1.2068"
    else:  # MikroTik RouterOS
        names = [(n, n) for n in ("ether1", "ether2", "ether3", "ether4", "ether5")]
        oui = "48A98A"
        sys_descr = f"RouterOS {spec.model.split()[-1]}"
        sys_object_id = "1.3.6.1.4.1.14988.1"
    base_mac = _mac(rng, oui)
    interfaces = []
    for number, (descr, name) in enumerate(names, start=1):
        wan = number == 1
        # unused ports are shut (admin down), as the ministry's router template does
        used = wan or number <= 1 + lan_ports_used or descr.startswith("Vlan")
        oper_up = wan_up if wan else used
        interfaces.append(
            Interface(
                index=number,
                descr=descr,
                name=name,
                alias="WAN" if wan else ("LAN" if used else ""),
                admin_up=used,
                oper_up=oper_up,
                speed_mbps=1000 if oper_up else 0,
                mac=base_mac[:5] + bytes([(base_mac[5] + number) % 256]),
            )
        )
    return DeviceValues(
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        sys_name=sys_name,
        uptime_ticks=uptime_ticks,
        serial=spec.serial_on_device,
        interfaces=tuple(interfaces),
    )


def _server_values(
    spec: DeviceSpec, rng: random.Random, *, uptime_ticks: int, sys_name: str
) -> DeviceValues:
    return DeviceValues(
        sys_descr=f"Integrated Lights-Out 5 2.{rng.randint(60, 90)} Jan 20 2024",
        sys_object_id="1.3.6.1.4.1.232.9.4.11",
        sys_name=sys_name,
        uptime_ticks=uptime_ticks,
        serial=spec.serial_on_device,
        interfaces=(_agent_port(rng, oui="9440C9"),),
    )


_OUI = {
    "hp": "3822E2",
    "canon": "F4A997",
    "kyocera": "0017C8",
    "epson": "64EB8C",
    "fujitsu": "000B5D",
    "apc": "28299A",
    "eaton": "000680",
}


def _agent_port(rng: random.Random, *, oui: str) -> Interface:
    return Interface(
        index=1,
        descr="Ethernet",
        name="eth0",
        alias="",
        admin_up=True,
        oper_up=True,
        speed_mbps=100,
        mac=_mac(rng, oui),
    )


# --- records -----------------------------------------------------------------------------

SYSTEM = "1.3.6.1.2.1.1"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
HR_DEVICE_ENTRY = "1.3.6.1.2.1.25.3.2.1"
HR_DEVICE_OTHER = "1.3.6.1.2.1.25.3.1.1"
PRT_INPUT_ENTRY = "1.3.6.1.2.1.43.8.2.1"
PRT_MARKER_ENTRY = "1.3.6.1.2.1.43.10.2.1"
PRT_SUPPLIES_ENTRY = "1.3.6.1.2.1.43.11.1.1"
UPS_MIB = "1.3.6.1.2.1.33.1"
ENT_PHYSICAL_ENTRY = "1.3.6.1.2.1.47.1.1.1.1"
MIKROTIK_FIRMWARE = "1.3.6.1.4.1.14988.1.1.7.4.0"
APC_UPS = "1.3.6.1.4.1.318.1.1.1"
HP_ILO_SERIAL = "1.3.6.1.4.1.232.2.2.2.1.0"  # CPQSINFO-MIB cpqSiSysSerialNum
UPS_OUTPUT_VALUE = {"normal": 3, "battery": 5}
UPS_BATTERY_VALUE = {"normal": 2, "low": 3}
APC_OUTPUT_VALUE = {"normal": 2, "battery": 3}  # onLine, onBattery
APC_BATTERY_VALUE = {"normal": 2, "low": 3}  # batteryNormal, batteryLow


def device_records(spec: DeviceSpec) -> dict[str, Typed]:
    """Return a device's recording, {OID: typed value} in OID order. Pure and deterministic."""
    values = device_values(spec)
    records: list[Record] = [
        (oids.SYS_DESCR, OCTETS, values.sys_descr),
        (oids.SYS_OBJECT_ID, OID, values.sys_object_id),
        (oids.SYS_UPTIME, TIMETICKS, values.uptime_ticks),
        (f"{SYSTEM}.4.0", OCTETS, "Ministry of Justice IT department, Dushanbe"),
        (oids.SYS_NAME, OCTETS, values.sys_name),
        (f"{SYSTEM}.6.0", OCTETS, spec.location),
        (f"{SYSTEM}.7.0", INTEGER, 72 if spec.kind != "router" else 78),
    ]
    records += _interface_records(values.interfaces)
    maker = _maker(spec)
    if spec.kind == "printer":
        records += _printer_records(spec, values)
    elif spec.kind == "scanner":
        if maker == "epson":  # Epson's network interface names the unit (oids.EPSON_SERIAL)
            records.append((oids.EPSON_SERIAL, OCTETS, values.serial))
        records += _hr_device_records(
            index=1, type_oid=HR_DEVICE_OTHER, descr=spec.model, status=2, errors=0
        )
        records += _entity_records(
            descr=f"{spec.manufacturer} {spec.model}", model=spec.model, serial=values.serial
        )
    elif spec.kind == "ups" and maker == "apc":
        records += _apc_records(spec, values)
    elif spec.kind == "ups":
        records += _ups_mib_records(spec, values)
        records.append((oids.MGE_SERIAL, OCTETS, values.serial))
    elif spec.kind == "router" and maker == "cisco":
        records += _entity_records(
            descr="Cisco ISR1100 Chassis",
            model=spec.model.replace("ISR ", "ISR"),
            serial=values.serial,
        )
    elif spec.kind == "router":
        records.append((oids.MIKROTIK_SERIAL, OCTETS, values.serial))
        records.append((MIKROTIK_FIRMWARE, OCTETS, "7.14.3"))
    elif spec.kind == "server":
        records += _entity_records(
            descr=f"{spec.manufacturer} {spec.model}", model=spec.model, serial=values.serial
        )
        records.append((HP_ILO_SERIAL, OCTETS, values.serial))
    records.sort(key=lambda record: oids.oid_key(record[0]))
    return {oid: Typed(tag, value) for oid, tag, value in records}  # type: ignore[arg-type]


def _interface_records(interfaces: Iterable[Interface]) -> list[Record]:
    records: list[Record] = []
    for i in interfaces:
        n = i.index
        records += [
            (f"{IF_ENTRY}.1.{n}", INTEGER, n),
            (f"{oids.IF_DESCR}.{n}", OCTETS, i.descr),
            (f"{IF_ENTRY}.3.{n}", INTEGER, 6 if not i.descr.startswith("Vlan") else 53),
            (f"{IF_ENTRY}.4.{n}", INTEGER, 1500),
            (f"{IF_ENTRY}.5.{n}", GAUGE32, i.speed_mbps * 1_000_000),
            (f"{IF_ENTRY}.6.{n}", OCTETS, i.mac),
            (f"{oids.IF_ADMIN_STATUS}.{n}", INTEGER, 1 if i.admin_up else 2),
            (f"{oids.IF_OPER_STATUS}.{n}", INTEGER, 1 if i.oper_up else 2),
            (f"{oids.IF_NAME}.{n}", OCTETS, i.name),
            (f"{IFX_ENTRY}.15.{n}", GAUGE32, i.speed_mbps),
            (f"{IFX_ENTRY}.18.{n}", OCTETS, i.alias),
        ]
    return records


def _hr_device_records(
    *, index: int, type_oid: str, descr: str, status: int, errors: int
) -> list[Record]:
    return [
        (f"{HR_DEVICE_ENTRY}.1.{index}", INTEGER, index),
        (f"{oids.HR_DEVICE_TYPE}.{index}", OID, type_oid),
        (f"{oids.HR_DEVICE_DESCR}.{index}", OCTETS, descr),
        (f"{HR_DEVICE_ENTRY}.4.{index}", OID, "0.0"),
        (f"{oids.HR_DEVICE_STATUS}.{index}", INTEGER, status),
        (f"{HR_DEVICE_ENTRY}.6.{index}", COUNTER32, errors),
    ]


def error_state_octets(errors: Iterable[str]) -> bytes:
    """Return hrPrinterDetectedErrorState for named RFC 3805 bits, two octets as devices send."""
    value = 0
    for name in errors:
        value |= 1 << (15 - PRINTER_ERROR_BITS.index(name))
    return value.to_bytes(2, "big")


def _printer_records(spec: DeviceSpec, values: DeviceValues) -> list[Record]:
    assert values.device_status is not None and values.printer_status is not None
    records = _hr_device_records(
        index=1,
        type_oid=oids.HR_DEVICE_PRINTER,
        descr=f"{spec.manufacturer} {spec.model}",
        status=values.device_status,
        errors=len(values.errors),
    )
    records += [
        (f"{oids.HR_PRINTER_STATUS}.1", INTEGER, values.printer_status),
        (f"{oids.HR_PRINTER_ERROR_STATE}.1", OCTETS, error_state_octets(values.errors)),
        (f"{oids.PRT_GENERAL_SERIAL}.1", OCTETS, values.serial),
        # the marker: counter unit impressions, life count, power-on count
        (f"{PRT_MARKER_ENTRY}.2.1.1", INTEGER, 4),  # electrophotographicLaser
        (f"{oids.PRT_MARKER_COUNTER_UNIT}.1.1", INTEGER, 7),  # impressions
        (f"{oids.PRT_MARKER_LIFE_COUNT}.1.1", COUNTER32, values.page_count),
        (f"{PRT_MARKER_ENTRY}.5.1.1", COUNTER32, values.page_count % 977),
    ]
    for number, supply in enumerate(values.supplies, start=1):
        index = f"1.{number}"
        records += [
            (f"{PRT_SUPPLIES_ENTRY}.2.{index}", INTEGER, 1),
            (f"{PRT_SUPPLIES_ENTRY}.3.{index}", INTEGER, 1 if supply.type == TYPE_TONER else 0),
            (f"{oids.PRT_SUPPLY_CLASS}.{index}", INTEGER, supply.supply_class),
            (f"{oids.PRT_SUPPLY_TYPE}.{index}", INTEGER, supply.type),
            (f"{oids.PRT_SUPPLY_DESCR}.{index}", OCTETS, supply.description),
            (f"{oids.PRT_SUPPLY_UNIT}.{index}", INTEGER, supply.unit),
            (f"{oids.PRT_SUPPLY_MAX}.{index}", INTEGER, supply.max_capacity),
            (f"{oids.PRT_SUPPLY_LEVEL}.{index}", INTEGER, supply.level),
        ]
    # one input tray: Tray 2 (the 250-sheet cassette), level known only as "some remaining"
    records += [
        (f"{PRT_INPUT_ENTRY}.2.1.1", INTEGER, 4),  # sheetFeedAutoNonRemovableTray
        (f"{PRT_INPUT_ENTRY}.8.1.1", INTEGER, 8),  # sheets
        (f"{PRT_INPUT_ENTRY}.9.1.1", INTEGER, 250),
        (f"{PRT_INPUT_ENTRY}.10.1.1", INTEGER, LEVEL_SOME_REMAINING),
        (f"{PRT_INPUT_ENTRY}.11.1.1", INTEGER, 0),
        (f"{PRT_INPUT_ENTRY}.12.1.1", OCTETS, "A4"),
        (f"{PRT_INPUT_ENTRY}.13.1.1", OCTETS, "Tray 2"),
    ]
    return records


def _entity_records(*, descr: str, model: str, serial: str) -> list[Record]:
    return [
        (f"{ENT_PHYSICAL_ENTRY}.2.1", OCTETS, descr),
        (f"{oids.ENT_PHYSICAL_CLASS}.1", INTEGER, 3),  # chassis
        (f"{ENT_PHYSICAL_ENTRY}.7.1", OCTETS, "Chassis"),
        (f"{oids.ENT_PHYSICAL_SERIAL}.1", OCTETS, serial),
        (f"{ENT_PHYSICAL_ENTRY}.13.1", OCTETS, model),
    ]


def _ups_mib_records(spec: DeviceSpec, values: DeviceValues) -> list[Record]:
    """RFC 1628 UPS-MIB, as an Eaton Network-M2 card serves it."""
    assert values.output_source is not None and values.battery_status is not None
    on_battery = values.output_source == "battery"
    load = values.load_percent or 0
    return [
        (oids.UPS_IDENT_MANUFACTURER, OCTETS, "EATON"),
        (oids.UPS_IDENT_MODEL, OCTETS, f"Eaton {spec.model}"),
        (f"{UPS_MIB}.1.3.0", OCTETS, "INV: 02.08.0003"),
        (f"{UPS_MIB}.1.4.0", OCTETS, "Network-M2 3.1.7"),
        (f"{UPS_MIB}.1.5.0", OCTETS, values.sys_name),
        (oids.UPS_BATTERY_STATUS, INTEGER, UPS_BATTERY_VALUE[values.battery_status]),
        (oids.UPS_SECONDS_ON_BATTERY, INTEGER, values.seconds_on_battery or 0),
        (oids.UPS_MINUTES_REMAINING, INTEGER, values.minutes_remaining),
        (oids.UPS_CHARGE_REMAINING, INTEGER, values.charge_percent),
        (f"{UPS_MIB}.2.5.0", INTEGER, 272 if not on_battery else 248),  # 0.1 V
        (oids.UPS_BATTERY_TEMPERATURE, INTEGER, 27),
        (f"{UPS_MIB}.3.1.0", COUNTER32, 3 + (1 if on_battery else 0)),
        (f"{UPS_MIB}.3.2.0", INTEGER, 1),
        (f"{UPS_MIB}.3.3.1.1.1", INTEGER, 1),
        (f"{UPS_MIB}.3.3.1.2.1", INTEGER, 0 if on_battery else 500),  # 0.1 Hz
        (f"{oids.UPS_INPUT_VOLTAGE}.1", INTEGER, values.input_voltage),
        (oids.UPS_OUTPUT_SOURCE, INTEGER, UPS_OUTPUT_VALUE[values.output_source]),
        (f"{UPS_MIB}.4.2.0", INTEGER, 500),
        (f"{UPS_MIB}.4.3.0", INTEGER, 1),
        (f"{UPS_MIB}.4.4.1.1.1", INTEGER, 1),
        (f"{UPS_MIB}.4.4.1.2.1", INTEGER, 230),
        (f"{UPS_MIB}.4.4.1.3.1", INTEGER, round(load * 0.45)),  # 0.1 A
        (f"{UPS_MIB}.4.4.1.4.1", INTEGER, load * 9),  # W of 900 W
        (f"{oids.UPS_OUTPUT_PERCENT_LOAD}.1", INTEGER, load),
        (oids.UPS_ALARMS_PRESENT, GAUGE32, 1 if on_battery else 0),
    ]


def _apc_records(spec: DeviceSpec, values: DeviceValues) -> list[Record]:
    """APC PowerNet-MIB only (an AP9631 card: UPS-MIB holds just the manufacturer)."""
    assert values.output_source is not None and values.battery_status is not None
    minutes = values.minutes_remaining or 0
    charge = values.charge_percent or 0
    load = values.load_percent or 0
    return [
        (oids.UPS_IDENT_MANUFACTURER, OCTETS, "APC"),
        (f"{APC_UPS}.1.1.1.0", OCTETS, spec.model.replace("SMT", "").strip() or spec.model),
        (f"{APC_UPS}.1.2.1.0", OCTETS, "UPS 09.3 (ID18)"),
        (oids.APC_SERIAL, OCTETS, values.serial),
        (oids.APC_BATTERY_STATUS, INTEGER, APC_BATTERY_VALUE[values.battery_status]),
        (f"{APC_UPS}.2.1.2.0", TIMETICKS, (values.seconds_on_battery or 0) * 100),
        (oids.APC_CHARGE, GAUGE32, charge),
        (f"{APC_UPS}.2.2.2.0", GAUGE32, 29),
        (oids.APC_RUNTIME, TIMETICKS, minutes * 6_000),
        (oids.APC_REPLACE_INDICATOR, INTEGER, 1),  # noBatteryNeedsReplacing
        (oids.APC_CHARGE_HIGH_PREC, GAUGE32, charge * 10),
        (oids.APC_INPUT_VOLTAGE, GAUGE32, values.input_voltage),
        (f"{APC_UPS}.3.2.4.0", GAUGE32, 0 if values.output_source == "battery" else 50),
        (oids.APC_OUTPUT_STATUS, INTEGER, APC_OUTPUT_VALUE[values.output_source]),
        (f"{APC_UPS}.4.2.1.0", GAUGE32, 230),
        (f"{APC_UPS}.4.2.2.0", GAUGE32, 50),
        (oids.APC_LOAD, GAUGE32, load),
        (oids.APC_LOAD_HIGH_PREC, GAUGE32, load * 10),
    ]


# --- the agent -------------------------------------------------------------------------------

AGENT_NAME = "snmpsim-command-responder"
# snmpsim 1.2 keeps at most 32 recordings open per process and, past that, closes and reopens
# one (stat, open, index check) on nearly every request: with hundreds of devices per agent
# that, not SNMP, is most of its time. The agent runs with the limit raised (and the open-files
# limit it then needs); everything else is snmpsim's own command.
AGENT_LAUNCHER = (
    "import resource, sys\n"
    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
    "from snmpsim import datafile\n"
    "datafile.DataFile.max_queue_entries = 1_000_000\n"
    "from snmpsim.commands.responder import main\n"
    f"sys.argv[0] = {AGENT_NAME!r}\n"
    "sys.exit(main())\n"
)


def agent_command(
    *, python: str, data_dir: Path, cache_dir: Path, endpoints: Iterable[str]
) -> list[str]:
    """Return the command line of an snmpsim agent serving ``data_dir`` on ``endpoints``.

    ``python`` is the interpreter of an environment with snmpsim installed; each endpoint is
    "address:port". Requests are not logged (the log would grow by a line per request).
    """
    return [
        python,
        "-c",
        AGENT_LAUNCHER,
        f"--data-dir={data_dir}",
        f"--cache-dir={cache_dir}",
        "--log-level=error",
        *(f"--agent-udpv4-endpoint={endpoint}" for endpoint in endpoints),
    ]


# --- files -------------------------------------------------------------------------------


def write_recordings(specs: Iterable[DeviceSpec], directory: Path) -> list[DeviceSpec]:
    """Write one ``<community>.snmprec`` per answering device; return the devices served.

    A file whose content is unchanged is left alone (snmpsim re-indexes a file it sees
    modified). Recordings of devices no longer served (silent now, or gone from the register)
    are removed, so the agent drops their community.
    """
    directory.mkdir(parents=True, exist_ok=True)
    served: list[DeviceSpec] = []
    wanted: set[str] = set()
    for spec in specs:
        if spec.state == State.SILENT:
            continue
        path = directory / f"{spec.community}.snmprec"
        records = device_records(spec)
        text = format_snmprec(records)
        try:
            unchanged = path.read_text(encoding="ascii") == text
        except (OSError, UnicodeDecodeError):
            unchanged = False
        if not unchanged:
            write_snmprec(path, records)
        wanted.add(path.name)
        served.append(spec)
    for stale in directory.glob("*.snmprec"):
        if stale.name not in wanted:
            stale.unlink()
    return served


def summary(specs: Iterable[DeviceSpec]) -> dict[str, int]:
    """Return how many devices are in each state."""
    counts: dict[str, int] = {}
    for spec in specs:
        counts[spec.state] = counts.get(spec.state, 0) + 1
    return dict(sorted(counts.items()))


__all__ = [
    "KINDS",
    "SEED",
    "DeviceSpec",
    "DeviceValues",
    "Interface",
    "Record",
    "State",
    "Supply",
    "agent_command",
    "assign_states",
    "community_for",
    "device_records",
    "device_values",
    "error_state_octets",
    "summary",
    "write_recordings",
]


def page_count_history(spec: DeviceSpec, *, weeks: int = 12) -> list[tuple[int, int]]:
    """Return (weeks ago, page counter) readings of a simulated printer before today.

    The counter grows by a steady weekly amount with some noise, ending below today's value,
    so a newcomer's demo shows a page-counter chart at once.
    """
    values = device_values(spec)
    if values.page_count is None:
        return []
    rng = _rng(spec, "history")
    weekly = rng.randrange(150, 1_200)
    readings = []
    count = values.page_count
    for weeks_ago in range(1, weeks + 1):
        count = max(0, count - weekly - rng.randrange(0, weekly // 2 + 1))
        readings.append((weeks_ago, count))
    return sorted(readings, reverse=True)


# --- the demo's past: poll history (manage.py demo_operations) --------------------------------

HISTORY_EVERY_HOURS = 6.0  # one reading per poller sample (MONITOR_SAMPLE_HOURS)
# Pages one toner cartridge prints (ISO/IEC 19752, 5 % coverage), by make; others: HP CF259A.
CARTRIDGE_PAGES: dict[str, int] = {"kyocera": 12_500, "canon": 3_100}
CARTRIDGE_PAGES_DEFAULT = 3_000
# Weeks one cartridge lasts, chosen per printer. 8 to 14: a printer low on toner (under 10 %)
# then runs out within 9 days and a normal one (22 % or more) in 12 days or more.
CARTRIDGE_WEEKS = (8.0, 14.0)
# Offices print on weekdays (a little on Saturday) from 8 to 18, Dushanbe time (UTC+5).
OFFICE_ZONE = dt.timezone(dt.timedelta(hours=5))
OFFICE_HOURS = (8, 18)
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.05)  # Monday … Sunday
OFF_HOURS_WEIGHT = 0.05
SILENT_SINCE_DAYS = (14.0, 42.0)  # a silent device last answered this many days ago
TONER_OUT_SINCE_DAYS = (0.5, 3.0)  # an empty printer has printed nothing for this long
OLD_BOARD_PAGES = (20_000, 120_000)  # the counter of a formatter board swapped out


@dataclass(frozen=True)
class Reading:
    """One past poll of a simulated printer: its page counter and supplies at ``at``."""

    at: dt.datetime
    page_count: int
    supplies: tuple[Supply, ...]


def _printing_weight(middle: dt.datetime) -> float:
    """Return how much an office prints around ``middle`` (office time), relative to a
    weekday's office hour."""
    hours = 1.0 if OFFICE_HOURS[0] <= middle.hour < OFFICE_HOURS[1] else OFF_HOURS_WEIGHT
    return WEEKDAY_WEIGHT[middle.weekday()] * hours


def cartridge_pages(spec: DeviceSpec) -> int:
    """Return the pages one toner cartridge of the printer's make prints."""
    return CARTRIDGE_PAGES.get(_maker(spec), CARTRIDGE_PAGES_DEFAULT)


def supply_history(
    spec: DeviceSpec,
    *,
    days: float,
    now: dt.datetime,
    every_hours: float = HISTORY_EVERY_HOURS,
    counter_reset: bool = False,
) -> list[Reading]:
    """Return a simulated printer's readings every ``every_hours`` over ``days``, oldest first.

    Pure and deterministic. The last reading is what the device reports today
    (``device_values``), at ``now``; a silent device's last one is 2 to 6 weeks before. Going
    back from it, the page counter falls by the pages printed (weekdays in office hours, with
    noise), at the rate at which one toner cartridge lasts 8 to 14 weeks; the toner rises by
    the same pages (capacity ÷ the cartridge's pages per page) and where it would pass full,
    the cartridge was replaced: before that, the old one was nearly empty. The drum counts the
    same pages; "some remaining" and unknown levels stay. A printer out of toner printed
    nothing over its last half day to three days.

    A counter that would fall below 0 going back started there: the history starts at that
    reading (a printer new then) or, with ``counter_reset``, the counter restarted at 0 there
    (a formatter board swapped) and before it shows the old board's count. Devices without a
    page counter have no history: [].
    """
    values = device_values(spec)
    if values.page_count is None or days <= 0 or every_hours <= 0:
        return []
    rng = _rng(spec, "supply-history")
    end = now
    if spec.state == State.SILENT:
        end = now - dt.timedelta(days=rng.uniform(*SILENT_SINCE_DAYS))
    step = dt.timedelta(hours=every_hours)
    count = int((end - (now - dt.timedelta(days=days))) / step)
    if count < 0:
        return []
    times = [end - step * k for k in range(count, -1, -1)]

    # Pages printed in each interval (index i: from times[i - 1] to times[i]); the office's
    # zone has a fixed offset, so its clock times are found by adding the step.
    middle = (times[0] - step / 2).astimezone(OFFICE_ZONE)
    weights = [0.0] + [_printing_weight(middle + step * i) for i in range(1, len(times))]
    weekly = cartridge_pages(spec) / rng.uniform(*CARTRIDGE_WEEKS)
    mean_weight = sum(weights) / max(len(weights) - 1, 1) or 1.0
    per_interval = weekly / 7 * every_hours / 24 / mean_weight
    idle_since = None
    if spec.state == State.TONER_OUT:
        idle_since = end - dt.timedelta(days=rng.uniform(*TONER_OUT_SINCE_DAYS))
    pages = [
        0
        if idle_since is not None and at > idle_since
        else round(w * per_interval * rng.uniform(0.5, 1.5))
        for at, w in zip(times, weights, strict=True)
    ]

    pages_per_unit = {
        number: _units_per_page(supply, cartridge=cartridge_pages(spec))
        for number, supply in enumerate(values.supplies)
    }
    levels = [float(supply.level) for supply in values.supplies]
    counter = values.page_count
    readings = [Reading(times[-1], counter, values.supplies)]
    for i in range(len(times) - 1, 0, -1):
        printed = pages[i]
        if counter - printed >= 0:
            counter -= printed
        elif counter_reset:
            counter = rng.randrange(*OLD_BOARD_PAGES)  # the old board's count before the swap
            counter_reset = False
        else:
            break  # a new printer: nothing before its counter's start
        for number, supply in enumerate(values.supplies):
            per_page = pages_per_unit[number]
            if not per_page:
                continue
            levels[number] += printed * per_page
            if levels[number] > supply.max_capacity:  # a cartridge was put in here
                levels[number] = supply.max_capacity * rng.uniform(0.005, 0.08)
        supplies = tuple(
            Supply(
                supply.description,
                supply.supply_class,
                supply.type,
                supply.unit,
                supply.max_capacity,
                round(levels[number]),
            )
            if pages_per_unit[number]
            else supply
            for number, supply in enumerate(values.supplies)
        )
        readings.append(Reading(times[i - 1], counter, supplies))
    readings.reverse()
    return readings


def _units_per_page(supply: Supply, *, cartridge: int) -> float:
    """Return how much of a supply one page uses, in its own unit (0: its level never moves)."""
    if supply.level < 0 or supply.max_capacity <= 0:
        return 0.0
    if supply.type == TYPE_TONER:
        return supply.max_capacity / cartridge
    if supply.type == TYPE_OPC and supply.unit == UNIT_IMPRESSIONS:
        return 1.0
    return 0.0


def supplies_json(supplies: Iterable[Supply]) -> list[dict]:
    """Return supplies as a poll stores them (``MonitoredDevice.supplies``, ``PollOutcome``).

    The dicts of ``decode.SupplyLevel`` that decoding the recording gives (index "1.N", names
    for the class, type and unit, the RFC 3805 percent), built directly: history has many.
    """
    rows = []
    for number, supply in enumerate(supplies, start=1):
        percent, reason = supply_percent(level=supply.level, max_capacity=supply.max_capacity)
        rows.append(
            {
                "index": f"1.{number}",
                "description": supply.description,
                "supply_class": SUPPLY_CLASSES.get(supply.supply_class),
                "type": SUPPLY_TYPES.get(supply.type),
                "unit": SUPPLY_UNITS.get(supply.unit),
                "level": supply.level,
                "max_capacity": supply.max_capacity,
                "percent": percent,
                "percent_null_reason": reason,
            }
        )
    return rows
