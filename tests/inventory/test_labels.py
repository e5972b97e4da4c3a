"""QR label sheets: layouts and placement (pure), the page, its scope, the PDF, the cap."""

from __future__ import annotations

import io
import re

import pytest
import segno
from django.urls import reverse
from pypdf import PdfReader

from inventory import labels
from inventory.labels import LAYOUTS, label_sheets, text_fit, text_width
from tests.factories import (
    AssetModelFactory,
    DistrictFactory,
    FundingSourceFactory,
    HandoverSetFactory,
    ManufacturerFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

TAJIK_LETTERS = "ҳҷқғӣӯ"

# --- layouts and placement: no database ---------------------------------------------------


def test_layouts_are_data_named_as_on_the_box():
    assert labels.DEFAULT_LAYOUT in LAYOUTS
    names = dict(labels.layout_choices())
    assert names["70x37"] == "3 × 8, 70 × 37 mm"
    assert names["63x38"] == "3 × 7, 63.5 × 38.1 mm (Avery L7160)"
    assert {key: layout.per_sheet for key, layout in LAYOUTS.items()} == {
        "70x37": 24,
        "63x38": 21,
        "63x34": 24,
        "99x38": 14,
    }


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=list(LAYOUTS))
def test_every_label_lies_on_the_page_and_none_overlap(layout):
    assert layout.fits_page()
    boxes = [layout.position(i) for i in range(layout.per_sheet)]
    assert len(set(boxes)) == layout.per_sheet
    for x, y in boxes:
        assert x >= 0 and x + layout.width <= labels.PAGE_WIDTH_MM + 0.01
        assert y >= 0 and y + layout.height <= labels.PAGE_HEIGHT_MM + 0.01
    # Room for the QR code and text inside the padding.
    assert layout.qr_size >= 20
    assert layout.text_width >= 25
    assert layout.qr_size + layout.text_width + 2 * layout.padding_x < layout.width


def test_positions_run_left_to_right_then_down():
    layout = LAYOUTS["70x37"]
    assert [layout.position(i) for i in (0, 1, 2, 3)] == [
        (0, 0.5),
        (70, 0.5),
        (140, 0.5),
        (0, 37.5),
    ]
    assert layout.position(23) == (140, 259.5)
    avery = LAYOUTS["63x38"]
    assert avery.position(0) == (7.25, 15.15)
    assert avery.position(1) == (73.25, 15.15)  # 63.5 wide + 2.5 gap
    assert avery.position(20) == (139.25, 243.75)
    with pytest.raises(ValueError):
        layout.position(24)
    with pytest.raises(ValueError):
        layout.position(-1)


def test_sheets_start_at_a_position_and_keep_copies_together():
    layout = LAYOUTS["70x37"]
    sheets = label_sheets(items=["a", "b", "c", "d", "e"], layout=layout, start=23, copies=2)
    assert len(sheets) == 2
    first, second = sheets
    assert [(p.item, p.position) for p in first.labels] == [("a", 23), ("a", 24)]
    assert len(first.skipped) == 22
    assert first.skipped[0] == (0, 0.5)
    assert [(p.item, p.position) for p in second.labels] == [
        ("b", 1),
        ("b", 2),
        ("c", 3),
        ("c", 4),
        ("d", 5),
        ("d", 6),
        ("e", 7),
        ("e", 8),
    ]
    assert second.skipped == []
    assert (second.labels[3].x, second.labels[3].y) == (0, 37.5)
    assert [sheet.number for sheet in sheets] == [1, 2]


def test_a_full_sheet_starts_no_empty_one():
    layout = LAYOUTS["70x37"]
    sheets = label_sheets(items=list(range(24)), layout=layout)
    assert len(sheets) == 1
    assert len(sheets[0].labels) == 24
    assert label_sheets(items=[], layout=layout, start=5) == []
    assert len(label_sheets(items=list(range(25)), layout=layout)) == 2


