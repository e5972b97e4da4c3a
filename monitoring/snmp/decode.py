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
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    percent_null_reason: str | None = None


@dataclass(frozen=True)
class PrinterFacts:
    device_status: str | None  # "unknown", "running", "warning", "testing", "down"
    printer_status: str | None  # "other", "unknown", "idle", "printing", "warmup"
    errors: tuple[str, ...]  # RFC 3805 bit names, in bit order
    page_count: int | None
    supplies: tuple[SupplyLevel, ...]
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsFacts:
    output_source: str | None  # "normal", "battery", "bypass", "booster", "reducer", "other"
    battery_status: str | None  # "normal", "low", "depleted", "unknown"
    charge_percent: float | None
    minutes_remaining: float | None
    load_percent: float | None
    input_voltage: float | None


@dataclass(frozen=True)
class InterfaceFacts:
    index: int
    name: str
    admin_up: bool | None
    oper_up: bool | None


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
