"""QR label sheets: the sheet layouts, where each label goes, what it says, and its QR code.

Pure functions, no database and no request: the view gives plain values (tag, serial, model,
donors, the asset page's absolute address) and gets back sheets of placed labels that one
template draws, on screen, in the browser's print and in the PDF alike.

- A layout is data (``LAYOUTS``): label size, grid, page margins and gaps, in millimetres, as
  printed on the label stock's box. Positions are absolute on an A4 page, so a browser printing
  at 100 % and WeasyPrint put every label on the same spot.
- Labels fill a sheet left to right, then top to bottom. "Start at position N" skips the first
  N - 1 positions of the first sheet (a partly used sheet); copies of one asset are consecutive.
- Text never overflows its label: each line is shrunk down to a smallest size, then cut with an
  ellipsis. Widths are estimated from DejaVu Sans, the font the sheets are set in, a little
  wider than it really is, so a real line is never longer than its estimate; the template also
  clips every box as a last guard.
- The QR code is an inline ``<svg>`` (WeasyPrint loads no files), without the usual quiet zone
  of four modules: the label's own white padding is the quiet zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

import segno
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

T = TypeVar("T")

# A4, portrait, in millimetres.
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
# Most labels printed at once (assets × copies): 20 sheets of 24. More would make a page and a
# PDF too slow to build and to print; the page asks for narrower filters instead.
MAX_LABELS = 480
# Most copies of each label.
MAX_COPIES = 10
# Space between the QR code and the text, in millimetres.
QR_TEXT_GAP_MM = 2.0
# Share of the label's width the QR code may take at most; the rest is for the text.
QR_MAX_WIDTH_SHARE = 0.38
# Points per millimetre.
PT_PER_MM = 72 / 25.4
# Line height, as a multiple of the font size, used by the template's CSS too.
LINE_HEIGHT = 1.2
# Space between the tag, serial, model and donors blocks, added up, in millimetres (the CSS's).
TEXT_GAPS_MM = 1.6
# Estimated advance widths in DejaVu Sans, in em, a little above the real ones (see module doc).
_WIDE = frozenset("MWmwЖШЩЮЫжшщюыФф@%")
_NARROW = frozenset(" .,:;'!|ilIjtf()[]-·/")
_BOLD_FACTOR = 1.12
_SAFETY = 1.02
ELLIPSIS = "…"


@dataclass(frozen=True)
class LabelLayout:
    """A sheet of label stock: its grid, label size, margins and gaps, in millimetres."""

    key: str
    columns: int
    rows: int
    width: float
    height: float
    margin_top: float
    margin_left: float
    gap_x: float = 0.0
    gap_y: float = 0.0
    # Blank space inside each label, around the QR code and the text.
    padding_x: float = 4.0
    padding_y: float = 2.5
    # Brands of stock with this layout, shown next to its name.
    stock: str = ""

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def name(self) -> str:
        """Return the layout as people find it on the box, e.g. "3 × 8, 70 × 37 mm"."""
        text = _("%(columns)s × %(rows)s, %(width)s × %(height)s mm") % {
            "columns": self.columns,
            "rows": self.rows,
            "width": number_format(self.width),
            "height": number_format(self.height),
        }
        return f"{text} ({self.stock})" if self.stock else text

    @property
    def qr_size(self) -> float:
        """Return the side of the QR code: the label's inner height, within a share of its width."""
        return _round(min(self.height - 2 * self.padding_y, self.width * QR_MAX_WIDTH_SHARE))

    @property
    def text_width(self) -> float:
        """Return the width left for the text beside the QR code."""
        return _round(self.width - 2 * self.padding_x - self.qr_size - QR_TEXT_GAP_MM)

    @property
    def text_height(self) -> float:
        return _round(self.height - 2 * self.padding_y)

    def position(self, index: int) -> tuple[float, float]:
        """Return the top-left corner (x, y) of the label at ``index`` (0-based) on a sheet."""
        if not 0 <= index < self.per_sheet:
            raise ValueError(f"position {index} is not on a sheet of {self.per_sheet}")
        row, column = divmod(index, self.columns)
        return (
            _round(self.margin_left + column * (self.width + self.gap_x)),
            _round(self.margin_top + row * (self.height + self.gap_y)),
        )

    def fits_page(self) -> bool:
        """Return whether every label lies on the A4 page."""
        right = self.margin_left + self.columns * self.width + (self.columns - 1) * self.gap_x
        bottom = self.margin_top + self.rows * self.height + (self.rows - 1) * self.gap_y
        return right <= PAGE_WIDTH_MM + 0.01 and bottom <= PAGE_HEIGHT_MM + 0.01