@pytest.mark.parametrize(
    ("labels_", "start", "expected"), [(0, 1, 0), (1, 1, 1), (24, 1, 1), (25, 1, 2), (2, 24, 2)]
)
def test_sheet_count(labels_, start, expected):
    layout = LAYOUTS["70x37"]
    assert labels.sheet_count(labels=labels_, layout=layout, start=start) == expected
    items = list(range(labels_))
    assert len(label_sheets(items=items, layout=layout, start=start)) == expected


def test_sheet_options_are_checked():
    layout = LAYOUTS["70x37"]
    with pytest.raises(ValueError, match=r"start must be within 1\.\.24, not 25"):
        label_sheets(items=["a"], layout=layout, start=25)
    with pytest.raises(ValueError, match=r"start must be within 1\.\.24, not 0"):
        label_sheets(items=["a"], layout=layout, start=0)
    with pytest.raises(ValueError, match="copies must be at least 1, not 0"):
        label_sheets(items=["a"], layout=layout, copies=0)


def test_ids_are_parsed_in_order_without_repeats():
    assert labels.ids_parse(["3", "1,2", " 3 ,4,", ""]) == [3, 1, 2, 4]
    assert labels.ids_parse([]) == []
    for bad in (["x"], ["0"], ["-1"], ["1.5"], ["٣"]):
        with pytest.raises(ValueError, match="not an asset id"):
            labels.ids_parse(bad)


# --- QR code: no database ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/assets/1/",
        "https://cr-tracker.example.tj/assets/12345/",
        "https://cr-tracker.justice.example.tj/assets/1234567/",
    ],
)
def test_qr_is_the_smallest_symbol_at_m_raised_to_q_when_it_fits(url):
    code = labels.qr_code(data=url)
    smallest = segno.make_qr(url, error="m", boost_error=False)
    assert code.version == smallest.version
    assert code.error in ("M", "Q")
    if code.error == "M":
        with pytest.raises(segno.DataOverflowError):
            segno.make_qr(url, error="q", version=smallest.version, boost_error=False)
    assert not code.is_micro


def test_qr_error_level_falls_back_to_m_when_q_needs_a_larger_symbol():
    # 26 bytes fill version 2 at M (capacity 26) but not at Q (capacity 20).
    url = "https://x.example/assets/1"
    assert len(url) == 26
    code = labels.qr_code(data=url)
    assert (code.version, code.error) == (2, "M")
    assert labels.qr_code(data="https://x.tj/a/1/").error == "Q"


def test_qr_svg_is_inline_without_quiet_zone_and_titled_with_the_address():
    url = "https://cr-tracker.example.tj/assets/12345/?a=1&b=<2>"
    svg = labels.qr_svg(data=url)
    size = labels.qr_code(data=url).symbol_size(border=0)[0]
    assert svg.startswith('<svg role="img" shape-rendering="crispEdges" ')
    assert f'viewBox="0 0 {size} {size}"' in svg
    assert 'class="qr"' in svg
    assert "width=" not in svg.split(">")[0]  # sized by the label's CSS
    assert "<title>https://cr-tracker.example.tj/assets/12345/?a=1&amp;b=&lt;2&gt;</title>" in svg
    assert "<?xml" not in svg
    # The same modules as segno draws for the same symbol.
    expected = labels.qr_code(data=url).svg_inline(border=0, omitsize=True, lineclass=None)
    assert re.search(r' d="([^"]+)"', svg)[1] == re.search(r' d="([^"]+)"', expected)[1]


# --- text that fits: no database -----------------------------------------------------------


def test_short_text_keeps_its_size():
    fitted = text_fit("CR-PR-1", width=33, size=12, min_size=7, bold=True)
    assert fitted == labels.FittedText(lines=("CR-PR-1",), size=12)


def test_long_text_shrinks_then_is_cut_with_an_ellipsis():
    tag = text_fit("CR-PR-000001", width=33.4, size=12, min_size=7, bold=True)
    assert tag.lines == ("CR-PR-000001",)
    assert 7 <= tag.size < 12
    assert not tag.cut
    assert text_width(tag.text, size=tag.size, bold=True) <= 33.4
    serial = text_fit("S/N " + "X" * 80, width=30, size=8, min_size=5.5)
    assert serial.size == 5.5
    assert serial.cut
    assert serial.text.endswith("…")
    assert text_width(serial.text, size=5.5) <= 30


