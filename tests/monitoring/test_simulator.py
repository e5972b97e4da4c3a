"""The simulated devices: generated recordings decode to the states chosen, the same every time,
and ``manage.py simulate_devices`` serves them with snmpsim on a free port."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from inventory.choices import AssetStatus
from monitoring import simulator
from monitoring.management.commands import simulate_devices
from monitoring.simulator import DeviceSpec, State
from monitoring.snmp import oids
from monitoring.snmp.decode import DeviceFacts, device_facts
from monitoring.snmp.snmprec import (
    format_snmprec,
    parse_snmprec,
    parse_snmprec_typed,
    raw_from_values,
    read_snmprec,
)
from tests.factories import AssetModelFactory, CategoryFactory, ManufacturerFactory, make_asset
from tests.monitoring.conftest import free_udp_port

# (kind, manufacturer, model): every make and model the demo fleet has, and one it does not.
MODELS = [
    ("printer", "HP", "LaserJet Pro M404dn"),
    ("printer", "Canon", "i-SENSYS MF443dw"),
    ("printer", "Kyocera", "ECOSYS P3145dn"),
    ("printer", "Brother", "HL-L5100DN"),
    ("scanner", "Fujitsu", "fi-7160"),
    ("scanner", "Epson", "WorkForce DS-970"),
    ("scanner", "Canon", "imageFORMULA DR-C240"),
    ("ups", "APC", "Smart-UPS SMT1500I"),
    ("ups", "Eaton", "5SC 1500i"),
    ("router", "MikroTik", "hEX RB750Gr3"),
    ("router", "Cisco", "ISR 1111-4P"),
    ("server", "HPE", "ProLiant DL380 Gen10 Plus"),
]
CASES = [
    (kind, maker, model, state)
    for kind, maker, model in MODELS
    for state in simulator.STATES_BY_KIND[kind]
]


def spec_of(kind: str, maker: str, model: str, state: State = State.NORMAL, **kw) -> DeviceSpec:
    values = {"tag": f"CR-{kind[:2].upper()}-000042", "serial": f"{maker[:3].upper()}7X0042"}
    values.update(kw)
    return DeviceSpec(kind=kind, manufacturer=maker, model=model, state=state, **values)


def decoded(spec: DeviceSpec) -> DeviceFacts:
    """Return what the poller would decode from the spec's recording (as written to disk)."""
    return device_facts(
        raw_from_values(parse_snmprec(format_snmprec(simulator.device_records(spec))))
    )


# --- recordings: written, read back, decoded ----------------------------------------------


@pytest.mark.parametrize(("kind", "maker", "model", "state"), CASES)
def test_recording_reads_back_as_written(kind, maker, model, state):
    records = simulator.device_records(spec_of(kind, maker, model, state))
    text = format_snmprec(records)

    typed = parse_snmprec_typed(text)

    assert list(typed) == list(records)  # every OID, in walk order
    assert {oid: value.tag for oid, value in typed.items()} == {
        oid: value.tag for oid, value in records.items()
    }
    assert list(records) == sorted(records, key=oids.oid_key)


@pytest.mark.parametrize(("kind", "maker", "model", "state"), CASES)
def test_recording_decodes_to_the_device_and_its_serial(kind, maker, model, state):
    spec = spec_of(kind, maker, model, state)
    values = simulator.device_values(spec)

    facts = decoded(spec)

    assert facts.kind == ("other" if kind == "server" else kind)
    assert facts.serial == spec.serial
    assert facts.sys_descr == values.sys_descr.replace("\r\n", "\n")  # Cisco's are CRLF
    assert facts.sys_object_id == values.sys_object_id
    assert facts.sys_name == "cr-" + kind[:2] + "-000042"
    assert facts.uptime_seconds == pytest.approx(values.uptime_ticks / 100)


@pytest.mark.parametrize(("maker", "model"), [m[1:] for m in MODELS if m[0] == "printer"])
@pytest.mark.parametrize(
    ("state", "errors", "device_status", "printer_status"),
    [
        (State.NORMAL, (), "running", None),
        (State.LOW_TONER, ("lowToner",), "warning", "idle"),
        (State.TONER_OUT, ("noToner",), "down", "other"),
        (State.JAMMED, ("jammed",), "down", "other"),
        (State.DOOR_OPEN, ("doorOpen",), "down", "other"),
    ],
)
def test_printer_state_decodes_to_its_error_bits_and_statuses(
    maker, model, state, errors, device_status, printer_status
):
    spec = spec_of("printer", maker, model, state)

    printer = decoded(spec).printer

    assert printer is not None
    assert printer.errors == errors
    assert printer.device_status == device_status
    if printer_status is not None:
        assert printer.printer_status == printer_status
    else:  # a normal printer is idle, or now and then printing
        assert printer.printer_status in ("idle", "printing")
    assert printer.page_count == simulator.device_values(spec).page_count