LAYOUTS: dict[str, LabelLayout] = {
    layout.key: layout
    for layout in (
        # Edge to edge, no gaps: 3 × 70 = 210 mm across, 8 × 37 = 296 mm down.
        LabelLayout(
            key="70x37", columns=3, rows=8, width=70, height=37, margin_top=0.5, margin_left=0
        ),
        LabelLayout(
            key="63x38",
            columns=3,
            rows=7,
            width=63.5,
            height=38.1,
            margin_top=15.15,
            margin_left=7.25,
            gap_x=2.5,
            stock="Avery L7160",
        ),
        LabelLayout(
            key="63x34",
            columns=3,
            rows=8,
            width=63.5,
            height=33.9,
            margin_top=12.9,
            margin_left=7.25,
            gap_x=2.5,
            stock="Avery L7159",
        ),
        LabelLayout(
            key="99x38",
            columns=2,
            rows=7,
            width=99.1,
            height=38.1,
            margin_top=15.15,
            margin_left=4.65,
            gap_x=2.5,
            stock="Avery L7163",
        ),
    )
}
DEFAULT_LAYOUT = "70x37"


def layout_choices() -> list[tuple[str, str]]:
    """Return (key, name) of every layout, for a form's drop-down, in the active language."""
    return [(key, layout.name) for key, layout in LAYOUTS.items()]


# --- where labels go ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedLabel(Generic[T]):
    """One label on a sheet: what it shows, its position number (1-based) and its corner."""

    item: T
    position: int
    x: float
    y: float


@dataclass(frozen=True)
class Sheet(Generic[T]):
    """One A4 page of labels; ``skipped`` are the first sheet's positions already used."""

    number: int
    labels: list[PlacedLabel[T]]
    skipped: list[tuple[float, float]] = field(default_factory=list)


def label_sheets(
    *, items: Sequence[T], layout: LabelLayout, start: int = 1, copies: int = 1
) -> list[Sheet[T]]:
    """Return the sheets that print ``copies`` labels of each item from position ``start`` on.

    Copies of an item are consecutive; the items keep their order. No items, no sheets.
    """
    if not 1 <= start <= layout.per_sheet:
        raise ValueError(f"start must be within 1..{layout.per_sheet}, not {start}")
    if copies < 1:
        raise ValueError(f"copies must be at least 1, not {copies}")
    sheets: list[Sheet[T]] = []
    labels: list[PlacedLabel[T]] = []
    slot = start - 1
    for item in items:
        for _copy in range(copies):
            if slot == layout.per_sheet:
                sheets.append(_sheet(len(sheets) + 1, labels, layout, start))
                labels, slot = [], 0
            x, y = layout.position(slot)
            labels.append(PlacedLabel(item=item, position=slot + 1, x=x, y=y))
            slot += 1
    if labels:
        sheets.append(_sheet(len(sheets) + 1, labels, layout, start))
    return sheets


def _sheet(number: int, labels: list, layout: LabelLayout, start: int) -> Sheet:
    skipped = [layout.position(i) for i in range(start - 1)] if number == 1 else []
    return Sheet(number=number, labels=labels, skipped=skipped)


