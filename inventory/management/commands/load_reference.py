"""Load the register's reference data from ``fixtures/``: places, services, catalogue, donors.

Safe to run on every start and on production installs: by default it only adds what is
missing and leaves rows that exist (and may have been edited in the application) alone;
``--update`` also overwrites existing rows with the fixtures' values.

Objects with a natural key are loaded with ``loaddata``. Service requirements and the declared
lines of handover sets have no natural key, so ``loaddata`` would duplicate them; they are
upserted here on their unique fields instead.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from inventory.models import (
    Category,
    CRService,
    District,
    HandoverSet,
    HandoverSetLine,
    Office,
    Region,
    ServiceRequirement,
)

FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures"

# Loaded with loaddata, in dependency order.
NATURAL_KEY_FIXTURES = (
    "regions.json",
    "districts.json",
    "cr_services.json",
    "catalogue.json",
    "offices.json",
    "funding.json",
)
SERVICE_REQUIREMENTS = "service_requirements.json"
HANDOVER_SET_LINES = "handover_set_lines.json"

# How to read a natural key from the database, per model; the default is ("code",).
NATURAL_KEY_LOOKUPS: dict[str, tuple[str, ...]] = {
    "inventory.manufacturer": ("name",),
    "inventory.assetmodel": ("manufacturer__name", "name"),
}

HISTORY_REASON = "Loaded from reference data"


@dataclass
class Counts:
    added: int = 0
    updated: int = 0


def _read(name: str) -> list[dict]:
    path = FIXTURE_DIR / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CommandError(
            f"Reference fixture {path} is missing; run fixtures/build_reference.py."
        ) from exc


def _lookups(label: str) -> tuple[str, ...]:
    return NATURAL_KEY_LOOKUPS.get(label, ("code",))


def _fixture_key(label: str, fields: dict) -> tuple:
    """Return an object's natural key from its serialised fields."""
    key = []
    for lookup in _lookups(label):
        name, _, _rest = lookup.partition("__")
        value = fields[name]
        # A natural foreign key is serialised as a list; its one element is the key here.
        key.append(value[0] if isinstance(value, list) else value)
    return tuple(key)


def _existing_keys(label: str) -> set[tuple]:
    model = apps.get_model(label)
    return set(model._default_manager.values_list(*_lookups(label)))


