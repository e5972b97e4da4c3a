"""Spreadsheet imports: read a file, preview every row's outcome, then write all rows or none.

A kind of import (assets, offices, asset models, plan lines, …) is an ``ImportKind``: the
columns it reads (with their header aliases in English, Russian and Tajik), a
django-import-export resource that cleans, matches and saves rows, and the permission it
needs. Apps register their kinds in ``AppConfig.ready``; this module knows none of them.

The flow is the same for the web pages and ``manage.py import_assets``:
``import_run(kind=…, file=…, dry_run=True)`` is the preview (nothing written), and
``dry_run=False`` writes in one transaction, only when no row has an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import tablib
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from inventory.spreadsheets import Column, SpreadsheetError, sheet_read

ROW_NUMBER = "__row__"

OUTCOME_NEW = "new"
OUTCOME_UPDATE = "update"
OUTCOME_UNCHANGED = "unchanged"
OUTCOME_ERROR = "error"


def column_labels(label) -> tuple[str, ...]:
    """Return a (lazy) label as it reads in every interface language, for header matching."""
    spellings = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            spellings.append(str(label))
    return tuple(dict.fromkeys(spellings))


def column(key: str, label, *aliases: str, required: bool = False) -> Column:
    """Return a Column that also answers to its label in every interface language."""
    return Column(
        key=key, label=label, aliases=column_labels(label) + tuple(aliases), required=required
    )


@dataclass(frozen=True)
class ImportKind:
    """One kind of spreadsheet import."""

    key: str
    label: object  # lazy translated name, e.g. "Assets"
    columns: tuple[Column, ...]
    resource_factory: Callable[..., object]  # (user=…, filename=…) -> resource
    permission: str
    list_url_name: str
    example_row: dict[str, object] = field(default_factory=dict)
    # column key -> callable returning the allowed values, for drop-down lists in templates
    choices: dict[str, Callable[[], list[str]]] = field(default_factory=dict)

    def column_for(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


IMPORT_KINDS: dict[str, ImportKind] = {}


def import_kind_register(kind: ImportKind) -> None:
    """Make a kind of import available to the import pages and commands."""
    IMPORT_KINDS[kind.key] = kind


@dataclass(frozen=True)
class CellError:
    column: str  # the column's label, or "" for the whole row
    message: str


@dataclass(frozen=True)
class Change:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class ReportRow:
    number: int
    outcome: str
    key: str
    errors: tuple[CellError, ...] = ()
    changes: tuple[Change, ...] = ()


@dataclass
class ImportReport:
    """What an import did or would do, row by row."""

    kind: str
    filename: str
    rows: list[ReportRow] = field(default_factory=list)
    file_error: str = ""
    ignored_headers: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def totals(self) -> dict[str, int]:
        counts = Counter(row.outcome for row in self.rows)
        return {
            OUTCOME_NEW: counts[OUTCOME_NEW],
            OUTCOME_UPDATE: counts[OUTCOME_UPDATE],
            OUTCOME_UNCHANGED: counts[OUTCOME_UNCHANGED],
            OUTCOME_ERROR: counts[OUTCOME_ERROR],
        }

    @property
    def ok(self) -> bool:
        return not self.file_error and not any(r.outcome == OUTCOME_ERROR for r in self.rows)

    @property
    def error_rows(self) -> list[ReportRow]:
        return [row for row in self.rows if row.outcome == OUTCOME_ERROR]

    def lines(self) -> list[str]:
        """Return the report as plain text lines, for the command line."""
        if self.file_error:
            return [self.file_error]
        totals = self.totals
        out = [
            _(
                "%(file)s: %(new)s new, %(update)s to update, %(unchanged)s unchanged, "
                "%(error)s with errors."
            )
            % {"file": self.filename, **totals}
        ]
        labels = outcome_labels()
        for row in self.rows:
            text = _("row %(number)s") % {"number": row.number}
            detail = "; ".join(
                f"{error.column}: {error.message}" if error.column else error.message
                for error in row.errors
            ) or "; ".join(f"{c.column}: {c.old} → {c.new}" for c in row.changes)
            out.append(
                f"  {text:>10}  {labels[row.outcome]:<12} {row.key}"
                + (f"  {detail}" if detail else "")
            )
        return out


def outcome_labels() -> dict[str, str]:
    return {
        OUTCOME_NEW: _("new"),
        OUTCOME_UPDATE: _("update"),
        OUTCOME_UNCHANGED: _("unchanged"),
        OUTCOME_ERROR: _("error"),
    }


def _dataset(sheet) -> tablib.Dataset:
    headers = [*sheet.columns, ROW_NUMBER]
    dataset = tablib.Dataset(headers=headers)
    for row in sheet.rows:
        dataset.append([row.values.get(key) for key in sheet.columns] + [row.number])
    return dataset


def _label(kind: ImportKind, attribute: str) -> str:
    if attribute == "__all__":
        return ""
    col = kind.column_for(attribute)
    return str(col.label) if col else attribute


def _report_rows(kind: ImportKind, result, resource) -> list[ReportRow]:
    rows: list[ReportRow] = []
    for index, row_result in enumerate(result.rows):
        values = row_result.row_values or {}
        number = values.get(ROW_NUMBER) or index + 1
        key = resource.row_key(values) if hasattr(resource, "row_key") else ""
        if row_result.validation_error is not None:
            error = row_result.validation_error
            messages = (
                [
                    CellError(_label(kind, name), str(message))
                    for name, items in error.message_dict.items()
                    for message in items
                ]
                if hasattr(error, "error_dict")
                else [CellError("", str(message)) for message in error.messages]
            )
            rows.append(ReportRow(number, OUTCOME_ERROR, key, tuple(messages)))
        elif row_result.errors:
            messages = tuple(CellError("", str(e.error)) for e in row_result.errors)
            rows.append(ReportRow(number, OUTCOME_ERROR, key, messages))
        elif row_result.import_type == "skip":
            rows.append(ReportRow(number, OUTCOME_UNCHANGED, key))
        else:
            outcome = OUTCOME_NEW if row_result.import_type == "new" else OUTCOME_UPDATE
            changes = tuple(resource.row_changes.get(number, ()))
            rows.append(ReportRow(number, outcome, key, changes=changes))
    rows.sort(key=lambda r: r.number)
    return rows


def import_run(
    *,
    kind: ImportKind,
    file: BinaryIO,
    filename: str,
    user,
    dry_run: bool,
) -> ImportReport:
    """Preview (``dry_run``) or carry out an import; nothing is written unless every row is valid.

    Whole-file problems (not a spreadsheet, too large, no known column, …) come back as
    ``report.file_error``; row problems as rows with the ``error`` outcome.
    """
    report = ImportReport(kind=kind.key, filename=filename)
    try:
        sheet = sheet_read(
            file=file,
            filename=filename,
            columns=kind.columns,
            max_bytes=settings.IMPORT_MAX_MB * 1024 * 1024,
            max_rows=settings.IMPORT_MAX_ROWS,
        )
    except SpreadsheetError as error:
        report.file_error = str(error)
        return report
    report.ignored_headers = list(sheet.ignored_headers)
    if not sheet.rows:
        report.file_error = _("The file has a header but no rows to import.")
        return report

    dataset = _dataset(sheet)
    resource = kind.resource_factory(user=user, filename=filename)
    # The preview never writes. The real run writes in one transaction, rolled back
    # whole if any row turns out to be invalid.
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        report.rows = _report_rows(kind, result, resource)
        for error in result.base_errors:
            report.file_error = str(error.error)
        if not report.ok:
            transaction.set_rollback(True)
    report.written = not dry_run and report.ok
    return report


def import_template(*, kind: ImportKind) -> bytes:
    """Return an .xlsx template: the header, drop-down lists of allowed values, one example row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(kind.label)[:31]
    lists = workbook.create_sheet(_("Lists")[:31])
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F3")
    for index, col in enumerate(kind.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=str(col.label))
        cell.font = bold
        cell.fill = fill
        example = kind.example_row.get(col.key, "")
        value_cell = sheet.cell(row=2, column=index, value=example if example != "" else None)
        if hasattr(example, "strftime"):
            value_cell.number_format = "DD.MM.YYYY"
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(str(col.label)) + 4)
        if col.key in kind.choices:
            values = kind.choices[col.key]()
            for row, value in enumerate(values, start=1):
                lists.cell(row=row, column=index, value=value)
            if values:
                source = f"{quote_sheetname(lists.title)}!${letter}$1:${letter}${len(values)}"
                validation = DataValidation(type="list", formula1=source, allow_blank=True)
                validation.error = _("Choose a value from the list.")
                validation.errorTitle = str(col.label)
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}5000")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
