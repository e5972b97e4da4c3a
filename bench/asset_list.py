"""Benchmark the asset list and the dashboard with 1,000 and then 100,000 assets.

Run from the project root:

    .venv/bin/python bench/asset_list.py [--assets 100000] [--repeat 20] [--profile list]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cr_bench .venv/bin/python bench/asset_list.py

The script sets Django up itself (``config.settings``, DEBUG off, a default SECRET_KEY,
STATIC_MANIFEST=false) and works on a throwaway database of its own, never the development
one:

- SQLite (DATABASE_URL unset or sqlite): ``bench/asset_list.sqlite3`` (gitignored), deleted at
  the end; WAL mode as in settings. No ``ANALYZE`` is run, as nothing runs it in production.
- PostgreSQL: the server named by DATABASE_URL, database ``cr_bench`` (or the URL's database
  name when it contains "bench"), dropped and created at the start and dropped at the end.
  ``VACUUM ANALYZE`` runs after each bulk load, as autovacuum would shortly after.

It migrates that database, creates reference rows (5 regions, 73 offices with a district each,
6 categories, 15 models, 2 handover sets with declared lines) and then assets with
``bulk_create``, not through ``inventory.services``: this benchmarks reads, so the assets have no
history rows and no CR-service links. It measures with 1,000 assets, grows the register to
``--assets`` (100,000 by default) and measures again.

Each page is requested in-process with ``django.test.Client`` as a logged-in logistics officer:
the asset list's first page, a filtered page (office and status), a page sorted by serial, a
search on part of a serial within a category, and the dashboard. A page is requested twice to
warm up (the first time with its queries captured), then ``--repeat`` times, timed. The table
shows the median, fastest and slowest time (the machine may be busy: compare pages measured in
one run), the time spent in the driver's ``execute`` (on SQLite, rows fetched after it are not
counted), the query count and the HTML size. ``--sql`` lists each query with its time and
``--profile PAGE`` prints a cProfile of that page at the largest size.
The last line is one ``RESULT`` line with the figures at the largest size (ms, one decimal).

Target: a median under 150 ms per page at 100,000 assets on a 2-core machine, and the same
query count at 1,000 and at 100,000 assets.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import statistics
import string
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SQLITE_PATH = BENCH_DIR / "asset_list.sqlite3"
PG_DEFAULT_NAME = "cr_bench"
SMALL_SIZE = 1_000
TARGET_MS = 150.0
BATCH_SIZE = 2_000
PAGES = ("list", "filtered", "sorted", "search", "dashboard")


def _configure_environment() -> None:
    """Set the environment config.settings reads, before Django is imported."""
    # Python puts bench/ first on the path; a sibling script such as bench/import_export.py
    # must not shadow the package of that name.
    sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != BENCH_DIR]
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "bench-insecure-key")
    os.environ["DEBUG"] = "0"  # DEBUG would keep every query in memory and slow pages down
    os.environ["STATIC_MANIFEST"] = "false"  # no collectstatic needed
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the host django.test.Client sends
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def _database_settings() -> None:
    """Point the default database's TEST settings at this benchmark's own database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(SQLITE_PATH)
    else:
        name = database["NAME"] if "bench" in (database["NAME"] or "") else PG_DEFAULT_NAME
        database["TEST"]["NAME"] = name


# --- reference data ------------------------------------------------------------------------

REGIONS = [
    # code, English, Russian, offices
    ("DU", "Dushanbe", "Душанбе", 5),
    ("SU", "Sughd", "Согдийская область", 20),
    ("KH", "Khatlon", "Хатлонская область", 26),
    ("GB", "GBAO", "ГБАО", 8),
    ("RR", "Districts of Republican Subordination", "Районы республиканского подчинения", 13),
]
CATEGORIES = [
    # code, tag prefix, English, Russian, monitored
    ("laptop", "LT", "Laptop", "Ноутбук", False),
    ("printer", "PR", "Printer", "Принтер", True),
    ("scanner", "SC", "Scanner", "Сканер", False),
    ("router", "RT", "Router", "Маршрутизатор", True),
    ("ups", "UP", "UPS", "ИБП", False),
    ("server", "SV", "Server", "Сервер", True),
]
MODELS = [
    # manufacturer, model, category, serial prefix, weight
    ("Lenovo", "ThinkPad E14 Gen 5", "laptop", "PF", 14),
    ("HP", "ProBook 450 G10", "laptop", "5CD", 14),
    ("Dell", "Latitude 3540", "laptop", "DL", 8),
    ("HP", "LaserJet Pro M404dn", "printer", "PHB", 12),
    ("Canon", "i-SENSYS MF445dw", "printer", "XQD", 8),
    ("Kyocera", "ECOSYS M2540dn", "printer", "VCF", 5),
    ("Epson", "WorkForce DS-530 II", "scanner", "X5Z", 6),
    ("Fujitsu", "fi-8170", "scanner", "A9L", 4),
    ("Plustek", "OpticBook A300 Plus", "scanner", "PL", 2),
    ("MikroTik", "hAP ac3", "router", "HE0", 6),
    ("TP-Link", "ER605", "router", "TP", 3),
    ("APC", "Back-UPS Pro 1500", "ups", "4B2", 10),
    ("Eaton", "5E 1500i", "ups", "G31", 4),
    ("Dell", "PowerEdge T150", "server", "SV", 2),
    ("HPE", "ProLiant ML30 Gen11", "server", "CZ", 2),
]
STATUS_WEIGHTS = [
    ("deployed", 70),
    ("in_stock", 14),
    ("in_repair", 5),
    ("in_transit", 4),
    ("retired", 5),
    ("lost", 2),
]
ZONES = ["front_office", "back_office", "archive_room", "storage", ""]
SERIAL_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class Reference:
    """Ids of the reference rows the assets point to."""

    office_ids: list[int]
    warehouse_id: int
    category_ids: dict[str, int]
    models: list[tuple[int, str, str, int]]  # (id, category code, serial prefix, weight)
    handover_set_ids: list[int]


