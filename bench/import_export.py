"""Benchmark spreadsheet import and export of the asset register at 100,000 assets.

Run from the project root:

    .venv/bin/python bench/import_export.py [--assets 100000] [--no-tracemalloc] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cr_bench_export \\
        .venv/bin/python bench/import_export.py

The script sets Django up itself (``config.settings``, DEBUG off, a default SECRET_KEY,
STATIC_MANIFEST=false) and works on a throwaway database of its own, never the development one,
as ``bench/asset_list.py`` does (its setup is copied here, kept minimal, so that file can
change freely):

- SQLite (DATABASE_URL unset or sqlite): ``bench/import_export.sqlite3``, deleted at the end.
- PostgreSQL: the server named by DATABASE_URL, database ``cr_bench_export`` (or the URL's
  database name when it contains "bench"), dropped and created at the start, dropped at the end.
  ``ANALYZE`` runs after the bulk load, as autovacuum would shortly after.

It migrates that database, creates reference rows (5 regions, 72 offices and a warehouse,
6 categories, 15 models, 2 handover sets) and ``--assets`` assets with ``bulk_create``.

Measurements, one function each; ``main`` runs them and prints one final ``RESULT`` line:

- import: a 10,000-row supplier packing list (.xlsx: title row, Russian headers, decimal commas,
  dates as text), previewed and then imported through ``inventory.importing.import_run``, the
  engine behind the import page and ``manage.py import_assets``; time, queries and RSS peak.
- export: the asset list exported to .xlsx and to .csv through the real view
  (``/assets/?_export=…``, ``django.test.Client`` as a logged-in logistics officer), the
  streamed response consumed chunk by chunk and counted, not kept.

  Each export runs twice. The timed run reports wall time, the queries it ran, and the
  process's resident-memory high-water mark (``VmHWM`` from ``/proc/self/status``, reset to the
  current size just before through ``/proc/self/clear_refs``; the figure includes Django and
  the data already loaded, so it is the whole process's peak). A second run under
  ``tracemalloc`` reports the peak of Python allocations during the export alone (slower, so
  not timed; ``--no-tracemalloc`` skips it).

Targets: the 10,000-row import (preview + commit) under 20 s; the 100,000-row .xlsx export in
under 30 s with a peak under 300 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import string
import sys
import time
import tracemalloc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SQLITE_PATH = BENCH_DIR / "import_export.sqlite3"
PG_DEFAULT_NAME = "cr_bench_export"
BATCH_SIZE = 2_000
EXPORT_TARGET_S = 30.0
EXPORT_TARGET_MB = 300.0
MB = 1024 * 1024


def _configure_environment() -> None:
    """Set the environment config.settings reads, before Django is imported."""
    # Python puts this script's folder first on the path, where this file would stand in for
    # the django-import-export package (also named ``import_export``): take the folder out.
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "bench-insecure-key")
    os.environ["DEBUG"] = "0"  # DEBUG would keep every query in memory
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


# --- data ------------------------------------------------------------------------------------

REGIONS = [
    # code, English, Russian, offices
    ("DU", "Dushanbe", "Душанбе", 5),
    ("SU", "Sughd Region", "Согдийская область", 20),
    ("KH", "Khatlon Region", "Хатлонская область", 26),
    ("GB", "GBAO", "ГБАО", 8),
    ("RR", "Districts of Republican Subordination", "Районы республиканского подчинения", 13),
]
CATEGORIES = [
    # code, tag prefix, English, Russian
    ("laptop", "LT", "Laptop", "Ноутбук"),
    ("printer", "PR", "Printer", "Принтер"),
    ("scanner", "SC", "Scanner", "Сканер"),
    ("router", "RT", "Router", "Маршрутизатор"),
    ("ups", "UP", "UPS", "ИБП"),
    ("server", "SV", "Server", "Сервер"),
]
MODELS = [
    # manufacturer, model, category
    ("Lenovo", "ThinkPad E14 Gen 5", "laptop"),
    ("HP", "ProBook 450 G10", "laptop"),
    ("Dell", "Latitude 3540", "laptop"),
    ("HP", "LaserJet Pro M404dn", "printer"),
    ("Canon", "i-SENSYS MF445dw", "printer"),
    ("Kyocera", "ECOSYS M2540dn", "printer"),
    ("Epson", "WorkForce DS-530 II", "scanner"),
    ("Fujitsu", "fi-8170", "scanner"),
    ("Plustek", "OpticBook A300 Plus", "scanner"),
    ("MikroTik", "hAP ac3", "router"),
    ("TP-Link", "ER605", "router"),
    ("APC", "Back-UPS Pro 1500", "ups"),
    ("Eaton", "5E 1500i", "ups"),
    ("Dell", "PowerEdge T150", "server"),
    ("HPE", "ProLiant ML30 Gen11", "server"),
]
STATUSES = ["deployed"] * 14 + ["in_stock"] * 3 + ["in_repair", "retired", "lost", "in_transit"]
ZONES = ["front_office", "back_office", "archive_room", "storage", ""]
SERIAL_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class Reference:
    """Ids of the reference rows the assets point to."""

    office_ids: list[int]
    warehouse_id: int
    models: list[tuple[int, str, str]]  # (id, category code, tag prefix)
    handover_set_ids: list[int]


def reference_create() -> Reference:
    """Create regions, districts, offices, categories, models and handover sets."""
    from inventory.models import (
        AssetModel,
        Category,
        District,
        HandoverSet,
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
                code=f"CR-{d.code}",
                kind="district_office",
                region=region,
                district=d,
                name_en=f"{d.name_en} CR office",
                name_ru=f"Отдел ЗАГС — {d.name_ru}",
            )
            for d in districts
        ]
    office_ids = [office.pk for office in Office.objects.bulk_create(offices)]
    first = District.objects.order_by("pk").first()
    warehouse = Office.objects.create(
        code="CR-WH",
        kind="warehouse",
        region=first.region,
        district=first,
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
            sort_order=order,
        )
        for order, (code, prefix, name_en, name_ru) in enumerate(CATEGORIES)
    }
    prefixes = {code: prefix for code, prefix, *_ in CATEGORIES}
    manufacturers = {
        name: Manufacturer.objects.create(name=name) for name in sorted({m[0] for m in MODELS})
    }
    models = []
    for manufacturer, name, category in MODELS:
        asset_model = AssetModel.objects.create(
            manufacturer=manufacturers[manufacturer], name=name, category=categories[category]
        )
        models.append((asset_model.pk, category, prefixes[category]))
    handover_sets = [
        HandoverSet.objects.create(
            code=f"HS-{date.year}-{number:02d}",
            name_en=f"Equipment set {number}",
            handover_date=date,
            declared_value=Decimal("250000.00"),
        ).pk
        for number, date in enumerate([dt.date(2024, 3, 14), dt.date(2025, 9, 30)], start=1)
    ]
    return Reference(office_ids, warehouse.pk, models, handover_sets)


def assets_create(reference: Reference, *, count: int, seed: int = 20261127) -> float:
    """Bulk-create ``count`` assets (no history, no service links); return the seconds taken."""
    from django.db import connection, transaction

    from inventory.models import Asset, Category

    rng = random.Random(seed)
    numbers: dict[str, int] = {}
    today = dt.date(2026, 11, 27)

    def make(index: int) -> Asset:
        model_id, category, prefix = rng.choice(reference.models)
        numbers[category] = numbers.get(category, 0) + 1
        status = rng.choice(STATUSES)
        if status == "in_stock":
            office_id, zone = reference.warehouse_id, "storage"
        elif status == "in_transit":
            office_id, zone = None, ""
        else:
            office_id, zone = rng.choice(reference.office_ids), rng.choice(ZONES)
        return Asset(
            tag=f"CR-{prefix}-{numbers[category]:06d}",
            serial=f"{prefix}{index:08d}" + "".join(rng.choices(SERIAL_ALPHABET, k=2)),
            asset_model_id=model_id,
            handover_set_id=rng.choice(reference.handover_set_ids) if rng.random() < 0.9 else None,
            value=Decimal(rng.randrange(8_000, 250_000)) / 100,
            warranty_end=today + dt.timedelta(days=rng.randrange(-900, 1100)),
            status=status,
            office_id=office_id,
            zone=zone,
            custodian=f"Custodian {rng.randrange(1, 500)}" if office_id else "",
        )

    started = time.perf_counter()
    with transaction.atomic():
        batch = []
        for index in range(count):
            batch.append(make(index))
            if len(batch) == BATCH_SIZE:
                Asset.objects.bulk_create(batch)
                batch = []
        if batch:
            Asset.objects.bulk_create(batch)
        for code, number in numbers.items():
            Category.objects.filter(code=code).update(last_tag_number=number)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def user_create():
    """Return a logistics officer (no password: the client logs in with force_login)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username="bench-logistics", first_name="Bench", last_name="Officer"
    )
    user.groups.add(Group.objects.get(name="logistics_officer"))
    return user


