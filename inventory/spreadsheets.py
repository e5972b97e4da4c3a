"""Read an uploaded .xlsx or .csv sheet into plain rows, and parse the values people type.

This is the file layer of the import: no database, no models. ``sheet_read`` finds the header
row among title rows, maps headers to canonical column keys (English, Russian or Tajik
spellings), and returns the raw values of every non-empty row with its row number as the user
sees it. The ``parse_*`` functions turn one raw value into a date, an amount or text, and raise
``ValueError`` with a translated message that names the value.

Whole-file problems (not a spreadsheet, too large, too many rows, formulas, missing columns)
raise ``SpreadsheetError``; problems with one value are the caller's to report per row.

Decisions worth knowing:

* The format is detected from the bytes, never from the file name.
* Only the first *visible* worksheet (the leftmost tab the user can see) is read, not the
  active one: the active sheet is whichever tab was open when the file was last saved.
* Headers match when their ``header_normalise`` forms are equal ignoring spaces, with ё/е and
  the Tajik letters ӣ ӯ ҳ қ ғ ҷ folded to и у х к г ч (people without a Tajik keyboard type
  those), so "S/N", "S N", "s/n" and "SN" are one header. A header that matches nothing is
  tried again without its parenthesised part: "Value (USD)" matches "Value".
* The xlsx reader is a small streaming expat parser over the ZIP, not openpyxl's
  ``load_workbook(read_only=True)``: on this project's 2-core machines openpyxl needed
  1.2–2.0 s only to iterate 10,000 rows × 12 columns (it builds objects per shared and inline
  string and per cell), and twice that when the machine was busy; this reader returns the
  whole Sheet in about 0.6 s. openpyxl still supplies the Excel rules it would apply:
  which number formats are dates (``is_date_format``) and serial → datetime (``from_excel``).
  Values come out as openpyxl's read-only mode gives them (a test compares the two).
  XML parts may not declare a DTD (that is how XML bombs work), and the ZIP may unpack to at
  most ``UNPACKED_RATIO`` times the upload limit.
* Formulas are refused only where they would be imported: in the mapped columns of the header
  row and the rows below it. A "Total" column of =B2*C2 that no column maps is ignored.
* Row numbers are Excel's row numbers. For a CSV that is the record number, which equals the
  line number unless a quoted cell holds a line break (Excel hides a first "sep=;" line, and
  so do we).
* The row limit counts non-empty data rows. Empty rows are skipped and do not count, but at
  most ``EMPTY_ROWS_ALLOWED`` of them are scanned beyond the limit, so a sheet padded with a
  million blank (formatted) rows is still refused quickly; an xlsx whose declared <dimension>
  reaches past that row is refused before its rows are read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import posixpath
import pyexpat
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO
from xml.parsers.expat import XMLParserType

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

# How many non-empty rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 30
# How many empty rows may be scanned on top of max_rows before the sheet counts as too long.
EMPTY_ROWS_ALLOWED = 100_000
# An xlsx may unpack to at most this many times the upload limit (a ZIP bomb unpacks to more).
UNPACKED_RATIO = 100
# How many formula cells a message names.
FORMULA_CELLS_NAMED = 5

# Excel's 1900 date system, as Excel counts it (day 60 is its phantom 29 February 1900).
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers read as dates: 1 January 1990 to 31 December 2099. A smaller or larger number
# in a date column is much more likely a year ("2024") or an amount than a date.
EXCEL_SERIAL_MIN = (dt.date(1990, 1, 1) - EXCEL_EPOCH).days
EXCEL_SERIAL_MAX = (dt.date(2099, 12, 31) - EXCEL_EPOCH).days

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OTHER_MAGICS = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"{\\rtf")
_CSV_DELIMITERS = (",", ";", "\t")
_CSV_TOP = 256 * 1024  # characters at the top in which the delimiter is looked for
_XML_CHUNK = 64 * 1024

# Characters that are not whitespace to str.strip() but are invisible in a cell.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ$"
_HEADER_FOLD = str.maketrans("ёӣӯҳқғҷ", "еиухкгч")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # "_x000D_" is a carriage return
# What exports prefix with "'" (inventory.exports.FORMULA_PREFIXES): = + - @ tab, return.
_NEUTRALISED_FORMULA = re.compile(r"^'[=+\-@\t\r]")

_TIME_SUFFIX = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_YEAR_SUFFIX = r"(?:\s*(?:г\.?|года|с\.))?"
_DATE_DMY = re.compile(
    rf"^([0-9]{{1,2}})([./-])([0-9]{{1,2}})\2([0-9]{{4}}){_YEAR_SUFFIX}{_TIME_SUFFIX}$"
)
_DATE_YMD = re.compile(rf"^([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}}){_TIME_SUFFIX}$")
_DATE_SERIAL = re.compile(r"^[0-9]+(?:[.,][0-9]+)?$")

_PLAIN_NUMBER = re.compile(r"^([0-9]+)(?:[.,]([0-9]*))?$")
_AMOUNT = re.compile(r"^(?P<prefix>\D*?)(?P<number>[+\-]?[0-9][0-9 '.,]*)(?P<suffix>\D*)$")


@dataclass(frozen=True)
class Column:
    """A column the import understands, and the headers that name it."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class SheetRow:
    """One non-empty data row: its number as Excel shows it, and its raw values by column key."""

    number: int
    values: dict[str, object]


