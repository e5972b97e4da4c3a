"""Benchmark alert rule evaluation and sync after a poll round of 1,000 and 10,000 devices.

Run from the project root:

    .venv/bin/python bench/alerts.py [--devices 10000] [--repeat 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cr_bench .venv/bin/python bench/alerts.py

The script sets Django up itself (DEBUG off, a default SECRET_KEY) and works on a throwaway
database of its own, never the development one: SQLite ``bench/alerts.sqlite3`` (deleted at
the end), or on PostgreSQL the database ``cr_bench`` (or the URL's database name when it
contains "bench"), created and dropped.

It registers ``--devices`` monitored devices with ``bulk_create`` (printers, routers and UPSs
over 73 offices) and gives each a saved state: most healthy, some with low or empty supplies,
jams, routers with an interface down, UPSs on battery, devices down for an hour. A "round" is
``monitoring.services.alerts_sync`` over the devices' rows as the round's save leaves them
(loaded beforehand, as ``monitoring_results_save`` has them): rule evaluation, reading the open
alerts, opening, keeping, resolving. Per size it runs a first round (opens the alerts), then
``--repeat`` rounds in which a tenth of the devices change state (some conditions clear, others
appear); the median of those is reported, with their query count.

Target: a round of 10,000 devices under 2 s, with the same query count at 1,000 and 10,000.
The last line is ``RESULT sync_10k_s=… queries_1k=… queries_10k=…``. On SQLite the INSERT of
new alerts is batched by its parameter limit (999): a round that opens more than ~80 alerts
takes one more statement per 80; on PostgreSQL it is one statement.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SQLITE_PATH = BENCH_DIR / "alerts.sqlite3"
PG_DEFAULT_NAME = "cr_bench"
SMALL = 1_000
TARGET_S = 2.0


def _configure_environment() -> None:
    sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != BENCH_DIR]
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "bench-insecure-key")
    os.environ["DEBUG"] = "0"
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def _database_settings() -> None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(SQLITE_PATH)
    else:
        name = database["NAME"] if "bench" in (database["NAME"] or "") else PG_DEFAULT_NAME
        database["TEST"]["NAME"] = name


def _supply(index: str, percent: float) -> dict:
    return {
        "index": index,
        "description": f"Toner {index}",
        "supply_class": "supplyThatIsConsumed",
        "type": "toner",
        "unit": "percent",
        "level": int(percent),
        "max_capacity": 100,
        "percent": percent,
        "percent_null_reason": None,
    }


def _interfaces(down: bool) -> list[dict]:
    return [
        {
            "index": i,
            "name": f"ether{i}",
            "admin_up": True,
            "oper_up": not (down and i == 2),
            "admin_status": "up",
            "oper_status": "down" if down and i == 2 else "up",
        }
        for i in range(1, 6)
    ]


def _ups(on_battery: bool) -> dict:
    return {
        "output_source": "battery" if on_battery else "normal",
        "battery_status": "normal",
        "charge_percent": 35.0 if on_battery else 100.0,
        "minutes_remaining": 20.0,
        "load_percent": 30.0,
        "input_voltage": 0.0 if on_battery else 220.0,
        "output_source_raw": None,
        "battery_status_raw": None,
        "replace_battery": None,
    }


def state_apply(device, *, rng: random.Random, now) -> None:
    """Give a device row a state a round could leave: mostly healthy, some with problems."""
    import datetime as dt

    roll = rng.random()
    device.health, device.health_since = "up", now - dt.timedelta(days=1)
    device.errors, device.serial_mismatch = [], False
    if device.kind == "printer":
        device.supplies = [_supply("1.1", 80.0), _supply("1.2", 60.0)]
        device.ups = device.interfaces = None
        if roll < 0.15:
            device.supplies = [_supply("1.1", rng.choice([12.0, 4.0, 0.0])), _supply("1.2", 60.0)]
        elif roll < 0.20:
            device.errors = ["jammed"]
    elif device.kind == "router":
        device.supplies, device.ups = [], None
        device.interfaces = _interfaces(down=roll < 0.3)
    else:
        device.supplies, device.interfaces = [], None
        device.ups = _ups(on_battery=roll < 0.2)
    if roll > 0.9:
        device.health, device.health_since = "down", now - dt.timedelta(hours=1)


def devices_create(count: int) -> None:
    """Create the places, the models and ``count`` monitored devices (bulk, no history)."""
    from inventory.models import Asset, AssetModel, Category, District, Manufacturer, Office, Region
    from monitoring.models import MonitoredDevice, SnmpProfile

    region = Region.objects.create(code="SU", name_en="Sughd")
    district = District.objects.create(code="SU-01", region=region, kind="city", name_en="Khujand")
    offices = Office.objects.bulk_create(
        Office(
            code=f"CR-{n:03d}",
            kind="district_office",
            region=region,
            district=district,
            name_en=f"Office {n}",
        )
        for n in range(73)
    )
    manufacturer = Manufacturer.objects.create(name="Bench")
    models = {}
    for kind, prefix in (("printer", "PR"), ("router", "RT"), ("ups", "UP")):
        category = Category.objects.create(
            code=kind, tag_prefix=prefix, name_en=kind.title(), is_monitored=True
        )
        models[kind] = AssetModel.objects.create(
            manufacturer=manufacturer, name=f"{kind} model", category=category
        )
    kinds = ["printer"] * 7 + ["router"] * 2 + ["ups"]
    assets = Asset.objects.bulk_create(
        [
            Asset(
                tag=f"B-{n:06d}",
                serial=f"BENCH{n:07d}",
                asset_model=models[kinds[n % 10]],
                status="deployed",
                office=offices[n % len(offices)],
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    profile = SnmpProfile.objects.create(name="Bench v2c", version="2c")
    MonitoredDevice.objects.bulk_create(
        [
            MonitoredDevice(
                asset=asset,
                address=f"10.{n // 62500}.{n // 250 % 250}.{n % 250 + 1}",
                profile=profile,
                kind=kinds[n % 10],
            )
            for n, asset in enumerate(assets)
        ],
        batch_size=2000,
    )


def round_run(devices, *, connection) -> tuple[float, int, object]:
    from django.test.utils import CaptureQueriesContext

    from monitoring import services

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        summary = services.alerts_sync(devices=devices)
    return time.perf_counter() - started, len(queries), summary


def measure(devices, *, repeat: int, rng: random.Random, connection) -> dict:
    from django.utils import timezone

    now = timezone.now()
    for device in devices:
        state_apply(device, rng=rng, now=now)
    first_s, first_q, first = round_run(devices, connection=connection)
    times, counts, summaries = [], set(), []
    for _ in range(repeat):
        for device in rng.sample(devices, len(devices) // 10):
            state_apply(device, rng=rng, now=now)
        elapsed, count, summary = round_run(devices, connection=connection)
        times.append(elapsed)
        counts.add(count)
        summaries.append(summary)
    return {
        "first_s": first_s,
        "first_q": first_q,
        "first": first,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "queries": max(counts),
        "counts": sorted(counts),
        "last": summaries[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    _configure_environment()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    _database_settings()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from monitoring.models import Alert, MonitoredDevice

        started = time.perf_counter()
        devices_create(args.devices)
        print(
            f"{connection.vendor}: created {args.devices:,} monitored devices in "
            f"{time.perf_counter() - started:.1f} s"
        )
        rows = list(MonitoredDevice.objects.select_related("asset").order_by("pk"))
        rng = random.Random(args.seed)
        results = {}
        for size in (SMALL, args.devices):
            Alert.objects.all().delete()
            results[size] = measure(rows[:size], repeat=args.repeat, rng=rng, connection=connection)
        print(
            f"\n{'devices':>7} {'first s':>8} {'q':>3} {'opened':>6} "
            f"{'median s':>9} {'min s':>7} {'max s':>7} {'queries':>8} {'open/seen/resolved':>20}"
        )
        for size, r in results.items():
            last = r["last"]
            print(
                f"{size:>7} {r['first_s']:>8.3f} {r['first_q']:>3} {r['first'].opened:>6} "
                f"{r['median_s']:>9.3f} {r['min_s']:>7.3f} {r['max_s']:>7.3f} "
                f"{'/'.join(map(str, r['counts'])):>8} "
                f"{f'{last.opened}/{last.seen}/{last.resolved}':>20}"
            )
        big = results[args.devices]
        q_small, q_big = results[SMALL]["queries"], big["queries"]
        verdict = "met" if big["median_s"] < TARGET_S and q_small == q_big else "NOT met"
        print(f"\nTarget (under {TARGET_S:.0f} s, same queries at 1k and 10k): {verdict}")
        print(f"RESULT sync_10k_s={big['median_s']:.3f} queries_1k={q_small} queries_10k={q_big}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()


if __name__ == "__main__":
    main()