def test_wrapped_text_keeps_to_its_lines():
    text = "Hewlett-Packard LaserJet Enterprise Flow MFP M632z with stapler and finisher"
    fitted = text_fit(text, width=30, size=7.5, min_size=5.5, max_lines=2)
    assert len(fitted.lines) == 2
    assert fitted.cut
    assert fitted.lines[-1].endswith("…")
    assert all(text_width(line, size=fitted.size) <= 30 for line in fitted.lines)
    short = text_fit("HP LaserJet Pro M404dn", width=33, size=7.5, min_size=5.5, max_lines=2)
    assert short.size == 7.5 and not short.cut


@pytest.mark.parametrize(
    ("font", "bold"), [("DejaVuSans.ttf", False), ("DejaVuSans-Bold.ttf", True)]
)
def test_widths_are_estimated_no_narrower_than_dejavu_sans_prints_them(font, bold):
    from pathlib import Path

    from PIL import ImageFont

    path = Path("/usr/share/fonts/truetype/dejavu") / font
    if not path.exists():
        pytest.skip("DejaVu fonts not installed")
    face = ImageFont.truetype(str(path), 100)
    samples = [
        "CR-PR-000001",
        "S/N 5CD3383WV2",
        "HP ProBook 450 G10",
        "Canon i-SENSYS MF443dw",
        "Gift of EU and SDC · UNDP Tajikistan",
        "Швейтсария ва Иттиҳоди Аврупо",
        "ҳуҷҷатҳо ғӯқӣ ҲҶҚҒӢӮ",
        "ЖЖЖШШШЩЩЩЮЮЮ щщщшшшжжжююю",
        "MMMWWW mmmwww",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789",
    ]
    for text in samples:
        real = face.getlength(text) / 100 * 10 / labels.PT_PER_MM  # at 10 pt, in mm
        estimate = text_width(text, size=10, bold=bold)
        assert real <= estimate <= real * 1.4, text


def test_tajik_and_russian_letters_are_measured_wider_than_latin_spaces():
    assert text_width("ҳҷқғӣӯ", size=10) > text_width("......", size=10)
    fitted = text_fit("Принтери ҳамаҷониба ғӯқӣ", width=30, size=7.5, min_size=5.5, max_lines=2)
    assert "".join(fitted.lines).replace(" ", "") == "Принтериҳамаҷонибағӯқӣ"


def test_donors_line():
    assert labels.donors_line(donors=["Switzerland", "the EU"], implementer="UNDP") == (
        "Gift of Switzerland and the EU · UNDP"
    )
    assert labels.donors_line(donors=["A", "B", "C"]) == "Gift of A, B and C"
    assert labels.donors_line(donors=["Japan"]) == "Gift of Japan"
    assert labels.donors_line(donors=[], implementer="UNDP") == "UNDP"
    assert labels.donors_line(donors=[]) == ""


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=list(LAYOUTS))
def test_a_label_never_outgrows_its_layout(layout):
    long_donors = labels.donors_line(
        donors=[
            "European Union Delegation to Tajikistan",
            "Swiss Agency for Development and Cooperation",
        ],
        implementer="United Nations Development Programme",
    )
    label = labels.asset_label(
        url="https://cr-tracker.example.tj/assets/1234567/",
        tag="CR-PR-0000000001-EXTRA",
        serial="SERIAL-NUMBER-THAT-IS-FAR-TOO-LONG-0123456789",
        model="Hewlett-Packard Принтери ҳамаҷониба LaserJet Enterprise Flow MFP M632z",
        donors=long_donors,
        layout=layout,
    )
    width = layout.text_width
    assert text_width(label.tag.text, size=label.tag.size, bold=True) <= width
    for part in (label.serial, label.model, label.donors):
        assert all(text_width(line, size=part.size) <= width for line in part.lines)
    assert len(label.model.lines) <= 2
    assert 1 <= len(label.donors.lines) <= 3
    assert labels._text_height(label) <= layout.text_height


