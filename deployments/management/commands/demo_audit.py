"""Add the demo's audit: a sampled verification campaign about half done.

Run after ``demo_setup`` and ``demo_deployments`` (``make run`` does all three). As the demo
auditor it draws “Spot check, November 2026”: 60 assets of both March 2024 handover sets,
stratified by region and category from the fixed seed 20261127, so the draw is the same on
every fresh demo database. About half the drawn assets are then verified, through
``deployments.services`` like on a phone: mostly found, two not found, one with a serial that
differs from the register, and one found at another office, which proposes a move for the
logistics officer. The checklist of a Sughd or GBAO office goes to the demo technician, who
verifies it.

Like ``demo_setup`` it refuses to run with DEBUG off unless --force is given, and it adds
nothing when a campaign already exists.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from deployments import services
from deployments.choices import AssetCondition, CampaignMethod, VerificationOutcome
from deployments.models import (
    CampaignAsset,
    CampaignChecklist,
    MoveProposal,
    Transfer,
    Verification,
    VerificationCampaign,
)
from inventory.models import HandoverSet, Office

REFUSAL = (
    "Refusing to create the demo audit: DEBUG is off, so this looks like a production "
    "install. Run it with DEBUG=1, or pass --force if this really is a demo or test machine."
)
NAME = "Spot check, November 2026"
SAMPLE_SIZE = 60
SEED = 20261127
SETS = ("HS-2024-01", "HS-2024-02")
TECHNICIAN_REGIONS = ("SU", "GB")
# Positions (in the order of the verified assets) of the checks that find something wrong.
NOT_FOUND_AT = (5, 17)
MISMATCH_AT = 9
ELSEWHERE_AT = 13
DAMAGED_AT = (21,)


class Command(BaseCommand):
    help = "Add the demo audit: a sampled campaign half verified (after demo_deployments)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (demo machines only)."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(REFUSAL)
        if VerificationCampaign.objects.exists():
            self.stdout.write("The register already holds a campaign: no demo audit added.")
            return
        users = get_user_model().objects.in_bulk(["auditor", "technician"], field_name="username")
        sets = list(HandoverSet.objects.filter(code__in=SETS))
        if len(users) < 2 or len(sets) < len(SETS):
            raise CommandError(
                "Run demo_setup first: the demo users and handover sets are missing."
            )
        if not Transfer.objects.exists():
            raise CommandError("Run demo_deployments first: the demo deliveries are missing.")
        started = time.monotonic()
        auditor, technician = users["auditor"], users["technician"]
        with transaction.atomic():
            campaign = services.campaign_create(
                by=auditor,
                name=NAME,
                method=CampaignMethod.SAMPLE,
                sample_size=SAMPLE_SIZE,
                seed=SEED,
                handover_sets=sets,
                notes="Demo: the donors' spot check of the March 2024 handover sets.",
            )
            technician_list = self._assign(campaign=campaign, auditor=auditor, tech=technician)
            verified = self._verify(
                campaign=campaign, auditor=auditor, tech=technician, tech_list=technician_list
            )
        self.stdout.write(
            f"Demo audit: {campaign.number} “{NAME}”, {campaign.items.count()} assets drawn "
            f"(seed {SEED}), {verified} verified, "
            f"{MoveProposal.objects.filter(verification__campaign=campaign).count()} move "
            f"proposed, in {time.monotonic() - started:.1f} s."
        )

    def _assign(self, *, campaign, auditor, tech) -> CampaignChecklist | None:
        """Give the technician the largest checklist in their regions; the auditor the rest."""
        checklists = list(
            CampaignChecklist.objects.filter(campaign=campaign)
            .select_related("office__region")
            .order_by("office__code")
        )
        theirs = [c for c in checklists if c.office.region.code in TECHNICIAN_REGIONS]
        chosen = max(theirs, key=lambda c: (c.items.count(), c.office.code), default=None)
        for checklist in checklists:
            services.checklist_assign(
                checklist=checklist, assignee=tech if checklist == chosen else auditor, by=auditor
            )
        return chosen

    def _verify(self, *, campaign, auditor, tech, tech_list) -> int:
        items = list(
            CampaignAsset.objects.filter(campaign=campaign)
            .select_related("asset__office", "checklist")
            .order_by(
                "checklist__office__region__sort_order", "checklist__office__code", "asset__tag"
            )
        )
        chosen = [item for index, item in enumerate(items) if index % 2 == 0]
        for position, item in enumerate(chosen):
            asset = item.asset
            by = tech if tech_list is not None and item.checklist_id == tech_list.pk else auditor
            details = {
                "outcome": VerificationOutcome.FOUND,
                "serial_read": asset.serial,
                "condition": AssetCondition.WORKING,
                "zone": asset.zone,
            }
            if position in NOT_FOUND_AT:
                details = {
                    "outcome": VerificationOutcome.NOT_FOUND,
                    "note": "Not in the office; the head says it was lent to the district.",
                }
            elif position == MISMATCH_AT:
                details["serial_read"] = asset.serial[:-2] + (
                    "00" if asset.serial[-2:] != "00" else "11"
                )
                details["note"] = "Label re-typed by hand at delivery?"
            elif position == ELSEWHERE_AT:
                elsewhere = (
                    Office.objects.filter(region_id=asset.office.region_id, is_active=True)
                    .exclude(pk=asset.office_id)
                    .exclude(kind="warehouse")
                    .order_by("code")
                    .first()
                )
                if elsewhere is not None:
                    details.update(
                        outcome=VerificationOutcome.FOUND_ELSEWHERE,
                        found_office=elsewhere,
                        note="Moved next door when the office was renovated.",
                    )
            elif position in DAMAGED_AT:
                details["condition"] = AssetCondition.DAMAGED
                details["note"] = "Cracked casing, still prints."
            services.verification_record(by=by, asset=asset, campaign=campaign, **details)
        return Verification.objects.filter(campaign=campaign).count()
