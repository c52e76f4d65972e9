"""The one PDF path of the project: an HTML template laid out by WeasyPrint (CSS Paged Media).

Used by the report export and the review minutes. WeasyPrint gives what print needs and the
browser's print does not: ``@page`` margin boxes (running header and footer with page numbers),
named landscape pages, table headers repeated on every page and rows never cut by a page break.
Charts are SVG (``reporting.charts``) embedded as data URIs, so they print sharp; templates run no
JavaScript and load nothing from the network (the URL fetcher allows ``data:`` URIs only).
"""

from __future__ import annotations

import base64
import logging

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class PDFError(RuntimeError):
    """WeasyPrint could not lay the document out."""


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    """The PDF bytes of ``template_name`` rendered with ``context`` in the current language and its
    typography (``reporting.display.typeset``)."""
    from reporting.display import typeset

    html = typeset(render_to_string(template_name, context, request=request), html=True)
    try:
        # Imported here: WeasyPrint loads the Pango library at import, and a machine without it
        # (a fresh `make run`) must still serve every page, the PDF links answering a clear error.
        import weasyprint

        fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url="data:,")
        return document.write_pdf(pdf_identifier=b"smarketing")
    except Exception as exc:  # WeasyPrint raises anything from its parsers and Pango
        logger.exception("PDF layout failed for %s", template_name)
        raise PDFError(f"{template_name}: {exc}") from exc


def svg_data_uri(svg: bytes) -> str:
    """An SVG image as a ``data:`` URI for an ``<img>`` of a PDF template."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def pdf_response(make, filename: str) -> HttpResponse:
    """The PDF ``make()`` returns, shown inline as ``filename``; a plain 503 when it cannot be laid out
    (WeasyPrint or its Pango library missing or failing: the server cannot serve it, the request was fine)."""
    try:
        content = make()
    except PDFError:
        return HttpResponse(_("The PDF could not be produced."), status=503, content_type="text/plain")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