def reference_create() -> Reference:
    """Create regions, districts, offices, categories, models and handover sets."""
    from inventory.models import (
        AssetModel,
        Category,
        District,
        FundingSource,
        HandoverSet,
        HandoverSetLine,
        Manufacturer,
        Office,
        Region,
    )

    offices: list[Office] = []
    for order, (code, name_en, name_ru, count) in enumerate(REGIONS):
        region = Region.objects.create(
            code=code, name_en=name_en, name_ru=name_ru, name_tg=name_ru, sort_order=order
        )
        districts = District.objects.bulk_create(
            District(
                code=f"{code}-{n:02d}",
                region=region,
                kind="district",
                name_en=f"{name_en} district {n}",
                name_ru=f"{name_ru}, район {n}",
            )
            for n in range(1, count + 1)
        )
        offices += [
            Office(
                code=f"CR-{district.code}",
                kind="district_office",
                region=region,
                district=district,
                name_en=f"{district.name_en} CR office",
                name_ru=f"Отдел ЗАГС — {district.name_ru}",
                address=name_en,
            )
            for district in districts
        ]
    office_ids = [office.pk for office in Office.objects.bulk_create(offices)]
    first_district = District.objects.order_by("pk").first()
    warehouse = Office.objects.create(
        code="CR-WH",
        kind="warehouse",
        region=first_district.region,
        district=first_district,
        name_en="Central warehouse",
        name_ru="Центральный склад",
    )

    categories = {
        code: Category.objects.create(
            code=code,
            tag_prefix=prefix,
            name_en=name_en,
            name_ru=name_ru,
            name_tg=name_ru,
            is_monitored=monitored,
            sort_order=order,
        )
        for order, (code, prefix, name_en, name_ru, monitored) in enumerate(CATEGORIES)
    }
    manufacturers = {
        name: Manufacturer.objects.create(name=name) for name in sorted({m[0] for m in MODELS})
    }
    models = []
    for manufacturer, name, category, serial_prefix, weight in MODELS:
        asset_model = AssetModel.objects.create(
            manufacturer=manufacturers[manufacturer], name=name, category=categories[category]
        )
        models.append((asset_model.pk, category, serial_prefix, weight))

    funding = [
        FundingSource.objects.create(code="SDC", name_en="Swiss Cooperation"),
        FundingSource.objects.create(code="EU", name_en="EU Delegation"),
    ]
    handover_sets = []
    for number, (date, source) in enumerate(
        [(dt.date(2024, 6, 14), funding[0]), (dt.date(2025, 9, 30), funding[1])], start=1
    ):
        handover_set = HandoverSet.objects.create(
            code=f"HS-{date.year}-{number:02d}",
            name_en=f"Equipment set {number}",
            handover_date=date,
            implementer="UNDP",
            declared_value=Decimal("250000.00"),
        )
        handover_set.funding_sources.add(source)
        HandoverSetLine.objects.bulk_create(
            HandoverSetLine(
                handover_set=handover_set,
                category=category,
                declared_quantity=400 * (6 - order),
                declared_value=Decimal(40000 - 5000 * order),
            )
            for order, category in enumerate(categories.values())
        )
        handover_sets.append(handover_set.pk)
    return Reference(
        office_ids=office_ids,
        warehouse_id=warehouse.pk,
        category_ids={code: c.pk for code, c in categories.items()},
        models=models,
        handover_set_ids=handover_sets,
    )