@dataclass(frozen=True)
class Sheet:
    """The rows of an uploaded sheet, under the header row that was found."""

    filename: str
    header_row: int
    columns: list[str]
    ignored_headers: list[str]
    rows: list[SheetRow]


class SpreadsheetError(Exception):
    """A whole-file problem; str(error) / error.message is the user's message, translated.

    ``code`` says which problem it is, for callers and tests that must not parse the text:
    too_large, too_large_unpacked, empty, not_spreadsheet, encrypted, xls, damaged,
    too_many_rows, formulas, csv_quotes, no_header, duplicate_column, missing_column.
    """

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass
class _RawRow:
    number: int
    # 0-based column → value, for the cells that are not empty; sparse, because a stray cell
    # in column XFD must not cost 16,384 slots per row.
    values: dict[int, object]
    # 0-based columns of the cells that hold formulas.
    formulas: frozenset[int] = field(default_factory=frozenset)

    def is_empty(self) -> bool:
        return not self.values


# --- headers ----------------------------------------------------------------------------------


def header_normalise(text: str) -> str:
    """Return a header in the form headers are compared in.

    Compatibility forms are folded (NFKC: full-width letters, non-breaking spaces), case is
    folded, punctuation and symbols (. : / № # * ( ) - _ and the like) become spaces, and runs
    of whitespace become one space: "Серийный  номер:" and "серийный номер" are equal, and
    "S/N" becomes "s n". Matching also ignores the remaining spaces (see ``_header_key``), so
    "S/N" and "SN" name the same column.
    """
    # № folds to "No" under NFKC; it is a symbol here, as in "Зав. №".
    text = str(text).replace("№", " ")
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(
        " " if unicodedata.category(char)[0] in "PSZC" else char
        for char in text
        if char not in _INVISIBLE
    )
    return _SPACES.sub(" ", text).strip()


def _header_key(text: str) -> str:
    """Return the key headers are matched on: the normal form without spaces, letters folded."""
    return header_normalise(text).translate(_HEADER_FOLD).replace(" ", "")


def _column_index(columns: Sequence[Column]) -> dict[str, Column]:
    """Return header key → column for every spelling; refuse one spelling for two columns."""
    index: dict[str, Column] = {}
    for column in columns:
        for spelling in (column.key, str(column.label), *column.aliases):
            key = _header_key(spelling)
            if not key:
                continue
            other = index.setdefault(key, column)
            if other.key != column.key:
                raise ValueError(
                    f"Header spelling {spelling!r} is given for both {other.key!r} and "
                    f"{column.key!r}."
                )
    return index


def _quote(text: str) -> str:
    """Return text in the quotation marks of the user's language."""
    return _("“%(text)s”") % {"text": text}


def _column_match(value: object, index: dict[str, Column]) -> Column | None:
    """Return the column a header cell names, or None."""
    if not isinstance(value, str):
        return None
    column = index.get(_header_key(value))
    if column is None:
        bare = _PARENTHESISED.sub(" ", value)
        if bare != value:
            column = index.get(_header_key(bare))
    return column


def _quoted(texts: Iterable[str]) -> str:
    return ", ".join(_quote(text) for text in texts)


# --- reading the file ---------------------------------------------------------------------------


def sheet_read(
    *,
    file: BinaryIO,
    filename: str,
    columns: Sequence[Column],
    max_bytes: int,
    max_rows: int,
) -> Sheet:
    """Return the data rows of an uploaded .xlsx or .csv file, or raise SpreadsheetError.

    At most ``max_bytes`` + 1 bytes are read, and reading stops as soon as the sheet has more
    than ``max_rows`` non-empty data rows.
    """
    index = _column_index(columns)
    data = _file_read(file=file, max_bytes=max_bytes)
    if not data or data.isspace() or data == _UTF8_BOM:  # (a BOM and spaces: _text_decode)
        raise SpreadsheetError(_("The file is empty."), code="empty")

    workbook = None
    if data.startswith(_ZIP_MAGIC):
        workbook = _xlsx_open(data, unpacked_limit=max_bytes * UNPACKED_RATIO)
        rows = _worksheet_rows(workbook, max_rows=max_rows)
    elif data.startswith(_OLE2_MAGIC):
        raise _ole2_error(data)
    else:
        text = _text_decode(data)
        delimiter, skip_first = _csv_delimiter(text, index)
        rows = _csv_rows(text, delimiter=delimiter, skip_first=skip_first)
    try:
        return _sheet_build(
            rows, filename=filename, columns=columns, index=index, max_rows=max_rows
        )
    finally:
        rows.close()
        if workbook is not None:
            workbook.package.close()


