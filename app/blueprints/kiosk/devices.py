"""Kiosk devices: enrolment by a one-time link, a device cookie, revocation."""

from datetime import timedelta

from flask import current_app, request
from sqlmodel import select

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, KioskDevice
from app.security import new_token, token_hash

DEVICE_COOKIE = "kiosk_device"
ENROL_MINUTES = 15


def clinic_devices(clinic_id: int) -> list[KioskDevice]:
    """The clinic's devices, newest first."""
    return list(get_session().exec(select(KioskDevice).where(KioskDevice.clinic_id == clinic_id)
                                   .order_by(KioskDevice.created_at.desc())))


def create_device(*, clinic_id: int, name: str, staff_user_id: int) -> tuple[KioskDevice, str]:
    """A new device awaiting enrolment; returns it and the one-time enrolment token; commits."""
    token = new_token()
    device = KioskDevice(clinic_id=clinic_id, name=name.strip(), created_by_id=staff_user_id,
                         enrol_token_hash=token_hash(token),
                         enrol_expires_at=utcnow() + timedelta(minutes=ENROL_MINUTES))
    db = get_session()
    db.add(device)
    db.flush()
    audit.record("kiosk_created", actor=f"staff:{staff_user_id}", target_type="kiosk_device",
                 target_id=device.id, clinic_id=clinic_id)
    db.commit()
    return device, token


def enrol_device(token: str, *, clinic_id: int, staff_user_id: int) -> tuple[KioskDevice, str] | None:
    """Turn a valid enrolment token (of this admin's clinic) into a device secret; commits."""
    db = get_session()
    device = db.exec(select(KioskDevice).where(
        KioskDevice.enrol_token_hash == token_hash(token))).first()
    now = utcnow()
    if (device is None or device.clinic_id != clinic_id or device.revoked_at is not None
            or device.enrol_expires_at is None or device.enrol_expires_at <= now):
        return None
    secret = new_token()
    device.device_token_hash = token_hash(secret)
    device.enrol_token_hash = None  # single use
    device.enrol_expires_at = None
    device.enrolled_at = now
    audit.record("kiosk_enrolled", actor=f"staff:{staff_user_id}", target_type="kiosk_device",
                 target_id=device.id, clinic_id=clinic_id)
    db.commit()
    return device, secret


def revoke_device(device: KioskDevice, *, staff_user_id: int) -> None:
    """Revoke a device: it is no kiosk from its next request; commits."""
    device.revoked_at = utcnow()
    device.device_token_hash = None
    device.enrol_token_hash = None
    audit.record("kiosk_revoked", actor=f"staff:{staff_user_id}", target_type="kiosk_device",
                 target_id=device.id, clinic_id=device.clinic_id)
    get_session().commit()


def device_of_request() -> KioskDevice | None:
    """The enrolled, unrevoked kiosk device that sent the request (any clinic), or None."""
    secret = request.cookies.get(DEVICE_COOKIE)
    if not secret:
        return None
    device = get_session().exec(select(KioskDevice).where(
        KioskDevice.device_token_hash == token_hash(secret))).first()
    return device if device is not None and device.revoked_at is None else None


def current_device(clinic: Clinic) -> KioskDevice | None:
    """The enrolled, unrevoked device of this clinic that sent the request, or None."""
    secret = request.cookies.get(DEVICE_COOKIE)
    if not secret:
        return None
    device = get_session().exec(select(KioskDevice).where(
        KioskDevice.device_token_hash == token_hash(secret))).first()
    if device is None or device.clinic_id != clinic.id or device.revoked_at is not None:
        return None
    return device


def set_device_cookie(response, secret: str) -> None:
    """The long-lived, HTTP-only device cookie (Lax: it must survive the MitID redirect back)."""
    response.set_cookie(DEVICE_COOKIE, secret, max_age=365 * 24 * 3600, httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
