"""Add the demo's deliveries: a distribution plan, transfers in every state and handover acts.

Run after ``demo_setup`` (``make run`` does both). Everything goes through
``deployments.services`` as the demo users, so each asset's timeline shows its dispatch and
receipt:

- the distribution plan of both handover sets, as the devices were placed, plus one line
  planned beyond what was delivered and the warehouse's spares left unplanned (so the plan
  page shows an under-allocation and an office still waiting);
- a transfer received in full at the Khujand office (the demo office head's) with its act
  signed (a generated image stands in for the signed paper scan);
- a transfer to a GBAO office received with one device missing, its act still a draft;
- a transfer on its way to a Khatlon office, and a draft transfer being filled;
- acts for the devices already at three Dushanbe offices, in Tajik, Russian and English, two
  signed; one signed act has a correction in preparation.

Like ``demo_setup`` it refuses to run with DEBUG off unless --force is given, and it adds
nothing when the register already holds a transfer.
"""

from __future__ import annotations

import io
import time
from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from deployments import services
from deployments.choices import ItemOutcome
from deployments.models import DistributionPlanLine, HandoverAct, Transfer
from deployments.services import ItemCheck
from inventory.choices import AssetStatus, Zone
from inventory.models import Asset, Office

REFUSAL = (
    "Refusing to create demo deliveries: DEBUG is off, so this looks like a production "
    "install. Run it with DEBUG=1, or pass --force if this really is a demo or test machine."
)
WAREHOUSE = "WH-DUS"
SIGNED_FOR = "CR-SU-KHU"  # the demo office head's office
PARTLY_RECEIVED_AT = "CR-GB-ISH"
ON_THE_WAY_TO = "CR-KH-KUL"
DRAFT_TO = "CR-RR-HIS"
OFFICE_ACTS = (("CR-DU-FIR", "tg", True), ("CR-DU-ISM", "ru", True), ("CR-DU-SHO", "en", False))


