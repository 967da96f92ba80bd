"""Forms of the patient portal, labelled as in the seed (patientportal-vejledning-patient)."""

import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app import cpr
from app.core.clock import today
from app.core.forms import DanishMobile, EmailAddress, strip

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The refused common passwords, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip()
                     and not line.startswith("#"))


class ValidCPR:
    """WTForms validator: format, a real date and the century digit (never modulus 11).

    Leaves the normalised number (DDMMYY-SSSS) in field.data, so "1503812346" works without JS.
    """

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            normalised, born = cpr.parse_cpr(field.data)
        except cpr.InvalidCPR as exc:
            if str(exc) == "format":
                raise ValidationError(_l("Skriv CPR-nummeret med 10 cifre (ddmmåå-xxxx).")) from exc
            raise ValidationError(_l("CPR-nummeret er ikke gyldigt.")) from exc
        if born > today():  # the century digit gives a birth date that has not happened yet
            raise ValidationError(_l("CPR-nummeret er ikke gyldigt."))
        field.data = normalised


class PortalPassword:
    """WTForms validator: the seed's rule (8 characters, lower and upper case, a digit), not common."""

    def __call__(self, form, field):
        value = field.data or ""
        if len(value) < 8 or not (re.search(r"[a-zæøå]", value) and re.search(r"[A-ZÆØÅ]", value)
                                  and re.search(r"\d", value)):
            raise ValidationError(_l("Adgangskoden skal være på mindst 8 tegn og indeholde små og "
                                     "store bogstaver og mindst ét tal."))
        if value.lower() in common_passwords():
            raise ValidationError(_l("Adgangskoden er for almindelig. Vælg en anden."))


class SameAs:
    """WTForms validator: the field repeats another (e-mail compared without case and spaces)."""

    def __init__(self, other: str, message, fold_case: bool = False):
        self.other = other
        self.message = message
        self.fold_case = fold_case

    def __call__(self, form, field):
        first, again = form[self.other].data or "", field.data or ""
        if self.fold_case:
            first, again = first.strip().lower(), again.strip().lower()
        if first != again:
            raise ValidationError(self.message)


def cpr_field(label):
    return StringField(label, filters=[strip], validators=[
        DataRequired(_l("Skriv CPR-nummeret.")), Length(max=20), ValidCPR()])


def _password_fields():
    password = PasswordField(_l("Adgangskode"), validators=[
        DataRequired(_l("Skriv en adgangskode.")), Length(max=200), PortalPassword()])
    confirm = PasswordField(_l("Bekræft adgangskode"), validators=[
        DataRequired(_l("Skriv adgangskoden igen.")),
        SameAs("password", _l("De to adgangskoder er ikke ens."))])
    return password, confirm


class LoginForm(FlaskForm):
    """Log ind med sikkerhedskode, first step: CPR-nummer and Adgangskode."""

    cpr = cpr_field(_l("CPR-nummer"))
    hide_cpr = BooleanField(_l("Skjul CPR-nummer"))
    password = PasswordField(_l("Adgangskode"), validators=[
        DataRequired(_l("Skriv din adgangskode.")), Length(max=200)])
    submit = SubmitField(_l("Log ind"))


class SecurityCodeForm(FlaskForm):
    """Log ind med sikkerhedskode, second step: the code from the e-mail."""

    code = StringField(_l("Sikkerhedskode"), filters=[strip], validators=[
        DataRequired(_l("Skriv sikkerhedskoden fra e-mailen.")),
        Regexp(r"^\d{6}$", message=_l("Sikkerhedskoden er 6 cifre."))])
    submit = SubmitField(_l("Log ind"))


class _PersonFields(FlaskForm):
    """Names, contact details, password and the terms, shared by both registration forms."""

    first_name = StringField(_l("Fornavn"), filters=[strip], validators=[
        DataRequired(_l("Skriv fornavn.")), Length(max=100)])
    last_name = StringField(_l("Efternavn"), filters=[strip], validators=[
        DataRequired(_l("Skriv efternavn.")), Length(max=100)])
    email = EmailField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("Skriv e-mailadressen.")), Length(max=254), EmailAddress()])
    email_confirm = EmailField(_l("Bekræft e-mail"), filters=[strip], validators=[
        DataRequired(_l("Skriv e-mailadressen igen.")),
        SameAs("email", _l("De to e-mailadresser er ikke ens."), fold_case=True)])
    mobile = StringField(_l("Mobil"), filters=[strip], validators=[
        Optional(), Length(max=20), DanishMobile()])
    password, password_confirm = _password_fields()
    accept_terms = BooleanField(
        _l("Jeg accepterer vilkår og retningslinjer for brugen af Patientportalen"),
        validators=[DataRequired(_l("Du skal acceptere vilkårene for at oprette en bruger."))])
    submit = SubmitField(_l("Opret bruger"))


class RegistrationForm(_PersonFields):
    """Opret ny bruger (15 år og derover)."""

    cpr = cpr_field(_l("CPR-nummer"))
    hide_cpr = BooleanField(_l("Skjul CPR-nummer"))


class ChildRegistrationForm(_PersonFields):
    """Opret bruger under 15 år: the child's details, confirmed by a parent or guardian's MitID."""

    child_cpr = cpr_field(_l("Barnets CPR-nummer"))
    guardian_cpr = cpr_field(_l("Forælder/værge CPR-nummer"))
    hide_cpr = BooleanField(_l("Skjul CPR-numre"))


class ForgotPasswordForm(FlaskForm):
    """Glemt adgangskode?: CPR-nummer and E-mail."""

    cpr = cpr_field(_l("CPR-nummer"))
    hide_cpr = BooleanField(_l("Skjul CPR-nummer"))
    email = EmailField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("Skriv din e-mailadresse.")), Length(max=254), EmailAddress()])
    submit = SubmitField(_l("Nulstil adgangskode"))


class NewPasswordForm(FlaskForm):
    """Choose a password from an e-mailed link (password reset or activation)."""

    password, password_confirm = _password_fields()
    submit = SubmitField(_l("Gem adgangskode"))


class ContactForm(FlaskForm):
    """Bekræft e-mail og mobil when they differ from the clinic's record."""

    email = EmailField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("Skriv din e-mailadresse.")), Length(max=254), EmailAddress()])
    mobile = StringField(_l("Mobil"), filters=[strip], validators=[
        Optional(), Length(max=20), DanishMobile()])
    submit = SubmitField(_l("Bekræft"))


class ButtonForm(FlaskForm):
    """A form that is only a button (Registrer, Log ud, Vis CPR-nummer): CSRF and nothing else."""
