"""The operator's forms: the outage fallback switch and the decision on a request."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from app.consent import PROFILE_SHARING_VERSION
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


def _lines(value):
    """A textarea of one URI per line, as a list."""
    if isinstance(value, list):
        return value
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ClientForm(FlaskForm):
    """Register a sister system with Klinikadgang's OpenID Provider."""

    name = StringField(_l("Navn"), filters=[strip],
                       validators=[DataRequired(_l("Skriv systemets navn.")), Length(max=200)])
    client_id = StringField(_l("Client ID (valgfri)"), filters=[strip],
                            validators=[Optional(), Length(max=64)])
    redirect_uris = TextAreaField(_l("Redirect URI'er (én pr. linje)"),
                                  validators=[DataRequired(_l("Skriv mindst én adresse.")),
                                              Length(max=4000)])
    post_logout_redirect_uris = TextAreaField(_l("Adresser efter Log ud (én pr. linje)"),
                                              validators=[Optional(), Length(max=4000)])
    backchannel_logout_uri = StringField(_l("Back-channel logout URI"), filters=[strip],
                                         validators=[Optional(), Length(max=500)])
    scopes = StringField(_l("Tilladte scopes (mellemrum imellem)"), filters=[strip],
                         default="openid profile clinic",
                         validators=[DataRequired(_l("Skriv mindst openid.")),
                                     Length(max=500)])
    auth_method = SelectField(_l("Klientgodkendelse"), choices=[
        SelectChoice("client_secret_basic", "client_secret_basic"),
        SelectChoice("client_secret_post", "client_secret_post"),
        SelectChoice("private_key_jwt", _l("private_key_jwt (systemets egen nøgle)")),
        SelectChoice("none", _l("Ingen (offentlig klient med PKCE)"))])
    jwks_uri = StringField(_l("JWKS URI (til private_key_jwt)"), filters=[strip],
                           validators=[Optional(), Length(max=500)])
    required_acr = SelectField(_l("Krævet loginniveau"), choices=[
        SelectChoice("", _l("Intet krav")), SelectChoice("mitid-substantial", _l("MitID, betydelig")),
        SelectChoice("mitid-high", _l("MitID, høj"))])
    login_url = StringField(_l("Login-adresse på forsiden"), filters=[strip],
                            validators=[Optional(), Length(max=500)])
    access_token_seconds = IntegerField(_l("Adgangstokens levetid (sekunder)"), default=300,
                                        validators=[InputRequired(_l("Skriv et antal sekunder."))])
    refresh_token_seconds = IntegerField(_l("Refresh-tokens levetid (sekunder)"),
                                         default=8 * 3600,
                                         validators=[InputRequired(_l("Skriv et antal sekunder."))])
    consent_versions = StringField(_l("Samtykketekster, der nævner systemet (versioner)"),
                                   filters=[strip], default=PROFILE_SHARING_VERSION,
                                   validators=[Optional(), Length(max=200)])

    def settings(self):
        """The form as the provider's ClientSettings."""
        from app.provider.clients import ClientSettings

        return ClientSettings(
            name=self.name.data, client_id=self.client_id.data or None,
            redirect_uris=_lines(self.redirect_uris.data),
            post_logout_redirect_uris=_lines(self.post_logout_redirect_uris.data),
            backchannel_logout_uri=self.backchannel_logout_uri.data or None,
            scopes=(self.scopes.data or "").split(), auth_method=self.auth_method.data,
            jwks_uri=self.jwks_uri.data or None,
            required_acr=self.required_acr.data or None,
            login_url=self.login_url.data or None,
            consent_versions=(self.consent_versions.data or "").split(),
            access_token_seconds=self.access_token_seconds.data,
            refresh_token_seconds=self.refresh_token_seconds.data)


class ClientActionForm(FlaskForm):
    """A button on a registered client (new secret, disable): CSRF only."""
