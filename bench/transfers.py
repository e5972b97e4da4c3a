"""Benchmark a transfer's dispatch and receipt with 50 and with 500 assets.

Run from the project root:

    .venv/bin/python bench/transfers.py [--repeat 5] [--register 20000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cr_bench .venv/bin/python bench/transfers.py

The script sets Django up itself (DEBUG off, a default SECRET_KEY) and works on a throwaway
database of its own, never the development one: SQLite ``bench/transfers.sqlite3``
(gitignored, deleted at the end), or on PostgreSQL the database ``cr_bench`` (or the URL's
database name when it contains "bench"), created and dropped.

It registers ``--register`` assets in the warehouse through ``inventory.services``
(``assets_create_bulk``: one history entry each, as an import makes them), each linked to two
CR services so the history copies links too. Then, for 50 and for 500 assets and ``--repeat``
times each, it opens a transfer, adds the assets by tag as a scanner would
(``transfer_add_assets``), dispatches it (``transfer_dispatch``) and receives it with one asset
missing and one damaged (``transfer_receive``), all through the services with a logistics
officer and an office head. It prints the median time and the query count of each step.

Target: dispatch and receipt of 500 assets each under 2 s, and the same query count for 50
and for 500 assets. The last line is ``RESULT dispatch_500_s=… receive_500_s=… queries_50=…
queries_500=…`` (queries: dispatch + receipt together).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SQLITE_PATH = BENCH_DIR / "transfers.sqlite3"
PG_DEFAULT_NAME = "cr_bench"
SIZES = (50, 500)
TARGET_S = 2.0


def _configure_environment() -> None:
    """Set the environment config.settings reads, before Django is imported."""
    # bench/import_export.py would shadow the django-import-export package.
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


def reference_create(*, register: int):
    """Create the places, a model, two CR services, two users and ``register`` stock assets."""
    from django.contrib.auth.models import Group, User

    from inventory import services as inventory_services
    from inventory.models import (
        Asset,
        AssetModel,
        Category,
        CRService,
        District,
        Manufacturer,
        Office,
        Region,
        UserScope,
    )

    region = Region.objects.create(code="DU", name_en="Dushanbe")
    district = District.objects.create(code="DU-01", region=region, kind="city", name_en="Sino")
    warehouse = Office.objects.create(
        code="WH-B", kind="warehouse", region=region, district=district, name_en="Warehouse"
    )
    destination = Office.objects.create(
        code="CR-B1", kind="district_office", region=region, district=district, name_en="Sino CR"
    )
    category = Category.objects.create(code="laptop", tag_prefix="LT", name_en="Laptop")
    model = AssetModel.objects.create(
        manufacturer=Manufacturer.objects.create(name="Lenovo"),
        name="ThinkPad E14",
        category=category,
    )
    birth = CRService.objects.create(code="birth", name_en="Birth registration")
    death = CRService.objects.create(code="death", name_en="Death registration")
    officer = User.objects.create_user("officer", first_name="Nodira", last_name="K")
    officer.groups.add(Group.objects.get(name="logistics_officer"))
    head = User.objects.create_user("head", first_name="Farrukh", last_name="S")
    head.groups.add(Group.objects.get(name="office_head"))
    UserScope.objects.create(user=head, office=destination)

    assets = [
        Asset(
            serial=f"BENCH{n:07d}",
            asset_model=model,
            value=Decimal("850.00"),
            status="in_stock",
            office=warehouse,
        )
        for n in range(register)
    ]
    inventory_services.assets_create_bulk(assets=assets, by=officer, reason="Bench stock")
    links = Asset.services.through
    links.objects.bulk_create(
        [
            links(asset_id=pk, crservice_id=service.pk)
            for pk in Asset.objects.values_list("pk", flat=True)
            for service in (birth, death)
        ],
        batch_size=5000,
    )
    return warehouse, destination, officer, head


def run_once(*, size: int, tags: list[str], places, connection) -> dict[str, float | int]:
    """Open, fill, dispatch and receive one transfer of ``size`` assets; return figures."""
    from django.test.utils import CaptureQueriesContext

    from deployments import services
    from deployments.choices import ItemOutcome
    from deployments.models import TransferItem
    from deployments.services import ItemCheck

    warehouse, destination, officer, head = places
    transfer = services.transfer_create(
        by=officer, origin=warehouse, destination=destination, destination_zone="front_office"
    )
    figures: dict[str, float | int] = {}
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = services.transfer_add_assets(transfer=transfer, by=officer, codes=tags)
    figures["add_s"] = time.perf_counter() - started
    figures["add_queries"] = len(queries)
    assert len(result.added) == size and not result.refused, result.refused[:3]

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        services.transfer_dispatch(transfer=transfer, by=officer)
    figures["dispatch_s"] = time.perf_counter() - started
    figures["dispatch_queries"] = len(queries)

    asset_ids = list(
        TransferItem.objects.filter(transfer=transfer).values_list("asset_id", flat=True)
    )
    checks = {pk: ItemCheck(ItemOutcome.RECEIVED) for pk in asset_ids}
    checks[asset_ids[0]] = ItemCheck(ItemOutcome.MISSING, "Not in the box")
    checks[asset_ids[1]] = ItemCheck(ItemOutcome.DAMAGED, "Cracked screen")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        services.transfer_receive(transfer=transfer, by=head, checks=checks)
    figures["receive_s"] = time.perf_counter() - started
    figures["receive_queries"] = len(queries)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--register", type=int, default=20_000)
    args = parser.parse_args()
    needed = sum(SIZES) * args.repeat
    if args.register < needed:
        parser.error(f"--register must be at least {needed} for {args.repeat} repeats")

    _configure_environment()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    _database_settings()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from inventory.models import Asset

        started = time.perf_counter()
        places = reference_create(register=args.register)
        print(
            f"{connection.vendor}: registered {args.register:,} assets in "
            f"{time.perf_counter() - started:.1f} s"
        )
        free = iter(Asset.objects.order_by("pk").values_list("tag", flat=True))
        results: dict[int, list[dict]] = {size: [] for size in SIZES}
        for _ in range(args.repeat):
            for size in SIZES:
                tags = [next(free) for _ in range(size)]
                results[size].append(
                    run_once(size=size, tags=tags, places=places, connection=connection)
                )

        print(
            f"\n{'assets':>6} {'step':<9} {'median s':>9} {'min s':>7} {'max s':>7} {'queries':>8}"
        )
        medians: dict[tuple[int, str], float] = {}
        queries: dict[tuple[int, str], int] = {}
        for size in SIZES:
            for step in ("add", "dispatch", "receive"):
                times = [r[f"{step}_s"] for r in results[size]]
                counts = {r[f"{step}_queries"] for r in results[size]}
                medians[(size, step)] = statistics.median(times)
                queries[(size, step)] = max(counts)
                print(
                    f"{size:>6} {step:<9} {statistics.median(times):>9.3f} {min(times):>7.3f} "
                    f"{max(times):>7.3f} {'/'.join(map(str, sorted(counts))):>8}"
                )
        q50 = queries[(50, "dispatch")] + queries[(50, "receive")]
        q500 = queries[(500, "dispatch")] + queries[(500, "receive")]
        dispatch_500 = medians[(500, "dispatch")]
        receive_500 = medians[(500, "receive")]
        verdict = (
            "met"
            if dispatch_500 < TARGET_S and receive_500 < TARGET_S and q50 == q500
            else "NOT met"
        )
        print(f"\nTarget (each under {TARGET_S:.0f} s, same queries at 50 and 500): {verdict}")
        print(
            f"RESULT dispatch_500_s={dispatch_500:.3f} receive_500_s={receive_500:.3f} "
            f"queries_50={q50} queries_500={q500}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        teardown_test_environment()


if __name__ == "__main__":
    main()