@pytest.mark.parametrize(("maker", "model"), [m[1:] for m in MODELS if m[0] == "printer"])
@pytest.mark.parametrize("tag", [f"CR-PR-{n:06d}" for n in range(1, 9)])
def test_low_toner_shows_the_toner_percent_and_special_levels_stay_unknown(maker, model, tag):
    spec = spec_of("printer", maker, model, State.LOW_TONER, tag=tag)
    toner = simulator.device_values(spec).supplies[0]

    supplies = decoded(spec).printer.supplies

    assert supplies[0].type == "toner"
    assert supplies[0].level == toner.level
    assert supplies[0].max_capacity == toner.max_capacity
    assert supplies[0].percent == toner.percent
    assert 0 < supplies[0].percent < 10
    special = [s for s in supplies if s.level == simulator.LEVEL_SOME_REMAINING]
    assert special, "every simulated printer has a supply at -3 (some remaining)"
    assert all(s.percent is None for s in special)


def test_toner_out_is_zero_percent_and_normal_toner_is_above_twenty():
    out = decoded(spec_of("printer", "HP", "LaserJet Pro M404dn", State.TONER_OUT))
    normal = decoded(spec_of("printer", "HP", "LaserJet Pro M404dn"))

    assert out.printer.supplies[0].percent == 0.0
    assert normal.printer.supplies[0].percent > 20


@pytest.mark.parametrize(
    ("maker", "model"), [("APC", "Smart-UPS SMT1500I"), ("Eaton", "5SC 1500i")]
)
@pytest.mark.parametrize(
    ("state", "source", "battery"),
    [
        (State.NORMAL, "normal", "normal"),
        (State.ON_BATTERY, "battery", "normal"),
        (State.BATTERY_LOW, "battery", "low"),
    ],
)
def test_ups_state_decodes_in_rfc_1628_terms_from_either_mib(maker, model, state, source, battery):
    spec = spec_of("ups", maker, model, state)
    values = simulator.device_values(spec)

    ups = decoded(spec).ups

    assert ups is not None
    assert (ups.output_source, ups.battery_status) == (source, battery)
    assert ups.charge_percent == values.charge_percent
    assert ups.minutes_remaining == values.minutes_remaining
    assert ups.load_percent == values.load_percent
    assert ups.input_voltage == values.input_voltage
    if state == State.NORMAL:
        assert ups.input_voltage > 200
        assert ups.charge_percent == 100
    else:
        assert ups.input_voltage == 0


def test_apc_speaks_powernet_and_eaton_speaks_ups_mib():
    apc = simulator.device_records(spec_of("ups", "APC", "Smart-UPS SMT1500I"))
    eaton = simulator.device_records(spec_of("ups", "Eaton", "5SC 1500i"))

    assert oids.APC_OUTPUT_STATUS in apc
    assert oids.UPS_OUTPUT_SOURCE not in apc
    assert oids.UPS_OUTPUT_SOURCE in eaton
    assert not any(oid.startswith("1.3.6.1.4.1.318.") for oid in eaton)


@pytest.mark.parametrize(
    ("maker", "model"), [("MikroTik", "hEX RB750Gr3"), ("Cisco", "ISR 1111-4P")]
)
@pytest.mark.parametrize("state", [State.NORMAL, State.WAN_DOWN])
def test_router_has_five_interfaces_and_only_the_wan_port_goes_down(maker, model, state):
    interfaces = decoded(spec_of("router", maker, model, state)).interfaces

    assert len(interfaces) == 5
    wan = interfaces[0]
    assert wan.admin_up is True
    assert wan.oper_up is (state == State.NORMAL)
    # the other ports are either in use (up) or shut (admin down): never "admin up, oper down"
    assert all(i.oper_up or not i.admin_up for i in interfaces[1:])


