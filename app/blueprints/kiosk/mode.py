"""Kiosk mode inside the patient portal: checked on every portal request of a kiosk session."""

from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from app.blueprints.kiosk import devices
from app.blueprints.kiosk.routes import KIOSK_KEY, kiosk_context
from app.blueprints.portal.routes_front import OUTCOMES
from app.core.db import get_session
from app.models import Clinic


def in_kiosk() -> bool:
    """Whether this browser session is a kiosk session (the portal hides links out of it)."""
    return bool(session.get(KIOSK_KEY, {}).get("clinic"))


def mark_portal_request() -> None:
    """Tell the portal's views (g.in_kiosk) without the portal importing the kiosk."""
    g.in_kiosk = in_kiosk()


def guard_portal_request():
    """Before a portal page on a kiosk: same device, same clinic, not idle; else back to start.

    A kiosk device never shows the portal outside an action begun on its start screen: Back after
    a reset must not bring up a page (or a form the browser refills) of the previous person.
    """
    if request.blueprint not in ("portal", "portal_data"):
        return None
    state = session.get(KIOSK_KEY) or {}
    key = state.get("clinic")
    if not key:
        device = devices.device_of_request()
        if device is None:
            return None
        clinic = get_session().get(Clinic, device.clinic_id)
        return redirect(url_for("kiosk.start", key=clinic.key))
    clinic_key = (request.view_args or {}).get("clinic_key")
    if clinic_key is not None and clinic_key != key:
        return redirect(url_for("kiosk.start", key=key))  # no wandering to other portals
    _clinic, _device, was_reset = kiosk_context(key)
    if was_reset:
        return redirect(url_for("kiosk.start", key=key, reset=1))
    return None


# The step that completes each kiosk action; after it the kiosk ends the session by itself.
COMPLETING = {
    "register": {"portal.mitid_callback", "portal.mitid_continue"},
    "join": {"portal.register_here"},
    "contact": {"portal.confirm_contact"},
}


def finish_completed_action(response):
    """On a kiosk, the redirect that follows a completed action goes to the kiosk's "done"."""
    state = session.get(KIOSK_KEY) or {}
    if not state.get("clinic") or request.blueprint not in ("portal", "portal_data"):
        return response
    if request.endpoint not in COMPLETING.get(state.get("action"), ()):
        return response
    target = response.headers.get("HX-Redirect") or (
        response.location if response.status_code in (302, 303) else None)
    key = state["clinic"]
    finished = {url_for("portal.home", clinic_key=key)} | {
        url_for("portal.outcome", clinic_key=key, kind=kind) for kind in OUTCOMES}
    if target and urlsplit(target).path in finished:
        done = url_for("kiosk.done", key=key)
        if "HX-Redirect" in response.headers:
            response.headers["HX-Redirect"] = done
        else:
            response.location = done
    return response


def init_app(app) -> None:
    """Install the guard, the completion hook and the template flag."""
    app.before_request(mark_portal_request)
    app.before_request(guard_portal_request)
    app.after_request(finish_completed_action)

    @app.context_processor
    def _kiosk():
        return {"kiosk_mode": in_kiosk(), "kiosk_clinic": session.get(KIOSK_KEY, {}).get("clinic")}
