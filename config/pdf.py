"""Print-ready PDF from an HTML page, with WeasyPrint and the system's fonts.

Pages meant for paper (handover acts, label sheets) are plain HTML with print CSS; the same
HTML prints from the browser or becomes a PDF here. The text is set in DejaVu (Debian's
``fonts-dejavu-core``), which has every Tajik letter (ҳ ҷ қ ғ ӣ ӯ). Nothing is fetched from
the network: only ``data:`` addresses are loaded, so a page can never make the server call
out.
"""

from __future__ import annotations


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are missing."""


def html_to_pdf(*, html: str, title: str = "") -> bytes:
    """Return ``html`` rendered as a PDF document."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango not installed
        raise PdfUnavailable(str(exc)) from exc
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=html, url_fetcher=fetcher).render()
    if title:
        document.metadata.title = title
    return document.write_pdf()
