"""Views of the portal's front page, help, and the logged-in patient's pages."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app import audit, broker_sessions, cpr
from app.blueprints.clinic_settings.services import enabled_service_links
from app.blueprints.portal import bp, mitid
from app.blueprints.portal import services as svc
from app.blueprints.portal.forms import ButtonForm, ContactForm, LoginForm
from app.blueprints.portal.pages import clinic_or_404, logged_in_here, page
from app.blueprints.portal.sessions import (
    current_portal_session,
    current_portal_user,
    end_portal_session,
    portal_clinic,
    portal_login_required,
)
from app.core.db import get_session
from app.core.extensions import limiter
from app.core.forms import normalise_mobile
from app.core.web import is_fragment_request, leave, redirect_303
from app.oidc import citizen_broker

# The outcome pages after a registration's MitID confirmation, by kind.
OUTCOMES = ("requested", "closed", "child_created", "child_requested", "child_closed",
            "child_existing", "child_custody_requested", "not_registered", "unconfirmed")


def front_page(clinic, form=None, status=200):
    """The front page: MitID, security code, Opret bruger, Hjælp."""
    return page("portal/front.html", clinic, status=status,
                form=form or LoginForm(formdata=None))


@bp.get("/<clinic_key>")
def front(clinic_key: str):
    """Patientportal forside of a clinic; a logged-in patient goes on to their pages."""
    clinic = clinic_or_404(clinic_key)
    user = logged_in_here(clinic)
    if user is not None:
        return redirect(svc.next_url(user, clinic))
    return front_page(clinic)


@bp.get("/<clinic_key>/hjaelp")
def help_page(clinic_key: str):
    """Hjælp: the guide to registration and login, or (logged in) to the portal's functions."""
    clinic = clinic_or_404(clinic_key)
    return page("portal/help.html", clinic)


@bp.get("/<clinic_key>/vilkaar")
def terms(clinic_key: str):
    """Vilkår og retningslinjer for brugen af Patientportalen."""
    return page("portal/terms.html", clinic_or_404(clinic_key))


@bp.get("/<clinic_key>/oprettelse/<kind>")
def outcome(clinic_key: str, kind: str):
    """What happened after MitID: request sent, child created, not a user, …"""
    if kind not in OUTCOMES:
        abort(404)
    return page("portal/outcome.html", clinic_or_404(clinic_key), kind=kind)


def _home(clinic, user, *, reveal=False):
    return page("portal/home.html", clinic, links=enabled_service_links(clinic.id),
                clinics=svc.registered_clinics(user), form=ButtonForm(formdata=None),
                cpr_shown=cpr.reveal(user.cpr_encrypted) if reveal else None,
                cpr_masked=cpr.mask(cpr.reveal(user.cpr_encrypted)))


@bp.get("/<clinic_key>/hjem")
@portal_login_required
def home(clinic_key: str):
    """The patient's home page: the clinic's services, own details, clinics, Log ud."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    target = svc.next_url(user, clinic)
    if target != url_for("portal.home", clinic_key=clinic_key):
        return redirect(target)
    return _home(clinic, user)


@bp.post("/<clinic_key>/hjem/cpr")
@portal_login_required
def reveal_cpr(clinic_key: str):
    """Vis CPR-nummer: the patient asks to see their own full CPR number (audited)."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    if not ButtonForm().validate_on_submit() or svc.linked_record(user, clinic) is None:
        return redirect_303(url_for("portal.home", clinic_key=clinic_key))
    audit.record("portal_cpr_revealed", actor=svc.actor(user), target_type="portal_user",
                 target_id=user.id, clinic_id=clinic.id)
    get_session().commit()
    return _home(clinic, user, reveal=True)


@bp.post("/<clinic_key>/log-ud")
def logout(clinic_key: str):
    """Log ud: end the portal session here and, after a MitID login, at the citizen broker too.

    As for staff (auth.logout): no redirect to the broker from this POST (form-action 'self');
    htmx navigates to our GET that redirects there, without JS our logged-out page links to it.
    """
    clinic = clinic_or_404(clinic_key)
    if not ButtonForm().validate_on_submit():
        return leave(url_for("portal.front", clinic_key=clinic.key))
    row = current_portal_session()
    method, row_id = (row.method, row.id) if row is not None else (None, None)
    end_portal_session()
    if method != "mitid":
        flash(_("Du er logget ud. Luk alle browservinduer, hvis du bruger en fælles computer."))
        return leave(url_for("portal.front", clinic_key=clinic.key))  # no MitID: nothing at MitID
    broker_sessions.logged_out(citizen_broker(), row_id=row_id, clinic=clinic.key)
    if is_fragment_request():
        return leave(url_for("portal.broker_logout", clinic_key=clinic.key))
    return redirect_303(url_for("portal.logged_out", clinic_key=clinic.key))


