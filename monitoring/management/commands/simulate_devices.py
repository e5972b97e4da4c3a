"""Serve simulated SNMP devices for the demo fleet's printers, scanners, UPS, routers and servers.

One recording per deployed monitored device is generated from the register
(``monitoring.simulator``: the printer's serial is the asset's, a few printers low on toner or
jammed, a UPS on battery, a router with its WAN port down, a few devices silent) and served by
snmpsim on 127.0.0.1:PORT, the device's v2c community being its asset tag in lower case. Each
device is then monitored at that address (one credentials profile per simulated device, since
a profile holds the community), so ``manage.py monitor`` polls them.

By default the agent runs in the background and a pid file records it (``--stop`` stops it);
``--foreground`` keeps it attached until Ctrl+C. Running the command again rewrites the
recordings and restarts the agent. Refuses with DEBUG off unless --force: it points every
monitored demo device at the simulator.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inventory.choices import AssetStatus
from inventory.models import Asset
from monitoring import simulator
from monitoring.simulator import DeviceSpec, State

DEFAULT_PORT = 11161
HOST = "127.0.0.1"
RUNTIME = Path("var") / "snmpsim"  # under BASE_DIR; gitignored
STARTUP_TIMEOUT_S = 120.0  # indexing a few hundred recordings the first time takes seconds
STOP_TIMEOUT_S = 10.0
PROFILE_PREFIX = "Simulated "  # + the asset tag: one profile per simulated device
DEVICE_TIMEOUT_S = 2.0  # one agent answers every device: leave it room when busy
DEVICE_RETRIES = 1
REASON = "Demo: simulated device (simulate_devices)"

REFUSAL = (
    "Refusing to simulate devices: DEBUG is off, so this looks like a production install, and "
    "this command points every monitored demo device at the simulator. Run it with DEBUG=1, or "
    "pass --force if this really is a demo or test machine."
)


class Command(BaseCommand):
    help = (
        "Generate SNMP recordings for the register's deployed printers, scanners, UPS, routers "
        "and servers, serve them with snmpsim on 127.0.0.1:PORT and monitor them there. "
        "--stop stops a running simulator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=DEFAULT_PORT,
            help=f"UDP port on {HOST} (default {DEFAULT_PORT}).",
        )
        parser.add_argument(
            "--dir",
            dest="data_dir",
            type=Path,
            default=None,
            help=f"Folder for the recordings (default BASE_DIR/{RUNTIME}/data). The pid file, "
            "log and cache go next to it.",
        )
        parser.add_argument(
            "--foreground",
            action="store_true",
            help="Keep the agent attached until Ctrl+C instead of running it in the background.",
        )
        parser.add_argument(
            "--stop", action="store_true", help="Stop the simulator started earlier, and exit."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=simulator.SEED,
            help="Seed of the states and values (same seed, same devices).",
        )
        parser.add_argument(
            "--no-monitoring",
            action="store_true",
            help="Only serve the recordings: do not create or change monitored devices.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even though DEBUG is off (demo machines)."
        )

    def handle(
        self,
        *args,
        port: int,
        data_dir: Path | None,
        foreground: bool,
        stop: bool,
        seed: int,
        no_monitoring: bool,
        force: bool,
        **options,
    ) -> None:
        data_dir = (data_dir or Path(settings.BASE_DIR) / RUNTIME / "data").resolve()
        runtime = data_dir.parent
        pid_file = runtime / "snmpsim.pid"
        if stop:
            self.stdout.write(agent_stop(pid_file=pid_file))
            return
        if not settings.DEBUG and not force:
            raise CommandError(REFUSAL)
        if not 1 <= port <= 65535:
            raise CommandError(f"--port {port}: a UDP port is a number from 1 to 65535.")

        started = time.monotonic()
        specs = simulator.assign_states(fleet_specs(seed=seed), seed=seed)
        if not specs:
            raise CommandError(
                "The register has no deployed printers, scanners, UPS, routers or servers to "
                "simulate: run `manage.py demo_setup` first."
            )
        served = simulator.write_recordings(specs, data_dir)
        stopped = agent_stop(pid_file=pid_file, quiet=True)
        if stopped:
            self.stdout.write(stopped)
        port_check(port)
        process = agent_start(
            data_dir=data_dir,
            runtime=runtime,
            port=port,
            foreground=foreground,
        )
        pid_file.write_text(f"{process.pid}\n")
        if served and not agent_answers(port=port, community=served[0].community):
            agent_stop(pid_file=pid_file, quiet=True)
            raise CommandError(
                f"snmpsim started but does not answer on {HOST}:{port}; see "
                f"{runtime / 'snmpsim.log'}."
            )
        if not no_monitoring:
            self.stdout.write(monitoring_configure(specs=specs, port=port))
            self.stdout.write(page_history_seed(specs=specs))
        self._print_served(specs=specs, served=len(served), port=port, data_dir=data_dir)
        self.stdout.write(
            f"Simulator ready in {time.monotonic() - started:.1f} s (pid {process.pid}, "
            f"log {runtime / 'snmpsim.log'})."
        )
        if foreground:
            self._wait(process, pid_file)
        else:
            self.stdout.write("Stop it with: manage.py simulate_devices --stop")

    def _print_served(
        self, *, specs: list[DeviceSpec], served: int, port: int, data_dir: Path
    ) -> None:
        counts = Counter(spec.state for spec in specs)
        parts = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in counts.items())
        self.stdout.write(
            f"Simulating {len(specs)} devices on {HOST}:{port} (v2c, community = asset tag in "
            f"lower case; recordings in {data_dir}): {served} answer; {parts}."
        )
        unusual = [s for s in specs if s.state != State.NORMAL or s.reported_serial]
        for spec in sorted(unusual, key=lambda s: (s.state, s.tag)):
            note = f", reports serial {spec.reported_serial}" if spec.reported_serial else ""
            self.stdout.write(
                f"  {spec.tag:<14} {spec.kind:<8} {spec.state.replace('_', ' ')}{note}"
                f" ({spec.location})"
            )

    def _wait(self, process: subprocess.Popen, pid_file: Path) -> None:
        """Stay attached until Ctrl+C or SIGTERM, then stop the agent."""

        def terminate(signum, frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, terminate)
        try:
            self.stdout.write("Serving in the foreground: Ctrl+C stops it.")
            process.wait()
            self.stderr.write(f"The agent stopped by itself (exit code {process.returncode}).")
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self.stdout.write("Simulator stopped.")
        finally:
            signal.signal(signal.SIGTERM, previous)
            pid_file.unlink(missing_ok=True)


# --- the register ---------------------------------------------------------------------------


def fleet_specs(*, seed: int = simulator.SEED) -> list[DeviceSpec]:
    """Return one spec (state normal) per deployed asset of a monitored category."""
    assets = (
        Asset.objects.filter(
            status=AssetStatus.DEPLOYED,
            asset_model__category__is_monitored=True,
            asset_model__category__code__in=simulator.KINDS,
        )
        .select_related("asset_model__category", "asset_model__manufacturer", "office")
        .order_by("tag")
    )
    return [
        DeviceSpec(
            tag=asset.tag,
            serial=asset.serial,
            kind=asset.asset_model.category.code,
            manufacturer=asset.asset_model.manufacturer.name,
            model=asset.asset_model.name,
            location=asset.office.name if asset.office else "",
            seed=seed,
        )
        for asset in assets
    ]


def monitoring_configure(*, specs: list[DeviceSpec], port: int) -> str:
    """Monitor every simulated device at HOST:port with its own v2c profile; return a summary.

    A profile holds the community, and each simulated device answers to its own community, so
    each gets a profile named ``Simulated <tag>``. Devices monitored already are pointed at the
    simulator; their health restarts from unknown when the address or profile changes.
    """
    from monitoring import services
    from monitoring.models import MonitoredDevice, SnmpProfile

    tags = [spec.tag for spec in specs]
    assets = {
        a.tag: a for a in Asset.objects.filter(tag__in=tags).select_related("asset_model__category")
    }
    profiles = {
        p.name: p for p in SnmpProfile.objects.filter(name__startswith=PROFILE_PREFIX.strip())
    }
    devices = {
        d.asset.tag: d
        for d in MonitoredDevice.objects.filter(asset__tag__in=tags).select_related(
            "asset", "profile"
        )
    }
    added = changed = 0
    with transaction.atomic():
        for spec in specs:
            name = f"{PROFILE_PREFIX}{spec.tag}"
            profile = profiles.get(name)
            try:
                if profile is None:
                    profile = services.snmp_profile_create(
                        by=None,
                        name=name,
                        version="2c",
                        community=spec.community,
                        notes="Created by manage.py simulate_devices for the demo.",
                    )
                device = devices.get(spec.tag)
                if device is None:
                    services.monitored_device_add(
                        by=None,
                        asset=assets[spec.tag],
                        profile=profile,
                        address=HOST,
                        port=port,
                        timeout_s=DEVICE_TIMEOUT_S,
                        retries=DEVICE_RETRIES,
                    )
                    added += 1
                else:
                    wanted = {
                        "address": HOST,
                        "port": port,
                        "profile": profile,
                        "enabled": True,
                        "timeout_s": DEVICE_TIMEOUT_S,
                        "retries": DEVICE_RETRIES,
                    }
                    if any(getattr(device, name) != value for name, value in wanted.items()):
                        services.monitored_device_update(
                            device=device, by=None, reason=REASON, **wanted
                        )
                        changed += 1
            except ValidationError as error:
                raise CommandError(f"{spec.tag}: {'; '.join(error.messages)}") from error
    unchanged = len(specs) - added - changed
    return (
        f"Monitoring: {added} devices added, {changed} pointed at the simulator, "
        f"{unchanged} unchanged."
    )


# --- the agent process ----------------------------------------------------------------------


def agent_python() -> str:
    """Return this interpreter, after checking that snmpsim is installed beside it."""
    if importlib.util.find_spec("snmpsim") is None:
        raise CommandError(
            "snmpsim is missing: install the requirements (pip install -r requirements.txt)."
        )
    return sys.executable


def agent_start(
    *, data_dir: Path, runtime: Path, port: int, foreground: bool = False
) -> subprocess.Popen:
    """Start snmpsim serving ``data_dir`` on HOST:port; return once it listens."""
    runtime.mkdir(parents=True, exist_ok=True)
    log_path = runtime / "snmpsim.log"
    command = simulator.agent_command(
        python=agent_python(),
        data_dir=data_dir,
        cache_dir=runtime / "cache",
        endpoints=[f"{HOST}:{port}"],
    )
    environment = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own executable and arguments)
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            # In the background it outlives this command, and Ctrl+C in the terminal (make run)
            # must not reach it: `--stop` ends it.
            start_new_session=not foreground,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if "Listening at" in text:
            return process
        if process.poll() is not None:
            tail = "\n".join(text.strip().splitlines()[-8:])
            hint = " Is the port in use? Try --port." if "ddress already in use" in text else ""
            raise CommandError(
                f"snmpsim stopped at start (exit code {process.returncode}).{hint}\n{tail}"
            )
        time.sleep(0.1)
    process.terminate()
    raise CommandError(
        f"snmpsim did not start listening within {STARTUP_TIMEOUT_S:.0f} s; see {log_path}."
    )


def port_check(port: int) -> None:
    """Raise CommandError when the UDP port is taken (snmpsim would not say so)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise CommandError(
                f"UDP port {port} on {HOST} is in use ({error.strerror}): choose another "
                "with --port."
            ) from error


