"""The kiosk itself: start screen, idle reset, Afslut. Nothing of one patient reaches the next."""

from datetime import datetime, timedelta

from flask import abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlmodel import select

from app.blueprints.kiosk import bp, devices
from app.blueprints.portal import sessions as portal_sessions
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.web import redirect_303, render_page
from app.models import Clinic

KIOSK_KEY = "kiosk"  # the signed session holds only {"device", "seen"} (and the language)


def reset_kiosk(device_id: int | None) -> None:
    """End everything of the person at the kiosk: their portal session and the whole session."""
    portal_sessions.end_portal_session()
    session.clear()
    if device_id is not None:
        session[KIOSK_KEY] = {"device": device_id, "seen": utcnow().isoformat()}


def kiosk_context(key: str):
    """(clinic, device) of an enrolled kiosk, or abort; enforces the idle reset server-side."""
    clinic = get_session().exec(select(Clinic).where(Clinic.key == key)).first()
    if clinic is None:
        abort(404)
    device = devices.current_device(clinic)
    if device is None:
        abort(403)
    state = session.get(KIOSK_KEY) or {}
    idle = timedelta(seconds=current_app.config["KIOSK_IDLE_SECONDS"])
    seen = datetime.fromisoformat(state["seen"]) if state.get("seen") else None
    if state.get("device") != device.id or seen is None or utcnow() - seen > idle:
        reset_kiosk(device.id)
        return clinic, device, bool(state)  # True: something was reset
    state["seen"] = utcnow().isoformat()
    session[KIOSK_KEY] = state
    return clinic, device, False


def kiosk_actions():
    """The start screen's actions: (name, label, hint)."""
    return [
        ("register", _("Opret bruger"), _("Bliv bruger af Patientportalen")),
        ("join", _("Registrer dig hos klinikken"), _("Har du allerede en bruger? Få adgang her")),
        ("contact", _("Tjek dine kontaktoplysninger"), _("Se og ret din e-mail og dit mobilnummer")),
    ]


@bp.get("/kiosk/<key>")
def start(key: str):
    """The kiosk's start screen: register, join this clinic, check contact details."""
    clinic, device, was_reset = kiosk_context(key)
    device.last_seen_at = utcnow()
    get_session().commit()
    return render_page("kiosk/start.html", clinic=clinic,
                       timed_out=was_reset or request.args.get("reset") == "1",
                       done=request.args.get("done") == "1", kiosk_actions=kiosk_actions())


@bp.post("/kiosk/<key>/end")
def end(key: str):
    """Afslut (or the countdown ran out): the session ends on the server; back to start."""
    clinic, device, _was_reset = kiosk_context(key)
    reset_kiosk(device.id)
    return redirect_303(url_for("kiosk.start", key=clinic.key))


@bp.post("/kiosk/<key>/still-here")
def still_here(key: str):
    """Jeg er her stadig: the idle clock starts again."""
    clinic, _device, was_reset = kiosk_context(key)
    if request.headers.get("HX-Request") and not was_reset:
        return "", 204
    return redirect_303(request.form.get("back") if _local(request.form.get("back"))
                        else url_for("kiosk.start", key=clinic.key))


def _local(path: str | None) -> bool:
    return bool(path) and path.startswith(("/kiosk/", "/portal/")) and "//" not in path


@bp.get("/kiosk/<key>/done")
def done(key: str):
    """After a completed action: reset, then the start screen says thank you."""
    clinic, device, _was_reset = kiosk_context(key)
    reset_kiosk(device.id)
    return redirect(url_for("kiosk.start", key=clinic.key, done=1))


KIOSK_ENTRY = {"register": "portal.register", "join": "portal.front", "contact": "portal.front"}


@bp.get("/kiosk/<key>/start/<action>")
def action(key: str, action: str):
    """Begin one of the start screen's actions in the portal, in kiosk mode."""
    clinic, _device, _was_reset = kiosk_context(key)
    if action not in KIOSK_ENTRY:
        abort(404)
    state = session[KIOSK_KEY]
    state["action"] = action
    state["clinic"] = clinic.key
    session[KIOSK_KEY] = state
    return redirect(url_for(KIOSK_ENTRY[action], clinic_key=clinic.key))
