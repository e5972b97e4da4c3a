"""Exports of list pages: the rows and columns a table shows, as .xlsx and .csv, streamed.

A list view gets exports from ``ListExportMixin`` (``ListPageMixin`` includes it): the page's own
URL with ``_export=xlsx`` or ``_export=csv`` added answers with every row its filters and sort
select, over all pages, in the columns, order and headers the table shows, in the user's
language. The template shows the links with ``{% include "includes/export_links.html" %}``.

- Rows are the view's FilterSet ``.qs`` (already scoped to the user) in the table's order, read
  with ``QuerySet.iterator(chunk_size=…)``, so memory and the number of queries do not grow
  with the rows (``select_related`` still applies; ``prefetch_related`` works per chunk).
- Cells come from the table's columns: ``value_<column>`` on the table when it has one (typed
  values: Decimal, date, int), else ``render_<column>``, else the column's own value. Markup is
  stripped and related rows become their text.
- .xlsx (openpyxl write-only) is written to a temporary file and streamed from disk; .csv
  (UTF-8 with BOM, no title row, so it can be imported again) is generated row by row.
- Text a spreadsheet would read as a formula is neutralised in both (``cell_neutralise``).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import inspect
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partialmethod
from itertools import chain, islice
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.html import strip_tags
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeData
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tables2 import A, Column, ManyToManyColumn, RequestConfig
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.rows import BoundRow
from django_tables2.utils import signature
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# The query-string parameter that asks a list page for an export instead of HTML.
EXPORT_PARAM = "_export"
XLSX = "xlsx"
CSV = "csv"
EXPORT_LABELS = {XLSX: gettext_lazy("Excel (.xlsx)"), CSV: gettext_lazy("CSV")}
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
}
# Rows fetched from the database at a time: memory stays flat, queries stay few.
CHUNK_SIZE = 2_000
# Text starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel number formats. Money in the register is in US dollars; a table may name another
# format for a Decimal column in ``export_number_formats``.
MONEY_FORMAT = '#,##0.00 "USD"'
DATE_FORMAT = "dd.mm.yyyy"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
# Column widths (in characters) come from the header and the first rows, within these bounds.
WIDTH_SAMPLE_ROWS = 100
WIDTH_MIN = 6
WIDTH_MAX = 50
# Most distinct related rows (offices, regions…) whose names an export keeps while it runs.
NAME_CACHE_SIZE = 5_000
# Rows of CSV sent to the client at a time.
CSV_ROWS_PER_CHUNK = 500
# Characters an .xlsx sheet name may not contain.
_SHEET_NAME_FORBIDDEN = str.maketrans("", "", "[]:*?/\\")


def cell_neutralise(value: object) -> object:
    """Return ``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Numbers, dates and other non-text values are returned unchanged, negative numbers included.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_plain(value: object) -> object:
    """Return a cell's value as an export keeps it: typed values as they are, others as text.

    ``None`` stays empty; numbers, dates and times stay typed; booleans become yes/no in the
    active language; rendered markup loses its tags; model instances and lazy text become text.
    """
    if type(value) is str:  # the common case first: this runs for every cell
        return value
    if value is None or isinstance(value, str | int | float | Decimal | dt.date | dt.time):
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, SafeData):
            return html.unescape(strip_tags(value))
        return value
    if isinstance(value, Model):
        return str(value)
    text = force_str(value)
    return html.unescape(strip_tags(text)) if isinstance(text, SafeData) else text


def local_naive(value: dt.datetime) -> dt.datetime:
    """Return ``value`` in the project's time zone without tzinfo (spreadsheets have no zones)."""
    if timezone.is_aware(value):
        value = value.astimezone(ZoneInfo(settings.TIME_ZONE))
    return value.replace(tzinfo=None)


@dataclass(frozen=True)
class ExportColumn:
    """One exported column: the table column's name, its header and its Excel number format."""

    name: str
    header: str
    number_format: str | None = None


