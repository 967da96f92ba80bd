"""Forms of staff login."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class PasswordLoginForm(FlaskForm):
    """User ID + password: before the cut-over, in an outage, or for exempted external users."""

    user_id = StringField(_l("Bruger ID"), validators=[
        DataRequired(_l("Skriv dit bruger ID.")), Length(max=80)])
    password = PasswordField(_l("Kodeord"), validators=[
        DataRequired(_l("Skriv dit kodeord.")), Length(max=200)])
    submit = SubmitField(_l("Login"))
