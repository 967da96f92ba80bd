"""Forms of the patient list and the stamkort."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.core.forms import DanishMobile, EmailAddress, ValidCPR


class StamdataForm(FlaskForm):
    """Names and address."""

    first_name = StringField(_l("Fornavn"), validators=[
        DataRequired(_l("Skriv fornavn.")), Length(max=100)])
    last_name = StringField(_l("Efternavn"), validators=[
        DataRequired(_l("Skriv efternavn.")), Length(max=100)])
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postnummer"), validators=[
        Optional(), Regexp(r"^\d{4}$", message=_l("Postnummeret er 4 cifre."))])
    city = StringField(_l("By"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Gem"))


class CommunicationForm(FlaskForm):
    """E-mail, mobile and "Patienten har ikke MitID"."""

    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254), EmailAddress()])
    mobile = StringField(_l("Mobil"), validators=[Optional(), Length(max=20), DanishMobile()])
    no_mitid = BooleanField(_l("Patienten har ikke MitID"))
    submit = SubmitField(_l("Gem"))


class NewPatientForm(StamdataForm, CommunicationForm):
    """A new stamkort: CPR, names, address and contact details."""

    cpr = StringField(_l("CPR-nummer"), validators=[
        DataRequired(_l("Skriv CPR-nummeret.")), ValidCPR()])
    submit = SubmitField(_l("Opret patient"))

    field_order = ("cpr", "first_name", "last_name", "address", "postcode", "city", "email",
                   "mobile")
