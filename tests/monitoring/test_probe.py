"""``manage.py snmp_probe`` against the real snmpsim of conftest.py: output and exit codes."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from monitoring.management.commands.snmp_probe import parse_address
from tests.monitoring.conftest import SnmpSim

KEYS = [
    "reachable",
    "error",
    "sys_descr",
    "sys_object_id",
    "uptime_seconds",
    "serial",
    "kind",
    "printer",
    "ups",
    "interfaces",
]


def probe(*args: str) -> tuple[str, str, int]:
    """Run the command; return its stdout, stderr and exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("snmp_probe", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return out.getvalue(), err.getvalue(), int(exit_.code)
    return out.getvalue(), err.getvalue(), 0


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_json_for_a_printer(snmpsim: SnmpSim):
    out, _err, code = probe(
        f"{snmpsim.host}:{snmpsim.port}", "--community", "test-printer", "--json"
    )

    assert code == 0
    data = json.loads(out)  # exactly one JSON object: anything more would not parse
    assert list(data) == KEYS
    assert data["reachable"] is True
    assert data["error"] is None
    assert data["sys_descr"] == "TestPrint LaserJet 4000dn"
    assert data["sys_object_id"] == "1.3.6.1.4.1.11.2.3.9.1"
    assert data["uptime_seconds"] == 86400.0
    assert data["serial"] == "TPLJ4000-0001"
    assert data["kind"] == "printer"
    assert data["ups"] is None and data["interfaces"] is None
    printer = data["printer"]
    assert printer["device_status"] == "warning"
    assert printer["printer_status"] == "printing"
    assert printer["errors"] == ["lowToner", "jammed"]
    assert printer["page_count"] == 123_456
    assert printer["supplies"][0] == {
        "index": "1.1",
        "description": "Black Toner Cartridge",
        "type": "toner",
        "level": 15,
        "max_capacity": 100,
        "percent": 15.0,
    }
    assert [s["percent"] for s in printer["supplies"]] == [15.0, None, None, None, 80.0, 0.0]
    assert printer["supplies"][5]["description"] == "Drum Unit"  # the trailing NUL dropped


def test_json_for_a_ups_over_snmpv3(snmpsim: SnmpSim):
    auth_proto, auth_key, priv_proto, priv_key = snmpsim.users["sha256aes256"]

    out, _err, code = probe(
        f"{snmpsim.host}:{snmpsim.port}",
        "--v3-user=sha256aes256",
        f"--auth-proto={auth_proto}",
        f"--auth-key={auth_key}",
        f"--priv-proto={priv_proto}",
        f"--priv-key={priv_key}",
        "--context=test-ups",
        "--json",
    )

    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "ups"
    assert data["ups"] == {
        "output_source": "battery",
        "battery_status": "low",
        "charge_percent": 18.0,
        "minutes_remaining": 7.0,
        "load_percent": 42.0,
        "input_voltage": 0.0,
    }
    assert auth_key not in out and priv_key not in out


def test_json_for_a_router_lists_its_interfaces(snmpsim: SnmpSim):
    out, _err, code = probe(f"{snmpsim.host}:{snmpsim.port}", "--community=test-router", "--json")

    data = json.loads(out)
    assert code == 0
    assert data["kind"] == "router"
    assert data["serial"] == "FTX1234ABCD"
    assert len(data["interfaces"]) == 40
    assert data["interfaces"][9] == {
        "index": 10,
        "name": "Gi0/10",
        "admin_up": False,
        "oper_up": False,
    }


def test_no_answer_exits_2_with_the_json_saying_why(silent_port: int):
    out, _err, code = probe(
        f"127.0.0.1:{silent_port}",
        "--community=secret-community",
        "--timeout=0.2",
        "--retries=0",
        "--json",
    )

    assert code == 2
    assert json.loads(out) == {
        "reachable": False,
        "error": "timeout",
        **dict.fromkeys(KEYS[2:]),
    }
    assert "secret-community" not in out


def test_wrong_v3_key_exits_2_with_auth(snmpsim: SnmpSim):
    out, _err, code = probe(
        f"{snmpsim.host}:{snmpsim.port}",
        "--v3-user=poller",
        "--auth-proto=sha",
        "--auth-key=not-the-key",
        "--priv-proto=aes",
        "--priv-key=privpass123",
        "--context=test-ups",
        "--json",
    )

    assert code == 2
    assert json.loads(out)["error"] == "auth"
    assert "not-the-key" not in out


def test_the_readable_summary(snmpsim: SnmpSim):
    out, _err, code = probe(f"{snmpsim.host}:{snmpsim.port}", "--community", "test-printer")

    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{snmpsim.host}:{snmpsim.port} answered in ")
    assert "Kind: printer" in lines
    assert "Serial number: TPLJ4000-0001" in lines
    assert "Up for: 1 d 00:00:00" in lines
    assert "Errors: lowToner, jammed" in lines
    assert "Page count: 123456" in lines
    assert "  1.1 Black Toner Cartridge (toner): 15 of 100 (15 %)" in lines
    assert "  1.2 Cyan Toner Cartridge (toner): some remaining" in lines
    assert "  1.3 Magenta Toner Cartridge (toner): unknown" in lines
    assert "test-printer" not in out  # the community is never printed


def test_the_readable_summary_of_a_silent_device(silent_port: int):
    out, _err, code = probe(f"127.0.0.1:{silent_port}", "--timeout=0.2", "--retries=0")

    assert code == 2
    assert out == f"No answer from 127.0.0.1:{silent_port}: timeout.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["10.0.0.1", "--auth-key=abcdefgh"], "--auth-key needs --v3-user."),
        (["10.0.0.1", "--v3-user=u", "--auth-proto=SHA"], "--auth-proto needs --auth-key."),
        (
            ["10.0.0.1", "--v3-user=u", "--auth-proto=SHA", "--auth-key=short"],
            "--auth-key must be at least 8 characters long.",
        ),
        (
            ["10.0.0.1", "--v3-user=u", "--priv-proto=AES", "--priv-key=abcdefgh"],
            "SNMPv3 privacy needs authentication: give --auth-proto too.",
        ),
        (["10.0.0.1:99999"], "Not a UDP port (1 to 65535) in 10.0.0.1:99999"),
        (["10.0.0.1", "--timeout=0"], "--timeout must be more than 0 seconds."),
        (["10.0.0.1", "--retries=-1"], "--retries cannot be negative."),
    ],
)
def test_usage_errors_say_what_is_wrong(args: list[str], message: str):
    with pytest.raises(CommandError) as caught:
        call_command("snmp_probe", *args)

    assert str(caught.value) == message


def test_community_and_v3_user_exclude_each_other():
    with pytest.raises(CommandError) as caught:
        call_command("snmp_probe", "10.0.0.1", "--community=c", "--v3-user=u")

    assert "not allowed with argument" in str(caught.value)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.0.0.5", ("10.0.0.5", 161)),
        ("10.0.0.5:1161", ("10.0.0.5", 1161)),
        ("printer-7.office.tj:162", ("printer-7.office.tj", 162)),
        ("::1", ("::1", 161)),
        ("[fe80::1]:1161", ("fe80::1", 1161)),
        ("[fe80::1]", ("fe80::1", 161)),
    ],
)
def test_parse_address(address: str, expected: tuple[str, int]):
    assert parse_address(address) == expected
