"""Views of the clinic enrolment: the public form and the invitation link."""

from flask import request, url_for
from flask_babel import gettext as _

from app.blueprints.auth import broker as broker_flow
from app.blueprints.enrolment import bp, invitations
from app.blueprints.enrolment import services as svc
from app.blueprints.enrolment.forms import EnrolmentForm
from app.blueprints.exemptions.password_link import set_password_page
from app.core.errors import render_error
from app.core.extensions import limiter
from app.core.web import is_fragment_request, redirect_303, render_page


@bp.route("/enrolment", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def enrolment_form():
    """Tilmelding af klinik: clinic information and user overview, without login."""
    form = EnrolmentForm()
    if not form.is_submitted():
        return render_page("enrolment/form.html", form=form)
    if form.more.data:
        form.add_rows()  # "Tilføj flere brugere" without JavaScript: the same form, more rows
        return render_page("enrolment/form.html", form=form)
    if not form.validate():
        return render_page("enrolment/form.html", form=form, status=422)
    svc.submit_enrolment(
        clinic_name=form.clinic_name.data, cvr=form.cvr.data, address=form.address.data,
        postcode=form.postcode.data, city=form.city.data, phone=form.phone.data,
        contact_name=form.contact_name.data, contact_email=form.contact_email.data,
        users=form.filled_users())
    if is_fragment_request():
        return render_page("enrolment/sent.html", push_url=url_for("enrolment.sent"))
    return redirect_303(url_for("enrolment.sent"))


@bp.get("/enrolment/sent")
def sent():
    """The receipt page after the form was sent."""
    return render_page("enrolment/sent.html")


def _unusable(state: str):
    """The page for a link that cannot be used (410 for used or expired, 404 for unknown)."""
    if state == "used":
        return render_error(410, _("Linket er allerede brugt"),
                            _("Linket kan kun bruges én gang. Log ind med MitID, eller kontakt "
                              "din klinik, hvis du har brug for et nyt link."))
    if state == "expired":
        return render_error(410, _("Linket er udløbet"),
                            _("Linket er ikke længere gyldigt. Kontakt din klinik for at få et "
                              "nyt link."))
    return render_error(404, _("Linket er ugyldigt"),
                        _("Tjek, at du har kopieret hele linket fra e-mailen."))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def invitation(token: str):
    """An invitation link from an e-mail: onboarding with MitID, or choosing a password."""
    found = invitations.find_invitation(token)
    if not found.valid:
        return _unusable(found.state)
    if found.invitation.purpose == "set_password":
        return set_password_page(found.invitation, on_unusable=_unusable)
    if request.method == "POST":
        # Fortsæt med MitID (CSRF-checked): the invitation goes along with this one login only.
        return broker_flow.start_login(invitation_id=found.invitation.id, code=303)
    response = render_page("enrolment/invitation.html",
                           user=invitations.invited_user(found.invitation),
                           clinics=invitations.invited_clinic_names(found.invitation))
    response.headers["Content-Security-Policy"] = broker_flow.csp_for_broker_form()
    return response