def _file_read(*, file: BinaryIO, max_bytes: int) -> bytes:
    size = _file_size(file)
    if size is not None and size > max_bytes:
        raise _too_large(size=size, max_bytes=max_bytes)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(size=max(size or 0, len(data)), max_bytes=max_bytes)
    return data


def _file_size(file: BinaryIO) -> int | None:
    """Return the bytes left to read, when the file can tell without being read."""
    size = getattr(file, "size", None)  # Django's UploadedFile
    if isinstance(size, int):
        return size
    try:
        position = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end - position


def _too_large(*, size: int, max_bytes: int) -> SpreadsheetError:
    return SpreadsheetError(
        _("The file is %(size)s MB; the largest accepted is %(limit)s MB.")
        % {"size": _megabytes(size, round_up=True), "limit": _megabytes(max_bytes)},
        code="too_large",
    )


def _megabytes(size: int, *, round_up: bool = False) -> str:
    """Return a size in MB (1024 × 1024 bytes, as Windows shows it), with one decimal if needed.

    A size over the limit is rounded up, so it never shows as equal to the limit.
    """
    tenths = size * 10 / (1024 * 1024)
    tenths = math.ceil(tenths) if round_up else round(tenths)
    tenths = max(tenths, 1)
    if tenths % 10 == 0:
        return number_format(tenths // 10)
    return number_format(Decimal(tenths) / 10, decimal_pos=1)


def _not_spreadsheet() -> SpreadsheetError:
    return SpreadsheetError(
        _("This is not a spreadsheet: upload an .xlsx workbook or a .csv file."),
        code="not_spreadsheet",
    )


def _damaged() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The workbook could not be read; it may be damaged. Open it in Excel, save it as "
            ".xlsx and upload it again."
        ),
        code="damaged",
    )


def _ole2_error(data: bytes) -> SpreadsheetError:
    """Return the error for an OLE2 compound file: an encrypted .xlsx, an old .xls, or other."""
    if _ENCRYPTED_PACKAGE in data:
        return SpreadsheetError(
            _(
                "The workbook is password-protected. Remove the password in Excel "
                "(File → Info → Protect Workbook) and upload it again."
            ),
            code="encrypted",
        )
    if any(stream in data for stream in _XLS_STREAMS):
        return SpreadsheetError(
            _(
                "Old Excel 97–2003 (.xls) files are not supported. Save the file as .xlsx and "
                "upload it again."
            ),
            code="xls",
        )
    return _not_spreadsheet()  # a .doc, .msg or .ppt


class _XlsxRefused(Exception):
    """An XML part declares a DTD or entities; xlsx parts never do, XML bombs do."""


def _xml_parser() -> XMLParserType:
    """Return an expat parser that refuses DTDs.

    Namespaces are not processed (it is slower): names keep any prefix, as in "x:c", and
    ``_local`` drops it.
    """
    parser = pyexpat.ParserCreate()
    parser.buffer_text = True

    def refuse(*args: object) -> None:
        raise _XlsxRefused

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _local(name: str) -> str:
    return name[name.rfind(":") + 1 :]


def _too_large_unpacked(limit: int) -> SpreadsheetError:
    return SpreadsheetError(
        _("The workbook unpacks to more than %(limit)s MB. Split it into smaller files.")
        % {"limit": _megabytes(limit)},
        code="too_large_unpacked",
    )


