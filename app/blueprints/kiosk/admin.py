"""The clinic administrator's kiosk pages: add a device, enrol it by link, revoke it."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.auth.access import current_clinic, require_permission
from app.blueprints.kiosk import bp, devices
from app.core.db import get_session
from app.core.web import redirect_303, render_page
from app.models import KioskDevice


@bp.route("/clinic/kiosks", methods=["GET", "POST"])
@require_permission("kiosk")
def manage():
    """Tilføj kiosk: a named device and a one-time enrolment link to open on the tablet."""
    clinic = current_clinic()
    link = error = None
    name = request.form.get("name", "").strip()
    if request.method == "POST":
        if not name or len(name) > 100:
            error = _("Giv kiosken et navn (højst 100 tegn).")
        else:
            _device, token = devices.create_device(clinic_id=clinic.id, name=name,
                                                   staff_user_id=current_user.user.id)
            link = url_for("kiosk.enrol", token=token, _external=True)
            name = ""
    return render_page("kiosk/manage.html", devices=devices.clinic_devices(clinic.id), link=link,
                       error=error, name=name, minutes=devices.ENROL_MINUTES,
                       status=422 if error else 200)


@bp.get("/kiosk/enrol/<token>")
@require_permission("kiosk")
def enrol(token: str):
    """Opened on the tablet by the logged-in administrator: the device becomes the kiosk."""
    clinic = current_clinic()
    result = devices.enrol_device(token, clinic_id=clinic.id, staff_user_id=current_user.user.id)
    if result is None:
        return render_page("kiosk/enrol_failed.html", status=410)
    device, secret = result
    response = render_page("kiosk/enrolled.html", device=device, clinic=clinic)
    devices.set_device_cookie(response, secret)
    return response


@bp.post("/clinic/kiosks/<int:device_id>/revoke")
@require_permission("kiosk")
def revoke(device_id: int):
    """Revoke a device (lost, moved, replaced)."""
    device = get_session().get(KioskDevice, device_id)
    if device is None or device.clinic_id != current_clinic().id:
        abort(404)
    devices.revoke_device(device, staff_user_id=current_user.user.id)
    flash(_("Kiosken er tilbagekaldt."), "success")
    return redirect_303(url_for("kiosk.manage"))
