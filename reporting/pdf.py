"""The one PDF path of the project: an HTML template rendered by xhtml2pdf (pure Python, no browser).

Used by the report export and the review minutes; templates draw bars in HTML, never with JavaScript.
"""

from __future__ import annotations

import io

from django.template.loader import render_to_string


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
