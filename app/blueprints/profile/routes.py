"""Views of the profile page: see the consent and its history, withdraw or give it again."""

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import consent
from app.blueprints.auth.sessions import end_other_session, open_sessions
from app.blueprints.profile import bp
from app.db import get_session
from app.web import redirect_303, render_page


@bp.get("/")
@login_required
def show():
    """The profile page."""
    user = current_user.user
    return render_page(
        "profile/show.html",
        user=user,
        link=user.mitid_link,
        history=consent.consent_history(staff_user_id=user.id),
        has_consent=consent.has_consent(staff_user_id=user.id),
        consent_text=consent.PROFILE_SHARING_TEXT.split("\n\n"),
        consent_systems=consent.PROFILE_SHARING_SYSTEMS,
    )


@bp.post("/consent/withdraw")
@login_required
def withdraw_consent():
    """Withdraw the consent with one click, as easily as it was given."""
    user = current_user.user
    if consent.has_consent(staff_user_id=user.id):
        consent.record_consent(staff_user_id=user.id, action="withdrawn", method="profile_page",
                               actor=f"staff:{user.id}")
        get_session().commit()
        flash(_("Dit samtykke er trukket tilbage."), "success")
    return redirect_303(url_for("profile.show"))


@bp.post("/consent/give")
@login_required
def give_consent():
    """Give the consent again."""
    user = current_user.user
    if not consent.has_consent(staff_user_id=user.id):
        consent.record_consent(staff_user_id=user.id, action="given", method="profile_page",
                               actor=f"staff:{user.id}")
        get_session().commit()
        flash(_("Dit samtykke er registreret."), "success")
    return redirect_303(url_for("profile.show"))


@bp.get("/sessions")
@login_required
def sessions():
    """The user's open sessions (several computers at once are fine); others can be ended."""
    rows = open_sessions(current_user.user.id)
    return render_page("profile/sessions.html", rows=rows,
                       current_id=current_user.login_session.id)


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """End one of the user's other sessions (on the server: that browser is logged out)."""
    if session_id == current_user.login_session.id:
        abort(400)
    if not end_other_session(current_user.user.id, session_id):
        abort(404)
    flash(_("Sessionen er afsluttet."), "success")
    return redirect_303(url_for("profile.sessions"))
