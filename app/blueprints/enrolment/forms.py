"""Forms of the clinic enrolment (labels as in PACSKlinikForum) and of the operator's decision."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from app.core.db import get_session
from app.core.forms import EmailAddress, normalise_mobile, strip
from app.models import Clinic, ClinicEnrolment

USER_ROWS = 5  # empty user rows shown at first; "Tilføj flere brugere" adds MORE_ROWS
MORE_ROWS = 3
MAX_ROWS = 50
FUNCTIONS = ("clinician", "secretary", "administrator")


def function_choices():
    """The functions a clinic can list for its users (external users go through exemptions)."""
    return [("", _l("Vælg funktion")), ("clinician", _l("behandler")),
            ("secretary", _l("sekretær")), ("administrator", _l("administrator"))]


def _digits_only(value):
    """Drop the spaces people type in numbers ("12 34 56 78")."""
    return re.sub(r"[\s\-]", "", value) if isinstance(value, str) else value


class DanishPhone:
    """WTForms validator: an 8-digit Danish telephone number, optionally with +45."""

    def __call__(self, form, field):
        if field.data and normalise_mobile(field.data) is None:
            raise ValidationError(_l("Skriv et dansk telefonnummer med 8 cifre."))


class EnrolmentUserForm(Form):
    """One row of the user overview; a row left completely empty is ignored."""

    name = StringField(_l("Navn"), filters=[strip], validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-mail"), filters=[strip],
                       validators=[Optional(), Length(max=254), EmailAddress()])
    function = SelectField(_l("Funktion"), choices=function_choices, validate_choice=False,
                           validators=[Optional(), AnyOf(FUNCTIONS, message=_l("Vælg en funktion."))])

    def is_blank(self) -> bool:
        return not (self.name.data or self.email.data or self.function.data)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        required = ((self.name, _l("Skriv brugerens navn.")),
                    (self.email, _l("Skriv brugerens e-mailadresse.")),
                    (self.function, _l("Vælg brugerens funktion.")))
        for field, message in required:
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


class EnrolmentForm(FlaskForm):
    """Tilmelding af klinik: clinic information and the user overview."""

    clinic_name = StringField(_l("Klinikkens navn"), filters=[strip], validators=[
        DataRequired(_l("Skriv klinikkens navn.")), Length(max=200)])
    cvr = StringField(_l("CVR-nummer"), filters=[_digits_only], validators=[
        DataRequired(_l("Skriv klinikkens CVR-nummer.")),
        Regexp(r"^\d{8}$", message=_l("CVR-nummeret er 8 cifre."))])
    address = StringField(_l("Adresse"), filters=[strip], validators=[
        DataRequired(_l("Skriv klinikkens adresse.")), Length(max=200)])
    postcode = StringField(_l("Postnummer"), filters=[_digits_only], validators=[
        DataRequired(_l("Skriv postnummeret.")),
        Regexp(r"^\d{4}$", message=_l("Postnummeret er 4 cifre."))])
    city = StringField(_l("By"), filters=[strip], validators=[
        DataRequired(_l("Skriv byen.")), Length(max=100)])
    phone = StringField(_l("Telefon"), filters=[strip], validators=[
        DataRequired(_l("Skriv klinikkens telefonnummer.")), Length(max=20), DanishPhone()])
    contact_name = StringField(_l("Kontaktperson"), filters=[strip], validators=[
        DataRequired(_l("Skriv kontaktpersonens navn.")), Length(max=200)])
    contact_email = EmailField(_l("Kontaktpersonens e-mail"), filters=[strip], validators=[
        DataRequired(_l("Skriv kontaktpersonens e-mailadresse.")), Length(max=254), EmailAddress()])
    users = FieldList(FormField(EnrolmentUserForm), min_entries=USER_ROWS, max_entries=MAX_ROWS)
    submit = SubmitField(_l("Send tilmelding"))
    more = SubmitField(_l("Tilføj flere brugere"))

    def filled_users(self) -> list[dict]:
        """The user rows that are not empty."""
        return [{"name": row.form.name.data, "email": row.form.email.data,
                 "function": row.form.function.data}
                for row in self.users if not row.form.is_blank()]

    def add_rows(self) -> None:
        """Show more empty user rows (up to the maximum)."""
        for _ in range(MORE_ROWS):
            if len(self.users) < MAX_ROWS:
                self.users.append_entry()

    def validate_cvr(self, field):
        db = get_session()
        if db.exec(select(Clinic.id).where(Clinic.cvr == field.data)).first():
            raise ValidationError(_l("En klinik med dette CVR-nummer er allerede tilmeldt."))
        if db.exec(select(ClinicEnrolment.id).where(ClinicEnrolment.cvr == field.data,
                                                    ClinicEnrolment.status == "pending")).first():
            raise ValidationError(_l("Der er allerede en tilmelding under behandling for dette "
                                     "CVR-nummer."))

    def validate_users(self, field):
        users = self.filled_users()
        if not users:
            raise ValidationError(_l("Skriv mindst én bruger i brugeroversigten."))
        if not any(user["function"] == "administrator" for user in users):
            raise ValidationError(_l("Mindst én bruger skal være administrator."))
        emails = [user["email"] for user in users if user["email"]]
        if len(emails) != len(set(emails)):
            raise ValidationError(_l("Hver bruger skal have sin egen e-mailadresse."))