def agent_answers(*, port: int, community: str) -> bool:
    """Return whether the agent answers a GET of sysDescr for ``community`` within seconds."""
    from monitoring.snmp import oids
    from monitoring.snmp.client import SnmpClient, SnmpError, SnmpTarget

    # snmpsim drops the first datagram after "Listening at": short tries, many of them.
    target = SnmpTarget(host=HOST, port=port, community=community, timeout=0.25, retries=20)

    async def ask() -> bool:
        async with SnmpClient() as client:
            try:
                await client.get(target, [oids.SYS_DESCR])
            except SnmpError:
                return False
            return True

    # A thread of its own: the caller's thread may already run an event loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(ask())).result()


def _is_agent(pid: int) -> bool:
    """Return whether ``pid`` is a running snmpsim responder (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (not Linux): trust the pid file
    return simulator.AGENT_NAME.encode() in cmdline


def agent_stop(*, pid_file: Path, quiet: bool = False) -> str:
    """Stop the agent the pid file names; return what was done ("" when quiet and none)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return "" if quiet else f"No simulator is running (no pid file at {pid_file})."
    if not _is_agent(pid):
        pid_file.unlink(missing_ok=True)
        return "" if quiet else f"No simulator is running (pid {pid} is gone)."
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(pid):
        os.kill(pid, signal.SIGKILL)
        while _running(pid):
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return f"Simulator stopped (pid {pid})."