def scan_image(*, number: str) -> SimpleUploadedFile:
    """Return a PNG standing in for the photographed signed act (demo only)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 600, 857), outline=0, width=3)
    draw.text((60, 80), f"{number}", fill=0)
    draw.text((60, 120), "Signed copy (demo scan)", fill=0)
    draw.line((60, 760, 280, 740), fill=0, width=3)
    draw.line((340, 760, 560, 745), fill=0, width=3)
    draw.ellipse((420, 640, 540, 760), outline=80, width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{number}-scan.png", buffer.getvalue(), content_type="image/png")


class Command(BaseCommand):
    help = "Add demo deliveries: plan, transfers and handover acts (after demo_setup)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (demo machines only)."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(REFUSAL)
        if Transfer.objects.exists() or HandoverAct.objects.exists():
            self.stdout.write("The register already holds deliveries: no demo deliveries added.")
            return
        users = get_user_model().objects.in_bulk(
            ["logistics", "officehead", "technician"], field_name="username"
        )
        if len(users) < 3 or not Asset.objects.exists():
            raise CommandError("Run demo_setup first: the demo users and devices are missing.")
        started = time.monotonic()
        with transaction.atomic():
            offices = Office.objects.in_bulk(
                [WAREHOUSE, SIGNED_FOR, PARTLY_RECEIVED_AT, ON_THE_WAY_TO, DRAFT_TO]
                + [code for code, *_ in OFFICE_ACTS],
                field_name="code",
            )
            stock = list(
                Asset.objects.filter(office=offices[WAREHOUSE], status=AssetStatus.IN_STOCK)
                .select_related("asset_model__category")
                .order_by("asset_model__category__sort_order", "tag")
            )
            # Spread the categories over the shipments: every third spare stays in stock.
            shipped = [asset for n, asset in enumerate(stock) if n % 3 != 2]
            batches = [shipped[0:4], shipped[4:8], shipped[8:11], shipped[11:14]]
            self._transfers(users=users, offices=offices, batches=batches)
            self._office_acts(users=users, offices=offices)
            lines = self._plan(by=users["logistics"])
        self.stdout.write(
            f"Demo deliveries: {Transfer.objects.count()} transfers, "
            f"{HandoverAct.objects.count()} handover acts, {lines} plan lines "
            f"in {time.monotonic() - started:.1f} s."
        )

    def _details(self, *, giver, receiver_name: str, receiver_position: str, language: str):
        return {
            "language": language,
            "act_date": timezone.localdate(),
            "giver_name": giver.get_full_name(),
            "giver_position": giver.scope.position,
            "receiver_name": receiver_name,
            "receiver_position": receiver_position,
        }

    def _transfers(self, *, users, offices, batches) -> None:
        officer, head, technician = users["logistics"], users["officehead"], users["technician"]
        warehouse = offices[WAREHOUSE]
        plans = (
            (SIGNED_FOR, Zone.BACK_OFFICE, "Sughd regional courier"),
            (PARTLY_RECEIVED_AT, Zone.FRONT_OFFICE, "Pamir road transport, truck 4417"),
            (ON_THE_WAY_TO, Zone.FRONT_OFFICE, "Khatlon regional courier"),
            (DRAFT_TO, Zone.BACK_OFFICE, ""),
        )
        made = []
        for (code, zone, carrier), batch in zip(plans, batches, strict=True):
            transfer = services.transfer_create(
                by=officer,
                origin=warehouse,
                destination=offices[code],
                destination_zone=zone,
                carrier=carrier,
            )
            services.transfer_add_assets(
                transfer=transfer, by=officer, codes=[asset.tag for asset in batch]
            )
            made.append((transfer, batch))
        for transfer, _batch in made[:3]:
            services.transfer_dispatch(transfer=transfer, by=officer)

        full, full_batch = made[0]
        services.transfer_receive(
            transfer=full,
            by=head,
            checks={asset.pk: ItemCheck(ItemOutcome.RECEIVED) for asset in full_batch},
        )
        act = services.handover_act_for_transfer(
            transfer=full,
            by=officer,
            **self._details(
                giver=officer,
                receiver_name=head.get_full_name(),
                receiver_position=head.scope.position,
                language="tg",
            ),
            place="Хуҷанд",
        )
        services.handover_act_sign(act=act, by=head, upload=scan_image(number=act.number))

        partly, partly_batch = made[1]
        checks = {asset.pk: ItemCheck(ItemOutcome.RECEIVED) for asset in partly_batch}
        checks[partly_batch[-1].pk] = ItemCheck(
            ItemOutcome.MISSING, "Not in the delivery; the driver will check the depot."
        )
        checks[partly_batch[0].pk] = ItemCheck(ItemOutcome.DAMAGED, "Box crushed, screen cracked")
        services.transfer_receive(transfer=partly, by=technician, checks=checks)
        services.handover_act_for_transfer(
            transfer=partly,
            by=officer,
            **self._details(
                giver=officer,
                receiver_name="Mirzo Davlatov",
                receiver_position="Head of the Ishkoshim CR office",
                language="ru",
            ),
            place="Ишкашим",
        )

    def _office_acts(self, *, users, offices) -> None:
        officer = users["logistics"]
        receivers = {
            "CR-DU-FIR": ("Рустам Саидов", "Сардори шуъбаи САҲШ-и ноҳияи Фирдавсӣ"),
            "CR-DU-ISM": ("Гулнора Ашурова", "Начальник отдела ЗАГС района Исмоили Сомони"),
            "CR-DU-SHO": ("Parviz Yusupov", "Head of the Shohmansur CR office"),
        }
        signed = []
        for code, language, sign in OFFICE_ACTS:
            name, position = receivers[code]
            act = services.handover_act_for_office(
                office=offices[code],
                by=officer,
                **self._details(
                    giver=officer, receiver_name=name, receiver_position=position, language=language
                ),
                place="Душанбе" if language != "en" else "Dushanbe",
            )
            if sign:
                services.handover_act_sign(
                    act=act, by=officer, upload=scan_image(number=act.number)
                )
                signed.append(act)
        services.handover_act_correct(act=signed[0], by=officer)

    def _plan(self, *, by) -> int:
        """Plan what was placed and what is on its way, and one delivery still to make."""
        placed = Counter(
            Asset.objects.filter(
                status__in=[AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR],
                handover_set__isnull=False,
                office__kind__in=["district_office", "city_office", "archive"],
            ).values_list("handover_set_id", "office_id", "asset_model__category_id")
        )
        on_the_way = Counter(
            Asset.objects.filter(
                status=AssetStatus.IN_TRANSIT,
                handover_set__isnull=False,
                transfer_items__is_open=True,
            ).values_list(
                "handover_set_id",
                "transfer_items__transfer__destination_id",
                "asset_model__category_id",
            )
        )
        drafts = Counter(
            Asset.objects.filter(
                transfer_items__transfer__status="draft", handover_set__isnull=False
            ).values_list(
                "handover_set_id",
                "transfer_items__transfer__destination_id",
                "asset_model__category_id",
            )
        )
        wanted = placed + on_the_way + drafts
        # One office still waits for a laptop nobody has sent yet.
        waiting = next(iter(sorted(key for key in wanted)))
        wanted[waiting] += 1
        by_set: dict[int, dict[tuple[int, int], int]] = {}
        for (set_id, office_id, category_id), quantity in wanted.items():
            by_set.setdefault(set_id, {})[(office_id, category_id)] = quantity
        from inventory.models import HandoverSet

        for handover_set in HandoverSet.objects.filter(pk__in=list(by_set)):
            services.plan_save(
                handover_set=handover_set,
                quantities=by_set[handover_set.pk],
                by=by,
                reason="Demo plan",
            )
        return DistributionPlanLine.objects.count()
