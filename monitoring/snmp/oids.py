"""Numeric OIDs the poller reads (Printer-MIB and HOST-RESOURCES-MIB are not bundled with
pysnmp, so names are kept here, once). Dotted strings, no leading dot.

CONTRACT: ``SCALARS`` is what one GET reads (the client may split it into several PDUs);
``TABLES`` are the roots walked with GETBULK (v2c/v3) or GETNEXT (v1). The decoder work may
add OIDs; the poller reads whatever is listed.

- ``SCALARS`` holds only true scalars (ending in ``.0``): the system group, the UPS values
  (RFC 1628 and the vendor fall-backs) and the vendor serial numbers. A device that lacks one
  answers noSuchObject (v2c/v3) or noSuchName (v1: the client must drop that varbind and ask
  again), which the decoder reads as "not supported".
- ``TABLES`` holds single table COLUMNS, never whole tables: a poll fetches only the columns
  that are decoded. Columns of one group of ``TABLE_GROUPS`` share their index, so a client
  may walk them side by side in one GETBULK (one varbind per column, each column ending where
  it leaves its root, as ``snmptable`` does).
- ``scalars_for(kind)`` / ``tables_for(kind)``: the smaller sets worth reading once a device's
  kind is known (from an earlier poll). A device of unknown kind, or whose decoded kind changed,
  gets the full ``SCALARS`` / ``TABLES``.
"""

from __future__ import annotations

# --- System group (RFC 3418) -----------------------------------------------------------------
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"  # TimeTicks, hundredths of a second, wraps at 2^32
SYS_NAME = "1.3.6.1.2.1.1.5.0"

SYSTEM: tuple[str, ...] = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)

# --- HOST-RESOURCES-MIB (RFC 2790): columns indexed by hrDeviceIndex ---------------------------
HR_DEVICE_TYPE = "1.3.6.1.2.1.25.3.2.1.2"  # OID; hrDevicePrinter below marks a printer
HR_DEVICE_DESCR = "1.3.6.1.2.1.25.3.2.1.3"
HR_DEVICE_STATUS = "1.3.6.1.2.1.25.3.2.1.5"  # 1 unknown 2 running 3 warning 4 testing 5 down
HR_PRINTER_STATUS = "1.3.6.1.2.1.25.3.5.1.1"  # 1 other 2 unknown 3 idle 4 printing 5 warmup
HR_PRINTER_ERROR_STATE = "1.3.6.1.2.1.25.3.5.1.2"  # OCTET STRING of BITS (RFC 3805)
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"  # value of hrDeviceType for a printer

# --- Printer-MIB (RFC 3805): columns indexed by hrDeviceIndex.<row> --------------------------
PRT_GENERAL_SERIAL = "1.3.6.1.2.1.43.5.1.1.17"  # prtGeneralSerialNumber
PRT_MARKER_COUNTER_UNIT = "1.3.6.1.2.1.43.10.2.1.3"  # 7 impressions, 8 sheets, …
PRT_MARKER_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4"  # Counter32
PRT_SUPPLY_CLASS = "1.3.6.1.2.1.43.11.1.1.4"  # 1 other, 3 consumed, 4 receptacle filled
PRT_SUPPLY_TYPE = "1.3.6.1.2.1.43.11.1.1.5"  # IANA-PRINTER-MIB PrtMarkerSuppliesTypeTC
PRT_SUPPLY_DESCR = "1.3.6.1.2.1.43.11.1.1.6"
PRT_SUPPLY_UNIT = "1.3.6.1.2.1.43.11.1.1.7"  # PrtMarkerSuppliesSupplyUnitTC
PRT_SUPPLY_MAX = "1.3.6.1.2.1.43.11.1.1.8"  # -1 other, -2 unknown
PRT_SUPPLY_LEVEL = "1.3.6.1.2.1.43.11.1.1.9"  # -1 other, -2 unknown, -3 some remaining
PRT_ALERT_SEVERITY = "1.3.6.1.2.1.43.18.1.1.2"  # 1 other 3 critical 4 warning 5 binary event
PRT_ALERT_DESCR = "1.3.6.1.2.1.43.18.1.1.8"