@dataclass
class AssetMaker:
    """Make assets fast and reproducibly: one seeded random source, unique serials and tags."""

    reference: Reference
    rng: random.Random = field(default_factory=lambda: random.Random(20261127))
    serials: set[str] = field(default_factory=set)
    tag_numbers: dict[str, int] = field(default_factory=dict)

    def _serial(self, prefix: str) -> str:
        while True:
            serial = prefix + "".join(self.rng.choices(SERIAL_ALPHABET, k=10 - len(prefix)))
            if serial not in self.serials:
                self.serials.add(serial)
                return serial

    def assets(self, count: int) -> Iterator:
        from inventory.models import Asset

        prefixes = {code: prefix for code, prefix, *_ in CATEGORIES}
        model_weights = [m[3] for m in self.reference.models]
        statuses = [s for s, _ in STATUS_WEIGHTS]
        status_weights = [w for _, w in STATUS_WEIGHTS]
        today = dt.date(2026, 11, 27)
        for _ in range(count):
            model_id, category, serial_prefix, _weight = self.rng.choices(
                self.reference.models, model_weights
            )[0]
            number = self.tag_numbers.get(category, 0) + 1
            self.tag_numbers[category] = number
            status = self.rng.choices(statuses, status_weights)[0]
            if status in ("deployed", "in_repair", "retired", "lost"):
                office_id = self.rng.choice(self.reference.office_ids)
                zone = self.rng.choice(ZONES)
            elif status == "in_stock":
                office_id, zone = self.reference.warehouse_id, "storage"
            else:
                office_id, zone = None, ""
            in_set = self.rng.random() < 0.9
            yield Asset(
                tag=f"CR-{prefixes[category]}-{number:06d}",
                serial=self._serial(serial_prefix),
                asset_model_id=model_id,
                handover_set_id=self.rng.choice(self.reference.handover_set_ids)
                if in_set
                else None,
                value=Decimal(self.rng.randrange(8_000, 250_000)) / 100,
                warranty_end=today + dt.timedelta(days=self.rng.randrange(-900, 1100))
                if self.rng.random() < 0.8
                else None,
                status=status,
                office_id=office_id,
                zone=zone if office_id else "",
                custodian=f"Custodian {self.rng.randrange(1, 500)}" if office_id else "",
            )


def assets_grow(maker: AssetMaker, *, to: int) -> float:
    """Bulk-create assets until the register holds ``to``; return the seconds it took."""
    from django.db import connection, transaction

    from inventory.models import Asset, Category

    started = time.perf_counter()
    missing = to - Asset.objects.count()
    with transaction.atomic():
        batch = []
        for asset in maker.assets(missing):
            batch.append(asset)
            if len(batch) == BATCH_SIZE:
                Asset.objects.bulk_create(batch)
                batch = []
        if batch:
            Asset.objects.bulk_create(batch)
        for code, number in maker.tag_numbers.items():
            Category.objects.filter(code=code).update(last_tag_number=number)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk insert: statistics, and the visibility map
        # that lets COUNT(*) and aggregates use index-only scans.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Measurement:
    page: str
    url: str
    size: int
    times_ms: list[float]
    sql_ms: list[float]
    queries: int
    html_bytes: int
    sql: list[str]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def min_ms(self) -> float:
        return min(self.times_ms)

    @property
    def max_ms(self) -> float:
        return max(self.times_ms)

    @property
    def median_sql_ms(self) -> float:
        return statistics.median(self.sql_ms)


class SqlTimer:
    """Sum the time spent in the database driver during a request."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def page_urls() -> dict[str, str]:
    """Return the URL of each measured page, chosen from the first assets registered."""
    from django.db.models import Count

    from inventory.models import Asset

    office_id = (
        Asset.objects.filter(status="deployed", office__isnull=False)
        .values("office")
        .annotate(n=Count("id"))
        .order_by("-n", "office")
        .values_list("office", flat=True)
        .first()
    )
    registered = Asset.objects.count()
    sample = Asset.objects.select_related("asset_model").order_by("pk")[
        min(SMALL_SIZE, registered) // 2
    ]
    part = sample.serial[3:8]
    return {
        "list": "/assets/",
        "filtered": f"/assets/?office={office_id}&status=deployed",
        "sorted": "/assets/?sort=serial",
        "search": f"/assets/?q={part}&category={sample.asset_model.category_id}",
        "dashboard": "/",
    }


def page_measure(client, *, page: str, url: str, size: int, repeat: int) -> Measurement:
    """Request ``url`` twice to warm up, then ``repeat`` times; return the timings."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # Read the captured queries now: the next request empties the connection's log.
    sql = [
        f"{float(query['time']) * 1000:6.1f} ms  {query['sql']}"
        for query in captured.captured_queries
    ]
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}, not 200; stopping.")
    html_bytes = len(response.content)
    client.get(url)
    times, sql_times = [], []
    for _ in range(repeat):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            client.get(url)
            elapsed = time.perf_counter() - started
        times.append(elapsed * 1000)
        sql_times.append(timer.seconds * 1000)
    return Measurement(
        page=page,
        url=url,
        size=size,
        times_ms=times,
        sql_ms=sql_times,
        queries=len(sql),
        html_bytes=html_bytes,
        sql=sql,
    )


