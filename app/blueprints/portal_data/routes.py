"""Views: accept the terms (again), withdraw the acceptance, see and download "Mine data"."""

from flask import flash, jsonify, redirect, url_for
from flask_babel import gettext as _

from app import consent
from app.blueprints.portal import services as svc
from app.blueprints.portal.forms import ButtonForm
from app.blueprints.portal.pages import clinic_or_404, page
from app.blueprints.portal.sessions import current_portal_user, end_portal_session, portal_login_required
from app.blueprints.portal_data import bp
from app.blueprints.portal_data.export import portal_export
from app.core.db import get_session
from app.core.web import leave


@bp.route("/<clinic_key>/vilkaar/accepter", methods=["GET", "POST"])
@portal_login_required
def accept_terms(clinic_key: str):
    """Acceptér vilkårene: asked at login when the patient has not (or no longer) accepted them."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    form = ButtonForm()
    if consent.portal_terms_accepted(portal_user_id=user.id):
        return redirect(svc.next_url(user, clinic))
    if form.validate_on_submit():
        consent.record_portal_terms(portal_user_id=user.id, action="given", method="login",
                                    actor=svc.actor(user))
        get_session().commit()
        return leave(svc.next_url(user, clinic))
    return page("portal_data/accept_terms.html", clinic, form=form)


@bp.post("/<clinic_key>/vilkaar/traek-tilbage")
@portal_login_required
def withdraw_terms(clinic_key: str):
    """Træk accept tilbage: recorded, and the patient is logged out until they accept again."""
    clinic = clinic_or_404(clinic_key)
    user = current_portal_user()
    form = ButtonForm()
    if form.validate_on_submit():
        consent.record_portal_terms(portal_user_id=user.id, action="withdrawn", method="my_data",
                                    actor=svc.actor(user))
        get_session().commit()
        end_portal_session()
        flash(_("Du har trukket din accept af vilkårene tilbage og er logget ud. Næste gang du "
                "logger ind, bliver du spurgt igen."))
    return leave(url_for("portal.front", clinic_key=clinic.key))


@bp.get("/<clinic_key>/mine-data")
@portal_login_required
def my_data(clinic_key: str):
    """Mine data: profile, clinics, requests, consents and their history, recent logins."""
    clinic = clinic_or_404(clinic_key)
    data = portal_export(current_portal_user())
    recent = sorted(data["portal_session"], key=lambda r: r["created_at"], reverse=True)[:10]
    return page("portal_data/my_data.html", clinic, data=data, recent=recent,
                form=ButtonForm(formdata=None))


@bp.get("/<clinic_key>/mine-data.json")
@portal_login_required
def my_data_json(clinic_key: str):
    """Download everything as JSON."""
    clinic_or_404(clinic_key)
    response = jsonify(portal_export(current_portal_user()))
    response.headers["Content-Disposition"] = 'attachment; filename="mine-data.json"'
    return response