def sheet_count(*, labels: int, layout: LabelLayout, start: int = 1) -> int:
    """Return how many sheets ``labels`` labels take from position ``start`` on."""
    if labels <= 0:
        return 0
    return -(-(start - 1 + labels) // layout.per_sheet)


def ids_parse(values: Sequence[str]) -> list[int]:
    """Return the asset ids of ``?ids=1&ids=2`` or ``?ids=1,2``, first occurrence kept.

    Raise ValueError when one is not a positive whole number.
    """
    ids: dict[int, None] = {}
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isascii() or not part.isdigit() or int(part) < 1:
                raise ValueError(f"not an asset id: {part!r}")
            ids.setdefault(int(part), None)
    return list(ids)


# --- what a label says ----------------------------------------------------------------------


@dataclass(frozen=True)
class FittedText:
    """Text as printed: the lines (cut with an ellipsis if need be) and the size in points."""

    lines: tuple[str, ...]
    size: float
    cut: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def height(self) -> float:
        """Return the height the lines take, in millimetres."""
        return len(self.lines) * self.size * LINE_HEIGHT / PT_PER_MM


def text_width(text: str, *, size: float, bold: bool = False) -> float:
    """Return the estimated printed width of ``text`` at ``size`` points, in millimetres."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.40
        elif char in _WIDE:
            ems += 1.12
        elif char.isdigit():
            ems += 0.64
        elif char.isupper():
            ems += 0.86 if "\u0400" <= char <= "\u04ff" else 0.76
        elif char.isalpha():
            ems += 0.72 if "\u0400" <= char <= "\u04ff" else 0.60
        else:
            ems += 1.0
    if bold:
        ems *= _BOLD_FACTOR
    return ems * _SAFETY * size / PT_PER_MM


def _wrap(words: list[str], *, width: float, size: float, bold: bool) -> list[str]:
    """Return ``words`` broken into lines no wider than ``width``; a long word stays whole."""
    lines: list[str] = []
    for word in words:
        if lines and text_width(f"{lines[-1]} {word}", size=size, bold=bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _cut(text: str, *, width: float, size: float, bold: bool) -> str:
    """Return the longest start of ``text`` that fits ``width`` with an ellipsis after it."""
    while text and text_width(text + ELLIPSIS, size=size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip(" ,·-") + ELLIPSIS


def text_fit(
    text: str,
    *,
    width: float,
    size: float,
    min_size: float,
    max_lines: int = 1,
    bold: bool = False,
    step: float = 0.5,
) -> FittedText:
    """Return ``text`` at the largest size from ``size`` down to ``min_size`` that fits.

    It fits when it wraps into at most ``max_lines`` lines of ``width`` millimetres, no word
    wider than a line. If even ``min_size`` does not fit, the text is cut with an ellipsis.
    """
    text = " ".join(text.split())
    if not text:
        return FittedText(lines=(), size=size)
    words = text.split(" ")
    current = size
    while True:
        lines = _wrap(words, width=width, size=current, bold=bold)
        too_wide = any(text_width(line, size=current, bold=bold) > width for line in lines)
        if len(lines) <= max_lines and not too_wide:
            return FittedText(lines=tuple(lines), size=current)
        if current - step < min_size - 1e-9:
            break
        current = round(current - step, 2)
    # At the smallest size: keep the lines that fit, cut the last one.
    kept: list[str] = []
    for line in lines[:max_lines]:
        if text_width(line, size=current, bold=bold) > width:
            kept.append(_cut(line, width=width, size=current, bold=bold))
            break
        kept.append(line)
    if len(lines) > max_lines and not kept[-1].endswith(ELLIPSIS):
        kept[-1] = _cut(kept[-1] + " " + lines[len(kept)], width=width, size=current, bold=bold)
    return FittedText(lines=tuple(kept), size=current, cut=True)


def donors_line(*, donors: Sequence[str], implementer: str = "") -> str:
    """Return who gave the device, e.g. "Gift of Switzerland and the EU · UNDP"."""
    donors = [name for name in donors if name]
    parts = []
    if donors:
        if len(donors) == 1:
            names = donors[0]
        else:
            names = _("%(first)s and %(last)s") % {
                "first": ", ".join(donors[:-1]),
                "last": donors[-1],
            }
        parts.append(_("Gift of %(donors)s") % {"donors": names})
    if implementer:
        parts.append(implementer)
    return " · ".join(parts)


@dataclass(frozen=True)
class LabelFonts:
    """Sizes in points of a label's lines: the largest tried and the smallest accepted."""

    tag: tuple[float, float] = (12.0, 7.0)
    serial: tuple[float, float] = (8.0, 5.5)
    model: tuple[float, float] = (7.5, 5.5)
    donors: tuple[float, float] = (6.5, 5.0)
    model_lines: int = 2
    donors_lines: int = 3


@dataclass(frozen=True)
class AssetLabel:
    """Everything printed on one asset's label."""

    url: str
    qr: SafeString  # inline <svg>
    tag: FittedText
    serial: FittedText
    model: FittedText
    donors: FittedText


def asset_label(
    *,
    url: str,
    tag: str,
    serial: str,
    model: str,
    donors: str,
    donors_short: str = "",
    layout: LabelLayout,
    fonts: LabelFonts = LabelFonts(),
) -> AssetLabel:
    """Return an asset's label for ``layout``: its QR code of ``url`` and its fitted lines.

    ``donors_short`` (e.g. with the donors' codes) replaces ``donors`` when the long form would
    have to be cut.
    """
    width = layout.text_width
    serial_text = _("S/N %(serial)s") % {"serial": serial}
    fitted_donors = text_fit(
        donors,
        width=width,
        size=fonts.donors[0],
        min_size=fonts.donors[1],
        max_lines=fonts.donors_lines,
    )
    if fitted_donors.cut and donors_short:
        fitted_donors = text_fit(
            donors_short,
            width=width,
            size=fonts.donors[0],
            min_size=fonts.donors[1],
            max_lines=fonts.donors_lines,
        )
    label = AssetLabel(
        url=url,
        qr=qr_svg(data=url),
        tag=text_fit(tag, width=width, size=fonts.tag[0], min_size=fonts.tag[1], bold=True),
        serial=text_fit(serial_text, width=width, size=fonts.serial[0], min_size=fonts.serial[1]),
        model=text_fit(
            model,
            width=width,
            size=fonts.model[0],
            min_size=fonts.model[1],
            max_lines=fonts.model_lines,
        ),
        donors=fitted_donors,
    )
    # A short label (e.g. 33.9 mm) may not hold every line at full size: drop donors' lines.
    while _text_height(label) > layout.text_height and len(label.donors.lines) > 1:
        kept = label.donors.lines[:-1]
        size = label.donors.size
        last = _cut(f"{kept[-1]} {label.donors.lines[-1]}", width=width, size=size, bold=False)
        label = replace(label, donors=FittedText((*kept[:-1], last), size, cut=True))
    return label


def _text_height(label: AssetLabel) -> float:
    parts = (label.tag, label.serial, label.model, label.donors)
    return TEXT_GAPS_MM + sum(part.height for part in parts)


# --- the QR code ----------------------------------------------------------------------------


def qr_svg(*, data: str) -> SafeString:
    """Return an inline ``<svg>`` QR code of ``data``, without a quiet zone, sized by its CSS.

    Error correction is Q (a quarter of the symbol can be scratched off) when that needs no
    larger symbol than M, else M; the smallest symbol keeps the modules large on a small label.
    The data is the ``<title>``, which screen readers read out.
    """
    svg = qr_code(data=data).svg_inline(
        border=0, omitsize=True, svgclass="qr", lineclass=None, title=data
    )
    svg = svg.replace("<svg ", '<svg role="img" shape-rendering="crispEdges" ', 1)
    return mark_safe(svg)  # noqa: S308 - segno escapes the title; the rest is its own numbers


def qr_code(*, data: str) -> segno.QRCode:
    """Return the QR code of ``data``: the smallest symbol at M, raised to Q if it still fits."""
    smallest = segno.make_qr(data, error="m", boost_error=False)
    try:
        return segno.make_qr(data, error="q", version=smallest.version, boost_error=False)
    except segno.DataOverflowError:
        return smallest


def _round(value: float) -> float:
    return round(value, 2)