class _Package:
    """The parts of an xlsx ZIP, read in chunks with a cap on the bytes they unpack to."""

    def __init__(self, data: bytes, *, unpacked_limit: int) -> None:
        self.archive = zipfile.ZipFile(io.BytesIO(data))
        self.names = set(self.archive.namelist())
        self.unpacked = 0
        self.unpacked_limit = unpacked_limit

    def chunks(self, path: str) -> Iterator[bytes]:
        with self.archive.open(path) as stream:
            while chunk := stream.read(_XML_CHUNK):
                self.unpacked += len(chunk)
                if self.unpacked > self.unpacked_limit:
                    raise _too_large_unpacked(self.unpacked_limit)
                yield chunk

    def parse(self, path: str, parser: XMLParserType) -> None:
        for chunk in self.chunks(path):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)

    def relationships(self, path: str) -> dict[str, tuple[str, str]]:
        """Return Id → (type, part path) from the .rels part of ``path``."""
        folder, _slash, name = path.rpartition("/")
        rels_path = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        found: dict[str, tuple[str, str]] = {}
        if rels_path not in self.names:
            return found

        def start(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
                found[attrs.get("Id", "")] = (attrs.get("Type", ""), target)

        parser = _xml_parser()
        parser.StartElementHandler = start
        self.parse(rels_path, parser)
        return found

    def close(self) -> None:
        self.archive.close()


@dataclass
class _Workbook:
    package: _Package
    sheet_path: str | None  # the first visible worksheet
    shared_strings: list[str | None]
    date_styles: frozenset[int]
    duration_styles: frozenset[int]
    epoch: dt.datetime


def _xlsx_open(data: bytes, *, unpacked_limit: int) -> _Workbook:
    """Return what reading the first visible worksheet needs, or raise SpreadsheetError."""
    try:
        package = _Package(data, unpacked_limit=unpacked_limit)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _damaged() from None  # a ZIP that cannot be opened: most often a cut-off upload
    if "[Content_Types].xml" not in package.names or "xl/workbook.xml" not in package.names:
        package.close()
        raise _not_spreadsheet()  # a .docx, .ods, .xlsb or any other ZIP
    try:
        return _workbook_read(package)
    except SpreadsheetError:
        package.close()
        raise
    except Exception:  # expat, zipfile, a missing part or a bad number: a malformed file
        package.close()
        raise _damaged() from None


def _workbook_read(package: _Package) -> _Workbook:
    workbook_path = "xl/workbook.xml"
    for rel_type, target in package.relationships("").values():
        if rel_type.endswith("/officeDocument") and target in package.names:
            workbook_path = target
    relationships = package.relationships(workbook_path)

    sheets: list[tuple[str, str]] = []  # (state, relationship id), in tab order
    date1904 = False

    def workbook_start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal date1904
        local = _local(tag)
        if local == "workbookPr":
            date1904 = attrs.get("date1904", "0").lower() in {"1", "true"}
        elif local == "sheet":
            rel_id = next((v for k, v in attrs.items() if k.endswith(":id")), "")
            sheets.append((attrs.get("state", "visible"), rel_id))

    parser = _xml_parser()
    parser.StartElementHandler = workbook_start
    package.parse(workbook_path, parser)

    sheet_path = None
    for state, rel_id in sheets:
        rel_type, target = relationships.get(rel_id, ("", ""))
        if state == "visible" and rel_type.endswith("/worksheet"):
            sheet_path = target
            break
    shared_strings: list[str | None] = []
    date_styles: frozenset[int] = frozenset()
    duration_styles: frozenset[int] = frozenset()
    for rel_type, target in relationships.values():
        if target not in package.names:
            continue
        if rel_type.endswith("/sharedStrings"):
            shared_strings = _shared_strings_read(package, target)
        elif rel_type.endswith("/styles"):
            date_styles, duration_styles = _date_styles_read(package, target)
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    return _Workbook(package, sheet_path, shared_strings, date_styles, duration_styles, epoch)


def _shared_strings_read(package: _Package, path: str) -> list[str | None]:
    """Return the shared string table as cells give it: the text of each <si> without its
    phonetic runs, escapes undone, stripped, None if blank."""
    strings: list[str | None] = []
    parts: list[str] = []
    local_names: dict[str, str] = {}
    collecting = False
    phonetic = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal collecting, phonetic
        local = local_names.get(name)
        if local is None:
            local = local_names[name] = _local(name)
        if local == "t":
            collecting = not phonetic
        elif local == "rPh":
            phonetic += 1

    def end(name: str) -> None:
        nonlocal collecting, phonetic
        local = local_names[name]
        if local == "t":
            collecting = False
        elif local == "si":
            strings.append(_cell_text(_ooxml_unescape("".join(parts))))
            parts.clear()
        elif local == "rPh":
            phonetic -= 1

    def text(data: str) -> None:
        if collecting:
            parts.append(data)

    parser = _xml_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    package.parse(path, parser)
    return strings


def _date_styles_read(package: _Package, path: str) -> tuple[frozenset[int], frozenset[int]]:
    """Return the cell style indexes whose number format shows a date, and a duration."""
    custom: dict[int, str] = {}
    cell_formats: list[int] = []
    in_cell_xfs = False

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell_xfs
        local = _local(tag)
        if local == "numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            in_cell_xfs = True
        elif local == "xf" and in_cell_xfs:
            cell_formats.append(int(attrs.get("numFmtId", "0")))

    def end(tag: str) -> None:
        nonlocal in_cell_xfs
        if _local(tag) == "cellXfs":
            in_cell_xfs = False

    parser = _xml_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    package.parse(path, parser)
    dates, durations = set(), set()
    for style, format_id in enumerate(cell_formats):
        code = custom.get(format_id) or BUILTIN_FORMATS.get(format_id)
        if is_timedelta_format(code):
            durations.add(style)
        elif is_date_format(code):
            dates.add(style)
    return frozenset(dates), frozenset(durations)


def _sheet_parser(
    workbook: _Workbook, ready: list[_RawRow], declared_rows: list[int]
) -> XMLParserType:
    """Return an expat parser that appends each worksheet row to ``ready`` as it ends.

    The last row of the sheet's declared <dimension>, if any, is appended to ``declared_rows``.

    Values are the Python values openpyxl gives (str, int, float, bool, datetime, time,
    timedelta, error text such as "#N/A"). A formula cell is flagged whatever its cached value.
    Written with closures over local variables, not methods: this runs for every element of
    the sheet, and it is the cost of reading a large workbook.
    """
    shared_strings = workbook.shared_strings
    date_styles = workbook.date_styles
    duration_styles = workbook.duration_styles
    epoch = workbook.epoch
    local_names: dict[str, str] = {}
    column_numbers: dict[str, int] = {}

    row_number = 0
    in_row = False
    cells: dict[int, object] = {}
    formulas: list[int] = []
    column = 0
    cell_type = "n"
    cell_style = "0"
    has_formula = False
    parts: list[str] = []
    collecting = False
    inline = False
    phonetic = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_number, in_row, cells, formulas, column, cell_type, cell_style
        nonlocal has_formula, parts, collecting, inline, phonetic
        local = local_names.get(name)
        if local is None:
            local = local_names[name] = name[name.rfind(":") + 1 :]
        if not in_row:
            if local == "row":
                number = attrs.get("r")
                row_number = int(number) if number else row_number + 1
                in_row = True
                cells = {}
                formulas = []
                column = 0
            elif local == "dimension":
                last = attrs.get("ref", "").rpartition(":")[2].lstrip(_LETTERS)
                if last.isdigit():
                    declared_rows.append(int(last))
        elif local == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = column_numbers.get(letters) or column_numbers.setdefault(
                    letters, column_index_from_string(letters)
                )
            else:
                column += 1
            cell_type = attrs.get("t", "n")
            cell_style = attrs.get("s", "0")
            has_formula = False
            parts = []
        elif local == "v":
            collecting = True
        elif local == "t":
            collecting = inline and not phonetic
        elif local == "is":
            inline = True
        elif local == "f":
            has_formula = True
        elif local == "rPh":
            phonetic += 1

    def end(name: str) -> None:
        nonlocal in_row, collecting, inline, phonetic
        if not in_row:
            return
        local = local_names[name]
        if local == "c":
            value = cell_value()
            if value is not None:
                cells[column - 1] = value
            if has_formula:
                formulas.append(column - 1)
        elif local == "v" or local == "t":
            collecting = False
        elif local == "is":
            inline = False
        elif local == "rPh":
            phonetic -= 1
        elif local == "row":
            in_row = False
            ready.append(_RawRow(row_number, cells, frozenset(formulas)))

    def text(data: str) -> None:
        if collecting:
            parts.append(data)

    def cell_value() -> object:
        if not parts:
            return "=" if has_formula else None
        raw = "".join(parts)
        if has_formula:
            return "=" + raw  # refused later; the cached result is not wanted
        kind = cell_type
        if kind == "s":
            return shared_strings[int(raw)]
        if kind == "n":
            number: int | float = (
                float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
            )
            style = int(cell_style)
            if style in date_styles or style in duration_styles:
                try:
                    return from_excel(number, epoch, timedelta=style in duration_styles)
                except (OverflowError, ValueError):
                    return number  # outside Excel's dates: left to parse_date to refuse
            return number
        if kind == "inlineStr" or kind == "str":
            return _cell_text(_ooxml_unescape(raw))
        if kind == "b":
            return raw.strip() in {"1", "true"}
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # "e": an error value such as "#N/A"

    parser = _xml_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    return parser


def _worksheet_rows(workbook: _Workbook, *, max_rows: int) -> Generator[_RawRow, None, None]:
    """Yield the rows of the first visible worksheet that the XML holds, as it is unpacked.

    A sheet whose declared dimension reaches past the rows ``_sheet_build`` would scan is
    refused at once; a smaller declared dimension is not trusted, every row is read.
    """
    if workbook.sheet_path is None:
        return
    ready: list[_RawRow] = []
    declared_rows: list[int] = []
    parser = _sheet_parser(workbook, ready, declared_rows)
    try:
        for chunk in workbook.package.chunks(workbook.sheet_path):
            parser.Parse(chunk, False)
            if declared_rows and declared_rows[0] > max_rows + EMPTY_ROWS_ALLOWED:
                raise _too_many_rows(max_rows)
            yield from ready
            ready.clear()
        parser.Parse(b"", True)
        yield from ready
    except SpreadsheetError:
        raise
    except Exception:  # expat, zipfile (a bad CRC shows at the end), a bad shared-string index
        raise _damaged() from None


def _text_decode(data: bytes) -> str:
    """Return the text of a CSV file, or raise SpreadsheetError if the bytes are not text."""
    if data.startswith(_UTF16_BOMS):  # Excel's "Unicode Text", tab-separated
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_spreadsheet() from None
    else:
        if b"\x00" in data or data.startswith(_OTHER_MAGICS):
            raise _not_spreadsheet()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1251")
            except UnicodeDecodeError:
                raise _not_spreadsheet() from None
    text = text.removeprefix("\ufeff").rstrip("\x1a")  # Ctrl-Z: an old DOS end of file
    if _CONTROL.search(text) or text.lstrip().startswith("<"):  # binary, HTML or XML
        raise _not_spreadsheet()
    if not text or text.isspace():
        raise SpreadsheetError(_("The file is empty."), code="empty")
    return text


def _csv_sep_line(text: str) -> str | None:
    """Return the delimiter of an Excel "sep=;" first line, if there is one."""
    first = text[:10].split("\n", 1)[0].strip()
    if first.startswith("sep=") and len(first) == 5:
        return first[4]
    return None


def _csv_delimiter(text: str, index: dict[str, Column]) -> tuple[str, bool]:
    """Return the delimiter, and whether the first line is Excel's "sep=" line to skip.

    Each candidate delimiter splits the top of the file; the one whose best row names the
    most known columns wins, then the one found most often there. A title such as
    "Annex 2, UNDP" above a ";" header cannot fool it.
    """
    sep = _csv_sep_line(text)
    if sep is not None:
        return sep, True
    best: tuple[int, int, str] | None = None
    top = text[:_CSV_TOP]
    for delimiter in _CSV_DELIMITERS:
        head = []
        try:
            for row in _csv_rows(top, delimiter=delimiter, skip_first=False):
                if not row.is_empty():
                    head.append(row)
                    if len(head) == HEADER_SEARCH_ROWS:
                        break
        except SpreadsheetError:
            pass  # quotes that fail with this delimiter, or a cell cut at the end of ``top``
        matched = max((len(_row_keys(row, index)) for row in head), default=0)
        score = (matched, top.count(delimiter), delimiter)
        if best is None or score[:2] > best[:2]:
            best = score
    return (best[2] if best else ","), False


def _csv_rows(text: str, *, delimiter: str, skip_first: bool) -> Generator[_RawRow, None, None]:
    reader = csv.reader(_text_lines(text), delimiter=delimiter, skipinitialspace=True, strict=False)
    number = 0
    try:
        if skip_first:
            next(reader, None)
        for cells in reader:
            number += 1
            values = {}
            for position, cell in enumerate(cells):
                if (value := _cell_text(cell)) is not None:
                    values[position] = value
            yield _RawRow(number, values)
    except csv.Error:
        raise SpreadsheetError(
            _("Row %(row)s of the CSV file cannot be read: check its quotation marks.")
            % {"row": number + 1},
            code="csv_quotes",
        ) from None


def _ooxml_unescape(text: str) -> str:
    """Return xlsx text with its "_xHHHH_" escapes (control characters, "_x005F_") undone."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)


def _text_lines(text: str) -> Iterator[str]:
    """Yield the lines of a text with their line ends, without copying the whole text.

    (io.StringIO would hold a second copy, four bytes a character once anything but ASCII is
    in it.) A text without any "\n" is an old Mac file, whose lines end in "\r".
    """
    end_of_line = "\n" if "\n" in text else "\r"
    start, length = 0, len(text)
    while start < length:
        end = text.find(end_of_line, start)
        end = length if end < 0 else end + 1
        yield text[start:end]
        start = end


def _cell_text(value: str) -> str | None:
    """Return a text cell stripped of surrounding and invisible whitespace, or None if empty."""
    value = value.strip().strip(_INVISIBLE).strip()
    return value or None


# --- from rows to a sheet --------------------------------------------------------------------


def _row_keys(row: _RawRow, index: dict[str, Column]) -> set[str]:
    keys = set()
    for value in row.values.values():
        column = _column_match(value, index)
        if column is not None:
            keys.add(column.key)
    return keys


def _too_many_rows(max_rows: int) -> SpreadsheetError:
    return SpreadsheetError(
        _("The sheet has more than %(limit)s rows. Split it into smaller files.")
        % {"limit": number_format(max_rows, force_grouping=True)},
        code="too_many_rows",
    )


def _sheet_build(
    rows: Iterator[_RawRow],
    *,
    filename: str,
    columns: Sequence[Column],
    index: dict[str, Column],
    max_rows: int,
) -> Sheet:
    last_row = max_rows + EMPTY_ROWS_ALLOWED
    head: list[_RawRow] = []
    for row in rows:
        if row.number > last_row:
            raise _too_many_rows(max_rows)
        if not row.is_empty():
            head.append(row)
            if len(head) == HEADER_SEARCH_ROWS:
                break
    if not head:
        raise SpreadsheetError(_("The file is empty."), code="empty")

    header_at, header = _header_find(head, columns=columns, index=index)
    mapping, ignored = _header_map(header, index=index)

    sheet_rows: list[SheetRow] = []
    formula_cells: list[str] = []
    for row in itertools.chain(head[header_at + 1 :], rows):
        if row.number > last_row:
            raise _too_many_rows(max_rows)
        values = {key: row.values.get(position) for position, key in mapping}
        if all(value is None for value in values.values()):
            continue
        for position, _key in mapping:
            if position in row.formulas:
                formula_cells.append(f"{get_column_letter(position + 1)}{row.number}")
        if len(formula_cells) > FORMULA_CELLS_NAMED:
            break
        if len(sheet_rows) == max_rows:
            raise _too_many_rows(max_rows)
        sheet_rows.append(SheetRow(number=row.number, values=values))

    if formula_cells:
        named = formula_cells[:FORMULA_CELLS_NAMED]
        if len(formula_cells) > FORMULA_CELLS_NAMED:
            named.append("…")
        raise SpreadsheetError(
            _(
                "Cells hold formulas (%(cells)s). Paste the values instead "
                "(Paste Special → Values) and upload again."
            )
            % {"cells": ", ".join(named)},
            code="formulas",
        )
    return Sheet(
        filename=filename,
        header_row=header.number,
        columns=[key for _position, key in mapping],
        ignored_headers=ignored,
        rows=sheet_rows,
    )


def _header_find(
    head: list[_RawRow], *, columns: Sequence[Column], index: dict[str, Column]
) -> tuple[int, _RawRow]:
    """Return the position in ``head`` of the header row and the row: the first that names
    the most known columns."""
    best_at, best_count = -1, 0
    for at, row in enumerate(head):
        count = len(_row_keys(row, index))
        if count > best_count:
            best_at, best_count = at, count
    if best_count == 0:
        required = [str(column.label) for column in columns if column.required]
        examples = required or [str(column.label) for column in columns[:3]]
        raise SpreadsheetError(
            _("No known column was found. The header row must name columns such as %(examples)s.")
            % {"examples": _quoted(examples)},
            code="no_header",
        )
    header = head[best_at]
    found = _row_keys(header, index)
    missing = [
        str(column.label) for column in columns if column.required and column.key not in found
    ]
    duplicates = _header_duplicates(header, index)
    if duplicates:
        column, headers = duplicates
        raise SpreadsheetError(
            _("Two columns mean %(label)s: %(headers)s.")
            % {"label": _quote(str(column.label)), "headers": ", ".join(headers)},
            code="duplicate_column",
        )
    if missing:
        raise SpreadsheetError(
            _("Required column missing: %(columns)s.") % {"columns": _quoted(missing)},
            code="missing_column",
        )
    return best_at, header


def _header_duplicates(
    header: _RawRow, index: dict[str, Column]
) -> tuple[Column, list[str]] | None:
    """Return the first column that two header cells name, with those cells, or None."""
    seen: dict[str, list[str]] = {}
    columns: dict[str, Column] = {}
    for position, value in sorted(header.values.items()):
        column = _column_match(value, index)
        if column is None:
            continue
        columns[column.key] = column
        seen.setdefault(column.key, []).append(
            f"{_quote(str(value))} ({get_column_letter(position + 1)})"
        )
    for key, headers in seen.items():
        if len(headers) > 1:
            return columns[key], headers
    return None


def _header_map(
    header: _RawRow, *, index: dict[str, Column]
) -> tuple[list[tuple[int, str]], list[str]]:
    """Return (position, key) of each known header in file order, and the unknown headers."""
    mapping: list[tuple[int, str]] = []
    ignored: list[str] = []
    for position, value in sorted(header.values.items()):
        column = _column_match(value, index)
        if column is None:
            ignored.append(parse_text(value))
        else:
            mapping.append((position, column.key))
    return mapping, ignored


# --- values ----------------------------------------------------------------------------------


def _display(value: object) -> str:
    """Return a value as a message shows it."""
    return parse_text(value) if not isinstance(value, str) else value.strip()


def parse_text(value: object) -> str:
    """Return a cell as text: stripped, whole numbers without ".0", "" for an empty cell.

    A leading apostrophe before = + - @ (or a tab or return) is removed: exports write "'=…"
    so that a spreadsheet program does not run the text as a formula, and an import gets the
    text back.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value).strip().strip(_INVISIBLE).strip()
    if _NEUTRALISED_FORMULA.match(text):
        text = text[1:].strip()
    return text


