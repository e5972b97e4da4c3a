"""What SNMP values mean: raw values read from a device → facts. Pure functions, no I/O.

CONTRACT (shared by the client/poller, the persistence layer and the UI; the decoding
functions are filled in by the decoder work):

- ``SnmpValue``: how the client hands a value over: ``int`` (Integer32, Counter, Gauge,
  TimeTicks, Unsigned), ``bytes`` (OCTET STRING, exactly as sent), ``str`` (an OBJECT
  IDENTIFIER or IpAddress, dotted), ``None`` (noSuchObject, noSuchInstance, endOfMibView,
  NULL: "not supported by this device").
- ``RawDevice``: one poll's reading: ``scalars`` by OID (the GET of ``oids.SCALARS``) and
  ``tables`` by root OID (each walk of ``oids.TABLES``: {full OID: value}). OIDs are dotted
  strings without a leading dot.
- ``device_facts(raw) -> DeviceFacts``: never raises on odd input.
- ``facts_json(facts) -> dict``: the probe's JSON shape (issue 5), JSON-ready.

How the decoder reads a device (the rules, in one place):

- Text (``display_text``): bytes are shown readably whatever arrives: UTF-8 when they are valid
  UTF-8, else CP1251 when the high bytes are mostly Cyrillic letters there and mostly in runs
  (words), as Russian from these offices' devices would be, else Windows-1252/Latin-1 (a
  Western word with two accented letters side by side may read as Cyrillic: the bias is
  meant).
  Trailing NULs (C padding) go; other control characters and NULs become spaces; one line
  unless asked (sysDescr keeps its lines); mostly-binary values are shown as hex octets
  (``"00 1A 2B"``). Text that merely looks like hex (an agent's own hex dump) is left as sent.
  Nothing is cut: storage decides its own length limit.
- Printer: the HOST-RESOURCES row of the first hrDevicePrinter (or the first row with
  hrPrinterTable data) gives device/printer status and the RFC 3805 error bits; Printer-MIB
  gives supplies (every row), the page counter (first prtMarkerLifeCount row of that device)
  and the serial. A supply's percent is ``round(100*level/max, 2)`` only when level >= 0 and
  max > 0; otherwise None with a ``percent_null_reason`` code (``PERCENT_NULL_REASONS``). For a
  receptacle (class receptacleThatIsFilled, e.g. waste toner) the level is the space left.
- UPS: RFC 1628 UPS-MIB first, then APC PowerNet, Eaton XUPS, CyberPower, PPC/Megatec and
  MGE, per value. 65535, 655350, 2^31-1, 2^32-1, negative numbers and NULL are "no reading".
  ``output_source`` is normal/battery/bypass/booster/reducer/other or None: UPS-MIB none(2)
  (no output: the load is not powered), off, sleeping, rebooting and test modes are "other"
  (the MIB's own name is kept in ``output_source_raw``); ECO / high-efficiency / parallel modes
  are "normal"; unknown(1) is None. ``battery_status`` is normal/low/depleted/unknown or None:
  a battery fault or a missing battery is "depleted" (it cannot carry the load either), the
  MIB's own name kept in ``battery_status_raw``. A line table gives its line 1.
- Interfaces (IF-MIB, routers only): one per ifIndex seen in ifDescr/ifAdminStatus/
  ifOperStatus/ifName; name = ifName, else ifDescr, else the index; admin_up / oper_up are
  True for up(1), False for any other known state, None when missing or unknown(4).
- Serial: prtGeneralSerialNumber, else the ENTITY-MIB chassis row, else a vendor serial
  scalar (``oids.VENDOR_SERIALS`` in order), else the first non-empty ENTITY-MIB serial.
- Kind (first rule that matches):
  1. "printer": a HOST-RESOURCES printer row or any Printer-MIB data;
  2. "ups": any UPS-MIB or vendor UPS value, or sysObjectID under the UPS-MIB;
  3. "scanner": "scan" starts a word of sysDescr or hrDeviceDescr (Epson "Scan Server",
     "Network Scanner");
  4. "router": IF-MIB rows and a routing sysObjectID (Cisco, Fortinet, Huawei datacom,
     MikroTik, Ubiquiti, Juniper, Zyxel, TP-Link, …) or sysDescr (RouterOS, IOS, VRP, EdgeOS…);
  5. "printer": a printer maker's sysObjectID or a printing sysDescr (a printer whose agent
     has no Printer-MIB, e.g. the sparse Kyocera and Lexmark recordings);
  6. "router": two or more interfaces that are not loopback/null;
  7. "other".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from monitoring.snmp import oids

SnmpValue = int | bytes | str | None


@dataclass(frozen=True)
class RawDevice:
    scalars: dict[str, SnmpValue] = field(default_factory=dict)
    tables: dict[str, dict[str, SnmpValue]] = field(default_factory=dict)


@dataclass(frozen=True)
class SupplyLevel:
    index: str  # "1.1": hrDeviceIndex.prtMarkerSuppliesIndex
    description: str
    supply_class: str | None  # "supplyThatIsConsumed", "receptacleThatIsFilled", None
    type: str | None  # IANA name: "toner", "wasteToner", "opc", …
    unit: str | None
    level: int | None
    max_capacity: int | None
    percent: float | None  # only when level >= 0 and max_capacity > 0 (RFC 3805)
    percent_null_reason: str | None = None  # a key of PERCENT_NULL_REASONS


@dataclass(frozen=True)
class PrinterFacts:
    device_status: str | None  # "unknown", "running", "warning", "testing", "down"
    printer_status: str | None  # "other", "unknown", "idle", "printing", "warmup"
    errors: tuple[str, ...]  # RFC 3805 bit names, in bit order
    page_count: int | None
    supplies: tuple[SupplyLevel, ...]
    alerts: tuple[str, ...] = ()  # prtAlertDescription of each alert row, in table order
    page_count_unit: str | None = None  # prtMarkerCounterUnit: "impressions", "sheets", …
    alert_severities: tuple[str | None, ...] = ()  # per alert: "critical", "warning", …


@dataclass(frozen=True)
class UpsFacts:
    output_source: str | None  # "normal", "battery", "bypass", "booster", "reducer", "other"
    battery_status: str | None  # "normal", "low", "depleted", "unknown"
    charge_percent: float | None
    minutes_remaining: float | None
    load_percent: float | None
    input_voltage: float | None
    output_source_raw: str | None = None  # the MIB's own name: "none", "onSmartTrim", "off"…
    battery_status_raw: str | None = None  # "batteryInFaultCondition", "noBatteryPresent"…
    replace_battery: bool | None = None  # APC/CyberPower replace indicator


@dataclass(frozen=True)
class InterfaceFacts:
    index: int
    name: str
    admin_up: bool | None
    oper_up: bool | None
    admin_status: str | None = None  # "up", "down", "testing"
    oper_status: str | None = None  # "up", "down", …, "lowerLayerDown"


@dataclass(frozen=True)
class DeviceFacts:
    sys_descr: str
    sys_object_id: str | None
    sys_name: str
    uptime_seconds: float | None
    serial: str | None
    kind: str  # "printer", "scanner", "ups", "router", "other"
    printer: PrinterFacts | None = None
    ups: UpsFacts | None = None
    interfaces: tuple[InterfaceFacts, ...] | None = None
    model: str | None = None  # printer hrDeviceDescr, upsIdentModel


# --- Enumerations -----------------------------------------------------------------------------

KINDS: tuple[str, ...] = ("printer", "scanner", "ups", "router", "other")

HR_DEVICE_STATUS: dict[int, str] = {
    1: "unknown",
    2: "running",
    3: "warning",
    4: "testing",
    5: "down",
}
HR_PRINTER_STATUS: dict[int, str] = {
    1: "other",
    2: "unknown",
    3: "idle",
    4: "printing",
    5: "warmup",
}
# hrPrinterDetectedErrorState (RFC 3805): bit 0 is the most significant bit of the first octet.
PRINTER_ERROR_BITS: tuple[str, ...] = (
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
# Printer-MIB PrtMarkerSuppliesClassTC.
SUPPLY_CLASSES: dict[int, str] = {
    1: "other",
    3: "supplyThatIsConsumed",
    4: "receptacleThatIsFilled",
}
# IANA-PRINTER-MIB PrtMarkerSuppliesTypeTC.
SUPPLY_TYPES: dict[int, str] = {
    1: "other",
    2: "unknown",
    3: "toner",
    4: "wasteToner",
    5: "ink",
    6: "inkCartridge",
    7: "inkRibbon",
    8: "wasteInk",
    9: "opc",
    10: "developer",
    11: "fuserOil",
    12: "solidWax",
    13: "ribbonWax",
    14: "wasteWax",
    15: "fuser",
    16: "coronaWire",
    17: "fuserOilWick",
    18: "cleanerUnit",
    19: "fuserCleaningPad",
    20: "transferUnit",
    21: "tonerCartridge",
    22: "fuserOiler",
    23: "water",
    24: "wasteWater",
    25: "glueWaterAdditive",
    26: "wastePaper",
    27: "bindingSupply",
    28: "bandingSupply",
    29: "stitchingWire",
    30: "shrinkWrap",
    31: "paperWrap",
    32: "staples",
    33: "inserts",
    34: "covers",
    35: "matteToner",
    36: "matteInk",
}
# IANA-PRINTER-MIB PrtMarkerSuppliesSupplyUnitTC.
SUPPLY_UNITS: dict[int, str] = {
    1: "other",
    2: "unknown",
    3: "tenThousandthsOfInches",
    4: "micrometers",
    7: "impressions",
    8: "sheets",
    11: "hours",
    12: "thousandthsOfOunces",
    13: "tenthsOfGrams",
    14: "hundrethsOfFluidOunces",
    15: "tenthsOfMilliliters",
    16: "feet",
    17: "meters",
    18: "items",
    19: "percent",
}
# IANA-PRINTER-MIB PrtMarkerCounterUnitTC.
MARKER_COUNTER_UNITS: dict[int, str] = {
    3: "tenThousandthsOfInches",
    4: "micrometers",
    5: "characters",
    6: "lines",
    7: "impressions",
    8: "sheets",
    9: "dotRow",
    11: "hours",
    16: "feet",
    17: "meters",
}
# Printer-MIB PrtAlertSeverityLevelTC.
ALERT_SEVERITIES: dict[int, str] = {
    1: "other",
    3: "critical",
    4: "warning",
    5: "warningBinaryChangeEvent",
}
# Why a supply has no percent: code → words (for pages; the code is what is stored).
PERCENT_NULL_REASONS: dict[str, object] = {
    "no_level": _("the device gives no level"),
    "no_max": _("the device gives no maximum capacity"),
    "level_other": _("level not given as a quantity (RFC 3805 -1, other)"),
    "level_unknown": _("level unknown (RFC 3805 -2)"),
    "some_remaining": _("some remaining, level not measurable (RFC 3805 -3)"),
    "level_invalid": _("level is not a valid quantity"),
    "max_other": _("maximum capacity not given as a quantity (RFC 3805 -1, other)"),
    "max_unknown": _("maximum capacity unknown (RFC 3805 -2)"),
    "max_invalid": _("maximum capacity is not a positive quantity"),
}
_LEVEL_REASONS = {-1: "level_other", -2: "level_unknown", -3: "some_remaining"}
_MAX_REASONS = {-1: "max_other", -2: "max_unknown"}

IF_ADMIN_STATUS: dict[int, str] = {1: "up", 2: "down", 3: "testing"}
IF_OPER_STATUS: dict[int, str] = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
ENT_CLASS_CHASSIS = 3

# UPS: vendor enum → (the MIB's own name, normalised value or None for "no reading").
_UPS_MIB_SOURCE: dict[int, tuple[str, str | None]] = {
    1: ("other", "other"),
    2: ("none", "other"),
    3: ("normal", "normal"),
    4: ("bypass", "bypass"),
    5: ("battery", "battery"),
    6: ("booster", "booster"),
    7: ("reducer", "reducer"),
}
_XUPS_SOURCE: dict[int, tuple[str, str | None]] = {
    **_UPS_MIB_SOURCE,
    8: ("parallelCapacity", "normal"),
    9: ("parallelRedundant", "normal"),
    10: ("highEfficiencyMode", "normal"),
    11: ("maintenanceBypass", "bypass"),
    12: ("essMode", "normal"),
}
_APC_SOURCE: dict[int, tuple[str, str | None]] = {
    1: ("unknown", None),
    2: ("onLine", "normal"),
    3: ("onBattery", "battery"),
    4: ("onSmartBoost", "booster"),
    5: ("timedSleeping", "other"),
    6: ("softwareBypass", "bypass"),
    7: ("off", "other"),
    8: ("rebooting", "other"),
    9: ("switchedBypass", "bypass"),
    10: ("hardwareFailureBypass", "bypass"),
    11: ("sleepingUntilPowerReturn", "other"),
    12: ("onSmartTrim", "reducer"),
    13: ("ecoMode", "normal"),
    14: ("hotStandby", "normal"),
    15: ("onBatteryTest", "battery"),
    16: ("emergencyStaticBypass", "bypass"),
    17: ("staticBypassStandby", "bypass"),
    18: ("powerSavingMode", "normal"),
    19: ("spotMode", "other"),
    20: ("eConversion", "normal"),
    21: ("chargerSpotmode", "other"),
    22: ("inverterSpotmode", "other"),
    23: ("activeLoad", "normal"),
    24: ("batteryDischargeSpotmode", "battery"),
    25: ("inverterStandby", "other"),
    26: ("chargerOnly", "other"),
    27: ("distributedEnergyReserve", "other"),
    28: ("selfTest", "other"),
}
_CPS_SOURCE: dict[int, tuple[str, str | None]] = {
    1: ("unknown", None),
    2: ("onLine", "normal"),
    3: ("onBattery", "battery"),
    4: ("onBoost", "booster"),
    5: ("onSleep", "other"),
    6: ("off", "other"),
    7: ("rebooting", "other"),
    8: ("onECO", "normal"),
    9: ("onBypass", "bypass"),
    10: ("onBuck", "reducer"),
    11: ("onOverload", "other"),
}
_PPC_SOURCE: dict[int, tuple[str, str | None]] = {
    1: ("unknown", None),
    2: ("onLine", "normal"),
    3: ("onBattery", "battery"),
    4: ("onBoost", "booster"),
    5: ("sleeping", "other"),
    6: ("onBypass", "bypass"),
    7: ("rebooting", "other"),
    8: ("standBy", "other"),
    9: ("onBuck", "reducer"),
}
_UPS_MIB_BATTERY: dict[int, tuple[str, str | None]] = {
    1: ("unknown", "unknown"),
    2: ("batteryNormal", "normal"),
    3: ("batteryLow", "low"),
    4: ("batteryDepleted", "depleted"),
}
_APC_BATTERY: dict[int, tuple[str, str | None]] = {
    **_UPS_MIB_BATTERY,
    4: ("batteryInFaultCondition", "depleted"),
    5: ("noBatteryPresent", "depleted"),
}
_CPS_BATTERY: dict[int, tuple[str, str | None]] = {
    **_UPS_MIB_BATTERY,
    4: ("batteryNotPresent", "depleted"),
}
_PPC_BATTERY: dict[int, tuple[str, str | None]] = {
    1: ("unknown", "unknown"),
    2: ("batteryNormal", "normal"),
    3: ("batteryLow", "low"),
}
_MGE_YES, _MGE_NO = 1, 2

# Raw values agents send for "no reading".
UPS_NO_READING: frozenset[int] = frozenset({65535, 655350, 2**31 - 1, 2**32 - 1})

_TICKS_MAX = 2**32 - 1

# Kind detection.
_ROUTER_OBJECT_IDS: tuple[str, ...] = (
    "1.3.6.1.4.1.9",  # Cisco
    "1.3.6.1.4.1.12356",  # Fortinet
    "1.3.6.1.4.1.2011.2",  # Huawei datacom (Huawei UPS are 2011.6)
    "1.3.6.1.4.1.14988",  # MikroTik
    "1.3.6.1.4.1.41112",  # Ubiquiti
    "1.3.6.1.4.1.4413",  # Ubiquiti EdgeSwitch (Broadcom FASTPATH)
    "1.3.6.1.4.1.2636",  # Juniper
    "1.3.6.1.4.1.890",  # Zyxel
    "1.3.6.1.4.1.11863",  # TP-Link
    "1.3.6.1.4.1.171",  # D-Link
    "1.3.6.1.4.1.4526",  # Netgear
    "1.3.6.1.4.1.25506",  # H3C
)
_ROUTER_DESCR = re.compile(
    r"\b(router|routeros|cisco ios|ios-xe|ios xe|vrp|edgeos|fortigate|fortios|junos|zywall"
    r"|openwrt|pfsense|opnsense|vyos|mikrotik)\b",
    re.IGNORECASE,
)
_PRINTER_OBJECT_IDS: tuple[str, ...] = (
    "1.3.6.1.4.1.11.2.3.9",  # HP JetDirect
    "1.3.6.1.4.1.641",  # Lexmark
    "1.3.6.1.4.1.1347",  # Kyocera (and UTAX)
    "1.3.6.1.4.1.2435",  # Brother
    "1.3.6.1.4.1.367",  # Ricoh
    "1.3.6.1.4.1.253",  # Xerox
    "1.3.6.1.4.1.297",  # Fuji Xerox / Fujifilm
    "1.3.6.1.4.1.18334",  # Konica Minolta
    "1.3.6.1.4.1.2385",  # Sharp
    "1.3.6.1.4.1.2001",  # OKI
    "1.3.6.1.4.1.1602.4",  # Canon printers
    "1.3.6.1.4.1.236.11",  # Samsung printers
    "1.3.6.1.4.1.674.10898",  # Dell printers
    "1.3.6.1.4.1.683",  # Zebra
    "1.3.6.1.4.1.1248.1.1.2",  # Epson printers (Epson scanners say "Scan" in sysDescr)
)
_PRINTER_DESCR = re.compile(
    r"print|laserjet|jetdirect|officejet|deskjet|\bmfp\b|bizhub|aficio|workcentre|altalink"
    r"|ecosys|imagerunner|i-sensys",
    re.IGNORECASE,
)
_SCANNER_DESCR = re.compile(r"\bscan", re.IGNORECASE)
_LOOPBACK_NAME = re.compile(r"^(lo\d*|loopback.*|inloopback.*|null\d*)$", re.IGNORECASE)


# --- Small readers (never raise) ------------------------------------------------------------


def as_int(value: SnmpValue) -> int | None:
    """Return an integer reading, or None (missing, NULL, an OID, or not a number).

    Some agents send numbers as strings: ASCII digits (with a sign) are read as a number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, bytes) and 0 < len(value) <= 24:
        text = value.strip(b" \x00")
        if re.fullmatch(rb"[-+]?\d{1,20}", text):
            return int(text)
    return None