def test_donors_fall_back_to_codes_when_the_names_do_not_fit():
    layout = LAYOUTS["70x37"]
    long = "Gift of European Union Delegation to Tajikistan and Swiss Agency for Development "
    long += "and Cooperation and the Government of Japan and the Republic of Korea · UNDP"
    label = labels.asset_label(
        url="https://x.tj/assets/1/",
        tag="CR-PR-000001",
        serial="CNB3K99999",
        model="HP LaserJet Pro M404dn",
        donors=long,
        donors_short="Gift of EU, SDC, JP and KR · UNDP",
        layout=layout,
    )
    assert label.donors.text == "Gift of EU, SDC, JP and KR · UNDP"
    assert not label.donors.cut
    fits = labels.asset_label(
        url="https://x.tj/assets/1/",
        tag="CR-PR-000001",
        serial="CNB3K99999",
        model="HP LaserJet Pro M404dn",
        donors="Gift of Switzerland and the EU · UNDP",
        donors_short="Gift of SDC and EU · UNDP",
        layout=layout,
    )
    assert fits.donors.text == "Gift of Switzerland and the EU · UNDP"


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    home = OfficeFactory(district=DistrictFactory(region=RegionFactory(code="SU")))
    away = OfficeFactory(district=DistrictFactory(region=RegionFactory(code="GB")))
    eu = FundingSourceFactory(
        code="EU", name_en="the EU", name_tg="Иттиҳоди Аврупо", name_ru="Евросоюз"
    )
    sdc = FundingSourceFactory(
        code="SDC", name_en="Switzerland", name_tg="Швейтсария", name_ru="Швейцария"
    )
    hs = HandoverSetFactory(code="HS-2024-01", implementer="UNDP")
    hs.funding_sources.set([sdc, eu])
    model = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Canon"), name="Сканери ҳуҷҷатҳо ғӯқӣ DR-C240"
    )
    return {
        "home": home,
        "away": away,
        "in": make_asset(office=home, handover_set=hs, asset_model=model, serial="CNB3K00001"),
        "in2": make_asset(office=home, serial="CNB3K00002"),
        "out": make_asset(office=away, handover_set=hs, serial="CNB3K00003"),
    }


def _labels(response) -> list:
    return [placed.item for sheet in response.context["sheets"] for placed in sheet.labels]


@pytest.fixture
def officer_client(client, db):
    client.force_login(make_user("logistics_officer"))
    return client