def test_deliberate_serial_mismatch_reports_another_serial():
    spec = spec_of("printer", "Kyocera", "ECOSYS P3145dn", reported_serial="VCF3X99999")

    assert decoded(spec).serial == "VCF3X99999"


def test_error_state_is_two_octets_with_bit_zero_as_the_high_bit():
    assert simulator.error_state_octets([]) == b"\x00\x00"
    assert simulator.error_state_octets(["lowPaper"]) == b"\x80\x00"
    assert simulator.error_state_octets(["lowToner"]) == b"\x20\x00"
    assert simulator.error_state_octets(["jammed", "doorOpen"]) == b"\x0c\x00"
    assert simulator.error_state_octets(["overduePreventMaint"]) == b"\x00\x02"


def test_unknown_kind_and_impossible_state_are_refused():
    with pytest.raises(ValueError, match="Unknown device kind 'laptop'"):
        simulator.device_values(spec_of("laptop", "HP", "ProBook"))
    with pytest.raises(ValueError, match="A ups cannot be simulated in state 'jammed'"):
        simulator.device_values(spec_of("ups", "APC", "Smart-UPS", State.JAMMED))


def test_community_is_the_tag_in_lower_case():
    assert simulator.community_for("CR-PR-000123") == "cr-pr-000123"
    assert simulator.community_for("  Office 7 / printer #2 ") == "office-7-printer-2"
    assert simulator.community_for("X" * 40) == "x" * 32  # snmpsim's community limit


# --- determinism and the demo's states ----------------------------------------------------


def fleet(count: int = 400) -> list[DeviceSpec]:
    """A fleet in the demo's proportions: printers, scanners, routers, UPS and servers."""
    shares = [(45, MODELS[0:3]), (25, MODELS[4:7]), (18, MODELS[9:11]), (10, MODELS[7:9])]
    specs = []
    for number in range(count):
        slot = number % 100
        chosen = MODELS[11:]  # servers: the last 2 %
        for share, models in shares:
            if slot < share:
                chosen = models
                break
            slot -= share
        kind, maker, model = chosen[number % len(chosen)]
        specs.append(
            DeviceSpec(
                tag=f"CR-{kind[:2].upper()}-{number:06d}",
                serial=f"S{number:07d}",
                kind=kind,
                manufacturer=maker,
                model=model,
            )
        )
    return specs


def test_same_seed_same_recordings_and_another_seed_other_values():
    spec = spec_of("printer", "HP", "LaserJet Pro M404dn", State.LOW_TONER)

    first = format_snmprec(simulator.device_records(spec))
    again = format_snmprec(simulator.device_records(dataclasses.replace(spec)))
    other = format_snmprec(simulator.device_records(dataclasses.replace(spec, seed=7)))

    assert first == again
    assert first != other


def test_states_are_chosen_the_same_every_time_in_the_demo_shares():
    specs = fleet()

    chosen = simulator.assign_states(specs, seed=simulator.SEED)
    again = simulator.assign_states(list(reversed(specs)), seed=simulator.SEED)
    other = simulator.assign_states(specs, seed=1)

    by_tag = {s.tag: (s.state, s.reported_serial) for s in chosen}
    assert by_tag == {s.tag: (s.state, s.reported_serial) for s in again}
    assert by_tag != {s.tag: (s.state, s.reported_serial) for s in other}
    counts = Counter(s.state for s in chosen)
    answering_printers = sum(1 for s in chosen if s.kind == "printer" and s.state != State.SILENT)
    assert counts[State.SILENT] == round(400 * simulator.SILENT_SHARE)
    assert counts[State.LOW_TONER] == round(answering_printers * simulator.LOW_TONER_SHARE)
    assert counts[State.JAMMED] == round(answering_printers * simulator.JAMMED_SHARE)
    assert counts[State.TONER_OUT] == counts[State.DOOR_OPEN] == 1
    assert counts[State.ON_BATTERY] == counts[State.BATTERY_LOW] == 1
    assert counts[State.WAN_DOWN] == 1
    mismatched = [s for s in chosen if s.reported_serial]
    assert len(mismatched) == 1
    assert mismatched[0].kind == "printer"
    assert mismatched[0].state == State.NORMAL
    assert mismatched[0].reported_serial != mismatched[0].serial
    assert all(s.state in (*simulator.STATES_BY_KIND[s.kind], State.SILENT) for s in chosen)


