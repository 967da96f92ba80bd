"""The Klinik tab's form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, SubmitField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional, ValidationError

from app.core.forms import EmailAddress

SELF_REGISTRATION_CHOICES = [
    SelectChoice("none", _l("Ingen online selv-oprettelse")),
    SelectChoice("approval", _l("Online selv-oprettelse med læge-godkendelse")),
    SelectChoice("auto", _l("Online selv-oprettelse uden læge-godkendelse")),
]


class HttpsUrl:
    """An https address (the portal links patients to it)."""

    def __call__(self, form, field):
        if field.data and not field.data.lower().startswith("https://"):
            raise ValidationError(_l("Skriv en adresse, der begynder med https://"))


def _url(label):
    return URLField(label, validators=[Optional(), Length(max=500), HttpsUrl()])


class ClinicSettingsForm(FlaskForm):
    """Self-registration, service links and contact details."""

    self_registration = RadioField(
        _l("Patienters oprettelse på Patientportalen"), choices=SELF_REGISTRATION_CHOICES,
        validate_choice=False,
        validators=[AnyOf(["none", "approval", "auto"], message=_l("Vælg en af mulighederne."))])
    booking_enabled = BooleanField(_l("Tidsbestilling"))
    booking_url = _url(_l("Adresse for Tidsbestilling"))
    econsultation_enabled = BooleanField(_l("E-konsultation"))
    econsultation_url = _url(_l("Adresse for E-konsultation"))
    prescription_enabled = BooleanField(_l("Receptfornyelse"))
    prescription_url = _url(_l("Adresse for Receptfornyelse"))
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254), EmailAddress()])
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Gem"))

    def validate(self, extra_validators=None):
        """An enabled link needs an address."""
        ok = super().validate(extra_validators)
        for kind in ("booking", "econsultation", "prescription"):
            if self[f"{kind}_enabled"].data and not self[f"{kind}_url"].data:
                self[f"{kind}_url"].errors.append(_l("Skriv adressen, når linket er slået til."))
                ok = False
        return ok