def _date_error(value: object) -> ValueError:
    return ValueError(
        _(
            "“%(value)s” is not a date. Write it as DD.MM.YYYY (31.12.2025), DD/MM/YYYY or "
            "YYYY-MM-DD, or use an Excel date cell."
        )
        % {"value": _display(value)}
    )


def _date_from_serial(serial: float | Decimal, original: object) -> dt.date:
    if not math.isfinite(serial) or not EXCEL_SERIAL_MIN <= serial < EXCEL_SERIAL_MAX + 1:
        raise _date_error(original)
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: object) -> dt.date | None:
    """Return the date a cell holds, None for an empty cell, or raise ValueError.

    Accepted: Excel date cells, DD.MM.YYYY and D.M.YYYY (also with / or -, and a trailing
    "г." or time of day), YYYY-MM-DD, and Excel serial numbers from 1990 to 2099 (45366, or
    "45366" as text). Two-digit years are refused: "01.02.03" could be any of three dates.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _date_error(value)
    if isinstance(value, int | float | Decimal):
        return _date_from_serial(value, value)
    if not isinstance(value, str):
        raise _date_error(value)

    text = unicodedata.normalize("NFKC", value).strip().strip(_INVISIBLE).strip()
    if not text:
        return None
    if _DATE_SERIAL.match(text):
        return _date_from_serial(Decimal(text.replace(",", ".")), value)
    if match := _DATE_DMY.match(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    elif match := _DATE_YMD.match(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        raise _date_error(value)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(
            _("“%(value)s” is not a valid date: check the day and the month.")
            % {"value": _display(value)}
        ) from None


def _amount_error(value: object) -> ValueError:
    return ValueError(
        _(
            "“%(value)s” is not an amount. Write digits with a comma or a dot before the "
            "decimals, such as 1234.50 or 1 234,50."
        )
        % {"value": _display(value)}
    )


def _amount_ambiguous(value: object) -> ValueError:
    return ValueError(
        _(
            "“%(value)s” is ambiguous: the separator may mark thousands or decimals. Write the "
            "amount without thousands separators, such as 1234 or 1234.50."
        )
        % {"value": _display(value)}
    )


def _is_currency_text(text: str) -> bool:
    """Return whether text around an amount is only a currency: letters, symbols, dots."""
    return all(
        char.isspace() or char == "." or unicodedata.category(char) in {"Sc", "Lu", "Ll", "Lo"}
        for char in text
    )


def _digit_groups(text: str, separator: str | None) -> str | None:
    """Return the digits of an integer part, if its thousands grouping is regular."""
    groups = re.split(r"[ ']", text)
    if separator is not None:
        groups = [part for group in groups for part in group.split(separator)]
    if len(groups) == 1:
        return groups[0] if groups[0].isdigit() else None
    if not (1 <= len(groups[0]) <= 3 and groups[0].isdigit()):
        return None
    if not all(len(group) == 3 and group.isdigit() for group in groups[1:]):
        return None
    return "".join(groups)


def _number_error(value: object) -> ValueError:
    return ValueError(
        _(
            "“%(value)s” is not a number. Write digits with a comma or a dot before the "
            "decimals, such as 40.2833 or 40,2833."
        )
        % {"value": _display(value)}
    )


def parse_decimal(value: object, *, thousands: bool = True) -> Decimal | None:
    """Return the amount a cell holds, None for an empty cell, or raise ValueError.

    Spaces (also non-breaking and thin ones) and apostrophes group thousands; when both "."
    and "," appear, the last one is the decimal separator. A lone separator followed by
    exactly three digits ("1,234", "420.000") is refused as ambiguous: misreading an amount a
    thousandfold is worse than asking. A currency before or after the number is dropped
    ("USD 420", "420$", "1 200 сомонӣ"). Floats become Decimal via str(), so 0.1 stays 0.1.

    ``thousands=False`` is for numbers that never have thousands separators (coordinates,
    percentages): one "," or "." is then always the decimal separator, so "40.283" is
    40.283, and spaces inside the number are refused.
    """
    invalid = _amount_error if thousands else _number_error
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise invalid(value)
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(value)
        return Decimal(str(value))
    if not isinstance(value, str):
        raise invalid(value)

    text = unicodedata.normalize("NFKC", value).replace("\u2212", "-")
    text = _SPACES.sub(" ", text.strip(_INVISIBLE)).strip()
    if not text:
        return None
    match = _AMOUNT.match(text)
    if match is None:
        raise invalid(value)
    prefix, number, suffix = match["prefix"], match["number"].strip(), match["suffix"]
    if not (_is_currency_text(prefix) and _is_currency_text(suffix)):
        raise invalid(value)
    sign = ""
    if number[0] in "+-":
        sign, number = ("-" if number[0] == "-" else ""), number[1:].lstrip()
    if not thousands:
        plain = _PLAIN_NUMBER.match(number)
        if plain is None:
            raise invalid(value)
        return Decimal(f"{sign}{plain[1]}.{plain[2]}" if plain[2] else f"{sign}{plain[1]}")

    dots, commas = number.count("."), number.count(",")
    grouped_by_space = bool(re.search(r"[0-9][ '][0-9]", number))
    if dots and commas:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        thousands_sep = "," if decimal_sep == "." else "."
        if number.count(decimal_sep) > 1:
            raise invalid(value)
    elif dots > 1 or commas > 1:
        decimal_sep, thousands_sep = None, ("." if dots else ",")
    elif dots or commas:
        decimal_sep, thousands_sep = ("." if dots else ","), None
        whole, fraction = number.split(decimal_sep)
        whole_digits = whole.replace(" ", "").replace("'", "")
        if (
            len(fraction) == 3
            and not grouped_by_space
            and 1 <= len(whole_digits) <= 3
            and whole_digits.isdigit()
            and int(whole_digits) != 0
        ):
            raise _amount_ambiguous(value)
    else:
        decimal_sep = thousands_sep = None

    if decimal_sep is not None:
        whole, _sep, fraction = number.rpartition(decimal_sep)
    else:
        whole, fraction = number, ""
    if fraction and not fraction.isdigit():
        raise invalid(value)
    whole = whole.strip()
    digits = _digit_groups(whole, thousands_sep) if whole else "0"
    if digits is None or (not whole and not fraction):
        raise invalid(value)
    try:
        return Decimal(f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}")
    except InvalidOperation:
        raise invalid(value) from None
