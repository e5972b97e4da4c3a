"""Import assets from a spreadsheet, as the web import does: all rows or none.

    python manage.py import_assets FILE [--dry-run] [--user USERNAME]

Prints the same per-row report as the preview page and exits with status 1 when any row (or
the file) has an error; nothing is written then.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from inventory.importing import IMPORT_KINDS, import_run


class Command(BaseCommand):
    help = "Import assets from an .xlsx or .csv file (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="only report what would happen; write nothing"
        )
        parser.add_argument(
            "--user", help="username recorded in the assets' history as the importer"
        )
        parser.add_argument(
            "--kind",
            default="assets",
            choices=sorted(IMPORT_KINDS),
            help="what the file holds (default: assets)",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(_("No such user: %(user)s") % {"user": options["user"]}) from exc
        with path.open("rb") as handle:
            report = import_run(
                kind=IMPORT_KINDS[options["kind"]],
                file=handle,
                filename=path.name,
                user=user,
                dry_run=options["dry_run"],
            )
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            self.stderr.write(_("Nothing was written."))
            raise SystemExit(1)
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS(_("Written.")))
