"""Views of the start page, the language switch and the health checks."""

import unicodedata
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from app.blueprints.auth.access import confirmation_due, require_permission
from app.blueprints.main import bp
from app.blueprints.selection.services import clinic_choices
from app.core.db import get_session
from app.core.errors import RETRY_AFTER_SECONDS
from app.core.health import readiness
from app.core.web import redirect_303, render_page
from app.models import Clinic, Membership
from app.provider import clients, flow


def _safe_next(target: str | None) -> str:
    """Only a path on this site may be redirected to (no open redirect)."""
    if target and _is_local_path(target):
        return target
    return url_for("main.index")


def _is_local_path(target: str) -> bool:
    """An absolute path without scheme or host, and nothing a browser would strip or reinterpret.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so "/<TAB>/evil"
    and "/\\evil" lead to another host; any control character, whitespace or backslash is refused.
    """
    if any(char.isspace() or char == "\\" or unicodedata.category(char)[0] == "C"
           for char in target):
        return False
    parts = urlsplit(target)
    return (target.startswith("/") and not target.startswith("//")
            and not parts.scheme and not parts.netloc)


@bp.get("/")
@login_required
def index():
    """The start page of a logged-in staff member (after choosing clinic and function)."""
    login_session = current_user.login_session
    if confirmation_due(current_user.user):
        return redirect(url_for("profile.confirm"))
    if login_session.function is None and clinic_choices(current_user.user, login_session):
        return redirect(url_for("selection.choose_clinic"))
    waiting = flow.take_return()
    if waiting:  # a sister system's login asked for this one: back to it with a code
        return redirect(waiting)
    rows = get_session().exec(
        select(Membership, Clinic)
        .join(Clinic, Membership.clinic_id == Clinic.id)
        .where(Membership.staff_user_id == current_user.user.id)
        .order_by(Clinic.name)
    ).all()
    return render_page("main/index.html", memberships=rows,
                       welcome=request.args.get("welcome") == "1")


@bp.post("/language")
def set_language():
    """Switch between Danish and English and return to the same page."""
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect_303(_safe_next(request.form.get("next")))


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers (restart it if not). Asks no dependency."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers (and Redis, when configured); 503 while it does not."""
    report, ready = readiness()
    if ready:
        return report
    return report, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


@bp.get("/clinic/clinical")
@require_permission("clinical")
def clinical():
    """Kliniske systemer: the sister systems a behandler opens from here (not for sekretærer)."""
    return render_page("main/clinical.html", systems=clients.login_links())