def page_profile(client, *, url: str, repeat: int, limit: int = 35) -> str:
    """Return cProfile statistics of ``repeat`` requests of ``url``, by own and total time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"--- cProfile of {repeat} × {url}, sorted by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(limit)
    out.write("--- the same, sorted by own time ---\n")
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def table_print(measurements: list[Measurement], *, print_sql: bool) -> None:
    """Print one row per page and size, flagging the pages over target at the largest size."""
    largest = max(m.size for m in measurements)
    header = (
        f"{'assets':>8}  {'page':<10} {'median ms':>9} {'min ms':>7} {'max ms':>7} {'SQL ms':>7} "
        f"{'queries':>7} {'HTML KB':>7}  url"
    )
    print(header)
    print("-" * len(header))
    for m in measurements:
        flag = "  over target" if m.size == largest and m.median_ms > TARGET_MS else ""
        print(
            f"{m.size:>8,}  {m.page:<10} {m.median_ms:>9.1f} {m.min_ms:>7.1f} {m.max_ms:>7.1f} "
            f"{m.median_sql_ms:>7.1f} {m.queries:>7} {m.html_bytes / 1024:>7.1f}  {m.url}{flag}"
        )
        if print_sql:
            for sql in m.sql:
                print(f"{'':>10}{sql[:400]}")
    print()


@contextmanager
def bench_database(*, keep: bool) -> Iterator[str]:
    """Create, migrate and finally drop the benchmark's own database; yield its description."""
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield f"{connection.vendor} {connection.settings_dict['NAME']}"
    finally:
        if keep:
            print(f"Kept the benchmark database {name}.", file=sys.stderr)
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


def user_create():
    """Return a logistics officer (no password: the client logs in with force_login)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username="bench-logistics", first_name="Bench")
    user.groups.add(Group.objects.get(name="logistics_officer"))
    return user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000, help="final number of assets")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--profile",
        choices=PAGES,
        action="append",
        default=[],
        help="print a cProfile of this page at the final size (may be repeated)",
    )
    parser.add_argument(
        "--sql", action="store_true", help="print each page's SQL with its time (first request)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)

    _configure_environment()
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic
    import django

    django.setup()
    _database_settings()
    from django.test import Client

    sizes = [n for n in (SMALL_SIZE, args.assets) if n <= args.assets]
    sizes = sorted(set(sizes))
    measurements: list[Measurement] = []
    profiles: list[str] = []
    with bench_database(keep=args.keep) as described:
        print(f"Database: {described}; {os.cpu_count()} CPUs; repeat {args.repeat}")
        started = time.perf_counter()
        reference = reference_create()
        user = user_create()
        print(f"Reference rows created in {time.perf_counter() - started:.1f} s")
        maker = AssetMaker(reference)
        client = Client()
        client.force_login(user)
        urls: dict[str, str] = {}
        for size in sizes:
            seconds = assets_grow(maker, to=size)
            print(f"{size:,} assets in the register ({seconds:.1f} s to bulk-create)")
            urls = urls or page_urls()
            for page in PAGES:
                measurements.append(
                    page_measure(client, page=page, url=urls[page], size=size, repeat=args.repeat)
                )
        for page in args.profile:
            profiles.append(page_profile(client, url=urls[page], repeat=args.repeat))
        print()
        table_print(measurements, print_sql=args.sql)
        for text in profiles:
            print(text)

    final = {m.page: m for m in measurements if m.size == sizes[-1]}
    first = {m.page: m for m in measurements if m.size == sizes[0]}
    over = [page for page, m in final.items() if m.median_ms > TARGET_MS]
    changed = [page for page in PAGES if final[page].queries != first[page].queries]
    print(
        f"Target: median under {TARGET_MS:.0f} ms at {sizes[-1]:,} assets — "
        + (f"over for {', '.join(over)}" if over else "met")
        + "; query counts "
        + (f"differ for {', '.join(changed)}" if changed else "equal at every size")
        + "."
    )
    print(
        "RESULT "
        + " ".join(f"{page}_ms={final[page].median_ms:.1f}" for page in PAGES)
        + f" list_queries={final['list'].queries}"
        + f" list_queries_1k={first['list'].queries}"
        + f" dashboard_queries={final['dashboard'].queries}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