def test_page_shows_a_preview_with_each_asset_s_label(officer_client, world):
    asset = world["in"]
    response = officer_client.get(reverse("asset_labels"), {"ids": [asset.pk, world["in2"].pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert asset.tag in html
    assert "S/N CNB3K00001" in html
    assert "Canon Сканери" in html
    assert html.count('<svg role="img"') == 2
    assert f"<title>http://testserver/assets/{asset.pk}/</title>" in html
    assert "2 labels · 2 assets · 1 sheet · 3 × 8, 70 × 37 mm" in html
    assert 'id="print-labels"' in html and "window.print()" in html
    assert "_export=pdf" in html
    assert "@page { size: A4; margin: 0; }" in html
    assert 'font-family: "DejaVu Sans", sans-serif' in html
    # Second asset has no handover set: no donors' line, no error.
    first, second = _labels(response)
    assert (first.tag.text, second.tag.text) == (asset.tag, world["in2"].tag)
    assert first.model.text == "Canon Сканери ҳуҷҷатҳо ғӯқӣ DR-C240"
    assert first.donors.text == "Gift of the EU and Switzerland · UNDP"  # by code: EU, SDC
    for line in (*first.model.lines, *first.donors.lines):
        assert f'<span class="label-line">{line}</span>' in html
    assert second.donors.lines == ()


def test_site_url_makes_the_address_in_the_qr(officer_client, world, settings):
    settings.SITE_URL = "https://cr-tracker.example.tj"
    asset = world["in"]
    response = officer_client.get(reverse("asset_labels"), {"ids": asset.pk})
    (label,) = _labels(response)
    assert label.url == f"https://cr-tracker.example.tj/assets/{asset.pk}/"
    assert label.qr == labels.qr_svg(data=label.url)


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_numbers_in_the_sheet_css_are_not_localised(officer_client, world, language):
    officer_client.post(reverse("set_language"), {"language": language})
    response = officer_client.get(
        reverse("asset_labels"), {"ids": world["in"].pk, "layout": "63x38", "start": "2"}
    )
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert "width: 63.5mm; height: 38.1mm; padding: 2.5mm 4.0mm;" in html
    assert '<div class="label" style="left: 73.25mm; top: 15.15mm">' in html


def test_options_place_the_labels(officer_client, world):
    ids = f"{world['in'].pk},{world['in2'].pk}"
    response = officer_client.get(
        reverse("asset_labels"), {"ids": ids, "start": "24", "copies": "3"}
    )
    sheets = response.context["sheets"]
    assert [[p.position for p in sheet.labels] for sheet in sheets] == [[24], [1, 2, 3, 4, 5]]
    assert [p.item.tag.text for p in sheets[1].labels] == [world["in"].tag] * 2 + [
        world["in2"].tag
    ] * 3
    html = response.content.decode()
    assert html.count('class="label label-used"') == 23
    assert "6 labels · 2 assets · 2 sheets" in html
    # The options form and the PDF link keep the selection.
    assert f'<input type="hidden" name="ids" value="{ids}">' in html
    assert f"ids={ids.replace(',', '%2C')}" in response.context["pdf_url"]
    assert "start=24" in response.context["pdf_url"]


def test_post_from_the_list_is_accepted(officer_client, world):
    response = officer_client.post(reverse("asset_labels"), {"ids": [world["in"].pk]})
    assert response.status_code == 200
    assert [label.tag.text for label in _labels(response)] == [world["in"].tag]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "25"}, "start", "A sheet of this kind has 24 labels: start at 1 to 24."),
        (
            {"start": "22", "layout": "63x38"},
            "start",
            "A sheet of this kind has 21 labels: start at 1 to 21.",
        ),
        ({"start": "0"}, "start", "Ensure this value is greater than or equal to 1."),
        ({"copies": "11"}, "copies", "Ensure this value is less than or equal to 10."),
        ({"copies": "two"}, "copies", "Enter a whole number."),
        (
            {"layout": "a5"},
            "layout",
            "Select a valid choice. a5 is not one of the available choices.",
        ),
    ],
)
def test_wrong_options_are_explained_next_to_the_field(
    officer_client, world, params, field, message
):
    response = officer_client.get(reverse("asset_labels"), {"ids": world["in"].pk, **params})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert "sheets" not in response.context


