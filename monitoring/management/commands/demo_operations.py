"""Give the demo an operations history: poll readings, repair tickets and readiness periods.

Run after ``simulate_devices`` (``make run`` does), which monitors the simulated devices; the
SNMP agent need not run. So that the consumables, repairs and readiness reports have
something to show from the first minute, it adds, all of it demo backfill:

1. Poll history: a reading every 6 hours over the last 120 days for each simulated printer
   (``simulator.supply_history``): the page counter growing, the toner falling to today's
   level with a cartridge replaced on the way, one printer's counter restarting at 0 (its
   formatter board swapped). Silent printers last answered weeks ago. The weekly page-counter
   readings ``simulate_devices`` seeds are replaced. Printers never polled get their latest
   reading's supplies and counter, as a poll would have left them (health stays for the
   poller to find).
2. Repairs over the last 12 months (``repair_plan``), through the repair services with their
   past times: most resolved, in hours to weeks, some after waiting for parts, several warranty
   claims, a few assets failing again within 90 days, the board swap; the assets
   ``demo_setup`` left in repair get their open tickets. No asset's status changes.
3. Readiness over the last 90 days (``readiness_history``): each office's services replayed
   from its devices today, with each stop-work ticket's device not working while it was open.
   The open periods are today's states, so ``readiness_refresh`` afterwards opens nothing.

Then the supply forecasts and readiness are recomputed. Each part is skipped when its history
is there already (older poll readings, tickets or readiness periods), so running it again adds
nothing. Like the other demo commands it refuses to run with DEBUG off unless --force is given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset, CRService
from monitoring import readiness, selectors, services, simulator
from monitoring.choices import FaultCategory, Health, RepairStatus
from monitoring.management.commands.simulate_devices import fleet_specs
from monitoring.models import (
    REPAIR_CLOSED_STATUSES,
    MonitoredDevice,
    PollOutcome,
    ReadinessPeriod,
    RepairTicket,
    SupplyForecast,
)
from monitoring.simulator import OFFICE_ZONE, DeviceSpec, State

SEED = simulator.SEED  # the demo fleet's seed
FINGERPRINT = "demo-history"  # what simulate_devices' seeded readings carry too
POLL_DAYS = 120
REPAIR_DAYS = 365
READINESS_DAYS = 90
BATCH = 2000
# A part is there already when the database holds poll readings older than this …
POLL_HISTORY_THERE_DAYS = 100  # (simulate_devices seeds 12 weeks)
# … repair tickets reported longer ago than this, or readiness periods older than this.
REPAIR_HISTORY_THERE_DAYS = 30
READINESS_HISTORY_THERE_DAYS = 1
# How many tickets: resolved ones, of which warranty claims; assets failing again.
RESOLVED_TICKETS = 38
WARRANTY_CLAIMS = 7
REPEAT_FAILURES = 4
# The board swap: the printer whose counter starts nearest this many days ago.
BOARD_SWAP_DAYS = 60

REFUSAL = (
    "Refusing to add the demo's operations history: DEBUG is off, so this looks like a "
    "production install. Run it with DEBUG=1, or pass --force if this really is a demo or "
    "test machine."
)


class Command(BaseCommand):
    help = (
        "Add the demo's operations history (after simulate_devices): 120 days of printer "
        "readings, a year of repair tickets and 90 days of service readiness."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (demo machines only)."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(REFUSAL)
        started = time.monotonic()
        now = timezone.now()
        specs = simulator.assign_states(fleet_specs(seed=SEED), seed=SEED)
        devices = {
            device.asset.tag: device
            for device in MonitoredDevice.objects.filter(
                asset__tag__in=[spec.tag for spec in specs]
            ).select_related("asset")
        }
        if not devices:
            self.stdout.write(
                "No simulated device is monitored: run `manage.py simulate_devices` first. "
                "No operations history added."
            )
            return
        polls = not PollOutcome.objects.filter(
            polled_at__lt=now - dt.timedelta(days=POLL_HISTORY_THERE_DAYS)
        ).exists()
        repairs = not RepairTicket.objects.filter(
            reported_at__lt=now - dt.timedelta(days=REPAIR_HISTORY_THERE_DAYS)
        ).exists()
        periods = not ReadinessPeriod.objects.filter(
            since__lt=now - dt.timedelta(days=READINESS_HISTORY_THERE_DAYS)
        ).exists()
        if not (polls or repairs or periods):
            self.stdout.write(
                "The operations history is there already (poll readings, repair tickets and "
                "readiness periods): nothing added."
            )
            return

        parts: list[str] = []
        board_swap: tuple[int, dt.datetime] | None = None
        if polls:
            summary = poll_history_add(specs=specs, devices=devices, now=now)
            board_swap = summary.board_swap
            parts.append(
                f"{summary.readings:,} readings of {summary.printers} printers "
                f"({'one counter reset' if board_swap else 'no counter reset'})"
            )
        else:
            parts.append("poll readings there already")
        with transaction.atomic():
            # The repair services recompute the offices' readiness when this commits; by then
            # the periods below hold the same states, so those recomputations open nothing.
            if repairs:
                tickets = repair_history_add(now=now, board_swap=board_swap)
                parts.append(
                    f"{len(tickets)} repair tickets "
                    f"({sum(not t.is_open for t in tickets)} resolved, "
                    f"{sum(t.warranty_claim for t in tickets)} warranty claims, "
                    f"{repeat_assets(tickets)} assets failing again)"
                )
            else:
                parts.append("repair tickets there already")
            if periods:
                written = readiness_history_add(now=now)
                parts.append(f"{written} readiness periods over {READINESS_DAYS} days")
            else:
                parts.append("readiness periods there already")
        forecasts = services.supply_forecasts_refresh()
        dated = SupplyForecast.objects.filter(runs_out__isnull=False).count()
        refresh = services.readiness_refresh()
        self.stdout.write(
            f"Operations history: {'; '.join(parts)}; {forecasts} supply forecasts ({dated} "
            f"dated); readiness recomputed, {refresh.opened} periods opened; in "
            f"{time.monotonic() - started:.1f} s."
        )


# --- 1. Poll history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PollHistorySummary:
    printers: int
    readings: int
    board_swap: tuple[int, dt.datetime] | None  # (asset id, first reading of the new board)


def poll_history_add(
    *, specs: Sequence[DeviceSpec], devices: Mapping[str, MonitoredDevice], now: dt.datetime
) -> PollHistorySummary:
    """Store 120 days of readings for the simulated printers; return what was stored.

    Demo backfill: rows are bulk-created, not polled. A printer polled already keeps its real
    outcomes: its history ends before the first of them.
    """
    printers = [s for s in specs if s.tag in devices and s.kind == "printer"]
    histories = {
        spec.tag: simulator.supply_history(spec, days=POLL_DAYS, now=now) for spec in printers
    }
    swapped = board_swap_choice(
        {
            spec.tag: history[0].at
            for spec in printers
            if spec.state != State.SILENT and (history := histories[spec.tag])
        },
        start=now - dt.timedelta(days=POLL_DAYS),
        now=now,
    )
    board_swap = None
    if swapped is not None:
        spec = next(s for s in printers if s.tag == swapped)
        history = simulator.supply_history(spec, days=POLL_DAYS, now=now, counter_reset=True)
        histories[swapped] = history
        first_new = next(
            later
            for earlier, later in itertools.pairwise(history)
            if later.page_count < earlier.page_count
        )
        board_swap = (devices[swapped].asset_id, first_new.at)

    ids = [devices[spec.tag].pk for spec in printers]
    # simulate_devices' weekly page-counter readings: this history replaces them.
    PollOutcome.objects.filter(device_id__in=ids, fingerprint=FINGERPRINT).delete()
    first_real = dict(
        PollOutcome.objects.filter(device_id__in=ids)
        .order_by()
        .values_list("device_id")
        .annotate(first=Min("polled_at"))
    )
    rows: list[tuple[int, simulator.Reading]] = []
    facts: list[MonitoredDevice] = []
    for spec in printers:
        device = devices[spec.tag]
        history = histories[spec.tag]
        if device.pk in first_real:
            history = [r for r in history if r.at < first_real[device.pk]]
        if not history:
            continue
        rows.extend((device.pk, reading) for reading in history)
        if device.last_polled_at is None and device.pk not in first_real:
            latest = history[-1]
            supplies = simulator.supplies_json(latest.supplies)
            known = [s["percent"] for s in supplies if s["percent"] is not None]
            device.kind = "printer"
            device.page_count = latest.page_count
            device.supplies = supplies
            device.lowest_supply_percent = min(known) if known else None
            device.last_reachable_at = latest.at
            facts.append(device)
    with transaction.atomic():
        outcomes_insert(rows)
        MonitoredDevice.objects.bulk_update(
            facts,
            ["kind", "page_count", "supplies", "lowest_supply_percent", "last_reachable_at"],
            batch_size=500,
        )
    return PollHistorySummary(
        printers=len({device_id for device_id, _reading in rows}),
        readings=len(rows),
        board_swap=board_swap,
    )


def outcomes_insert(readings: Sequence[tuple[int, simulator.Reading]]) -> None:
    """Store readings as answered polls (health up), BATCH rows per statement.

    Demo backfill of some 90,000 rows: ``bulk_create`` spends about a minute building their
    SQL field by field, so the values are prepared here, each by its field as the ORM would,
    and inserted with ``executemany``.
    """
    fields = {field.name: field for field in PollOutcome._meta.concrete_fields}
    constant = {
        "reachable": True,
        "error": "",
        "overloaded": False,
        "health": Health.UP,
        "device_status": "",
        "printer_status": "",
        "errors": [],
        "serial_seen": "",
        "fingerprint": FINGERPRINT,
    }
    names = ["device", "polled_at", "page_count", "supplies", *constant]
    fixed = [fields[name].get_db_prep_save(value, connection) for name, value in constant.items()]
    polled_at, supplies = fields["polled_at"], fields["supplies"]
    quote = connection.ops.quote_name
    table = quote(PollOutcome._meta.db_table)
    columns = ", ".join(quote(fields[name].column) for name in names)
    placeholders = ", ".join(["%s"] * len(names))
    # Names from the model, quoted; the values go as parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    # Printers share their reading times, and levels change less often than readings come.
    times: dict[dt.datetime, object] = {}
    levels: dict[tuple[simulator.Supply, ...], object] = {}

    def at(moment: dt.datetime) -> object:
        if moment not in times:
            times[moment] = polled_at.get_db_prep_save(moment, connection)
        return times[moment]

    def stored(reading_supplies: tuple[simulator.Supply, ...]) -> object:
        if reading_supplies not in levels:
            levels[reading_supplies] = supplies.get_db_prep_save(
                simulator.supplies_json(reading_supplies), connection
            )
        return levels[reading_supplies]

    with connection.cursor() as cursor:
        for start in range(0, len(readings), BATCH):
            cursor.executemany(
                sql,
                [
                    (
                        device_id,
                        at(reading.at),
                        reading.page_count,
                        stored(reading.supplies),
                        *fixed,
                    )
                    for device_id, reading in readings[start : start + BATCH]
                ],
            )


def board_swap_choice(
    starts: Mapping[str, dt.datetime], *, start: dt.datetime, now: dt.datetime
) -> str | None:
    """Return the printer whose formatter board was swapped: of those whose counter starts
    within the history (a day or more after ``start``), the one starting nearest
    BOARD_SWAP_DAYS ago (then by tag); None when no counter starts within it."""
    target = now - dt.timedelta(days=BOARD_SWAP_DAYS)
    later = [tag for tag, at in starts.items() if at >= start + dt.timedelta(days=1)]
    if not later:
        return None
    return min(later, key=lambda tag: (abs((starts[tag] - target).total_seconds()), tag))


# --- 2. Repairs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """A kind of fault a device of some category has, and how it was fixed."""

    fault: str
    description: str
    parts: str
    fix: str
    stops_work: bool = True


STORIES: dict[str, tuple[Story, ...]] = {
    "printer": (
        Story(
            FaultCategory.PAPER_PATH,
            "Paper jams at the pickup, several times a day.",
            "Pickup and separation rollers",
            "Replaced the pickup and separation rollers; twenty test pages without a jam.",
        ),
        Story(
            FaultCategory.PRINT_QUALITY,
            "Grey streaks along every page.",
            "Fuser film",
            "Replaced the fuser film and cleaned the transfer roller.",
            stops_work=False,
        ),
        Story(
            FaultCategory.TONER_DRUM,
            "Faded print, even with a new cartridge.",
            "Drum unit",
            "Replaced the drum unit.",
        ),
        Story(
            FaultCategory.NO_POWER,
            "Does not switch on since a power cut.",
            "Low-voltage power supply board",
            "Replaced the power supply board.",
        ),
        Story(
            FaultCategory.NETWORK,
            "Not found on the network; prints only over USB.",
            "",
            "A firmware update had reset the network settings: fixed address entered again.",
        ),
    ),
    "laptop": (
        Story(
            FaultCategory.SCREEN,
            "Screen flickers and goes black when the lid moves.",
            "Display cable",
            "Replaced the display cable.",
        ),
        Story(
            FaultCategory.KEYBOARD,
            "Several keys do not type after tea was spilt.",
            "Keyboard",
            "Replaced the keyboard.",
        ),
        Story(
            FaultCategory.BATTERY,
            "Battery lasts ten minutes; works on the charger only.",
            "Battery",
            "Replaced the battery.",
            stops_work=False,
        ),
        Story(
            FaultCategory.NO_POWER,
            "Does not power on.",
            "Charger",
            "The charger was faulty: replaced it.",
        ),
        Story(
            FaultCategory.SOFTWARE,
            "Windows does not start after an update.",
            "",
            "Repaired the start-up and updated the drivers.",
        ),
    ),
    "scanner": (
        Story(
            FaultCategory.SCANNER_FEED,
            "Double feeds and skewed pages.",
            "Pick and brake rollers",
            "Replaced the pick and brake rollers; cleaned the feed path.",
        ),
        Story(
            FaultCategory.SOFTWARE,
            "The capture software no longer finds the scanner.",
            "",
            "Reinstalled the driver and the capture software.",
        ),
    ),
    "router": (
        Story(
            FaultCategory.NETWORK,
            "No internet at the office: the WAN port is down.",
            "",
            "The provider repaired the line to the building.",
        ),
        Story(
            FaultCategory.NO_POWER,
            "Dead after a power surge.",
            "Power adapter",
            "Replaced the power adapter.",
        ),
    ),
    "ups": (
        Story(
            FaultCategory.BATTERY,
            "Beeps and fails its self-test.",
            "Battery pack",
            "Replaced the battery pack; self-test passed.",
            stops_work=False,
        ),
        Story(
            FaultCategory.NO_POWER,
            "Does not switch on after an overload.",
            "",
            "Reset after the overload; tested under load for an hour.",
        ),
    ),
}
# How often each category breaks, relatively.
CATEGORY_WEIGHTS: dict[str, int] = {
    "printer": 40,
    "laptop": 30,
    "scanner": 12,
    "ups": 10,
    "router": 8,
}
# Time to repair (hours, from, to) and its share: same day, days, a week or two, weeks.
REPAIR_HOURS: tuple[tuple[float, float, float], ...] = (
    (0.25, 2.0, 8.0),
    (0.35, 24.0, 96.0),
    (0.25, 96.0, 288.0),
    (0.15, 288.0, 840.0),
)
WAITING_FROM_HOURS = 288.0  # repairs this long waited for parts
CLAIM_HOURS = (240.0, 720.0)  # a supplier takes ten days to a month
# What demo_setup's "in repair" reasons are: a word of the reason → the fault.
REASON_FAULTS: tuple[tuple[str, str], ...] = (
    ("paper jam", FaultCategory.PAPER_PATH),
    ("fuser", FaultCategory.PRINT_QUALITY),
    ("drum", FaultCategory.TONER_DRUM),
    ("power on", FaultCategory.NO_POWER),
    ("screen", FaultCategory.SCREEN),
    ("keyboard", FaultCategory.KEYBOARD),
    ("feed", FaultCategory.SCANNER_FEED),
    ("ports dead", FaultCategory.NETWORK),
    ("battery", FaultCategory.BATTERY),
)
REPORTERS = (
    "Malika Sharipova, office head",
    "Dilshod Nazarov, registrar",
    "Zarina Rahimova, registrar",
    "Farhod Saidov, office head",
    "Nilufar Karimova, archivist",
    "Rustam Odinaev, registrar",
)
SUPPLIER_CASE = {"hp": "HP case", "canon": "Canon RMA", "kyocera": "Kyocera RMA", "apc": "APC RMA"}


@dataclass(frozen=True)
class RepairCandidate:
    """An asset that may have had repairs: deployed, or left in repair by demo_setup."""

    asset_id: int
    tag: str
    category: str
    manufacturer: str
    status: str
    warranty_end: dt.date | None = None
    reason: str = ""  # why it went to repair (its status change), when it is in repair


@dataclass(frozen=True)
class PlannedStep:
    at: dt.datetime
    to_status: str  # "" for work logged without a step
    minutes: int = 0
    parts: str = ""
    note: str = ""


@dataclass(frozen=True)
class PlannedTicket:
    asset_id: int
    fault: str
    reported_at: dt.datetime
    description: str
    reported_by: str
    stops_work: bool = True
    warranty_claim: bool = False
    supplier_reference: str = ""
    steps: tuple[PlannedStep, ...] = ()

    @property
    def resolved_at(self) -> dt.datetime | None:
        last = self.steps[-1] if self.steps else None
        return last.at if last is not None and last.to_status == RepairStatus.RESOLVED else None


def _office_time(rng: random.Random, *, days_ago: float, now: dt.datetime) -> dt.datetime:
    """Return a weekday moment in office hours about ``days_ago`` days before ``now``."""
    day = (now - dt.timedelta(days=days_ago)).astimezone(OFFICE_ZONE)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    minutes = rng.randrange(8 * 60 + 30, 16 * 60 + 30)
    moment = day.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
    return min(moment, now - dt.timedelta(hours=1))


def _repair_hours(rng: random.Random) -> float:
    draw = rng.random()
    for share, low, high in REPAIR_HOURS:
        if draw < share:
            return rng.uniform(low, high)
        draw -= share
    low, high = REPAIR_HOURS[-1][1:]
    return rng.uniform(low, high)


def _under_warranty(candidate: RepairCandidate, at: dt.datetime) -> bool:
    return candidate.warranty_end is not None and candidate.warranty_end >= at.date()


def _supplier_reference(rng: random.Random, candidate: RepairCandidate) -> str:
    prefix = SUPPLIER_CASE.get(candidate.manufacturer.strip().lower(), "Supplier case")
    return f"{prefix} {rng.randrange(10**9, 10**10)}"


def _work(
    rng: random.Random,
    *,
    story: Story,
    reported: dt.datetime,
    hours: float,
    waiting: bool,
    claim: bool,
) -> tuple[PlannedStep, ...]:
    """Return the work entries of a ticket resolved ``hours`` after it was reported."""
    resolved = reported + dt.timedelta(hours=hours)
    done = PlannedStep(
        resolved,
        RepairStatus.RESOLVED,
        minutes=rng.randrange(30, 150),
        parts=story.parts,
        note=story.fix + (" Under warranty, by the supplier." if claim else ""),
    )
    if hours <= 8:
        return (done,)
    looked = reported + dt.timedelta(hours=hours * rng.uniform(0.04, 0.2))
    steps = [
        PlannedStep(
            looked,
            RepairStatus.IN_PROGRESS,
            minutes=rng.randrange(20, 75),
            note="Checked at the office: fault confirmed.",
        )
    ]
    if waiting:
        ordered = "Claim sent to the supplier." if claim else f"Ordered: {story.parts or 'parts'}."
        steps.append(
            PlannedStep(
                looked + dt.timedelta(hours=rng.uniform(1, 6)),
                RepairStatus.WAITING_PARTS,
                note=ordered,
            )
        )
        steps.append(
            PlannedStep(
                reported + dt.timedelta(hours=hours * rng.uniform(0.75, 0.92)),
                RepairStatus.IN_PROGRESS,
                note="Parts arrived.",
            )
        )
    return (*steps, done)


def repair_plan(
    candidates: Iterable[RepairCandidate],
    *,
    now: dt.datetime,
    seed: int = SEED,
    board_swap: tuple[int, dt.datetime] | None = None,
    resolved: int = RESOLVED_TICKETS,
    claims: int = WARRANTY_CLAIMS,
    repeats: int = REPEAT_FAILURES,
) -> list[PlannedTicket]:
    """Return the demo's repair tickets of the last year, oldest first. Pure and deterministic.

    - each asset in repair: an open ticket of the last weeks (open, in progress or waiting for
      parts), its fault from why it went to repair; the first under warranty is a claim;
    - ``resolved`` tickets on deployed assets (each its own asset, of the categories in
      CATEGORY_WEIGHTS' shares), resolved in hours to weeks (REPAIR_HOURS), the longest after
      waiting for parts; up to ``claims`` of those under warranty are warranty claims;
    - ``repeats`` of those assets fail again, the same way, within 90 days of the first;
    - ``board_swap`` (asset, first reading of the new board): the printer's formatter board
      replaced, resolved just before that reading;
    - two open tickets on deployed assets that can still be used (no status changes).
    """
    rng = random.Random(f"repairs:{seed}")  # noqa: S311 (a demo, not a secret)
    ordered = sorted(candidates, key=lambda c: c.tag)
    swapped = board_swap[0] if board_swap else None
    in_repair = [c for c in ordered if c.status == AssetStatus.IN_REPAIR]
    pools: dict[str, list[RepairCandidate]] = {}
    for candidate in ordered:
        if candidate.status == AssetStatus.DEPLOYED and candidate.asset_id != swapped:
            pools.setdefault(candidate.category, []).append(candidate)
    for pool in pools.values():
        rng.shuffle(pool)

    def draw() -> RepairCandidate | None:
        categories = [c for c in CATEGORY_WEIGHTS if pools.get(c)]
        if not categories:
            return None
        category = rng.choices(categories, [CATEGORY_WEIGHTS[c] for c in categories])[0]
        return pools[category].pop()

    plan: list[PlannedTicket] = []
    claimed = False
    for number, candidate in enumerate(in_repair):
        fault = next(
            (f for word, f in REASON_FAULTS if word in candidate.reason.lower()),
            FaultCategory.OTHER,
        )
        description = candidate.reason.split(":", 1)[-1].strip() or "Out of order."
        reported = _office_time(rng, days_ago=rng.uniform(2, 25), now=now)
        claim = not claimed and _under_warranty(candidate, reported)
        claimed = claimed or claim
        steps = []
        if number % 3:
            looked = reported + dt.timedelta(hours=rng.uniform(2, 30))
            steps.append(
                PlannedStep(
                    looked,
                    RepairStatus.IN_PROGRESS,
                    minutes=rng.randrange(30, 90),
                    note="Taken to the regional workshop.",
                )
            )
            if number % 3 == 2 or claim:
                steps.append(
                    PlannedStep(
                        looked + dt.timedelta(hours=rng.uniform(1, 20)),
                        RepairStatus.WAITING_PARTS,
                        note="Claim sent to the supplier." if claim else "Parts ordered.",
                    )
                )
        plan.append(
            PlannedTicket(
                asset_id=candidate.asset_id,
                fault=fault,
                reported_at=reported,
                description=description[:1].upper() + description[1:] + ".",
                reported_by=rng.choice(REPORTERS),
                warranty_claim=claim,
                supplier_reference=_supplier_reference(rng, candidate) if claim else "",
                steps=tuple(s for s in steps if s.at < now),
            )
        )

    base: list[tuple[RepairCandidate, Story, PlannedTicket]] = []
    for _number in range(resolved):
        candidate = draw()
        if candidate is None:
            break
        story = rng.choice(STORIES[candidate.category])
        hours = _repair_hours(rng)
        reported = _office_time(rng, days_ago=rng.uniform(hours / 24 + 2, REPAIR_DAYS), now=now)
        claim = claims > 0 and _under_warranty(candidate, reported) and rng.random() < 0.4
        if claim:
            claims -= 1
            hours = rng.uniform(*CLAIM_HOURS)
            reported = _office_time(rng, days_ago=rng.uniform(hours / 24 + 2, REPAIR_DAYS), now=now)
        ticket = PlannedTicket(
            asset_id=candidate.asset_id,
            fault=story.fault,
            reported_at=reported,
            description=story.description,
            reported_by=rng.choice(REPORTERS),
            stops_work=story.stops_work,
            warranty_claim=claim,
            supplier_reference=_supplier_reference(rng, candidate) if claim else "",
            steps=_work(
                rng,
                story=story,
                reported=reported,
                hours=hours,
                waiting=claim or hours >= WAITING_FROM_HOURS,
                claim=claim,
            ),
        )
        base.append((candidate, story, ticket))
        plan.append(ticket)

    # Failing again: soon after the first repair, well within 90 days of the first report.
    again = [
        (candidate, story, ticket)
        for candidate, story, ticket in base
        if not ticket.warranty_claim
        and ticket.resolved_at is not None
        and ticket.resolved_at - ticket.reported_at <= dt.timedelta(days=14)
        and ticket.resolved_at <= now - dt.timedelta(days=40)
    ]
    for candidate, story, first in rng.sample(again, min(repeats, len(again))):
        assert first.resolved_at is not None
        gap = rng.uniform(5, 30)
        hours = rng.uniform(3, 72)
        reported = _office_time(
            rng, days_ago=(now - first.resolved_at).total_seconds() / 86400 - gap, now=now
        )
        if reported <= first.resolved_at:
            reported = first.resolved_at + dt.timedelta(days=gap)
        plan.append(
            PlannedTicket(
                asset_id=candidate.asset_id,
                fault=story.fault,
                reported_at=reported,
                description=f"Again: {story.description[:1].lower()}{story.description[1:]}",
                reported_by=first.reported_by,
                stops_work=story.stops_work,
                steps=_work(
                    rng, story=story, reported=reported, hours=hours, waiting=False, claim=False
                ),
            )
        )

    if board_swap is not None:
        candidate = next((c for c in ordered if c.asset_id == board_swap[0]), None)
        if candidate is not None:
            resolved_at = board_swap[1] - dt.timedelta(hours=rng.uniform(0.5, 5))
            hours = rng.uniform(48, 144)
            reported = resolved_at - dt.timedelta(hours=hours)
            claim = _under_warranty(candidate, reported)
            story = Story(
                FaultCategory.OTHER,
                "Stops answering and prints garbage after a few pages.",
                "Formatter board",
                "Replaced the formatter board: the page counter starts again at 0.",
            )
            plan.append(
                PlannedTicket(
                    asset_id=candidate.asset_id,
                    fault=story.fault,
                    reported_at=reported,
                    description=story.description,
                    reported_by=rng.choice(REPORTERS),
                    warranty_claim=claim,
                    supplier_reference=_supplier_reference(rng, candidate) if claim else "",
                    steps=_work(
                        rng, story=story, reported=reported, hours=hours, waiting=True, claim=claim
                    ),
                )
            )

    # Open, while the device can still be used.
    for category, story, stage in (
        ("printer", STORIES["printer"][1], RepairStatus.IN_PROGRESS),
        ("laptop", STORIES["laptop"][2], RepairStatus.WAITING_PARTS),
    ):
        if not pools.get(category):
            continue
        candidate = pools[category].pop()
        reported = _office_time(rng, days_ago=rng.uniform(3, 12), now=now)
        looked = reported + dt.timedelta(hours=rng.uniform(2, 24))
        steps = [
            PlannedStep(
                looked,
                RepairStatus.IN_PROGRESS,
                minutes=rng.randrange(20, 60),
                note="Checked at the office: it still works, the repair can wait for parts.",
            )
        ]
        if stage == RepairStatus.WAITING_PARTS:
            steps.append(
                PlannedStep(
                    looked + dt.timedelta(hours=1),
                    RepairStatus.WAITING_PARTS,
                    note=f"Ordered: {story.parts}.",
                )
            )
        plan.append(
            PlannedTicket(
                asset_id=candidate.asset_id,
                fault=story.fault,
                reported_at=reported,
                description=story.description,
                reported_by=rng.choice(REPORTERS),
                stops_work=False,
                steps=tuple(s for s in steps if s.at < now),
            )
        )
    plan.sort(key=lambda ticket: (ticket.reported_at, ticket.asset_id))
    return plan


def repair_candidates() -> list[RepairCandidate]:
    """Return the assets the demo's repairs may be on: deployed at an office, or in repair
    without an open ticket; never one with an open ticket already."""
    busy = RepairTicket.objects.exclude(status__in=REPAIR_CLOSED_STATUSES).values("asset_id")
    rows = (
        Asset.objects.filter(
            status__in=(AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR),
            office__is_active=True,
            asset_model__category__code__in=list(STORIES),
        )
        .exclude(office__kind=OfficeKind.WAREHOUSE)
        .exclude(pk__in=busy)
        .values_list(
            "pk",
            "tag",
            "asset_model__category__code",
            "asset_model__manufacturer__name",
            "status",
            "warranty_end",
        )
    )
    candidates = [RepairCandidate(*row) for row in rows]
    in_repair = [c.asset_id for c in candidates if c.status == AssetStatus.IN_REPAIR]
    reasons: dict[int, str] = {}
    for asset_id, reason in (
        Asset.history.filter(id__in=in_repair, status=AssetStatus.IN_REPAIR)
        .order_by("history_date")
        .values_list("id", "history_change_reason")
    ):
        reasons[asset_id] = reason or ""
    return [
        dataclasses.replace(c, reason=reasons.get(c.asset_id, "")) if c.asset_id in reasons else c
        for c in candidates
    ]


def repair_history_add(
    *, now: dt.datetime, board_swap: tuple[int, dt.datetime] | None
) -> list[RepairTicket]:
    """Create the planned tickets through the repair services, with their past times."""
    technician = get_user_model().objects.filter(username="technician").first()
    plan = repair_plan(repair_candidates(), now=now, board_swap=board_swap)
    assets = Asset.objects.in_bulk([ticket.asset_id for ticket in plan])
    created = []
    for planned in plan:
        ticket = services.repair_ticket_open(
            asset=assets[planned.asset_id],
            by=technician,
            fault=planned.fault,
            description=planned.description,
            reported_by=planned.reported_by,
            assignee=technician,
            stops_work=planned.stops_work,
            warranty_claim=planned.warranty_claim,
            supplier_reference=planned.supplier_reference,
            reported_at=planned.reported_at,
        )
        for step in planned.steps:
            services.repair_ticket_step(
                ticket=ticket,
                by=technician,
                to_status=step.to_status or None,
                minutes=step.minutes,
                parts=step.parts,
                note=step.note,
                at=step.at,
            )
        created.append(ticket.pk)
    return list(RepairTicket.objects.filter(pk__in=created).order_by("reported_at", "pk"))


def repeat_assets(tickets: Iterable[RepairTicket], *, window_days: int = 90) -> int:
    """Return how many assets have two tickets reported within ``window_days`` of each other."""
    by_asset: dict[int, list[dt.datetime]] = {}
    for ticket in tickets:
        by_asset.setdefault(ticket.asset_id, []).append(ticket.reported_at)
    window = dt.timedelta(days=window_days)
    return sum(
        any(b - a <= window for a, b in itertools.pairwise(times))
        for times in (sorted(values) for values in by_asset.values())
    )


# --- 3. Readiness ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A service's state at one office from ``since`` until ``until`` (None: still)."""

    service: str
    state: str
    since: dt.datetime
    until: dt.datetime | None
    reason_kinds: tuple[str, ...] = ()
    asset_ids: tuple[int, ...] = ()


Stops = Mapping[int, Sequence[tuple[dt.datetime, dt.datetime | None]]]


def _device_at(
    device: readiness.DeviceState | None, *, stops: Stops, at: dt.datetime
) -> readiness.DeviceState | None:
    """Return the device as it was at ``at``: not working while a stop-work ticket was open.

    A device in repair today was deployed before the ticket that keeps it there; any other
    device keeps today's status.
    """
    if device is None or device.asset_id not in stops:
        return device
    intervals = stops[device.asset_id]
    if any(start <= at and (end is None or at < end) for start, end in intervals):
        return dataclasses.replace(device, open_repair_stops_work=True)
    if device.status == AssetStatus.IN_REPAIR:
        if any(end is None and at < start for start, end in intervals):
            return dataclasses.replace(
                device, status=AssetStatus.DEPLOYED, open_repair_stops_work=False
            )
        return device
    return dataclasses.replace(device, open_repair_stops_work=False)


def readiness_history(
    *,
    office: selectors.OfficeInputs,
    requirements: Sequence[readiness.Requirement],
    stops: Stops,
    start: dt.datetime,
    now: dt.datetime,
) -> list[Period]:
    """Return an office's readiness periods from ``start`` to now, per service. Pure.

    The office's inputs are today's; at ``start`` and at each moment a stop-work ticket of one
    of its devices opened or closed, the states are computed with the devices whose tickets
    were open then not working. A period lasts while its service's state stays; it carries the
    reasons last seen in it (as ``readiness_refresh`` keeps them). The last period of each
    service is open: the state today.
    """
    own = {device.asset_id for device in office.devices}
    moments = {start}
    for asset_id in own & set(stops):
        for opened, closed in stops[asset_id]:
            moments.update(t for t in (opened, closed) if t is not None and start < t < now)
    periods: dict[str, list[Period]] = {service: [] for service in office.services}
    for at in sorted(moments):
        results = readiness.office_readiness(
            services=office.services,
            requirements=requirements,
            devices=[_device_at(d, stops=stops, at=at) for d in office.devices],
            router=_device_at(office.router, stops=stops, at=at),
            ups=_device_at(office.ups, stops=stops, at=at),
            ups_on_battery=office.ups_on_battery,
        )
        for result in results:
            kinds = tuple(dict.fromkeys(reason.kind for reason in result.reasons))
            named = tuple(
                sorted({device.asset_id for reason in result.reasons for device in reason.devices})
            )
            history = periods[result.service]
            if history and history[-1].state == result.state:
                history[-1] = dataclasses.replace(history[-1], reason_kinds=kinds, asset_ids=named)
                continue
            if history:
                history[-1] = dataclasses.replace(history[-1], until=at)
            history.append(Period(result.service, result.state, at, None, kinds, named))
    return [period for history in periods.values() for period in history]


def readiness_history_add(*, now: dt.datetime) -> int:
    """Replace the readiness periods with 90 days replayed from the repair tickets.

    Demo backfill, run only while no period is older than a day: the periods it replaces are
    the few the repair services opened moments ago.
    """
    start = now - dt.timedelta(days=READINESS_DAYS)
    inputs = selectors.readiness_inputs()
    stops: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = {}
    for asset_id, reported_at, resolved_at, status in RepairTicket.objects.filter(
        stops_work=True, reported_at__lt=now
    ).values_list("asset_id", "reported_at", "resolved_at", "status"):
        closed = resolved_at if status in REPAIR_CLOSED_STATUSES else None
        if closed is None or closed > start:
            stops.setdefault(asset_id, []).append((reported_at, closed))
    service_ids = dict(CRService.objects.values_list("code", "pk"))
    rows = [
        ReadinessPeriod(
            office_id=office_id,
            service_id=service_ids[period.service],
            state=period.state,
            since=period.since,
            until=period.until,
            reason_kinds=list(period.reason_kinds),
            asset_ids=list(period.asset_ids),
            fingerprint=services.readiness_fingerprint(
                reason_kinds=period.reason_kinds, asset_ids=period.asset_ids
            ),
        )
        for office_id, office in inputs.offices.items()
        for period in readiness_history(
            office=office, requirements=inputs.requirements, stops=stops, start=start, now=now
        )
        if period.service in service_ids
    ]
    ReadinessPeriod.objects.all().delete()
    ReadinessPeriod.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
