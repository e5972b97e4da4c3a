"""Choices of monitoring: SNMP versions and protocols, device kinds, health, and the words for
the values devices report (RFC 3805 error bits, hrDeviceStatus, hrPrinterStatus, UPS states)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SnmpVersion(models.TextChoices):
    """The values are those ``monitoring.snmp.client.SnmpTarget.version`` takes."""

    V1 = "1", _("SNMP v1")
    V2C = "2c", _("SNMP v2c")
    V3 = "3", _("SNMP v3")


class AuthProtocol(models.TextChoices):
    NONE = "", _("None (noAuthNoPriv)")
    MD5 = "MD5", "MD5"
    SHA = "SHA", "SHA"
    SHA256 = "SHA256", "SHA-256"
    SHA512 = "SHA512", "SHA-512"


class PrivProtocol(models.TextChoices):
    NONE = "", _("None (no privacy)")
    DES = "DES", "DES"
    AES = "AES", "AES-128"
    AES256 = "AES256", "AES-256"


class DeviceKind(models.TextChoices):
    """What a device says it is (``DeviceFacts.kind``)."""

    PRINTER = "printer", _("Printer")
    SCANNER = "scanner", _("Scanner")
    UPS = "ups", _("UPS")
    ROUTER = "router", _("Router")
    OTHER = "other", _("Other")


class Health(models.TextChoices):
    """A monitored device's health, as the rules in ``monitoring.rules`` decide it."""

    UP = "up", _("Up")
    WARNING = "warning", _("Warning")
    DOWN = "down", _("Down")
    UNKNOWN = "unknown", _("Unknown")


# RFC 3805 hrPrinterDetectedErrorState bits, as monitoring.snmp.decode names them.
PRINTER_ERROR_LABELS = {
    "lowPaper": _("low paper"),
    "noPaper": _("no paper"),
    "lowToner": _("low toner"),
    "noToner": _("no toner"),
    "doorOpen": _("door open"),
    "jammed": _("paper jam"),
    "offline": _("offline"),
    "serviceRequested": _("service requested"),
    "inputTrayMissing": _("input tray missing"),
    "outputTrayMissing": _("output tray missing"),
    "markerSupplyMissing": _("toner or ink cartridge missing"),
    "outputNearFull": _("output tray nearly full"),
    "outputFull": _("output tray full"),
    "inputTrayEmpty": _("input tray empty"),
    "overduePreventMaint": _("maintenance overdue"),
}

# hrDeviceStatus (RFC 2790).
DEVICE_STATUS_LABELS = {
    "unknown": _("unknown"),
    "running": _("running"),
    "warning": _("warning"),
    "testing": _("testing"),
    "down": _("down"),
}

# hrPrinterStatus (RFC 2790).
PRINTER_STATUS_LABELS = {
    "other": _("other"),
    "unknown": _("unknown"),
    "idle": _("idle"),
    "printing": _("printing"),
    "warmup": _("warming up"),
}

# upsOutputSource and upsBatteryStatus (RFC 1628), also for the vendor MIBs decoded to them.
UPS_OUTPUT_SOURCE_LABELS = {
    "normal": _("mains (normal)"),
    "battery": _("on battery"),
    "bypass": _("bypass"),
    "booster": _("boosting low mains voltage"),
    "reducer": _("reducing high mains voltage"),
    "other": _("other"),
    "none": _("no output"),
}
UPS_BATTERY_STATUS_LABELS = {
    "normal": _("normal"),
    "low": _("low"),
    "depleted": _("depleted"),
    "unknown": _("unknown"),
}


def label_of(labels: dict, value: str | None) -> str:
    """Return the translated word for a reported value, or the value itself when unknown."""
    if value is None or value == "":
        return "—"
    return str(labels.get(value, value))


# --- Alerts (issue 6) ---------------------------------------------------------------------------


class AlertKind(models.TextChoices):
    """What an alert is about; ``Alert.key`` tells apart alerts of one kind on one device."""

    UNREACHABLE = "unreachable", _("Unreachable")
    SUPPLY_LOW = "supply_low", _("Supply low")
    SUPPLY_CRITICAL = "supply_critical", _("Supply critical")
    SUPPLY_EMPTY = "supply_empty", _("Supply empty")
    PRINTER_ERROR = "printer_error", _("Printer error")
    UPS_ON_BATTERY = "ups_on_battery", _("UPS on battery")
    UPS_BATTERY_LOW = "ups_battery_low", _("UPS battery low")
    UPS_CHARGE_LOW = "ups_charge_low", _("UPS charge low")
    INTERFACE_DOWN = "interface_down", _("Interface down")
    PAGE_COUNTER_BACKWARDS = "page_counter_backwards", _("Page counter went backwards")
    SERIAL_MISMATCH = "serial_mismatch", _("Serial differs from the register")


class AlertSeverity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertState(models.TextChoices):
    """For the alert list's filter: open (acknowledged or not) or resolved."""

    OPEN = "open", _("Open")
    UNACKNOWLEDGED = "unacknowledged", _("Open, not acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Open, acknowledged")
    RESOLVED = "resolved", _("Resolved")


# --- Repairs (issue 6) --------------------------------------------------------------------------


class FaultCategory(models.TextChoices):
    NO_POWER = "no_power", _("No power")
    PAPER_PATH = "paper_path", _("Paper path")
    PRINT_QUALITY = "print_quality", _("Print quality")
    TONER_DRUM = "toner_drum", _("Toner / drum")
    NETWORK = "network", _("Network")
    SCANNER_FEED = "scanner_feed", _("Scanner feed")
    SCREEN = "screen", _("Screen")
    KEYBOARD = "keyboard", _("Keyboard")
    BATTERY = "battery", _("Battery")
    SOFTWARE = "software", _("Software")
    OTHER = "other", _("Other")


class RepairStatus(models.TextChoices):
    """A repair ticket's workflow; the allowed steps are ``services.REPAIR_STEPS``."""

    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")
    RESOLVED = "resolved", _("Resolved")
    BEYOND_REPAIR = "beyond_repair", _("Beyond repair")


class Readiness(models.TextChoices):
    """What an office can do for one CR service (values kept in the readiness history)."""

    READY = "ready", _("Ready")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")
    CUT_OFF = "cut_off", _("Cut off")
    UNKNOWN = "unknown", _("Unknown")


class ReasonKind(models.TextChoices):
    """Why a service is in its state; in the order reasons are listed (worst first)."""

    ROUTER_DOWN = "router_down", _("Router not working")
    NO_REQUIREMENTS = "no_requirements", _("No requirement defined")
    SHORT = "short", _("Not enough working devices")
    NO_SPARE = "no_spare", _("No spare left")
    UPS_DOWN = "ups_down", _("UPS not working")
    UPS_ON_BATTERY = "ups_on_battery", _("UPS on battery")
    SPARE_LOST = "spare_lost", _("A spare is not working")
    WARNING = "warning", _("Devices with warnings")