@dataclass(frozen=True)
class ExportHeading:
    """What the title row of a spreadsheet says: what, when, by whom, which filters and sort."""

    title: str
    exported_at: dt.datetime
    exported_by: str
    filters: tuple[tuple[str, str], ...] = ()
    sorted_by: tuple[str, ...] = ()

    def text(self) -> str:
        """Return the heading as one line of text in the active language."""
        when = timezone.localtime(self.exported_at, ZoneInfo(settings.TIME_ZONE))
        parts = [
            _("%(title)s, exported on %(when)s by %(who)s")
            % {
                "title": self.title,
                "when": when.strftime("%d.%m.%Y %H:%M"),
                "who": self.exported_by,
            }
        ]
        if self.filters:
            words = "; ".join(
                _("%(filter)s: %(value)s") % {"filter": label, "value": value}
                for label, value in self.filters
            )
            parts.append(_("Filters: %(filters)s") % {"filters": words})
        else:
            parts.append(_("No filters: every row you may see"))
        if self.sorted_by:
            parts.append(_("Sorted by %(columns)s") % {"columns": ", ".join(self.sorted_by)})
        return ". ".join(parts) + "."


def export_columns(table) -> list[ExportColumn]:
    """Return the table's columns as the page shows them, minus those excluded from export."""
    formats = getattr(table, "export_number_formats", {})
    return [
        ExportColumn(
            name=column.name,
            header=html.unescape(strip_tags(force_str(column.header))),
            number_format=formats.get(column.name),
        )
        for column in table.columns  # the visible columns, in the table's sequence
        if not column.column.exclude_from_export
    ]


def export_records(table) -> Iterator[Any]:
    """Yield the table's records in its order, all pages, a chunk of rows at a time."""
    data = table.data.data  # the ordered queryset (or list) behind the table
    if isinstance(data, QuerySet):
        return _prefetched(data).iterator(chunk_size=CHUNK_SIZE)
    return iter(data)


def _related_paths(tree: dict, prefix: str = "") -> list[str]:
    paths = []
    for name, subtree in tree.items():
        path = f"{prefix}{name}"
        paths.append(path)
        paths += _related_paths(subtree, f"{path}__")
    return paths


def _prefetched(queryset: QuerySet) -> QuerySet:
    """Fetch the rows' related objects once per chunk instead of joining them on every row.

    A list's few offices, models and regions come back on row after row: joined, each row
    builds its own copies (most of an export's ORM time); prefetched per chunk of
    ``CHUNK_SIZE`` rows, each is built once per chunk. Sorting by a related column still
    joins in the main query.
    """
    tree = queryset.query.select_related
    if not isinstance(tree, dict) or not tree:
        return queryset
    return queryset.select_related(None).prefetch_related(*_related_paths(tree))


def _is_field_path(model: type[Model], bits: Sequence[str]) -> bool:
    """Return whether ``bits`` walks ``model``'s concrete fields and forward links only."""
    for index, bit in enumerate(bits):
        try:
            field = model._meta.get_field(bit)
        except FieldDoesNotExist:
            return False
        if not field.concrete or field.many_to_many:
            return False
        if field.is_relation:
            model = field.related_model
        elif index != len(bits) - 1:
            return False
    return True