# --- IF-MIB (RFC 2863): columns indexed by ifIndex ---------------------------------------------
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"  # 1 up 2 down 3 testing
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"  # 1 up 2 down 3 testing 4 unknown 5 dormant 6 7
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"  # ifXTable

# --- ENTITY-MIB (RFC 6933): columns indexed by entPhysicalIndex ------------------------------
ENT_PHYSICAL_CLASS = "1.3.6.1.2.1.47.1.1.1.1.5"  # 3 chassis
ENT_PHYSICAL_SERIAL = "1.3.6.1.2.1.47.1.1.1.1.11"

# --- UPS-MIB (RFC 1628) ----------------------------------------------------------------------
UPS_MIB = "1.3.6.1.2.1.33"
UPS_IDENT_MANUFACTURER = "1.3.6.1.2.1.33.1.1.1.0"
UPS_IDENT_MODEL = "1.3.6.1.2.1.33.1.1.2.0"
UPS_BATTERY_STATUS = "1.3.6.1.2.1.33.1.2.1.0"  # 1 unknown 2 normal 3 low 4 depleted
UPS_SECONDS_ON_BATTERY = "1.3.6.1.2.1.33.1.2.2.0"
UPS_MINUTES_REMAINING = "1.3.6.1.2.1.33.1.2.3.0"  # minutes
UPS_CHARGE_REMAINING = "1.3.6.1.2.1.33.1.2.4.0"  # percent
UPS_BATTERY_TEMPERATURE = "1.3.6.1.2.1.33.1.2.7.0"  # °C
UPS_OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"  # 1 other 2 none 3 normal 4 bypass 5 battery 6 7
UPS_ALARMS_PRESENT = "1.3.6.1.2.1.33.1.6.1.0"
UPS_INPUT_VOLTAGE = "1.3.6.1.2.1.33.1.3.3.1.3"  # column, by input line; volts
UPS_OUTPUT_PERCENT_LOAD = "1.3.6.1.2.1.33.1.4.4.1.5"  # column, by output line; percent

# --- APC PowerNet-MIB (enterprise 318) -------------------------------------------------------
APC_OUTPUT_STATUS = "1.3.6.1.4.1.318.1.1.1.4.1.1.0"  # upsBasicOutputStatus
APC_BATTERY_STATUS = "1.3.6.1.4.1.318.1.1.1.2.1.1.0"  # upsBasicBatteryStatus
APC_CHARGE_HIGH_PREC = "1.3.6.1.4.1.318.1.1.1.2.3.1.0"  # upsHighPrecBatteryCapacity, 0.1 %
APC_CHARGE = "1.3.6.1.4.1.318.1.1.1.2.2.1.0"  # upsAdvBatteryCapacity, %
APC_RUNTIME = "1.3.6.1.4.1.318.1.1.1.2.2.3.0"  # upsAdvBatteryRunTimeRemaining, TimeTicks
APC_REPLACE_INDICATOR = "1.3.6.1.4.1.318.1.1.1.2.2.4.0"  # 1 no, 2 batteryNeedsReplacing
APC_INPUT_VOLTAGE_HIGH_PREC = "1.3.6.1.4.1.318.1.1.1.3.3.1.0"  # 0.1 V
APC_INPUT_VOLTAGE = "1.3.6.1.4.1.318.1.1.1.3.2.1.0"  # upsAdvInputLineVoltage, V
APC_LOAD_HIGH_PREC = "1.3.6.1.4.1.318.1.1.1.4.3.3.0"  # upsHighPrecOutputLoad, 0.1 %
APC_LOAD = "1.3.6.1.4.1.318.1.1.1.4.2.3.0"  # upsAdvOutputLoad, %
APC_SERIAL = "1.3.6.1.4.1.318.1.1.1.1.2.3.0"  # upsAdvIdentSerialNumber