def _running(pid: int) -> bool:
    """Return whether ``pid`` still runs: not gone, not a zombie (its sockets are closed then).

    A zombie this process started is reaped.
    """
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux)
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def page_history_seed(*, specs: list[DeviceSpec]) -> str:
    """Give simulated printers that have no poll history twelve weekly page-counter readings.

    Demo only: the asset page's page-counter chart then shows a trend from the first minute.
    Printers polled before keep their real history.
    """
    import datetime as dt

    from django.utils import timezone

    from monitoring.choices import Health
    from monitoring.models import MonitoredDevice, PollOutcome
    from monitoring.simulator import page_count_history

    devices = {
        device.asset.tag: device
        for device in MonitoredDevice.objects.filter(
            asset__tag__in=[spec.tag for spec in specs if spec.kind == "printer"]
        )
        .exclude(outcomes__isnull=False)
        .select_related("asset")
    }
    now = timezone.now()
    rows = [
        PollOutcome(
            device=devices[spec.tag],
            polled_at=now - dt.timedelta(weeks=weeks_ago),
            reachable=True,
            health=Health.UP,
            page_count=count,
            fingerprint="demo-history",
        )
        for spec in specs
        if spec.tag in devices and spec.state != State.SILENT
        for weeks_ago, count in page_count_history(spec)
    ]
    PollOutcome.objects.bulk_create(rows, batch_size=1000)
    return f"Page-counter history: {len(rows)} weekly readings for {len(devices)} printers."
