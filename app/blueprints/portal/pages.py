"""Rendering helpers shared by the portal's views: the clinic of the URL, pages, leaving a flow."""

from flask import abort

from app.blueprints.portal.sessions import current_portal_session, current_portal_user, portal_clinic
from app.core.web import is_fragment_request, redirect_303, render_page
from app.models import Clinic


def clinic_or_404(clinic_key: str) -> Clinic:
    """The clinic of a /portal/<clinic_key>/... URL."""
    clinic = portal_clinic(clinic_key)
    if clinic is None:
        abort(404)
    return clinic


def logged_in_here(clinic: Clinic):
    """The patient logged in at this clinic's portal, or None."""
    row = current_portal_session()
    return current_portal_user() if row is not None and row.clinic_id == clinic.id else None


def page(template: str, clinic: Clinic, *, status: int = 200, push_url=None, **ctx):
    """Render a portal page (full, or its content block for htmx) with the clinic and the patient."""
    return render_page(template, status=status, push_url=push_url, clinic=clinic,
                       portal_user=logged_in_here(clinic), **ctx)



def advance(url: str, render):
    """After a valid POST inside a flow: htmx gets the next step's block (pushed), others a 303."""
    if is_fragment_request():
        return render(push_url=url)
    return redirect_303(url)