# --- memory ----------------------------------------------------------------------------------


def _status_mb(field: str) -> float | None:
    """Return a VmXXX line of /proc/self/status in MB, or None where there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        return None
    return None


def rss_peak_reset() -> bool:
    """Reset the process's RSS high-water mark (VmHWM) to its current size; return success."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


# --- measurements ----------------------------------------------------------------------------


@dataclass
class ExportMeasurement:
    export_format: str
    rows: int
    seconds: float
    cpu_seconds: float
    body_bytes: int
    queries: int
    rss_before_mb: float | None
    rss_peak_mb: float | None
    rss_peak_was_reset: bool
    python_peak_mb: float | None = None

    @property
    def peak_mb(self) -> float | None:
        """The figure compared with the target: the process's RSS peak during the export."""
        return self.rss_peak_mb


def _export_once(client, url: str) -> tuple[int, int]:
    """Request ``url`` and consume the streamed body; return (status, bytes received)."""
    response = client.get(url)
    size = 0
    if response.streaming:
        for chunk in response.streaming_content:
            size += len(chunk)
    else:
        size = len(response.content)
    response.close()
    return response.status_code, size


def export_measure(client, *, export_format: str, rows: int, python_memory: bool):
    """Export the whole asset list in ``export_format`` through the view; time and memory."""
    import gc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/assets/?_export={export_format}"
    gc.collect()
    rss_before = _status_mb("VmRSS")
    was_reset = rss_peak_reset()
    with CaptureQueriesContext(connection) as captured:
        started, cpu_started = time.perf_counter(), time.process_time()
        status, size = _export_once(client, url)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200; stopping.")
    measurement = ExportMeasurement(
        export_format=export_format,
        rows=rows,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        body_bytes=size,
        queries=len(captured.captured_queries),
        rss_before_mb=rss_before,
        rss_peak_mb=_status_mb("VmHWM"),
        rss_peak_was_reset=was_reset,
    )
    if python_memory:
        gc.collect()
        tracemalloc.start()
        try:
            _export_once(client, url)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        measurement.python_peak_mb = peak / MB
    return measurement