class Command(BaseCommand):
    help = (
        "Load reference data (regions, districts, CR services, catalogue, offices, donors, "
        "handover sets) from fixtures/. Adds what is missing; --update also overwrites."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Also overwrite existing rows with the fixtures' values (names, coordinates…).",
        )

    def handle(self, *args, update: bool = False, **options) -> None:
        started = time.monotonic()
        with transaction.atomic():
            added, updated = self._load_natural_key_fixtures(update=update)
            counts = self._upsert_requirements(update=update)
            lines = self._upsert_lines(update=update)
        added += counts.added + lines.added
        updated += counts.updated + lines.updated
        self.stdout.write(
            f"Reference data: {Region.objects.count()} regions, "
            f"{District.objects.count()} districts, {Office.objects.count()} offices, "
            f"{CRService.objects.count()} CR services, "
            f"{ServiceRequirement.objects.count()} service requirements, "
            f"{Category.objects.count()} categories, "
            f"{apps.get_model('inventory.assetmodel').objects.count()} models, "
            f"{HandoverSet.objects.count()} handover sets "
            f"({HandoverSetLine.objects.count()} lines); "
            f"{added} added, {updated} rewritten in {time.monotonic() - started:.1f} s."
        )

    def _load_natural_key_fixtures(self, *, update: bool) -> tuple[int, int]:
        """Load missing objects (or all, with ``update``); return (added, updated)."""
        added = updated = 0
        new_offices: list[str] = []
        with tempfile.TemporaryDirectory(prefix="load_reference-") as tmp:
            paths = []
            for name in NATURAL_KEY_FIXTURES:
                objects = _read(name)
                existing = {label: _existing_keys(label) for label in {o["model"] for o in objects}}
                missing = [
                    o
                    for o in objects
                    if _fixture_key(o["model"], o["fields"]) not in existing[o["model"]]
                ]
                added += len(missing)
                new_offices += [
                    o["fields"]["code"] for o in missing if o["model"] == "inventory.office"
                ]
                to_load = objects if update else missing
                updated += len(objects) - len(missing) if update else 0
                if to_load:
                    path = Path(tmp) / name
                    path.write_text(json.dumps(to_load, ensure_ascii=False), encoding="utf-8")
                    paths.append(str(path))
            if paths:
                # loaddata saves whole rows: keep the tag counters it does not know about.
                tag_numbers = dict(Category.objects.values_list("code", "last_tag_number"))
                call_command("loaddata", *paths, verbosity=0)
                for code, number in tag_numbers.items():
                    Category.objects.filter(code=code).exclude(last_tag_number=number).update(
                        last_tag_number=number
                    )
        if new_offices:
            self._record_office_history(codes=new_offices)
        return added, updated

    def _record_office_history(self, *, codes: list[str]) -> None:
        """Give each newly loaded office one "created" history entry with its reason.

        loaddata saves rows raw, which django-simple-history skips; setting the services
        then records a "changed" entry. Turn that into the creation entry, or add one.
        """
        history = Office.history.model
        offices = list(Office.objects.filter(code__in=codes))
        with_history = set(
            history.objects.filter(id__in=[o.pk for o in offices]).values_list("id", flat=True)
        )
        history.objects.filter(id__in=with_history).update(
            history_type="+", history_change_reason=HISTORY_REASON
        )
        Office.history.bulk_history_create(
            [o for o in offices if o.pk not in with_history],
            default_change_reason=HISTORY_REASON,
        )

    def _upsert(
        self,
        *,
        name: str,
        model: type[models.Model],
        unique: tuple[str, ...],
        values: tuple[str, ...],
        update: bool,
    ) -> Counts:
        """Create rows of a fixture without natural keys, matched on their unique fields."""
        counts = Counts()
        fks = {f.name: f.related_model for f in model._meta.concrete_fields if f.is_relation}
        pk_by_key = {
            label: dict(related._default_manager.values_list("code", "pk"))
            for label, related in fks.items()
        }
        existing = {
            tuple(row[f"{field}_id" if field in fks else field] for field in unique): row
            for row in model._default_manager.values()
        }
        for item in _read(name):
            fields = item["fields"]
            lookup = {}
            for field in (*unique, *values):
                value = fields[field]
                if field in fks:
                    try:
                        value = pk_by_key[field][value[0]]
                    except KeyError as exc:
                        raise CommandError(f"{name}: unknown {field} {value[0]!r}") from exc
                    lookup[f"{field}_id"] = value
                else:
                    lookup[field] = value
            key = tuple(lookup[f"{f}_id" if f in fks else f] for f in unique)
            defaults = {f: lookup[f] for f in lookup if f.removesuffix("_id") in values}
            row = existing.get(key)
            if row is None:
                model._default_manager.create(**lookup)
                counts.added += 1
            elif update and any(str(row[f]) != str(v) for f, v in defaults.items()):
                model._default_manager.update_or_create(
                    **{f: lookup[f] for f in lookup if f not in defaults}, defaults=defaults
                )
                counts.updated += 1
        return counts

    def _upsert_requirements(self, *, update: bool) -> Counts:
        return self._upsert(
            name=SERVICE_REQUIREMENTS,
            model=ServiceRequirement,
            unique=("service", "zone", "category"),
            values=("min_count",),
            update=update,
        )

    def _upsert_lines(self, *, update: bool) -> Counts:
        return self._upsert(
            name=HANDOVER_SET_LINES,
            model=HandoverSetLine,
            unique=("handover_set", "category"),
            values=("declared_quantity", "declared_value"),
            update=update,
        )