class CellReader:
    """Read one column's export value from a record, as ``BoundRow.get_cell_value`` does.

    django-tables2 3.0 works each cell out from scratch: it inspects the value function's
    signature, looks the model field up and rebuilds the choices of ``get_FOO_display()`` on
    every call, about 1 ms a row. This does that work once per column and then follows the same
    steps for each record: the choice label when the accessor ends in a field with choices, else
    the accessor resolved (callables called, a missing link giving an empty cell), empty values
    as ``None``, then ``value_<column>`` / ``render_<column>`` / ``Column.value`` with the
    arguments it asks for. Link and many-to-many columns, and records that are not model
    instances, take ``BoundRow.get_cell_value`` itself.
    """

    def __init__(self, table, name: str, model: type[Model] | None):
        bound_column = table.columns[name]
        column = bound_column.column
        self.name = name
        self.table = table
        self.bound_column = bound_column
        self.column = column
        self.empty_values = column.empty_values
        self.accessor = A(bound_column.accessor)
        self.bits = tuple(self.accessor.bits)
        self.by_bound_row = (
            model is None or not self.bits or isinstance(column, BaseLinkColumn | ManyToManyColumn)
        )
        function = bound_column.value
        if getattr(function, "__func__", None) is Column.value and (
            type(column).render is Column.render
        ):
            self.function = None  # Column.value returns Column.render(value), i.e. the value
        else:
            arguments, catch_all = signature(function)
            self.function = function
            self.arguments = None if catch_all else frozenset(arguments)
        # A field with choices shows its label, as get_FOO_display() gives it.
        self.labels: dict | None = None
        field = None if self.by_bound_row else self.accessor.get_field(model)
        if field is not None and getattr(field, "choices", None) and self.bits:
            self.labels = {
                make_hashable(key): force_str(label, strings_only=True)
                for key, label in field.flatchoices
            }
            self.attname = field.attname
            self.display_name = f"get_{self.bits[-1]}_display"
            self._display_kinds: dict[type, str | None] = {}
        # Where every step is a concrete field (no method or property to call), one attrgetter
        # follows the path; a link that is None on the way raises, and gives an empty cell.
        path = self.bits[:-1] if self.labels is not None else self.bits
        self.getter = (
            attrgetter(".".join(path))
            if not self.by_bound_row and path and _is_field_path(model, path)
            else None
        )

    def _resolve(self, current, bits: tuple[str, ...]):
        """Follow ``bits`` from ``current`` like Accessor.resolve; model steps go direct."""
        for index, bit in enumerate(bits):
            if not isinstance(current, Model):  # dicts, lists…: the accessor's own rules
                rest = A(
                    A.SEPARATOR.join(bits[index:]),
                    self.accessor.callable_args,
                    self.accessor.callable_kwargs,
                )
                return rest.resolve(current)
            current = getattr(current, bit)
            if callable(current):
                if getattr(current, "alters_data", False):
                    raise ValueError(f"Refusing to call {bit}() because `.alters_data = True`")
                if not getattr(current, "do_not_call_in_templates", False):
                    current = current(*self.accessor.callable_args, **self.accessor.callable_kwargs)
            if current is None:
                break
        return current

    def _display_kind(self, owner_class: type) -> str | None:
        """Return how ``owner_class`` shows the field's label: "labels", "own" or None."""
        kind = self._display_kinds.get(owner_class, "")
        if kind == "":
            # Django puts a partialmethod there; a model may define its own instead.
            declared = inspect.getattr_static(owner_class, self.display_name, None)
            if declared is None:
                kind = None
            else:
                kind = "labels" if isinstance(declared, partialmethod) else "own"
            self._display_kinds[owner_class] = kind
        return kind

    def read(self, record, row: BoundRow):
        """Return the column's value for ``record``, whose ``BoundRow`` is ``row``."""
        if self.by_bound_row or not isinstance(record, Model):
            return row.get_cell_value(self.name)
        kind = None
        if self.labels is not None:
            try:
                owner = (
                    self.getter(record) if self.getter else self._resolve(record, self.bits[:-1])
                )
            except Exception:  # as Accessor.penultimate(quiet=True)
                owner = None
            if isinstance(owner, Model):
                kind = self._display_kind(type(owner))
        if kind == "labels":
            raw = getattr(owner, self.attname)
            try:
                value = self.labels.get(raw, raw)
            except TypeError:  # an unhashable value
                value = self.labels.get(make_hashable(raw), raw)
        elif kind == "own":
            value = getattr(owner, self.display_name)()
        else:
            try:
                value = self.getter(record) if self.getter else self._resolve(record, self.bits)
            except Exception:  # as BoundRow: a link that cannot be followed is an empty cell
                value = None
        if value in self.empty_values:
            return None
        if self.function is None:
            return value
        arguments = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": self.table,
        }
        if self.arguments is not None:
            arguments = {key: arguments[key] for key in self.arguments if key in arguments}
            if len(arguments) < len(self.arguments):
                return None  # as call_with_appropriate: an argument it wants is unknown
        return self.function(**arguments)


