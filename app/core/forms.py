"""Field validators and normalisers shared by the forms of several areas."""

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from app.cpr import InvalidCPR, parse_cpr

_MOBILE = re.compile(r"^(?:\+45|0045)?([2-9]\d{7})$")


def strip(value):
    """WTForms filter: surrounding whitespace off a typed text."""
    return value.strip() if isinstance(value, str) else value


def normalise_mobile(raw: str) -> str | None:
    """Return a Danish mobile number as +45XXXXXXXX, or None when it is not one."""
    digits = re.sub(r"[\s\-().]", "", raw or "")
    match = _MOBILE.match(digits)
    return "+45" + match.group(1) if match else None


class DanishMobile:
    """WTForms validator: an 8-digit Danish number, optionally with +45."""

    def __call__(self, form, field):
        if field.data and normalise_mobile(field.data) is None:
            raise ValidationError(_l("Skriv et dansk mobilnummer med 8 cifre."))


class EmailAddress:
    """WTForms validator using email-validator (syntax only: no DNS lookups)."""

    def __call__(self, form, field):
        if not field.data:
            return
        address = field.data.strip()
        try:
            # Letters like æ, ø and å before the @ need SMTPUTF8, which neither flask-mail nor
            # many relays speak: such an address is refused here, with its own message.
            result = validate_email(address, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as exc:
            local = address.rpartition("@")[0]
            if "@" in address and not local.isascii():
                raise ValidationError(
                    _l("Skriv e-mailadressen uden æ, ø, å og andre særlige tegn før @.")) from exc
            raise ValidationError(_l("Skriv en gyldig e-mailadresse.")) from exc
        field.data = result.normalized.lower()  # one spelling per address, for lookups and limits


class ValidCPR:
    """WTForms validator: format, date and century digit (never modulus 11); normalises DDMMYY-SSSS."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = parse_cpr(field.data)[0]
        except InvalidCPR as exc:
            raise ValidationError(_l("Skriv et gyldigt CPR-nummer (DDMMÅÅ-XXXX).")) from exc
