"""The text of a PDF document, page by page, with pdfminer.six.

A PDF has no markup to select from: its text is every text box of every page in reading order, a
box's lines joined into one paragraph (a PDF breaks lines where the page ends them, not where the
sentence does, and a reflowed edition would otherwise differ on every line). Each page opens with a
``## Page N`` heading, so a change is cited by the page it is on. pdfminer.six rather than pypdf:
pypdf's ``extract_text`` gives lines, not boxes, so paragraphs cannot be told from line breaks.
"""

from __future__ import annotations

import io
import re

PDF_TYPE = "application/pdf"


class UnreadablePdf(ValueError):
    """The bytes claim to be a PDF but pdfminer cannot read them."""


def is_pdf(body: bytes, content_type: str | None) -> bool:
    """A PDF by its declared media type or by its own signature (a saved file has no media type)."""
    return (content_type or "").split(";")[0].strip().lower() == PDF_TYPE or body[:1024].lstrip().startswith(b"%PDF-")


def pdf_text(body: bytes) -> str:
    """The Markdown text of a PDF: one ``## Page N`` heading per page, then its paragraphs."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer
    from pdfminer.pdfparser import PDFSyntaxError

    pages = []
    try:
        for number, page in enumerate(extract_pages(io.BytesIO(body)), 1):
            boxes = (re.sub(r"\s+", " ", box.get_text()).strip() for box in page if isinstance(box, LTTextContainer))
            pages.append("\n\n".join([f"## Page {number}", *filter(None, boxes)]))
    except (PDFSyntaxError, ValueError, TypeError, KeyError) as exc:
        raise UnreadablePdf(f"not a readable PDF ({exc})") from None
    return "\n\n".join(pages) + "\n"