@bp.get("/<clinic_key>/log-ud/mitid")
def broker_logout(clinic_key: str):
    """Log ud at the citizen broker: a GET navigation (no form-action) to its end-session URL."""
    clinic = clinic_or_404(clinic_key)
    url = mitid.end_session_url()
    if url:
        return redirect(url)
    return _logged_out_front(clinic.key)  # no end-session there: prompt=login next time


@bp.get("/<clinic_key>/logget-ud")
def logged_out(clinic_key: str):
    """After Log ud without JS: logged out here; a link ends the login at MitID too."""
    clinic = clinic_or_404(clinic_key)
    pending = broker_sessions.pending_logout(citizen_broker())
    if pending is None or "row" not in pending:
        return redirect(url_for("portal.front", clinic_key=clinic.key))
    return page("portal/logged_out.html", clinic)


@bp.get("/mitid/logget-ud")
def mitid_logged_out():
    """The citizen broker's post_logout_redirect_uri: back on the clinic's front page."""
    broker = citizen_broker()
    pending = broker_sessions.returned_from_broker(broker, request.args.get("state")) \
        or broker_sessions.pending_logout(broker) or {}
    clinic = portal_clinic(pending["clinic"]) if pending.get("clinic") else None
    if clinic is None:
        abort(404)
    return _logged_out_front(clinic.key)


def _logged_out_front(clinic_key: str):
    flash(_("Du er logget ud. Luk alle browservinduer, hvis du bruger en fælles computer."))
    return redirect(url_for("portal.front", clinic_key=clinic_key))


@bp.route("/<clinic_key>/registrer", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@portal_login_required
def register_here(clinic_key: str):
    """Registrer: an existing user gets access at this clinic, as the clinic's mode allows."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    form = ButtonForm()
    if svc.linked_record(user, clinic) is not None or svc.pending_request(user, clinic):
        return redirect(svc.next_url(user, clinic))
    if form.validate_on_submit():
        result = svc.register_at_clinic(user=user, clinic=clinic, actor_name=svc.actor(user))
        if result == "registered":
            flash(_("Du er nu registreret hos %(clinic)s.", clinic=clinic.name))
        if result != "closed":
            return leave(svc.next_url(user, clinic))
    return page("portal/register_here.html", clinic, form=form,
                clinics=svc.registered_clinics(user))


@bp.get("/<clinic_key>/afventer")
@portal_login_required
def awaiting_approval(clinic_key: str):
    """The request to this clinic waits for the clinic's decision."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    if svc.pending_request(user, clinic) is None:
        return redirect(svc.next_url(user, clinic))
    return page("portal/awaiting.html", clinic, form=ButtonForm(formdata=None))


@bp.route("/<clinic_key>/bekraeft", methods=["GET", "POST"])
@portal_login_required
def confirm_contact(clinic_key: str):
    """Bekræft e-mail og mobil when they differ between the portal and the clinic's record."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    record = svc.linked_record(user, clinic)
    if record is None or (not svc.contact_differs(user, record) and not g.get("in_kiosk")):
        return redirect(svc.next_url(user, clinic))  # a kiosk may always check and correct
    form = ContactForm()
    if form.validate_on_submit():
        svc.confirm_contact(user=user, record=record, email=form.email.data,
                            mobile=normalise_mobile(form.mobile.data) if form.mobile.data else None)
        flash(_("Tak. Din e-mail og dit mobilnummer er bekræftet."))
        return leave(url_for("portal.home", clinic_key=clinic_key))
    if not form.is_submitted():
        form.email.data, form.mobile.data = user.email, user.mobile
    return page("portal/confirm_contact.html", clinic, form=form, record=record,
                status=422 if form.is_submitted() else 200)
