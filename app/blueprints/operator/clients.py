"""The operator's register of sister systems (Klinikadgang's OpenID Provider's clients)."""

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import consent
from app.blueprints.auth.access import require_operator
from app.blueprints.operator import bp
from app.blueprints.operator.forms import ClientActionForm, ClientForm
from app.core.web import redirect_303, render_page
from app.provider import backchannel, clients


def _actor() -> str:
    return f"operator:{current_user.user.id}"


def _list_page(status=200):
    return render_page("operator/clients.html", rows=clients.list_clients(),
                       failing=backchannel.failing_clients(), action_form=ClientActionForm(),
                       status=status)


@bp.get("/klienter")
@require_operator
def oidc_clients():
    """The registered sister systems."""
    return _list_page()


def _form_page(form, status=200):
    return render_page("operator/client_new.html", form=form, status=status,
                       current_consent_version=consent.PROFILE_SHARING_VERSION)


@bp.get("/klienter/ny")
@require_operator
def new_oidc_client():
    """The form that registers a sister system."""
    return _form_page(ClientForm(formdata=None))


@bp.post("/klienter/ny")
@require_operator
def add_oidc_client():
    """Register it; its secret is shown once on the answer page."""
    form = ClientForm()
    if not form.validate_on_submit():
        return _form_page(form, 422)
    try:
        row, secret = clients.add_client(form.settings(), actor=_actor())
    except clients.ClientError as exc:
        getattr(form, exc.field).errors = [exc.message]
        return _form_page(form, 422)
    return _secret_page(row, secret, _("Systemet er oprettet"))


def _secret_page(row, secret, heading):
    return render_page("operator/client_secret.html", row=row, secret=secret, heading=heading)


@bp.post("/klienter/<client_id>/ny-hemmelighed")
@require_operator
def rotate_oidc_client_secret(client_id):
    """A new secret, shown once; the old one stops working at once."""
    if not ClientActionForm().validate_on_submit():
        abort(400)
    try:
        secret = clients.rotate_secret(client_id, actor=_actor())
    except clients.ClientError:
        abort(404)
    return _secret_page(clients.find_client(client_id, include_disabled=True), secret,
                        _("Ny hemmelighed"))


@bp.post("/klienter/<client_id>/deaktiver")
@require_operator
def disable_oidc_client(client_id):
    """No new logins or tokens for the system."""
    if not ClientActionForm().validate_on_submit():
        abort(400)
    try:
        clients.disable_client(client_id, actor=_actor())
    except clients.ClientError:
        abort(404)
    return redirect_303(url_for("operator.oidc_clients"))
