"""Benchmark service readiness and the consumables forecast at national scale.

Run from the project root:

    .venv/bin/python bench/readiness.py [--offices 5000] [--assets 100000]
        [--readings 1000000] [--repeat 5] [--keepdb]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cr_bench .venv/bin/python bench/readiness.py

The script sets Django up itself (DEBUG off, a default SECRET_KEY) and works on a throwaway
database of its own, never the development one: SQLite ``bench/readiness.sqlite3`` (deleted at
the end unless ``--keepdb``), or on PostgreSQL the database ``cr_bench`` (or the URL's database
name when it contains "bench"), created and dropped. ``--keepdb`` keeps it and, when it already
holds the data, only measures.

Data, all with ``bulk_create``: the 10 CR services and 19 requirements of ``fixtures/``;
``--offices`` offices in 5 regions, each offering every service; ``--assets`` assets spread
evenly over them (per office: front-office laptops and printers linked to the seven
front-office services, back-office ones to certificates and corrections, archive laptops and
scanners to digitisation, a router and a UPS), about 2 % in repair with an open ticket, 1 %
lost or retired; every printer, scanner, router and UPS monitored (2 % down, 1 % of routers
down, 1 % of UPS on battery); and ``--readings`` poll outcomes spread over the printers' last
90 days, each with a page counter and two supplies (toner falling at the printer's own rate,
a refill on some; the waste box filling), as the poller stores them. On PostgreSQL the tables
are analysed after the first recomputation, as autovacuum soon would after such a bulk load.

What is timed:

- ``overview_s``: the national readiness overview page (``GET /readiness/``, as a user who sees
  the whole country; median of ``--repeat``), which reads the stored state of every office ×
  service.
- ``forecast_s``: the consumables forecast page (``GET /reports/consumables/``, median), which
  reads every printer supply's stored forecast and works out what to order for 30/60/90 days.
- Also printed (not targets): ``refresh_s``, recomputing every office's readiness from the
  register and monitoring (what the poller does after each round), and ``forecasts_refresh_s``,
  recomputing every supply forecast from the readings (what ``manage.py forecasts_refresh``
  does; the poller recomputes only the devices it stored an outcome for), with its per-device
  cost ``per_device_ms``.

Target: overview and forecast under 2 s each on the 2-core machine. The last line is
``RESULT overview_s=… forecast_s=… refresh_s=… forecasts_refresh_s=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SQLITE_PATH = BENCH_DIR / "readiness.sqlite3"
PG_DEFAULT_NAME = "cr_bench"
TARGET_S = 2.0
BATCH = 5_000
HISTORY_DAYS = 90

# One office's devices: (category, zone, services linked, monitored). 20 per office.
FRONT = ("birth", "death", "marriage", "divorce", "adoption", "paternity", "name_change")
OFFICE_KIT = (
    *[("laptop", "front_office", FRONT, False)] * 5,
    *[("printer", "front_office", FRONT, True)] * 4,
    *[("laptop", "back_office", ("certificates", "correction"), False)] * 2,
    *[("printer", "back_office", ("certificates",), True)] * 2,
    *[("laptop", "archive_room", ("digitisation",), False)] * 2,
    *[("scanner", "archive_room", ("digitisation",), True)] * 2,
    ("router", "", (), True),
    ("ups", "", (), True),
    ("laptop", "front_office", FRONT, False),
)


def _configure_environment() -> None:
    """Set the environment config.settings reads, before Django is imported."""
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


def reference_create(*, offices: int) -> list[int]:
    """Create services, requirements, places and models; return the office ids."""
    from inventory.models import (
        AssetModel,
        Category,
        CRService,
        District,
        Manufacturer,
        Office,
        Region,
        ServiceRequirement,
    )

    fixtures = PROJECT_DIR / "fixtures"
    services = {}
    for row in json.loads((fixtures / "cr_services.json").read_text()):
        fields = row["fields"]
        services[fields["code"]] = CRService.objects.create(
            code=fields["code"], name_en=fields["name_en"], sort_order=fields["sort_order"]
        )
    categories = {
        code: Category.objects.create(
            code=code, tag_prefix=code[:2].upper(), name_en=code.title(), sort_order=i
        )
        for i, code in enumerate(("laptop", "printer", "scanner", "router", "ups", "server"))
    }
    for row in json.loads((fixtures / "service_requirements.json").read_text()):
        fields = row["fields"]
        ServiceRequirement.objects.create(
            service=services[fields["service"][0]],
            zone=fields["zone"],
            category=categories[fields["category"][0]],
            min_count=fields["min_count"],
        )
    maker = Manufacturer.objects.create(name="Maker")
    for category in categories.values():
        AssetModel.objects.create(
            manufacturer=maker, name=f"Model {category.code}", category=category
        )
    regions = [
        Region.objects.create(code=f"R{i}", name_en=f"Region {i}", sort_order=i) for i in range(5)
    ]
    districts = District.objects.bulk_create(
        [
            District(code=f"D{i:03d}", region=regions[i % 5], kind="district", name_en=f"D{i}")
            for i in range(50)
        ]
    )
    Office.objects.bulk_create(
        [
            Office(
                code=f"CR-{i:05d}",
                kind="district_office",
                region=districts[i % 50].region,
                district=districts[i % 50],
                name_en=f"Office {i:05d}",
            )
            for i in range(offices)
        ],
        batch_size=BATCH,
    )
    office_ids = list(Office.objects.order_by("pk").values_list("pk", flat=True))
    through = Office.services.through
    through.objects.bulk_create(
        [
            through(office_id=office_id, crservice_id=service.pk)
            for office_id in office_ids
            for service in services.values()
        ],
        batch_size=BATCH,
    )
    return office_ids


def assets_create(*, office_ids: list[int], count: int, rng: random.Random) -> None:
    """Register ``count`` assets at the offices, linked to services, some monitored."""
    from django.utils import timezone

    from inventory.models import Asset, AssetModel, CRService
    from monitoring.models import MonitoredDevice, RepairTicket, SnmpProfile

    now = timezone.now()
    models = {m.category.code: m.pk for m in AssetModel.objects.select_related("category")}
    service_ids = dict(CRService.objects.values_list("code", "pk"))
    rows, kits = [], []
    for number in range(count):
        office_id = office_ids[number // len(OFFICE_KIT) % len(office_ids)]
        category, zone, linked, monitored = OFFICE_KIT[number % len(OFFICE_KIT)]
        roll = rng.random()
        status = "deployed"
        if roll < 0.02:
            status = "in_repair"
        elif roll < 0.025:
            status = "lost"
        elif roll < 0.03:
            status = "retired"
        rows.append(
            Asset(
                tag=f"CR-XX-{number:07d}",
                serial=f"SN{number:08d}",
                asset_model_id=models[category],
                status=status,
                office_id=office_id,
                zone=zone,
            )
        )
        kits.append((linked, monitored, category, status))
    Asset.objects.bulk_create(rows, batch_size=BATCH)
    ids = list(Asset.objects.order_by("pk").values_list("pk", flat=True))
    through = Asset.services.through
    links, tickets, devices = [], [], []
    profile = SnmpProfile.objects.create(name="Bench v2c")
    for index, (pk, (linked, monitored, category, status)) in enumerate(
        zip(ids, kits, strict=True)
    ):
        links += [through(asset_id=pk, crservice_id=service_ids[code]) for code in linked]
        if status == "in_repair":
            tickets.append(
                RepairTicket(
                    number=f"RT-B-{len(tickets):06d}",
                    asset_id=pk,
                    fault="no_power",
                    reported_at=now - dt.timedelta(days=index % 20),
                    status="open",
                    stops_work=True,
                )
            )
        if monitored:
            health = "down" if rng.random() < (0.01 if category == "router" else 0.02) else "up"
            ups = None
            if category == "ups":
                source = "battery" if rng.random() < 0.01 else "normal"
                ups = {"output_source": source, "battery_status": "normal"}
            devices.append(
                MonitoredDevice(
                    asset_id=pk,
                    address=f"10.{index // 65536}.{index // 256 % 256}.{index % 256}",
                    profile=profile,
                    health=health,
                    kind=category if category in ("printer", "ups", "router") else "",
                    last_polled_at=now,
                    last_reachable_at=now if health == "up" else now - dt.timedelta(days=3),
                    ups=ups,
                )
            )
        if len(links) >= BATCH * 4:
            through.objects.bulk_create(links, batch_size=BATCH)
            links = []
    through.objects.bulk_create(links, batch_size=BATCH)
    RepairTicket.objects.bulk_create(tickets, batch_size=BATCH)
    MonitoredDevice.objects.bulk_create(devices, batch_size=BATCH)


def _supplies(toner: float, waste: float) -> list[dict]:
    return [
        {
            "index": "1.1",
            "description": "Black Toner TK-3160",
            "supply_class": "supplyThatIsConsumed",
            "type": "toner",
            "unit": "percent",
            "level": round(toner),
            "max_capacity": 100,
            "percent": float(round(toner)),
        },
        {
            "index": "1.2",
            "description": "Waste Toner Box",
            "supply_class": "receptacleThatIsFilled",
            "type": "wasteToner",
            "unit": "percent",
            "level": round(waste),
            "max_capacity": 100,
            "percent": float(round(waste)),
        },
    ]


def readings_create(*, count: int, rng: random.Random) -> int:
    """Store ``count`` poll outcomes over the printers' last 90 days; return the printers."""
    from django.utils import timezone

    from monitoring.models import MonitoredDevice, PollOutcome

    now = timezone.now()
    printers = list(
        MonitoredDevice.objects.filter(asset__asset_model__category__code="printer")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    per_printer = max(count // len(printers), 2)
    step = dt.timedelta(days=HISTORY_DAYS) / per_printer
    latest: list[MonitoredDevice] = []
    rows: list[PollOutcome] = []
    stored = 0
    for device_id in printers:
        rate = rng.uniform(0.3, 2.0)  # percent of toner per day
        pages_per_day = rng.uniform(20, 300)
        toner = rng.uniform(40, 100)
        pages = rng.randrange(1_000, 200_000)
        refill_at = rng.randrange(per_printer) if rng.random() < 0.3 else -1
        supplies: list[dict] = []
        for index in range(per_printer):
            at = now - step * (per_printer - index)
            days = step.total_seconds() / 86400
            toner -= rate * days + rng.uniform(-0.2, 0.2)
            if toner <= 0 or index == refill_at:
                toner = 100.0
            pages += int(pages_per_day * days)
            supplies = _supplies(max(toner, 0.0), 100 - max(toner, 0.0) / 2)
            rows.append(
                PollOutcome(
                    device_id=device_id,
                    polled_at=at,
                    reachable=True,
                    health="up",
                    page_count=pages,
                    supplies=supplies,
                    fingerprint="bench",
                )
            )
        latest.append(
            MonitoredDevice(
                pk=device_id,
                supplies=supplies,
                page_count=pages,
                lowest_supply_percent=supplies[0]["percent"],
            )
        )
        if len(rows) >= BATCH * 10:
            PollOutcome.objects.bulk_create(rows, batch_size=BATCH)
            stored += len(rows)
            rows = []
    PollOutcome.objects.bulk_create(rows, batch_size=BATCH)
    stored += len(rows)
    MonitoredDevice.objects.bulk_update(
        latest, ["supplies", "page_count", "lowest_supply_percent"], batch_size=BATCH
    )
    return stored


def page_measure(client, *, url: str, repeat: int, connection) -> tuple[float, int, list[float]]:
    """Return the median time, the query count and every time of GET ``url``."""
    from django.test.utils import CaptureQueriesContext

    times, counts = [], set()
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        times.append(time.perf_counter() - started)
        counts.add(len(captured))
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    return statistics.median(times), max(counts), times


def user_create():
    from django.contrib.auth.models import Group, User

    user, _created = User.objects.get_or_create(username="bench-logistics")
    user.groups.add(Group.objects.get(name="logistics_officer"))
    return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offices", type=int, default=5_000)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--keepdb", action="store_true", help="Keep the database for another run (and reuse it)."
    )
    args = parser.parse_args()

    _configure_environment()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    _database_settings()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        from monitoring import services
        from monitoring.models import PollOutcome, ReadinessPeriod

        user = user_create()
        built = ReadinessPeriod.objects.exists()
        refresh_s = forecasts_refresh_s = per_device_ms = None
        if not built:
            rng = random.Random(args.seed)
            started = time.perf_counter()
            office_ids = reference_create(offices=args.offices)
            assets_create(office_ids=office_ids, count=args.assets, rng=rng)
            readings = readings_create(count=args.readings, rng=rng)
            print(
                f"{connection.vendor}: {args.offices:,} offices, {args.assets:,} assets, "
                f"{readings:,} poll readings built in {time.perf_counter() - started:.1f} s"
            )
            gc.collect()
            started = time.perf_counter()
            summary = services.readiness_refresh()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # as autovacuum soon would after a bulk load
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            services.readiness_refresh()
            refresh_s = time.perf_counter() - started
            print(
                f"readiness refresh: first {first_s:.2f} s ({summary.opened:,} periods opened), "
                f"again (nothing changed) {refresh_s:.2f} s"
            )
            started = time.perf_counter()
            forecasts = services.supply_forecasts_refresh()
            forecasts_refresh_s = time.perf_counter() - started
            printers = PollOutcome.objects.values("device_id").distinct().count()
            per_device_ms = 1000 * forecasts_refresh_s / max(printers, 1)
            print(
                f"forecasts refresh: {forecasts:,} forecasts of {printers:,} printers from "
                f"{readings:,} readings in {forecasts_refresh_s:.1f} s "
                f"({per_device_ms:.1f} ms per printer)"
            )
        else:
            print("reused database: only measuring the pages")
        gc.collect()
        client = Client()
        client.force_login(user)
        results = {}
        for key, name in (("overview", "readiness_overview"), ("forecast", "consumables_report")):
            url = reverse(name)
            client.get(url)  # warm: templates compiled, translations loaded
            median, queries, times = page_measure(
                client, url=url, repeat=args.repeat, connection=connection
            )
            results[key] = median
            print(
                f"GET {url}: median {median:.3f} s "
                f"(runs: {', '.join(f'{t:.3f}' for t in times)}), {queries} queries"
            )
        met = all(value < TARGET_S for value in results.values())
        print(f"Target (each under {TARGET_S:.0f} s): {'met' if met else 'NOT met'}")
        extra = ""
        if refresh_s is not None:
            extra = (
                f" refresh_s={refresh_s:.2f} forecasts_refresh_s={forecasts_refresh_s:.1f}"
                f" per_device_ms={per_device_ms:.1f}"
            )
        overview, forecast = results["overview"], results["forecast"]
        print(f"RESULT overview_s={overview:.3f} forecast_s={forecast:.3f}{extra}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keepdb)
        teardown_test_environment()


if __name__ == "__main__":
    main()
