"""The printed handover act: what it says, built from an act and its items, and its QR code.

Pure functions: no database, no request. The view calls them inside
``translation.override(act.language)``, so labels and names come out in the act's language;
the same document becomes the print page and, through WeasyPrint, the PDF.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import segno
from django.utils.translation import gettext as _

from deployments.models import HandoverAct, HandoverActItem
from deployments.selectors import category_totals

# Where a thousand ends in printed sums: a no-break space, as the ministry writes figures.
_THOUSANDS = "\u00a0"


@dataclass(frozen=True)
class ActParty:
    name: str
    position: str


@dataclass(frozen=True)
class ActRow:
    number: int
    tag: str
    serial: str
    model: str
    category: str
    value: str


@dataclass(frozen=True)
class ActTotal:
    category: str
    count: int
    value: str


@dataclass(frozen=True)
class ActDocument:
    number: str
    title: str
    language: str
    date: str
    place: str
    office: str
    donors: str
    projects: str
    giver: ActParty
    receiver: ActParty
    rows: list[ActRow]
    totals: list[ActTotal]
    total_count: int
    total_value: str
    notes: str
    corrects: str
    qr_url: str
    qr_svg: str
    page_counter_css: str


def money(value: Decimal) -> str:
    """Return an amount as printed on an act: two decimals, thousands apart, e.g. 12 345.00."""
    return f"{value:,.2f}".replace(",", _THOUSANDS)


def css_string(text: str) -> str:
    """Return ``text`` as a quoted CSS string, safe inside a ``<style>`` element."""
    escaped = "".join(f"\\{ord(char):x} " if char in '\\"<>&\n' else char for char in text)
    return f'"{escaped}"'


def page_counter_css() -> str:
    """Return the CSS ``content`` of a PDF page footer: “page X of Y” in the active language."""
    # Translate with stand-ins for the numbers, then make each stand-in a CSS counter.
    counters = {"\x00": "counter(page)", "\x01": "counter(pages)"}
    text = _("page %(page)s of %(pages)s") % {"page": "\x00", "pages": "\x01"}
    parts = []
    for piece in re.split("([\x00\x01])", text):
        if piece in counters:
            parts.append(counters[piece])
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def act_absolute_url(*, path: str, site_url: str, request_url: str) -> str:
    """Return the address a QR code points to: ``site_url`` + ``path`` when a site URL is set.

    ``request_url`` is the same path made absolute from the request, used without a site URL.
    """
    if site_url:
        return site_url.rstrip("/") + path
    return request_url


def act_qr_svg(*, url: str, caption: str = "") -> str:
    """Return a QR code of ``url`` as inline SVG markup that scales to its box."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=1, border=2, omitsize=True, title=caption or url)


def act_document(*, act: HandoverAct, items: Sequence[HandoverActItem], url: str) -> ActDocument:
    """Return what the printed act says, in the active language.

    ``items`` come with their category and their asset's handover set loaded; ``url`` is the
    act's page, for the QR code.
    """
    rows = [
        ActRow(
            number=index,
            tag=item.tag,
            serial=item.serial,
            model=item.model_name,
            category=item.category.name,
            value=money(item.value),
        )
        for index, item in enumerate(items, start=1)
    ]
    totals = [
        ActTotal(category=line.category.name, count=line.count, value=money(line.value))
        for line in category_totals(items)
    ]
    projects: dict[str, str] = {}
    for item in items:
        handover_set = item.asset.handover_set
        if handover_set is not None:
            projects.setdefault(handover_set.code, f"{handover_set.code} {handover_set.name}")
    corrects = act.replaces.number if act.replaces_id else ""
    return ActDocument(
        number=act.number,
        title=_("Handover act No. %(number)s") % {"number": act.number},
        language=act.language,
        date=act.act_date.strftime("%d.%m.%Y"),
        place=act.place,
        office=f"{act.office.name} ({act.office.code})",
        donors=act.donors,
        projects=", ".join(projects[code] for code in sorted(projects)),
        giver=ActParty(act.giver_name, act.giver_position),
        receiver=ActParty(act.receiver_name, act.receiver_position),
        rows=rows,
        totals=totals,
        total_count=len(rows),
        total_value=money(sum((item.value for item in items), Decimal("0"))),
        notes=act.notes,
        corrects=corrects,
        qr_url=url,
        qr_svg=act_qr_svg(url=url, caption=act.number),
        page_counter_css=page_counter_css(),
    )