# --- Eaton / Powerware XUPS-MIB (enterprise 534) ---------------------------------------------
XUPS_OUTPUT_SOURCE = "1.3.6.1.4.1.534.1.4.5.0"  # UPS-MIB values + 8…12
XUPS_CHARGE = "1.3.6.1.4.1.534.1.2.4.0"  # xupsBatCapacity, %
XUPS_RUNTIME = "1.3.6.1.4.1.534.1.2.1.0"  # xupsBatTimeRemaining, seconds
XUPS_LOAD = "1.3.6.1.4.1.534.1.4.1.0"  # xupsOutputLoad, %
XUPS_INPUT_VOLTAGE = "1.3.6.1.4.1.534.1.3.4.1.2"  # column, by phase; volts

# --- CyberPower CPS-MIB (enterprise 3808) ----------------------------------------------------
CPS_OUTPUT_STATUS = "1.3.6.1.4.1.3808.1.1.1.4.1.1.0"  # upsBaseOutputStatus
CPS_BATTERY_STATUS = "1.3.6.1.4.1.3808.1.1.1.2.1.1.0"  # upsBaseBatteryStatus
CPS_CHARGE = "1.3.6.1.4.1.3808.1.1.1.2.2.1.0"  # upsAdvanceBatteryCapacity, %
CPS_RUNTIME = "1.3.6.1.4.1.3808.1.1.1.2.2.4.0"  # upsAdvanceBatteryRunTimeRemaining, TimeTicks
CPS_REPLACE_INDICATOR = "1.3.6.1.4.1.3808.1.1.1.2.2.5.0"  # 1 no, 2 replaceBattery
CPS_INPUT_VOLTAGE = "1.3.6.1.4.1.3808.1.1.1.3.2.1.0"  # upsAdvanceInputLineVoltage, 0.1 V
CPS_LOAD = "1.3.6.1.4.1.3808.1.1.1.4.2.3.0"  # upsAdvanceOutputLoad, %
CPS_SERIAL = "1.3.6.1.4.1.3808.1.1.1.1.2.3.0"  # upsAdvanceIdentSerialNumber

# --- PPC / Megatec XPPC-MIB (enterprise 935) -------------------------------------------------
PPC_OUTPUT_STATUS = "1.3.6.1.4.1.935.1.1.1.4.1.1.0"  # upsBaseOutputStatus
PPC_BATTERY_STATUS = "1.3.6.1.4.1.935.1.1.1.2.1.1.0"  # upsBaseBatteryStatus
PPC_CHARGE = "1.3.6.1.4.1.935.1.1.1.2.2.1.0"  # upsSmartBatteryCapacity, %
PPC_RUNTIME = "1.3.6.1.4.1.935.1.1.1.2.2.4.0"  # upsSmartBatteryRunTimeRemaining, seconds
PPC_INPUT_VOLTAGE = "1.3.6.1.4.1.935.1.1.1.3.2.1.0"  # upsSmartInputLineVoltage, 0.1 V
PPC_LOAD = "1.3.6.1.4.1.935.1.1.1.4.2.3.0"  # upsSmartOutputLoad, %

# --- MGE MG-SNMP-UPS-MIB (enterprise 705): yes(1)/no(2) flags --------------------------------
MGE_RUNTIME = "1.3.6.1.4.1.705.1.5.1.0"  # upsmgBatteryRemainingTime, seconds
MGE_CHARGE = "1.3.6.1.4.1.705.1.5.2.0"  # upsmgBatteryLevel, %
MGE_BATTERY_LOW = "1.3.6.1.4.1.705.1.5.14.0"  # upsmgBatteryLowBattery
MGE_ON_BATTERY = "1.3.6.1.4.1.705.1.7.3.0"  # upsmgOutputOnBattery
MGE_ON_BYPASS = "1.3.6.1.4.1.705.1.7.4.0"  # upsmgOutputOnByPass
MGE_ON_BOOST = "1.3.6.1.4.1.705.1.7.8.0"  # upsmgOutputOnBoost
MGE_ON_BUCK = "1.3.6.1.4.1.705.1.7.12.0"  # upsmgOutputOnBuck
MGE_SERIAL = "1.3.6.1.4.1.705.1.1.7.0"  # upsmgIdentSerialNumber
MGE_INPUT_VOLTAGE = "1.3.6.1.4.1.705.1.6.2.1.2"  # column mginputVoltage, by phase; 0.1 V
MGE_OUTPUT_LOAD = "1.3.6.1.4.1.705.1.7.2.1.4"  # column mgoutputLoadPerPhase, by phase; %

