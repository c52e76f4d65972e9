"""The one PDF path of the project: an HTML template rendered by xhtml2pdf (pure Python, no browser).

Used by the report export and the review minutes; templates draw bars in HTML, never with JavaScript.
"""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


class PDFError(RuntimeError):
    """xhtml2pdf could not lay the document out."""


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    """The PDF bytes of ``template_name`` rendered with ``context``."""
    from xhtml2pdf import pisa

    html = render_to_string(template_name, context, request=request)
    output = io.BytesIO()
    result = pisa.CreatePDF(html, dest=output, encoding="utf-8")
    if result.err:
        raise PDFError(f"{template_name}: {result.err} layout error(s)")
    return output.getvalue()


def pdf_response(make, filename: str) -> HttpResponse:
    """The PDF ``make()`` returns, shown inline as ``filename`` (a plain 500 when it cannot be laid out)."""
    try:
        content = make()
    except PDFError:
        return HttpResponse(_("The PDF could not be produced."), status=500, content_type="text/plain")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
