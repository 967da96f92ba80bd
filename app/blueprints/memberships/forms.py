"""Forms of the user overview: give a member a function, or add an existing account by user ID."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length

# External access goes through an exemption request approved by the operator, not through here.
ASSIGNABLE = ("clinician", "secretary", "administrator")


def function_labels() -> dict:
    """The Danish names of all functions (external ones are shown, not assigned here)."""
    return {"clinician": _l("behandler"), "secretary": _l("sekretær"),
            "administrator": _l("administrator"), "external": _l("ekstern")}


def _function_choices():
    labels = function_labels()
    return [("", _l("Vælg funktion")), *((name, labels[name]) for name in ASSIGNABLE)]


class AddFunctionForm(FlaskForm):
    """Give a member one more function at this clinic."""

    function = SelectField(_l("Funktion"), choices=_function_choices, validate_choice=False,
                           validators=[DataRequired(_l("Vælg en funktion.")),
                                       AnyOf(ASSIGNABLE, message=_l("Vælg en funktion."))])
    submit = SubmitField(_l("Tilføj funktion"))


class AddMemberForm(FlaskForm):
    """Give an existing staff account a function at this clinic, found by its user ID."""

    user_id = StringField(_l("Bruger ID"), filters=[lambda v: v.strip().lower() if v else v],
                          validators=[DataRequired(_l("Skriv brugerens bruger ID.")), Length(max=80)])
    function = SelectField(_l("Funktion"), choices=_function_choices, validate_choice=False,
                           validators=[DataRequired(_l("Vælg en funktion.")),
                                       AnyOf(ASSIGNABLE, message=_l("Vælg en funktion."))])
    submit = SubmitField(_l("Tilføj bruger"))
