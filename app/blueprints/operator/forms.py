"""The operator's forms: the outage fallback switch and the decision on a request."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.core.forms import strip


class FallbackForm(FlaskForm):
    """Switch the fallback; a reason is required either way."""

    on = HiddenField(validators=[AnyOf(["1", "0"])])
    reason = TextAreaField(_l("Begrundelse"), validators=[
        DataRequired(_l("Skriv en begrundelse.")), Length(max=500)])


class DecisionForm(FlaskForm):
    """The operator's decision on a request: approve or reject, with an optional note."""

    note = TextAreaField(_l("Bemærkning (valgfri)"), filters=[strip],
                         validators=[Optional(), Length(max=1000)])
    approve = SubmitField(_l("Godkend"))
    reject = SubmitField(_l("Afvis"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not (self.approve.data or self.reject.data):
            self.form_errors.append(_l("Vælg Godkend eller Afvis."))
            return False
        return ok