def test_nothing_selected_goes_back_to_the_list_and_says_why(officer_client, world):
    back = reverse("asset_list") + "?status=deployed"
    response = officer_client.get(reverse("asset_labels"), {"next": back}, follow=True)
    assert response.redirect_chain == [(back, 302)]
    assert (
        "No assets were selected. Tick the assets to label, or choose "
        "“Labels for all filtered assets”."
    ) in response.content.decode()
    # An address elsewhere is not followed.
    response = officer_client.get(reverse("asset_labels"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("asset_list")


def test_from_list_prints_the_filtered_rows_in_the_list_s_order(officer_client, world):
    response = officer_client.get(
        reverse("asset_labels"),
        {"from_list": "1", "region": world["home"].region_id, "sort": "-serial", "page": "1"},
    )
    assert [label.tag.text for label in _labels(response)] == [world["in2"].tag, world["in"].tag]
    assert response.context["back_url"] == (
        reverse("asset_list") + f"?region={world['home'].region_id}&sort=-serial&page=1"
    )
    html = response.content.decode()
    assert f'<input type="hidden" name="region" value="{world["home"].region_id}">' in html
    assert '<input type="hidden" name="from_list" value="1">' in html


def test_from_list_with_no_match_says_so(officer_client, world):
    response = officer_client.get(reverse("asset_labels"), {"from_list": "1", "q": "NOTHING"})
    assert response.status_code == 200
    assert "No assets match the list&#x27;s filters: there is nothing to print." in (
        response.content.decode()
    )


def test_from_list_with_a_wrong_filter_says_so(officer_client, world):
    response = officer_client.get(reverse("asset_labels"), {"from_list": "1", "status": "melted"})
    assert response.context["problem"] == (
        "The list's filters are not valid: "
        "Select a valid choice. melted is not one of the available choices."
    )


# --- scope ---------------------------------------------------------------------------------


NOT_FOUND = "There is nothing here, or it is outside the regions you work in."


def test_a_technician_cannot_print_another_region_s_asset(client, world):
    client.force_login(make_user("technician", regions=[world["home"].region]))
    response = client.get(reverse("asset_labels"), {"ids": [world["in"].pk, world["out"].pk]})
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()
    assert world["in"].tag not in response.content.decode()
    response = client.get(reverse("asset_labels"), {"ids": world["in"].pk})
    assert response.status_code == 200
    # The list's rows: only those in scope, whatever the filters ask.
    response = client.get(reverse("asset_labels"), {"from_list": "1"})
    tags = {label.tag.text for label in _labels(response)}
    assert tags == {world["in"].tag, world["in2"].tag}
    response = client.get(
        reverse("asset_labels"), {"from_list": "1", "region": world["away"].region_id}
    )
    assert response.context["problem"].startswith("The list's filters are not valid")


def test_an_office_head_prints_only_the_office_s_assets(client, world):
    client.force_login(make_user("office_head", office=world["away"]))
    assert client.get(reverse("asset_labels"), {"ids": world["in"].pk}).status_code == 404
    response = client.get(reverse("asset_labels"), {"from_list": "1"})
    assert [label.tag.text for label in _labels(response)] == [world["out"].tag]


def test_unknown_or_malformed_ids_answer_404(officer_client, world):
    for ids in ("999999", "1;DROP", f"{world['in'].pk},x"):
        response = officer_client.get(reverse("asset_labels"), {"ids": ids})
        assert response.status_code == 404
        assert NOT_FOUND in response.content.decode()


def test_a_user_without_a_role_is_refused(client, world):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("asset_labels"), {"ids": world["in"].pk}).status_code == 403


# --- the cap -------------------------------------------------------------------------------


def test_more_labels_than_the_cap_are_refused_with_the_reason(officer_client, world, monkeypatch):
    monkeypatch.setattr(labels, "MAX_LABELS", 2)
    message = (
        "You asked for 3 labels; at most 2 (1 sheets) are printed at once. "
        "Narrow the list&#x27;s filters or tick fewer assets, or print fewer copies."
    )
    response = officer_client.get(reverse("asset_labels"), {"from_list": "1"})
    assert message in response.content.decode()
    assert "sheets" not in response.context
    # Copies count too: 2 assets × 2 copies.
    response = officer_client.get(
        reverse("asset_labels"), {"ids": f"{world['in'].pk},{world['in2'].pk}", "copies": "2"}
    )
    assert "You asked for 4 labels; at most 2" in response.content.decode()
    # The PDF is not made either.
    response = officer_client.get(reverse("asset_labels"), {"from_list": "1", "_export": "pdf"})
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_the_real_cap_is_twenty_sheets_of_24():
    assert labels.MAX_LABELS == 480
    assert labels.sheet_count(labels=labels.MAX_LABELS, layout=LAYOUTS["70x37"]) == 20


# --- the PDF -------------------------------------------------------------------------------


def test_pdf_has_the_labels_in_tajik(officer_client, world, settings):
    settings.SITE_URL = "https://cr-tracker.example.tj"
    officer_client.post(reverse("set_language"), {"language": "tg"})
    asset = world["in"]
    response = officer_client.get(
        reverse("asset_labels"), {"ids": [asset.pk, world["in2"].pk], "_export": "pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="asset-labels.pdf"'
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert [round(float(v)) for v in page.mediabox[2:]] == [595, 842]  # A4 in points
    text = " ".join(page.extract_text().split())  # lines as the label wraps them
    assert asset.tag in text
    assert world["in2"].tag in text
    assert "CNB3K00001" in text
    assert "ҳуҷҷатҳо" in text  # the model's Tajik name
    assert "Иттиҳоди Аврупо" in text  # a donor's Tajik name
    assert all(letter in text for letter in TAJIK_LETTERS)


def test_pdf_pages_are_the_sheets(officer_client, world):
    response = officer_client.get(
        reverse("asset_labels"),
        {"ids": world["in"].pk, "copies": "3", "start": "23", "_export": "pdf"},
    )
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    assert reader.metadata.title == "Asset labels"


def test_without_weasyprint_the_page_says_to_print_from_the_browser(
    officer_client, world, monkeypatch
):
    from config.pdf import PdfUnavailable
    from inventory import views

    def unavailable(**kwargs):
        raise PdfUnavailable("no pango")

    monkeypatch.setattr(views, "html_to_pdf", unavailable)
    response = officer_client.get(
        reverse("asset_labels"), {"ids": world["in"].pk, "_export": "pdf"}
    )
    assert response.status_code == 503
    assert "The PDF cannot be made on this server at the moment." in response.content.decode()


# --- the list and the asset page ----------------------------------------------------------


def test_the_list_has_ticks_and_both_label_buttons(officer_client, world):
    response = officer_client.get(reverse("asset_list"), {"status": "deployed"})
    html = response.content.decode()
    asset = world["in"]
    assert (
        f'<input type="checkbox" name="ids" value="{asset.pk}" aria-label="Select {asset.tag}" />'
        in html
    )
    assert 'aria-label="Select all rows on this page"' in html
    assert f'action="{reverse("asset_labels")}"' in html
    assert "Print labels for selected" in html
    assert f'href="{reverse("asset_labels")}?from_list=1&amp;status=deployed"' in html


def test_exports_have_no_tick_column(officer_client, world):
    response = officer_client.get(reverse("asset_list"), {"_export": "csv"})
    header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Asset tag,Serial number,")


def test_the_asset_page_links_to_its_label(officer_client, world):
    asset = world["in"]
    html = officer_client.get(reverse("asset_detail", args=[asset.pk])).content.decode()
    page = reverse("asset_detail", args=[asset.pk])
    assert f'href="{reverse("asset_labels")}?ids={asset.pk}&amp;next={page}"' in html
    assert "Print label" in html


# --- scanning a label ----------------------------------------------------------------------


def test_scanning_a_label_logged_out_goes_through_the_login_to_the_asset(client, world):
    from tests.factories import UserFactory

    asset = world["in"]
    user = make_user("technician", regions=[world["home"].region], username="field-tech")
    assert user == UserFactory._meta.model.objects.get(username="field-tech")
    officer = make_user("logistics_officer")
    client.force_login(officer)
    (label,) = _labels(client.get(reverse("asset_labels"), {"ids": asset.pk}))
    client.logout()

    path = label.url.removeprefix("http://testserver")
    assert path == reverse("asset_detail", args=[asset.pk])
    response = client.get(path)
    login = f"{reverse('login')}?next={path}"
    assert (response.status_code, response["Location"]) == (302, login)
    page = client.get(login)
    assert f'name="next" value="{path}"' in page.content.decode()
    response = client.post(
        login, {"username": "field-tech", "password": "pass-for-tests-1", "next": path}
    )
    assert (response.status_code, response["Location"]) == (302, path)
    response = client.get(path)
    assert response.status_code == 200
    assert asset.tag in response.content.decode()


def test_the_label_page_itself_asks_to_log_in(client, world):
    response = client.get(reverse("asset_labels"), {"ids": world["in"].pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
