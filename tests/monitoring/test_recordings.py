"""Every real device recording in ../shared/snmp/recordings decodes to its .expected.json.

Parametrised over the folder: a new recording is a new test. Skipped where ../shared is absent
(the project's own recordings in test_decode.py cover the same code paths). No network, no
database: the recording is parsed, read as the poller would (a GET of oids.SCALARS, walks of
oids.TABLES) and decoded.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from monitoring.snmp import oids
from monitoring.snmp.decode import device_facts, facts_json
from monitoring.snmp.snmprec import raw_from_values, read_snmprec

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "snmp" / "recordings"
EXPECTED = sorted(RECORDINGS.glob("*.expected.json")) if RECORDINGS.exists() else []


def _of_class(device_class: str) -> list[Path]:
    """Return the expected files of one class (printer-set files carry no device_class)."""
    return [
        path
        for path in EXPECTED
        if json.loads(path.read_text(encoding="utf-8")).get("device_class", "printer")
        == device_class
    ]


pytestmark = pytest.mark.skipif(not RECORDINGS.exists(), reason="../shared/snmp is absent")

# Printer-set files carry no device class: all are printers but the network scanner.
PRINTER_SET_KINDS = {"epson_ds-860-scanner": "scanner"}

# The expected files' percent_null_reason words → the decoder's codes.
REASON_CODES = (
    ("level -1", "level_other"),
    ("level -2", "level_unknown"),
    ("level -3", "some_remaining"),
    ("max capacity -1", "max_other"),
    ("max capacity -2", "max_unknown"),
)

# The expected files' wider UPS vocabulary → the issue's (documented in decode.py).
OUTPUT_SOURCES = {"none": "other", "unknown": None}
BATTERY_STATUSES = {"fault": "depleted", "not_present": "depleted"}


def _readable(text: str | None, *, multiline: bool = False) -> str:
    """Return text as the decoder should show it (an independent statement of the rule)."""
    if text is None:
        return ""
    text = text.rstrip("\x00")
    if not multiline:
        text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
        return " ".join(text.split())
    lines = re.split(r"\r\n|\r|\n", text)
    lines = [
        "".join(" " if unicodedata.category(c) == "Cc" else c for c in line).rstrip()
        for line in lines
    ]
    return "\n".join(lines).strip("\n").strip()


def _reason_code(reason: str | None) -> str | None:
    if reason is None:
        return None
    return next(code for words, code in REASON_CODES if reason.startswith(words))


def _name(enum: dict | None) -> str | None:
    return None if enum is None else enum["name"]


def _value(reading: dict | None) -> float | None:
    return None if reading is None else reading["value"]


def _load(path: Path):
    expected = json.loads(path.read_text(encoding="utf-8"))
    values = read_snmprec(path.with_name(path.name.replace(".expected.json", ".snmprec")))
    return expected, values, device_facts(raw_from_values(values))


def _ids(path: Path) -> str:
    return path.name.removesuffix(".expected.json")


@pytest.fixture(params=EXPECTED, ids=_ids)
def recording(request):
    return _load(request.param)


@pytest.fixture(params=_of_class("printer"), ids=_ids)
def printer_recording(request):
    return _load(request.param)


@pytest.fixture(params=_of_class("ups"), ids=_ids)
def ups_recording(request):
    return _load(request.param)


@pytest.fixture(params=_of_class("router"), ids=_ids)
def router_recording(request):
    return _load(request.param)


def test_system_group(recording):
    expected, _values, facts = recording

    assert facts.sys_descr == _readable(expected["sysDescr"], multiline=True)
    assert facts.sys_object_id == expected["sysObjectID"]
    assert facts.sys_name == _readable(expected["sysName"])
    ticks = expected["sysUpTime_ticks"]
    assert facts.uptime_seconds == (None if ticks is None else ticks / 100)


def test_kind(recording):
    expected, _values, facts = recording

    kind = expected.get("device_class") or PRINTER_SET_KINDS.get(expected["community"], "printer")
    assert facts.kind == kind


def test_printer(printer_recording):
    expected, _values, facts = printer_recording
    if facts.kind == "scanner":
        assert facts.printer is None
        assert expected["supplies"] == [] and expected["hr_printers"] == []
        return
    printer = facts.printer
    hr = expected["hr_printers"][0] if expected["hr_printers"] else {}
    assert printer.device_status == _name(hr.get("hrDeviceStatus"))
    assert printer.printer_status == _name(hr.get("hrPrinterStatus"))
    error_state = hr.get("hrPrinterDetectedErrorState")
    assert list(printer.errors) == ([] if error_state is None else error_state["bits"])
    assert facts.model == (_readable(hr.get("hrDeviceDescr")) or None)

    life = expected["prtMarkerLifeCount"]
    assert printer.page_count == (life[0]["value"] if life else None)
    assert printer.page_count_unit == (_name(life[0]["unit"]) if life else None)
    assert list(printer.alerts) == [alert["description"] for alert in expected["alerts"]]

    assert [s.index for s in printer.supplies] == [s["index"] for s in expected["supplies"]]
    for supply, want in zip(printer.supplies, expected["supplies"], strict=True):
        assert supply.description == _readable(want["description"]), want["index"]
        assert supply.supply_class == _name(want["class"])
        assert supply.type == _name(want["type"])
        assert supply.unit == _name(want["unit"])
        assert supply.level == want["level"]
        assert supply.max_capacity == want["max_capacity"]
        assert supply.percent == want["percent"]
        assert supply.percent_null_reason == _reason_code(want["percent_null_reason"])


def test_printer_serial(printer_recording):
    expected, _values, facts = printer_recording
    general = expected["prtGeneralSerialNumber"]
    crosscheck = expected.get("librenms_crosscheck") or {}
    if general:
        want = next(iter(general.values()))
    elif set(crosscheck.get("serial_found_at_oids") or ()) & set(oids.VENDOR_SERIALS):
        want = crosscheck["serial"]
    else:
        want = None
    assert facts.serial == want


def test_ups(ups_recording):
    expected, _values, facts = ups_recording
    want = expected["ups"]
    ups = facts.ups

    source = want["output_source"] and want["output_source"]["normalized"]
    assert ups.output_source == OUTPUT_SOURCES.get(source, source)
    battery = want["battery_status"] and want["battery_status"]["normalized"]
    assert ups.battery_status == BATTERY_STATUSES.get(battery, battery)
    for ours, theirs in (
        (ups.charge_percent, "charge_remaining_percent"),
        (ups.minutes_remaining, "minutes_remaining"),
        (ups.load_percent, "output_load_percent"),
        (ups.input_voltage, "input_voltage_v"),
    ):
        reading = _value(want[theirs])
        if reading is None:
            assert ours is None, theirs
        else:
            assert ours == pytest.approx(reading, abs=0.005), theirs
    assert facts.serial == _value(expected["ident"].get("serial"))
    assert facts.interfaces is None and facts.printer is None


def test_router(router_recording):
    expected, _values, facts = router_recording

    assert facts.serial == _value(expected["serial_number"])
    want = []
    for row in expected["interfaces"]:
        admin = row["ifAdminStatus"] and row["ifAdminStatus"]["value"]
        oper = row["ifOperStatus"] and row["ifOperStatus"]["value"]
        name = _readable(row["ifName"]) or _readable(row["ifDescr"]) or str(row["ifIndex"])
        want.append(
            (
                row["ifIndex"],
                name,
                None if admin is None else admin == 1,
                None if oper in (None, 4) else oper == 1,
            )
        )
    got = [(i.index, i.name, i.admin_up, i.oper_up) for i in facts.interfaces]
    assert got == want


def test_kind_profile_reads_the_same_facts(recording):
    """Once the kind is known, the poller may read only that kind's OIDs: same facts."""
    _expected, values, facts = recording

    narrow = raw_from_values(
        values, scalars=oids.scalars_for(facts.kind), tables=oids.tables_for(facts.kind)
    )

    assert device_facts(narrow) == facts


def test_probe_json(recording):
    _expected, _values, facts = recording

    data = json.loads(json.dumps(facts_json(facts)))

    assert set(data) == {
        "sys_descr",
        "sys_object_id",
        "uptime_seconds",
        "serial",
        "kind",
        "printer",
        "ups",
        "interfaces",
    }
    assert data["kind"] == facts.kind
    if data["printer"] is not None:
        assert len(data["printer"]["supplies"]) == len(facts.printer.supplies)