def test_a_small_fleet_still_gets_each_state_it_can():
    specs = [spec_of("printer", "HP", "M404", tag=f"P{n}") for n in range(3)]
    specs += [spec_of("router", "MikroTik", "hEX", tag="R1")]

    chosen = simulator.assign_states(specs)

    assert Counter(s.state for s in chosen)[State.SILENT] == 1
    assert all(s.state != State.NORMAL for s in chosen)  # low toner and jammed come first
    assert len({s.state for s in chosen}) == 4
    assert simulator.assign_states([]) == []


def test_write_recordings_skips_silent_keeps_unchanged_files_and_removes_stale(tmp_path):
    specs = simulator.assign_states(fleet(60))
    (tmp_path / "gone-device.snmprec").write_text("1.3.6.1.2.1.1.1.0|4|old\n")

    served = simulator.write_recordings(specs, tmp_path)

    silent = {s.community for s in specs if s.state == State.SILENT}
    written = {p.stem for p in tmp_path.glob("*.snmprec")}
    assert silent
    assert written == {s.community for s in specs} - silent
    assert [s.community for s in served] == [s.community for s in specs if s.state != "silent"]
    one = served[0]
    path = tmp_path / f"{one.community}.snmprec"
    assert read_snmprec(path) == parse_snmprec(format_snmprec(simulator.device_records(one)))
    before = path.stat().st_mtime_ns
    os.utime(path, ns=(before - 10**9, before - 10**9))

    simulator.write_recordings(specs, tmp_path)

    assert path.stat().st_mtime_ns == before - 10**9  # unchanged: snmpsim keeps its index


def test_agent_command_runs_snmpsim_with_the_open_files_limit_raised(tmp_path):
    command = simulator.agent_command(
        python="/venv/bin/python",
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        endpoints=["127.0.0.1:11161", "127.0.1.2:11161"],
    )

    assert command[:2] == ["/venv/bin/python", "-c"]
    assert "max_queue_entries" in command[2]
    assert "snmpsim.commands.responder" in command[2]
    assert command[3:] == [
        f"--data-dir={tmp_path / 'data'}",
        f"--cache-dir={tmp_path / 'cache'}",
        "--log-level=error",
        "--agent-udpv4-endpoint=127.0.0.1:11161",
        "--agent-udpv4-endpoint=127.0.1.2:11161",
    ]


# --- the command -------------------------------------------------------------------------------


def register_fleet() -> dict[str, object]:
    """Register a deployed printer, UPS and router, a laptop and a printer in stock."""

    def model(code: str, maker: str, name: str):
        category = CategoryFactory(code=code, is_monitored=code != "laptop")
        return AssetModelFactory(
            manufacturer=ManufacturerFactory(name=maker), name=name, category=category
        )

    return {
        "printer": make_asset(asset_model=model("printer", "Kyocera", "ECOSYS P3145dn")),
        "ups": make_asset(asset_model=model("ups", "APC", "Smart-UPS SMT1500I")),
        "router": make_asset(asset_model=model("router", "MikroTik", "hEX RB750Gr3")),
        "laptop": make_asset(asset_model=model("laptop", "Dell", "Latitude 3540")),
        "stock": make_asset(
            asset_model=model("printer", "Kyocera", "ECOSYS P3145dn"),
            status=AssetStatus.IN_STOCK,
        ),
    }


