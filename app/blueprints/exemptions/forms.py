"""Forms for external users: the clinic's request, and choosing a password from the e-mailed link."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, ValidationError

from app.core.forms import EmailAddress, strip

ROLES = ("bookkeeper", "auditor", "secretarial_agency", "other")


def role_labels() -> dict:
    """Rolle: the kinds of external help the seed names."""
    return {"bookkeeper": _l("Bogholder"), "auditor": _l("Revisor"),
            "secretarial_agency": _l("Eksternt sekretærbureau"), "other": _l("Andet")}


class ExemptionRequestForm(FlaskForm):
    """A named external user who should keep user ID + password login."""

    name = StringField(_l("Navn"), filters=[strip], validators=[
        DataRequired(_l("Skriv den eksterne brugers navn.")), Length(max=200)])
    email = EmailField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("Skriv den eksterne brugers e-mailadresse.")), Length(max=254),
        EmailAddress()])
    organisation = StringField(_l("Firma/organisation"), filters=[strip], validators=[
        DataRequired(_l("Skriv firmaets eller organisationens navn.")), Length(max=200)])
    role = SelectField(_l("Rolle"), choices=lambda: [("", _l("Vælg rolle")),
                                                     *role_labels().items()],
                       validate_choice=False, validators=[
                           DataRequired(_l("Vælg en rolle.")), AnyOf(ROLES, message=_l("Vælg en rolle."))])
    reason = TextAreaField(_l("Begrundelse"), filters=[strip], validators=[
        DataRequired(_l("Skriv en begrundelse.")), Length(max=1000)])
    submit = SubmitField(_l("Send anmodning"))


class StrongPassword:
    """WTForms validator: lower- and upper-case letters and a digit."""

    def __call__(self, form, field):
        value = field.data or ""
        if not (re.search(r"[a-zæøå]", value) and re.search(r"[A-ZÆØÅ]", value)
                and re.search(r"\d", value)):
            raise ValidationError(_l("Kodeordet skal indeholde små og store bogstaver og mindst "
                                     "ét tal."))


class SetPasswordForm(FlaskForm):
    """Choose the password for the user ID (from the e-mailed link)."""

    password = PasswordField(_l("Nyt kodeord"), validators=[
        DataRequired(_l("Skriv et kodeord.")),
        Length(min=8, message=_l("Kodeordet skal være mindst 8 tegn.")), Length(max=200),
        StrongPassword()])
    confirm = PasswordField(_l("Gentag kodeord"), validators=[
        DataRequired(_l("Skriv kodeordet igen.")),
        EqualTo("password", message=_l("De to kodeord er ikke ens."))])
    submit = SubmitField(_l("Gem kodeord"))
