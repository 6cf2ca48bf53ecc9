"""The reception receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) as a PDF.

Laid out after form 01 of Circular 01/2018/TT-VPCP: agency, dossier code, procedure,
applicant, the documents received with their page counts, the appointment date, the citizen's
lookup secret (only when printed right after the dossier was created: it is never stored in
clear) and a QR code that opens the citizen lookup page with the dossier code filled in.

fpdf2 embeds a subset of Noto Sans (Vietnamese glyphs), so the PDF prints the same anywhere.
The receipt is an official paper and is always in Vietnamese; its wording lives in the gettext
catalog like every other visible string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import qrcode
from fpdf import FPDF

from web.i18n import format_d, format_dt, translations
from web.reads import DossierView

FONT_DIR = Path("/usr/share/fonts/truetype/noto")
REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
BOLD = FONT_DIR / "NotoSans-Bold.ttf"


@dataclass(frozen=True)
class ReceiptData:
    """What the receipt prints besides the dossier itself."""

    agency_name: str
    lookup_url: str
    secret: str | None
    officer: str
    printed_at: datetime


def lookup_url(base_url: str, code: str) -> str:
    """The citizen lookup page with ``code`` filled in (what the receipt's QR code opens)."""
    return f"{base_url.rstrip('/')}/tra-cuu?ma={quote(code, safe='')}"


def _qr_png(url: str) -> object:
    code = qrcode.QRCode(border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()


def render_receipt(dossier: DossierView, data: ReceiptData) -> bytes:
    """The receipt PDF of ``dossier``."""
    _ = translations("vi").gettext
    pdf = FPDF(format="A4")
    pdf.set_title(_("Dossier receipt and appointment") + f" {dossier.code}")
    pdf.set_creator("sohoa")
    pdf.add_font("Noto", "", str(REGULAR))
    pdf.add_font("Noto", "B", str(BOLD))
    pdf.set_margins(18, 15, 18)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Noto", "B", 11)
    pdf.cell(width / 2, 6, data.agency_name.upper(), align="C")
    pdf.cell(width / 2, 6, _("SOCIALIST REPUBLIC OF VIETNAM"), align="C", new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.cell(width / 2, 6, "")
    pdf.cell(width / 2, 6, _("Independence - Freedom - Happiness"), align="C",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(8)
    pdf.set_font("Noto", "B", 15)
    pdf.multi_cell(width, 8, _("DOSSIER RECEIPT AND APPOINTMENT FOR RESULTS"), align="C",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Noto", "", 11)
    pdf.cell(width, 6, _("Dossier code") + f": {dossier.code}", align="C", new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.ln(4)

    def line(label: str, value: str) -> None:
        pdf.set_font("Noto", "B", 11)
        pdf.write(6, f"{label}: ")
        pdf.set_font("Noto", "", 11)
        pdf.write(6, value)
        pdf.ln(7)

    line(_("Receiving agency"), data.agency_name)
    procedure = dossier.procedure_code
    if dossier.procedure_name:
        procedure = f"{dossier.procedure_name} ({dossier.procedure_code})"
    line(_("Procedure"), procedure)
    line(_("Applicant"), dossier.applicant_name)
    if dossier.applicant_id_number:
        line(_("Citizen ID number"), dossier.applicant_id_number)
    if dossier.applicant_phone:
        line(_("Phone"), dossier.applicant_phone)
    if dossier.applicant_email:
        line(_("Email"), dossier.applicant_email)
    line(_("Received at"), format_dt(dossier.created_at))
    pdf.ln(2)
    pdf.set_font("Noto", "B", 11)
    pdf.cell(width, 7, _("Documents received"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", "", 10)
    submitted = [d for d in dossier.documents if d.kind == "submitted"]
    with pdf.table(col_widths=(10, 70, 20), text_align=("CENTER", "LEFT", "CENTER")) as table:
        head = table.row()
        for title in (_("No."), _("Document"), _("Pages")):
            head.cell(title)
        for number, document in enumerate(submitted, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(document.type_name + (" " + _("(reused)") if document.reused_from_id else ""))
            row.cell(str(document.declared_pages or document.page_count))
        if not submitted:
            row = table.row()
            row.cell("")
            row.cell(_("(none yet)"))
            row.cell("")
    pdf.ln(4)
    line(
        _("Appointment for the result"),
        format_d(dossier.appointment_on) if dossier.appointment_on else _("to be announced"),
    )
    if data.secret:
        line(_("Lookup secret"), data.secret)
    else:
        line(_("Lookup secret"), _("given to the applicant at reception"))
    pdf.ln(2)
    top = pdf.get_y()
    pdf.image(_qr_png(data.lookup_url), x=pdf.l_margin, y=top, w=38, h=38)
    pdf.set_xy(pdf.l_margin + 44, top)
    pdf.set_font("Noto", "", 10)
    pdf.multi_cell(
        width - 44,
        5.5,
        _(
            "Scan the QR code, or open %(url)s, and enter the lookup secret to follow the"
            " dossier and download the signed results."
        )
        % {"url": data.lookup_url},
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_y(max(pdf.get_y(), top + 42))
    pdf.set_font("Noto", "", 10)
    pdf.cell(width, 6, _("Receiving officer") + f": {data.officer}", align="R", new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.cell(width, 6, _("Printed at") + f": {format_dt(data.printed_at)}", align="R",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


__all__ = ["ReceiptData", "lookup_url", "render_receipt"]