def run_command(*args: str, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("simulate_devices", *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_simulate_devices_serves_the_register_and_monitors_it(tmp_path, settings):
    from monitoring.models import MonitoredDevice
    from monitoring.poller import poll_round
    from monitoring.services import monitored_device_targets

    settings.DEBUG = True
    assets = register_fleet()
    data_dir = tmp_path / "snmpsim" / "data"
    pid_file = tmp_path / "snmpsim" / "snmpsim.pid"
    port = free_udp_port()

    states = {
        s.tag: s.state for s in simulator.assign_states(simulate_devices.fleet_specs())
    }  # what the command chooses: the same every time
    silent = [tag for tag, state in states.items() if state == State.SILENT]
    assert len(silent) == 1  # 3 % of three devices, at least one

    out = run_command("--port", str(port), "--dir", str(data_dir))
    try:
        pid = int(pid_file.read_text())
        assert (
            f"Simulating 3 devices on 127.0.0.1:{port} (v2c, community = asset tag in lower "
            f"case; recordings in {data_dir}): 2 answer;"
        ) in out
        assert f"  {silent[0]:<14} " in out
        assert "Monitoring: 3 devices added, 0 pointed at the simulator, 0 unchanged." in out
        assert sorted(p.stem for p in data_dir.glob("*.snmprec")) == sorted(
            tag.lower() for tag in states if tag not in silent
        )
        devices = MonitoredDevice.objects.select_related("asset__asset_model__category", "profile")
        assert {(d.asset.tag, d.address, d.port, d.profile.name) for d in devices} == {
            (assets[k].tag, "127.0.0.1", port, f"Simulated {assets[k].tag}")
            for k in ("printer", "ups", "router")
        }

        results = poll_round(monitored_device_targets().targets)

        by_key = {r.key: r for r in results}
        for device in devices:
            result = by_key[device.pk]
            if device.asset.tag in silent:
                assert (result.reachable, result.error) == (False, "timeout")
                continue
            assert result.reachable, result.error
            assert result.facts.serial == device.asset.serial
            assert result.facts.kind == device.asset.asset_model.category.code

        again = run_command("--port", str(port), "--dir", str(data_dir))
        assert f"Simulator stopped (pid {pid})." in again
        assert "Monitoring: 0 devices added, 0 pointed at the simulator, 3 unchanged." in again
        assert int(pid_file.read_text()) != pid
    finally:
        stopped = run_command("--stop", "--dir", str(data_dir))
    assert stopped.startswith("Simulator stopped (pid ")
    assert not pid_file.exists()
    assert run_command("--stop", "--dir", str(data_dir)) == (
        f"No simulator is running (no pid file at {pid_file}).\n"
    )


@pytest.mark.django_db
def test_simulate_devices_refuses_without_debug_and_without_devices(tmp_path, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to simulate devices: DEBUG is off"):
        run_command("--dir", str(tmp_path / "data"))

    settings.DEBUG = True
    with pytest.raises(CommandError, match=r"--port 0: a UDP port is a number from 1 to 65535\."):
        run_command("--port", "0", "--dir", str(tmp_path / "data"))
    with pytest.raises(
        CommandError,
        match=r"The register has no deployed printers, scanners, UPS, routers or servers",
    ):
        run_command("--dir", str(tmp_path / "data"))


@pytest.mark.django_db
def test_simulate_devices_says_when_the_port_is_taken(tmp_path, settings):
    import socket

    settings.DEBUG = True
    register_fleet()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(
            CommandError,
            match=rf"UDP port {port} on 127\.0\.0\.1 is in use \(.*\): choose another with "
            r"--port\.",
        ):
            run_command("--port", str(port), "--dir", str(tmp_path / "data"), "--no-monitoring")
    assert not (tmp_path / "snmpsim.pid").exists()


def test_stop_ignores_a_pid_file_naming_another_process(tmp_path):
    pid_file = tmp_path / "snmpsim.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # this test process: alive, but not snmpsim

    said = simulate_devices.agent_stop(pid_file=pid_file)

    assert said == f"No simulator is running (pid {os.getpid()} is gone)."
    assert not pid_file.exists()


def test_fleet_specs_reads_only_deployed_monitored_devices(db):
    assets = register_fleet()

    specs = simulate_devices.fleet_specs(seed=3)

    assert [(s.tag, s.kind, s.manufacturer, s.model, s.serial, s.seed) for s in specs] == sorted(
        (
            a.tag,
            a.asset_model.category.code,
            a.asset_model.manufacturer.name,
            a.asset_model.name,
            a.serial,
            3,
        )
        for key, a in assets.items()
        if key in ("printer", "ups", "router")
    )
    assert {s.location for s in specs} == {
        assets[key].office.name for key in ("printer", "ups", "router")
    }
    assert all(s.state == State.NORMAL for s in specs)  # the states come from assign_states


def test_the_demo_page_history_grows_week_by_week_up_to_todays_counter():
    spec = spec_of("printer", "HP", "LaserJet Pro M404dn")
    history = simulator.page_count_history(spec)
    today = simulator.device_values(spec).page_count
    assert [weeks for weeks, _count in history] == list(range(12, 0, -1))
    counts = [count for _weeks, count in history]
    assert counts == sorted(counts) and counts[-1] < today
    assert history == simulator.page_count_history(spec)  # the same every time
    assert simulator.page_count_history(spec_of("ups", "APC", "Back-UPS Pro 1500")) == []
