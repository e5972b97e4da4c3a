"""Benchmark the reconciliation report's data build at 1,000 and at 100,000 assets.

Run from the project root:

    .venv/bin/python bench/reconciliation.py [--assets 100000] [--offices 1000] [--repeat 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cr_bench \
        .venv/bin/python bench/reconciliation.py

``--keepdb`` keeps the database and, when it already holds the data, only times the report
(for trying changes; the 1,000-asset query count is then not measured).

The script sets Django up itself (DEBUG off, a default SECRET_KEY) and works on a throwaway
database of its own, never the development one: SQLite ``bench/reconciliation.sqlite3``
(deleted at the end), or on PostgreSQL the database ``cr_bench`` (or the URL's database name
when it contains "bench"), created and dropped.

Data, all with ``bulk_create``: ``--offices`` CR offices in 5 regions plus the central
warehouse, 6 categories, 2 handover sets with declared lines (a little off what is
registered, so every line kind has something), a distribution plan line per set × office ×
category, and assets spread over them: most deployed at offices, some in stock, in transit on
open transfers, lost or retired, a few without a value and a few with duplicate serials.
Received transfers cover a tenth of the assets, signed acts a fifth, and 20,000 verifications
(some not found, elsewhere, serial read wrong or not working), 500 repair tickets and 2,000
monitored devices (some down) complete it.

It first builds 1,000 assets and counts the queries of the report's data build
(``reports.queries.reconciliation_report``, what the report page calls), then adds the rest
and times the same call ``--repeat`` times (median), with its query count.

Target: under 2 s at 100,000 assets on 2 cores, and the same query count at 1,000. The last
line is ``RESULT report_s=… queries=… queries_1k=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
SQLITE_PATH = BENCH_DIR / "reconciliation.sqlite3"
PG_DEFAULT_NAME = "cr_bench"
SMALL = 1_000
VERIFICATIONS = 20_000
TARGET_S = 2.0
BATCH = 2_000


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


class World:
    """The reference rows: places, categories, models, sets and a national user."""

    def __init__(self, *, offices: int, rng: random.Random):
        from django.contrib.auth.models import Group, User

        from inventory.models import (
            AssetModel,
            Category,
            District,
            HandoverSet,
            Manufacturer,
            Office,
            Region,
        )

        self.rng = rng
        regions = [
            Region.objects.create(code=f"R{i}", name_en=f"Region {i}", sort_order=i)
            for i in range(5)
        ]
        districts = District.objects.bulk_create(
            [
                District(code=f"D{i:03d}", region=regions[i % 5], kind="district", name_en=f"D{i}")
                for i in range(50)
            ]
        )
        self.warehouse = Office.objects.create(
            code="WH",
            kind="warehouse",
            region=regions[0],
            district=districts[0],
            name_en="Warehouse",
        )
        Office.objects.bulk_create(
            [
                Office(
                    code=f"CR-{i:05d}",
                    kind="district_office",
                    region=districts[i % 50].region,
                    district=districts[i % 50],
                    name_en=f"Office {i}",
                )
                for i in range(offices)
            ],
            batch_size=BATCH,
        )
        self.offices = list(Office.objects.exclude(pk=self.warehouse.pk).order_by("pk"))
        maker = Manufacturer.objects.create(name="Maker")
        self.categories = [
            Category.objects.create(
                code=code, tag_prefix=code[:2].upper(), name_en=code.title(), sort_order=i
            )
            for i, code in enumerate(("laptop", "printer", "scanner", "router", "ups", "server"))
        ]
        self.models = [
            AssetModel.objects.create(manufacturer=maker, name=f"Model {c.code}", category=c)
            for c in self.categories
        ]
        self.sets = [
            HandoverSet.objects.create(
                code=f"HS-{i}",
                name_en=f"Set {i}",
                handover_date=dt.date(2024, 3, 1 + i),
                declared_value=Decimal("0"),
            )
            for i in range(2)
        ]
        self.user = User.objects.create_user("bench-logistics")
        self.user.groups.add(Group.objects.get(name="logistics_officer"))
        self.next_number = 0
        self.documents = 0

    def assets_add(self, n: int) -> None:
        """Register ``n`` more assets, with their transfers, acts, checks, repairs, monitoring."""
        from django.utils import timezone

        from deployments.models import (
            HandoverAct,
            HandoverActItem,
            Transfer,
            TransferItem,
        )
        from inventory.models import Asset

        rng = self.rng
        now = timezone.now()
        start = self.next_number
        rows = []
        for number in range(start, start + n):
            roll = rng.random()
            if roll < 0.88:
                status, office = "deployed", self.offices[number % len(self.offices)]
            elif roll < 0.93:
                status, office = "in_stock", self.warehouse
            elif roll < 0.97:
                status, office = "in_transit", self.warehouse
            elif roll < 0.985:
                status, office = "lost", self.offices[number % len(self.offices)]
            else:
                status, office = "retired", self.offices[number % len(self.offices)]
            serial = f"SN{number:08d}"
            if number % 5000 == 7:  # a few duplicates once reduced: "SN-0000…"
                serial = f"SN-{number - 1:08d}"
            rows.append(
                Asset(
                    tag=f"CR-XX-{number:07d}",
                    serial=serial,
                    asset_model=self.models[number % 6],
                    handover_set=self.sets[number % 2],
                    value=None if number % 997 == 0 else Decimal(100 + (number % 10) * 50),
                    status=status,
                    office=office,
                )
            )
        Asset.objects.bulk_create(rows, batch_size=BATCH)
        self.next_number += n
        assets = list(
            Asset.objects.filter(tag__gte=f"CR-XX-{start:07d}")
            .order_by("pk")
            .values_list("pk", "status", "office_id")
        )
        # Open transfers for the assets in transit, received ones for a tenth of the others.
        transit = [pk for pk, status, _office in assets if status == "in_transit"]
        deployed = [(pk, office) for pk, status, office in assets if status == "deployed"]
        received = deployed[::10]
        transfers, items = [], []
        for _chunk in range(0, len(transit), 50):
            self.documents += 1
            transfers.append(
                Transfer(
                    number=f"TR-B-{self.documents:06d}",
                    origin=self.warehouse,
                    destination=rng.choice(self.offices),
                    destination_zone="front_office",
                    status="dispatched",
                    dispatched_at=now,
                )
            )
        by_office: dict[int, list[int]] = {}
        for pk, office in received:
            by_office.setdefault(office, []).append(pk)
        received_transfers = []
        for office, pks in by_office.items():
            self.documents += 1
            received_transfers.append(
                (
                    Transfer(
                        number=f"TR-B-{self.documents:06d}",
                        origin=self.warehouse,
                        destination_id=office,
                        destination_zone="front_office",
                        status="received",
                        dispatched_at=now,
                        received_at=now,
                    ),
                    pks,
                )
            )
        Transfer.objects.bulk_create(transfers + [t for t, _ in received_transfers], BATCH)
        for index, transfer in enumerate(transfers):
            for pk in transit[index * 50 : (index + 1) * 50]:
                items.append(TransferItem(transfer=transfer, asset_id=pk, is_open=True))
        for transfer, pks in received_transfers:
            items += [
                TransferItem(transfer=transfer, asset_id=pk, is_open=False, outcome="received")
                for pk in pks
            ]
        TransferItem.objects.bulk_create(items, batch_size=BATCH)
        # Signed acts for a fifth of the deployed assets, one act per office.
        signed = deployed[::5]
        by_office = {}
        for pk, office in signed:
            by_office.setdefault(office, []).append(pk)
        acts = []
        for office in by_office:
            self.documents += 1
            acts.append(
                HandoverAct(
                    number=f"HA-B-{self.documents:06d}",
                    status="signed",
                    office_id=office,
                    language="en",
                    act_date=dt.date(2024, 4, 1),
                    giver_name="G",
                    giver_position="W",
                    receiver_name="R",
                    receiver_position="H",
                )
            )
        HandoverAct.objects.bulk_create(acts, batch_size=BATCH)
        act_items = [
            HandoverActItem(
                act=act,
                asset_id=pk,
                tag="t",
                serial="s",
                model_name="m",
                category=self.categories[0],
            )
            for act, pks in zip(acts, by_office.values(), strict=True)
            for pk in pks
        ]
        HandoverActItem.objects.bulk_create(act_items, batch_size=BATCH)

    def finish(self, *, verifications: int) -> None:
        """Add the declaration, the plan, verifications, repairs and monitoring."""
        from django.db.models import Count, Sum
        from django.utils import timezone

        from deployments.models import DistributionPlanLine, Verification, VerificationCampaign
        from inventory.models import Asset, HandoverSetLine
        from monitoring.models import MonitoredDevice, RepairTicket, SnmpProfile

        rng = self.rng
        now = timezone.now()
        HandoverSetLine.objects.all().delete()
        DistributionPlanLine.objects.all().delete()
        lines = []
        for row in (
            Asset.objects.values("handover_set_id", "asset_model__category_id")
            .annotate(n=Count("pk"), v=Sum("value"))
            .order_by()
        ):
            # Declared a little more for some categories, a little less for others.
            offset = (row["asset_model__category_id"] % 3) - 1
            lines.append(
                HandoverSetLine(
                    handover_set_id=row["handover_set_id"],
                    category_id=row["asset_model__category_id"],
                    declared_quantity=max(row["n"] + offset, 0),
                    declared_value=(row["v"] or 0) + offset * 100,
                )
            )
        HandoverSetLine.objects.bulk_create(lines)
        for handover_set in self.sets:
            handover_set.declared_value = sum(
                line.declared_value for line in lines if line.handover_set_id == handover_set.pk
            )
            handover_set.save(update_fields=["declared_value"])
        per_cell = max(1, self.next_number // (len(self.offices) * 12))
        DistributionPlanLine.objects.bulk_create(
            [
                DistributionPlanLine(
                    handover_set=handover_set,
                    office=office,
                    category=category,
                    planned_quantity=per_cell + (office.pk % 2),
                )
                for handover_set in self.sets
                for office in self.offices
                for category in self.categories
            ],
            batch_size=BATCH,
        )
        campaign, _created = VerificationCampaign.objects.get_or_create(
            number="VC-2024-0001",
            defaults={"name": "Bench", "method": "sample", "sample_size": 10, "seed": 1},
        )
        Verification.objects.all().delete()
        RepairTicket.objects.all().delete()
        MonitoredDevice.objects.all().delete()
        ids = list(Asset.objects.values_list("pk", "serial", "office_id"))
        picked = rng.sample(ids, min(verifications, len(ids)))
        checks = []
        for index, (pk, serial, office) in enumerate(picked):
            roll = rng.random()
            outcome = "found" if roll < 0.9 else ("not_found" if roll < 0.95 else "found_elsewhere")
            read = serial if index % 7 else f"X{serial}"
            checks.append(
                Verification(
                    asset_id=pk,
                    campaign=campaign if index % 2 else None,
                    outcome=outcome,
                    register_office_id=office,
                    found_office=self.offices[index % len(self.offices)]
                    if outcome == "found_elsewhere"
                    else None,
                    register_serial=serial,
                    serial_read=read if outcome != "not_found" else "",
                    serial_matches=(read == serial) if outcome != "not_found" else None,
                    condition=""
                    if outcome == "not_found"
                    else ("not_working" if index % 13 == 0 else "working"),
                    verified_at=now - dt.timedelta(days=index % 30),
                )
            )
        Verification.objects.bulk_create(checks, batch_size=BATCH)
        RepairTicket.objects.bulk_create(
            [
                RepairTicket(
                    number=f"RT-B-{index:05d}",
                    asset_id=pk,
                    fault="network",
                    reported_at=now,
                    status="open" if index % 3 else "resolved",
                    stops_work=True,
                )
                for index, (pk, _serial, _office) in enumerate(ids[:500])
            ]
        )
        profile, _created = SnmpProfile.objects.get_or_create(name="Bench v2c")
        MonitoredDevice.objects.bulk_create(
            [
                MonitoredDevice(
                    asset_id=pk,
                    address=f"10.{index // 65536}.{index // 256 % 256}.{index % 256}",
                    profile=profile,
                    health="down" if index % 10 == 0 else "up",
                )
                for index, (pk, _serial, _office) in enumerate(ids[1000:3000])
            ],
            batch_size=BATCH,
        )


def measure(*, user, repeat: int, connection) -> tuple[float, int, list[float]]:
    """Return the median time, the query count and every time of the report's data build."""
    from django.test.utils import CaptureQueriesContext

    from reports import queries

    times, counts = [], set()
    for _ in range(repeat):
        # A fresh user each run, as each request has: its roles are looked up again.
        user = type(user).objects.get(pk=user.pk)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            report = queries.reconciliation_report(user=user, filters=queries.ReportFilters())
        times.append(time.perf_counter() - started)
        counts.add(len(captured))
    assert report.total["registered"].quantity > 0
    if os.environ.get("BENCH_VERBOSE"):
        for query in captured.captured_queries:
            print(f"  {query['time']:>7}  {query['sql'][:110]}")
    return statistics.median(times), max(counts), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--offices", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keepdb", action="store_true", help="Keep the database for another run (and reuse it)."
    )
    args = parser.parse_args()
    if args.assets <= SMALL:
        parser.error(f"--assets must be more than {SMALL}")

    _configure_environment()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    _database_settings()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        from django.contrib.auth.models import User

        if args.keepdb and User.objects.filter(username="bench-logistics").exists():
            user = User.objects.get(username="bench-logistics")
            report_s, count, times = measure(user=user, repeat=args.repeat, connection=connection)
            print(f"reused database: median {report_s:.3f} s, {count} queries")
            print(f"RESULT report_s={report_s:.3f} queries={count} queries_1k=?")
            return
        rng = random.Random(args.seed)
        started = time.perf_counter()
        world = World(offices=args.offices, rng=rng)
        world.assets_add(SMALL)
        world.finish(verifications=SMALL // 5)
        _t1k, queries_1k, _ = measure(user=world.user, repeat=1, connection=connection)
        world.assets_add(args.assets - SMALL)
        world.finish(verifications=VERIFICATIONS)
        print(
            f"{connection.vendor}: {args.assets:,} assets, {args.offices:,} offices, "
            f"{VERIFICATIONS:,} verifications built in {time.perf_counter() - started:.1f} s"
        )
        # Measure as a web worker would: without the builder's objects in memory (they
        # would make every garbage collection during the report walk 100,000 of them).
        user = world.user
        del world
        gc.collect()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            measure(user=user, repeat=1, connection=connection)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ["BENCH_PROFILE"]).print_stats(25)
        report_s, count, times = measure(user=user, repeat=args.repeat, connection=connection)
        print(
            f"report data build: median {report_s:.3f} s "
            f"(runs: {', '.join(f'{t:.3f}' for t in times)}), {count} queries; "
            f"at {SMALL:,} assets: {queries_1k} queries"
        )
        verdict = "met" if report_s < TARGET_S and count == queries_1k else "NOT met"
        print(f"Target (under {TARGET_S:.0f} s, same queries at 1,000 assets): {verdict}")
        print(f"RESULT report_s={report_s:.3f} queries={count} queries_1k={queries_1k}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keepdb)
        teardown_test_environment()


if __name__ == "__main__":
    main()
