"""Views of Glemt adgangskode?, the reset link and the activation link."""

from flask import flash, url_for
from flask_babel import gettext as _

from app.blueprints.portal import bp, recovery
from app.blueprints.portal import services as svc
from app.blueprints.portal.forms import ForgotPasswordForm, NewPasswordForm
from app.blueprints.portal.pages import clinic_or_404, page
from app.blueprints.portal.tokens import check_token
from app.core.errors import render_error
from app.core.extensions import limiter
from app.core.web import leave
from app.security import cpr_index


@bp.route("/<clinic_key>/glemt-adgangskode", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def forgot_password(clinic_key: str):
    """Glemt adgangskode?: CPR-nummer + E-mail; one neutral answer whether or not they match."""
    clinic = clinic_or_404(clinic_key)
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return page("portal/forgot_password.html", clinic, form=form, status=status)
    recovery.request_password_reset(clinic=clinic, cpr_index=cpr_index(form.cpr.data),
                                    email=form.email.data)
    return page("portal/forgot_password_sent.html", clinic)


def _link_unusable(clinic, problem: str):
    """An expired, used or broken link: say so and offer a new one."""
    texts = {
        "expired": (_("Linket er udløbet"),
                    _("Linket gælder kun i begrænset tid. Bed om et nyt link.")),
        "used": (_("Linket er allerede brugt"),
                 _("Linket kan kun bruges én gang. Bed om et nyt link, hvis du vil vælge en ny "
                   "adgangskode.")),
        "invalid": (_("Linket er ugyldigt"),
                    _("Linket er ikke gyldigt. Kontrollér, at du har kopieret hele linket.")),
    }
    title, text = texts[problem]
    return render_error(400, title, text,
                        retry_url=url_for("portal.forgot_password", clinic_key=clinic.key))


def _choose_password(clinic_key: str, token: str, purpose: str):
    clinic = clinic_or_404(clinic_key)
    check = check_token(purpose, token)
    if check.user is None:
        return _link_unusable(clinic, check.problem)
    if purpose == "activation" and check.user.activated_at is not None:
        return _link_unusable(clinic, "used")
    template = "portal/activate.html" if purpose == "activation" else "portal/reset_password.html"
    form = NewPasswordForm()
    if not form.validate_on_submit():
        form.password.data = form.password_confirm.data = ""
        return page(template, clinic, form=form, user=check.user,
                    status=422 if form.is_submitted() else 200)
    recovery.set_password_from_link(user=check.user, clinic=clinic, password=form.password.data,
                                    purpose=purpose)
    if svc.security_code_allowed(check.user, clinic):
        flash(_("Din adgangskode er gemt. Du kan nu logge ind med sikkerhedskode."))
    else:
        flash(_("Din adgangskode er gemt. Første gang du logger ind, skal din identitet bekræftes "
                "med MitID: vælg Log ind med MitID."))
    return leave(url_for("portal.front", clinic_key=clinic.key))


@bp.route("/<clinic_key>/nulstil/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(clinic_key: str, token: str):
    """The reset link: choose a new password (1 hour, once)."""
    return _choose_password(clinic_key, token, "password_reset")


@bp.route("/<clinic_key>/aktiver/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def activate(clinic_key: str, token: str):
    """The activation link of a user created by the clinic: choose a password (7 days, once)."""
    return _choose_password(clinic_key, token, "activation")
