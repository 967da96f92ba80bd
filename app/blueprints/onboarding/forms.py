"""Forms of the onboarding wizard, labelled as in the seed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from app.core.forms import DanishMobile, EmailAddress


class LegacyLoginForm(FlaskForm):
    """Log in once with the existing account to link it."""

    user_id = StringField(_l("Bruger ID"), validators=[
        DataRequired(_l("Skriv dit bruger ID.")), Length(max=80)])
    password = PasswordField(_l("Kodeord"), validators=[
        DataRequired(_l("Skriv dit kodeord.")), Length(max=200)])
    submit = SubmitField(_l("Login"))


class ContactForm(FlaskForm):
    """The private e-mail and mobile number."""

    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Skriv din private e-mailadresse.")), Length(max=254), EmailAddress()])
    mobile = StringField(_l("Mobil"), validators=[
        DataRequired(_l("Skriv dit mobilnummer.")), Length(max=20), DanishMobile()])
    submit = SubmitField(_l("Send kode"))


class CodeForm(FlaskForm):
    """The 6-digit code from the e-mail."""

    code = StringField(_l("Kode"), validators=[
        DataRequired(_l("Skriv koden fra e-mailen.")),
        Regexp(r"^\s*\d{6}\s*$", message=_l("Koden er 6 cifre."))])
    submit = SubmitField(_l("Verificer kode"))


class ConsentForm(FlaskForm):
    """Give consent (the button is the whole form)."""

    submit = SubmitField(_l("Giv samtykke"))


class InvitationConfirmForm(FlaskForm):
    """Er det dig? Yes attaches the invited account; no goes on without it."""

    confirm = SubmitField(_l("Ja, det er mig"))
    decline = SubmitField(_l("Nej, det er ikke mig"))
