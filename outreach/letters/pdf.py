"""A letter as a PDF (fpdf2): letterhead, date, the recipient's address, the kind's title, the
text, and page numbers, in one TrueType font that covers Latin and Chinese
(``SETTLE_LETTER_FONT``; Debian's fonts-wqy-microhei). The text is the one the compliance gate
passed, word for word, so what the customer reads is what was checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from compliance.rules import LETTER_KINDS


@dataclass(frozen=True)
class RenderedLetter:
    data: bytes
    pages: int


class _Letter(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("letter", size=8)
        text = self.footer_text % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 10, text, align="C")


def letter_pdf(
    *,
    kind: str,
    language: str,
    body: str,
    recipient_name: str,
    recipient_address: str,
    day: date,
    sender: dict[str, str],
    reference: str = "",
) -> RenderedLetter:
    """The PDF of one letter and its page count; ``sender`` is the letterhead (name, address,
    phone)."""
    with translation.override(language):
        title = _(LETTER_KINDS.get(kind, kind))
        footer = _("Page %(page)s of %(pages)s")
    pdf = _Letter(format="A4")
    pdf.footer_text = footer
    pdf.set_title(title)
    pdf.set_creator("Settle")
    pdf.set_creation_date(datetime.combine(day, time(), tzinfo=UTC))
    pdf.add_font("letter", fname=settings.SETTLE_LETTER_FONT)
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    pdf.set_font("letter", size=9)
    head = "\n".join(
        line
        for line in (sender.get("name", ""), sender.get("address", ""), sender.get("phone", ""))
        if line
    )
    pdf.multi_cell(0, 4.5, head, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("letter", size=10.5)
    pdf.multi_cell(
        0, 5.5, f"{recipient_name}\n{recipient_address}".strip(), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(6)
    pdf.multi_cell(0, 5.5, day.isoformat(), align="R", new_x="LMARGIN", new_y="NEXT")
    if reference:
        pdf.set_font("letter", size=8)
        pdf.multi_cell(0, 4.5, reference, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("letter", size=14)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("letter", size=10.5)
    for paragraph in body.split("\n"):
        if paragraph.strip():
            pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(3)
    data = bytes(pdf.output())
    return RenderedLetter(data=data, pages=pdf.pages_count)