def export_rows(table, columns: Sequence[ExportColumn]) -> Iterator[list[object]]:
    """Yield one list of plain cell values per record, through the table's own columns.

    A ``BoundRow`` is made per record (for value functions that ask for it) and dropped at
    once: nothing accumulates. Readers are made here, so labels are in the active language.
    """
    readers = [
        CellReader(table, column.name, getattr(table.data, "model", None)) for column in columns
    ]
    # The same few offices, regions and categories come back on row after row, each time as a
    # new instance: name each once (a localised name costs a language lookup).
    names: dict[tuple[type, object], str] = {}

    def plain(value: object) -> object:
        if not isinstance(value, Model) or value.pk is None:
            return cell_plain(value)
        key = (type(value), value.pk)
        text = names.get(key)
        if text is None:
            if len(names) >= NAME_CACHE_SIZE:
                names.clear()
            text = names[key] = str(value)
        return text

    for record in export_records(table):
        row = BoundRow(record, table=table)
        yield [plain(reader.read(record, row)) for reader in readers]


def export_sorted_by(table) -> tuple[str, ...]:
    """Return the table's sort in words, e.g. ("Serial number (descending)",)."""
    words = []
    for order in table.order_by or ():
        try:
            header = strip_tags(force_str(table.columns[order.bare].header))
        except KeyError:
            continue
        if order.is_descending:
            header = _("%(column)s (descending)") % {"column": header}
        words.append(header)
    return tuple(words)


def _filter_value_words(field, value) -> str:
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, QuerySet | list | tuple | set | frozenset):
        return ", ".join(_filter_value_words(field, item) for item in value)
    if isinstance(value, slice):  # range filters
        start = "" if value.start is None else _filter_value_words(field, value.start)
        stop = "" if value.stop is None else _filter_value_words(field, value.stop)
        return f"{start}–{stop}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return local_naive(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    choices = getattr(field, "choices", None)
    if choices is not None and not hasattr(choices, "queryset"):
        labels = {}
        for key, label in choices:
            if isinstance(label, list | tuple):  # an option group
                labels.update({str(k): v for k, v in label})
            else:
                labels[str(key)] = label
        if str(value) in labels:
            return str(labels[str(value)])
    return str(value)


def filters_describe(filterset) -> tuple[tuple[str, str], ...]:
    """Return the filters applied, as (label, value in words) pairs in the active language."""
    if filterset is None or not filterset.is_bound or not filterset.is_valid():
        return ()
    described = []
    for name in filterset.filters:
        value = filterset.form.cleaned_data.get(name)
        if value in (None, "") or (isinstance(value, list | tuple | QuerySet) and not value):
            continue
        if isinstance(value, slice) and value.start is None and value.stop is None:
            continue
        field = filterset.form.fields[name]
        label = field.label or filterset.filters[name].label or name
        described.append((str(label), _filter_value_words(field, value)))
    return tuple(described)


# --- .xlsx -----------------------------------------------------------------------------------