IMPORT_ROWS = 10_000
IMPORT_TARGET_S = 20.0


@dataclass
class ImportMeasurement:
    rows: int
    file_mb: float
    preview_s: float
    commit_s: float
    preview_queries: int
    commit_queries: int
    rss_peak_mb: float | None

    @property
    def seconds(self) -> float:
        return self.preview_s + self.commit_s


def packing_list_xlsx(*, rows: int) -> bytes:
    """Return a supplier packing list as people send them: a title row, Russian headers,
    decimal commas and dates as text, models and offices by name or code."""
    import io

    from openpyxl import Workbook

    from inventory.models import AssetModel, HandoverSet, Office

    models = [str(m) for m in AssetModel.objects.select_related("manufacturer")]
    offices = list(Office.objects.values_list("code", "name_en"))
    handover_set = HandoverSet.objects.order_by("pk").first().code
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Упаковочный лист")
    sheet.append(["Упаковочный лист № 42 — поставка UNDP, март 2024"])
    sheet.append([])
    sheet.append(["№", "Серийный номер", "Модель", "Отдел", "Комплект", "Стоимость", "Гарантия до"])
    for i in range(rows):
        code, name = offices[i % len(offices)]
        sheet.append(
            [
                i + 1,
                f"pk{i:07d}x ",
                models[i % len(models)],
                code if i % 2 else name,
                handover_set,
                "1 234,50" if i % 3 else 420,
                "15.03.2027",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_measure(user) -> ImportMeasurement:
    """Preview, then import, a 10,000-row packing list as the web page does."""
    import io

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.importing import IMPORT_KINDS, import_run

    data = packing_list_xlsx(rows=IMPORT_ROWS)
    kind = IMPORT_KINDS["assets"]
    reset = rss_peak_reset()
    timings, queries = [], []
    for dry_run in (True, False):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            report = import_run(
                kind=kind,
                file=io.BytesIO(data),
                filename="packing.xlsx",
                user=user,
                dry_run=dry_run,
            )
            timings.append(time.perf_counter() - started)
        queries.append(len(ctx.captured_queries))
        if not report.ok or report.totals["new"] != IMPORT_ROWS:
            raise SystemExit(f"import failed: {report.file_error or report.error_rows[:3]}")
    return ImportMeasurement(
        rows=IMPORT_ROWS,
        file_mb=len(data) / MB,
        preview_s=timings[0],
        commit_s=timings[1],
        preview_queries=queries[0],
        commit_queries=queries[1],
        rss_peak_mb=_status_mb("VmHWM") if reset else None,
    )


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def export_print(m: ExportMeasurement) -> None:
    rate = m.rows / m.seconds if m.seconds else 0
    print(
        f"export {m.export_format:<4} {m.rows:>8,} rows  {m.seconds:6.1f} s wall "
        f"({rate:,.0f} rows/s), {m.cpu_seconds:6.1f} s CPU  {m.body_bytes / MB:6.1f} MB body  "
        f"{m.queries} queries"
    )
    hwm = "VmHWM, reset before" if m.rss_peak_was_reset else "VmHWM, process lifetime"
    print(
        f"{'':>10}memory: process RSS peak {_mb(m.rss_peak_mb)} MB ({hwm}; "
        f"RSS before {_mb(m.rss_before_mb)} MB, "
        f"+{_mb((m.rss_peak_mb or 0) - (m.rss_before_mb or 0))} MB); "
        f"Python allocations peak {_mb(m.python_peak_mb)} MB (tracemalloc, separate run)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000, help="assets to export")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the tracemalloc run of each export"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)

    _configure_environment()
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic
    import django

    django.setup()
    _database_settings()
    from django.test import Client

    with bench_database(keep=args.keep) as described:
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(f"Database: {described}; {os.cpu_count()} CPUs; load average {load}")
        reference = reference_create()
        user = user_create()
        seconds = assets_create(reference, count=args.assets)
        print(f"{args.assets:,} assets bulk-created in {seconds:.1f} s")

        imported = import_measure(user)
        print(
            f"import {imported.rows:,} rows ({imported.file_mb:.1f} MB xlsx): preview "
            f"{imported.preview_s:.1f} s ({imported.preview_queries} queries) + commit "
            f"{imported.commit_s:.1f} s ({imported.commit_queries} queries) = "
            f"{imported.seconds:.1f} s; process RSS peak {_mb(imported.rss_peak_mb)} MB "
            f"(target under {IMPORT_TARGET_S:.0f} s)"
        )

        client = Client()
        client.force_login(user)
        exports = {}
        for export_format in ("xlsx", "csv"):
            exports[export_format] = export_measure(
                client,
                export_format=export_format,
                rows=args.assets,
                python_memory=not args.no_tracemalloc,
            )
            export_print(exports[export_format])

    xlsx, csv = exports["xlsx"], exports["csv"]
    met = xlsx.seconds < EXPORT_TARGET_S and (xlsx.peak_mb or 0) < EXPORT_TARGET_MB
    print(
        f"Target: .xlsx of {args.assets:,} rows under {EXPORT_TARGET_S:.0f} s with a process "
        f"RSS peak under {EXPORT_TARGET_MB:.0f} MB — {'met' if met else 'NOT met'}."
    )
    size = f"{args.assets // 1000}k"
    print(
        "RESULT "
        + f"import_10k_s={imported.seconds:.1f}"
        + f" export_xlsx_{size}_s={xlsx.seconds:.1f}"
        + f" export_xlsx_peak_mb={_mb(xlsx.peak_mb)}"
        + f" export_csv_{size}_s={csv.seconds:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