# --- Vendor serial scalars (used when Printer-MIB / ENTITY-MIB give none) --------------------
MIKROTIK_SERIAL = "1.3.6.1.4.1.14988.1.1.7.3.0"  # mtxrSerialNumber
FORTINET_SERIAL = "1.3.6.1.4.1.12356.100.1.1.1.0"  # fnSysSerial
JUNIPER_SERIAL = "1.3.6.1.4.1.2636.3.1.3.0"  # jnxBoxSerialNo
ZYXEL_SERIAL = "1.3.6.1.4.1.890.1.15.3.1.12.0"
BROTHER_SERIAL = "1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0"
EPSON_SERIAL = "1.3.6.1.4.1.1248.1.1.3.1.1.1.0"  # Epson network interface (scanners too)
RICOH_SERIAL = "1.3.6.1.4.1.367.3.2.1.2.1.4.0"
ZEBRA_SERIAL = "1.3.6.1.4.1.683.1.5.0"
HP_ILO_SERIAL = "1.3.6.1.4.1.232.2.2.2.1.0"  # CPQSINFO-MIB cpqSiSysSerialNum (servers)

# In the order they are tried.
ROUTER_SERIALS: tuple[str, ...] = (MIKROTIK_SERIAL, FORTINET_SERIAL, JUNIPER_SERIAL, ZYXEL_SERIAL)
PRINTER_SERIALS: tuple[str, ...] = (BROTHER_SERIAL, EPSON_SERIAL, RICOH_SERIAL, ZEBRA_SERIAL)
UPS_SERIALS: tuple[str, ...] = (APC_SERIAL, CPS_SERIAL, MGE_SERIAL)
SERVER_SERIALS: tuple[str, ...] = (HP_ILO_SERIAL,)
VENDOR_SERIALS: tuple[str, ...] = ROUTER_SERIALS + PRINTER_SERIALS + UPS_SERIALS + SERVER_SERIALS

UPS_SCALARS: tuple[str, ...] = (
    UPS_IDENT_MANUFACTURER,
    UPS_IDENT_MODEL,
    UPS_BATTERY_STATUS,
    UPS_SECONDS_ON_BATTERY,
    UPS_MINUTES_REMAINING,
    UPS_CHARGE_REMAINING,
    UPS_BATTERY_TEMPERATURE,
    UPS_OUTPUT_SOURCE,
    UPS_ALARMS_PRESENT,
    APC_OUTPUT_STATUS,
    APC_BATTERY_STATUS,
    APC_CHARGE_HIGH_PREC,
    APC_CHARGE,
    APC_RUNTIME,
    APC_REPLACE_INDICATOR,
    APC_INPUT_VOLTAGE_HIGH_PREC,
    APC_INPUT_VOLTAGE,
    APC_LOAD_HIGH_PREC,
    APC_LOAD,
    XUPS_OUTPUT_SOURCE,
    XUPS_CHARGE,
    XUPS_RUNTIME,
    XUPS_LOAD,
    CPS_OUTPUT_STATUS,
    CPS_BATTERY_STATUS,
    CPS_CHARGE,
    CPS_RUNTIME,
    CPS_REPLACE_INDICATOR,
    CPS_INPUT_VOLTAGE,
    CPS_LOAD,
    PPC_OUTPUT_STATUS,
    PPC_BATTERY_STATUS,
    PPC_CHARGE,
    PPC_RUNTIME,
    PPC_INPUT_VOLTAGE,
    PPC_LOAD,
    MGE_RUNTIME,
    MGE_CHARGE,
    MGE_BATTERY_LOW,
    MGE_ON_BATTERY,
    MGE_ON_BYPASS,
    MGE_ON_BOOST,
    MGE_ON_BUCK,
)

SCALARS: tuple[str, ...] = SYSTEM + UPS_SCALARS + VENDOR_SERIALS