def _display_width(value: object, number_format: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return len("00.00.0000 00:00")
    if isinstance(value, dt.date):
        return len("00.00.0000")
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + (4 if (number_format or MONEY_FORMAT) == MONEY_FORMAT else 0)
    return max((len(line) for line in str(value).splitlines()), default=0)


def xlsx_widths(columns: Sequence[ExportColumn], sample: Sequence[Sequence[object]]) -> list[int]:
    """Return a width per column from its header and a sample of its values, within bounds."""
    widths = []
    for index, column in enumerate(columns):
        longest = max(
            [len(column.header) + 2]  # room for the auto-filter button
            + [_display_width(row[index], column.number_format) for row in sample]
        )
        widths.append(min(WIDTH_MAX, max(WIDTH_MIN, longest + 1)))
    return widths


def _xlsx_text(value: str) -> str:
    # Control characters are not allowed in XML; most text has none (isprintable is cheap).
    if not value.isprintable():
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cell_neutralise(value)


def xlsx_write(
    file,
    *,
    heading: ExportHeading,
    columns: Sequence[ExportColumn],
    rows: Iterable[Sequence[object]],
) -> int:
    """Write a workbook to ``file``: title row, bold frozen header, auto-filter, typed cells.

    openpyxl's write-only mode keeps memory flat: rows go to disk as they come, and openpyxl
    3.1 writes text inline, so no table of strings grows either.
    Return the number of data rows written.
    """
    workbook = Workbook(write_only=True)
    workbook.properties.title = heading.title
    workbook.properties.creator = heading.exported_by
    sheet = workbook.create_sheet(title=heading.title.translate(_SHEET_NAME_FORBIDDEN)[:31])

    # Widths and frozen panes are written before the first row, so look at a sample first.
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    for index, width in enumerate(xlsx_widths(columns, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"  # rows 1 (title) and 2 (header) stay in view

    title = WriteOnlyCell(sheet, value=_xlsx_text(heading.text()))
    title.font = Font(bold=True, size=12)
    sheet.append([title])

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", start_color="DDE4EE")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(column.header))
        cell.font = header_font
        cell.fill = header_fill
        header.append(cell)
    sheet.append(header)

    count = 0
    formats = [column.number_format for column in columns]
    for values in chain(sample, rows):
        sheet.append([_xlsx_cell(sheet, value, formats[i]) for i, value in enumerate(values)])
        count += 1

    last_column = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A2:{last_column}{2 + count}"
    workbook.save(file)
    return count


def _xlsx_cell(sheet, value: object, number_format: str | None) -> object:
    if type(value) is str:  # the common case first: this runs for every cell
        return _xlsx_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _xlsx_text(value)
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format or MONEY_FORMAT
        return cell
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=local_naive(value))
        cell.number_format = number_format or DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format or DATE_FORMAT
        return cell
    return _xlsx_text(str(value))


# --- .csv ------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose ``write`` returns what it is given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value: object) -> object:
    # Dates and times in ISO 8601 and decimals with a point: what an import reads unambiguously.
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_naive(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time | Decimal | int | float):
        return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    return cell_neutralise(str(value))


def csv_chunks(
    *, columns: Sequence[ExportColumn], rows: Iterable[Sequence[object]]
) -> Iterator[bytes]:
    """Yield a UTF-8 CSV with BOM: the header row, then the rows, a few hundred at a time."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow([cell_neutralise(c.header) for c in columns])).encode()
    lines: list[str] = []
    for values in rows:
        lines.append(writer.writerow([_csv_text(value) for value in values]))
        if len(lines) >= CSV_ROWS_PER_CHUNK:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def _in_language(language: str | None, chunks: Iterator[bytes]) -> Iterator[bytes]:
    # A streamed body is produced after the view has returned: keep the request's language.
    with translation.override(language):
        yield from chunks


# --- responses -------------------------------------------------------------------------------


def export_filename(*, name: str, export_format: str) -> str:
    """Return e.g. ``assets-2026-11-27.xlsx``, dated in the project's time zone."""
    today = timezone.localtime(timezone.now(), ZoneInfo(settings.TIME_ZONE)).date()
    return f"{name}-{today.isoformat()}.{export_format}"


def workbook_response(write, *, name: str) -> FileResponse:
    """Return a workbook written by ``write(file)`` as a download named after ``name``.

    Written to a temporary file, not to memory: a national workbook holds a million cells.
    """
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
    try:
        write(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = FileResponse(
        file,
        as_attachment=True,
        filename=export_filename(name=name, export_format=XLSX),
        content_type=CONTENT_TYPES[XLSX],
    )
    add_never_cache_headers(response)
    return response


def export_response(
    *,
    export_format: str,
    table,
    heading: ExportHeading,
    name: str,
):
    """Return the table's rows, all pages, as a streamed .xlsx or .csv attachment."""
    columns = export_columns(table)
    filename = export_filename(name=name, export_format=export_format)
    if export_format == XLSX:
        # An anonymous temporary file: gone from disk once FileResponse has sent and closed it.
        file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
        try:
            xlsx_write(file, heading=heading, columns=columns, rows=export_rows(table, columns))
            file.seek(0)
        except BaseException:
            file.close()
            raise
        response = FileResponse(
            file, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[XLSX]
        )
    elif export_format == CSV:
        chunks = csv_chunks(columns=columns, rows=export_rows(table, columns))
        response = StreamingHttpResponse(
            _in_language(translation.get_language(), chunks), content_type=CONTENT_TYPES[CSV]
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=filename
        )
    else:
        raise ValueError(f"Unknown export format {export_format!r}.")
    add_never_cache_headers(response)  # the rows follow the user's scope: no shared caches
    return response


@dataclass(frozen=True)
class ExportLink:
    export_format: str
    label: str
    url: str


class ListExportMixin:
    """Answer ``?_export=xlsx`` or ``?_export=csv`` on a filtered table list with its rows.

    For views built from django-filter's ``FilterView`` and django-tables2's
    ``SingleTableMixin``. The export has the filters and sort of the page, all pages, and the
    table's visible columns; the context gets ``export_links`` for ``export_links.html``.
    """

    export_formats: tuple[str, ...] = (XLSX, CSV)
    # File name stem, e.g. "assets"; by default the model's plural in English.
    export_name: str | None = None
    # What the title row says was exported, e.g. _("Assets"); by default the model's plural.
    export_title = None

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get(EXPORT_PARAM)
        if export_format is None:
            return super().get(request, *args, **kwargs)
        if export_format not in self.export_formats:
            return HttpResponseBadRequest(
                _("This list cannot be exported as “%(format)s”.") % {"format": export_format}
            )
        # As FilterView.get does, without building the paginated page.
        self.filterset = self.get_filterset(self.get_filterset_class())
        if not self.filterset.is_bound or self.filterset.is_valid() or not self.get_strict():
            self.object_list = self.filterset.qs
        else:
            self.object_list = self.filterset.queryset.none()
        table = self.get_export_table()
        return export_response(
            export_format=export_format,
            table=table,
            heading=self.get_export_heading(table),
            name=self.get_export_name(),
        )

    def get_export_table(self):
        """Return the page's table, sorted as requested and not paginated."""
        table = self.get_table_class()(data=self.get_table_data(), **self.get_table_kwargs())
        return RequestConfig(self.request, paginate=False).configure(table)

    def _export_model(self):
        return self.object_list.model

    def get_export_name(self) -> str:
        if self.export_name:
            return self.export_name
        with translation.override("en"):
            return slugify(str(self._export_model()._meta.verbose_name_plural)) or "export"

    def get_export_title(self) -> str:
        return str(self.export_title or capfirst(self._export_model()._meta.verbose_name_plural))

    def get_export_heading(self, table) -> ExportHeading:
        user = self.request.user
        return ExportHeading(
            title=self.get_export_title(),
            exported_at=timezone.now(),
            exported_by=user.get_full_name() or user.get_username(),
            filters=filters_describe(getattr(self, "filterset", None)),
            sorted_by=export_sorted_by(table),
        )

    def get_export_links(self) -> list[ExportLink]:
        """Return a link per format: the page's query string (filters, sort) plus the format."""
        query = self.request.GET.copy()
        for key in ("page", "per_page", EXPORT_PARAM):
            query.pop(key, None)
        links = []
        for export_format in self.export_formats:
            query[EXPORT_PARAM] = export_format
            label = str(EXPORT_LABELS[export_format])
            links.append(ExportLink(export_format, label, f"?{query.urlencode()}"))
        return links

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["export_links"] = self.get_export_links()
        return context
