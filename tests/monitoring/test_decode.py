"""The decoders on hand-made edge cases and on the project's own recordings: pure, no database.

The three recordings below (a printer, a UPS, a router) are written here, not taken from
../shared, so a fresh clone tests the same code paths as test_recordings.py.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from monitoring.snmp import oids
from monitoring.snmp.decode import (
    PERCENT_NULL_REASONS,
    PRINTER_ERROR_BITS,
    DeviceFacts,
    InterfaceFacts,
    PrinterFacts,
    RawDevice,
    SupplyLevel,
    UpsFacts,
    as_int,
    device_facts,
    display_text,
    facts_json,
    printer_errors,
    supply_percent,
    ups_facts,
    uptime_seconds,
)
from monitoring.snmp.snmprec import Typed, raw_from_values, read_snmprec, write_snmprec


def _raw(scalars: dict | None = None, **columns: dict) -> RawDevice:
    """Return a RawDevice from scalars and {column name in oids: {index: value}}."""
    tables = {}
    for name, rows in columns.items():
        root = getattr(oids, name)
        tables[root] = {f"{root}.{index}": value for index, value in rows.items()}
    return RawDevice(scalars=scalars or {}, tables=tables)


# --- Text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (42, "42"),
        ("1.3.6.1.4.1.9", "1.3.6.1.4.1.9"),
        (b"", ""),
        (b"HP LaserJet M452nw", "HP LaserJet M452nw"),
        ("Принтери ҳуқуқӣ".encode(), "Принтери ҳуқуқӣ"),  # Tajik, UTF-8
        ("墨粉盒 黑色".encode(), "墨粉盒 黑色"),  # Chinese, UTF-8
        ("Тонер чёрный".encode("cp1251"), "Тонер чёрный"),  # Russian, CP1251
        ("Café Tóner".encode("latin-1"), "Café Tóner"),  # Latin-1
        ("Müller Señor Ça".encode("latin-1"), "Müller Señor Ça"),
        ("Toner ТК-1170 чёрный Ёмкость".encode("cp1251"), "Toner ТК-1170 чёрный Ёмкость"),
        ("“Toner” – 5 €".encode("cp1252"), "“Toner” – 5 €"),  # Windows-1252
        (b"Black\x00Toner\x00\x00\x00", "Black Toner"),  # embedded and trailing NULs
        (b"Black Cartridge \n38 32 37 41 20 48 50 00 ", "Black Cartridge 38 32 37 41 20 48 50 00"),
        (b"  Tray\t1\r\nLower  ", "Tray 1 Lower"),
        (b"Toner\x1b[31m red", "Toner [31m red"),  # an escape sequence cannot colour a page
        (b"\x00\x1a\x2b\x3c\x4d\x5e", "00 1A 2B 3C 4D 5E"),  # binary: hex octets
        (b"0x4A 0x4B", "0x4A 0x4B"),  # hex-looking text is left as sent
    ],
)
def test_display_text(value, text):
    assert display_text(value) == text


def test_display_text_multiline_keeps_lines():
    value = b'"Cisco IOS Software, Version 17\r\nTechnical Support\rCopyright  (c)\n"\n\n'

    assert display_text(value, multiline=True) == (
        '"Cisco IOS Software, Version 17\nTechnical Support\nCopyright  (c)\n"'
    )
    assert (
        display_text(value) == '"Cisco IOS Software, Version 17 Technical Support Copyright (c) "'
    )


def test_display_text_never_raises_and_never_returns_control_characters():
    rng = random.Random(5)
    samples = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))) for _ in range(300)]
    samples += ["墨粉".encode("gbk"), "トナー".encode("shift_jis"), b"\xff\xfe\x00A\x00B"]
    for sample in samples:
        text = display_text(sample)
        assert isinstance(text, str)
        assert not any(ord(char) < 32 or 0x7F <= ord(char) < 0xA0 for char in text), sample


def test_display_text_of_64_kb():
    started = time.perf_counter()

    long_text = display_text(b"Magenta Cartridge HP CF413A " * 2341)  # 65,548 bytes
    noise = display_text(bytes(random.Random(1).randrange(256) for _ in range(65536)))

    assert len(long_text) == 28 * 2341 - 1
    assert isinstance(noise, str)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (5, 5),
        (-3, -3),
        (2**64 - 1, 2**64 - 1),
        (b"100", 100),
        (b" -2\x00", -2),
        (b"12a", None),
        (b"", None),
        ("1.3.6", None),
        (None, None),
        (True, None),
    ],
)
def test_as_int(value, number):
    assert as_int(value) == number


# --- Error state, supplies, counters ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        (b"", ()),  # Epson sends an empty string
        (b"\x00", ()),
        (b"\x00\x00", ()),
        (b"\x80", ("lowPaper",)),
        (b"\x80\x00", ("lowPaper",)),  # Samsung
        (b"\x20\x00", ("lowToner",)),  # Sharp
        (b"\x01\x00", ("serviceRequested",)),
        (b"\x05", ("jammed", "serviceRequested")),
        (b"\x00\x80", ("inputTrayMissing",)),
        (b"\x00\x02", ("overduePreventMaint",)),
        (b"\x00\x01", ()),  # bit 15 is not defined
        (b"\x00\x00\xff\xff", ()),  # octets past the second carry no defined bit
        (b"\xff\xff", PRINTER_ERROR_BITS),
        (None, ()),
        (4, ()),  # an INTEGER where BITS belong: not guessed
    ],
)
def test_printer_errors(value, errors):
    assert printer_errors(value) == errors


def test_printer_error_names_are_rfc_3805s():
    assert PRINTER_ERROR_BITS == (
        "lowPaper",
        "noPaper",
        "lowToner",
        "noToner",
        "doorOpen",
        "jammed",
        "offline",
        "serviceRequested",
        "inputTrayMissing",
        "outputTrayMissing",
        "markerSupplyMissing",
        "outputNearFull",
        "outputFull",
        "inputTrayEmpty",
        "overduePreventMaint",
    )


@pytest.mark.parametrize(
    ("level", "max_capacity", "percent", "reason"),
    [
        (0, 100, 0.0, None),
        (100, 100, 100.0, None),
        (1, 3, 33.33, None),
        (2, 3, 66.67, None),
        (17600, 20000, 88.0, None),
        (150, 100, 150.0, None),  # over the maximum: as computed, not capped
        (2**31 - 1, 2**31 - 1, 100.0, None),
        (2**63, 2**64, 50.0, None),
        (-1, 100, None, "level_other"),
        (-2, 100, None, "level_unknown"),
        (-3, 100, None, "some_remaining"),
        (-3, -2, None, "some_remaining"),  # Brother, UTAX, Fujifilm, Konica
        (-2, -2, None, "level_unknown"),  # Sharp fuser
        (-4, 100, None, "level_invalid"),
        (-(2**31), 100, None, "level_invalid"),
        (100, -2, None, "max_unknown"),  # Sharp waste toner
        (50, -1, None, "max_other"),
        (50, 0, None, "max_invalid"),
        (50, -7, None, "max_invalid"),
        (None, 100, None, "no_level"),
        (50, None, None, "no_max"),
    ],
)
def test_supply_percent(level, max_capacity, percent, reason):
    assert supply_percent(level=level, max_capacity=max_capacity) == (percent, reason)
    assert reason is None or reason in PERCENT_NULL_REASONS


def test_every_null_reason_has_words():
    assert all(str(words) for words in PERCENT_NULL_REASONS.values())


@pytest.mark.parametrize(
    ("ticks", "seconds"),
    [
        (0, 0.0),
        (52860963, 528609.63),
        (3721980054, 37219800.54),  # Samsung, close to the wrap
        (2**32 - 1, 42949672.95),  # the last tick before the wrap to 0
        (2**32, None),
        (-1, None),
        (None, None),
        (b"8900", 89.0),
        ("1.3.6", None),
    ],
)
def test_uptime_seconds(ticks, seconds):
    assert uptime_seconds(ticks) == seconds


@pytest.mark.parametrize(
    ("count", "page_count"),
    [(0, 0), (271871, 271871), (2**32 - 1, 2**32 - 1), (2**32, None), (-5, None), (None, None)],
)
def test_page_counter_is_a_counter32(count, page_count):
    raw = _raw(
        HR_DEVICE_TYPE={"1": oids.HR_DEVICE_PRINTER},
        PRT_MARKER_LIFE_COUNT={"1.1": count},
        PRT_MARKER_COUNTER_UNIT={"1.1": 7},
    )

    printer = device_facts(raw).printer

    assert printer.page_count == page_count
    assert printer.page_count_unit == "impressions"


def test_supplies_keep_index_order_and_names():
    raw = _raw(
        HR_DEVICE_TYPE={"1": oids.HR_DEVICE_PRINTER},
        PRT_SUPPLY_DESCR={"1.10": b"Fuser", "1.2": b"Drum", "1.1": b"Toner\x00"},
        PRT_SUPPLY_CLASS={"1.1": 3, "1.2": 4, "1.10": 99},
        PRT_SUPPLY_TYPE={"1.1": 21, "1.2": 4, "1.10": 15},
        PRT_SUPPLY_UNIT={"1.1": 19, "1.2": 7, "1.10": 5},
        PRT_SUPPLY_MAX={"1.1": 100, "1.2": -2, "1.10": b"junk"},
        PRT_SUPPLY_LEVEL={"1.1": 7, "1.2": 100, "1.10": 2**32},
    )

    supplies = device_facts(raw).printer.supplies

    assert supplies == (
        SupplyLevel(
            "1.1", "Toner", "supplyThatIsConsumed", "tonerCartridge", "percent", 7, 100, 7.0
        ),
        SupplyLevel(
            "1.2",
            "Drum",
            "receptacleThatIsFilled",
            "wasteToner",
            "impressions",
            100,
            -2,
            None,
            "max_unknown",
        ),
        SupplyLevel("1.10", "Fuser", None, "fuser", None, 2**32, None, None, "no_max"),
    )


# --- UPS --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sentinel", [65535, 655350, 2**31 - 1, 2**32 - 1, -1, None])
def test_ups_special_values_are_no_reading(sentinel):
    raw = _raw(
        {
            oids.UPS_CHARGE_REMAINING: sentinel,
            oids.UPS_MINUTES_REMAINING: sentinel,
            oids.UPS_BATTERY_STATUS: 2,
        },
        UPS_INPUT_VOLTAGE={"1": sentinel},
        UPS_OUTPUT_PERCENT_LOAD={"1": sentinel},
    )

    ups = ups_facts(raw)

    assert (ups.charge_percent, ups.minutes_remaining) == (None, None)
    assert (ups.load_percent, ups.input_voltage) == (None, None)
    assert ups.battery_status == "normal"


def test_ups_falls_back_value_by_value():
    raw = _raw(
        {
            oids.UPS_CHARGE_REMAINING: 65535,  # sentinel: next source
            oids.APC_CHARGE_HIGH_PREC: 423,  # 0.1 %
            oids.APC_CHARGE: 42,
            oids.UPS_MINUTES_REMAINING: None,
            oids.APC_RUNTIME: 540000,  # TimeTicks
            oids.XUPS_LOAD: 31,
            oids.CPS_INPUT_VOLTAGE: 2305,  # 0.1 V
        }
    )

    ups = ups_facts(raw)

    assert (ups.charge_percent, ups.minutes_remaining) == (42.3, 90.0)
    assert (ups.load_percent, ups.input_voltage) == (31.0, 230.5)
    assert (ups.output_source, ups.battery_status) == (None, None)


@pytest.mark.parametrize(
    ("oid", "value", "source", "raw_name"),
    [
        (oids.UPS_OUTPUT_SOURCE, 1, "other", "other"),
        (oids.UPS_OUTPUT_SOURCE, 2, "other", "none"),  # no output: the load is not powered
        (oids.UPS_OUTPUT_SOURCE, 3, "normal", "normal"),
        (oids.UPS_OUTPUT_SOURCE, 4, "bypass", "bypass"),
        (oids.UPS_OUTPUT_SOURCE, 5, "battery", "battery"),
        (oids.UPS_OUTPUT_SOURCE, 6, "booster", "booster"),
        (oids.UPS_OUTPUT_SOURCE, 7, "reducer", "reducer"),
        (oids.UPS_OUTPUT_SOURCE, 99, None, None),
        (oids.APC_OUTPUT_STATUS, 1, None, None),  # unknown
        (oids.APC_OUTPUT_STATUS, 2, "normal", "onLine"),
        (oids.APC_OUTPUT_STATUS, 3, "battery", "onBattery"),
        (oids.APC_OUTPUT_STATUS, 4, "booster", "onSmartBoost"),
        (oids.APC_OUTPUT_STATUS, 7, "other", "off"),
        (oids.APC_OUTPUT_STATUS, 10, "bypass", "hardwareFailureBypass"),
        (oids.APC_OUTPUT_STATUS, 12, "reducer", "onSmartTrim"),
        (oids.APC_OUTPUT_STATUS, 13, "normal", "ecoMode"),
        (oids.XUPS_OUTPUT_SOURCE, 5, "battery", "battery"),
        (oids.XUPS_OUTPUT_SOURCE, 11, "bypass", "maintenanceBypass"),
        (oids.XUPS_OUTPUT_SOURCE, 12, "normal", "essMode"),
        (oids.CPS_OUTPUT_STATUS, 9, "bypass", "onBypass"),
        (oids.CPS_OUTPUT_STATUS, 10, "reducer", "onBuck"),
        (oids.PPC_OUTPUT_STATUS, 4, "booster", "onBoost"),
        (oids.PPC_OUTPUT_STATUS, 6, "bypass", "onBypass"),
        (oids.MGE_ON_BATTERY, 1, "battery", "upsmgOutputOnBattery"),
        (oids.MGE_ON_BATTERY, 2, "normal", "upsmgOutputNormal"),
        (oids.MGE_ON_BYPASS, 1, "bypass", "upsmgOutputOnByPass"),
        (oids.MGE_ON_BOOST, 1, "booster", "upsmgOutputOnBoost"),
        (oids.MGE_ON_BUCK, 1, "reducer", "upsmgOutputOnBuck"),
    ],
)
def test_ups_output_source(oid, value, source, raw_name):
    ups = ups_facts(_raw({oid: value}))

    assert (ups.output_source, ups.output_source_raw) == (source, raw_name)


def test_ups_mib_output_source_comes_before_the_vendors():
    ups = ups_facts(_raw({oids.UPS_OUTPUT_SOURCE: 5, oids.CPS_OUTPUT_STATUS: 2}))

    assert ups.output_source == "battery"


@pytest.mark.parametrize(
    ("oid", "value", "status", "raw_name"),
    [
        (oids.UPS_BATTERY_STATUS, 1, "unknown", "unknown"),
        (oids.UPS_BATTERY_STATUS, 2, "normal", "batteryNormal"),
        (oids.UPS_BATTERY_STATUS, 3, "low", "batteryLow"),
        (oids.UPS_BATTERY_STATUS, 4, "depleted", "batteryDepleted"),
        (oids.UPS_BATTERY_STATUS, 0, None, None),
        (oids.APC_BATTERY_STATUS, 4, "depleted", "batteryInFaultCondition"),
        (oids.APC_BATTERY_STATUS, 5, "depleted", "noBatteryPresent"),
        (oids.CPS_BATTERY_STATUS, 4, "depleted", "batteryNotPresent"),
        (oids.PPC_BATTERY_STATUS, 3, "low", "batteryLow"),
        (oids.MGE_BATTERY_LOW, 1, "low", "upsmgBatteryLowBattery"),
        (oids.MGE_BATTERY_LOW, 2, "normal", "upsmgBatteryNotLow"),
    ],
)
def test_ups_battery_status(oid, value, status, raw_name):
    ups = ups_facts(_raw({oid: value}))

    assert (ups.battery_status, ups.battery_status_raw) == (status, raw_name)


def test_ups_line_tables_give_line_one():
    raw = _raw(
        UPS_INPUT_VOLTAGE={"2": 0, "1": 242, "3": 0},  # Riello: lines 2 and 3 read 0
        UPS_OUTPUT_PERCENT_LOAD={"1": 2, "2": 14, "3": 2},
    )

    ups = ups_facts(raw)

    assert (ups.input_voltage, ups.load_percent) == (242.0, 2.0)


# --- Interfaces, serial, kind -----------------------------------------------------------------


def test_interfaces():
    raw = _raw(
        {oids.SYS_OBJECT_ID: "1.3.6.1.4.1.12356.101.1.644"},
        IF_DESCR={"1": b"", "2": b"port2", "3": b"", "10": b"tunnel", "x": b"odd"},
        IF_NAME={"1": b"wan1", "3": b""},
        IF_ADMIN_STATUS={"1": 1, "2": 2, "10": 3},
        IF_OPER_STATUS={"1": 7, "2": 2, "3": 4, "10": 5},
    )

    facts = device_facts(raw)

    assert facts.kind == "router"
    assert facts.interfaces == (
        InterfaceFacts(1, "wan1", True, False, "up", "lowerLayerDown"),
        InterfaceFacts(2, "port2", False, False, "down", "down"),
        InterfaceFacts(3, "3", None, None, None, "unknown"),
        InterfaceFacts(10, "tunnel", False, False, "testing", "dormant"),
    )


@pytest.mark.parametrize(
    ("scalars", "columns", "serial"),
    [
        pytest.param({}, {}, None, id="none"),
        pytest.param(
            {oids.MIKROTIK_SERIAL: b"6F3A071688EA"},
            {
                "PRT_GENERAL_SERIAL": {"1": b"  \x00"},
                "ENT_PHYSICAL_SERIAL": {"1": b"CHASSIS1  ", "2": b"MOD2"},
                "ENT_PHYSICAL_CLASS": {"1": 3, "2": 9},
            },
            "CHASSIS1",
            id="chassis-first",
        ),
        pytest.param(
            {oids.MIKROTIK_SERIAL: b"6F3A071688EA"},
            {
                "ENT_PHYSICAL_SERIAL": {"131073": b"1e1c0000.xhci"},
                "ENT_PHYSICAL_CLASS": {"131073": 2},
            },
            "6F3A071688EA",
            id="vendor-before-other-entity-rows",
        ),
        pytest.param(
            {},
            {"ENT_PHYSICAL_SERIAL": {"1": b"", "5": b"FGT60F"}},
            "FGT60F",
            id="first-entity-row",
        ),
        pytest.param(
            {oids.ZEBRA_SERIAL: b"7062184"},
            {"PRT_GENERAL_SERIAL": {"1": b"MKRA012345"}},
            "MKRA012345",
            id="printer-mib-first",
        ),
        pytest.param({oids.APC_SERIAL: b"AS1234567890"}, {}, "AS1234567890", id="ups-vendor"),
    ],
)
def test_serial(scalars, columns, serial):
    assert device_facts(_raw(scalars, **columns)).serial == serial


LOOPBACK_AND_ETH = {"IF_DESCR": {"1": b"lo", "2": b"eth0"}}
TWO_PORTS = {"IF_DESCR": {"1": b"lo", "2": b"eth0", "3": b"eth1"}}


@pytest.mark.parametrize(
    ("scalars", "columns", "kind"),
    [
        pytest.param({}, {}, "other", id="nothing"),
        pytest.param(
            {}, {"HR_DEVICE_TYPE": {"1": oids.HR_DEVICE_PRINTER}}, "printer", id="hr-printer"
        ),
        pytest.param(
            {}, {"HR_PRINTER_ERROR_STATE": {"1": b"\x00"}}, "printer", id="hr-printer-row"
        ),
        pytest.param({}, {"PRT_SUPPLY_LEVEL": {"1.1": 5}}, "printer", id="printer-mib"),
        pytest.param(
            {oids.SYS_DESCR: b"EPSON Ethernet USB Ext. Scan Server"}, {}, "scanner", id="scanner"
        ),
        pytest.param(
            {}, {"HR_DEVICE_DESCR": {"1": b"Fujitsu fi-7300NX Scanner"}}, "scanner", id="hr-scan"
        ),
        pytest.param({oids.UPS_BATTERY_STATUS: 2}, {}, "ups", id="ups-mib"),
        pytest.param({oids.SYS_OBJECT_ID: "1.3.6.1.2.1.33"}, {}, "ups", id="ups-object-id"),
        pytest.param({oids.XUPS_CHARGE: 100}, TWO_PORTS, "ups", id="ups-with-ports"),
        pytest.param(
            {oids.SYS_OBJECT_ID: "1.3.6.1.4.1.9.1.2093"},
            {"IF_DESCR": {"1": b"Gi0/0/0"}},
            "router",
            id="cisco",
        ),
        pytest.param({oids.SYS_OBJECT_ID: "1.3.6.1.4.1.9.1.2093"}, {}, "other", id="cisco-no-if"),
        pytest.param(
            {oids.SYS_DESCR: b"RouterOS RB750Gr3"}, LOOPBACK_AND_ETH, "router", id="routeros"
        ),
        pytest.param(
            {oids.SYS_OBJECT_ID: "1.3.6.1.4.1.641.1.71106749"}, {}, "printer", id="lexmark-oid"
        ),
        pytest.param(
            {oids.SYS_DESCR: b"KYOCERA Document Solutions Printing System"},
            LOOPBACK_AND_ETH,
            "printer",
            id="printing-descr",
        ),
        pytest.param(
            {oids.SYS_OBJECT_ID: "1.3.6.1.4.1.16972"}, TWO_PORTS, "router", id="two-ports"
        ),
        pytest.param(
            {oids.SYS_DESCR: b"Integrated Lights-Out 5"}, LOOPBACK_AND_ETH, "other", id="one-port"
        ),
    ],
)
def test_kind(scalars, columns, kind):
    facts = device_facts(_raw(scalars, **columns))

    assert facts.kind == kind
    assert (facts.printer is not None) == (kind == "printer")
    assert (facts.ups is not None) == (kind == "ups")
    assert (facts.interfaces is not None) == (kind == "router")


# --- Odd input: never raises ------------------------------------------------------------------


def test_missing_everything():
    assert device_facts(RawDevice()) == DeviceFacts(
        sys_descr="",
        sys_object_id=None,
        sys_name="",
        uptime_seconds=None,
        serial=None,
        kind="other",
    )


@pytest.mark.parametrize(
    "raw",
    [
        None,
        RawDevice(scalars=None, tables=None),  # type: ignore[arg-type]
        RawDevice(tables={oids.PRT_SUPPLY_LEVEL: None}),  # type: ignore[dict-item]
        RawDevice(
            scalars={oids.SYS_DESCR: 5, oids.SYS_OBJECT_ID: b"\xff", oids.SYS_UPTIME: "abc"},
            tables={
                oids.PRT_SUPPLY_LEVEL: {
                    "garbage": b"x",
                    oids.PRT_SUPPLY_LEVEL + ".": 1,
                    oids.PRT_SUPPLY_LEVEL + ".1.a": 5,
                    oids.PRT_SUPPLY_LEVEL + ".1.1": "1.3",
                    7: 7,
                },
                oids.HR_DEVICE_TYPE: {oids.HR_DEVICE_TYPE + ".1": b"1.3.6.1.2.1.25.3.1.5"},
                oids.IF_DESCR: {oids.IF_DESCR + ".1.2": b"sub-index"},
            },
        ),
    ],
)
def test_odd_input_does_not_raise(raw):
    facts = device_facts(raw)

    assert facts.kind in ("printer", "other")
    json.dumps(facts_json(facts))


def test_random_values_never_raise():
    rng = random.Random(3805)

    def value():
        return rng.choice(
            [
                None,
                rng.randrange(-(2**64), 2**64),
                rng.choice([-3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 65535, 2**32 - 1]),
                bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))),
                ".".join(str(rng.randrange(0, 300)) for _ in range(rng.randrange(0, 12))),
            ]
        )

    for _ in range(300):
        scalars = {oid: value() for oid in oids.SCALARS if rng.random() < 0.5}
        tables = {
            root: {
                f"{root}.{rng.randrange(1, 4)}.{rng.randrange(1, 20)}": value() for _ in range(3)
            }
            for root in oids.TABLES
            if rng.random() < 0.5
        }
        facts = device_facts(RawDevice(scalars=scalars, tables=tables))
        json.dumps(facts_json(facts))


# --- The project's own recordings -------------------------------------------------------------

PRINTER_RECORDING = {
    oids.SYS_DESCR: Typed("4", b"Kyocera ECOSYS M2540dn\r\nPrinting System"),
    oids.SYS_OBJECT_ID: Typed("6", "1.3.6.1.4.1.1347.41"),
    oids.SYS_UPTIME: Typed("67", 4294967000),  # 295 ticks before the wrap
    oids.SYS_NAME: Typed("4", b"ZAGS-Khorog-PR1"),
    f"{oids.HR_DEVICE_TYPE}.1": Typed("6", oids.HR_DEVICE_PRINTER),
    f"{oids.HR_DEVICE_DESCR}.1": Typed("4", b"ECOSYS M2540dn"),
    f"{oids.HR_DEVICE_STATUS}.1": Typed("2", 3),
    f"{oids.HR_PRINTER_STATUS}.1": Typed("2", 4),
    f"{oids.HR_PRINTER_ERROR_STATE}.1": Typed("4", b"\x05\x00"),
    f"{oids.PRT_GENERAL_SERIAL}.1": Typed("4", b"VCF9Z12345"),
    f"{oids.PRT_MARKER_COUNTER_UNIT}.1.1": Typed("2", 7),
    f"{oids.PRT_MARKER_LIFE_COUNT}.1.1": Typed("65", 4294967295),
    **{
        f"{column}.1.{row}": Typed(tag, value)
        for row, values in {
            1: (3, 3, "Тонер-картридж TK-1170 чёрный".encode("cp1251"), 7, 7200, 1800),
            2: (3, 9, b"Drum\x00Unit DK-1150", 7, 100000, -3),
            3: (4, 4, "Контейнер отработанного тонера".encode(), 19, 100, 90),
            4: (3, 15, b"Fuser \n46 55 53 45 52", 19, -2, -2),
        }.items()
        for column, tag, value in zip(
            oids.PRT_SUPPLY_COLUMNS, ("2", "2", "4", "2", "2", "2"), values, strict=True
        )
    },
    f"{oids.PRT_ALERT_SEVERITY}.1.1": Typed("2", 3),
    f"{oids.PRT_ALERT_DESCR}.1.1": Typed("4", "Замятие бумаги".encode()),
    f"{oids.PRT_ALERT_SEVERITY}.1.2": Typed("2", 4),
    f"{oids.PRT_ALERT_DESCR}.1.2": Typed("4", b"Toner low\x00"),
    f"{oids.IF_DESCR}.1": Typed("4", b"eth0"),
    f"{oids.IF_ADMIN_STATUS}.1": Typed("2", 1),
    f"{oids.IF_OPER_STATUS}.1": Typed("2", 1),
}

UPS_RECORDING = {
    oids.SYS_DESCR: Typed("4", b"APC Web/SNMP Management Card (MB:v4.1.0 MN:AP9631)"),
    oids.SYS_OBJECT_ID: Typed("6", "1.3.6.1.4.1.318.1.3.27"),
    oids.SYS_UPTIME: Typed("67", 123456),
    oids.UPS_IDENT_MANUFACTURER: Typed("4", b"APC"),
    oids.UPS_IDENT_MODEL: Typed("4", b"Smart-UPS 1500"),
    oids.UPS_OUTPUT_SOURCE: Typed("2", 5),  # battery: mains lost
    oids.UPS_BATTERY_STATUS: Typed("66", 3),  # low, served as Gauge32 like Huawei's
    oids.UPS_CHARGE_REMAINING: Typed("2", 65535),  # no reading: APC's value is used
    oids.UPS_MINUTES_REMAINING: Typed("66", 2**31 - 1),
    f"{oids.UPS_INPUT_VOLTAGE}.1": Typed("2", 0),  # on battery: 0 V in
    f"{oids.UPS_OUTPUT_PERCENT_LOAD}.1": Typed("2", -1),
    oids.APC_CHARGE_HIGH_PREC: Typed("66", 423),
    oids.APC_RUNTIME: Typed("67", 540000),
    oids.APC_LOAD_HIGH_PREC: Typed("66", 355),
    oids.APC_REPLACE_INDICATOR: Typed("2", 2),
    oids.APC_SERIAL: Typed("4", b"AS1234567890"),
    oids.CPS_CHARGE: Typed("5", None),
    f"{oids.IF_DESCR}.1": Typed("4", b"lo"),
    f"{oids.IF_DESCR}.2": Typed("4", b"eth0"),
    f"{oids.IF_DESCR}.3": Typed("4", b"eth1"),
}

ROUTER_RECORDING = {
    oids.SYS_DESCR: Typed("4", b"RouterOS RB4011iGS+"),
    oids.SYS_OBJECT_ID: Typed("6", "1.3.6.1.4.1.14988.1"),
    oids.SYS_UPTIME: Typed("67", 0),  # just restarted
    oids.SYS_NAME: Typed("4", b"gw-rushon"),
    oids.MIKROTIK_SERIAL: Typed("4", b"HE208XYZ1AB"),
    **{
        f"{column}.{index}": value
        for index, (descr, name, admin, oper) in {
            1: (b"lo", b"lo", 1, 1),
            2: (b"ether1", b"ether1-WAN", 1, 1),
            3: (b"ether2", b"ether2-LAN", 1, 7),
            4: (b"ether3", b"", 2, 2),
            5: (b"wg0", None, None, 5),
        }.items()
        for column, value in (
            (oids.IF_DESCR, Typed("4", descr)),
            (oids.IF_NAME, Typed("4", name) if name is not None else None),
            (oids.IF_ADMIN_STATUS, Typed("2", admin) if admin is not None else None),
            (oids.IF_OPER_STATUS, Typed("2", oper)),
        )
        if value is not None
    },
    f"{oids.ENT_PHYSICAL_CLASS}.65536": Typed("2", 2),
    f"{oids.ENT_PHYSICAL_SERIAL}.65536": Typed("4", b"1e1c0000.xhci"),
}


def _decode_recording(tmp_path, values) -> DeviceFacts:
    path = tmp_path / "device.snmprec"
    write_snmprec(path, values)
    return device_facts(raw_from_values(read_snmprec(path)))


def test_own_printer_recording(tmp_path):
    facts = _decode_recording(tmp_path, PRINTER_RECORDING)

    assert facts == DeviceFacts(
        sys_descr="Kyocera ECOSYS M2540dn\nPrinting System",
        sys_object_id="1.3.6.1.4.1.1347.41",
        sys_name="ZAGS-Khorog-PR1",
        uptime_seconds=42949670.0,
        serial="VCF9Z12345",
        kind="printer",
        printer=PrinterFacts(
            device_status="warning",
            printer_status="printing",
            errors=("jammed", "serviceRequested"),
            page_count=4294967295,
            supplies=(
                SupplyLevel(
                    "1.1",
                    "Тонер-картридж TK-1170 чёрный",
                    "supplyThatIsConsumed",
                    "toner",
                    "impressions",
                    1800,
                    7200,
                    25.0,
                ),
                SupplyLevel(
                    "1.2",
                    "Drum Unit DK-1150",
                    "supplyThatIsConsumed",
                    "opc",
                    "impressions",
                    -3,
                    100000,
                    None,
                    "some_remaining",
                ),
                SupplyLevel(
                    "1.3",
                    "Контейнер отработанного тонера",
                    "receptacleThatIsFilled",
                    "wasteToner",
                    "percent",
                    90,
                    100,
                    90.0,
                ),
                SupplyLevel(
                    "1.4",
                    "Fuser 46 55 53 45 52",
                    "supplyThatIsConsumed",
                    "fuser",
                    "percent",
                    -2,
                    -2,
                    None,
                    "level_unknown",
                ),
            ),
            alerts=("Замятие бумаги", "Toner low"),
            page_count_unit="impressions",
            alert_severities=("critical", "warning"),
        ),
        model="ECOSYS M2540dn",
    )
    assert facts_json(facts)["printer"] == {
        "device_status": "warning",
        "printer_status": "printing",
        "errors": ["jammed", "serviceRequested"],
        "page_count": 4294967295,
        "supplies": [
            {
                "index": "1.1",
                "description": "Тонер-картридж TK-1170 чёрный",
                "type": "toner",
                "level": 1800,
                "max_capacity": 7200,
                "percent": 25.0,
            },
            {
                "index": "1.2",
                "description": "Drum Unit DK-1150",
                "type": "opc",
                "level": -3,
                "max_capacity": 100000,
                "percent": None,
            },
            {
                "index": "1.3",
                "description": "Контейнер отработанного тонера",
                "type": "wasteToner",
                "level": 90,
                "max_capacity": 100,
                "percent": 90.0,
            },
            {
                "index": "1.4",
                "description": "Fuser 46 55 53 45 52",
                "type": "fuser",
                "level": -2,
                "max_capacity": -2,
                "percent": None,
            },
        ],
    }


def test_own_ups_recording(tmp_path):
    facts = _decode_recording(tmp_path, UPS_RECORDING)

    assert facts == DeviceFacts(
        sys_descr="APC Web/SNMP Management Card (MB:v4.1.0 MN:AP9631)",
        sys_object_id="1.3.6.1.4.1.318.1.3.27",
        sys_name="",
        uptime_seconds=1234.56,
        serial="AS1234567890",
        kind="ups",
        ups=UpsFacts(
            output_source="battery",
            battery_status="low",
            charge_percent=42.3,
            minutes_remaining=90.0,
            load_percent=35.5,
            input_voltage=0.0,
            output_source_raw="battery",
            battery_status_raw="batteryLow",
            replace_battery=True,
        ),
        model="Smart-UPS 1500",
    )
    assert facts_json(facts)["ups"] == {
        "output_source": "battery",
        "battery_status": "low",
        "charge_percent": 42.3,
        "minutes_remaining": 90.0,
        "load_percent": 35.5,
        "input_voltage": 0.0,
    }


def test_own_router_recording(tmp_path):
    facts = _decode_recording(tmp_path, ROUTER_RECORDING)

    assert facts == DeviceFacts(
        sys_descr="RouterOS RB4011iGS+",
        sys_object_id="1.3.6.1.4.1.14988.1",
        sys_name="gw-rushon",
        uptime_seconds=0.0,
        serial="HE208XYZ1AB",
        kind="router",
        interfaces=(
            InterfaceFacts(1, "lo", True, True, "up", "up"),
            InterfaceFacts(2, "ether1-WAN", True, True, "up", "up"),
            InterfaceFacts(3, "ether2-LAN", True, False, "up", "lowerLayerDown"),
            InterfaceFacts(4, "ether3", False, False, "down", "down"),
            InterfaceFacts(5, "wg0", None, False, None, "dormant"),
        ),
    )
    assert facts_json(facts) == {
        "sys_descr": "RouterOS RB4011iGS+",
        "sys_object_id": "1.3.6.1.4.1.14988.1",
        "uptime_seconds": 0.0,
        "serial": "HE208XYZ1AB",
        "kind": "router",
        "printer": None,
        "ups": None,
        "interfaces": [
            {"index": 1, "name": "lo", "admin_up": True, "oper_up": True},
            {"index": 2, "name": "ether1-WAN", "admin_up": True, "oper_up": True},
            {"index": 3, "name": "ether2-LAN", "admin_up": True, "oper_up": False},
            {"index": 4, "name": "ether3", "admin_up": False, "oper_up": False},
            {"index": 5, "name": "wg0", "admin_up": None, "oper_up": False},
        ],
    }


@pytest.mark.parametrize("recording", [PRINTER_RECORDING, UPS_RECORDING, ROUTER_RECORDING])
def test_own_recordings_read_the_same_with_the_kind_profile(recording):
    values = {oid: typed.value for oid, typed in recording.items()}
    facts = device_facts(raw_from_values(values))

    narrow = raw_from_values(
        values, scalars=oids.scalars_for(facts.kind), tables=oids.tables_for(facts.kind)
    )

    assert device_facts(narrow) == facts