# --- Table columns, grouped by the index they share ------------------------------------------
HR_DEVICE_COLUMNS: tuple[str, ...] = (HR_DEVICE_TYPE, HR_DEVICE_DESCR, HR_DEVICE_STATUS)
HR_PRINTER_COLUMNS: tuple[str, ...] = (HR_PRINTER_STATUS, HR_PRINTER_ERROR_STATE)
PRT_GENERAL_COLUMNS: tuple[str, ...] = (PRT_GENERAL_SERIAL,)
PRT_MARKER_COLUMNS: tuple[str, ...] = (PRT_MARKER_COUNTER_UNIT, PRT_MARKER_LIFE_COUNT)
PRT_SUPPLY_COLUMNS: tuple[str, ...] = (
    PRT_SUPPLY_CLASS,
    PRT_SUPPLY_TYPE,
    PRT_SUPPLY_DESCR,
    PRT_SUPPLY_UNIT,
    PRT_SUPPLY_MAX,
    PRT_SUPPLY_LEVEL,
)
PRT_ALERT_COLUMNS: tuple[str, ...] = (PRT_ALERT_SEVERITY, PRT_ALERT_DESCR)
IF_COLUMNS: tuple[str, ...] = (IF_DESCR, IF_ADMIN_STATUS, IF_OPER_STATUS, IF_NAME)
ENTITY_COLUMNS: tuple[str, ...] = (ENT_PHYSICAL_CLASS, ENT_PHYSICAL_SERIAL)
UPS_LINE_COLUMNS: tuple[str, ...] = (
    UPS_INPUT_VOLTAGE,
    UPS_OUTPUT_PERCENT_LOAD,
    XUPS_INPUT_VOLTAGE,
    MGE_INPUT_VOLTAGE,
    MGE_OUTPUT_LOAD,
)

TABLE_GROUPS: tuple[tuple[str, ...], ...] = (
    HR_DEVICE_COLUMNS,
    HR_PRINTER_COLUMNS,
    PRT_GENERAL_COLUMNS,
    PRT_MARKER_COLUMNS,
    PRT_SUPPLY_COLUMNS,
    PRT_ALERT_COLUMNS,
    IF_COLUMNS,
    ENTITY_COLUMNS,
    UPS_LINE_COLUMNS,
)

TABLES: tuple[str, ...] = tuple(column for group in TABLE_GROUPS for column in group)

PRINTER_TABLES: tuple[str, ...] = (
    HR_DEVICE_COLUMNS
    + HR_PRINTER_COLUMNS
    + PRT_GENERAL_COLUMNS
    + PRT_MARKER_COLUMNS
    + PRT_SUPPLY_COLUMNS
    + PRT_ALERT_COLUMNS
)
_TABLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "printer": PRINTER_TABLES,
    "scanner": HR_DEVICE_COLUMNS + HR_PRINTER_COLUMNS + PRT_GENERAL_COLUMNS,
    "ups": UPS_LINE_COLUMNS,
    "router": IF_COLUMNS + ENTITY_COLUMNS,
}
_SCALARS_BY_KIND: dict[str, tuple[str, ...]] = {
    "printer": SYSTEM + PRINTER_SERIALS,
    "scanner": SYSTEM + PRINTER_SERIALS,
    "ups": SYSTEM + UPS_SCALARS + UPS_SERIALS,
    "router": SYSTEM + ROUTER_SERIALS,
}


def tables_for(kind: str | None) -> tuple[str, ...]:
    """Return the columns worth walking on a device of this kind (all of them if unknown)."""
    return _TABLES_BY_KIND.get(kind or "", TABLES)


def scalars_for(kind: str | None) -> tuple[str, ...]:
    """Return the scalars worth a GET on a device of this kind (all of them if unknown)."""
    return _SCALARS_BY_KIND.get(kind or "", SCALARS)


def oid_key(oid: str) -> tuple[int, ...]:
    """Return a sort key that orders dotted OIDs numerically (as an agent walks them)."""
    parts = oid.strip().lstrip(".").split(".")
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"not a numeric OID: {oid[:80]!r}")
    return tuple(int(part) for part in parts)