# Unicode category Cc is exactly these: C0 controls, DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_PLAIN_ASCII = re.compile(rb"[\x20-\x7e]*")


def _decode_bytes(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # CP1251 Cyrillic words are runs of high bytes (letters 0xC0-0xFF, Ё/ё 0xA8/0xB8); in
    # Western text an accented letter mostly stands alone among ASCII letters.
    high = [i for i, byte in enumerate(value) if byte >= 0x80]
    if high:
        letters = sum(1 for i in high if value[i] >= 0xC0 or value[i] in (0xA8, 0xB8))
        in_runs = sum(
            1
            for i in high
            if (i > 0 and value[i - 1] >= 0x80) or (i + 1 < len(value) and value[i + 1] >= 0x80)
        )
        if letters >= 0.7 * len(high) and in_runs >= 0.5 * len(high):
            return value.decode("cp1251", "replace")
    try:
        return value.decode("cp1252")
    except UnicodeDecodeError:
        return value.decode("latin-1")


_WHITESPACE_RUN = re.compile(r"\s+")


def display_text(value: SnmpValue, *, multiline: bool = False) -> str:
    """Return a value as readable text; never raises.

    Bytes: UTF-8, else CP1251 or Windows-1252 (see the module docstring); trailing NULs are
    dropped, other control characters become spaces; a mostly-binary value is shown as hex
    octets. One line (whitespace runs collapsed) unless ``multiline``, which keeps line breaks
    (``\\r\\n`` and ``\\r`` become ``\\n``) and the spacing inside each line.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):
        value = value.rstrip(b"\x00")
        if _PLAIN_ASCII.fullmatch(value):  # the usual case, kept fast
            text = value.decode("ascii")
            return text.strip() if multiline else _WHITESPACE_RUN.sub(" ", text).strip()
        decoded = _decode_bytes(value)
        controls = len(_CONTROL_BUT_LINES.findall(decoded))
        if controls and controls * 4 > len(decoded):
            return " ".join(f"{byte:02X}" for byte in value)
    elif isinstance(value, int | str):
        decoded = str(value)
    else:
        return ""
    if not multiline:
        return _WHITESPACE_RUN.sub(" ", _CONTROL.sub(" ", decoded)).strip()
    lines = decoded.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = "\n".join(_CONTROL.sub(" ", line).rstrip() for line in lines)
    return cleaned.strip("\n").strip()


def uptime_seconds(value: SnmpValue) -> float | None:
    """Return sysUpTime (TimeTicks, hundredths of a second) in seconds, or None.

    TimeTicks is unsigned 32-bit: values up to 2^32-1 (497 days) are real; the counter then
    wraps to 0, which reads as a restart. Anything outside that range is not a reading.
    """
    ticks = as_int(value)
    if ticks is None or not 0 <= ticks <= _TICKS_MAX:
        return None
    return ticks / 100


def printer_errors(value: SnmpValue) -> tuple[str, ...]:
    """Return the RFC 3805 hrPrinterDetectedErrorState bits set, by name, in bit order.

    Bit 0 is the most significant bit of the first octet. Devices send 0, 1, 2 or more octets;
    bits past the 15 defined ones are ignored.
    """
    if not isinstance(value, bytes):
        return ()
    names = []
    for bit, name in enumerate(PRINTER_ERROR_BITS):
        octet = bit // 8
        if octet >= len(value):
            break
        if value[octet] & (0x80 >> (bit % 8)):
            names.append(name)
    return tuple(names)


def supply_percent(
    *, level: int | None, max_capacity: int | None
) -> tuple[float | None, str | None]:
    """Return (percent, None) or (None, reason code) for one supply (RFC 3805).

    The percent is ``round(100*level/max, 2)`` only when level >= 0 and max > 0: never a
    made-up figure for -1 (other), -2 (unknown) or -3 (some remaining). A level above the
    maximum gives the percent as computed (over 100).
    """
    if level is None:
        return None, "no_level"
    if level < 0:
        return None, _LEVEL_REASONS.get(level, "level_invalid")
    if max_capacity is None:
        return None, "no_max"
    if max_capacity <= 0:
        return None, _MAX_REASONS.get(max_capacity, "max_invalid")
    return round(100 * level / max_capacity, 2), None


def _name(table: Mapping[int, str], value: SnmpValue) -> str | None:
    number = as_int(value)
    return None if number is None else table.get(number)


def _under(oid: str | None, prefix: str) -> bool:
    return bool(oid) and (oid == prefix or oid.startswith(prefix + "."))


def _index_key(index: str) -> tuple[int, ...]:
    try:
        return tuple(map(int, index.split(".")))
    except ValueError:
        return (2**63,)  # an odd index sorts last


class _View:
    """One RawDevice, read safely: each walked column as {index: value}, sorted once."""

    __slots__ = ("_cache", "_scalars", "_tables")

    def __init__(self, raw: object) -> None:
        scalars = getattr(raw, "scalars", None)
        tables = getattr(raw, "tables", None)
        self._scalars: Mapping = scalars if isinstance(scalars, Mapping) else {}
        self._tables: Mapping = tables if isinstance(tables, Mapping) else {}
        self._cache: dict[str, dict[str, SnmpValue]] = {}

    def scalar(self, oid: str) -> SnmpValue:
        return self._scalars.get(oid)

    def rows(self, column: str) -> dict[str, SnmpValue]:
        """Return a walked column as {index: value}, in OID order (odd OIDs left out)."""
        if column not in self._cache:
            walked = self._tables.get(column)
            prefix = column + "."
            rows = {}
            if isinstance(walked, Mapping):
                rows = {
                    oid[len(prefix) :]: value
                    for oid, value in walked.items()
                    if isinstance(oid, str) and oid.startswith(prefix) and len(oid) > len(prefix)
                }
            if len(rows) > 1:
                rows = dict(sorted(rows.items(), key=lambda row: _index_key(row[0])))
            self._cache[column] = rows
        return self._cache[column]


def _ordered_indexes(*columns: Mapping[str, SnmpValue]) -> list[str]:
    indexes: set[str] = set()
    for column in columns:
        indexes.update(column)
    return sorted(indexes, key=_index_key)


# --- Printer ----------------------------------------------------------------------------------


def _printer_device_index(view: _View) -> str | None:
    types = view.rows(oids.HR_DEVICE_TYPE)
    for index, value in types.items():
        if isinstance(value, str) and value.lstrip(".") == oids.HR_DEVICE_PRINTER:
            return index
    with_printer_rows = _ordered_indexes(
        view.rows(oids.HR_PRINTER_STATUS), view.rows(oids.HR_PRINTER_ERROR_STATE)
    )
    return with_printer_rows[0] if with_printer_rows else None


def _supplies(view: _View) -> tuple[SupplyLevel, ...]:
    """Return every Printer-MIB supply row, in index order."""
    columns = {
        column: view.rows(column)
        for column in (
            oids.PRT_SUPPLY_CLASS,
            oids.PRT_SUPPLY_TYPE,
            oids.PRT_SUPPLY_DESCR,
            oids.PRT_SUPPLY_UNIT,
            oids.PRT_SUPPLY_MAX,
            oids.PRT_SUPPLY_LEVEL,
        )
    }
    result = []
    for index in _ordered_indexes(*columns.values()):
        level = as_int(columns[oids.PRT_SUPPLY_LEVEL].get(index))
        max_capacity = as_int(columns[oids.PRT_SUPPLY_MAX].get(index))
        percent, reason = supply_percent(level=level, max_capacity=max_capacity)
        result.append(
            SupplyLevel(
                index=index,
                description=display_text(columns[oids.PRT_SUPPLY_DESCR].get(index)),
                supply_class=_name(SUPPLY_CLASSES, columns[oids.PRT_SUPPLY_CLASS].get(index)),
                type=_name(SUPPLY_TYPES, columns[oids.PRT_SUPPLY_TYPE].get(index)),
                unit=_name(SUPPLY_UNITS, columns[oids.PRT_SUPPLY_UNIT].get(index)),
                level=level,
                max_capacity=max_capacity,
                percent=percent,
                percent_null_reason=reason,
            )
        )
    return tuple(result)


def _has_printer_data(view: _View, device_index: str | None) -> bool:
    if device_index is not None:
        return True
    columns = oids.PRT_GENERAL_COLUMNS + oids.PRT_MARKER_COLUMNS + oids.PRT_SUPPLY_COLUMNS
    columns += oids.PRT_ALERT_COLUMNS
    return any(value is not None for column in columns for value in view.rows(column).values())


def _printer_facts(view: _View) -> PrinterFacts:
    """Return what HOST-RESOURCES and Printer-MIB say about a printer."""
    device_index = _printer_device_index(view)

    def at_device(column: str) -> SnmpValue:
        if device_index is None:
            return None
        return view.rows(column).get(device_index)

    life = view.rows(oids.PRT_MARKER_LIFE_COUNT)
    life_index = next(
        (i for i in life if device_index and i.split(".", 1)[0] == device_index),
        next(iter(life), None),
    )
    page_count = as_int(life.get(life_index)) if life_index else None
    if page_count is not None and not 0 <= page_count <= _TICKS_MAX:
        page_count = None  # Counter32
    units = view.rows(oids.PRT_MARKER_COUNTER_UNIT)
    severities = view.rows(oids.PRT_ALERT_SEVERITY)
    descriptions = view.rows(oids.PRT_ALERT_DESCR)
    alert_indexes = _ordered_indexes(severities, descriptions)
    return PrinterFacts(
        device_status=_name(HR_DEVICE_STATUS, at_device(oids.HR_DEVICE_STATUS)),
        printer_status=_name(HR_PRINTER_STATUS, at_device(oids.HR_PRINTER_STATUS)),
        errors=printer_errors(at_device(oids.HR_PRINTER_ERROR_STATE)),
        page_count=page_count,
        supplies=_supplies(view),
        alerts=tuple(display_text(descriptions.get(index)) for index in alert_indexes),
        page_count_unit=_name(MARKER_COUNTER_UNITS, units.get(life_index or "")),
        alert_severities=tuple(
            _name(ALERT_SEVERITIES, severities.get(index)) for index in alert_indexes
        ),
    )


# --- UPS --------------------------------------------------------------------------------------


def _reading(value: SnmpValue, scale: float = 1.0) -> float | None:
    number = as_int(value)
    if number is None or number < 0 or number in UPS_NO_READING:
        return None
    return round(number * scale, 2)


def _first_line(view: _View, column: str, scale: float = 1.0) -> float | None:
    rows = view.rows(column)
    return _reading(next(iter(rows.values()), None), scale)


def _first_reading(*readings: float | None) -> float | None:
    return next((reading for reading in readings if reading is not None), None)


def _enum(
    value: SnmpValue, table: Mapping[int, tuple[str, str | None]]
) -> tuple[str, str | None] | None:
    number = as_int(value)
    if number is None:
        return None
    return table.get(number)


def _mge_flag(view: _View, oid: str) -> bool | None:
    number = as_int(view.scalar(oid))
    return {_MGE_YES: True, _MGE_NO: False}.get(number) if number is not None else None


def _ups_output_source(view: _View) -> tuple[str | None, str | None]:
    for oid, table in (
        (oids.UPS_OUTPUT_SOURCE, _UPS_MIB_SOURCE),
        (oids.APC_OUTPUT_STATUS, _APC_SOURCE),
        (oids.XUPS_OUTPUT_SOURCE, _XUPS_SOURCE),
        (oids.CPS_OUTPUT_STATUS, _CPS_SOURCE),
        (oids.PPC_OUTPUT_STATUS, _PPC_SOURCE),
    ):
        found = _enum(view.scalar(oid), table)
        if found is not None and found[1] is not None:
            return found[1], found[0]
    flags = (
        ("battery", "upsmgOutputOnBattery", _mge_flag(view, oids.MGE_ON_BATTERY)),
        ("bypass", "upsmgOutputOnByPass", _mge_flag(view, oids.MGE_ON_BYPASS)),
        ("booster", "upsmgOutputOnBoost", _mge_flag(view, oids.MGE_ON_BOOST)),
        ("reducer", "upsmgOutputOnBuck", _mge_flag(view, oids.MGE_ON_BUCK)),
    )
    for source, raw_name, flag in flags:
        if flag:
            return source, raw_name
    if any(flag is False for _source, _raw_name, flag in flags):
        return "normal", "upsmgOutputNormal"  # every flag the agent answered says "no"
    return None, None


def _ups_battery_status(view: _View) -> tuple[str | None, str | None]:
    for oid, table in (
        (oids.UPS_BATTERY_STATUS, _UPS_MIB_BATTERY),
        (oids.APC_BATTERY_STATUS, _APC_BATTERY),
        (oids.CPS_BATTERY_STATUS, _CPS_BATTERY),
        (oids.PPC_BATTERY_STATUS, _PPC_BATTERY),
    ):
        found = _enum(view.scalar(oid), table)
        if found is not None and found[1] is not None:
            return found[1], found[0]
    low = _mge_flag(view, oids.MGE_BATTERY_LOW)
    if low is not None:
        return ("low", "upsmgBatteryLowBattery") if low else ("normal", "upsmgBatteryNotLow")
    return None, None


def _ups_facts(view: _View) -> UpsFacts:
    """Return a UPS's state: RFC 1628 first, then the vendor MIBs, value by value."""

    def s(oid: str) -> SnmpValue:
        return view.scalar(oid)

    output_source, output_source_raw = _ups_output_source(view)
    battery_status, battery_status_raw = _ups_battery_status(view)
    replace = as_int(s(oids.APC_REPLACE_INDICATOR))
    if replace not in (1, 2):
        replace = as_int(s(oids.CPS_REPLACE_INDICATOR))
    return UpsFacts(
        output_source=output_source,
        battery_status=battery_status,
        charge_percent=_first_reading(
            _reading(s(oids.UPS_CHARGE_REMAINING)),
            _reading(s(oids.APC_CHARGE_HIGH_PREC), 0.1),
            _reading(s(oids.APC_CHARGE)),
            _reading(s(oids.XUPS_CHARGE)),
            _reading(s(oids.CPS_CHARGE)),
            _reading(s(oids.PPC_CHARGE)),
            _reading(s(oids.MGE_CHARGE)),
        ),
        minutes_remaining=_first_reading(
            _reading(s(oids.UPS_MINUTES_REMAINING)),
            _reading(s(oids.APC_RUNTIME), 1 / 6000),  # TimeTicks
            _reading(s(oids.CPS_RUNTIME), 1 / 6000),  # TimeTicks
            _reading(s(oids.XUPS_RUNTIME), 1 / 60),  # seconds
            _reading(s(oids.PPC_RUNTIME), 1 / 60),  # seconds
            _reading(s(oids.MGE_RUNTIME), 1 / 60),  # seconds
        ),
        load_percent=_first_reading(
            _first_line(view, oids.UPS_OUTPUT_PERCENT_LOAD),
            _reading(s(oids.APC_LOAD_HIGH_PREC), 0.1),
            _reading(s(oids.APC_LOAD)),
            _reading(s(oids.XUPS_LOAD)),
            _reading(s(oids.CPS_LOAD)),
            _reading(s(oids.PPC_LOAD)),
            _first_line(view, oids.MGE_OUTPUT_LOAD),
        ),
        input_voltage=_first_reading(
            _first_line(view, oids.UPS_INPUT_VOLTAGE),
            _reading(s(oids.APC_INPUT_VOLTAGE_HIGH_PREC), 0.1),
            _reading(s(oids.APC_INPUT_VOLTAGE)),
            _first_line(view, oids.XUPS_INPUT_VOLTAGE),
            _reading(s(oids.CPS_INPUT_VOLTAGE), 0.1),
            _reading(s(oids.PPC_INPUT_VOLTAGE), 0.1),
            _first_line(view, oids.MGE_INPUT_VOLTAGE, 0.1),
        ),
        output_source_raw=output_source_raw,
        battery_status_raw=battery_status_raw,
        replace_battery={1: False, 2: True}.get(replace) if replace is not None else None,
    )


def _has_ups_data(view: _View, sys_object_id: str | None) -> bool:
    if _under(sys_object_id, oids.UPS_MIB):
        return True
    if any(view.scalar(oid) is not None for oid in oids.UPS_SCALARS):
        return True
    return any(
        value is not None
        for column in oids.UPS_LINE_COLUMNS
        for value in view.rows(column).values()
    )


# --- Interfaces and serial --------------------------------------------------------------------


def _interfaces(view: _View) -> tuple[InterfaceFacts, ...]:
    """Return one InterfaceFacts per ifIndex the IF-MIB columns returned, in ifIndex order."""
    descrs = view.rows(oids.IF_DESCR)
    names = view.rows(oids.IF_NAME)
    admins = view.rows(oids.IF_ADMIN_STATUS)
    opers = view.rows(oids.IF_OPER_STATUS)
    result = []
    for index in _ordered_indexes(descrs, names, admins, opers):
        number = as_int(index.encode()) if index.isdigit() else None
        if number is None:
            continue
        admin = _name(IF_ADMIN_STATUS, admins.get(index))
        oper = _name(IF_OPER_STATUS, opers.get(index))
        result.append(
            InterfaceFacts(
                index=number,
                name=display_text(names.get(index))
                or display_text(descrs.get(index))
                or str(number),
                admin_up=None if admin is None else admin == "up",
                oper_up=None if oper in (None, "unknown") else oper == "up",
                admin_status=admin,
                oper_status=oper,
            )
        )
    return tuple(result)


def _serial_number(view: _View, *, printer_index: str | None = None) -> str | None:
    """Return the device's serial: Printer-MIB, ENTITY-MIB chassis, vendor, any ENTITY row."""
    general = {
        index: display_text(value) for index, value in view.rows(oids.PRT_GENERAL_SERIAL).items()
    }
    general = {index: text for index, text in general.items() if text}
    if general:
        return general.get(printer_index or "") or next(iter(general.values()))
    classes = view.rows(oids.ENT_PHYSICAL_CLASS)
    entity = {
        index: display_text(value) for index, value in view.rows(oids.ENT_PHYSICAL_SERIAL).items()
    }
    entity = {index: text for index, text in entity.items() if text}
    for index, text in entity.items():
        if as_int(classes.get(index)) == ENT_CLASS_CHASSIS:
            return text
    for oid in oids.VENDOR_SERIALS:
        text = display_text(view.scalar(oid))
        if text:
            return text
    return next(iter(entity.values()), None)


# --- The device -------------------------------------------------------------------------------


def _kind(
    view: _View,
    *,
    sys_descr: str,
    sys_object_id: str | None,
    has_printer_data: bool,
    found_interfaces: tuple[InterfaceFacts, ...],
) -> str:
    if has_printer_data:
        return "printer"
    if _has_ups_data(view, sys_object_id):
        return "ups"
    device_descrs = " ".join(display_text(v) for v in view.rows(oids.HR_DEVICE_DESCR).values())
    if _SCANNER_DESCR.search(sys_descr) or _SCANNER_DESCR.search(device_descrs):
        return "scanner"
    routing = any(_under(sys_object_id, prefix) for prefix in _ROUTER_OBJECT_IDS)
    if found_interfaces and (routing or _ROUTER_DESCR.search(sys_descr)):
        return "router"
    printing = any(_under(sys_object_id, prefix) for prefix in _PRINTER_OBJECT_IDS)
    if printing or _PRINTER_DESCR.search(sys_descr):
        return "printer"
    real = [i for i in found_interfaces if not _LOOPBACK_NAME.match(i.name)]
    if len(real) >= 2:
        return "router"
    return "other"


def device_facts(raw: RawDevice) -> DeviceFacts:
    """Return what one poll's raw values say about the device. Never raises on odd input."""
    view = _View(raw)
    sys_descr = display_text(view.scalar(oids.SYS_DESCR), multiline=True)
    object_id = view.scalar(oids.SYS_OBJECT_ID)
    sys_object_id = object_id.lstrip(".") if isinstance(object_id, str) and object_id else None
    printer_index = _printer_device_index(view)
    has_printer_data = _has_printer_data(view, printer_index)
    found_interfaces = _interfaces(view)
    kind = _kind(
        view,
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        has_printer_data=has_printer_data,
        found_interfaces=found_interfaces,
    )
    model = None
    if kind == "printer" and printer_index is not None:
        model = display_text(view.rows(oids.HR_DEVICE_DESCR).get(printer_index)) or None
    elif kind == "ups":
        model = display_text(view.scalar(oids.UPS_IDENT_MODEL)) or None
    return DeviceFacts(
        sys_descr=sys_descr,
        sys_object_id=sys_object_id,
        sys_name=display_text(view.scalar(oids.SYS_NAME)),
        uptime_seconds=uptime_seconds(view.scalar(oids.SYS_UPTIME)),
        serial=_serial_number(view, printer_index=printer_index),
        kind=kind,
        printer=_printer_facts(view) if kind == "printer" else None,
        ups=_ups_facts(view) if kind == "ups" else None,
        interfaces=found_interfaces if kind == "router" else None,
        model=model,
    )


def supplies(raw: RawDevice) -> tuple[SupplyLevel, ...]:
    """Return every Printer-MIB supply row, in index order."""
    return _supplies(_View(raw))


def printer_facts(raw: RawDevice) -> PrinterFacts:
    """Return what HOST-RESOURCES and Printer-MIB say about a printer."""
    return _printer_facts(_View(raw))


def ups_facts(raw: RawDevice) -> UpsFacts:
    """Return a UPS's state: RFC 1628 first, then the vendor MIBs, value by value."""
    return _ups_facts(_View(raw))


def interfaces(raw: RawDevice) -> tuple[InterfaceFacts, ...]:
    """Return one InterfaceFacts per ifIndex the IF-MIB columns returned, in ifIndex order."""
    return _interfaces(_View(raw))


def serial_number(raw: RawDevice) -> str | None:
    """Return the device's serial: Printer-MIB, ENTITY-MIB chassis, vendor, any ENTITY row."""
    view = _View(raw)
    return _serial_number(view, printer_index=_printer_device_index(view))


def facts_json(facts: DeviceFacts) -> dict:
    """Return the facts in the probe's JSON shape (issue 5), without reachable/error."""
    printer = facts.printer
    ups = facts.ups
    return {
        "sys_descr": facts.sys_descr,
        "sys_object_id": facts.sys_object_id,
        "uptime_seconds": facts.uptime_seconds,
        "serial": facts.serial,
        "kind": facts.kind,
        "printer": None
        if printer is None
        else {
            "device_status": printer.device_status,
            "printer_status": printer.printer_status,
            "errors": list(printer.errors),
            "page_count": printer.page_count,
            "supplies": [
                {
                    "index": supply.index,
                    "description": supply.description,
                    "type": supply.type,
                    "level": supply.level,
                    "max_capacity": supply.max_capacity,
                    "percent": supply.percent,
                }
                for supply in printer.supplies
            ],
        },
        "ups": None
        if ups is None
        else {
            "output_source": ups.output_source,
            "battery_status": ups.battery_status,
            "charge_percent": ups.charge_percent,
            "minutes_remaining": ups.minutes_remaining,
            "load_percent": ups.load_percent,
            "input_voltage": ups.input_voltage,
        },
        "interfaces": None
        if facts.interfaces is None
        else [
            {
                "index": interface.index,
                "name": interface.name,
                "admin_up": interface.admin_up,
                "oper_up": interface.oper_up,
            }
            for interface in facts.interfaces
        ],
    }
