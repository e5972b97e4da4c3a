"""Two people receiving the same transfer at once, on two database connections.

Each thread has its own connection (Django gives one per thread). Both start their receipt at
the same moment; the transfer row lock makes the second wait for the first, then see the
assets already received and refuse, naming who received them. No asset moves twice.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from deployments import services
from deployments.choices import ItemOutcome, TransferStatus
from deployments.services import ItemCheck
from inventory.choices import AssetStatus, OfficeKind, Zone
from tests.factories import OfficeFactory, make_asset, make_user

pytestmark = [
    # Committed transactions, so the two threads see each other's work. serialized_rollback
    # puts the migrations' rows (role groups) back afterwards without re-running post_migrate,
    # whose new content types would clash with the browser tests' restored copy.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite's in-memory test database has no row locks to test; CI runs PostgreSQL",
    ),
]


def test_two_simultaneous_receipts_move_each_asset_once():
    warehouse = OfficeFactory(code="WH-C", kind=OfficeKind.WAREHOUSE)
    destination = OfficeFactory(code="CR-C1")
    officer = make_user("logistics_officer", username="officer-c")
    heads = [make_user("office_head", office=destination, username=f"head-{n}") for n in range(2)]
    assets = [make_asset(status=AssetStatus.IN_STOCK, office=warehouse) for _ in range(20)]
    transfer = services.transfer_create(
        by=officer, origin=warehouse, destination=destination, destination_zone=Zone.BACK_OFFICE
    )
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[a.tag for a in assets])
    services.transfer_dispatch(transfer=transfer, by=officer)

    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    # The two receipts overlap on five assets.
    shares = {heads[0].username: assets[:15], heads[1].username: assets[10:]}

    def receive(head) -> None:
        try:
            start.wait(timeout=10)
            services.transfer_receive(
                transfer=transfer,
                by=head,
                checks={a.pk: ItemCheck(ItemOutcome.RECEIVED) for a in shares[head.username]},
            )
            outcomes[head.username] = "ok"
        except ValidationError as error:
            outcomes[head.username] = error.messages
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive, args=(head,)) for head in heads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [name for name, result in outcomes.items() if result == "ok"]
    losers = [result for result in outcomes.values() if result != "ok"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1
    assert sorted(m.split(" ")[0] for m in losers[0]) == [a.tag for a in assets[10:15]]
    assert all(f"was already received by {winners[0]} at " in m for m in losers[0])

    # The refused receipt wrote nothing: only the winner's share arrived.
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTLY_RECEIVED
    arrived = {a.pk for a in shares[winners[0]]}
    for asset in assets:
        asset.refresh_from_db()
        expected = AssetStatus.DEPLOYED if asset.pk in arrived else AssetStatus.IN_TRANSIT
        assert asset.status == expected
        # Never two receipts in one asset's history.
        reasons = list(asset.history.values_list("history_change_reason", flat=True))
        assert sum(r.startswith("Received on transfer") for r in reasons) == (asset.pk in arrived)
