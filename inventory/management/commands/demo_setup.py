"""Create the demo fleet and one demo user per role, the same every time on a fresh database.

The fleet is exactly what the two March 2024 handover sets declare (634 devices, USD 488,379),
registered through ``inventory.services`` by the demo logistics officer, so every device has its
history. Most devices stand at the 68 CR offices and the four archive centres; a few are in stock
at the central warehouse (``demo_deployments`` then sends some on transfers), in repair,
retired or lost.

Re-running it adds no devices when the register already holds any, but sets the demo users'
passwords again. It refuses to run with DEBUG off unless --force is given: the demo passwords
are published, so these users must never exist on a production install.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inventory import services
from inventory.choices import AssetStatus, OfficeKind, Role, Zone
from inventory.models import (
    Asset,
    AssetModel,
    CRService,
    HandoverSetLine,
    Office,
    Region,
    UserScope,
)

SEED = 20240315
REASON = "Demo data"
CENT = Decimal("0.01")

REFUSAL = (
    "Refusing to create demo data: DEBUG is off, so this looks like a production install, "
    "and the demo users' passwords are published. Run it with DEBUG=1, or pass --force if "
    "this really is a demo or test machine."
)


@dataclass(frozen=True)
class DemoUser:
    role: str
    username: str
    password: str
    first_name: str
    last_name: str
    position: str
    sees: str
    regions: tuple[str, ...] = ()
    office: str | None = None
    superuser: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        Role.ADMINISTRATOR,
        "admin",
        "demo-admin-2024",
        "Farrukh",
        "Rahimov",
        "System administrator, Ministry of Justice IT department",
        "everything, plus users, roles and settings (and /admin/)",
        superuser=True,
    ),
    DemoUser(
        Role.LOGISTICS_OFFICER,
        "logistics",
        "demo-logistics-2024",
        "Dilnoza",
        "Karimova",
        "Logistics officer, Ministry of Justice IT department",
        "the whole register; registers, moves and edits devices",
    ),
    DemoUser(
        Role.AUDITOR,
        "auditor",
        "demo-auditor-2024",
        "Martin",
        "Keller",
        "Programme auditor, Swiss Cooperation Office Tajikistan",
        "the whole register, read-only; exports",
    ),
    DemoUser(
        Role.TECHNICIAN,
        "technician",
        "demo-technician-2024",
        "Bakhtiyor",
        "Nazarov",
        "Field technician, Sughd and GBAO",
        "offices and devices in Sughd and GBAO only",
        regions=("SU", "GB"),
    ),
    DemoUser(
        Role.OFFICE_HEAD,
        "officehead",
        "demo-officehead-2024",
        "Zarina",
        "Sharipova",
        "Head of the Khujand CR office",
        "the Khujand CR office (CR-SU-KHU) only",
        office="CR-SU-KHU",
    ),
)
LOGISTICS_USERNAME = "logistics"

REGISTRATIONS = ("birth", "death", "marriage", "divorce", "adoption", "paternity", "name_change")
BACK_OFFICE = ("certificates", "correction")

# Devices of each category kept in stock at the warehouse: (spare, for the next deliveries).
# The deployments demo (``demo_deployments``) sends some of them on transfers.
RESERVE: dict[str, tuple[int, int]] = {
    "laptop": (5, 3),
    "printer": (5, 2),
    "scanner": (2, 1),
    "router": (1, 1),
    "ups": (2, 1),
    "server": (0, 0),
}
# Deployed devices that then go to repair, are retired or are lost, per category.
MISHAPS: dict[str, tuple[int, int, int]] = {
    "laptop": (3, 1, 1),
    "printer": (4, 1, 0),
    "scanner": (1, 0, 0),
    "router": (1, 0, 0),
    "ups": (1, 0, 0),
}
FAULTS: dict[str, tuple[str, ...]] = {
    "laptop": ("does not power on", "broken screen hinge", "keyboard fault"),
    "printer": ("paper jam, pickup roller worn", "fuser error", "drum unit failure"),
    "scanner": ("feed roller worn, double feeds",),
    "router": ("ports dead after power surge",),
    "ups": ("battery fails self-test",),
}
ARCHIVE_SCANNERS = {"ARC-DUS": 30, "ARC-KHU": 20, "ARC-BOK": 18, "ARC-KHO": 10}
ARCHIVE_ROOM_LAPTOPS = {"ARC-DUS": 2, "ARC-KHU": 1, "ARC-BOK": 1, "ARC-KHO": 1}
SERVER_OFFICE = "ARC-DUS"
WAREHOUSE = "WH-DUS"

WARRANTY_END: dict[str, dt.date] = {
    "laptop": dt.date(2027, 3, 15),
    "printer": dt.date(2027, 3, 15),
    "scanner": dt.date(2026, 3, 15),
    "router": dt.date(2029, 3, 15),
    "ups": dt.date(2026, 3, 15),
    "server": dt.date(2029, 3, 15),
}
# (manufacturer, model) → relative share of a category's devices.
MODEL_SHARES: dict[str, dict[tuple[str, str], int]] = {
    "laptop": {
        ("HP", "ProBook 450 G10"): 5,
        ("Lenovo", "ThinkPad E14 Gen 5"): 3,
        ("Dell", "Latitude 3540"): 2,
    },
    "printer": {
        ("HP", "LaserJet Pro M404dn"): 5,
        ("Canon", "i-SENSYS MF443dw"): 3,
        ("Kyocera", "ECOSYS P3145dn"): 2,
    },
    "scanner": {
        ("Fujitsu", "fi-7160"): 5,
        ("Epson", "WorkForce DS-970"): 3,
        ("Canon", "imageFORMULA DR-C240"): 2,
    },
    "ups": {("APC", "Smart-UPS SMT1500I"): 3, ("Eaton", "5SC 1500i"): 2},
    "server": {("HPE", "ProLiant DL380 Gen10 Plus"): 1},
}
# Routers: MikroTik in CR offices and the warehouse, Cisco in the archive centres.
ROUTER_MODELS = {True: ("Cisco", "ISR 1111-4P"), False: ("MikroTik", "hEX RB750Gr3")}
# First host number of each kind of device on an office's /24.
HOST_BASE = {"router": 1, "server": 10, "ups": 20, "printer": 30, "scanner": 100}

FIRST_NAMES = (
    ("Farhod", "m"),
    ("Dilshod", "m"),
    ("Jamshed", "m"),
    ("Rustam", "m"),
    ("Behruz", "m"),
    ("Parviz", "m"),
    ("Umed", "m"),
    ("Komron", "m"),
    ("Nilufar", "f"),
    ("Zarina", "f"),
    ("Sitora", "f"),
    ("Firuza", "f"),
    ("Madina", "f"),
    ("Gulnora", "f"),
    ("Mehrangez", "f"),
    ("Shahlo", "f"),
)
SURNAMES = (
    "Rahimov",
    "Karimov",
    "Nazarov",
    "Sharipov",
    "Saidov",
    "Qodirov",
    "Hasanov",
    "Boboev",
    "Odinaev",
    "Mirzoev",
    "Safarov",
    "Davlatov",
)

DIGITS = string.digits
ALNUM = string.digits + "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q: printed labels
DELL_TAG = string.digits + "BCDFGHJKLMNPQRSTVWXYZ"  # Dell service tags use no vowels
HEX = string.digits + "ABCDEF"


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _week(rng: random.Random) -> str:
    return f"{rng.randint(1, 52):02d}"


# (manufacturer, category) → serial in that maker's style.
SERIAL_STYLES: dict[tuple[str, str], Callable[[random.Random], str]] = {
    ("HP", "laptop"): lambda r: "5CD3" + _week(r) + _pick(r, ALNUM, 4),
    ("HP", "printer"): lambda r: (
        r.choice(("CNB", "VNB", "PHB"))
        + "3"
        + _pick(r, "BCDFGHJKLMNPRSTVWXYZ", 1)
        + _pick(r, DIGITS, 4)
        + _pick(r, ALNUM, 1)
    ),
    ("HPE", "server"): lambda r: "CZJ3" + _week(r) + _pick(r, ALNUM, 4),
    ("Lenovo", "laptop"): lambda r: "PF4" + _pick(r, ALNUM, 5),
    ("Dell", "laptop"): lambda r: _pick(r, DELL_TAG, 7),
    ("Dell", "server"): lambda r: _pick(r, DELL_TAG, 7),
    ("Canon", "printer"): lambda r: "XWB" + _pick(r, DIGITS, 5),
    ("Canon", "scanner"): lambda r: "GZ" + _pick(r, DIGITS, 6),
    ("Kyocera", "printer"): lambda r: (
        "VCF3" + _pick(r, "ABCDEFGHJKLMNPRSTUVWXYZ", 1) + _pick(r, DIGITS, 5)
    ),
    ("Fujitsu", "scanner"): lambda r: "A7VB" + _pick(r, DIGITS, 6),
    ("Epson", "scanner"): lambda r: "X8GB" + _pick(r, DIGITS, 6),
    ("MikroTik", "router"): lambda r: "HGA09" + _pick(r, HEX, 6),
    ("Cisco", "router"): lambda r: "FGL27" + _week(r) + _pick(r, ALNUM, 4),
    ("APC", "ups"): lambda r: "AS23" + _week(r) + _pick(r, DIGITS, 6),
    ("Eaton", "ups"): lambda r: "G3" + _pick(r, "ABCDEFGHJKLMNPRSTUVWXYZ", 2) + _pick(r, DIGITS, 6),
}


@dataclass
class Slot:
    """Where one device of the fleet goes."""

    office: Office
    zone: str = ""
    services: tuple[str, ...] = ()
    status: str = AssetStatus.DEPLOYED
    network_address: str = ""
    custodian: str = ""


class Command(BaseCommand):
    help = (
        "Create the demo fleet (634 devices of the March 2024 handover sets) and one demo "
        "user per role. Deterministic; safe to re-run. Refuses with DEBUG off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. Only on a demo or test machine.",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(REFUSAL)
        started = time.monotonic()
        call_command("load_reference", stdout=self.stdout, stderr=self.stderr)
        with transaction.atomic():
            users = {spec.username: self._user(spec) for spec in DEMO_USERS}
            existing = Asset.objects.count()
            if existing:
                self.stdout.write(
                    f"The register already holds {existing} devices: no demo devices added."
                )
            else:
                self._fleet(by=users[LOGISTICS_USERNAME])
        self.stdout.write(f"Demo setup done in {time.monotonic() - started:.1f} s.\n")
        self._print_logins()

    # --- users ----------------------------------------------------------------------------

    def _user(self, spec: DemoUser) -> AbstractBaseUser:
        """Create or reset one demo user, with its role group and scope."""
        try:
            group = Group.objects.get(name=spec.role)
        except Group.DoesNotExist as exc:
            raise CommandError(f"The role group “{spec.role}” is missing: run migrate.") from exc
        user, _ = get_user_model().objects.get_or_create(username=spec.username)
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.email = f"{spec.username}@demo.example.org"
        user.is_active = True
        user.is_staff = spec.superuser
        user.is_superuser = spec.superuser
        user.set_password(spec.password)
        user.save()
        user.groups.set([group])
        office = Office.objects.get(code=spec.office) if spec.office else None
        scope, _ = UserScope.objects.update_or_create(
            user=user, defaults={"office": office, "position": spec.position}
        )
        scope.regions.set(Region.objects.filter(code__in=spec.regions))
        return user

    def _print_logins(self) -> None:
        rows = [("role", "username", "password", "sees")]
        rows += [(str(s.role.label), s.username, s.password, s.sees) for s in DEMO_USERS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("Demo logins (development and demo machines only):")
        for number, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in [*widths, len(row[3])]))

    # --- fleet ----------------------------------------------------------------------------

    def _fleet(self, *, by: AbstractBaseUser) -> None:
        rng = random.Random(SEED)
        offices = list(Office.objects.select_related("region").order_by("code"))
        models = {
            (m.manufacturer.name, m.name): m
            for m in AssetModel.objects.select_related("manufacturer", "category")
        }
        service_by_code = {s.code: s for s in CRService.objects.all()}
        office_services = {
            office.code: tuple(
                office.services.order_by("sort_order").values_list("code", flat=True)
            )
            for office in offices
        }
        lines = list(
            HandoverSetLine.objects.select_related("handover_set", "category").order_by(
                "category__sort_order", "handover_set__code"
            )
        )
        plan = self._plan(rng=rng, offices=offices, lines=lines, office_services=office_services)
        self._addresses(offices=offices, plan=plan)
        serials: set[str] = set()
        registered: dict[str, list[Asset]] = {}
        for line in lines:
            category = line.category.code
            category_started = time.monotonic()
            slots = plan[category]
            values = _split_value(total=line.declared_value, count=line.declared_quantity)
            shares = MODEL_SHARES.get(category, {})
            assets = []
            for slot, value in zip(slots, values, strict=True):
                if category == "router":
                    key = ROUTER_MODELS[slot.office.kind == OfficeKind.ARCHIVE]
                else:
                    key = rng.choices(list(shares), weights=list(shares.values()))[0]
                asset_model = models[key]
                serial = self._serial(rng=rng, key=(key[0], category), taken=serials)
                at_office = slot.status == AssetStatus.DEPLOYED
                asset = services.asset_register(
                    by=by,
                    asset_model=asset_model,
                    serial=serial,
                    handover_set=line.handover_set,
                    value=value,
                    warranty_end=WARRANTY_END.get(category),
                    status=AssetStatus.DEPLOYED if at_office else AssetStatus.IN_STOCK,
                    office=slot.office,
                    zone=slot.zone,
                    custodian=slot.custodian,
                    network_address=slot.network_address,
                    services=[service_by_code[code] for code in slot.services],
                    reason=REASON,
                )
                if at_office:
                    assets.append(asset)
            registered[category] = assets
            counts = Counter(slot.status for slot in slots)
            self.stdout.write(
                f"  {line.category.name_en.lower()}: {len(slots)} registered "
                f"({counts[AssetStatus.DEPLOYED]} at offices, {counts[AssetStatus.IN_STOCK]} "
                f"in stock) "
                f"in {time.monotonic() - category_started:.1f} s"
            )
        self._mishaps(rng=rng, by=by, registered=registered)

    def _plan(
        self,
        *,
        rng: random.Random,
        offices: list[Office],
        lines: list[HandoverSetLine],
        office_services: dict[str, tuple[str, ...]],
    ) -> dict[str, list[Slot]]:
        """Return, per category, one slot per declared device, in registration order."""
        cr_offices = [
            o for o in offices if o.kind in (OfficeKind.DISTRICT_OFFICE, OfficeKind.CITY_OFFICE)
        ]
        cities = [o for o in cr_offices if o.kind == OfficeKind.CITY_OFFICE]
        districts = [o for o in cr_offices if o.kind == OfficeKind.DISTRICT_OFFICE]
        archives = [o for o in offices if o.kind == OfficeKind.ARCHIVE]
        warehouse = next(o for o in offices if o.code == WAREHOUSE)
        front = (Zone.FRONT_OFFICE, REGISTRATIONS)
        back = (Zone.BACK_OFFICE, BACK_OFFICE)

        def extra(needed: int) -> list[Office]:
            """Return ``needed`` CR offices for one more device: cities first, then districts."""
            if needed <= len(cities):
                return cities[:needed]
            return cities + rng.sample(districts, needed - len(cities))

        def whole_office(office: Office) -> tuple[str, tuple[str, ...]]:
            return Zone.BACK_OFFICE, office_services[office.code]

        declared = {line.category.code: line.declared_quantity for line in lines}
        at_office: dict[str, list[tuple[Office, str, tuple[str, ...]]]] = {}

        def deployable(category: str) -> int:
            return declared.get(category, 0) - sum(RESERVE.get(category, (0, 0)))

        laptops = [(o, *zone) for o in cr_offices for zone in (front, front, back)]
        laptops += [(o, Zone.BACK_OFFICE, ("certificates",)) for o in archives]
        laptops += [
            (o, Zone.ARCHIVE_ROOM, ("digitisation",))
            for o in archives
            for _ in range(ARCHIVE_ROOM_LAPTOPS.get(o.code, 1))
        ]
        at_office["laptop"] = laptops

        printers = [(o, *zone) for o in cr_offices for zone in (front, back)]
        printers += [(o, Zone.BACK_OFFICE, ("certificates",)) for o in archives]
        printers += [(o, *front) for o in extra(deployable("printer") - len(printers))]
        at_office["printer"] = printers

        scanners = [
            (o, Zone.ARCHIVE_ROOM, ("digitisation",))
            for o in archives
            for _ in range(ARCHIVE_SCANNERS.get(o.code, 0))
        ]
        scanners += [
            (o, Zone.BACK_OFFICE, ("certificates", "correction"))
            for o in extra(deployable("scanner") - len(scanners))
        ]
        at_office["scanner"] = scanners

        at_office["router"] = [(o, *whole_office(o)) for o in [*cr_offices, *archives]]

        # One UPS per archive centre and a second one for the servers; the rest to CR offices.
        server_office = next(o for o in archives if o.code == SERVER_OFFICE)
        ups = [(o, *whole_office(o)) for o in [*archives, server_office]]
        ups += [(o, *whole_office(o)) for o in extra(deployable("ups") - len(ups))]
        at_office["ups"] = ups

        at_office["server"] = [(server_office, *whole_office(server_office))] * deployable("server")

        plan: dict[str, list[Slot]] = {}
        for category, quantity in declared.items():
            placed = sorted(at_office.get(category, []), key=lambda p: (p[0].code, p[1]))
            stock = sum(RESERVE.get(category, (0, 0)))
            if len(placed) + stock != quantity:
                raise CommandError(
                    f"The demo plan places {len(placed)} + {stock} {category} "
                    f"devices but the handover sets declare {quantity}."
                )
            slots = [Slot(office=o, zone=zone, services=svc) for o, zone, svc in placed]
            slots += [
                Slot(office=warehouse, zone=Zone.STORAGE, status=AssetStatus.IN_STOCK)
                for _ in range(stock)
            ]
            if category == "laptop":
                for slot in slots:
                    if slot.status == AssetStatus.DEPLOYED:
                        slot.custodian = _person(rng)
            plan[category] = slots
        return plan

    def _addresses(self, *, offices: list[Office], plan: dict[str, list[Slot]]) -> None:
        """Give devices at offices 10.<region>.<office>.<host>, hosts numbered by kind."""
        number_in_region: dict[str, int] = {}
        seen: Counter[str] = Counter()
        for office in offices:
            seen[office.region.code] += 1
            number_in_region[office.code] = seen[office.region.code]
        hosts: Counter[tuple[str, str]] = Counter()
        for category, slots in plan.items():
            if category not in HOST_BASE:
                continue
            for slot in slots:
                if slot.status != AssetStatus.DEPLOYED:
                    continue
                office = slot.office
                host = HOST_BASE[category] + hosts[(office.code, category)]
                hosts[(office.code, category)] += 1
                slot.network_address = (
                    f"10.{office.region.sort_order}.{number_in_region[office.code]}.{host}"
                )

    def _serial(self, *, rng: random.Random, key: tuple[str, str], taken: set[str]) -> str:
        style = SERIAL_STYLES[key]
        while True:
            serial = style(rng)
            if serial not in taken:
                taken.add(serial)
                return serial

    def _mishaps(
        self, *, rng: random.Random, by: AbstractBaseUser, registered: dict[str, list[Asset]]
    ) -> None:
        """Send a few deployed CR-office devices to repair, retire one or two, lose one."""
        counts: Counter[str] = Counter()
        for category, (repairs, retired, lost) in MISHAPS.items():
            candidates = [
                a for a in registered.get(category, []) if a.office.kind != OfficeKind.ARCHIVE
            ]
            chosen = rng.sample(candidates, repairs + retired + lost)
            for asset in chosen[:repairs]:
                fault = rng.choice(FAULTS[category])
                services.asset_change_status(
                    asset=asset,
                    by=by,
                    to_status=AssetStatus.IN_REPAIR,
                    reason=f"{REASON}: {fault}",
                )
            for asset in chosen[repairs : repairs + retired]:
                services.asset_retire(asset=asset, by=by, reason=f"{REASON}: beyond repair")
            for asset in chosen[repairs + retired :]:
                services.asset_change_status(
                    asset=asset,
                    by=by,
                    to_status=AssetStatus.LOST,
                    reason=f"{REASON}: not found at the office, reported stolen",
                )
            counts.update(in_repair=repairs, retired=retired, lost=lost)
        self.stdout.write(
            f"  mishaps: {counts['in_repair']} in repair, {counts['retired']} retired, "
            f"{counts['lost']} lost"
        )


def _split_value(*, total: Decimal, count: int) -> list[Decimal]:
    """Return ``count`` unit values in cents that add up to ``total`` exactly."""
    unit = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    spare_cents = int((total - unit * count) / CENT)
    return [unit + CENT if i < spare_cents else unit for i in range(count)]


def _person(rng: random.Random) -> str:
    first, sex = rng.choice(FIRST_NAMES)
    surname = rng.choice(SURNAMES)
    return f"{first} {surname}{'a' if sex == 'f' else ''}"
