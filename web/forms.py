"""Checks of the reception forms, with messages in the visitor's language."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from web.i18n import today_vietnam

#: Citizen identity card (căn cước công dân): exactly 12 digits.
CCCD = re.compile(r"\d{12}")
PHONE = re.compile(r"\+?\d[\d .-]{7,18}\d")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,24}")
PROCEDURE_CODE = re.compile(r"[0-9A-Za-z.\-_]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Default appointment: a week after reception (an officer changes it per procedure).
DEFAULT_APPOINTMENT_DAYS = 7


def clean(text: str, limit: int = 255) -> str:
    """One line of text: control characters removed, spaces trimmed, cut to ``limit``."""
    return _CONTROL.sub("", text).strip()[:limit]


@dataclass
class DossierForm:
    """The reception's new-dossier form, as typed."""

    procedure_code: str = ""
    procedure_name: str = ""
    applicant_name: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""
    appointment: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def default_appointment(self) -> str:
        return (today_vietnam() + timedelta(days=DEFAULT_APPOINTMENT_DAYS)).isoformat()

    def validate(self, _: Callable[[str], str]) -> date | None:
        """Fill :attr:`errors`; returns the appointment date when the form is valid."""
        self.procedure_code = clean(self.procedure_code, 64)
        self.procedure_name = clean(self.procedure_name)
        self.applicant_name = clean(self.applicant_name)
        self.id_number = clean(self.id_number, 32).replace(" ", "")
        self.phone = clean(self.phone, 32)
        self.email = clean(self.email)
        if not PROCEDURE_CODE.fullmatch(self.procedure_code):
            self.errors["procedure_code"] = _("Enter the procedure code (letters, digits, dots).")
        if not self.procedure_name:
            self.errors["procedure_name"] = _("Enter the procedure name.")
        if not self.applicant_name:
            self.errors["applicant_name"] = _("Enter the applicant's full name.")
        if not CCCD.fullmatch(self.id_number):
            self.errors["id_number"] = _("The citizen ID number (CCCD) has exactly 12 digits.")
        if self.phone and not PHONE.fullmatch(self.phone):
            self.errors["phone"] = _("The phone number is not valid.")
        if self.email and not EMAIL.fullmatch(self.email):
            self.errors["email"] = _("The email address is not valid.")
        appointment: date | None = None
        try:
            appointment = date.fromisoformat(self.appointment)
        except ValueError:
            self.errors["appointment"] = _("Choose the appointment date.")
        else:
            if appointment < today_vietnam():
                self.errors["appointment"] = _("The appointment date cannot be in the past.")
        return None if self.errors else appointment


__all__ = ["CCCD", "DossierForm", "clean"]
